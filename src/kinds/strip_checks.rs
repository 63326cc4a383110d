//! `strip-checks`: tests for SQLite lock errors (`SQLITE_BUSY`, `database is locked`, …) are
//! taken out of `||` chains, and the lock codes out of array and `Set` literals and regex
//! alternations, so that the network checks beside them stay. A test that is a whole condition
//! on its own cannot be removed without deciding what the branch becomes: it is reported.
//!
//! A "lock check" is an expression that can only be true for a lock error: `x.includes('…')`
//! (or another configured method) with a matching string or regex, `/…/.test(x)`, a membership
//! test on a literal list of only matching strings, `x === '…'`, `x.indexOf('…') !== -1`, an
//! `&&` with a lock check among its operands, and an `||` of only lock checks.

use std::ops::Range;

use serde::Deserialize;
use swc_ecma_ast::{
    ArrayLit, BinExpr, BinaryOp, Expr, ExprOrSpread, Lit, OptChainBase, Regex, SwitchCase, UnaryOp,
};
use swc_ecma_visit::{Visit, VisitWith};
use toml::Spanned;

use super::ast::{
    list_removals, member_name, method_call, number_value, range_of, string_value, unwrap,
};
use super::{FileContext, KindSpec, ParamError, RuleKind, Sink};
use crate::source::Lang;

pub const SPEC: KindSpec = KindSpec {
    name: "strip-checks",
    summary: "remove SQLite lock-error checks from `||` chains, list literals and regex alternations",
    compile,
};

const DEFAULT_METHODS: &[&str] = &[
    "includes",
    "startsWith",
    "endsWith",
    "test",
    "has",
    "match",
    "indexOf",
];

const WHOLE_CONDITION: &str = "this condition only tests for a SQLite lock error, which PostgreSQL never raises; \
     removing the test would leave nothing in its place: remove the branch by hand";
const EVERY_OPERAND: &str = "every operand of this condition is a SQLite lock check: removing them would leave it \
     empty; delete the branch by hand";
const NEGATED: &str = "this condition tests that an error is not a SQLite lock error, which is always true on \
     PostgreSQL: simplify it by hand";
const CASE_TEST: &str =
    "a `case` for a SQLite lock error, which PostgreSQL never raises: remove the case by hand";
const ONLY_LOCK_LIST: &str = "a list of only SQLite lock codes: remove it and its uses by hand";
const LIST_WITH_HOLES: &str = "a list with holes that holds SQLite lock codes: pgshift does not cut it; remove the codes by hand";
const ONLY_LOCK_REGEX: &str =
    "a regex that matches only SQLite lock errors: remove it and its uses by hand";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Case-insensitive substrings that mark a string, template or regex as a lock error.
    patterns: Spanned<Vec<Spanned<String>>>,
    /// The methods that test a string or collection (`includes`, `test`, `has`, …).
    methods: Option<Vec<Spanned<String>>>,
}

struct StripChecks {
    /// As written, for triggers and `describe`.
    patterns: Vec<String>,
    /// Lowercased, for matching.
    lowered: Vec<String>,
    methods: Vec<String>,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    let span = params.patterns.span();
    let patterns: Vec<Spanned<String>> = params.patterns.into_inner();
    if patterns.is_empty() {
        return Err(ParamError::at(
            "`patterns` must list at least one string",
            span,
        ));
    }
    for pattern in &patterns {
        // An empty pattern would be a substring of every string in the project.
        if pattern.get_ref().trim().is_empty() {
            return Err(ParamError::at(
                "a pattern must not be empty",
                pattern.span(),
            ));
        }
    }
    let methods = match params.methods {
        Some(methods) => {
            for method in &methods {
                if method.get_ref().is_empty() {
                    return Err(ParamError::at(
                        "a method name must not be empty",
                        method.span(),
                    ));
                }
            }
            methods.into_iter().map(Spanned::into_inner).collect()
        }
        None => DEFAULT_METHODS.iter().map(|m| m.to_string()).collect(),
    };
    let patterns: Vec<String> = patterns.into_iter().map(Spanned::into_inner).collect();
    let lowered = patterns.iter().map(|p| p.to_lowercase()).collect();
    Ok(Box::new(StripChecks {
        patterns,
        lowered,
        methods,
    }))
}

