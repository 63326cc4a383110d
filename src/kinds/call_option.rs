//! `call-option`: a numeric option in the options object of a method call — `timeout: 10000` in
//! `prisma.$transaction(fn, { timeout: 10000 })` — is dropped (the whole options argument goes
//! when nothing else is left in it) or raised to a new value. Any other value is reported.
//!
//! The method is matched as a member (`prisma.$transaction`, `prisma?.$transaction`) or a
//! computed member with a literal key (`prisma['$transaction']`). The options are read where
//! they are written: an object literal at the call, a `const` of the same file passed by name
//! (`$transaction(fn, TX_OPTIONS)`) or spread into the literal (`{ ...TX_OPTIONS, maxWait }`).
//! A constant is edited only when this call is its one use and it is not exported; one that
//! other code shares is reported instead.
//!
//! Dropping an option hands the decision to a default, so the rule looks for that default before
//! the per-file pass (`new PrismaClient({ transactionOptions: { timeout } })`) and says in the
//! run summary which limit now applies and whether it is shorter than the one removed.

use serde::Deserialize;
use swc_ecma_ast::{
    CallExpr, Callee, Expr, ExprOrSpread, NewExpr, ObjectLit, OptCall, Prop, PropOrSpread,
};
use swc_ecma_visit::{Visit, VisitWith};
use toml::Spanned;

use super::ast::{
    FileConsts, list_removals, member_name, method_name, number_literal, number_value,
    prop_name_is, range_of, unwrap,
};
use super::{FileContext, KindSpec, ParamError, ProjectFacts, RuleKind, ScanFacts, Sink};
use crate::source::Lang;

pub const SPEC: KindSpec = KindSpec {
    name: "call-option",
    summary: "drop or raise a numeric option in the options argument of a method call",
    compile,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The method name, matched on any object (`prisma.$transaction`, `tx.$transaction`).
    method: String,
    /// 0-based index of the options argument.
    #[serde(default = "default_argument")]
    argument: usize,
    /// The option's property name.
    option: String,
    /// The value the rule expects to find.
    expect: f64,
    /// `drop` or `raise`.
    action: Spanned<String>,
    /// The value `raise` writes.
    raise_to: Option<f64>,
    /// What applies when the option is absent and no client default is set.
    default_value: Option<f64>,
    /// The client class whose constructor may set a default (`PrismaClient`).
    client_constructor: Option<Spanned<String>>,
    /// Dotted path of that default in the constructor's options (`transactionOptions.timeout`).
    client_option: Option<Spanned<String>>,
}

fn default_argument() -> usize {
    1
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    Drop,
    Raise(f64),
}

/// Where a client-wide default is set.
struct Client {
    constructor: String,
    /// The dotted option path as written, and split.
    option: String,
    path: Vec<String>,
}

/// A client default found by the project scan.
#[derive(Debug, Clone, PartialEq)]
struct ClientDefault {
    path: String,
    /// 1-based line of the value.
    line: usize,
    /// `None` when the value is not a literal number.
    value: Option<f64>,
}

struct CallOption {
    params: Params,
    action: Action,
    client: Option<Client>,
    defaults: Vec<ClientDefault>,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    let action = match (params.action.get_ref().as_str(), params.raise_to) {
        ("drop", _) => Action::Drop,
        ("raise", Some(to)) => Action::Raise(to),
        ("raise", None) => {
            return Err(ParamError::at(
                "`action = \"raise\"` needs `raise_to`, the value to write",
                params.action.span(),
            ));
        }
        (other, _) => {
            return Err(ParamError::at(
                format!("unknown action `{other}`; use \"drop\" or \"raise\""),
                params.action.span(),
            ));
        }
    };
    let client = match (&params.client_constructor, &params.client_option) {
        (None, None) => None,
        (Some(constructor), Some(option)) => {
            let path: Vec<String> = option.get_ref().split('.').map(str::to_string).collect();
            if path.iter().any(String::is_empty) {
                return Err(ParamError::at(
                    format!(
                        "`client_option` `{}` must be a dotted property path such as `transactionOptions.timeout`",
                        option.get_ref()
                    ),
                    option.span(),
                ));
            }
            Some(Client {
                constructor: constructor.get_ref().clone(),
                option: option.get_ref().clone(),
                path,
            })
        }
        (Some(constructor), None) => {
            return Err(ParamError::at(
                "`client_constructor` needs `client_option`, the default's path in its options",
                constructor.span(),
            ));
        }
        (None, Some(option)) => {
            return Err(ParamError::at(
                "`client_option` needs `client_constructor`, the class that takes it",
                option.span(),
            ));
        }
    };
    Ok(Box::new(CallOption {
        params,
        action,
        client,
        defaults: Vec::new(),
    }))
}

