//! What the project runs: the Node binary, the Prisma CLI and client installed in the
//! project's `node_modules` (their versions, the query engine they use), the driver adapters
//! the code constructs with their pool options, and the sync's shape (a transaction per batch
//! or per object), all read from `package.json` files and the code (swc), never guessed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;
use swc_ecma_ast::{ArrowExpr, ArrowFunctionBody, CallExpr, Callee, Expr, Function, NewExpr, Stmt};
use swc_ecma_visit::{Visit, VisitWith};

use super::super::workload::Pattern;
use crate::kinds::ast::{member_name, number_value, prop_name_is, range_of, unwrap};
use crate::source::{self, Lang, LineIndex};
use crate::walk;

/// How the client reaches the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueryEngine {
    /// Prisma 7, or 6.16+ with `engineType = "client"`: the query compiler (WebAssembly) and a
    /// driver adapter.
    Client,
    /// Prisma ≤ 6's native query engine (a Node-API library or a binary).
    Native,
}

/// A driver adapter: the package the code constructs and what it passes.
#[derive(Debug, Clone, Serialize)]
pub struct Adapter {
    /// `@prisma/adapter-pg`.
    pub package: String,
    /// The class: `PrismaPg`.
    pub export: String,
    /// The installed version (None: not installed in the project).
    pub version: Option<String>,
    /// `file:line` of `new PrismaPg(…)` in the code (None: the code does not construct it).
    pub constructed_at: Option<String>,
    /// pg.Pool options found with it: `max`, `connectionTimeoutMillis`, `idleTimeoutMillis`.
    pub max: Option<u64>,
    pub connection_timeout_ms: Option<u64>,
    pub idle_timeout_ms: Option<u64>,
    /// better-sqlite3 adapter's `timeout` (busy timeout, ms).
    pub busy_timeout_ms: Option<u64>,
}

/// The Prisma the project has.
#[derive(Debug, Clone, Serialize)]
pub struct PrismaSetup {
    /// `prisma` (the CLI) as installed, and its major version.
    pub prisma_version: Option<String>,
    /// `@prisma/client` as installed (or as package.json asks for it when not installed).
    pub client_version: Option<String>,
    pub client_installed: bool,
    pub major: Option<u32>,
    pub query_engine: QueryEngine,
    /// Where `engineType`/the version decided the query engine.
    pub engine_source: String,
    pub pg_adapter: Option<Adapter>,
    pub sqlite_adapter: Option<Adapter>,
    pub node_modules: Option<PathBuf>,
    pub tsx: Option<PathBuf>,
    /// A native query engine library found in node_modules (≤ 6).
    pub native_engine: Option<PathBuf>,
}

/// `node` and its version.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub path: PathBuf,
    pub version: String,
}

