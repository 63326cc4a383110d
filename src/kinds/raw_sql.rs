//! `raw-sql`: a check-only kind. It reads the SQL text handed to Prisma's raw queries
//! (`$queryRawUnsafe('…')`, `` $queryRaw`…` ``, `` Prisma.sql`…` ``) and reports SQL that only
//! SQLite accepts (`?` placeholders, `datetime('now')`, `PRAGMA`, backtick identifiers, …). It
//! never edits: rewriting SQL safely needs a person.
//!
//! The SQL is read where it can be known without running the code: string and template
//! literals (a `${…}` substitution stands for a value), `+` concatenations of them, and a
//! `const` of the same file holding one. Quoted SQL strings and comments are blanked before
//! the pattern runs, so `'?'` or `-- PRAGMA` inside them is not a finding.

use std::collections::HashMap;
use std::ops::Range;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use swc_ecma_ast::{
    BinaryOp, CallExpr, Callee, Expr, ExprOrSpread, Lit, OptCall, Pat, TaggedTpl, Tpl,
    VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};
use toml::Spanned;

use super::ast::{member_name, unwrap};
use super::{FileContext, KindSpec, ParamError, RuleKind, Sink, screen};
use crate::source::{Lang, span_range};

pub const SPEC: KindSpec = KindSpec {
    name: "raw-sql",
    summary: "report (never edit) SQL in raw Prisma queries that matches a pattern",
    compile,
};

/// Calls whose first argument is SQL text.
const DEFAULT_CALLS: &[&str] = &["$queryRawUnsafe", "$executeRawUnsafe", "Prisma.raw"];
/// Tags whose template is SQL text.
const DEFAULT_TAGS: &[&str] = &["$queryRaw", "$executeRaw", "Prisma.sql", "sql"];
/// What a `${…}` substitution becomes in the SQL text: a value, matching no pattern.
const SUBSTITUTION: &str = "0";
/// How many `const` hops are followed from a call to its SQL.
const MAX_CONST_HOPS: usize = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// A regex over the SQL text.
    pattern: Spanned<String>,
    /// Match letter case exactly (default: any case, as SQL keywords are written).
    #[serde(default)]
    case_sensitive: bool,
    /// Callees whose first argument is SQL: `name` (any object, or a bare function) or
    /// `Object.name`.
    calls: Option<Vec<String>>,
    /// Template tags whose text is SQL, in the same notation.
    tags: Option<Vec<String>>,
    /// Quote characters whose quoted text is blanked before matching (SQL strings are data,
    /// double-quoted names are already PostgreSQL-style). Comments are always blanked.
    quoted: Option<Vec<Spanned<String>>>,
    /// The finding: what differs on PostgreSQL and what to do. `{match}` is replaced by the
    /// SQL that matched (the first capture group that took part, if the pattern has groups).
    advice: String,
}

struct RawSql {
    /// Matches wherever a call or tag of `calls` / `tags` could be: the name, then blanks or
    /// comments, then `` ` ``, `(`, `<` or `?.`.
    screen: screen::WordScreen,
    pattern: Regex,
    source: String,
    case_sensitive: bool,
    calls: Vec<String>,
    tags: Vec<String>,
    quoted: Vec<char>,
    advice: String,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    let pattern = RegexBuilder::new(params.pattern.get_ref())
        .case_insensitive(!params.case_sensitive)
        .build()
        .map_err(|e| ParamError::at(format!("bad regex: {e}"), params.pattern.span()))?;
    let mut quoted = Vec::new();
    for q in params.quoted.unwrap_or_else(|| {
        vec![
            Spanned::new(0..0, "'".into()),
            Spanned::new(0..0, "\"".into()),
        ]
    }) {
        let mut chars = q.get_ref().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => quoted.push(c),
            _ => {
                return Err(ParamError::at(
                    "each `quoted` entry is one quote character",
                    q.span(),
                ));
            }
        }
    }
    let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let calls = params.calls.unwrap_or_else(|| owned(DEFAULT_CALLS));
    let tags = params.tags.unwrap_or_else(|| owned(DEFAULT_TAGS));
    let names: Vec<String> = calls
        .iter()
        .chain(&tags)
        .map(|spec| spec.rsplit('.').next().unwrap_or(spec).to_string())
        .collect();
    Ok(Box::new(RawSql {
        screen: screen::invoked(&names),
        pattern,
        source: params.pattern.into_inner(),
        case_sensitive: params.case_sensitive,
        calls,
        tags,
        quoted,
        advice: params.advice,
    }))
}