impl RuleKind for CallOption {
    // Calls, object literals and conditions exist only in code that runs.
    fn reads(&self, lang: Lang) -> bool {
        super::runs_code(lang)
    }

    fn triggers(&self) -> Vec<String> {
        vec![self.params.method.clone()]
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let mut consts = FileConsts::default();
        file.parsed.program.visit_with(&mut consts);
        let mut finder = Finder {
            params: &self.params,
            action: self.action,
            consts: &consts,
            sink,
        };
        file.parsed.program.visit_with(&mut finder);
    }

    fn describe(&self) -> Vec<(String, String)> {
        let p = &self.params;
        let mut lines = vec![
            ("method".into(), p.method.clone()),
            ("argument".into(), p.argument.to_string()),
            ("option".into(), p.option.clone()),
            ("expect".into(), number_literal(p.expect)),
            ("action".into(), p.action.get_ref().clone()),
        ];
        if let Some(to) = p.raise_to {
            lines.push(("raise_to".into(), number_literal(to)));
        }
        if let Some(default) = p.default_value {
            lines.push(("default_value".into(), number_literal(default)));
        }
        if let Some(client) = &self.client {
            lines.push(("client_constructor".into(), client.constructor.clone()));
            lines.push(("client_option".into(), client.option.clone()));
        }
        lines
    }

    fn scan_triggers(&self) -> Vec<String> {
        self.client
            .iter()
            .map(|client| client.constructor.clone())
            .collect()
    }

    fn scan(&self, file: &FileContext) -> Option<ScanFacts> {
        let client = self.client.as_ref()?;
        let mut scanner = Scanner {
            client,
            file,
            found: Vec::new(),
        };
        file.parsed.program.visit_with(&mut scanner);
        (!scanner.found.is_empty()).then(|| Box::new(scanner.found) as ScanFacts)
    }

    fn prepare(&mut self, project: ProjectFacts<'_>) {
        for (_, facts) in project.scans {
            if let Ok(found) = facts.downcast::<Vec<ClientDefault>>() {
                self.defaults.extend(*found);
            }
        }
        self.defaults
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    }

    fn summary_notes(&self, edits: usize) -> Vec<String> {
        if self.action != Action::Drop || edits == 0 {
            return Vec::new();
        }
        let p = &self.params;
        let subject = if p.method.to_ascii_lowercase().contains("transaction") {
            "the transactions".to_string()
        } else {
            format!("the `{}` calls", p.method)
        };
        let removed = number_literal(p.expect);
        let compared = |value: f64| {
            let how = if value < p.expect {
                "SHORTER than"
            } else if value > p.expect {
                "longer than"
            } else {
                "the same as"
            };
            format!("{how} the {removed} ms removed")
        };
        if let Some(client) = &self.client
            && !self.defaults.is_empty()
        {
            return self
                .defaults
                .iter()
                .map(|d| match d.value {
                    Some(value) => format!(
                        "{subject} now use the client default {} = {} ms ({}:{}), {}",
                        client.option,
                        number_literal(value),
                        d.path,
                        d.line,
                        compared(value)
                    ),
                    None => format!(
                        "{subject} now use the client default {} set at {}:{}; it is not a literal number: check that it is at least the {removed} ms removed",
                        client.option, d.path, d.line
                    ),
                })
                .collect();
        }
        let whose = match &self.client {
            Some(client) if client.constructor == "PrismaClient" => "Prisma's",
            _ => "the library's",
        };
        let Some(default) = p.default_value else {
            return vec![format!(
                "{subject} now use {whose} default {}: no client default was found; check that it is long enough",
                p.option
            )];
        };
        let mut note = format!(
            "{subject} now use {whose} default {} of {} ms, {}",
            p.option,
            number_literal(default),
            compared(default)
        );
        if default < p.expect {
            match &self.client {
                Some(client) => note.push_str(&format!(
                    "; set {} on new {} or use action = \"raise\"",
                    client.option, client.constructor
                )),
                None => note.push_str("; use action = \"raise\" to keep a longer limit"),
            }
        }
        vec![note]
    }
}