/// Finds `node`: `PGSHIFT_NODE`, else `node` on PATH.
pub fn node() -> Result<Node, String> {
    let path = std::env::var_os("PGSHIFT_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("node"));
    let output = Command::new(&path).arg("--version").output().map_err(|e| {
        format!(
            "cannot run `{}` ({e}): is Node.js installed and on PATH?",
            path.display()
        )
    })?;
    if !output.status.success() {
        return Err(format!("`{} --version` failed", path.display()));
    }
    Ok(Node {
        path,
        version: String::from_utf8_lossy(&output.stdout).trim().to_string(),
    })
}

fn package_version(node_modules: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(node_modules.join(package).join("package.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["version"].as_str().map(str::to_string)
}

fn declared(root: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join("package.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["dependencies", "devDependencies"]
        .iter()
        .find_map(|section| {
            value[section][package]
                .as_str()
                .map(|v| v.trim_start_matches(['^', '~', '=', 'v']).to_string())
        })
}

fn major_of(version: &str) -> Option<u32> {
    version.split('.').next()?.parse().ok()
}

fn minor_of(version: &str) -> Option<u32> {
    version.split('.').nth(1)?.parse().ok()
}

/// The schema file: `schema` in prisma.config.ts, package.json's `prisma.schema`, else the
/// usual places.
fn schema_text(root: &Path) -> Option<String> {
    let mut candidates = Vec::new();
    for config in ["prisma.config.ts", "prisma.config.mts", "prisma.config.js"] {
        if let Ok(text) = std::fs::read_to_string(root.join(config))
            && let Some(at) = text.find("schema:")
        {
            let rest = &text[at + 7..];
            let quote = rest.find(['\'', '"'])?;
            let q = rest.as_bytes()[quote] as char;
            let end = rest[quote + 1..].find(q)?;
            candidates.push(root.join(&rest[quote + 1..quote + 1 + end]));
        }
    }
    candidates.push(root.join("prisma/schema.prisma"));
    candidates.push(root.join("schema.prisma"));
    candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
}

/// `engineType = "client"` in a generator block.
fn engine_type_client(schema: &str) -> bool {
    schema.lines().any(|line| {
        let line = line.trim();
        line.starts_with("engineType")
            && line
                .split('=')
                .nth(1)
                .is_some_and(|v| v.trim().trim_matches('"') == "client")
    })
}

const PG_ADAPTER: (&str, &str) = ("@prisma/adapter-pg", "PrismaPg");
const SQLITE_ADAPTER: (&str, &str) = ("@prisma/adapter-better-sqlite3", "PrismaBetterSqlite3");

/// Reads what is installed and what the code constructs.
pub fn prisma(root: &Path) -> PrismaSetup {
    let absolute = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let node_modules = absolute.join("node_modules");
    let node_modules = node_modules.is_dir().then_some(node_modules);
    let installed = |package: &str| {
        node_modules
            .as_deref()
            .and_then(|nm| package_version(nm, package))
    };
    let prisma_version = installed("prisma");
    let client_installed_version = installed("@prisma/client");
    let client_installed = client_installed_version.is_some();
    let client_version = client_installed_version.or_else(|| declared(root, "@prisma/client"));
    let major = client_version
        .as_deref()
        .or(prisma_version.as_deref())
        .and_then(major_of);
    let schema = schema_text(root).unwrap_or_default();
    let (query_engine, engine_source) = match (major, client_version.as_deref()) {
        (Some(m), _) if m >= 7 => (
            QueryEngine::Client,
            format!("Prisma {m}: query compiler and driver adapter"),
        ),
        (Some(6), Some(v)) if minor_of(v).unwrap_or(0) >= 16 && engine_type_client(&schema) => (
            QueryEngine::Client,
            "engineType = \"client\" in the schema's generator".to_string(),
        ),
        _ => (
            QueryEngine::Native,
            "Prisma ≤ 6 without engineType = \"client\": the native query engine".to_string(),
        ),
    };
    let constructed = constructed_adapters(root);
    let adapter = |(package, export): (&str, &str)| -> Option<Adapter> {
        let version = installed(package);
        let found = constructed.iter().find(|c| c.export == export);
        if version.is_none() && found.is_none() {
            return None;
        }
        Some(Adapter {
            package: package.to_string(),
            export: export.to_string(),
            version,
            constructed_at: found.map(|c| c.place.clone()),
            max: found.and_then(|c| c.max),
            connection_timeout_ms: found.and_then(|c| c.connection_timeout_ms),
            idle_timeout_ms: found.and_then(|c| c.idle_timeout_ms),
            busy_timeout_ms: found.and_then(|c| c.busy_timeout_ms),
        })
    };
    let native_engine = node_modules.as_deref().and_then(find_native_engine);
    let tsx = node_modules
        .as_deref()
        .map(|nm| nm.join("tsx/dist/loader.mjs"))
        .filter(|p| p.is_file());
    PrismaSetup {
        prisma_version,
        client_version,
        client_installed,
        major,
        query_engine,
        engine_source,
        pg_adapter: adapter(PG_ADAPTER),
        sqlite_adapter: adapter(SQLITE_ADAPTER),
        node_modules,
        tsx,
        native_engine,
    }
}

fn find_native_engine(node_modules: &Path) -> Option<PathBuf> {
    for dir in [".prisma/client", "@prisma/engines"] {
        let Ok(entries) = std::fs::read_dir(node_modules.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("libquery_engine") && name.ends_with(".node") {
                return Some(entry.path());
            }
        }
    }
    None
}

/// One `new PrismaPg(…)` or `new PrismaBetterSqlite3(…)` in the code.
#[derive(Debug, Clone)]
struct Constructed {
    export: String,
    place: String,
    max: Option<u64>,
    connection_timeout_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    busy_timeout_ms: Option<u64>,
}

fn object_u64(expr: &Expr, key: &str) -> Option<u64> {
    let Expr::Object(object) = unwrap(expr) else {
        return None;
    };
    object.props.iter().find_map(|prop| match prop {
        swc_ecma_ast::PropOrSpread::Prop(prop) => match &**prop {
            swc_ecma_ast::Prop::KeyValue(kv) if prop_name_is(&kv.key, key) => {
                number_value(&kv.value).map(|v| v.max(0.0) as u64)
            }
            _ => None,
        },
        _ => None,
    })
}

#[derive(Default)]
struct NewFinder {
    /// (class, first argument's options, offset)
    adapters: Vec<(String, Option<Box<Expr>>, usize)>,
    /// `new Pool({…})` / `new pg.Pool({…})` option objects.
    pools: Vec<Expr>,
}

impl Visit for NewFinder {
    fn visit_new_expr(&mut self, new: &NewExpr) {
        let name = match unwrap(&new.callee) {
            Expr::Ident(ident) => Some(ident.sym.to_string()),
            other => member_name(other).map(|(_, name)| name.to_string()),
        };
        let first = new
            .args
            .as_ref()
            .and_then(|a| a.first())
            .map(|a| a.expr.clone());
        match name.as_deref() {
            Some(class @ ("PrismaPg" | "PrismaBetterSqlite3")) => {
                self.adapters
                    .push((class.to_string(), first, range_of(new).start));
            }
            Some("Pool") => {
                if let Some(first) = first {
                    self.pools.push(*first);
                }
            }
            _ => {}
        }
        new.visit_children_with(self);
    }
}

fn constructed_adapters(root: &Path) -> Vec<Constructed> {
    let mut found = Vec::new();
    for path in walk::walk(root) {
        let Some(lang) = Lang::from_path(&path.rel) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&path.abs) else {
            continue;
        };
        if !text.contains("PrismaPg") && !text.contains("PrismaBetterSqlite3") {
            continue;
        }
        let Ok(parsed) = source::parse(&text, lang) else {
            continue;
        };
        let lines = LineIndex::new(&text);
        let mut finder = NewFinder::default();
        parsed.program.visit_with(&mut finder);
        for (export, first, offset) in finder.adapters {
            // The options are the object passed, or a `new Pool({…})` of the same file.
            let options: Vec<&Expr> = match first.as_deref().map(unwrap) {
                Some(expr @ Expr::Object(_)) => vec![expr],
                Some(Expr::New(inner)) => inner
                    .args
                    .as_ref()
                    .and_then(|a| a.first())
                    .map(|a| vec![&*a.expr])
                    .unwrap_or_default(),
                Some(Expr::Ident(_)) => finder.pools.iter().collect(),
                _ => Vec::new(),
            };
            let pick = |key: &str| options.iter().find_map(|o| object_u64(o, key));
            found.push(Constructed {
                place: format!("{}:{}", path.rel, lines.line_col(&text, offset).0),
                max: pick("max"),
                connection_timeout_ms: pick("connectionTimeoutMillis"),
                idle_timeout_ms: pick("idleTimeoutMillis"),
                busy_timeout_ms: pick("timeout"),
                export,
            });
        }
    }
    found
}

/// The shape the code has, and why pgshift thinks so.
#[derive(Debug, Clone, Serialize)]
pub struct Shape {
    pub pattern: Pattern,
    pub reason: String,
}

/// Whether the statement list loops (a `for`/`while`, or `.map`/`.forEach`/`Promise.all`).
#[derive(Default)]
struct LoopFinder {
    found: bool,
}

impl Visit for LoopFinder {
    fn visit_stmt(&mut self, stmt: &Stmt) {
        if matches!(
            stmt,
            Stmt::For(_) | Stmt::ForOf(_) | Stmt::ForIn(_) | Stmt::While(_) | Stmt::DoWhile(_)
        ) {
            self.found = true;
        }
        stmt.visit_children_with(self);
    }
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee
            && member_name(unwrap(callee))
                .is_some_and(|(_, name)| matches!(name, "map" | "forEach" | "all" | "allSettled"))
        {
            self.found = true;
        }
        call.visit_children_with(self);
    }
    // A nested function is a callback of its own, not this one's loop.
    fn visit_function(&mut self, _: &Function) {}
}

/// `$transaction(callback, …)` calls: for each, whether the callback loops and where it is.
struct TxCallbacks {
    found: Vec<(bool, usize)>,
}

impl Visit for TxCallbacks {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        let is_tx = match &call.callee {
            Callee::Expr(callee) => {
                member_name(unwrap(callee)).is_some_and(|(_, name)| name == "$transaction")
            }
            _ => false,
        };
        if is_tx && let Some(first) = call.args.first() {
            let mut finder = LoopFinder::default();
            let body = match unwrap(&first.expr) {
                Expr::Arrow(ArrowExpr { body, .. }) => match &**body {
                    ArrowFunctionBody::FunctionBody(block) => {
                        block.visit_children_with(&mut finder);
                        true
                    }
                    ArrowFunctionBody::Expr(expr) => {
                        expr.visit_with(&mut finder);
                        true
                    }
                },
                Expr::Fn(f) => {
                    if let Some(body) = &f.function.body {
                        body.visit_children_with(&mut finder);
                    }
                    true
                }
                _ => false,
            };
            if body {
                self.found.push((finder.found, range_of(call).start));
            }
        }
        call.visit_children_with(self);
    }
}

/// Reads the shape off the sync worker (`worker_globs`) and the sync service
/// (`service_globs`): a `$transaction` callback that loops is a transaction per batch; one
/// that handles one object, with the service's lanes of single writes, is the per-object shape.
pub fn shape(
    root: &Path,
    worker_files: &dyn Fn(&str) -> bool,
    service_files: &dyn Fn(&str) -> bool,
) -> Shape {
    let paths = walk::walk(root);
    let mut per_batch = Vec::new();
    let mut per_object = Vec::new();
    let mut service_tx = Vec::new();
    for path in &paths {
        let worker = worker_files(&path.rel);
        let service = service_files(&path.rel);
        if !worker && !service {
            continue;
        }
        let (Some(lang), Ok(text)) = (
            Lang::from_path(&path.rel),
            std::fs::read_to_string(&path.abs),
        ) else {
            continue;
        };
        let Ok(parsed) = source::parse(&text, lang) else {
            continue;
        };
        let lines = LineIndex::new(&text);
        let mut finder = TxCallbacks { found: Vec::new() };
        parsed.program.visit_with(&mut finder);
        // The first transaction of a file is the sync's write; later ones (finalize, purge)
        // are bookkeeping.
        if let Some((loops, offset)) = finder.found.first() {
            let place = format!("{}:{}", path.rel, lines.line_col(&text, *offset).0);
            if service {
                service_tx.push((*loops, place));
            } else if *loops {
                per_batch.push(place);
            } else {
                per_object.push(place);
            }
        }
    }
    if let Some((loops, place)) = service_tx.first() {
        return if *loops {
            Shape {
                pattern: Pattern::Batch,
                reason: format!(
                    "the sync service's `$transaction` callback at {place} loops over a batch"
                ),
            }
        } else {
            Shape {
                pattern: Pattern::PerObject,
                reason: format!(
                    "the sync service's `$transaction` callback at {place} writes one object"
                ),
            }
        };
    }
    if let Some(place) = per_batch.first() {
        return Shape {
            pattern: Pattern::Batch,
            reason: format!(
                "the sync worker's `$transaction` callback at {place} loops over a batch"
            ),
        };
    }
    if let Some(place) = per_object.first() {
        return Shape {
            pattern: Pattern::PerObject,
            reason: format!(
                "the sync worker's `$transaction` callback at {place} handles one object, and the sync service awaits lanes of single writes"
            ),
        };
    }
    Shape {
        pattern: Pattern::Batch,
        reason: "no `$transaction` callback found in the sync worker or service: a transaction per batch is assumed".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_type_is_read_from_the_generator() {
        assert!(engine_type_client(
            "generator client {\n  provider = \"prisma-client-js\"\n  engineType = \"client\"\n}\n"
        ));
        assert!(!engine_type_client(
            "generator client {\n  provider = \"prisma-client-js\"\n}\n"
        ));
    }

    #[test]
    fn adapter_options_and_shape_from_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "src/lib/db/client.ts",
            "import pg from 'pg';\nconst pool = new pg.Pool({ connectionString: url, max: 25, connectionTimeoutMillis: 3000 });\nexport const a = new PrismaPg(pool);\n",
        );
        write(
            "src/worker.ts",
            "export async function f(prisma: any, objects: any[]) {\n  for (const o of objects) {\n    await prisma.$transaction(async (tx: any) => { await tx.media.upsert(o); });\n  }\n}\n",
        );
        let found = constructed_adapters(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].max, found[0].connection_timeout_ms),
            (Some(25), Some(3000))
        );
        assert_eq!(found[0].place, "src/lib/db/client.ts:3");
        let shape = shape(dir.path(), &|rel| rel == "src/worker.ts", &|_| false);
        assert_eq!(shape.pattern, Pattern::PerObject);
        write(
            "src/worker.ts",
            "export async function f(prisma: any, batch: any[]) {\n  await prisma.$transaction(async (tx: any) => { for (const o of batch) await tx.media.upsert(o); });\n}\n",
        );
        let shape = super::shape(dir.path(), &|rel| rel == "src/worker.ts", &|_| false);
        assert_eq!(shape.pattern, Pattern::Batch, "{}", shape.reason);
    }
}