impl RuleKind for RawSql {
    // Calls, object literals and conditions exist only in code that runs.
    fn reads(&self, lang: Lang) -> bool {
        super::runs_code(lang)
    }

    // What `names` needs written in the file: the object of a dotted spec (`Prisma`, rarer than
    // `raw` or `sql`), else the name itself. The screen then wants the name followed by its
    // template, arguments or type arguments.
    fn triggers(&self) -> Vec<String> {
        let mut triggers: Vec<String> = self
            .calls
            .iter()
            .chain(&self.tags)
            .map(|spec| match spec.split_once('.') {
                Some((object, _)) => object.to_string(),
                None => spec.clone(),
            })
            .collect();
        triggers.sort();
        triggers.dedup();
        triggers
    }

    fn may_fire(&self, _lang: Lang, text: &str) -> bool {
        self.screen.is_match(text)
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let mut consts = Consts::default();
        file.parsed.program.visit_with(&mut consts);
        let mut finder = Finder {
            rule: self,
            text: file.text,
            consts: &consts.by_name,
            sink,
        };
        file.parsed.program.visit_with(&mut finder);
    }

    fn describe(&self) -> Vec<(String, String)> {
        let quoted: Vec<String> = self.quoted.iter().map(|c| c.to_string()).collect();
        vec![
            ("pattern".into(), self.source.clone()),
            ("case_sensitive".into(), self.case_sensitive.to_string()),
            ("calls".into(), self.calls.join(", ")),
            ("tags".into(), self.tags.join(", ")),
            ("quoted".into(), quoted.join(" ")),
            ("advice".into(), self.advice.clone()),
        ]
    }
}

/// `const NAME = <expr>` declarations of the file whose value could be SQL text, by name; a
/// name declared more than once is ambiguous and maps to `None`.
#[derive(Default)]
struct Consts {
    by_name: HashMap<String, Option<Expr>>,
}

fn could_be_text(expr: &Expr) -> bool {
    match unwrap(expr) {
        Expr::Lit(Lit::Str(_)) | Expr::Tpl(_) | Expr::Ident(_) => true,
        Expr::Bin(bin) => bin.op == BinaryOp::Add,
        _ => false,
    }
}

impl Visit for Consts {
    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if let (Pat::Ident(binding), Some(init)) = (&declarator.name, &declarator.init) {
            let name = binding.id.sym.to_string();
            match self.by_name.get_mut(&name) {
                Some(entry) => *entry = None,
                None => {
                    // Spans survive the clone, so findings still point into the file.
                    let value = could_be_text(init).then(|| (**init).clone());
                    self.by_name.insert(name, value);
                }
            }
        }
        declarator.visit_children_with(self);
    }
}

/// SQL text assembled from source pieces, with the way back to source offsets.
#[derive(Default)]
struct SqlText {
    text: String,
    /// `(offset in text, offset in the source, verbatim)`: a verbatim piece maps byte for
    /// byte; a stand-in (a substitution, an unknown operand) maps to its start.
    pieces: Vec<(usize, usize, bool)>,
    /// The `const` the text came from, when it was not written at the call.
    via: Option<String>,
}

impl SqlText {
    fn push(&mut self, text: &str, source: usize, verbatim: bool) {
        self.pieces.push((self.text.len(), source, verbatim));
        self.text.push_str(text);
    }

