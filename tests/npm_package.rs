//! The npm package end to end: `npm/build.sh` fills the platform package with the binary
//! `cargo test` built and `npm pack`s it with the launcher; a temporary Next.js-like project
//! installs both tarballs with `npm install --offline` (no registry) and runs pgshift through
//! `npx`: the patch, the guard on staged files, the husky and lint-staged recipes. The launcher
//! passes exit codes and signals through and says what it saw when no platform package is
//! installed. The pre-commit framework's `language: node` hook installs the same tarballs. The
//! platform table, the release workflow and the hook definitions agree with each other.
//!
//! Needs node and npm (and git); without them the tests are skipped, except in CI (`CI` set),
//! where they fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::*;

const WORKAROUND: &str = "export function retryable(m: string) {\n  return m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');\n}\n";
const CLEAN: &str =
    "export function retryable(m: string) {\n  return m.includes('ECONNRESET');\n}\n";

/// The platform packages: folder under npm/, Rust target, npm `os`, `cpu`, `libc`.
const PLATFORMS: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "cli-linux-x64-gnu",
        "x86_64-unknown-linux-gnu",
        "linux",
        "x64",
        Some("glibc"),
    ),
    (
        "cli-linux-arm64-gnu",
        "aarch64-unknown-linux-gnu",
        "linux",
        "arm64",
        Some("glibc"),
    ),
    (
        "cli-linux-x64-musl",
        "x86_64-unknown-linux-musl",
        "linux",
        "x64",
        Some("musl"),
    ),
    (
        "cli-darwin-x64",
        "x86_64-apple-darwin",
        "darwin",
        "x64",
        None,
    ),
    (
        "cli-darwin-arm64",
        "aarch64-apple-darwin",
        "darwin",
        "arm64",
        None,
    ),
    (
        "cli-win32-x64-msvc",
        "x86_64-pc-windows-msvc",
        "win32",
        "x64",
        None,
    ),
];

fn cargo_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Whether node and npm run; in CI their absence is a failure.
fn node_available(test: &str) -> bool {
    let runs = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let found = runs("node") && runs("npm");
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "node and npm are needed for {test} in CI"
        );
        eprintln!("SKIPPED {test}: node and npm are not installed");
    }
    found
}

/// Where this test binary keeps its packages, caches and projects.
fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("npm_package")
}

/// npm with an empty cache of its own, offline: everything it installs comes from the tarballs.
fn npm_command(program: &str, cwd: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(cwd)
        .env("npm_config_cache", scratch().join("npm-cache"))
        .env("npm_config_offline", "true")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_loglevel", "error")
        .env("NO_COLOR", "1")
        .env_remove("PGSHIFT_BINARY");
    command
}

fn run_ok(command: &mut Command) -> Output {
    let output = command.output().expect("the command starts");
    assert!(
        output.status.success(),
        "{command:?} failed ({:?}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn git(dir: &Path, args: &[&str]) {
    run_ok(
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com"),
    );
}

struct Tarballs {
    launcher: PathBuf,
    platform: PathBuf,
    out: PathBuf,
}

/// `npm/build.sh --binary <this build>`, once per test run.
fn tarballs() -> &'static Tarballs {
    static PACKED: OnceLock<Tarballs> = OnceLock::new();
    PACKED.get_or_init(|| {
        let out = scratch().join("packages");
        if out.exists() {
            std::fs::remove_dir_all(&out).unwrap();
        }
        let cache = scratch().join("npm-cache");
        if cache.exists() {
            std::fs::remove_dir_all(&cache).unwrap();
        }
        let output = run_ok(
            npm_command("bash", &repo())
                .arg("npm/build.sh")
                .args(["--binary", env!("CARGO_BIN_EXE_pgshift")])
                .arg("--out")
                .arg(&out),
        );
        let printed: Vec<PathBuf> = stdout(&output).lines().map(PathBuf::from).collect();
        let version = cargo_version();
        assert_eq!(
            printed,
            [
                out.join(format!("pgshift-{version}.tgz")),
                out.join(format!("pgshift-cli-linux-x64-gnu-{version}.tgz")),
            ],
            "npm/build.sh prints the launcher's tarball, then the platform package's"
        );
        Tarballs {
            launcher: printed[0].clone(),
            platform: printed[1].clone(),
            out,
        }
    })
}