struct Finder<'a> {
    params: &'a Params,
    action: Action,
    consts: &'a FileConsts,
    sink: &'a mut Sink,
}

impl Finder<'_> {
    fn call(&mut self, callee: &Expr, args: &[ExprOrSpread]) {
        if method_name(unwrap(callee)).as_deref() != Some(self.params.method.as_str()) {
            return;
        }
        let index = self.params.argument;
        // A spread before or at the index makes the position unknowable.
        if args.iter().take(index + 1).any(|a| a.spread.is_some()) {
            return;
        }
        let Some(argument) = args.get(index) else {
            return;
        };
        match unwrap(&argument.expr) {
            Expr::Object(object) => {
                if self.literal(object, index, args, argument) {
                    return;
                }
                // Not written here: it may come with a spread constant (the last one wins).
                for prop in object.props.iter().rev() {
                    if let PropOrSpread::Spread(spread) = prop
                        && let Expr::Ident(name) = unwrap(&spread.expr)
                    {
                        self.constant(name.sym.as_ref());
                        break;
                    }
                }
            }
            Expr::Ident(name) => self.constant(name.sym.as_ref()),
            _ => {}
        }
    }

    /// The options literal at the call; returns whether it sets the option itself.
    fn literal(
        &mut self,
        object: &ObjectLit,
        index: usize,
        args: &[ExprOrSpread],
        argument: &ExprOrSpread,
    ) -> bool {
        let mut remove = vec![false; object.props.len()];
        let mut found_any = false;
        for (i, prop) in object.props.iter().enumerate() {
            let Some(value) = self.option_value(prop) else {
                continue;
            };
            found_any = true;
            // `timeout: TX_TIMEOUT` / `{ timeout }` with a number `const` of the file: the
            // property at this call goes, the constant stays for whoever else uses it.
            let Some(found) = number_value(value).or_else(|| self.number_const(value)) else {
                continue;
            };
            if found == self.params.expect {
                match self.action {
                    Action::Drop => remove[i] = true,
                    Action::Raise(to) => self.sink.replace(range_of(value), number_literal(to)),
                }
            } else if self.action != Action::Raise(found) {
                self.sink
                    .review(range_of(value), self.other_value(found, None));
            }
        }
        if !remove.contains(&true) {
            return found_any;
        }
        let ranges: Vec<_> = object.props.iter().map(range_of).collect();
        match list_removals(&ranges, &remove) {
            Some(deletions) => deletions.into_iter().for_each(|d| self.sink.delete(d)),
            // Nothing left: the options argument goes, from the end of the argument before it,
            // so `fn, {\n  timeout: 10000,\n})` becomes `fn)`.
            None if index > 0 && index + 1 == args.len() => {
                self.sink
                    .delete(range_of(&args[index - 1]).end..range_of(argument).end);
            }
            // An argument after it would move into its place: keep an empty object.
            None => self.sink.replace(range_of(object), "{}"),
        }
        true
    }

    fn other_value(&self, found: f64, via: Option<&str>) -> String {
        let place = via.map_or_else(String::new, |name| format!(" in `{name}`"));
        format!(
            "`{}` is {}{place}, not the expected {}: left as is",
            self.params.option,
            number_literal(found),
            number_literal(self.params.expect)
        )
    }

    /// Options in a `const` of the file, passed by name or spread.
    fn constant(&mut self, name: &str) {
        let Some(entry) = self.consts.objects.get(name) else {
            return;
        };
        let Some(object) = entry else {
            return;
        };
        let mut remove = vec![false; object.props.len()];
        for (i, prop) in object.props.iter().enumerate() {
            let Some(value) = self.option_value(prop) else {
                continue;
            };
            let Some(found) = number_value(value) else {
                continue;
            };
            if found != self.params.expect {
                if self.action != Action::Raise(found) {
                    self.sink
                        .review(range_of(value), self.other_value(found, Some(name)));
                }
                continue;
            }
            let uses = self.consts.uses.get(name).copied().unwrap_or(0);
            let exported = self.consts.exported.contains(name);
            if uses > 1 || exported {
                let why = if exported {
                    "is exported".to_string()
                } else {
                    format!("is used in {uses} places of this file")
                };
                self.sink.review(
                    range_of(value),
                    format!(
                        "`{}: {}` is in `{name}`, which {why}: changing it there changes every call that shares it; give this call its own options, or change it by hand",
                        self.params.option,
                        number_literal(found),
                    ),
                );
                continue;
            }
            match self.action {
                Action::Drop => remove[i] = true,
                Action::Raise(to) => self.sink.replace(range_of(value), number_literal(to)),
            }
        }
        if !remove.contains(&true) {
            return;
        }
        let ranges: Vec<_> = object.props.iter().map(range_of).collect();
        match list_removals(&ranges, &remove) {
            Some(deletions) => deletions.into_iter().for_each(|d| self.sink.delete(d)),
            None => self.sink.replace(range_of(&**object), "{}"),
        }
    }

    fn number_const(&self, value: &Expr) -> Option<f64> {
        match unwrap(value) {
            Expr::Ident(ident) => self
                .consts
                .numbers
                .get(ident.sym.as_ref())
                .and_then(|n| n.as_ref().map(|(value, _)| *value)),
            _ => None,
        }
    }

    /// The value of an `option: value` property (identifier or string key, not computed).
    fn option_value<'p>(&self, prop: &'p PropOrSpread) -> Option<&'p Expr> {
        let PropOrSpread::Prop(prop) = prop else {
            return None;
        };
        match &**prop {
            Prop::KeyValue(kv) => prop_name_is(&kv.key, &self.params.option).then_some(&*kv.value),
            _ => None,
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

    fn visit_opt_call(&mut self, call: &OptCall) {
        self.call(&call.callee, &call.args);
        call.visit_children_with(self);
    }
}