    fn source_offset(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|p| p.0 <= offset).max(1) - 1;
        let (start, source, verbatim) = self.pieces[index];
        if verbatim {
            source + (offset - start)
        } else {
            source
        }
    }
}

struct Finder<'a> {
    rule: &'a RawSql,
    text: &'a str,
    consts: &'a HashMap<String, Option<Expr>>,
    sink: &'a mut Sink,
}

/// Whether `expr` is the callee or tag named by `spec` (`name` or `Object.name`).
/// Whether the callee or tag `expr` is `spec` as written (`name`, `object.name`), without
/// parentheses or type assertions around it, so that the screen can rely on the name standing
/// right before its arguments or template.
fn names(expr: &Expr, spec: &str) -> bool {
    match spec.split_once('.') {
        Some((object, property)) => member_name(expr).is_some_and(|(o, p)| {
            p == property && matches!(unwrap(o), Expr::Ident(i) if i.sym == *object)
        }),
        None => match expr {
            Expr::Ident(ident) => ident.sym == *spec,
            other => member_name(other).is_some_and(|(_, p)| p == spec),
        },
    }
}

impl Finder<'_> {
    /// Appends the SQL of `expr`; returns whether any of it was known text.
    fn collect(&self, expr: &Expr, sql: &mut SqlText, hops: usize) -> bool {
        let expr = unwrap(expr);
        let start = span_range(swc_common::Spanned::span(expr)).start;
        match expr {
            Expr::Lit(Lit::Str(s)) => {
                let range = span_range(s.span);
                let inner = (range.start + 1)..range.end.saturating_sub(1).max(range.start + 1);
                match self.text.get(inner.clone()) {
                    Some(raw) => {
                        sql.push(raw, inner.start, true);
                        true
                    }
                    None => false,
                }
            }
            Expr::Tpl(tpl) => self.template(tpl, sql),
            Expr::Bin(bin) if bin.op == BinaryOp::Add => {
                let left = self.collect(&bin.left, sql, hops);
                let right = self.collect(&bin.right, sql, hops);
                left || right
            }
            Expr::Ident(ident) if hops < MAX_CONST_HOPS => {
                match self.consts.get(ident.sym.as_ref()) {
                    Some(Some(init)) => {
                        if sql.via.is_none() {
                            sql.via = Some(ident.sym.to_string());
                        }
                        self.collect(init, sql, hops + 1)
                    }
                    _ => {
                        sql.push(SUBSTITUTION, start, false);
                        false
                    }
                }
            }
            _ => {
                sql.push(SUBSTITUTION, start, false);
                false
            }
        }
    }

    fn template(&self, tpl: &Tpl, sql: &mut SqlText) -> bool {
        for (index, quasi) in tpl.quasis.iter().enumerate() {
            let range = span_range(quasi.span);
            if let Some(raw) = self.text.get(range.clone()) {
                sql.push(raw, range.start, true);
            }
            if let Some(expr) = tpl.exprs.get(index) {
                let at = span_range(swc_common::Spanned::span(&**expr)).start;
                sql.push(SUBSTITUTION, at, false);
            }
        }
        true
    }

    fn check(&mut self, sql: SqlText, runner: &str) {
        let masked = mask(&sql.text, &self.rule.quoted);
        // The first capture group that took part is what the finding points at (a pattern may
        // need context it does not want to show); without one, the whole match.
        let mut found = self.rule.pattern.captures_iter(&masked).map(|captures| {
            (1..captures.len())
                .find_map(|i| captures.get(i))
                .or_else(|| captures.get(0))
                .map(|m| m.range())
                .unwrap_or_default()
        });
        let Some(first) = found.next() else {
            return;
        };
        let more = found.count();
        let shown = sql.text[first.clone()].trim();
        let mut message = self.rule.advice.replace("{match}", shown);
        if more > 0 {
            message.push_str(&format!(" ({} places in this SQL)", more + 1));
        }
        if let Some(name) = &sql.via {
            message.push_str(&format!(" [SQL in `{name}`, run by `{runner}`]"));
        }
        let start = sql.source_offset(first.start);
        let end = sql.source_offset(first.end.saturating_sub(1).max(first.start)) + 1;
        self.sink.review(range(start, end), message);
    }
}