/// A copy of the fixture (a Next.js + Prisma app) as a git repository, its dependencies left
/// out of package.json so that npm needs nothing but the tarballs.
fn project(name: &str) -> PathBuf {
    let dir = scratch().join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let copy = copy_tree(&fixture("before"));
    std::fs::rename(copy.path(), &dir)
        .or_else(|_| {
            run_ok(Command::new("cp").arg("-R").arg(copy.path()).arg(&dir));
            Ok::<(), std::io::Error>(())
        })
        .unwrap();
    let manifest = dir.join("package.json");
    let mut package: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let object = package.as_object_mut().unwrap();
    object.remove("dependencies");
    object.remove("devDependencies");
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&package).unwrap() + "\n",
    )
    .unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "commit.gpgsign", "false"]);
    dir
}

fn npm_install(dir: &Path, tarballs: &[&Path]) {
    run_ok(
        npm_command("npm", dir)
            .args(["install", "-D", "--offline", "--no-audit", "--no-fund"])
            .args(tarballs),
    );
}

/// The fixture project with both tarballs installed, once. Only `npx_pgshift_in_a_project`
/// changes its files; the other tests run its launcher or link its `node_modules`.
fn installed() -> &'static Path {
    static PROJECT: OnceLock<PathBuf> = OnceLock::new();
    PROJECT.get_or_init(|| {
        let packed = tarballs();
        let dir = project("app");
        npm_install(&dir, &[&packed.launcher, &packed.platform]);
        dir
    })
}

fn npx(dir: &Path, args: &[&str]) -> Output {
    npm_command("npx", dir)
        .arg("pgshift")
        .args(args)
        .output()
        .expect("npx runs")
}

