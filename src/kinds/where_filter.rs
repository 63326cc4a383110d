//! `where-filter`: a check-only kind. It reports Prisma filter keys whose meaning changes on
//! PostgreSQL — `contains` / `startsWith` / `endsWith` without `mode: 'insensitive'` (SQLite's
//! `LIKE` ignored ASCII case, PostgreSQL's does not), a Json `path` written as a string (the
//! MySQL/SQLite syntax; PostgreSQL takes an array of keys). It never edits: whether a search
//! must stay case-insensitive is a product decision.
//!
//! A key counts only inside a filter: under a `where` (or `having`) property at any depth, or in
//! the value of a variable named like `where`/`…Where` or typed `…WhereInput`. The same key in
//! any other object (options, component props) is not a filter.

use serde::Deserialize;
use swc_ecma_ast::{
    Expr, KeyValueProp, Lit, ObjectLit, Pat, Prop, PropName, PropOrSpread, TsType, VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};

use super::ast::{range_of, unwrap};
use super::{FileContext, KindSpec, ParamError, RuleKind, Sink, screen};
use crate::source::Lang;

pub const SPEC: KindSpec = KindSpec {
    name: "where-filter",
    summary: "report (never edit) Prisma filter keys whose meaning changes on PostgreSQL",
    compile,
};

const DEFAULT_SCOPES: &[&str] = &["where", "having"];

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum ValueKind {
    /// Any value.
    #[default]
    Any,
    /// Only a string or template literal.
    String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The filter keys to report.
    keys: Vec<String>,
    /// A key that, present beside the filter key, settles the question (e.g. `mode`).
    unless: Option<String>,
    /// Which values of the key are reported.
    #[serde(default)]
    value: ValueKind,
    /// Property names under which an object is a filter.
    scopes: Option<Vec<String>>,
    /// The finding: what differs on PostgreSQL and what to do; `{key}` is the key found.
    advice: String,
}

struct WhereFilter {
    params: Params,
    scopes: Vec<String>,
    /// Matches wherever a key could be an object literal's property key.
    screen: screen::WordScreen,
    /// Match wherever a filter scope could start: a scope key, or a variable named or typed
    /// as a filter (see [`is_filter_variable`]).
    scope_screens: (screen::WordScreen, regex::Regex),
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    if params.keys.is_empty() {
        return Err(ParamError {
            message: "`keys` must list at least one filter key".into(),
            span: None,
        });
    }
    let scopes = params
        .scopes
        .clone()
        .unwrap_or_else(|| DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect());
    let screen = screen::property_key(&params.keys, params.value == ValueKind::String);
    let scope_screens = (
        screen::property_key(&scopes, false),
        regex::Regex::new(&format!("(?i:where){}[:=]|WhereInput", screen::GAP))
            .expect("a fixed regex"),
    );
    Ok(Box::new(WhereFilter {
        params,
        scopes,
        screen,
        scope_screens,
    }))
}

impl RuleKind for WhereFilter {
    fn triggers(&self) -> Vec<String> {
        self.params.keys.clone()
    }

    // The keys are common words; they matter only where a filter can be: inside a scope key,
    // a variable named like `where`, or a `…WhereInput`.
    fn context_triggers(&self) -> Vec<String> {
        let mut context = self.scopes.clone();
        context.push("where".to_string());
        context.sort();
        context.dedup();
        context
    }

    // Filters are object literals in code that runs.
    fn reads(&self, lang: Lang) -> bool {
        super::runs_code(lang)
    }

    // A key word that never stands before a `:` (or in a shorthand) is a method call or prose,
    // not a filter key; nor is a key with no filter scope anywhere in the file.
    fn may_fire(&self, _lang: Lang, text: &str) -> bool {
        self.screen.is_match(text)
            && (self.scope_screens.0.is_match(text) || self.scope_screens.1.is_match(text))
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let mut finder = Finder {
            rule: self,
            text: file.text,
            depth: 0,
            sink,
        };
        file.parsed.program.visit_with(&mut finder);
    }

