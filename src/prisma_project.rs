//! Where a project's Prisma setup lives, found the way the Prisma CLI finds it.
//!
//! - The config file: `prisma.config.ts` (or `.mts`, `.cts`, `.js`, `.mjs`, `.cjs`) in the
//!   project root, or `.config/prisma.ts` and its siblings. Its `schema` and
//!   `datasource.url` are read from the source (`defineConfig({ … })`, a plain object with
//!   `satisfies`/`as`, or a same-file `const`); nothing is executed.
//! - The schema: the `--schema` flag, else the config's `schema` (relative to the config
//!   file), else package.json's `prisma.schema`, else `prisma/schema.prisma`, else
//!   `schema.prisma`. A schema path that is a folder means every `.prisma` file under it
//!   (Prisma's multi-file schema), in path order.
//! - The datasource: the `datasource` block among the schema files, its provider, and its URL:
//!   the block's `url` (Prisma ≤ 6) or the config's `datasource.url` (Prisma 7), a literal or
//!   `env("NAME")`. A SQLite URL resolves to a file relative to the schema file that holds the
//!   datasource (Prisma ≤ 6) or to the config file (Prisma 7); `env()` reads the process
//!   environment, then `.env` in the root, then `.env` beside the schema.
//!
//! Every command that reads a schema (`init-postgres`, the schema check, `verify`,
//! `copy-data`) goes through [`locate`], so they agree on what the project's schema is.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use swc_ecma_ast::{
    Decl, Expr, ExprOrSpread, Lit, MemberProp, ModuleDecl, ModuleItem, Pat, Program, Prop,
    PropName, PropOrSpread, Stmt,
};

use crate::kinds::ast::{string_value, unwrap};
use crate::source::{self, Lang};

/// The config file names Prisma looks for in the project root, in its order.
pub const CONFIG_FILES: &[&str] = &[
    "prisma.config.ts",
    "prisma.config.mts",
    "prisma.config.cts",
    "prisma.config.js",
    "prisma.config.mjs",
    "prisma.config.cjs",
    ".config/prisma.ts",
    ".config/prisma.mts",
    ".config/prisma.cts",
    ".config/prisma.js",
    ".config/prisma.mjs",
    ".config/prisma.cjs",
];

/// The schema paths Prisma tries when nothing names one.
pub const DEFAULT_SCHEMAS: &[&str] = &["prisma/schema.prisma", "schema.prisma"];

/// Why the Prisma setup could not be read. A project without any Prisma schema is not an
/// error: [`locate`] returns `Ok(None)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocateError {
    #[error("{path}: {message}")]
    Unreadable { path: String, message: String },
    #[error("the schema {path} named by {named_by} does not exist")]
    Missing { path: String, named_by: String },
    #[error("the schema folder {path} (named by {named_by}) holds no .prisma file")]
    EmptyFolder { path: String, named_by: String },
}

/// What named the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundBy {
    /// The command's `--schema` flag.
    Flag,
    /// The config file's `schema` property (the config's path, relative to the root).
    Config(PathBuf),
    /// package.json's `prisma.schema`.
    PackageJson,
    /// One of [`DEFAULT_SCHEMAS`].
    DefaultPath,
}

impl fmt::Display for FoundBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FoundBy::Flag => f.write_str("--schema"),
            FoundBy::Config(path) => write!(f, "`schema` in {}", slash(path)),
            FoundBy::PackageJson => f.write_str("`prisma.schema` in package.json"),
            FoundBy::DefaultPath => f.write_str("Prisma's default path"),
        }
    }
}

/// One `.prisma` file of the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFile {
    /// Relative to the project root (absolute when the flag named a path outside it).
    pub path: PathBuf,
    pub text: String,
}

/// How a datasource URL is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSetting {
    /// A string literal.
    Literal(String),
    /// `env("NAME")`, `process.env.NAME`; with the literal fallback of `?? "…"` / `|| "…"`.
    Env {
        name: String,
        fallback: Option<String>,
    },
    /// An expression pgshift does not evaluate (shown as written).
    Expression(String),
}

