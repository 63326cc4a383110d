//! Rule packs: TOML files of `[[rule]]` tables. Loading has two stages: the file is read into
//! spanned TOML (so every error names its file, line and key), then each table is compiled into
//! a [`Rule`]: the common keys are checked here and the rest goes to the rule kind, whose
//! parameter struct rejects unknown keys.

use std::ops::Range;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::kinds::{self, ParamError, RuleKind};
use crate::source::Lang;

/// The built-in Stage 5 pack, compiled into the binary.
pub const BUILTIN_STAGE5: (&str, &str) =
    ("rules/stage5.toml", include_str!("../../rules/stage5.toml"));

/// The built-in check-only pack of SQLite's SQL, which PostgreSQL rejects whatever the project
/// was written for (placeholders, date functions, PRAGMA, …). [`crate::packs`] decides when it
/// runs.
pub const BUILTIN_SQLITE_SQL: (&str, &str) = (
    "rules/sqlite-sql.toml",
    include_str!("../../rules/sqlite-sql.toml"),
);

/// The built-in check-only pack of what changes meaning on the move from SQLite (filters that
/// ignored case, Json path strings, unquoted mixed-case names). [`crate::packs`] decides when
/// it runs.
pub const BUILTIN_SQLITE_MIGRATION: (&str, &str) = (
    "rules/sqlite-migration.toml",
    include_str!("../../rules/sqlite-migration.toml"),
);

/// A built-in pack: the name `--pack` takes, its file and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinPack {
    pub name: &'static str,
    pub file: &'static str,
    pub text: &'static str,
}

/// Every built-in pack, in the order their rules run.
pub const BUILTIN_PACKS: &[BuiltinPack] = &[
    BuiltinPack {
        name: "stage5",
        file: BUILTIN_STAGE5.0,
        text: BUILTIN_STAGE5.1,
    },
    BuiltinPack {
        name: "sqlite-sql",
        file: BUILTIN_SQLITE_SQL.0,
        text: BUILTIN_SQLITE_SQL.1,
    },
    BuiltinPack {
        name: "sqlite-migration",
        file: BUILTIN_SQLITE_MIGRATION.0,
        text: BUILTIN_SQLITE_MIGRATION.1,
    },
];

/// The built-in pack called `name`.
pub fn builtin_pack(name: &str) -> Option<&'static BuiltinPack> {
    BUILTIN_PACKS.iter().find(|p| p.name == name)
}

impl BuiltinPack {
    pub fn load(&self) -> Result<Vec<Rule>, RuleFileError> {
        load_pack(self.file, self.text)
    }
}

/// Which files of the project a rule may look at beyond its globs, by relative path: how
/// [`crate::packs`] keeps a pack to the parts of a project it is for.
pub type Scope = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A rule ready to run.
pub struct Rule {
    pub id: Arc<str>,
    pub kind: &'static str,
    pub message: String,
    pub files: Vec<String>,
    pub exclude: Vec<String>,
    /// The pack file the rule came from.
    pub origin: String,
    files_set: Option<GlobSet>,
    exclude_set: Option<GlobSet>,
    scope: Option<Scope>,
    pub imp: Box<dyn RuleKind>,
}

impl Rule {
    /// Keeps the rule to the files `scope` accepts, as well as its globs.
    pub fn restrict(&mut self, scope: Scope) {
        self.scope = Some(scope);
    }

    /// Whether the rule looks at the file at `path` (relative, `/`-separated): its `files` and
    /// `exclude` globs, and whether its kind reads files of that language.
    pub fn applies_to(&self, path: &str) -> bool {
        self.matches_path(path) && self.in_scope(path)
    }

    /// The cheap part of [`Rule::applies_to`]: the globs and the language, from the path alone.
    pub fn matches_path(&self, path: &str) -> bool {
        Lang::from_path(path).is_none_or(|lang| self.imp.reads(lang))
            && self.files_set.as_ref().is_none_or(|set| set.is_match(path))
            && !self
                .exclude_set
                .as_ref()
                .is_some_and(|set| set.is_match(path))
    }

    /// The part of [`Rule::applies_to`] that may look at the project (see [`Rule::restrict`]).
    pub fn in_scope(&self, path: &str) -> bool {
        self.scope.as_ref().is_none_or(|scope| scope(path))
    }
}