fn range(start: usize, end: usize) -> Range<usize> {
    start..end.max(start)
}

fn callee_label(callee: &Expr) -> String {
    match member_name(unwrap(callee)) {
        Some((_, name)) => name.to_string(),
        None => match unwrap(callee) {
            Expr::Ident(ident) => ident.sym.to_string(),
            _ => "the query".to_string(),
        },
    }
}

impl Finder<'_> {
    fn call(&mut self, callee: &Expr, args: &[ExprOrSpread]) {
        if self.rule.calls.iter().any(|spec| names(callee, spec))
            && let Some(first) = args.first()
            && first.spread.is_none()
            && !matches!(unwrap(&first.expr), Expr::TaggedTpl(_))
        {
            let mut sql = SqlText::default();
            if self.collect(&first.expr, &mut sql, 0) {
                self.check(sql, &callee_label(callee));
            }
        }
    }
}

impl Visit for Finder<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee {
            self.call(callee, &call.args);
        }
        call.visit_children_with(self);
    }

    // `tx?.$queryRawUnsafe(…)` and `tx.$queryRawUnsafe?.(…)`.
    fn visit_opt_call(&mut self, call: &OptCall) {
        self.call(&call.callee, &call.args);
        call.visit_children_with(self);
    }

    fn visit_tagged_tpl(&mut self, tagged: &TaggedTpl) {
        if self.rule.tags.iter().any(|spec| names(&tagged.tag, spec)) {
            let mut sql = SqlText::default();
            self.template(&tagged.tpl, &mut sql);
            self.check(sql, &callee_label(&tagged.tag));
        }
        tagged.visit_children_with(self);
    }
}