impl fmt::Display for UrlSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlSetting::Literal(value) => write!(f, "\"{value}\""),
            UrlSetting::Env {
                name,
                fallback: None,
            } => write!(f, "env(\"{name}\")"),
            UrlSetting::Env {
                name,
                fallback: Some(fallback),
            } => write!(f, "env(\"{name}\") ?? \"{fallback}\""),
            UrlSetting::Expression(text) => f.write_str(text),
        }
    }
}

/// What the config file says (only the parts pgshift needs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigFacts {
    /// The `schema` property: a path relative to the config file.
    pub schema: Option<String>,
    /// `datasource.url`.
    pub datasource_url: Option<UrlSetting>,
}

/// The config file and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Relative to the project root.
    pub path: PathBuf,
    pub facts: ConfigFacts,
}

/// A project's Prisma setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrismaProject {
    pub root: PathBuf,
    pub config: Option<ConfigFile>,
    /// The schema file or folder, relative to the root.
    pub schema: PathBuf,
    pub schema_is_folder: bool,
    pub found_by: FoundBy,
    /// Every `.prisma` file of the schema, in path order.
    pub files: Vec<SchemaFile>,
}

/// The datasource block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasource {
    /// Index into [`PrismaProject::files`] of the file that holds the block.
    pub file: usize,
    pub provider: String,
    /// Byte range of the provider's value (inside the quotes) in that file.
    pub provider_range: Range<usize>,
    /// The block's own `url = …`, when it has one.
    pub schema_url: Option<UrlSetting>,
}

/// Where a URL came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlOrigin {
    pub setting: UrlSetting,
    /// The file that writes it (schema file or config file), relative to the root.
    pub file: PathBuf,
    /// The folder a relative SQLite path is resolved against (absolute or root-relative).
    pub base: PathBuf,
}

/// A URL with its value found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUrl {
    pub value: String,
    pub origin: UrlOrigin,
    /// Where the value was read: "the environment", ".env", the file itself.
    pub read_from: String,
}

impl PrismaProject {
    /// The schema as it is shown to a person: `prisma/schema.prisma (Prisma's default path)`.
    pub fn describe(&self) -> String {
        let folder = if self.schema_is_folder {
            format!(" ({} files)", self.files.len())
        } else {
            String::new()
        };
        format!(
            "{}{folder}, named by {}",
            slash(&self.schema),
            self.found_by
        )
    }

    /// The schema file that holds the datasource block, or the first file.
    pub fn main_file(&self) -> &SchemaFile {
        let index = self.datasource().map_or(0, |d| d.file);
        &self.files[index]
    }

    /// The first `datasource` block of the schema files.
    pub fn datasource(&self) -> Option<Datasource> {
        self.files.iter().enumerate().find_map(|(index, file)| {
            let (provider, provider_range) = crate::prisma_schema::datasource_provider(&file.text)?;
            Some(Datasource {
                file: index,
                provider,
                provider_range,
                schema_url: schema_url(&file.text),
            })
        })
    }

    /// The datasource provider (`sqlite`, `postgresql`, …).
    pub fn provider(&self) -> Option<String> {
        self.datasource().map(|d| d.provider)
    }