#[cfg(test)]
impl Rule {
    /// A rule around any kind, for engine tests.
    pub(crate) fn for_test(id: &str, imp: Box<dyn RuleKind>) -> Rule {
        Rule {
            id: Arc::from(id),
            kind: "test",
            message: String::new(),
            files: Vec::new(),
            exclude: Vec::new(),
            origin: "test".into(),
            files_set: None,
            exclude_set: None,
            scope: None,
            imp,
        }
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A rule file that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RuleFileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl RuleFileError {
    fn new(file: &str, src: &str, span: Option<Range<usize>>, message: String) -> RuleFileError {
        let (line, column) = span.map_or((1, 1), |span| line_col(src, span.start));
        RuleFileError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The keys every rule has, whatever its kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommonKeys {
    id: Spanned<String>,
    kind: Spanned<String>,
    message: String,
    #[serde(default)]
    files: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

const COMMON_KEYS: &[&str] = &["id", "kind", "message", "files", "exclude"];

/// Loads and compiles one pack. `file` names the pack in errors.
pub fn load_pack(file: &str, src: &str) -> Result<Vec<Rule>, RuleFileError> {
    let err =
        |span: Option<Range<usize>>, message: String| RuleFileError::new(file, src, span, message);
    let document = DeTable::parse(src).map_err(|e| err(e.span(), e.message().to_string()))?;
    let mut rules = Vec::new();
    for (key, value) in document.into_inner() {
        match key.get_ref().as_ref() {
            "description" if value.get_ref().is_str() => {}
            "rule" => {
                let span = value.span();
                let DeValue::Array(tables) = value.into_inner() else {
                    return Err(err(
                        Some(span),
                        "`rule` must be an array of tables: write [[rule]]".into(),
                    ));
                };
                for table in tables {
                    rules.push(compile_rule(file, src, table)?);
                }
            }
            other => {
                return Err(err(
                    Some(key.span()),
                    format!(
                        "unknown key `{other}`; a rule pack has `description` and [[rule]] tables"
                    ),
                ));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for rule in &rules {
        if !seen.insert(rule.id.clone()) {
            return Err(err(None, format!("rule id `{}` is defined twice", rule.id)));
        }
    }
    Ok(rules)
}

fn compile_rule(file: &str, src: &str, table: Spanned<DeValue<'_>>) -> Result<Rule, RuleFileError> {
    let err =
        |span: Option<Range<usize>>, message: String| RuleFileError::new(file, src, span, message);
    let table_span = table.span();
    let DeValue::Table(entries) = table.into_inner() else {
        return Err(err(
            Some(table_span),
            "each [[rule]] must be a table".into(),
        ));
    };
    let mut common = DeTable::new();
    let mut params = DeTable::new();
    // Where each key's value is, so that a bad value is reported with the key it belongs to.
    let value_spans: Vec<(String, Range<usize>)> = entries
        .iter()
        .map(|(key, value)| (key.get_ref().to_string(), value.span()))
        .collect();
    let with_key = |span: Option<&Range<usize>>, message: String| -> String {
        let key = span.and_then(|span| {
            value_spans
                .iter()
                .find(|(_, value)| value.start <= span.start && span.end <= value.end)
        });
        match key {
            Some((key, _)) if !message.contains(&format!("`{key}`")) => {
                format!("key `{key}`: {message}")
            }
            _ => message,
        }
    };
    for (key, value) in entries {
        if COMMON_KEYS.contains(&key.get_ref().as_ref()) {
            common.insert(key, value);
        } else {
            params.insert(key, value);
        }
    }
    let common = CommonKeys::deserialize(ValueDeserializer::from(Spanned::new(
        table_span.clone(),
        DeValue::Table(common),
    )))
    .map_err(|e| {
        err(
            e.span().or(Some(table_span.clone())),
            format!(
                "rule: {}",
                with_key(e.span().as_ref(), e.message().to_string())
            ),
        )
    })?;

    let id = common.id.get_ref();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(err(
            Some(common.id.span()),
            format!("rule id `{id}` must be lowercase letters, digits and `-`"),
        ));
    }
    let Some(spec) = kinds::find_kind(common.kind.get_ref()) else {
        let known: Vec<&str> = kinds::KINDS.iter().map(|k| k.name).collect();
        return Err(err(
            Some(common.kind.span()),
            format!(
                "rule `{id}`: unknown kind `{}`; known kinds: {}",
                common.kind.get_ref(),
                known.join(", ")
            ),
        ));
    };
    let imp: Box<dyn RuleKind> = (spec.compile)(ValueDeserializer::from(Spanned::new(
        table_span.clone(),
        DeValue::Table(params),
    )))
    .map_err(|ParamError { message, span }| {
        err(
            span.clone().or(Some(table_span.clone())),
            format!(
                "rule `{id}` ({}): {}",
                spec.name,
                with_key(span.as_ref(), message.clone())
            ),
        )
    })?;

    let files_set = compile_globs(&common.files)
        .map_err(|(span, m)| err(Some(span), format!("rule `{id}`: {m}")))?;
    let exclude_set = compile_globs(&common.exclude)
        .map_err(|(span, m)| err(Some(span), format!("rule `{id}`: {m}")))?;
    Ok(Rule {
        id: Arc::from(id.as_str()),
        kind: spec.name,
        message: common.message,
        files: common.files.iter().map(|g| g.get_ref().clone()).collect(),
        exclude: common.exclude.iter().map(|g| g.get_ref().clone()).collect(),
        origin: file.to_string(),
        files_set,
        exclude_set,
        scope: None,
        imp,
    })
}

/// Compiles rule globs: a pattern without a slash matches the file name anywhere. `None` for
/// an empty list; an error names the span of the bad pattern.
pub fn compile_globs(globs: &[Spanned<String>]) -> Result<Option<GlobSet>, (Range<usize>, String)> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let pattern = glob.get_ref();
        // A pattern without a slash matches the file name anywhere, as in .gitignore.
        let pattern = if pattern.contains('/') {
            pattern.clone()
        } else {
            format!("**/{pattern}")
        };
        let compiled = Glob::new(&pattern)
            .map_err(|e| (glob.span(), format!("bad glob `{}`: {e}", glob.get_ref())))?;
        builder.add(compiled);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| (globs[0].span(), e.to_string()))
}
