//! `init-postgres`: the PostgreSQL scaffolding of the plan's Stages 1–3 and 7 — a compose
//! file, its README, `.env.postgresql`, the PostgreSQL copy of the Prisma schema and the
//! package.json scripts — planned as file changes that can be shown as a patch or written.
//!
//! Planning reads the project and never writes. The settings come from the flags first, then
//! from what an earlier run left (`.env.postgresql`, the compose file), then from the project
//! (package.json's name, the lockfile, the Stage 5 rules) and this machine (a free port), so a
//! second run plans nothing. Existing files with other content are never overwritten: they
//! are reported as conflicts.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::patch::{DiffStyle, file_diff};
use crate::prisma_project;
use crate::prisma_schema;
use crate::rules::Rule;

pub mod json;
pub mod templates;

/// The image of the plan's configuration table.
pub const IMAGE: &str = "postgres:16-alpine";
/// PostgreSQL's port, and where the search for a free one starts.
pub const DEFAULT_PORT: u16 = 5432;
/// How far past the first port the search for a free one goes.
const PORT_SEARCH: u16 = 100;
/// `max_connections` (100 by default) less `superuser_reserved_connections` (3).
pub const SERVER_SLOTS: usize = 97;

pub const COMPOSE: &str = "postgresql/docker-compose.yml";
pub const README: &str = "postgresql/README.md";
pub const ENV: &str = ".env.postgresql";
pub const GITIGNORE: &str = ".gitignore";
pub const PACKAGE_JSON: &str = "package.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageManager {
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

impl PackageManager {
    pub fn name(self) -> &'static str {
        match self {
            PackageManager::Npm => "npm",
            PackageManager::Pnpm => "pnpm",
            PackageManager::Yarn => "yarn",
            PackageManager::Bun => "bun",
        }
    }
}

/// What the caller decided (flags); `None` leaves the choice to [`plan`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub name: Option<String>,
    pub db_name: Option<String>,
    pub db_user: Option<String>,
    pub db_password: Option<String>,
    /// A fixed host port, used even when it is taken (that is said).
    pub port: Option<u16>,
    /// Where the search for a free host port starts (5432 when `None`).
    pub port_from: Option<u16>,
    pub connection_limit: Option<usize>,
    pub package_manager: Option<PackageManager>,
}

/// Everything the generated files are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub container: String,
    pub volume: String,
    pub db_name: String,
    pub db_user: String,
    pub password: String,
    pub port: u16,
    pub connection_limit: usize,
    /// How the connection limit was sized, in words.
    pub limit_reason: String,
    pub package_manager: PackageManager,
    /// The Prisma schema and its PostgreSQL copy, relative to the root.
    pub schema: String,
    pub pg_schema: String,
}

/// One file to create or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to the root, `/`-separated.
    pub path: String,
    /// The current text; `None` for a new file.
    pub before: Option<String>,
    pub after: String,
    /// Create it readable by the owner only (it holds a password).
    pub private: bool,
}

/// Something left as it is for a person to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub path: String,
    pub message: String,
}

/// What `init-postgres` would do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub settings: Settings,
    pub changes: Vec<FileChange>,
    /// Files that already hold what would be written.
    pub up_to_date: Vec<String>,
    pub conflicts: Vec<Conflict>,
    /// Choices and facts to say out loud (a port other than 5432, a missing dependency, …).
    pub notes: Vec<String>,
}

/// Whether a port of this machine is free: nothing listens on it and it can be bound.
pub fn port_is_free(port: u16) -> bool {
    use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(200)).is_ok() {
        return false;
    }
    TcpListener::bind(addr).is_ok() && TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// The first port from `from` on that `is_free` accepts.
pub fn choose_port(from: u16, is_free: &dyn Fn(u16) -> bool) -> Option<u16> {
    (from..=from.saturating_add(PORT_SEARCH)).find(|&p| is_free(p))
}

/// A name for containers and volumes: lowercase letters, digits, `-`, `_` and `.`, starting
/// with a letter or digit. `@scope/app` becomes `app`.
pub fn container_base(name: &str) -> String {
    let name = name.rsplit('/').next().unwrap_or(name);
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if out.is_empty() { "app".into() } else { out }
}

/// A PostgreSQL name that needs no quoting anywhere (URL, psql, SQL): lowercase letters,
/// digits and `_`, not starting with a digit, at most 63 bytes.
pub fn sql_name(name: &str) -> String {
    let name = name.rsplit('/').next().unwrap_or(name);
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if out.is_empty() {
        out = "app".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "db_");
    }
    out.truncate(63);
    out
}

fn valid_sql_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Characters a given password may hold: printable ASCII that no dotenv reader, compose file
/// or URL treats specially once the URL part is percent-encoded.
fn valid_password(password: &str) -> bool {
    !password.is_empty()
        && password
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '`' | '$' | '#'))
}