    fn describe(&self) -> Vec<(String, String)> {
        let mut out = vec![("keys".into(), self.params.keys.join(", "))];
        if let Some(unless) = &self.params.unless {
            out.push(("unless".into(), unless.clone()));
        }
        out.push((
            "value".into(),
            match self.params.value {
                ValueKind::Any => "any",
                ValueKind::String => "string",
            }
            .into(),
        ));
        out.push(("scopes".into(), self.scopes.join(", ")));
        out.push(("advice".into(), self.params.advice.clone()));
        out
    }
}

struct Finder<'a> {
    rule: &'a WhereFilter,
    text: &'a str,
    /// How many filter scopes enclose the node being visited.
    depth: usize,
    sink: &'a mut Sink,
}

fn key_name(key: &PropName) -> Option<&str> {
    match key {
        PropName::Ident(ident) => Some(ident.sym.as_ref()),
        PropName::Str(s) => s.value.as_str(),
        _ => None,
    }
}

fn is_filter_variable(name: &str, annotation: Option<&TsType>, text: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "where"
        || name.ends_with("Where")
        || annotation.is_some_and(|t| {
            text.get(range_of(t))
                .is_some_and(|s| s.contains("WhereInput"))
        })
}

impl Finder<'_> {
    fn in_scope(&mut self, inside: bool, visit: impl FnOnce(&mut Self)) {
        if inside {
            self.depth += 1;
        }
        visit(self);
        if inside {
            self.depth -= 1;
        }
    }

    fn reportable(&self, value: &Expr) -> bool {
        match self.rule.params.value {
            ValueKind::Any => true,
            ValueKind::String => matches!(unwrap(value), Expr::Lit(Lit::Str(_)) | Expr::Tpl(_)),
        }
    }
}