    /// Whether the datasource provider is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.provider().as_deref() == Some("sqlite")
    }

    /// The datasource URL as written: the schema block's `url` (Prisma ≤ 6), else the config's
    /// `datasource.url` (Prisma 7).
    pub fn url(&self) -> Option<UrlOrigin> {
        let datasource = self.datasource();
        if let Some(datasource) = &datasource
            && let Some(setting) = &datasource.schema_url
        {
            let file = self.files[datasource.file].path.clone();
            let base = self.root_relative_parent(&file);
            return Some(UrlOrigin {
                setting: setting.clone(),
                file,
                base,
            });
        }
        let config = self.config.as_ref()?;
        let setting = config.facts.datasource_url.clone()?;
        Some(UrlOrigin {
            setting,
            file: config.path.clone(),
            base: self.root_relative_parent(&config.path),
        })
    }

    /// The URL's value. `env` answers for the process environment (pass
    /// `|name| std::env::var(name).ok()`); `.env` files are read after it.
    pub fn resolve_url(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<ResolvedUrl, String> {
        let origin = self.url().ok_or_else(|| {
            format!(
                "the datasource of {} has no url, and {}",
                slash(&self.schema),
                match &self.config {
                    Some(config) => format!("{} has no datasource.url", slash(&config.path)),
                    None => "there is no prisma.config.ts".to_string(),
                }
            )
        })?;
        let (value, read_from) = match &origin.setting {
            UrlSetting::Literal(value) => (value.clone(), slash(&origin.file)),
            UrlSetting::Env { name, fallback } => match self.env_value(name, env) {
                Some(found) => found,
                None => match fallback {
                    Some(fallback) => (fallback.clone(), slash(&origin.file)),
                    None => {
                        return Err(format!(
                            "{} reads the datasource url from {name}, which is not set (not in the environment, {})",
                            slash(&origin.file),
                            self.env_files()
                                .iter()
                                .map(|p| slash(p))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ));
                    }
                },
            },
            UrlSetting::Expression(text) => {
                return Err(format!(
                    "{} computes the datasource url (`{text}`); pgshift does not run code to find it",
                    slash(&origin.file)
                ));
            }
        };
        Ok(ResolvedUrl {
            value,
            origin,
            read_from,
        })
    }

    /// The SQLite file the datasource names, as an absolute (or root-joined) path.
    pub fn sqlite_file(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, String> {
        let resolved = self.resolve_url(env)?;
        let path = sqlite_path(&resolved.value).ok_or_else(|| {
            format!(
                "the datasource url from {} is not a SQLite file URL (`file:…`)",
                resolved.read_from
            )
        })?;
        let path = Path::new(&path);
        Ok(if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(&resolved.origin.base).join(path)
        })
    }

    /// The `.env` files `env()` falls back to, relative to the root.
    fn env_files(&self) -> Vec<PathBuf> {
        let mut files = vec![PathBuf::from(".env")];
        let beside = self
            .root_relative_parent(&self.main_file().path)
            .join(".env");
        if beside != Path::new(".env") {
            files.push(beside);
        }
        files
    }

    fn env_value(
        &self,
        name: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<(String, String)> {
        if let Some(value) = env(name) {
            return Some((value, "the environment".to_string()));
        }
        self.env_files().into_iter().find_map(|file| {
            let text = std::fs::read_to_string(self.root.join(&file)).ok()?;
            let value = crate::verify::config::dotenv_value(&text, name)?;
            Some((value, slash(&file)))
        })
    }

    fn root_relative_parent(&self, file: &Path) -> PathBuf {
        file.parent().map(Path::to_path_buf).unwrap_or_default()
    }
}

/// The path of a SQLite URL (`file:./dev.db?x=1` → `./dev.db`), or `None` for other schemes.
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.trim().strip_prefix("file:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    (!path.is_empty()).then(|| path.to_string())
}

/// Finds the project's Prisma setup under `root`; `schema_flag` is a command's `--schema`
/// (relative to the current directory, as Prisma's flag is). `Ok(None)` when the project has
/// no Prisma schema at all.
pub fn locate(
    root: &Path,
    schema_flag: Option<&Path>,
) -> Result<Option<PrismaProject>, LocateError> {
    let config = read_config(root)?;
    let (schema, found_by) = match schema_flag {
        Some(flag) => (flag.to_path_buf(), FoundBy::Flag),
        None => match config
            .as_ref()
            .and_then(|c| c.facts.schema.as_ref().map(|s| (c, s)))
        {
            Some((config, schema)) => (
                normalize(&config.path.parent().unwrap_or(Path::new("")).join(schema)),
                FoundBy::Config(config.path.clone()),
            ),
            None => match package_json_schema(root) {
                Some(schema) => (normalize(Path::new(&schema)), FoundBy::PackageJson),
                None => {
                    let Some(found) = DEFAULT_SCHEMAS.iter().find(|p| root.join(p).is_file())
                    else {
                        return Ok(None);
                    };
                    (PathBuf::from(found), FoundBy::DefaultPath)
                }
            },
        },
    };
    let full = if schema.is_absolute() {
        schema.clone()
    } else {
        root.join(&schema)
    };
    let named_by = found_by.to_string();
    let (files, schema_is_folder) = if full.is_dir() {
        let files = folder_files(root, &full)?;
        if files.is_empty() {
            return Err(LocateError::EmptyFolder {
                path: slash(&schema),
                named_by,
            });
        }
        (files, true)
    } else if full.is_file() {
        (vec![read_schema_file(root, &full)?], false)
    } else {
        return Err(LocateError::Missing {
            path: slash(&schema),
            named_by,
        });
    };
    Ok(Some(PrismaProject {
        root: root.to_path_buf(),
        config,
        schema,
        schema_is_folder,
        found_by,
        files,
    }))
}

fn read_config(root: &Path) -> Result<Option<ConfigFile>, LocateError> {
    let Some(name) = CONFIG_FILES.iter().find(|name| root.join(name).is_file()) else {
        return Ok(None);
    };
    let path = root.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| LocateError::Unreadable {
        path: name.to_string(),
        message: e.to_string(),
    })?;
    let facts = config_facts(name, &text).map_err(|message| LocateError::Unreadable {
        path: name.to_string(),
        message,
    })?;
    Ok(Some(ConfigFile {
        path: PathBuf::from(name),
        facts,
    }))
}

