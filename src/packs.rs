//! Which built-in rule packs run on a project, and why; and the SQLite-isms of a project as the
//! migration's outputs (`init-postgres`, `apply --report`) list them.
//!
//! The Stage 5 pack always runs. The two SQLite-isms packs run only on the part of a project
//! that moves, or moved, off SQLite, its *SQLite origin*:
//!
//! - `sqlite-sql` (SQL that PostgreSQL rejects: `?` placeholders, SQLite's date functions,
//!   `PRAGMA`, `AUTOINCREMENT`, backticks, `INSERT OR …`) runs wherever there is a SQLite
//!   origin, before and after the move: none of it is ever right on PostgreSQL.
//! - `sqlite-migration` (what changes meaning: filters that ignored case, Json path strings,
//!   unquoted mixed-case names) belongs to the migration. The guard (`check`) runs it while the
//!   Prisma schema still says `sqlite`; the migration's outputs (`init-postgres`'s list,
//!   `apply --report`, `check --write-baseline`) run it whenever there is a SQLite origin. Once
//!   the schema says `postgresql`, new code written for PostgreSQL means what it says.
//!
//! A file belongs to the nearest folder, from its own up to the root of the run, that holds a
//! Prisma schema (where Prisma looks for one) or the record `init-postgres` writes. That
//! project has a SQLite origin when its schema's datasource says `sqlite`, or when the source
//! of the move does: the record ([`MOVE_RECORD`]), the SQLite schema `init-postgres` keeps
//! beside its PostgreSQL copy, or Prisma's `migrations/migration_lock.toml` saying `sqlite`.
//! A file in no such folder has no SQLite origin. Packs named with `--pack` or `--rules` run
//! regardless of all this.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::engine::{self, ProjectReport};
use crate::prisma_project;
use crate::prisma_schema::{self, SchemaFinding};
use crate::report_md::Item;
use crate::rules::{self, BuiltinPack, Rule, RuleFileError};
use crate::source::LineIndex;
use crate::walk::WalkRoot;

/// The record `init-postgres` writes of the move, relative to the project folder.
pub const MOVE_RECORD: &str = "postgresql/pgshift-move.toml";

/// The pack of SQLite's SQL, which PostgreSQL rejects.
pub const SQLITE_SQL: &str = "sqlite-sql";
/// The pack of what changes meaning on the move.
pub const SQLITE_MIGRATION: &str = "sqlite-migration";

/// Where a project stands with respect to SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Its Prisma schema says `sqlite`: the move is ahead or under way.
    OnSqlite,
    /// Its schema says something else, and the source of the move says `sqlite`.
    MovedFromSqlite,
    /// No sign of SQLite.
    NoSqliteOrigin,
}

/// What a run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `check` as the guard of hooks and CI.
    Guard,
    /// The migration's own outputs: `init-postgres`'s list, `apply --report`, a baseline.
    Migration,
}

/// The decision for one project folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The project folder, relative to the root of the run (`""` for the root itself).
    pub dir: String,
    /// The schema Prisma reads, relative to the project folder, when there is one.
    pub schema: Option<String>,
    /// Its datasource provider, when it names one.
    pub provider: Option<String>,
    pub phase: Phase,
    /// Why, in words: which file says what.
    pub reason: String,
}

impl Origin {
    /// Whether the built-in pack `pack` runs on this project for `purpose`.
    pub fn runs(&self, pack: &str, purpose: Purpose) -> bool {
        match (self.phase, pack) {
            (Phase::NoSqliteOrigin, _) => false,
            (_, SQLITE_SQL) => true,
            (Phase::OnSqlite, SQLITE_MIGRATION) => true,
            (Phase::MovedFromSqlite, SQLITE_MIGRATION) => purpose == Purpose::Migration,
            _ => false,
        }
    }

    /// The folder as people read it: `.` for the root.
    pub fn shown_dir(&self) -> &str {
        if self.dir.is_empty() { "." } else { &self.dir }
    }
}

/// What Prisma reads in `dir`: the schema (file or folder, relative to `dir`), its datasource
/// provider, and the folder of the file that holds the datasource (where Prisma keeps
/// `migrations/`). `None`: no schema; `Err`: a schema is named but cannot be read.
fn located_schema(dir: &Path) -> Result<Option<(String, Option<String>, PathBuf)>, String> {
    let Some(project) = prisma_project::locate(dir, None).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let main = project
        .main_file()
        .path
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf);
    Ok(Some((
        prisma_project::slash(&project.schema),
        project.provider(),
        main,
    )))
}