impl Visit for Finder<'_> {
    fn visit_object_lit(&mut self, object: &ObjectLit) {
        if self.depth > 0 {
            let keys: Vec<&str> = object
                .props
                .iter()
                .filter_map(|p| match p {
                    PropOrSpread::Prop(prop) => match &**prop {
                        Prop::KeyValue(kv) => key_name(&kv.key),
                        Prop::Shorthand(ident) => Some(ident.sym.as_ref()),
                        _ => None,
                    },
                    PropOrSpread::Spread(_) => None,
                })
                .collect();
            let settled = self
                .rule
                .params
                .unless
                .as_deref()
                .is_some_and(|unless| keys.contains(&unless));
            if !settled {
                for prop in &object.props {
                    let PropOrSpread::Prop(prop) = prop else {
                        continue;
                    };
                    let (name, range, value) = match &**prop {
                        Prop::KeyValue(kv) => match key_name(&kv.key) {
                            Some(name) => (name, range_of(&kv.key), Some(&*kv.value)),
                            None => continue,
                        },
                        Prop::Shorthand(ident) => (ident.sym.as_ref(), range_of(ident), None),
                        _ => continue,
                    };
                    if !self.rule.params.keys.iter().any(|k| k == name) {
                        continue;
                    }
                    let reportable = match value {
                        Some(value) => self.reportable(value),
                        None => self.rule.params.value == ValueKind::Any,
                    };
                    if reportable {
                        self.sink
                            .review(range, self.rule.params.advice.replace("{key}", name));
                    }
                }
            }
        }
        object.visit_children_with(self);
    }

    fn visit_key_value_prop(&mut self, prop: &KeyValueProp) {
        let scope = key_name(&prop.key).is_some_and(|k| self.rule.scopes.iter().any(|s| s == k));
        prop.key.visit_with(self);
        self.in_scope(scope, |this| prop.value.visit_with(this));
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        let scope = match &declarator.name {
            Pat::Ident(binding) => is_filter_variable(
                binding.id.sym.as_ref(),
                binding.type_ann.as_ref().map(|t| &*t.type_ann),
                self.text,
            ),
            _ => false,
        };
        declarator.name.visit_with(self);
        self.in_scope(scope, |this| declarator.init.visit_with(this));
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::run_rule;

    const CASE: &str = r#"
[[rule]]
id = "sqlite-case-insensitive-filter"
kind = "where-filter"
message = "case-insensitive filters"
keys = ["contains", "startsWith", "endsWith"]
unless = "mode"
advice = "`{key}` ignored ASCII case on SQLite: add `mode: 'insensitive'`"
"#;

    const JSON_PATH: &str = r#"
[[rule]]
id = "sqlite-json-path-string"
kind = "where-filter"
message = "Json path"
keys = ["path"]
value = "string"
advice = "`{key}` as a string is the SQLite syntax"
"#;

    #[test]
    fn string_filters_without_mode() {
        insta::assert_snapshot!(run_rule(
            CASE,
            "search.ts",
            r#"await prisma.media.findMany({ where: { filename: { contains: q } } });
await prisma.media.count({
  where: {
    OR: [{ filename: { startsWith: prefix } }, { key: { endsWith: '.JPG' } }],
  },
});
const where = { mimeType: { contains: 'image' } };
const mediaWhere: Prisma.MediaWhereInput = { filename: { contains } };
"#
        ));
    }

    #[test]
    fn string_filters_not_reported() {
        insta::assert_snapshot!(run_rule(
            CASE,
            "search.ts",
            r#"await prisma.media.findMany({ where: { filename: { contains: q, mode: 'insensitive' } } });
await prisma.media.findMany({ where: { filename: { equals: q } } });
const options = { contains: 'x', startsWith: 'y' };
if (name.startsWith('a') || name.endsWith('b')) {}
const props = { contains: true };
render({ where: undefined, contains: 'not a filter' });
"#
        ));
    }

    /// Each spelling of a filter alone in its file: the rule finds it, and (checked by
    /// `run_rule`) the triggers and the `may_fire` screens let the file through.
    #[test]
    fn every_spelling_alone_in_a_file() {
        for snippet in [
            "prisma.a.findMany({ where: { name: { contains: q } } });",
            "prisma.a.findMany({ 'where': { name: { \"contains\": q } } });",
            "prisma.a.findMany({ where /* why */ : { name: { contains // why\n : q } } });",
            "prisma.a.groupBy({ by: ['n'], having: { name: { startsWith } } });",
            "const userWhere = { name: { endsWith: s } };",
            "let WHERE: object = { name: { contains: s } };",
            "const f: Prisma.UserWhereInput = { name: { contains } };",
        ] {
            let out = run_rule(CASE, "one.ts", snippet);
            assert!(out.contains("review one.ts:1:"), "{snippet}\n{out}");
        }
        for snippet in [
            "prisma.a.findMany({ where: { meta: { path: '$.a' } } });",
            "prisma.a.findMany({ where: { meta: { 'path' /* c */ : ('$.a') } } });",
            "const metaWhere = { meta: { path: `$.a` } };",
        ] {
            let out = run_rule(JSON_PATH, "one.ts", snippet);
            assert!(out.contains("review one.ts:1:"), "{snippet}\n{out}");
        }
    }

    #[test]
    fn declaration_files_hold_no_filters() {
        let out = run_rule(
            CASE,
            "types.d.ts",
            "declare const where: { name: { contains: string } };\nexport type W = { where: { contains: string } };\n",
        );
        assert_eq!(out, "(no changes)\n");
    }

    #[test]
    fn json_path_as_string() {
        insta::assert_snapshot!(run_rule(
            JSON_PATH,
            "meta.ts",
            r#"await prisma.media.findMany({ where: { meta: { path: '$.exif.camera', equals: 'X100' } } });
await prisma.media.findMany({ where: { meta: { path: ['exif', 'camera'], equals: 'X100' } } });
const config = { path: '/var/media' };
"#
        ));
    }
}