/// Finds `new <client_constructor>({ … })` and the default at `client_option` in it.
struct Scanner<'a> {
    client: &'a Client,
    file: &'a FileContext<'a>,
    found: Vec<ClientDefault>,
}

/// What a dotted path leads to in an object literal.
enum Lookup<'a> {
    Missing,
    /// A value; `None` when the path runs into something that is not a literal
    /// (`transactionOptions: shared`, a shorthand property).
    Found(Option<&'a Expr>, usize),
}

fn lookup<'a>(object: &'a ObjectLit, path: &[String]) -> Lookup<'a> {
    let Some((first, rest)) = path.split_first() else {
        return Lookup::Missing;
    };
    // The last property of a name wins, as at run time.
    for prop in object.props.iter().rev() {
        let PropOrSpread::Prop(prop) = prop else {
            continue;
        };
        match &**prop {
            Prop::KeyValue(kv) if prop_name_is(&kv.key, first) => {
                if rest.is_empty() {
                    return Lookup::Found(Some(&kv.value), range_of(&*kv.value).start);
                }
                return match unwrap(&kv.value) {
                    Expr::Object(inner) => lookup(inner, rest),
                    other => Lookup::Found(None, range_of(other).start),
                };
            }
            Prop::Shorthand(ident) if ident.sym == **first => {
                return Lookup::Found(None, range_of(ident).start);
            }
            _ => {}
        }
    }
    Lookup::Missing
}

impl Visit for Scanner<'_> {
    fn visit_new_expr(&mut self, new: &NewExpr) {
        let name = match unwrap(&new.callee) {
            Expr::Ident(ident) => Some(ident.sym.as_ref()),
            other => member_name(other).map(|(_, name)| name),
        };
        if name == Some(self.client.constructor.as_str())
            && let Some(first) = new.args.as_ref().and_then(|args| args.first())
            && first.spread.is_none()
            && let Expr::Object(options) = unwrap(&first.expr)
            && let Lookup::Found(value, at) = lookup(options, &self.client.path)
        {
            self.found.push(ClientDefault {
                path: self.file.path.to_string(),
                line: self.file.lines.line_col(self.file.text, at).0,
                value: value.and_then(number_value),
            });
        }
        new.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::kinds::testing::run_rule;
    use crate::kinds::{FileContext, ProjectFacts};
    use crate::rules::{Rule, load_pack};
    use crate::source::{Lang, LineIndex, parse};

    const RULE: &str = r#"
[[rule]]
id = "transaction-timeout"
kind = "call-option"
message = "the 10 s transaction timeout was for waiting on SQLite's lock"
method = "$transaction"
argument = 1
option = "timeout"
expect = 10000
action = "drop"
raise_to = 60000
default_value = 5000
client_constructor = "PrismaClient"
client_option = "transactionOptions.timeout"
"#;

    fn raise_rule() -> String {
        RULE.replace("action = \"drop\"", "action = \"raise\"")
    }

    #[test]
    fn only_option_takes_the_argument_with_it() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "src/workers/MediaSyncWorker.ts",
            r#"async function sync(jobId: string) {
  await prisma.$transaction(async (tx) => { await tx.a.create({}) }, { timeout: 10000 });
  await this.db.$transaction(
    async (tx) => {
      await tx.mediaSyncJob.update({ where: { id: jobId }, data: { status: 'running' } });
    },
    {
      timeout: 10000, // SQLite lock waits
    },
  );
  await tx.$transaction(work, { 'timeout': 10000 });
  await prisma?.$transaction(work, { timeout: 10000 });
}
"#
        ));
    }

    #[test]
    fn other_options_stay() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"await prisma.$transaction(work, { maxWait: 5000, timeout: 10000 });