impl RuleKind for StripChecks {
    // Calls, object literals and conditions exist only in code that runs.
    fn reads(&self, lang: Lang) -> bool {
        super::runs_code(lang)
    }

    fn triggers(&self) -> Vec<String> {
        self.patterns.clone()
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let consts = super::ast::FileConsts::of(&file.parsed.program);
        let mut finder = Finder {
            rule: self,
            text: file.text,
            consts: &consts,
            sink,
        };
        file.parsed.program.visit_with(&mut finder);
    }

    fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("patterns".into(), format!("{:?}", self.patterns)),
            ("methods".into(), format!("{:?}", self.methods)),
        ]
    }
}

/// How a regex literal's top-level alternatives relate to the patterns.
#[derive(Debug, PartialEq, Eq)]
enum RegexVerdict {
    /// No alternative is about a lock error.
    Unrelated,
    /// Every alternative is.
    OnlyLock,
    /// Some are: the source with only the others, and where the source lies in the text.
    Mixed { source: Range<usize>, kept: String },
}

struct Finder<'a> {
    rule: &'a StripChecks,
    text: &'a str,
    /// `const BUSY = 'SQLITE_BUSY'` and the like: `code === BUSY` is a lock check too.
    consts: &'a super::ast::FileConsts,
    sink: &'a mut Sink,
}