/// Blanks (with spaces, byte for byte) the text inside the given quotes and inside SQL
/// comments, so that patterns only see SQL code. A doubled quote inside quotes is an escape.
fn mask(sql: &str, quotes: &[char]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    let blank = |out: &mut String, c: char| {
        for _ in 0..c.len_utf8() {
            out.push(' ');
        }
    };
    while let Some((_, c)) = chars.next() {
        if quotes.contains(&c) {
            out.push(c);
            while let Some((_, inner)) = chars.next() {
                if inner == c {
                    if chars.peek().is_some_and(|&(_, next)| next == c) {
                        chars.next();
                        out.push_str("  ");
                        continue;
                    }
                    out.push(c);
                    break;
                }
                blank(&mut out, inner);
            }
        } else if c == '-' && chars.peek().is_some_and(|&(_, next)| next == '-') {
            blank(&mut out, c);
            while let Some(&(_, inner)) = chars.peek() {
                if inner == '\n' {
                    break;
                }
                chars.next();
                blank(&mut out, inner);
            }
        } else if c == '/' && chars.peek().is_some_and(|&(_, next)| next == '*') {
            blank(&mut out, c);
            let mut previous = ' ';
            for (_, inner) in chars.by_ref() {
                blank(&mut out, inner);
                if previous == '*' && inner == '/' {
                    break;
                }
                previous = inner;
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask;
    use crate::kinds::testing::run_rule;

    const PLACEHOLDER: &str = r#"
[[rule]]
id = "sqlite-raw-placeholder"
kind = "raw-sql"
message = "SQLite placeholders"
pattern = '\?'
calls = ["$queryRawUnsafe", "$executeRawUnsafe"]
tags = []
advice = "`?` is SQLite's placeholder: number them for PostgreSQL"
"#;

    const PRAGMA: &str = r#"
[[rule]]
id = "sqlite-raw-pragma"
kind = "raw-sql"
message = "PRAGMA"
pattern = '\bpragma\b'
advice = "`{match}` does not exist on PostgreSQL"
"#;

    /// Each spelling of a call or tag alone in its file: the rule finds it, and (checked by
    /// `run_rule`) its triggers and its screen let the file through. Found by the fuzz target:
    /// a tag with a blank before its template (`` sql `…` ``) used to be ruled out.
    #[test]
    fn every_spelling_alone_in_a_file() {
        for snippet in [
            "await prisma.$executeRaw`PRAGMA foreign_keys = ON`;",
            "await prisma.$executeRaw `PRAGMA foreign_keys = ON`;",
            "const url = -sql `PRAGMA foreign_keys = ON`;",
            "const f = Prisma.sql /* why */ `PRAGMA journal_mode = WAL`;",
            "const f = Prisma\n  .sql`PRAGMA journal_mode = WAL`;",
            "await tx.$executeRawUnsafe<number>('PRAGMA busy_timeout = 5000');",
            "await tx?.$executeRawUnsafe('PRAGMA busy_timeout = 5000');",
            "await tx.$executeRawUnsafe?.('PRAGMA busy_timeout = 5000');",
            "await tx.$executeRawUnsafe\n  ('PRAGMA busy_timeout = 5000');",
            "const f = Prisma . raw('PRAGMA journal_mode = WAL');",
        ] {
            let out = run_rule(PRAGMA, "one.ts", snippet);
            assert!(out.contains("review one.ts:"), "{snippet}\n{out}");
        }
    }

    #[test]
    fn masking_keeps_offsets() {
        let sql = "SELECT '?' AS q, \"a?\" -- ?\n/* ? */ FROM t WHERE x = ? AND y = 'it''s ?'";
        let masked = mask(sql, &['\'', '"']);
        assert_eq!(masked.len(), sql.len());
        assert_eq!(masked.matches('?').count(), 1);
        assert_eq!(masked.find('?'), sql.rfind("= ?").map(|i| i + 2));
    }

    #[test]
    fn placeholders_in_unsafe_calls() {
        insta::assert_snapshot!(run_rule(
            PLACEHOLDER,
            "seed.ts",
            r#"await prisma.$executeRawUnsafe('UPDATE "Media" SET status = ? WHERE id = ?', 'READY', id);
const q = "SELECT * FROM \"Media\" WHERE key = ?";
await tx.$queryRawUnsafe(q, key);
await prisma.$queryRawUnsafe(`SELECT * FROM "Media" WHERE id = ${"?"} OR key = ?`, key);
await prisma.$queryRawUnsafe('SELECT ' + columns + ' FROM "Media" WHERE id = ?', id);
"#
        ));
    }

    #[test]
    fn placeholders_not_reported() {
        insta::assert_snapshot!(run_rule(
            PLACEHOLDER,
            "seed.ts",
            r#"await prisma.$queryRawUnsafe('SELECT * FROM "Media" WHERE id = $1', id);
await prisma.$queryRawUnsafe("SELECT '?' AS question, \"what?\" FROM t -- why?");
await prisma.$queryRaw`SELECT * FROM "Media" WHERE id = ${id}`;
const label = 'who?';
await prisma.$queryRawUnsafe(sqlFromElsewhere, id);
other.queryRawUnsafe('SELECT ?', 1);
const help = 'Use ? here';
"#
        ));
    }

    #[test]
    fn tagged_templates_and_prisma_sql() {
        insta::assert_snapshot!(run_rule(
            PRAGMA,
            "seed.ts",
            r#"await prisma.$executeRaw`PRAGMA foreign_keys = ON`;
const fragment = Prisma.sql`pragma journal_mode = WAL`;
await prisma.$executeRawUnsafe('PRAGMA busy_timeout = 5000');
await prisma.$executeRawUnsafe('SELECT 1 -- PRAGMA in a comment');
const text = 'PRAGMA in a plain string is not SQL';
String.raw`PRAGMA`;
"#
        ));
    }
}