await prisma.$transaction(work, { timeout: 10000, maxWait: 5000 });
await prisma.$transaction(work, {
  maxWait: 5000,
  timeout: 10000,
  isolationLevel: 'Serializable',
});
await prisma.$transaction(work, {
  maxWait: 5000,
  timeout: 10000,
});
await prisma.$transaction(work, { ...defaults, timeout: 10000 });
"#
        ));
    }

    #[test]
    fn raise_writes_the_new_value() {
        insta::assert_snapshot!(run_rule(
            &raise_rule(),
            "a.ts",
            r#"await prisma.$transaction(work, { timeout: 10000 });
await prisma.$transaction(work, { maxWait: 5000, timeout: 10000 as number });
await prisma.$transaction(work, { timeout: 15000 });
await prisma.$transaction(work, { maxWait: 1000, timeout: 60000 });
"#
        ));
    }

    #[test]
    fn other_values_are_reviewed() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"await prisma.$transaction(work, { timeout: 15000 });
await prisma.$transaction(work, { timeout: TIMEOUT });
await prisma.$transaction(work, { timeout });
"#
        ));
    }

    #[test]
    fn other_calls_are_left_alone() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"await prisma.$transaction([
  prisma.a.create({ data: { timeout: 10000 } }),
  prisma.b.delete({ where: { id } }),
]);
await prisma.$executeRaw(sql, { timeout: 10000 });
await $transaction(work, { timeout: 10000 });
await prisma.$transaction({ timeout: 10000 });
await prisma.$transaction(...args, { timeout: 10000 });
await prisma.$transaction(work, options);
"#
        ));
    }

    #[test]
    fn computed_members_and_options_in_constants() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "src/workers/MediaSyncWorker.ts",
            r#"const TX_OPTIONS = { timeout: 10000, maxWait: 2000 };
const ONLY_TIMEOUT = { timeout: 10000 } as const;
const SPREAD = { maxWait: 2000, timeout: 10000 };
const TX_TIMEOUT = 10000;
async function sync() {
  await prisma['$transaction'](work, { timeout: 10000 });
  await prisma[`$transaction`](work, { maxWait: 1000, timeout: 10000 });
  await prisma.$transaction(work, TX_OPTIONS);
  await prisma.$transaction(work, ONLY_TIMEOUT);
  await prisma.$transaction(work, { ...SPREAD, isolationLevel: 'Serializable' });
  await prisma.$transaction(work, { timeout: TX_TIMEOUT, maxWait: 2000 });
}
"#
        ));
    }

    #[test]
    fn a_constant_other_code_shares_is_reviewed() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"const SHARED = { timeout: 10000 };
export const EXPORTED = { timeout: 10000 };
const OTHER = { timeout: 20000 };
const FIRST = { timeout: 10000 };
async function sync() {
  await prisma.$transaction(work, SHARED);
  await prisma.$transaction(other, SHARED);
  await prisma.$transaction(work, EXPORTED);
  await prisma.$transaction(work, OTHER);
  await prisma.$transaction(work, { ...FIRST, timeout: 5000 });
  log(FIRST.timeout);
}
"#
        ));
    }

    #[test]
    fn constants_that_are_not_options_are_left_alone() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"let MUTABLE = { timeout: 10000 };