/// 24 random letters and digits from the operating system's generator.
pub fn random_password() -> Result<String, String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::new();
    let mut buffer = [0u8; 64];
    while out.len() < 24 {
        getrandom::fill(&mut buffer).map_err(|e| format!("no randomness for a password: {e}"))?;
        // Rejection sampling keeps every character equally likely.
        for &byte in &buffer {
            if (byte as usize) < ALPHABET.len() * 4 && out.len() < 24 {
                out.push(ALPHABET[byte as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// The pool size when the code gives none: node-postgres's default pool (`max: 10`), which
/// Prisma 7's `@prisma/adapter-pg` uses.
pub const DEFAULT_CONNECTION_LIMIT: usize = 10;

/// The pool size the project's code calls for once the Stage 5 rules have run: every queue
/// concurrency and the sync parallel limit the rules name, the database calls one app instance
/// may have in flight at once. Each number is read off the project's own files (the rule's
/// files and name): a value the rule expects becomes the rule's target, any other value is
/// taken as it is; a number the project does not have is not counted, and when it has none of
/// them the limit is [`DEFAULT_CONNECTION_LIMIT`], said to be a default.
pub fn connection_limit(root: &Path, rules: &[Rule]) -> (usize, String) {
    let wanted: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.kind == "set-number")
        .filter(|r| {
            r.imp
                .describe()
                .iter()
                .any(|(k, v)| k == "name" && (v == "concurrency" || v == "parallelLimit"))
        })
        .collect();
    if wanted.is_empty() {
        return (
            DEFAULT_CONNECTION_LIMIT,
            "a default (node-postgres's pool size), not from the code: the rules name no queue concurrency or sync parallel limit; set --connection-limit".to_string(),
        );
    }
    let paths = crate::walk::walk(root);
    let mut parts: Vec<String> = Vec::new();
    let mut total = 0;
    let mut missing: Vec<String> = Vec::new();
    for rule in wanted {
        let params: BTreeMap<String, String> = rule.imp.describe().into_iter().collect();
        let name = params.get("name").cloned().unwrap_or_default();
        let number = |key: &str| params.get(key).and_then(|v| v.parse::<f64>().ok());
        let (from, to) = (number("from"), number("to"));
        let mut found: Option<(f64, String)> = None;
        for path in paths.iter().filter(|p| rule.applies_to(&p.rel)) {
            let (Some(lang), Ok(text)) = (
                crate::source::Lang::from_path(&path.rel),
                std::fs::read_to_string(&path.abs),
            ) else {
                continue;
            };
            let Ok(parsed) = crate::source::parse(&text, lang) else {
                continue;
            };
            let lines = crate::source::LineIndex::new(&text);
            for (range, value) in crate::kinds::set_number::named_numbers(&parsed.program, &name) {
                // What the code holds once the rule has run: the rule sets the value it
                // expects, and leaves any other for a person.
                let after = if Some(value) == from {
                    to.unwrap_or(value)
                } else {
                    value
                };
                if found.as_ref().is_none_or(|(best, _)| after > *best) {
                    let line = lines.line_col(&text, range.start).0;
                    found = Some((after, format!("{}:{line}", path.rel)));
                }
            }
        }
        match found {
            Some((value, place)) if value >= 1.0 => {
                total += value as usize;
                parts.push(format!("{} ({}, {place})", value as usize, rule.id));
            }
            _ => missing.push(format!("`{name}` in {}", rule.files.join(", "))),
        }
    }
    if parts.is_empty() {
        return (
            DEFAULT_CONNECTION_LIMIT,
            format!(
                "a default (node-postgres's pool size), not from the code: none of the numbers the Stage 5 rules size the pool by is in this project ({}); set --connection-limit",
                missing.join("; ")
            ),
        );
    }
    let mut reason = format!(
        "the database calls one app instance may have in flight at once, from the code after the Stage 5 rules: {} = {total}",
        parts.join(" + ")
    );
    if !missing.is_empty() {
        reason.push_str(&format!(
            "; not in this project, so not counted: {}",
            missing.join("; ")
        ));
    }
    (total, reason)
}

/// The package manager the project uses: its lockfile, else package.json's `packageManager`.
fn detect_package_manager(root: &Path, package: Option<&json::Value>) -> (PackageManager, String) {
    let locks = [
        ("pnpm-lock.yaml", PackageManager::Pnpm),
        ("yarn.lock", PackageManager::Yarn),
        ("bun.lockb", PackageManager::Bun),
        ("bun.lock", PackageManager::Bun),
        ("package-lock.json", PackageManager::Npm),
        ("npm-shrinkwrap.json", PackageManager::Npm),
    ];
    let found: Vec<&(&str, PackageManager)> = locks
        .iter()
        .filter(|(file, _)| root.join(file).is_file())
        .collect();
    if let Some((file, pm)) = found.first() {
        let mut why = format!("{} (from {file})", pm.name());
        if found.iter().any(|(_, other)| other != pm) {
            let all: Vec<&str> = found.iter().map(|(f, _)| *f).collect();
            why.push_str(&format!(
                "; more than one lockfile ({}): --package-manager decides",
                all.join(", ")
            ));
        }
        return (*pm, why);
    }
    let declared = package
        .and_then(|p| p.get("packageManager"))
        .and_then(|m| m.value.as_str())
        .map(|s| s.split('@').next().unwrap_or("").to_string());
    let from_field = match declared.as_deref() {
        Some("pnpm") => Some(PackageManager::Pnpm),
        Some("yarn") => Some(PackageManager::Yarn),
        Some("bun") => Some(PackageManager::Bun),
        Some("npm") => Some(PackageManager::Npm),
        _ => None,
    };
    match from_field {
        Some(pm) => (pm, format!("{} (from packageManager in package.json)", pm.name())),
        None => (
            PackageManager::Npm,
            "npm: no lockfile and no packageManager in package.json (--package-manager chooses another)"
                .into(),
        ),
    }
}

/// What an earlier run left in `.env.postgresql`.
struct EarlierEnv {
    text: String,
    url: Option<crate::verify::config::DbUrl>,
    password: Option<String>,
}

fn read_earlier_env(root: &Path) -> Option<EarlierEnv> {
    let text = std::fs::read_to_string(root.join(ENV)).ok()?;
    let url = crate::verify::config::dotenv_value(&text, "DATABASE_URL")
        .and_then(|u| crate::verify::config::DbUrl::parse(&u).ok());
    let password = crate::verify::config::dotenv_value(&text, "POSTGRES_PASSWORD");
    Some(EarlierEnv {
        text,
        url,
        password,
    })
}

/// The host port an earlier compose file publishes.
fn earlier_compose_port(root: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(root.join(COMPOSE)).ok()?;
    let re = regex::Regex::new(r#"(?m)^\s*-\s*"?(?:127\.0\.0\.1:)?(\d+):5432"?\s*$"#).ok()?;
    re.captures(&text)?.get(1)?.as_str().parse().ok()
}

fn read(root: &Path, rel: &str) -> Result<Option<String>, String> {
    match std::fs::read(root.join(rel)) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{rel} is not UTF-8")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {rel}: {e}")),
    }
}

/// The PostgreSQL copy's path beside the schema: `prisma/schema.prisma` →
/// `prisma/schema.postgresql.prisma`.
pub fn postgres_schema_path(schema: &str) -> String {
    match schema.strip_suffix(".prisma") {
        Some(stem) => format!("{stem}.postgresql.prisma"),
        None => format!("{schema}.postgresql.prisma"),
    }
}

/// The PostgreSQL copy of a schema folder, beside it: `prisma/schema` →
/// `prisma/schema.postgresql` (the same depth, so relative `output` paths still hold).
pub fn postgres_folder_path(folder: &str) -> String {
    format!("{}.postgresql", folder.trim_end_matches('/'))
}

/// The package.json scripts, in order.
pub fn scripts(s: &Settings, has_dev: bool) -> Vec<(String, String)> {
    let compose = format!("docker compose -f {COMPOSE}");
    let prisma = |command: &str| {
        format!(
            "dotenv -e {ENV} -- prisma {command} --schema {}",
            s.pg_schema
        )
    };
    let pm = s.package_manager;
    let mut out = vec![
        ("pg:up".to_string(), format!("{compose} up -d --wait")),
        ("pg:down".to_string(), format!("{compose} down")),
        ("pg:logs".to_string(), format!("{compose} logs -f postgres")),
        (
            "pg:psql".to_string(),
            format!(
                "{compose} exec postgres psql -U {} -d {}",
                s.db_user, s.db_name
            ),
        ),
        ("pg:generate".to_string(), prisma("generate")),
        ("pg:push".to_string(), prisma("db push")),
        ("pg:migrate".to_string(), prisma("migrate dev")),
        ("pg:studio".to_string(), prisma("studio")),
    ];
    if has_dev {
        out.push((
            "dev:with-pg".to_string(),
            format!(
                "{} && dotenv -e {ENV} -- {}",
                pm.run("pg:generate"),
                pm.run("dev")
            ),
        ));
        let default_schema = s.schema == "prisma/schema.prisma" || s.schema == "schema.prisma";
        let generate = if default_schema {
            "prisma generate".to_string()
        } else {
            format!("prisma generate --schema {}", s.schema)
        };
        out.push((
            "dev:with-sqlite".to_string(),
            format!("{generate} && {}", pm.run("dev")),
        ));
    }
    out
}

/// Plans the scaffolding for the project at `root`. `stage5` are the Stage 5 rules (for the
/// connection limit and the README's list of workarounds); `is_free` says whether a port of
/// this machine is free.
pub fn plan(
    root: &Path,
    options: &Options,
    stage5: &[Rule],
    is_free: &dyn Fn(u16) -> bool,
) -> Result<Plan, String> {
    if !root.is_dir() {
        return Err(format!(
            "{} is not a directory; pass the project root",
            root.display()
        ));
    }
    let mut notes = Vec::new();
    let conflicts = Vec::new();

    let package_text = read(root, PACKAGE_JSON)?.ok_or_else(|| {
        format!(
            "no package.json in {}: init-postgres sets up a Node.js project",
            root.display()
        )
    })?;
    let package =
        json::parse(&package_text).map_err(|e| format!("package.json is not valid JSON: {e}"))?;
    if package.members().is_none() {
        return Err("package.json is not a JSON object".into());
    }
    let project = prisma_project::locate(root, None)
        .map_err(|e| format!("the Prisma schema: {e}"))?
        .ok_or_else(|| {
            "no Prisma schema (prisma.config.ts `schema`, package.json prisma.schema, prisma/schema.prisma, schema.prisma): init-postgres sets up a Prisma project".to_string()
        })?;
    let schema = prisma_project::slash(&project.schema);
    let pg_schema = if project.schema_is_folder {
        postgres_folder_path(&schema)
    } else {
        postgres_schema_path(&schema)
    };
    if project.found_by != prisma_project::FoundBy::DefaultPath || project.schema_is_folder {
        notes.push(format!("Prisma schema: {}", project.describe()));
    }

    let earlier = read_earlier_env(root);
    let earlier_url = earlier.as_ref().and_then(|e| e.url.clone());

    let project_name = options
        .name
        .clone()
        .or_else(|| {
            package
                .get("name")
                .and_then(|m| m.value.as_str().map(str::to_string))
        })
        .or_else(|| {
            std::fs::canonicalize(root)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_else(|| "app".into());
    let base = container_base(&project_name);

    let pick_name = |flag: &Option<String>,
                     earlier: Option<String>,
                     what: &str|
     -> Result<String, String> {
        match flag {
            Some(given) if valid_sql_name(given) => Ok(given.clone()),
            Some(given) => Err(format!(
                "--{what} `{given}`: use lowercase letters, digits and `_`, starting with a letter or `_` (at most 63), e.g. `{}`",
                sql_name(given)
            )),
            None => Ok(earlier.unwrap_or_else(|| sql_name(&project_name))),
        }
    };
    let db_name = pick_name(
        &options.db_name,
        earlier_url.as_ref().and_then(|u| u.dbname.clone()),
        "db-name",
    )?;
    let db_user = pick_name(
        &options.db_user,
        earlier_url.as_ref().and_then(|u| u.user.clone()),
        "db-user",
    )?;

    let password = match &options.db_password {
        Some(given) if valid_password(given) => given.clone(),
        Some(_) => {
            return Err(
                "--db-password: use printable ASCII without spaces, quotes, `\\`, `$` or `#` (they mean something to dotenv and compose files)".into(),
            );
        }
        None => match earlier.as_ref().and_then(|e| e.password.clone()) {
            Some(kept) => kept,
            None => random_password()?,
        },
    };

    let earlier_port = earlier_url
        .as_ref()
        .and_then(|u| u.hosts.first().map(|(_, port)| *port))
        .or_else(|| earlier_compose_port(root));
    let port = match (options.port, earlier_port) {
        (Some(port), _) => {
            if !is_free(port) {
                notes.push(format!(
                    "port {port} is in use on this machine: the container cannot publish it until it is free (kept because --port asked for it)"
                ));
            }
            port
        }
        (None, Some(port)) if options.port_from.is_none() => port,
        _ => {
            let from = options.port_from.unwrap_or(DEFAULT_PORT);
            let port = choose_port(from, is_free).ok_or_else(|| {
                format!(
                    "no free port from {from} to {}: pass --port",
                    from.saturating_add(PORT_SEARCH)
                )
            })?;
            if port != from {
                notes.push(format!(
                    "port {from} is taken on this machine, so PostgreSQL gets port {port} (the plan's risk 1): the compose file publishes 127.0.0.1:{port} and DATABASE_URL says localhost:{port}"
                ));
            }
            port
        }
    };

    let (mut limit, mut limit_reason) = connection_limit(root, stage5);
    if let Some(given) = options.connection_limit {
        limit = given.max(1);
        limit_reason = "set with --connection-limit".into();
    } else if let Some(kept) = earlier_url.as_ref().and_then(|u| u.connection_limit()) {
        if kept != limit {
            limit_reason =
                format!("as .env.postgresql already says (the code would size it {limit})");
        }
        limit = kept;
    }
    if limit > SERVER_SLOTS {
        notes.push(format!(
            "connection_limit {limit} is more than PostgreSQL's default {SERVER_SLOTS} connection slots (max_connections 100 less 3 reserved): lowered to {SERVER_SLOTS}; raise max_connections to use more"
        ));
        limit = SERVER_SLOTS;
        limit_reason.push_str(&format!(", lowered to the server's {SERVER_SLOTS} slots"));
    }

    let (package_manager, pm_why) = match options.package_manager {
        Some(pm) => (pm, format!("{} (--package-manager)", pm.name())),
        None => detect_package_manager(root, Some(&package)),
    };
    notes.push(format!("scripts use {pm_why}"));

    let settings = Settings {
        container: format!("{base}-postgresql"),
        volume: format!("{base}-postgresql-data"),
        db_name,
        db_user,
        password,
        port,
        connection_limit: limit,
        limit_reason,
        package_manager,
        schema: schema.clone(),
        pg_schema: pg_schema.clone(),
    };

    let mut out = Outcome {
        conflicts,
        ..Outcome::default()
    };
    // Stage 1: the compose file.
    out.whole_file(root, COMPOSE, templates::compose(&settings), false)?;

    // Stage 7: the README.
    let workarounds: Vec<(String, String)> = stage5
        .iter()
        .map(|r| (r.id.to_string(), r.message.clone()))
        .collect();
    out.whole_file(
        root,
        README,
        templates::readme(&settings, &workarounds),
        false,
    )?;

    // Stage 3: .env.postgresql. One an earlier run (or a person) wrote is kept as long as it
    // has what the other files rely on.
    let env_text = templates::env_file(&settings);
    match &earlier {
        None => out.whole_file(root, ENV, env_text, true)?,
        Some(e) if e.text == env_text => out.up_to_date.push(ENV.to_string()),
        Some(e) => {
            let mut missing = Vec::new();
            if e.url.is_none() {
                missing.push("a PostgreSQL DATABASE_URL");
            }
            if e.password.is_none() {
                missing.push("POSTGRES_PASSWORD (the compose file reads it)");
            }
            let flags_differ = e.url.as_ref().is_some_and(|u| {
                u.dbname.as_deref() != Some(&settings.db_name)
                    || u.user.as_deref() != Some(&settings.db_user)
                    || u.hosts.first().map(|h| h.1) != Some(settings.port)
            }) || e.password.as_ref().is_some_and(|p| *p != settings.password);
            if !missing.is_empty() {
                out.conflicts.push(Conflict {
                    path: ENV.into(),
                    message: format!(
                        "exists without {}: left as it is; add it, or remove the file to have it written",
                        missing.join(" and ")
                    ),
                });
            } else if flags_differ {
                out.conflicts.push(Conflict {
                    path: ENV.into(),
                    message: "exists with another database, user, port or password than the flags give: left as it is".into(),
                });
            } else {
                out.up_to_date.push(ENV.to_string());
            }
        }
    }

    // .env.postgresql stays out of git.
    match gitignore_change(root)? {
        Some(change) => out.changes.push(change),
        None => out.up_to_date.push(GITIGNORE.to_string()),
    }

    // Stage 3: the PostgreSQL copy of the schema: every file of it, the datasource's provider
    // swapped in the file that holds it.
    let datasource = project.datasource().ok_or_else(|| {
        format!(
            "{schema}: no `datasource` block with a `provider = \"…\"` line in the Prisma schema"
        )
    })?;
    let old_provider = datasource.provider.clone();
    if old_provider != "sqlite" {
        notes.push(format!(
            "{schema} names the provider `{old_provider}`, not sqlite: the copy still gets `postgresql`"
        ));
    }
    for (index, file) in project.files.iter().enumerate() {
        let from = prisma_project::slash(&file.path);
        let target = if project.schema_is_folder {
            let below = from
                .strip_prefix(schema.trim_end_matches('/'))
                .unwrap_or(&from)
                .trim_start_matches('/');
            format!("{pg_schema}/{below}")
        } else {
            pg_schema.clone()
        };
        let text = if index == datasource.file {
            let copy =
                prisma_schema::postgresql_copy(&file.text).map_err(|e| format!("{from}: {e}"))?;
            notes.extend(copy.notes.iter().map(|n| format!("{from}: {n}")));
            copy.text
        } else {
            file.text.clone()
        };
        match read(root, &target)? {
            None => out.changes.push(FileChange {
                path: target.clone(),
                before: None,
                after: text,
                private: false,
            }),
            Some(current) if current == text => out.up_to_date.push(target.clone()),
            Some(_) => out.conflicts.push(Conflict {
                path: target.clone(),
                message: if index == datasource.file {
                    format!(
                        "is no longer {from} with the provider `postgresql`: left as it is; bring the two in step by hand (or remove it to have it copied again)"
                    )
                } else {
                    format!(
                        "is no longer the same as {from}: left as it is; bring the two in step by hand (or remove it to have it copied again)"
                    )
                },
            }),
        }
    }
    if let Some(config) = &project.config
        && let Some(prisma_project::UrlSetting::Literal(url)) = &config.facts.datasource_url
    {
        notes.push(format!(
            "{}: the datasource url is the literal \"{url}\", not env(\"DATABASE_URL\"): the pg:* scripts set DATABASE_URL from .env.postgresql, which a literal ignores; read it from the environment there",
            prisma_project::slash(&config.path)
        ));
    }
    // The record of where the move starts: `pgshift check` reads it once the schema it came
    // from is gone (crate::packs).
    if old_provider == "sqlite" {
        out.whole_file(
            root,
            crate::packs::MOVE_RECORD,
            crate::packs::move_record(&old_provider, &schema),
            false,
        )?;
    }
    // Prisma keeps `migrations/` beside the schema file that holds the datasource.
    let schema_dir = root.join(
        project.files[datasource.file]
            .path
            .parent()
            .unwrap_or(Path::new("")),
    );
    let lock = schema_dir.join("migrations/migration_lock.toml");
    if let Ok(text) = std::fs::read_to_string(&lock)
        && text.contains("\"sqlite\"")
    {
        notes.push(format!(
            "{} says sqlite: `pg:migrate` (prisma migrate dev) refuses to run beside it; use `pg:push`, or move the SQLite migrations aside",
            lock.strip_prefix(root).unwrap_or(&lock).display()
        ));
    }

    // Stage 2: the package.json scripts.
    let has_dev = package
        .get("scripts")
        .and_then(|s| s.value.get("dev"))
        .is_some();
    if !has_dev {
        notes.push(
            "package.json has no `dev` script: dev:with-pg and dev:with-sqlite are not added"
                .into(),
        );
    }
    let wanted = scripts(&settings, has_dev);
    let (package_after, script_conflicts) = add_scripts(&package_text, &package, &wanted)?;
    out.conflicts.extend(script_conflicts);
    match package_after {
        Some(after) => out.changes.push(FileChange {
            path: PACKAGE_JSON.into(),
            before: Some(package_text.clone()),
            after,
            private: false,
        }),
        None => out.up_to_date.push(PACKAGE_JSON.into()),
    }
    let has_dotenv = ["dependencies", "devDependencies"].iter().any(|section| {
        package
            .get(section)
            .and_then(|d| d.value.get("dotenv-cli"))
            .is_some()
    });
    if !has_dotenv {
        notes.push(format!(
            "the scripts read .env.postgresql with `dotenv`, from the dotenv-cli package, which package.json does not list: run `{}`",
            package_manager.install_dev("dotenv-cli")
        ));
    }
    let seed = [
        schema_dir.join("seed.ts"),
        root.join(&schema).with_file_name("seed.ts"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .unwrap_or_else(|| schema_dir.join("seed.ts"));
    if seed.is_file()
        && package
            .get("prisma")
            .and_then(|p| p.value.get("seed"))
            .is_none()
    {
        notes.push(format!(
            "{} is not package.json's prisma.seed: seed PostgreSQL with `dotenv -e {ENV} -- npx tsx {}` after `{}`",
            seed.strip_prefix(root).unwrap_or(&seed).display(),
            seed.strip_prefix(root).unwrap_or(&seed).display(),
            package_manager.run("pg:push")
        ));
    }

    out.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan {
        settings,
        changes: out.changes,
        up_to_date: out.up_to_date,
        conflicts: out.conflicts,
        notes,
    })
}

/// The plan's file lists while they are being made.
#[derive(Default)]
struct Outcome {
    changes: Vec<FileChange>,
    up_to_date: Vec<String>,
    conflicts: Vec<Conflict>,
}

impl Outcome {
    /// A file `init-postgres` owns whole: created when missing, reported when it differs.
    fn whole_file(
        &mut self,
        root: &Path,
        path: &str,
        after: String,
        private: bool,
    ) -> Result<(), String> {
        match read(root, path)? {
            None => self.changes.push(FileChange {
                path: path.to_string(),
                before: None,
                after,
                private,
            }),
            Some(current) if current == after => self.up_to_date.push(path.to_string()),
            Some(_) => self.conflicts.push(Conflict {
                path: path.to_string(),
                message:
                    "exists with other content: left as it is (remove it to have it written again)"
                        .into(),
            }),
        }
        Ok(())
    }
}

/// The `.gitignore` change that keeps `.env.postgresql` out of git, or `None` when the file
/// already ignores it.
fn gitignore_change(root: &Path) -> Result<Option<FileChange>, String> {
    let current = read(root, GITIGNORE)?;
    if let Some(text) = &current {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
        for line in text.lines() {
            let _ = builder.add_line(None, line);
        }
        if let Ok(matcher) = builder.build()
            && matcher.matched(root.join(ENV), false).is_ignore()
        {
            return Ok(None);
        }
    }
    let before = current.clone().unwrap_or_default();
    let eol = if before.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut after = before.clone();
    if !after.is_empty() && !after.ends_with('\n') {
        after.push_str(eol);
    }
    if !after.is_empty() {
        after.push_str(eol);
    }
    after.push_str(&format!(
        "# PostgreSQL credentials (pgshift init-postgres){eol}{ENV}{eol}"
    ));
    Ok(Some(FileChange {
        path: GITIGNORE.into(),
        before: current,
        after,
        private: false,
    }))
}

/// package.json with the scripts that are missing added; `None` when none is missing. A script
/// that exists with other content is a conflict and stays as it is.
fn add_scripts(
    text: &str,
    document: &json::Value,
    wanted: &[(String, String)],
) -> Result<(Option<String>, Vec<Conflict>), String> {
    let mut conflicts = Vec::new();
    let existing = document.get("scripts");
    if let Some(scripts) = existing
        && scripts.value.members().is_none()
    {
        return Err("package.json's `scripts` is not an object".into());
    }
    let mut missing = Vec::new();
    for (name, command) in wanted {
        match existing.and_then(|s| s.value.get(name)) {
            None => missing.push((name.clone(), json::json_string(command))),
            Some(found) if found.value.as_str() == Some(command) => {}
            Some(found) => conflicts.push(Conflict {
                path: PACKAGE_JSON.into(),
                message: format!(
                    "script `{name}` is `{}`, not `{command}`: left as it is",
                    found
                        .value
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| text[found.value.range.clone()].to_string())
                ),
            }),
        }
    }
    if missing.is_empty() {
        return Ok((None, conflicts));
    }
    let unit = json::top_level_indent(text, document);
    let after = match existing {
        Some(scripts) => {
            let indent = text[..scripts.key_range.start]
                .rsplit('\n')
                .next()
                .filter(|s| s.chars().all(|c| c == ' ' || c == '\t'))
                .unwrap_or(&unit)
                .to_string();
            json::insert_members(text, &scripts.value, &indent, &unit, &missing)
        }
        None => {
            let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
            let mut object = String::from("{");
            for (i, (name, command)) in missing.iter().enumerate() {
                object.push_str(if i == 0 { "" } else { "," });
                object.push_str(&format!(
                    "{eol}{unit}{unit}{}: {command}",
                    json::json_string(name)
                ));
            }
            object.push_str(&format!("{eol}{unit}}}"));
            json::insert_members(
                text,
                document,
                "",
                &unit,
                &[("scripts".to_string(), object)],
            )
        }
    };
    json::parse(&after).map_err(|e| format!("internal error: package.json edit broke it: {e}"))?;
    Ok((Some(after), conflicts))
}

impl Plan {
    /// The planned changes as one patch `git apply` takes in the project root: new files as
    /// `--- /dev/null` creations, changed files as ordinary diffs.
    pub fn patch(&self, style: DiffStyle) -> String {
        let mut out = String::new();
        for change in &self.changes {
            match &change.before {
                Some(before) => {
                    out.push_str(&file_diff(&change.path, before, &change.after, &[], style))
                }
                None => {
                    let diff = file_diff(&change.path, "", &change.after, &[], style);
                    let h = style.header;
                    out.push_str(&format!(
                        "{h}diff --git a/{p} b/{p}{h:#}\n{h}new file mode 100644{h:#}\n{h}--- /dev/null{h:#}\n",
                        p = change.path
                    ));
                    // file_diff's own `--- a/…` line is the first; the rest stays.
                    let rest = diff.split_once('\n').map_or("", |(_, rest)| rest);
                    out.push_str(rest);
                }
            }
        }
        out
    }
}

/// Why writing a change failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Changed {
        path: String,
        source: crate::write::WriteError,
    },
    #[error("{0}: appeared while pgshift ran; run again")]
    Appeared(String),
}

/// Writes the planned changes under `root`: a changed file atomically through
/// [`crate::write::write_atomically`] (only if it still holds what was planned from), a new file
/// through a temporary file renamed into place without replacing anything.
pub fn write(root: &Path, changes: &[FileChange]) -> Vec<WriteError> {
    let mut errors = Vec::new();
    for change in changes {
        let path = root.join(&change.path);
        let result =
            match &change.before {
                Some(before) => crate::write::write_atomically(&path, before, &change.after)
                    .map_err(|source| WriteError::Changed {
                        path: change.path.clone(),
                        source,
                    }),
                None => create_new(&path, &change.after, change.private).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::AlreadyExists {
                        WriteError::Appeared(change.path.clone())
                    } else {
                        WriteError::Io {
                            path: change.path.clone(),
                            source: e,
                        }
                    }
                }),
            };
        if let Err(error) = result {
            errors.push(error);
        }
    }
    errors
}