/// The SQLite schema `init-postgres` keeps beside its PostgreSQL copy, when `schema` is such a
/// copy (`X.postgresql.prisma` of `X.prisma`, the folder `X.postgresql` of the folder `X`).
fn kept_sqlite_schema(dir: &Path, schema: &str) -> Option<String> {
    let kept = match schema.strip_suffix(".postgresql.prisma") {
        Some(stem) => format!("{stem}.prisma"),
        None => schema.strip_suffix(".postgresql")?.to_string(),
    };
    let project = prisma_project::locate(dir, Some(&dir.join(&kept))).ok()??;
    project.is_sqlite().then_some(kept)
}

/// What the record of the move says: the provider moved from and the schema it was in.
pub fn read_move_record(dir: &Path) -> Option<(String, Option<String>)> {
    let text = std::fs::read_to_string(dir.join(MOVE_RECORD)).ok()?;
    let table: toml::Table = text.parse().ok()?;
    let from = table.get("from")?.as_str()?.to_string();
    let schema = table
        .get("schema")
        .and_then(|s| s.as_str())
        .map(str::to_string);
    Some((from, schema))
}

/// The text of the record `init-postgres` writes for a move from `provider` in `schema`.
pub fn move_record(provider: &str, schema: &str) -> String {
    format!(
        "# Written by `pgshift init-postgres`: where this project moves from. `pgshift check` reads\n\
         # it to keep reporting SQL that PostgreSQL rejects once the Prisma schema says postgresql.\n\
         # Commit it with the rest of postgresql/.\n\
         from = \"{provider}\"\n\
         schema = \"{schema}\"\n"
    )
}

/// The decision for the folder `dir` (`rel` is how the run names it), or `None` when the
/// folder is not a project: no Prisma schema and no record of a move.
pub fn origin(dir: &Path, rel: &str) -> Option<Origin> {
    let located = located_schema(dir);
    let record = read_move_record(dir);
    if matches!(located, Ok(None)) && record.is_none() {
        return None;
    }
    let (schema, provider, main_dir) = match &located {
        Ok(Some((schema, provider, main))) => {
            (Some(schema.clone()), provider.clone(), Some(main.clone()))
        }
        _ => (None, None, None),
    };
    let decided = |phase, reason: String| {
        Some(Origin {
            dir: rel.to_string(),
            schema: schema.clone(),
            provider: provider.clone(),
            phase,
            reason,
        })
    };
    let shown = |path: &str| {
        if rel.is_empty() {
            path.to_string()
        } else {
            format!("{rel}/{path}")
        }
    };
    if let (Some(schema), Some("sqlite")) = (&schema, provider.as_deref()) {
        return decided(Phase::OnSqlite, format!("{} says sqlite", shown(schema)));
    }
    let now = match (&located, &provider) {
        (Ok(Some((schema, _, _))), Some(provider)) => {
            format!("{} says {provider}", shown(schema))
        }
        (Ok(Some((schema, _, _))), None) => format!("{} names no provider", shown(schema)),
        (Ok(None), _) => "no Prisma schema".to_string(),
        (Err(error), _) => format!("the Prisma schema cannot be read ({error})"),
    };
    if let Some((from, from_schema)) = &record
        && from == "sqlite"
    {
        let source = from_schema
            .as_deref()
            .map(|s| format!(" ({})", shown(s)))
            .unwrap_or_default();
        return decided(
            Phase::MovedFromSqlite,
            format!(
                "{now}; {} records the move from sqlite{source}",
                shown(MOVE_RECORD)
            ),
        );
    }
    if let Some(schema) = &schema {
        if let Some(kept) = kept_sqlite_schema(dir, schema) {
            return decided(
                Phase::MovedFromSqlite,
                format!(
                    "{now}; it is the PostgreSQL copy of {}, which says sqlite",
                    shown(&kept)
                ),
            );
        }
        // Prisma's own record of the provider its migrations were made for.
        let lock = main_dir
            .unwrap_or_default()
            .join("migrations/migration_lock.toml");
        if let Ok(text) = std::fs::read_to_string(dir.join(&lock))
            && migration_lock_says_sqlite(&text)
        {
            return decided(
                Phase::MovedFromSqlite,
                format!(
                    "{now}; {} says sqlite",
                    shown(&prisma_project::slash(&lock))
                ),
            );
        }
    }
    decided(Phase::NoSqliteOrigin, format!("{now}: no SQLite origin"))
}

fn migration_lock_says_sqlite(text: &str) -> bool {
    text.parse::<toml::Table>()
        .ok()
        .and_then(|t| {
            t.get("provider")
                .and_then(|p| p.as_str())
                .map(|p| p == "sqlite")
        })
        .unwrap_or(false)
}

/// The decisions of one run, folder by folder, made as files ask for them and kept.
pub struct Gate {
    root: PathBuf,
    /// By folder relative to the root: the folder's own decision (`None`: not a project).
    dirs: Mutex<HashMap<String, Option<Arc<Origin>>>>,
}