const RETRY = { timeout: 10000 };
const FN = () => ({ timeout: 10000 });
async function sync() {
  await prisma.$transaction(work, MUTABLE);
  await retry(work, RETRY);
  await prisma.$transaction(work, FN());
  await prisma[method](work, { timeout: 10000 });
}
"#
        ));
    }

    #[test]
    fn an_empty_options_argument_before_another_stays_as_braces() {
        let rule = RULE.replace("argument = 1", "argument = 0");
        insta::assert_snapshot!(run_rule(
            &rule,
            "a.ts",
            "await prisma.$transaction({ timeout: 10000 }, work);\n"
        ));
    }

    fn compiled(pack: &str) -> Rule {
        load_pack("test.toml", pack).unwrap().remove(0)
    }

    /// Runs the rule's project scan over `files` and prepares it with what was found.
    fn prepared(pack: &str, files: &[(&str, &str)]) -> Rule {
        let mut rule = compiled(pack);
        let mut scans = Vec::new();
        for (path, text) in files {
            let parsed = parse(text, Lang::TypeScript).unwrap();
            let lines = LineIndex::new(text);
            let context = FileContext {
                path,
                text,
                parsed: &parsed,
                lines: &lines,
            };
            if let Some(facts) = rule.imp.scan(&context) {
                scans.push((path.to_string(), facts));
            }
        }
        rule.imp.prepare(ProjectFacts {
            root: Path::new("."),
            scans,
        });
        rule
    }

    #[test]
    fn summary_names_the_client_default() {
        let client = "import { PrismaClient } from '@prisma/client';\n\nexport const prisma = new PrismaClient({\n  log: ['warn'],\n  transactionOptions: { maxWait: 5000, timeout: 60000 },\n});\n";
        let rule = prepared(RULE, &[("src/lib/db/client.ts", client)]);
        assert_eq!(rule.imp.scan_triggers(), vec!["PrismaClient".to_string()]);
        assert_eq!(
            rule.imp.summary_notes(2),
            vec![
                "the transactions now use the client default transactionOptions.timeout = 60000 ms (src/lib/db/client.ts:5), longer than the 10000 ms removed"
            ]
        );
        assert!(rule.imp.summary_notes(0).is_empty());
    }

    #[test]
    fn summary_flags_a_non_literal_client_default() {
        let client = "const options = { timeout: 1 };\nexport const prisma = new PrismaClient({ transactionOptions: options });\n";
        let rule = prepared(RULE, &[("db.ts", client)]);
        assert_eq!(
            rule.imp.summary_notes(1),
            vec![
                "the transactions now use the client default transactionOptions.timeout set at db.ts:2; it is not a literal number: check that it is at least the 10000 ms removed"
            ]
        );
    }

    #[test]
    fn summary_warns_that_the_library_default_is_shorter() {
        let client = "export const prisma = new PrismaClient({ log: ['warn'] });\n";
        let rule = prepared(RULE, &[("src/lib/db/client.ts", client)]);
        assert_eq!(
            rule.imp.summary_notes(1),
            vec![
                "the transactions now use Prisma's default timeout of 5000 ms, SHORTER than the 10000 ms removed; set transactionOptions.timeout on new PrismaClient or use action = \"raise\""
            ]
        );
        let longer = prepared(
            &RULE.replace("default_value = 5000", "default_value = 20000"),
            &[],
        );
        assert_eq!(
            longer.imp.summary_notes(1),
            vec![
                "the transactions now use Prisma's default timeout of 20000 ms, longer than the 10000 ms removed"
            ]
        );
    }

    #[test]
    fn summary_is_silent_when_raising() {
        let rule = prepared(&raise_rule(), &[]);
        assert!(rule.imp.summary_notes(3).is_empty());
    }

    #[test]
    fn bad_parameters_point_at_the_key() {
        let bad = RULE.replace("action = \"drop\"", "action = \"bump\"");
        let error = load_pack("test.toml", &bad).unwrap_err();
        assert_eq!(error.line, 10, "{error}");
        assert!(error.message.contains("unknown action `bump`"), "{error}");

        let no_raise_to = raise_rule().replace("raise_to = 60000\n", "");
        let error = load_pack("test.toml", &no_raise_to).unwrap_err();
        assert!(error.message.contains("raise_to"), "{error}");

        let no_option = RULE.replace("client_option = \"transactionOptions.timeout\"\n", "");
        let error = load_pack("test.toml", &no_option).unwrap_err();
        assert!(error.message.contains("client_option"), "{error}");

        let unknown = RULE.replace("expect = 10000", "expected = 10000");
        assert!(load_pack("test.toml", &unknown).is_err());
    }
}