fn package_json_schema(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["prisma"]["schema"].as_str().map(str::to_string)
}

fn folder_files(root: &Path, folder: &Path) -> Result<Vec<SchemaFile>, LocateError> {
    let mut paths = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| LocateError::Unreadable {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "node_modules" && name != "migrations" {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "prisma") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths.iter().map(|p| read_schema_file(root, p)).collect()
}

fn read_schema_file(root: &Path, full: &Path) -> Result<SchemaFile, LocateError> {
    let text = std::fs::read_to_string(full).map_err(|e| LocateError::Unreadable {
        path: full.display().to_string(),
        message: e.to_string(),
    })?;
    let path = full
        .strip_prefix(root)
        .map_or_else(|_| full.to_path_buf(), Path::to_path_buf);
    Ok(SchemaFile { path, text })
}

/// `a/./b/../c` → `a/c`, without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A path with `/` separators, for messages.
pub fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The `url = …` of the datasource block.
fn schema_url(text: &str) -> Option<UrlSetting> {
    let mut in_block = false;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or(line).trim();
        if !in_block {
            in_block = code.starts_with("datasource") && code.ends_with('{');
            continue;
        }
        if code.starts_with('}') {
            return None;
        }
        let Some(value) = code
            .strip_prefix("url")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
        else {
            continue;
        };
        let value = value.trim();
        if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            return Some(UrlSetting::Literal(inner.to_string()));
        }
        if let Some(name) = value
            .strip_prefix("env(")
            .and_then(|v| v.strip_suffix(')'))
            .map(|v| v.trim().trim_matches('"'))
        {
            return Some(UrlSetting::Env {
                name: name.to_string(),
                fallback: None,
            });
        }
        return Some(UrlSetting::Expression(value.to_string()));
    }
    None
}