#[test]
fn the_packages_hold_what_npm_needs() {
    if !node_available("the_packages_hold_what_npm_needs") {
        return;
    }
    let packed = tarballs();
    let version = cargo_version();
    let launcher: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(packed.out.join("pgshift/package.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(launcher["version"], version.as_str());
    assert_eq!(launcher["bin"]["pgshift"], "bin/pgshift.js");
    assert!(
        launcher.get("scripts").is_none(),
        "no install scripts: nothing is downloaded at install time"
    );
    let pins = launcher["optionalDependencies"].as_object().unwrap();
    assert_eq!(pins.len(), PLATFORMS.len());
    for (folder, ..) in PLATFORMS {
        assert_eq!(
            pins[&format!("@pgshift/{folder}")],
            version.as_str(),
            "{folder} is pinned to Cargo.toml's version"
        );
    }
    let platform: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(packed.out.join("cli-linux-x64-gnu/package.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(platform["version"], version.as_str());
    assert!(platform.get("bin").is_none(), "only the launcher is a bin");

    // The binary keeps its executable bit inside the tarball.
    let listing = run_ok(Command::new("tar").arg("-tvzf").arg(&packed.platform));
    let listing = stdout(&listing);
    let binary = listing
        .lines()
        .find(|l| l.ends_with(" package/pgshift"))
        .unwrap_or_else(|| panic!("no package/pgshift in the tarball:\n{listing}"));
    assert!(binary.starts_with("-rwxr-xr-x"), "{binary}");
    let listing = stdout(&run_ok(
        Command::new("tar").arg("-tzf").arg(&packed.launcher),
    ));
    let mut files: Vec<&str> = listing.lines().collect();
    files.sort();
    assert_eq!(
        files,
        [
            "package/README.md",
            "package/bin/pgshift.js",
            "package/package.json"
        ]
    );
}

#[test]
fn npx_pgshift_in_a_project() {
    if !node_available("npx_pgshift_in_a_project") {
        return;
    }
    let dir = installed();
    assert!(dir.join("node_modules/.bin/pgshift").exists());
    assert!(
        dir.join("node_modules/@pgshift/cli-linux-x64-gnu/pgshift")
            .exists()
    );

    let version = npx(dir, &["--version"]);
    assert_eq!(code(&version), 0, "{}", stderr(&version));
    assert_eq!(
        stdout(&version).trim(),
        format!("pgshift {}", cargo_version())
    );

    // The patch through the launcher is byte for byte the binary's.
    let through_npx = npx(dir, &["diff"]);
    assert_eq!(code(&through_npx), 0, "{}", stderr(&through_npx));
    let direct = pgshift(&["diff"], dir);
    assert_eq!(stdout(&through_npx), stdout(&direct));
    assert!(
        stdout(&through_npx).contains("+++ b/src/lib/db/retry.ts"),
        "{}",
        stdout(&through_npx)
    );
    assert!(stdout(&through_npx).contains("withNetworkRetry"));

    // The guard on what is staged: findings, exit code 1.
    git(dir, &["add", "-A"]);
    let check = npx(dir, &["check", "--staged"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    assert!(
        stdout(&check).contains("src/lib/db/retry.ts:")
            && stdout(&check).contains("[retry-rename]"),
        "{}",
        stdout(&check)
    );
    assert!(
        !stdout(&check).contains("node_modules"),
        "node_modules is never checked: {}",
        stdout(&check)
    );

    // Errors keep pgshift's exit code 2.
    let bad = npx(dir, &["check", "--no-such-flag"]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));

    // `apply` refuses files with uncommitted work; after a commit it writes, and the staged
    // tree passes.
    let refused = npx(dir, &["apply"]);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--allow-dirty"),
        "{}",
        stderr(&refused)
    );
    git(dir, &["commit", "-qm", "before the move", "--no-verify"]);
    assert_eq!(code(&npx(dir, &["apply"])), 1, "review places remain");
    git(dir, &["add", "-A"]);
    let check = npx(dir, &["check", "--staged"]);
    assert!(
        stdout(&check).contains("\n0 places to change, "),
        "{}",
        stdout(&check)
    );
}

fn tool(name: &str) -> Option<PathBuf> {
    let path = repo().join("tools/node_modules").join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing in CI: run `npm ci --prefix tools` (.ci/run does)",
        path.display()
    );
    eprintln!("SKIPPED: {} (run `npm ci --prefix tools`)", path.display());
    None
}

/// A fresh repository with `src/a.ts` staged and the packages installed (hard links to the
/// files `npm install` wrote for `installed()`; nothing writes below `node_modules`).
fn guarded_repo(name: &str, package_json: &str) -> PathBuf {
    let installed = installed();
    let dir = scratch().join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("package.json"), package_json).unwrap();
    std::fs::write(dir.join(".gitignore"), "node_modules\n").unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "commit.gpgsign", "false"]);
    run_ok(
        Command::new("cp")
            .arg("-al")
            .arg(installed.join("node_modules"))
            .arg(dir.join("node_modules")),
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "base", "--no-verify"]);
    std::fs::write(dir.join("src/a.ts"), WORKAROUND).unwrap();
    git(&dir, &["add", "-A"]);
    dir
}

fn commit(dir: &Path) -> Output {
    Command::new("git")
        .args(["commit", "-qm", "change"])
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap()
}

#[test]
fn git_hook_installed_through_npx() {
    if !node_available("git_hook_installed_through_npx") {
        return;
    }
    let dir = guarded_repo("git-hook", "{ \"name\": \"app\", \"private\": true }\n");
    let install = npx(&dir, &["hook", "install"]);
    assert_eq!(code(&install), 0, "{}", stderr(&install));
    let hook = std::fs::read_to_string(dir.join(".git/hooks/pre-commit")).unwrap();
    // git gives a hook the user's PATH, without node_modules/.bin: npx finds the launcher.
    assert!(
        hook.lines()
            .any(|l| l == "exec npx --no pgshift check --staged"),
        "{hook}"
    );
    let refused = commit(&dir);
    assert!(!refused.status.success(), "the hook runs the check");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("sqlite-lock-checks"));
    std::fs::write(dir.join("src/a.ts"), CLEAN).unwrap();
    git(&dir, &["add", "-A"]);
    let passed = commit(&dir);
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
}

