//! `set-number`: a named number changes from an expected old value to a new one. The name may
//! be an object property, a default parameter, a destructuring default, a variable, a class
//! field or an assignment target; a `?? N` / `|| N` fallback counts as the value. Any other
//! number under that name is reported, never overwritten.

use serde::Deserialize;
use std::ops::Range;
use swc_ecma_ast::{
    AssignExpr, AssignPat, AssignPatProp, AssignTarget, BinExpr, BinaryOp, ClassProp, Expr,
    KeyValuePatProp, KeyValueProp, Pat, PrivateProp, PropName, SimpleAssignTarget, VarDeclarator,
};

use swc_ecma_ast::Program;
use swc_ecma_visit::{Visit, VisitWith};

use super::ast::{number_literal, number_value, prop_name_is, range_of, unwrap};
use super::{FileContext, KindSpec, ParamError, RuleKind, Sink};

pub const SPEC: KindSpec = KindSpec {
    name: "set-number",
    summary: "change a named number from its expected old value to a new one",
    compile,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The property, parameter, variable or field name.
    name: String,
    /// The value the rule expects to find.
    from: f64,
    /// The value it writes.
    to: f64,
}

struct SetNumber {
    params: Params,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    Ok(Box::new(SetNumber { params }))
}

impl RuleKind for SetNumber {
    fn triggers(&self) -> Vec<String> {
        vec![self.params.name.clone()]
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let name = &self.params.name;
        for (range, found) in named_numbers(&file.parsed.program, name) {
            if found == self.params.from {
                sink.replace(range, number_literal(self.params.to));
            } else if found != self.params.to {
                sink.review(
                    range,
                    format!(
                        "`{name}` is {}, not the expected {}: left as is; set it by hand if it is a SQLite workaround",
                        number_literal(found),
                        number_literal(self.params.from)
                    ),
                );
            }
        }
    }

    fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("name".into(), self.params.name.clone()),
            ("from".into(), number_literal(self.params.from)),
            ("to".into(), number_literal(self.params.to)),
        ]
    }
}

/// Every number literal given to `name` in the forms this kind edits, with its range: an
/// object property, a default parameter, a destructuring default, a variable, a class field, an
/// assignment; for a `?? N` / `|| N` fallback, the fallback. `pgshift verify` reads settings
/// with it, so it sees exactly what the rules see.
pub fn named_numbers(program: &Program, name: &str) -> Vec<(Range<usize>, f64)> {
    let mut finder = Finder {
        name,
        found: Vec::new(),
    };
    program.visit_with(&mut finder);
    finder.found
}

struct Finder<'a> {
    name: &'a str,
    found: Vec<(Range<usize>, f64)>,
}

impl Finder<'_> {
    fn value(&mut self, value: &Expr) {
        let value = unwrap(value);
        // `options.concurrency ?? 3`: the fallback is the setting.
        if let Expr::Bin(BinExpr {
            op: BinaryOp::NullishCoalescing | BinaryOp::LogicalOr,
            right,
            ..
        }) = value
        {
            return self.value(right);
        }
        if let Some(found) = number_value(value) {
            self.found.push((range_of(value), found));
        }
    }

    fn named(&self, key: &PropName) -> bool {
        prop_name_is(key, self.name)
    }
}

impl Visit for Finder<'_> {
    fn visit_key_value_prop(&mut self, prop: &KeyValueProp) {
        if self.named(&prop.key) {
            self.value(&prop.value);
        }
        prop.visit_children_with(self);
    }

    fn visit_assign_pat_prop(&mut self, prop: &AssignPatProp) {
        if prop.key.sym == *self.name
            && let Some(value) = &prop.value
        {
            self.value(value);
        }
        prop.visit_children_with(self);
    }

    fn visit_key_value_pat_prop(&mut self, prop: &KeyValuePatProp) {
        if self.named(&prop.key)
            && let Pat::Assign(pat) = &*prop.value
        {
            self.value(&pat.right);
        }
        prop.visit_children_with(self);
    }

    fn visit_assign_pat(&mut self, pat: &AssignPat) {
        if let Pat::Ident(binding) = &*pat.left
            && binding.id.sym == *self.name
        {
            self.value(&pat.right);
        }
        pat.visit_children_with(self);
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if let (Pat::Ident(binding), Some(init)) = (&declarator.name, &declarator.init)
            && binding.id.sym == *self.name
        {
            self.value(init);
        }
        declarator.visit_children_with(self);
    }

    fn visit_class_prop(&mut self, prop: &ClassProp) {
        if self.named(&prop.key)
            && let Some(value) = &prop.value
        {
            self.value(value);
        }
        prop.visit_children_with(self);
    }

    fn visit_private_prop(&mut self, prop: &PrivateProp) {
        if prop.key.name == *self.name
            && let Some(value) = &prop.value
        {
            self.value(value);
        }
        prop.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        let target_name = match &assign.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(binding)) => {
                Some(binding.id.sym.as_ref())
            }
            AssignTarget::Simple(SimpleAssignTarget::Member(member)) => match &member.prop {
                swc_ecma_ast::MemberProp::Ident(name) => Some(name.sym.as_ref()),
                _ => None,
            },
            _ => None,
        };
        if assign.op == swc_ecma_ast::AssignOp::Assign && target_name == Some(self.name) {
            self.value(&assign.right);
        }
        assign.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::run_rule;

    const RULE: &str = r#"
[[rule]]
id = "queue-concurrency"
kind = "set-number"
message = "raise the queue concurrency"
name = "concurrency"
from = 3
to = 10
"#;

    #[test]
    fn every_syntactic_form() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"const queue = new PQueue({ concurrency: 3 });
const concurrency = 3;
class Q {
  private readonly concurrency = 3;
  #concurrency = 3;
}
function start(concurrency = 3) {}
function start2({ concurrency = 3 }: { concurrency?: number }) {}
const { concurrency: c = 3 } = {} as any;
const fallback = { concurrency: Number(process.env.Q) || 3 };
this.concurrency = 3;
"#
        ));
    }

    #[test]
    fn other_values_are_reviewed_and_references_ignored() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            "const a = { concurrency: 2 };\nconst b = { concurrency: this.concurrency };\nconst c = { concurrency: 10 };\nconst d = { parallel: 3 };\n"
        ));
    }
}
