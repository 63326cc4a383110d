//! `call-argument`: a numeric argument of a method call changes from an expected old value to a
//! new one — `results.slice(-100)` becomes `results.slice(-1000)`. Any other value is simply a
//! different call and is left alone without a review.
//!
//! The method may be a computed member with a literal key (`results['slice'](-100)`), and the
//! number a `const` of the same file (`slice(-KEEP)` with `const KEEP = 100`): the constant is
//! changed when this call is its one use and it is not exported, and reported otherwise.

use serde::Deserialize;
use swc_ecma_ast::{CallExpr, Callee, Expr, ExprOrSpread, OptCall, UnaryOp};
use swc_ecma_visit::{Visit, VisitWith};

use super::ast::{FileConsts, method_name, number_literal, number_value, range_of, unwrap};
use super::{FileContext, KindSpec, ParamError, RuleKind, Sink};
use crate::source::Lang;

pub const SPEC: KindSpec = KindSpec {
    name: "call-argument",
    summary: "change a numeric argument of a method call from its expected old value to a new one",
    compile,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The method name, matched on any object (`x.slice(…)`, `x?.slice(…)`).
    method: String,
    /// 0-based index of the argument.
    #[serde(default)]
    argument: usize,
    /// The value the rule expects to find.
    from: f64,
    /// The value it writes.
    to: f64,
}

struct CallArgument {
    params: Params,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    Ok(Box::new(CallArgument { params }))
}

impl RuleKind for CallArgument {
    // Calls, object literals and conditions exist only in code that runs.
    fn reads(&self, lang: Lang) -> bool {
        super::runs_code(lang)
    }

    fn triggers(&self) -> Vec<String> {
        vec![self.params.method.clone()]
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let consts = FileConsts::of(&file.parsed.program);
        let mut finder = Finder {
            params: &self.params,
            consts: &consts,
            sink,
        };
        file.parsed.program.visit_with(&mut finder);
    }

    fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("method".into(), self.params.method.clone()),
            ("argument".into(), self.params.argument.to_string()),
            ("from".into(), number_literal(self.params.from)),
            ("to".into(), number_literal(self.params.to)),
        ]
    }
}

struct Finder<'a> {
    params: &'a Params,
    consts: &'a FileConsts,
    sink: &'a mut Sink,
}

impl Finder<'_> {
    fn call(&mut self, callee: &Expr, args: &[ExprOrSpread]) {
        if method_name(unwrap(callee)).as_deref() != Some(self.params.method.as_str()) {
            return;
        }
        // A spread before or at the index makes the position unknowable.
        if args
            .iter()
            .take(self.params.argument + 1)
            .any(|a| a.spread.is_some())
        {
            return;
        }
        let Some(argument) = args.get(self.params.argument) else {
            return;
        };
        if number_value(&argument.expr) == Some(self.params.from) {
            self.sink
                .replace(range_of(&*argument.expr), number_literal(self.params.to));
            return;
        }
        // `KEEP` or `-KEEP`, a number constant of the file.
        let (name, sign) = match unwrap(&argument.expr) {
            Expr::Ident(ident) => (ident.sym.as_ref(), 1.0),
            Expr::Unary(u) if u.op == UnaryOp::Minus => match unwrap(&u.arg) {
                Expr::Ident(ident) => (ident.sym.as_ref(), -1.0),
                _ => return,
            },
            _ => return,
        };
        let Some(Some((value, at))) = self.consts.numbers.get(name) else {
            return;
        };
        if sign * value != self.params.from {
            return;
        }
        if self.consts.is_private(name) {
            self.sink
                .replace(at.clone(), number_literal(sign * self.params.to));
        } else {
            self.sink.review(
                range_of(&*argument.expr),
                format!(
                    "the argument is the constant `{name}`, which other code shares: changing it to {} changes them all; give this call its own number, or change it by hand",
                    number_literal(sign * self.params.to)
                ),
            );
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

    // `x?.slice(…)` is an optional-chain call, not a `CallExpr`.
    fn visit_opt_call(&mut self, call: &OptCall) {
        self.call(&call.callee, &call.args);
        call.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::run_rule;

    const RULE: &str = r#"
[[rule]]
id = "results-slice-100"
kind = "call-argument"
message = "keep the last 1000 results, not 100"
method = "slice"
argument = 0
from = -100
to = -1000
"#;

    #[test]
    fn computed_members_and_number_constants() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"const KEEP = 100;
const LAST = -100;
const SHARED = 100;
export const EXPORTED = -100;
const OTHER = 50;
export function recent(results: string[], errors: string[]) {
  results['slice'](-100);
  results.slice(-KEEP);
  errors.slice(LAST);
  errors.slice(-SHARED);
  results.slice(-SHARED);
  results.slice(EXPORTED);
  results.slice(-OTHER);
  return results[method](-100);
}
"#
        ));
    }

    #[test]
    fn matching_slices_change() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"this.results = this.results.slice(-100);
const recent = job?.errors?.slice(-100);
const same = list.slice(-100, undefined);
const spaced = list.slice(- 100);
const chained = a.b().slice(-100).map(String);
"#
        ));
    }

    #[test]
    fn other_calls_are_left_alone() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"const a = list.slice(-20);
const b = slice(-100);
const c = list.slice(0, -100);
const d = list.splice(-100);
const e = list.slice(...range);
const f = list.slice(-1000);
"#
        ));
    }

    #[test]
    fn another_argument_index() {
        let rule = RULE.replace("argument = 0", "argument = 1");
        insta::assert_snapshot!(run_rule(
            &rule,
            "a.ts",
            "const a = list.slice(-100);\nconst b = list.slice(0, -100);\n"
        ));
    }
}