#[test]
fn husky_recipe_with_the_npm_package() {
    if !node_available("husky_recipe_with_the_npm_package") {
        return;
    }
    let Some(husky) = tool("husky/bin.js") else {
        return;
    };
    let dir = guarded_repo("husky", "{ \"name\": \"app\", \"private\": true }\n");
    run_ok(Command::new("node").arg(&husky).current_dir(&dir));
    // README's recipe: `npx pgshift hook install --husky --force`.
    let install = npx(&dir, &["hook", "install", "--husky", "--force"]);
    assert_eq!(code(&install), 0, "{}", stderr(&install));
    let hook = std::fs::read_to_string(dir.join(".husky/pre-commit")).unwrap();
    assert!(
        hook.lines().any(|l| l == "pgshift check --staged"),
        "the committed hook names no machine's path: {hook}"
    );
    let refused = commit(&dir);
    assert!(!refused.status.success(), "husky runs the check");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("sqlite-lock-checks"));
    std::fs::write(dir.join("src/a.ts"), CLEAN).unwrap();
    git(&dir, &["add", "-A"]);
    let passed = commit(&dir);
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
}

#[test]
fn lint_staged_recipe_with_the_npm_package() {
    if !node_available("lint_staged_recipe_with_the_npm_package") {
        return;
    }
    let Some(lint_staged) = tool("lint-staged/bin/lint-staged.js") else {
        return;
    };
    // README's recipe, word for word: lint-staged finds `pgshift` in node_modules/.bin.
    let dir = guarded_repo(
        "lint-staged",
        "{ \"name\": \"app\", \"private\": true, \"lint-staged\": { \"*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}\": \"pgshift check\" } }\n",
    );
    let run = || {
        Command::new("node")
            .arg(&lint_staged)
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let refused = run();
    assert!(
        !refused.status.success(),
        "lint-staged fails on the workaround"
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(said.contains("sqlite-lock-checks"), "{said}");
    std::fs::write(dir.join("src/a.ts"), CLEAN).unwrap();
    git(&dir, &["add", "-A"]);
    let passed = run();
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
}

#[test]
fn a_missing_platform_package_is_explained() {
    if !node_available("a_missing_platform_package_is_explained") {
        return;
    }
    let packed = tarballs();
    let dir = project("app-without-binary");
    // Offline, npm cannot fetch the optional platform package and goes on without it, as it
    // does with --omit=optional.
    npm_install(&dir, &[&packed.launcher]);
    assert!(!dir.join("node_modules/@pgshift").exists());
    let output = npx(&dir, &["diff"]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    for expected in [
        "pgshift: no pgshift binary for this platform (linux-x64-glibc).",
        "process.platform=linux, process.arch=x64, libc=glibc (process.report's header has glibcVersionRuntime",
        "@pgshift/cli-linux-x64-gnu, is not installed",
        &format!(
            "npm install -D @pgshift/cli-linux-x64-gnu@{}",
            cargo_version()
        ),
        "cargo install --locked --git",
        "cargo install --locked --path .",
        "PGSHIFT_BINARY=",
    ] {
        assert!(message.contains(expected), "no `{expected}` in:\n{message}");
    }
    assert!(stdout(&output).is_empty());

    // PGSHIFT_BINARY points the launcher at a binary built elsewhere.
    let output = npm_command("npx", &dir)
        .args(["pgshift", "--version"])
        .env("PGSHIFT_BINARY", env!("CARGO_BIN_EXE_pgshift"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        format!("pgshift {}", cargo_version())
    );
    let output = npm_command("npx", &dir)
        .args(["pgshift", "--version"])
        .env("PGSHIFT_BINARY", dir.join("no-such-binary"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("could not run PGSHIFT_BINARY=")
            && stderr(&output).contains("ENOENT"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
mod signals {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::time::{Duration, Instant};

    /// A stand-in for the binary (through PGSHIFT_BINARY): a shell script.
    fn stand_in(name: &str, body: &str) -> PathBuf {
        let dir = scratch().join("stand-ins");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// The installed `node_modules/.bin/pgshift`, run with a stand-in binary in a process
    /// group of its own (so no terminal's Ctrl-C is involved).
    fn launcher(binary: &Path, ready: &Path) -> std::process::Child {
        let _ = std::fs::remove_file(ready);
        Command::new(installed().join("node_modules/.bin/pgshift"))
            .args(["a", "b c"])
            .env("PGSHIFT_BINARY", binary)
            .env("READY", ready)
            .process_group(0)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn wait_for(path: &Path) {
        let start = Instant::now();
        while !path.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{} never appeared",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(pid: u32, signal: &str) {
        run_ok(Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]));
    }

    #[test]
    fn exit_codes_and_signals_pass_through_the_launcher() {
        if !node_available("exit_codes_and_signals_pass_through_the_launcher") {
            return;
        }
        let scratch_dir = scratch().join("stand-ins");
        let ready = scratch_dir.join("ready");

        // Arguments and an exit code the launcher knows nothing about.
        let seven = stand_in(
            "exit-7",
            "printf '%s|' \"$@\"; echo; echo to-stderr >&2; exit 7\n",
        );
        let output = launcher(&seven, &ready).wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(7));
        assert_eq!(stdout(&output), "a|b c|\n");
        assert_eq!(stderr(&output), "to-stderr\n");

        // The binary killed by a signal: the launcher ends by the same signal.
        let killed = stand_in("killed", "touch \"$READY\"; kill -TERM $$\n");
        let output = launcher(&killed, &ready).wait_with_output().unwrap();
        assert_eq!(output.status.signal(), Some(15), "{:?}", output.status);

        // SIGTERM to the launcher reaches the binary (here `sleep`, which it kills).
        let sleeper = stand_in("sleeper", "touch \"$READY\"; exec sleep 30\n");
        let child = launcher(&sleeper, &ready);
        wait_for(&ready);
        let started = Instant::now();
        kill(child.id(), "TERM");
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.signal(), Some(15), "{:?}", output.status);
        assert!(started.elapsed() < Duration::from_secs(10));

        // SIGINT too, once: the binary handles it and its exit code comes back.
        if !python_available("exit_codes_and_signals_pass_through_the_launcher") {
            return;
        }
        let child = launcher(&counts_interrupts(), &ready);
        wait_for(&ready);
        kill(child.id(), "INT");
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{:?}", output.status);
        assert_eq!(stdout(&output), "interrupts: 1\n");
    }

    /// A stand-in that counts the SIGINTs it gets (every one: Python runs a handler per signal
    /// delivered, where a shell's trap can merge two that arrive during one command).
    fn counts_interrupts() -> PathBuf {
        stand_in(
            "counts-interrupts",
            "exec python3 -c '\nimport os, signal, time\ncount = 0\ndef on_int(*_):\n    global count\n    count += 1\nsignal.signal(signal.SIGINT, on_int)\nopen(os.environ[\"READY\"], \"w\").close()\nstart = time.time()\nwhile count == 0 and time.time() - start < 20:\n    time.sleep(0.01)\ntime.sleep(0.5)\nprint(\"interrupts:\", count, flush=True)\nraise SystemExit(130)\n'\n",
        )
    }

    fn python_available(test: &str) -> bool {
        let found = Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "python3 is needed for {test} in CI"
            );
            eprintln!("SKIPPED {test}: python3 is not installed");
        }
        found
    }

    /// Runs the launcher as the foreground process group of a new terminal (Python's `pty`)
    /// and types Ctrl-C: the terminal signals the launcher and the binary alike, so the
    /// launcher must not pass on a second SIGINT (`pgshift verify` takes a second one as
    /// "interrupted twice" and skips dropping its scratch schema).
    #[test]
    fn a_ctrl_c_in_a_terminal_reaches_pgshift_once() {
        if !node_available("a_ctrl_c_in_a_terminal_reaches_pgshift_once")
            || !python_available("a_ctrl_c_in_a_terminal_reaches_pgshift_once")
        {
            return;
        }
        let ready = scratch().join("stand-ins").join("ready-pty");
        let _ = std::fs::remove_file(&ready);
        let driver = r#"
import os, pty, sys, time
launcher, binary, ready = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["PGSHIFT_BINARY"] = binary
    os.environ["READY"] = ready
    os.execvp(launcher, [launcher])
start = time.time()
while not os.path.exists(ready) and time.time() - start < 20:
    time.sleep(0.02)
os.write(fd, b"\x03")
out = b""
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
print(out.decode().replace("\r", ""), end="")
print("exit", os.waitstatus_to_exitcode(status))
"#;
        let output = run_ok(
            Command::new("python3")
                .args(["-c", driver])
                .arg(installed().join("node_modules/.bin/pgshift"))
                .arg(counts_interrupts())
                .arg(&ready),
        );
        let said = stdout(&output);
        assert!(said.contains("interrupts: 1\n"), "{said}");
        assert!(said.ends_with("exit 130\n"), "{said}");
    }
}

#[test]
fn platform_packages_launcher_and_build_script_agree() {
    let read = |path: &str| std::fs::read_to_string(repo().join(path)).unwrap();
    let json = |path: &str| -> serde_json::Value { serde_json::from_str(&read(path)).unwrap() };
    let launcher = json("npm/pgshift/package.json");
    let pins = launcher["optionalDependencies"].as_object().unwrap();
    let launcher_js = read("npm/pgshift/bin/pgshift.js");
    let build = read("npm/build.sh");
    let mut folders: Vec<String> = std::fs::read_dir(repo().join("npm"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("cli-"))
        .collect();
    folders.sort();
    let mut expected: Vec<String> = PLATFORMS.iter().map(|p| p.0.to_string()).collect();
    expected.sort();
    assert_eq!(folders, expected, "one folder per platform under npm/");
    assert_eq!(pins.len(), PLATFORMS.len());
    for (folder, triple, os, cpu, libc) in PLATFORMS {
        let package = json(&format!("npm/{folder}/package.json"));
        let name = format!("@pgshift/{folder}");
        assert_eq!(package["name"], name.as_str());
        assert_eq!(package["os"], serde_json::json!([os]), "{folder}");
        assert_eq!(package["cpu"], serde_json::json!([cpu]), "{folder}");
        assert_eq!(
            package.get("libc"),
            libc.map(|l| serde_json::json!([l])).as_ref(),
            "{folder}"
        );
        let exe = if *os == "win32" {
            "pgshift.exe"
        } else {
            "pgshift"
        };
        assert_eq!(package["files"], serde_json::json!([exe]), "{folder}");
        assert!(pins.contains_key(&name), "the launcher depends on {name}");
        let key = match libc {
            Some(libc) => format!("'{os}-{cpu}-{libc}': '{name}'"),
            None => format!("'{os}-{cpu}': '{name}'"),
        };
        assert!(launcher_js.contains(&key), "the launcher maps {key}");
        assert!(
            build.contains(&format!("{triple}) platform={folder} ;;")),
            "npm/build.sh maps {triple} to {folder}"
        );
    }
}

#[test]
fn release_workflow_builds_and_publishes_every_platform() {
    let text = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    let workflow: serde_yaml::Value = serde_yaml::from_str(&text).expect("release.yml parses");
    let jobs = &workflow["jobs"];
    let matrix = jobs["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("a build matrix");
    let mut targets: Vec<&str> = matrix
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    targets.sort();
    let mut expected: Vec<&str> = PLATFORMS.iter().map(|p| p.1).collect();
    expected.sort();
    assert_eq!(targets, expected);
    for entry in matrix {
        let windows = entry["target"].as_str().unwrap().contains("windows");
        assert_eq!(
            entry["exe"].as_str(),
            Some(if windows { "pgshift.exe" } else { "pgshift" })
        );
    }
    let steps = |job: &str| -> String {
        jobs[job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|step| step["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let build = steps("build");
    assert!(build.contains("cross build --locked --profile dist"));
    assert!(build.contains("cargo build --locked --profile dist"));
    let publish = steps("publish");
    for target in &expected {
        assert!(publish.contains(target), "publish packs {target}");
    }
    assert!(publish.contains("bash npm/build.sh --target"));
    assert!(publish.contains("npm publish \"$tarball\" --provenance --access public"));
    assert_eq!(
        jobs["publish"]["permissions"]["id-token"].as_str(),
        Some("write")
    );
    assert_eq!(jobs["publish"]["needs"].as_str(), Some("build"));
    // The feature the Linux builds use exists.
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(build.contains("--features vendored-openssl"));
    assert!(manifest.contains("vendored-openssl = [\"native-tls/vendored\"]"));
}

#[test]
fn pre_commit_hooks_pin_the_npm_package_of_this_version() {
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let hooks = hooks.as_sequence().unwrap();
    let by_id = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("no hook {id}"))
    };
    let rust = by_id("pgshift");
    assert_eq!(rust["language"].as_str(), Some("rust"));
    let node = by_id("pgshift-npm");
    assert_eq!(node["language"].as_str(), Some("node"));
    assert_eq!(node["entry"], rust["entry"]);
    assert_eq!(node["types_or"], rust["types_or"]);
    assert_eq!(
        node["additional_dependencies"],
        serde_yaml::Value::Sequence(vec![format!("pgshift@{}", cargo_version()).into()]),
        "the npm hook installs the release of this version"
    );
    assert!(
        !repo().join("package.json").exists(),
        "a package.json at the top would make pre-commit install the repository itself as the node hook"
    );
}

#[test]
fn pre_commit_node_hook_runs_the_npm_package() {
    if !node_available("pre_commit_node_hook_runs_the_npm_package") {
        return;
    }
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "pre-commit is missing in CI: `pip install pre-commit` (.ci/run does)"
        );
        eprintln!("SKIPPED pre_commit_node_hook_runs_the_npm_package: `pip install pre-commit`");
        return;
    }
    let packed = tarballs();
    // The hook repository: this repository's .pre-commit-hooks.yaml, as published.
    let hooks_repo = scratch().join("hooks-repo");
    if hooks_repo.exists() {
        std::fs::remove_dir_all(&hooks_repo).unwrap();
    }
    std::fs::create_dir_all(&hooks_repo).unwrap();
    std::fs::copy(
        repo().join(".pre-commit-hooks.yaml"),
        hooks_repo.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks_repo, &["init", "-q", "-b", "main"]);
    git(&hooks_repo, &["config", "commit.gpgsign", "false"]);
    git(&hooks_repo, &["add", "-A"]);
    git(&hooks_repo, &["commit", "-qm", "hooks"]);
    let rev = stdout(&run_ok(
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(&hooks_repo),
    ));

    // The user's config, with the packages from the tarballs instead of the registry.
    let dir = scratch().join("pre-commit-project");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: {}\n  rev: {}\n  hooks:\n  - id: pgshift-npm\n    additional_dependencies: ['{}', '{}']\n",
            hooks_repo.display(),
            rev.trim(),
            packed.launcher.display(),
            packed.platform.display()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/a.ts"), WORKAROUND).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    let home = scratch().join("pre-commit-home");
    if home.exists() {
        std::fs::remove_dir_all(&home).unwrap();
    }
    let run = || {
        npm_command("pre-commit", &dir)
            .arg("run")
            .env("PRE_COMMIT_HOME", &home)
            .output()
            .unwrap()
    };
    let refused = run();
    assert!(
        !refused.status.success(),
        "{}{}",
        stdout(&refused),
        stderr(&refused)
    );
    assert!(
        stdout(&refused).contains("sqlite-lock-checks"),
        "{}{}",
        stdout(&refused),
        stderr(&refused)
    );
    std::fs::write(dir.join("src/a.ts"), CLEAN).unwrap();
    git(&dir, &["add", "-A"]);
    let passed = run();
    assert!(passed.status.success(), "{}", stdout(&passed));
}