/// Creates `path` with `contents`: a temporary file beside it, synced, then linked into place
/// only if nothing is there yet. Missing folders are made.
pub fn create_new(path: &Path, contents: &str, private: bool) -> std::io::Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir)?;
    let mut temp = temp_in(&dir)?;
    temp.write_all(contents.as_bytes())?;
    temp.as_file().sync_all()?;
    set_mode(temp.path(), private)?;
    temp.persist_noclobber(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `path` whole, replacing what is there, through a temporary file and a rename.
pub fn replace_file(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir)?;
    let mut temp = temp_in(&dir)?;
    temp.write_all(contents.as_bytes())?;
    temp.as_file().sync_all()?;
    if let Ok(metadata) = std::fs::metadata(path) {
        std::fs::set_permissions(temp.path(), metadata.permissions())?;
    } else {
        set_mode(temp.path(), false)?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(".pgshift-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// New files get the usual 0644 (tempfile makes them 0600), or stay 0600 when private.
fn set_mode(path: &Path, private: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if private { 0o600 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, private);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised() {
        assert_eq!(container_base("materio"), "materio");
        assert_eq!(container_base("@acme/Media Library!"), "media-library");
        assert_eq!(container_base("---"), "app");
        assert_eq!(sql_name("materio"), "materio");
        assert_eq!(sql_name("@acme/media-lib"), "media_lib");
        assert_eq!(sql_name("3d-viewer"), "db_3d_viewer");
        assert_eq!(sql_name("Ünï"), "n");
        assert_eq!(sql_name(&"a".repeat(80)).len(), 63);
        assert!(valid_sql_name("materio_2"));
        assert!(!valid_sql_name("Materio"));
        assert!(!valid_sql_name("2x"));
    }

    #[test]
    fn the_first_free_port_is_chosen() {
        let taken = [5432u16, 5433];
        let free = |p: u16| !taken.contains(&p);
        assert_eq!(choose_port(5432, &free), Some(5434));
        assert_eq!(choose_port(6000, &free), Some(6000));
        assert_eq!(choose_port(7000, &|_| false), None);
    }

    #[test]
    fn passwords_are_random_and_plain() {
        let a = random_password().unwrap();
        let b = random_password().unwrap();
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(valid_password(&a));
        assert!(!valid_password("has space"));
        assert!(!valid_password("dollar$"));
    }

    fn stage5() -> Vec<Rule> {
        crate::rules::load_pack(
            crate::rules::BUILTIN_STAGE5.0,
            crate::rules::BUILTIN_STAGE5.1,
        )
        .unwrap()
    }

    #[test]
    fn the_connection_limit_comes_from_the_code() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stage5/before");
        let (limit, reason) = connection_limit(&fixture, &stage5());
        assert_eq!(limit, 10 + 8 + 5 + 20);
        assert!(
            reason.contains("from the code after the Stage 5 rules"),
            "{reason}"
        );
        for part in [
            "10 (queue-concurrency-processing, src/services/media/queue/MediaProcessingQueue.ts:37",
            "+ 8 (queue-concurrency-sync, ",
            "+ 5 (queue-concurrency-watermark, ",
            "+ 20 (sync-parallel-limit, src/services/media/sync/MediaSyncService.ts:",
            "= 43",
        ] {
            assert!(reason.contains(part), "{part} not in {reason}");
        }
        assert!(!reason.contains("not counted"), "{reason}");
    }

    #[test]
    fn without_the_queue_files_the_connection_limit_is_a_default_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/app.ts"),
            "export const concurrency = 3;\n",
        )
        .unwrap();
        let (limit, reason) = connection_limit(dir.path(), &stage5());
        assert_eq!(limit, DEFAULT_CONNECTION_LIMIT);
        assert!(reason.starts_with("a default"), "{reason}");
        assert!(reason.contains("not from the code"), "{reason}");
        assert!(
            reason.contains("`concurrency` in MediaProcessingQueue.ts"),
            "{reason}"
        );
        assert!(reason.contains("set --connection-limit"), "{reason}");

        // One of the files: its number counts, the others are said to be missing.
        std::fs::write(
            dir.path().join("src/MediaSyncService.ts"),
            "export class S {\n  private parallelLimit = 5;\n}\n",
        )
        .unwrap();
        let (limit, reason) = connection_limit(dir.path(), &stage5());
        assert_eq!(limit, 20, "{reason}");
        assert!(
            reason.contains("20 (sync-parallel-limit, src/MediaSyncService.ts:2) = 20"),
            "{reason}"
        );
        assert!(
            reason.contains(
                "not in this project, so not counted: `concurrency` in MediaProcessingQueue.ts"
            ),
            "{reason}"
        );
    }

    #[test]
    fn postgres_schema_beside_the_schema() {
        assert_eq!(
            postgres_schema_path("prisma/schema.prisma"),
            "prisma/schema.postgresql.prisma"
        );
        assert_eq!(
            postgres_schema_path("db/app.prisma"),
            "db/app.postgresql.prisma"
        );
    }
}
