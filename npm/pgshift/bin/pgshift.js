#!/usr/bin/env node
// The `pgshift` command of the npm package: finds the platform package npm installed (one of
// the optional dependencies, picked by its `os`/`cpu`/`libc` fields) and runs its binary with
// the same arguments and stdio, then exits the way the binary did: same exit code, or the same
// signal. No download happens at install time or here.
//
// PGSHIFT_BINARY=/path/to/pgshift runs that binary instead (a local `cargo build`, say).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

/** The platform packages, by `process.platform-process.arch[-libc]`. */
const PACKAGES = {
  'darwin-arm64': '@pgshift/cli-darwin-arm64',
  'darwin-x64': '@pgshift/cli-darwin-x64',
  'linux-arm64-glibc': '@pgshift/cli-linux-arm64-gnu',
  'linux-x64-glibc': '@pgshift/cli-linux-x64-gnu',
  'linux-x64-musl': '@pgshift/cli-linux-x64-musl',
  'win32-x64': '@pgshift/cli-win32-x64-msvc',
};

/** Exit code for the launcher's own failures; pgshift uses 2 for errors too. */
const ERROR_EXIT = 2;

function manifest() {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  } catch (_) {
    return {};
  }
}

/** glibc or musl on Linux, from the C library Node itself runs on; null elsewhere. */
function detectLibc() {
  if (process.platform !== 'linux') {
    return { libc: null, how: '' };
  }
  try {
    if (process.report && 'excludeNetwork' in process.report) {
      // The report would otherwise look up the host's network interfaces.
      process.report.excludeNetwork = true;
    }
    const report = process.report.getReport();
    const header = (typeof report === 'string' ? JSON.parse(report) : report).header;
    if (header.glibcVersionRuntime) {
      return {
        libc: 'glibc',
        how: `process.report's header has glibcVersionRuntime ${header.glibcVersionRuntime}`,
      };
    }
    return { libc: 'musl', how: "process.report's header has no glibcVersionRuntime" };
  } catch (error) {
    return { libc: 'glibc', how: `process.report is unavailable (${error.message}); assumed glibc` };
  }
}

function platformKey(libc) {
  const key = `${process.platform}-${process.arch}`;
  return libc ? `${key}-${libc}` : key;
}

function binaryName() {
  return process.platform === 'win32' ? 'pgshift.exe' : 'pgshift';
}

/** The binary to run, or a message saying why there is none. */
function locate() {
  if (process.env.PGSHIFT_BINARY) {
    return { binary: process.env.PGSHIFT_BINARY, from: 'PGSHIFT_BINARY' };
  }
  const { libc, how } = detectLibc();
  const key = platformKey(libc);
  const wanted = PACKAGES[key];
  if (wanted) {
    let packageJson = null;
    try {
      packageJson = require.resolve(`${wanted}/package.json`);
    } catch (_) {
      // Not installed: reported below.
    }
    if (packageJson) {
      const binary = path.join(path.dirname(packageJson), binaryName());
      if (fs.existsSync(binary)) {
        return { binary, from: wanted };
      }
      return { message: `pgshift: ${wanted} is installed but holds no ${binaryName()} (${binary}); reinstall it.` };
    }
  }
  return { message: notFound(key, libc, how, wanted) };
}

function notFound(key, libc, how, wanted) {
  const own = manifest();
  const version = own.version || 'latest';
  const repository = (own.repository && (own.repository.url || own.repository)) || '';
  const gitUrl = String(repository).replace(/^git\+/, '') || "<pgshift's git repository URL>";
  const detected = [
    `process.platform=${process.platform}`,
    `process.arch=${process.arch}`,
    ...(libc ? [`libc=${libc} (${how})`] : []),
  ].join(', ');
  const lines = [`pgshift: no pgshift binary for this platform (${key}).`, `Detected: ${detected}.`];
  if (wanted) {
    lines.push(
      `The package built for it, ${wanted}, is not installed. npm installs it as an optional`,
      'dependency of pgshift; it is left out when optional dependencies are omitted',
      '(--omit=optional, --no-optional, yarn --ignore-optional) or when the lockfile was written',
      'on another platform. Install it explicitly:',
      `  npm install -D ${wanted}@${version}`,
    );
  } else {
    lines.push(
      'No prebuilt binary is published for it. Prebuilt packages:',
      ...Object.entries(PACKAGES).map(([k, name]) => `  ${name.padEnd(30)} ${k}`),
    );
  }
  lines.push(
    'Or build pgshift from source (Rust toolchain: https://rustup.rs):',
    `  cargo install --locked --git ${gitUrl} pgshift`,
    '  cargo install --locked --path .        (in a clone of the repository)',
    'and run that binary, or point this launcher at it: PGSHIFT_BINARY=/path/to/pgshift npx pgshift …',
  );
  return lines.join('\n');
}

/**
 * Whether a SIGINT the launcher got has reached pgshift already: Ctrl-C in a terminal signals the
 * whole foreground process group, and the binary shares the launcher's group. Forwarding it
 * again would be a second interrupt (which makes `pgshift verify` skip its cleanup).
 */
function terminalAlsoSignalledChild() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const foreground = Number(fields[5]);
    return foreground > 0 && foreground === pgrp;
  } catch (_) {
    // No /proc (macOS): a launcher attached to a terminal is taken to be in its foreground.
    return Boolean(process.stdin.isTTY || process.stderr.isTTY);
  }
}

function run(binary, from) {
  // PGSHIFT_LAUNCHER tells `pgshift hook install` which `pgshift` on PATH is this launcher.
  const env = { ...process.env, PGSHIFT_LAUNCHER: __filename };
  const child = spawn(binary, process.argv.slice(2), { stdio: 'inherit', env });
  const handlers = new Map();
  // On Windows the console sends Ctrl-C to pgshift itself, and child.kill() would terminate it
  // outright: the launcher only keeps itself alive until pgshift has finished.
  const forwarded = process.platform === 'win32' ? ['SIGINT'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of forwarded) {
    const handler = () => {
      if (process.platform === 'win32') return;
      if (signal === 'SIGINT' && terminalAlsoSignalledChild()) return;
      child.kill(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  child.on('error', (error) => {
    const source = from === 'PGSHIFT_BINARY' ? `PGSHIFT_BINARY=${binary}` : binary;
    process.stderr.write(`pgshift: could not run ${source}: ${error.message}\n`);
    process.exit(ERROR_EXIT);
  });
  child.on('exit', (code, signal) => {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
    if (signal) {
      // End the same way, so that a shell or CI sees the signal and not an exit code.
      process.kill(process.pid, signal);
      // Still here: Node ignores this signal (SIGPIPE, say). Exit as a shell reports it.
      process.exit(128 + (os.constants.signals[signal] || 0));
    }
    process.exit(code);
  });
}

function main() {
  const found = locate();
  if (found.message) {
    process.stderr.write(`${found.message}\n`);
    process.exit(ERROR_EXIT);
  }
  run(found.binary, found.from);
}

if (require.main === module) {
  main();
}

module.exports = { PACKAGES, platformKey, detectLibc };