impl Gate {
    pub fn new(root: &Path) -> Gate {
        Gate {
            root: root.to_path_buf(),
            dirs: Mutex::new(HashMap::new()),
        }
    }

    fn own(&self, dir: &str) -> Option<Arc<Origin>> {
        let mut dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = dirs.get(dir) {
            return known.clone();
        }
        let decided = origin(&self.root.join(dir), dir).map(Arc::new);
        dirs.insert(dir.to_string(), decided.clone());
        decided
    }

    /// The project the file at `rel` (relative to the root, `/`-separated) belongs to: the
    /// nearest folder from the file's own up to the root that is a project.
    pub fn origin_of(&self, rel: &str) -> Option<Arc<Origin>> {
        let mut dir = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
        loop {
            if let Some(found) = self.own(dir) {
                return Some(found);
            }
            if dir.is_empty() {
                return None;
            }
            dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }

    /// The root's own decision.
    pub fn root_origin(&self) -> Option<Arc<Origin>> {
        self.own("")
    }

    /// Every project decided so far, by folder.
    pub fn decided(&self) -> Vec<Arc<Origin>> {
        let dirs = self.dirs.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Arc<Origin>> = dirs.values().flatten().cloned().collect();
        out.sort_by(|a, b| a.dir.cmp(&b.dir));
        out
    }
}

/// The gated built-in packs (the SQLite-isms), each rule kept to the files of the projects it
/// runs on for `purpose`. Packs in `given` were asked for by name and are left out here (the
/// caller loads them whole).
pub fn gated_rules(
    gate: &Arc<Gate>,
    purpose: Purpose,
    given: &[String],
) -> Result<Vec<Rule>, RuleFileError> {
    let mut out = Vec::new();
    for pack in gated_packs() {
        if given.iter().any(|g| g == pack.name) {
            continue;
        }
        for mut rule in pack.load()? {
            let gate = Arc::clone(gate);
            let name = pack.name;
            rule.restrict(Arc::new(move |path: &str| {
                gate.origin_of(path)
                    .is_some_and(|origin| origin.runs(name, purpose))
            }));
            out.push(rule);
        }
    }
    Ok(out)
}

/// The built-in packs whose running depends on the project.
pub fn gated_packs() -> impl Iterator<Item = &'static BuiltinPack> {
    rules::BUILTIN_PACKS
        .iter()
        .filter(|p| p.name == SQLITE_SQL || p.name == SQLITE_MIGRATION)
}

/// The SQLite-isms of a project as the migration lists them: both SQLite-isms packs over the
/// sources where there is a SQLite origin, and the check of a SQLite Prisma schema.
pub struct Isms {
    /// The root's own decision (`None`: the root is no project).
    pub origin: Option<Arc<Origin>>,
    pub report: ProjectReport,
    pub rules: Vec<Rule>,
    pub schema: Vec<SchemaFinding>,
}

/// Finds the SQLite-isms of the project at `root` for the migration's outputs.
pub fn migration_isms(root: &Path) -> Result<Isms, String> {
    let gate = Arc::new(Gate::new(root));
    let mut rules = gated_rules(&gate, Purpose::Migration, &[]).map_err(|e| e.to_string())?;
    let roots = [WalkRoot::project(root)];
    let report = engine::run_project(
        root,
        engine::Files::walk(&roots),
        &mut rules,
        engine::Options::default(),
    );
    let schema = prisma_schema::check_project(root)?;
    Ok(Isms {
        origin: gate.root_origin(),
        report,
        rules,
        schema,
    })
}

impl Isms {
    /// Every finding as the report lists it, in path and position order; positions are in the
    /// files as they were read.
    pub fn items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        for file in &self.report.files {
            let Some(text) = file.original.as_deref() else {
                continue;
            };
            let lines = LineIndex::new(text);
            for review in &file.reviews {
                let (line, column) = lines.line_col(text, review.original_offset);
                out.push(Item {
                    path: file.path.rel.clone(),
                    line,
                    column,
                    rule: review.rule.to_string(),
                    message: review.message.clone(),
                });
            }
        }
        out.extend(self.schema.iter().map(|f| Item {
            path: f.path.clone(),
            line: f.line,
            column: f.column,
            rule: f.rule.to_string(),
            message: f.message.clone(),
        }));
        out.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        out
    }
}

/// When a built-in pack runs, in words (for `pgshift rules`).
pub fn when(pack: &str) -> &'static str {
    match pack {
        SQLITE_SQL => {
            "where the project has a SQLite origin (its Prisma schema, or the source schema of the move, says sqlite), before and after the move"
        }
        SQLITE_MIGRATION => {
            "check: while the project's Prisma schema says sqlite; init-postgres, apply --report and check --write-baseline: wherever it has a SQLite origin"
        }
        _ => "always",
    }
}