impl Finder<'_> {
    fn text_matches(&self, value: &str) -> bool {
        let value = value.to_lowercase();
        self.rule.lowered.iter().any(|p| value.contains(p.as_str()))
    }

    /// A string or substitution-free template literal that names a lock error.
    /// So is a `const` of the file holding one (`code === BUSY`): the check goes, the
    /// constant stays for whatever else uses it.
    fn string_matches(&self, expr: &Expr) -> bool {
        if let Some(value) = string_value(expr, self.text) {
            return self.text_matches(value);
        }
        let Expr::Ident(ident) = unwrap(expr) else {
            return false;
        };
        let Some(Some(range)) = self.consts.strings.get(ident.sym.as_ref()) else {
            return false;
        };
        let raw = &self.text[range.clone()];
        raw.get(1..raw.len().saturating_sub(1))
            .is_some_and(|value| self.text_matches(value))
    }

    fn regex_verdict(&self, regex: &Regex) -> RegexVerdict {
        let range = range_of(regex);
        // The literal is `/source/flags`; the flags are ASCII letters.
        let source = range.start + 1..range.end.saturating_sub(regex.flags.len() + 1);
        let Some(body) = self.text.get(source.clone()) else {
            return RegexVerdict::Unrelated;
        };
        let alternatives = top_level_alternatives(body);
        let matching: Vec<bool> = alternatives.iter().map(|a| self.text_matches(a)).collect();
        if !matching.iter().any(|&m| m) {
            return RegexVerdict::Unrelated;
        }
        if matching.iter().all(|&m| m) {
            return RegexVerdict::OnlyLock;
        }
        let kept: Vec<&str> = alternatives
            .iter()
            .zip(&matching)
            .filter(|(_, m)| !**m)
            .map(|(a, _)| *a)
            .collect();
        let kept = kept.join("|");
        if kept.is_empty() {
            // `/SQLITE_BUSY|/`: what is left would be `//`, a comment. Leave it alone.
            return RegexVerdict::Unrelated;
        }
        RegexVerdict::Mixed { source, kept }
    }

    fn regex_only_lock(&self, expr: &Expr) -> bool {
        matches!(unwrap(expr), Expr::Lit(Lit::Regex(r)) if self.regex_verdict(r) == RegexVerdict::OnlyLock)
    }

    /// An array literal of only lock-error strings (no holes, no spreads, not empty).
    fn array_only_lock(&self, array: &ArrayLit) -> bool {
        !array.elems.is_empty()
            && array.elems.iter().all(|e| {
                e.as_ref()
                    .is_some_and(|e| e.spread.is_none() && self.string_matches(&e.expr))
            })
    }

    /// `x.m(arg)` with `m` a configured method, whose subject (a literal receiver or the first
    /// argument) is only about lock errors. Returns the method name.
    fn check_call<'e>(&self, expr: &'e Expr) -> Option<&'e str> {
        let (object, method, args) = call_parts(unwrap(expr))?;
        if !self.rule.methods.iter().any(|m| m == method) {
            return None;
        }
        let receiver_is_lock = match unwrap(object) {
            Expr::Lit(Lit::Regex(_)) => Some(self.regex_only_lock(object)),
            Expr::Array(array) => Some(self.array_only_lock(array)),
            Expr::New(new) if matches!(unwrap(&new.callee), Expr::Ident(i) if i.sym == *"Set") => {
                Some(new.args.as_deref().and_then(|a| a.first()).is_some_and(|a| {
                    a.spread.is_none()
                        && matches!(unwrap(&a.expr), Expr::Array(array) if self.array_only_lock(array))
                }))
            }
            _ => None,
        };
        if let Some(is_lock) = receiver_is_lock {
            return is_lock.then_some(method);
        }
        let first = args.first().filter(|a| a.spread.is_none())?;
        (self.string_matches(&first.expr) || self.regex_only_lock(&first.expr)).then_some(method)
    }

    /// Whether `expr` can only be true for a lock error (see the module docs).
    fn is_lock_check(&self, expr: &Expr) -> bool {
        let expr = unwrap(expr);
        match expr {
            Expr::Bin(bin) => match bin.op {
                BinaryOp::LogicalAnd => {
                    self.is_lock_check(&bin.left) || self.is_lock_check(&bin.right)
                }
                BinaryOp::LogicalOr => or_operands(expr).iter().all(|o| self.is_lock_check(o)),
                BinaryOp::EqEq | BinaryOp::EqEqEq => {
                    self.string_matches(&bin.left) || self.string_matches(&bin.right)
                }
                _ => self.index_of_found(bin),
            },
            // `!!x.match(/database is locked/)`
            Expr::Unary(outer) if outer.op == UnaryOp::Bang => matches!(
                unwrap(&outer.arg),
                Expr::Unary(inner) if inner.op == UnaryOp::Bang && self.is_lock_check(&inner.arg)
            ),
            // A bare `indexOf` is -1 (truthy) when nothing is found: only its comparisons count.
            _ => self.check_call(expr).is_some_and(|m| m != "indexOf"),
        }
    }

    /// `x.indexOf('SQLITE_BUSY') !== -1`, `… != -1`, `… > -1`, `… >= 0`, `-1 !== …`.
    fn index_of_found(&self, bin: &BinExpr) -> bool {
        let is_index_of = |e: &Expr| self.check_call(e) == Some("indexOf");
        match bin.op {
            BinaryOp::NotEq | BinaryOp::NotEqEq => {
                (is_index_of(&bin.left) && number_value(&bin.right) == Some(-1.0))
                    || (is_index_of(&bin.right) && number_value(&bin.left) == Some(-1.0))
            }
            BinaryOp::Gt => is_index_of(&bin.left) && number_value(&bin.right) == Some(-1.0),
            BinaryOp::GtEq => is_index_of(&bin.left) && number_value(&bin.right) == Some(0.0),
            _ => false,
        }
    }

    /// `!x.includes('SQLITE_BUSY')`, `code !== 'SQLITE_BUSY'`, `x.indexOf('SQLITE_BUSY') === -1`:
    /// always true on PostgreSQL, so not removable from an `||` (that would change its value).
    fn is_negated_lock_check(&self, expr: &Expr) -> bool {
        match unwrap(expr) {
            Expr::Unary(unary) if unary.op == UnaryOp::Bang => self.is_lock_check(&unary.arg),
            Expr::Bin(bin) => {
                let is_index_of = |e: &Expr| self.check_call(e) == Some("indexOf");
                match bin.op {
                    BinaryOp::NotEq | BinaryOp::NotEqEq => {
                        self.string_matches(&bin.left) || self.string_matches(&bin.right)
                    }
                    BinaryOp::EqEq | BinaryOp::EqEqEq => {
                        (is_index_of(&bin.left) && number_value(&bin.right) == Some(-1.0))
                            || (is_index_of(&bin.right) && number_value(&bin.left) == Some(-1.0))
                    }
                    BinaryOp::Lt => is_index_of(&bin.left) && number_value(&bin.right) == Some(0.0),
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// An `||` chain: lock-check operands go; the rest are searched further.
    fn chain(&mut self, or: &Expr) {
        let operands = or_operands(or);
        let remove: Vec<bool> = operands.iter().map(|o| self.is_lock_check(o)).collect();
        if remove.iter().any(|&r| r) {
            let ranges: Vec<Range<usize>> = operands.iter().map(|o| range_of(*o)).collect();
            let Some(deletions) = list_removals(&ranges, &remove) else {
                self.sink.review(range_of(or), EVERY_OPERAND);
                return;
            };
            for deletion in deletions {
                self.sink.delete(deletion);
            }
        }
        // Removed operands are not searched: an edit inside one would overlap its removal.
        for (operand, removed) in operands.into_iter().zip(remove) {
            if !removed {
                self.visit_expr(operand);
            }
        }
    }

    /// Lock codes listed beside other values go; a list of only lock codes is reported.
    fn array(&mut self, array: &ArrayLit) {
        let matching: Vec<bool> = array
            .elems
            .iter()
            .map(|e| {
                e.as_ref()
                    .is_some_and(|e| e.spread.is_none() && self.string_matches(&e.expr))
            })
            .collect();
        if !matching.iter().any(|&m| m) {
            return;
        }
        // A hole has no span to cut from or to, and cutting around it would move it.
        let items: Option<Vec<&ExprOrSpread>> = array.elems.iter().map(Option::as_ref).collect();
        let Some(items) = items else {
            self.sink.review(range_of(array), LIST_WITH_HOLES);
            return;
        };
        let ranges: Vec<Range<usize>> = items.iter().map(|e| range_of(*e)).collect();
        match list_removals(&ranges, &matching) {
            Some(deletions) => {
                for deletion in deletions {
                    self.sink.delete(deletion);
                }
            }
            None => self.sink.review(range_of(array), ONLY_LOCK_LIST),
        }
    }

    fn regex(&mut self, regex: &Regex) {
        match self.regex_verdict(regex) {
            RegexVerdict::Unrelated => {}
            RegexVerdict::OnlyLock => self.sink.review(range_of(regex), ONLY_LOCK_REGEX),
            RegexVerdict::Mixed { source, kept } => self.sink.replace(source, kept),
        }
    }
}

impl Visit for Finder<'_> {
    fn visit_expr(&mut self, expr: &Expr) {
        let inner = unwrap(expr);
        if let Expr::Bin(bin) = inner
            && bin.op == BinaryOp::LogicalOr
        {
            return self.chain(inner);
        }
        // Not inside an `||` chain (chains are handled above), so nothing would be left.
        if self.is_lock_check(inner) || self.check_call(inner).is_some() {
            self.sink.review(range_of(expr), WHOLE_CONDITION);
            return;
        }
        if self.is_negated_lock_check(inner) {
            self.sink.review(range_of(expr), NEGATED);
            return;
        }
        match inner {
            Expr::Array(array) => self.array(array),
            Expr::Lit(Lit::Regex(regex)) => self.regex(regex),
            _ => {}
        }
        expr.visit_children_with(self);
    }

    fn visit_switch_case(&mut self, case: &SwitchCase) {
        if let Some(test) = &case.test
            && self.string_matches(test)
        {
            self.sink.review(range_of(&**test), CASE_TEST);
        }
        case.visit_children_with(self);
    }
}

/// The operands of a left-nested `a || b || c` chain; a parenthesized `||` is one operand.
fn or_operands(expr: &Expr) -> Vec<&Expr> {
    let mut operands = Vec::new();
    let mut current = expr;
    while let Expr::Bin(bin) = current
        && bin.op == BinaryOp::LogicalOr
    {
        operands.push(&*bin.right);
        current = &bin.left;
    }
    operands.push(current);
    operands.reverse();
    operands
}

/// For `obj.m(args)` and `obj?.m(args)`: the object, the method name and the arguments.
fn call_parts(expr: &Expr) -> Option<(&Expr, &str, &[ExprOrSpread])> {
    match expr {
        Expr::Call(call) => {
            let (object, method) = method_call(&call.callee)?;
            Some((object, method, &call.args))
        }
        Expr::OptChain(chain) => match &*chain.base {
            OptChainBase::Call(call) => {
                let (object, method) = member_name(unwrap(&call.callee))?;
                Some((object, method, &call.args))
            }
            OptChainBase::Member(_) => None,
        },
        _ => None,
    }
}

/// Splits a regex source on its top-level `|`, outside groups, classes and escapes.
fn top_level_alternatives(source: &str) -> Vec<&str> {
    let mut alternatives = Vec::new();
    let mut depth = 0usize;
    let mut in_class = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in source.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                alternatives.push(&source[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    alternatives.push(&source[start..]);
    alternatives
}

#[cfg(test)]
mod tests {
    use super::top_level_alternatives;
    use crate::kinds::testing::run_rule;
    use crate::rules::load_pack;

    const RULE: &str = r#"
[[rule]]
id = "sqlite-lock-checks"
kind = "strip-checks"
message = "SQLite lock errors cannot happen on PostgreSQL"
patterns = ["SQLITE_BUSY", "SQLITE_LOCKED", "database is locked", "database table is locked"]
"#;

    fn run(source: &str) -> String {
        run_rule(RULE, "a.ts", source)
    }

    /// swc parses statements in a `.d.ts` that TypeScript rejects (TS1036); nothing in a
    /// declaration file runs, so the rule does not read them, with or without the prefilter.
    /// Found by the fuzz target.
    #[test]
    fn declaration_files_are_not_read() {
        let source = "e.includes('SQLITE_BUSY') || e.includes('ECONNRESET');\nexport declare const x: number;\n";
        assert_eq!(
            run_rule(RULE, "types/prisma.d.ts", source),
            "(no changes)\n"
        );
        assert_ne!(run_rule(RULE, "types/prisma.ts", source), "(no changes)\n");
    }

    #[test]
    fn seed_retry_condition() {
        insta::assert_snapshot!(run(
            "if (lastError.message.includes('SQLITE_BUSY') || lastError.message.includes('database is locked') || lastError.message.includes('ECONNREFUSED')) {\n  retry();\n}\n"
        ));
    }

    #[test]
    fn multi_line_chains_first_middle_last_adjacent() {
        insta::assert_snapshot!(run(r#"const first =
  msg.includes('SQLITE_BUSY') ||
  msg.includes('ECONNRESET') ||
  msg.includes('ETIMEDOUT');
const middle =
  msg.includes('ECONNRESET') ||
  msg.startsWith('SQLITE_LOCKED') ||
  msg.includes('ETIMEDOUT');
const last =
  msg.includes('ECONNRESET') ||
  msg.endsWith('database table is locked');
const adjacent =
  msg.includes('ECONNRESET') ||
  msg.includes('SQLITE_BUSY') ||
  msg.includes('database is locked') ||
  msg.includes('ETIMEDOUT');
"#));
    }

    #[test]
    fn comparisons_either_side_and_suffixed_codes() {
        insta::assert_snapshot!(run(
            r#"const a = err.code === 'SQLITE_BUSY' || err.code === 'ECONNRESET';
const b = 'SQLITE_LOCKED' == err.code || err.code === 'P1001';
const c = err.code === 'SQLITE_BUSY_SNAPSHOT' || isNetwork(err);
const d = err.message.indexOf('SQLITE_BUSY') !== -1 || isNetwork(err);
"#
        ));
    }

    #[test]
    fn any_letter_case() {
        insta::assert_snapshot!(run(r#"const retryable =
  e.message.toLowerCase().includes('database is locked') ||
  code === 'sqlite_busy' ||
  e.message.includes('Database Is Locked') ||
  e?.message?.startsWith(`SQLite_Locked`) ||
  e.message?.includes(`ECONNREFUSED`);
"#));
    }

    #[test]
    fn regex_tests_and_mixed_alternations() {
        insta::assert_snapshot!(run(
            r#"const a = /database is locked/i.test(msg) || /ECONNRESET/.test(msg);
const b = /SQLITE_BUSY|ECONNRESET|(?:SQLITE|x)_LOCKED|[|]timeout/i.test(msg) || other;
const c = msg.match(/SQLITE_LOCKED/) || msg.match(/ETIMEDOUT/);
"#
        ));
    }

    #[test]
    fn array_and_set_membership() {
        insta::assert_snapshot!(run(
            r#"const a = ['SQLITE_BUSY', 'SQLITE_LOCKED'].includes(code) || isNetwork(code);
const b = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']).has(code) || isNetwork(code);
const c = ['ECONNRESET', 'SQLITE_BUSY', 'ETIMEDOUT'].includes(code);
const d = new Set(['SQLITE_BUSY', 'ECONNRESET']).has(code);
"#
        ));
    }

    #[test]
    fn standalone_array_constants() {
        insta::assert_snapshot!(run(
            r#"const RETRYABLE = ['ECONNRESET', 'SQLITE_BUSY', 'ETIMEDOUT'];
const TRAILING = [
  'ECONNRESET',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
];
const LEADING = ['SQLITE_BUSY', ...NETWORK_CODES];
"#
        ));
    }

    #[test]
    fn conjunction_operand() {
        insta::assert_snapshot!(run(r#"const retry =
  (error instanceof Prisma.PrismaClientKnownRequestError && error.message.includes('SQLITE_BUSY')) ||
  isNetwork(error) && attempt < 3 ||
  error.code === 'P1001' && error.message.includes('database is locked');
"#));
    }

    #[test]
    fn negatives_stay_untouched() {
        insta::assert_snapshot!(run(r#"logger.warn('database is locked, retrying');
const net = msg.includes('ECONNRESET') || msg.includes('ETIMEDOUT');
const label = `SQLITE_BUSY is gone`;
const sqliteLike = msg.includes('SQLITE') || msg.includes('locked');
"#));
    }

    #[test]
    fn whole_conditions_are_reviewed() {
        insta::assert_snapshot!(run(r#"if (msg.includes('SQLITE_BUSY')) {
  await sleep(100);
}
if (error.code === 'SQLITE_BUSY' || /database is locked/i.test(error.message)) {
  retry();
}
const isLocked = !msg.includes('database is locked') ? fail() : retry();
switch (error.code) {
  case 'SQLITE_BUSY':
    retry();
}
const ok = error.code !== 'SQLITE_LOCKED';
const LOCK_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED'];
const LOCK_RE = /database is locked/;
"#));
    }

    #[test]
    fn negated_checks_are_reviewed_not_removed() {
        insta::assert_snapshot!(run(
            r#"const a = isNetwork(e) || !e.message.includes('SQLITE_BUSY');
const b = isNetwork(e) || e.message.indexOf('database is locked') === -1;
const c = isNetwork(e) || e.code !== 'SQLITE_BUSY';
"#
        ));
    }

    #[test]
    fn nested_parenthesized_chain() {
        insta::assert_snapshot!(run(
            r#"const a = (msg.includes('SQLITE_BUSY') || msg.includes('SQLITE_LOCKED')) || isNetwork(msg);
const b = attempt < max && (msg.includes('SQLITE_BUSY') || msg.includes('ECONNRESET'));
"#
        ));
    }

    #[test]
    fn lock_strings_in_constants_of_the_file() {
        insta::assert_snapshot!(run(r#"const BUSY = 'SQLITE_BUSY';
const LOCKED_MESSAGE = `database is locked`;
const RESET = 'ECONNRESET';
let mutable = 'SQLITE_LOCKED';
export function retryable(code: string, message: string): boolean {
  return code === BUSY || message.includes(LOCKED_MESSAGE) || code === RESET || code === mutable;
}
"#));
    }

    #[test]
    fn empty_patterns_are_rejected() {
        let pack =
            "[[rule]]\nid = \"x\"\nkind = \"strip-checks\"\nmessage = \"m\"\npatterns = []\n";
        let error = load_pack("test.toml", pack).unwrap_err();
        insta::assert_snapshot!(error.to_string());
    }

    #[test]
    fn alternatives_split_at_top_level_only() {
        assert_eq!(
            top_level_alternatives(r"a|(b|c)|[|]|\||d"),
            vec!["a", "(b|c)", "[|]", r"\|", "d"]
        );
        assert_eq!(top_level_alternatives("abc"), vec!["abc"]);
    }
}