/// Reads the config file's source: the default export (`defineConfig({ … })`, an object
/// literal, or a same-file `const` holding either).
pub fn config_facts(name: &str, text: &str) -> Result<ConfigFacts, String> {
    let lang = Lang::from_path(name).unwrap_or(Lang::TypeScript);
    let parsed = source::parse(text, lang).map_err(|e| format!("does not parse: {e}"))?;
    // A `.js`/`.cjs` config without imports parses as a script.
    let items: Vec<ModuleItem> = match &parsed.program {
        Program::Module(module) => module.body.clone(),
        Program::Script(script) => script.body.iter().cloned().map(ModuleItem::Stmt).collect(),
    };
    let mut consts: Vec<(&str, &Expr)> = Vec::new();
    let mut exported: Option<&Expr> = None;
    for item in &items {
        match item {
            ModuleItem::Stmt(Stmt::Decl(Decl::Var(var))) => collect_consts(var, &mut consts),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(decl)) => {
                if let Decl::Var(var) = &decl.decl {
                    collect_consts(var, &mut consts);
                }
            }
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(export)) => {
                exported = Some(&export.expr);
            }
            // `module.exports = …` in a CommonJS config.
            ModuleItem::Stmt(Stmt::Expr(stmt)) => {
                if let Expr::Assign(assign) = unwrap(&stmt.expr)
                    && text.get(crate::source::span_range(swc_common::Spanned::span(
                        &assign.left,
                    ))) == Some("module.exports")
                {
                    exported = Some(&assign.right);
                }
            }
            _ => {}
        }
    }
    let Some(exported) = exported else {
        return Ok(ConfigFacts::default());
    };
    let Some(object) = config_object(exported, &consts) else {
        return Ok(ConfigFacts::default());
    };
    let mut facts = ConfigFacts::default();
    for (key, value) in object_props(object) {
        match key {
            "schema" => facts.schema = path_value(value, text),
            "datasource" => {
                let value = resolve_ident(value, &consts);
                if let Expr::Object(_) = unwrap(value) {
                    for (inner_key, inner) in object_props(unwrap(value)) {
                        if inner_key == "url" {
                            facts.datasource_url = Some(url_setting(inner, text, &consts));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(facts)
}

fn collect_consts<'a>(var: &'a swc_ecma_ast::VarDecl, consts: &mut Vec<(&'a str, &'a Expr)>) {
    for declarator in &var.decls {
        if let (Pat::Ident(ident), Some(init)) = (&declarator.name, &declarator.init) {
            consts.push((ident.id.sym.as_ref(), init));
        }
    }
}

fn resolve_ident<'a>(expr: &'a Expr, consts: &[(&str, &'a Expr)]) -> &'a Expr {
    if let Expr::Ident(ident) = unwrap(expr)
        && let Some((_, init)) = consts
            .iter()
            .rev()
            .find(|(name, _)| *name == ident.sym.as_ref())
    {
        return init;
    }
    expr
}

/// The object literal a config export stands for.
fn config_object<'a>(expr: &'a Expr, consts: &[(&str, &'a Expr)]) -> Option<&'a Expr> {
    let expr = unwrap(resolve_ident(expr, consts));
    match expr {
        Expr::Object(_) => Some(expr),
        Expr::Call(call) => call
            .args
            .first()
            .and_then(|arg: &ExprOrSpread| config_object(&arg.expr, consts)),
        _ => None,
    }
}

fn object_props(object: &Expr) -> Vec<(&str, &Expr)> {
    let Expr::Object(object) = object else {
        return Vec::new();
    };
    object
        .props
        .iter()
        .filter_map(|prop| match prop {
            PropOrSpread::Prop(prop) => match &**prop {
                Prop::KeyValue(kv) => {
                    let key = match &kv.key {
                        PropName::Ident(ident) => ident.sym.as_ref(),
                        PropName::Str(s) => s.value.as_str()?,
                        _ => return None,
                    };
                    Some((key, &*kv.value))
                }
                _ => None,
            },
            PropOrSpread::Spread(_) => None,
        })
        .collect()
}

/// A path written as a string, or as `path.join("a", "b")` / `path.resolve(…)` of strings.
fn path_value(expr: &Expr, text: &str) -> Option<String> {
    if let Some(value) = string_value(expr, text) {
        return Some(value.to_string());
    }
    let Expr::Call(call) = unwrap(expr) else {
        return None;
    };
    let callee = text.get(crate::source::span_range(swc_common::Spanned::span(
        &call.callee,
    )))?;
    if !matches!(
        callee,
        "path.join" | "join" | "path.resolve" | "resolve" | "path.posix.join"
    ) {
        return None;
    }
    let mut parts = Vec::new();
    for arg in &call.args {
        match string_value(&arg.expr, text) {
            Some(part) => parts.push(part.to_string()),
            // `__dirname`, `import.meta.dirname`: the config's folder, which paths are relative
            // to anyway.
            None if is_config_dir(&arg.expr, text) => {}
            None => return None,
        }
    }
    Some(parts.join("/"))
}

fn is_config_dir(expr: &Expr, text: &str) -> bool {
    let written = text
        .get(crate::source::span_range(swc_common::Spanned::span(
            unwrap(expr),
        )))
        .unwrap_or("");
    matches!(
        written,
        "__dirname" | "import.meta.dirname" | "process.cwd()"
    )
}

fn url_setting(expr: &Expr, text: &str, consts: &[(&str, &Expr)]) -> UrlSetting {
    let expr = unwrap(resolve_ident(expr, consts));
    if let Some(value) = string_value(expr, text) {
        return UrlSetting::Literal(value.to_string());
    }
    if let Some(name) = env_name(expr, text) {
        return UrlSetting::Env {
            name,
            fallback: None,
        };
    }
    if let Expr::Bin(bin) = expr
        && matches!(
            bin.op,
            swc_ecma_ast::BinaryOp::NullishCoalescing | swc_ecma_ast::BinaryOp::LogicalOr
        )
        && let Some(name) = env_name(unwrap(&bin.left), text)
        && let Some(fallback) = string_value(&bin.right, text)
    {
        return UrlSetting::Env {
            name,
            fallback: Some(fallback.to_string()),
        };
    }
    let written = text
        .get(crate::source::span_range(swc_common::Spanned::span(expr)))
        .unwrap_or("…");
    UrlSetting::Expression(written.to_string())
}

/// `env("NAME")` (Prisma's helper) or `process.env.NAME` / `process.env["NAME"]`.
fn env_name(expr: &Expr, text: &str) -> Option<String> {
    match unwrap(expr) {
        Expr::Call(call) => {
            let callee = text.get(crate::source::span_range(swc_common::Spanned::span(
                &call.callee,
            )))?;
            if callee != "env" {
                return None;
            }
            string_value(&call.args.first()?.expr, text).map(str::to_string)
        }
        Expr::Member(member) => {
            let object = text.get(crate::source::span_range(swc_common::Spanned::span(
                &*member.obj,
            )))?;
            if object != "process.env" {
                return None;
            }
            match &member.prop {
                MemberProp::Ident(ident) => Some(ident.sym.to_string()),
                MemberProp::Computed(computed) => {
                    if let Expr::Lit(Lit::Str(_)) = unwrap(&computed.expr) {
                        string_value(&computed.expr, text).map(str::to_string)
                    } else {
                        None
                    }
                }
                MemberProp::PrivateName(_) => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    const SQLITE_SCHEMA: &str =
        "datasource db {\n  provider = \"sqlite\"\n  url      = \"file:./dev.db\"\n}\n";

    #[test]
    fn no_schema_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(locate(dir.path(), None).unwrap(), None);
    }

    #[test]
    fn default_paths_in_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "schema.prisma", SQLITE_SCHEMA);
        let found = locate(dir.path(), None).unwrap().unwrap();
        assert_eq!(found.schema, PathBuf::from("schema.prisma"));
        write(dir.path(), "prisma/schema.prisma", SQLITE_SCHEMA);
        let found = locate(dir.path(), None).unwrap().unwrap();
        assert_eq!(found.schema, PathBuf::from("prisma/schema.prisma"));
        assert_eq!(found.found_by, FoundBy::DefaultPath);
        assert!(found.is_sqlite());
    }

    #[test]
    fn package_json_names_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "package.json",
            r#"{"prisma": {"schema": "./db/app.prisma"}}"#,
        );
        write(dir.path(), "db/app.prisma", SQLITE_SCHEMA);
        let found = locate(dir.path(), None).unwrap().unwrap();
        assert_eq!(found.schema, PathBuf::from("db/app.prisma"));
        assert_eq!(found.found_by, FoundBy::PackageJson);
    }

    #[test]
    fn a_named_schema_that_is_missing_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "package.json",
            r#"{"prisma": {"schema": "db/app.prisma"}}"#,
        );
        let error = locate(dir.path(), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the schema db/app.prisma named by `prisma.schema` in package.json does not exist"
        );
    }

    #[test]
    fn config_names_a_schema_folder_with_the_datasource_in_another_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "prisma.config.ts",
            "import 'dotenv/config'\nimport path from 'node:path'\nimport { defineConfig, env } from 'prisma/config'\n\nexport default defineConfig({\n  schema: path.join('prisma'),\n  migrations: { path: 'prisma/migrations' },\n  datasource: { url: env('DATABASE_URL') },\n})\n",
        );
        write(
            dir.path(),
            "prisma/models.prisma",
            "model A {\n  id Int @id\n}\n",
        );
        write(
            dir.path(),
            "prisma/setup.prisma",
            "generator client {\n  provider = \"prisma-client\"\n}\n\ndatasource db {\n  provider = \"sqlite\"\n}\n",
        );
        write(dir.path(), "prisma/migrations/x.prisma", "ignored");
        write(dir.path(), ".env", "DATABASE_URL=\"file:./data/dev.db\"\n");
        let found = locate(dir.path(), None).unwrap().unwrap();
        assert!(found.schema_is_folder);
        assert_eq!(found.schema, PathBuf::from("prisma"));
        assert_eq!(
            found.found_by,
            FoundBy::Config(PathBuf::from("prisma.config.ts"))
        );
        assert_eq!(found.files.len(), 2);
        assert_eq!(found.main_file().path, PathBuf::from("prisma/setup.prisma"));
        assert!(found.is_sqlite());
        assert_eq!(
            found.describe(),
            "prisma (2 files), named by `schema` in prisma.config.ts"
        );
        let url = found.resolve_url(&|_| None).unwrap();
        assert_eq!(url.value, "file:./data/dev.db");
        assert_eq!(url.read_from, ".env");
        // Prisma 7: relative to the config file, here the root.
        assert_eq!(
            found.sqlite_file(&|_| None).unwrap(),
            dir.path().join("").join("./data/dev.db")
        );
        // The environment wins over .env.
        let url = found
            .resolve_url(&|name| (name == "DATABASE_URL").then(|| "file:/tmp/x.db".to_string()))
            .unwrap();
        assert_eq!(url.read_from, "the environment");
    }

    #[test]
    fn prisma_6_url_is_relative_to_the_schema_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "prisma/schema.prisma", SQLITE_SCHEMA);
        let found = locate(dir.path(), None).unwrap().unwrap();
        assert_eq!(
            found.sqlite_file(&|_| None).unwrap(),
            dir.path().join("prisma").join("./dev.db")
        );
    }

    #[test]
    fn env_url_reads_dotenv_beside_the_schema_too() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "prisma/schema.prisma",
            "datasource db {\n  provider = \"sqlite\" // the old one\n  url = env(\"DATABASE_URL\")\n}\n",
        );
        let found = locate(dir.path(), None).unwrap().unwrap();
        let error = found.resolve_url(&|_| None).unwrap_err();
        assert!(error.contains("DATABASE_URL, which is not set"), "{error}");
        write(dir.path(), "prisma/.env", "DATABASE_URL=file:./beside.db\n");
        let url = found.resolve_url(&|_| None).unwrap();
        assert_eq!(url.read_from, "prisma/.env");
        assert_eq!(url.value, "file:./beside.db");
    }

    #[test]
    fn config_forms() {
        let facts = config_facts(
            "prisma.config.ts",
            "import type { PrismaConfig } from 'prisma'\nconst config = {\n  schema: 'db/schema.prisma',\n  datasource: { url: process.env.DATABASE_URL ?? 'file:./dev.db' },\n} satisfies PrismaConfig\nexport default config\n",
        )
        .unwrap();
        assert_eq!(facts.schema.as_deref(), Some("db/schema.prisma"));
        assert_eq!(
            facts.datasource_url,
            Some(UrlSetting::Env {
                name: "DATABASE_URL".into(),
                fallback: Some("file:./dev.db".into())
            })
        );
        let facts = config_facts(
            "prisma.config.cjs",
            "module.exports = { schema: 'x.prisma', datasource: { url: process.env['DB'] } }\n",
        )
        .unwrap();
        assert_eq!(facts.schema.as_deref(), Some("x.prisma"));
        assert_eq!(
            facts.datasource_url,
            Some(UrlSetting::Env {
                name: "DB".into(),
                fallback: None
            })
        );
        let facts = config_facts(
            "prisma.config.ts",
            "export default defineConfig({ datasource: { url: buildUrl() } })\n",
        )
        .unwrap();
        assert_eq!(
            facts.datasource_url,
            Some(UrlSetting::Expression("buildUrl()".into()))
        );
        assert!(config_facts("prisma.config.ts", "export default {").is_err());
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("file:./dev.db").as_deref(), Some("./dev.db"));
        assert_eq!(
            sqlite_path("file:dev.db?connection_limit=1").as_deref(),
            Some("dev.db")
        );
        assert_eq!(
            sqlite_path("file:/var/data/app.db").as_deref(),
            Some("/var/data/app.db")
        );
        assert_eq!(sqlite_path("postgresql://x"), None);
    }
}
