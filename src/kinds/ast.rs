//! Small AST helpers shared by rule kinds: looking through parentheses and type assertions,
//! reading literal values, and removing items from comma- or operator-separated lists with
//! edits that keep the surrounding formatting.

use std::ops::Range;

use std::collections::{HashMap, HashSet};

use swc_common::Spanned;
use swc_ecma_ast::{
    Callee, Decl, ExportDecl, ExportNamedSpecifier, Expr, Lit, MemberProp, ModuleExportName,
    ObjectLit, OptChainBase, Pat, Program, Prop, PropName, UnaryOp, VarDecl, VarDeclKind,
};
use swc_ecma_visit::{Visit, VisitWith};

use crate::source::span_range;

/// The expression inside parentheses, `as`/`satisfies`/`!` and `<T>` assertions.
pub fn unwrap(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(e) => unwrap(&e.expr),
        Expr::TsAs(e) => unwrap(&e.expr),
        Expr::TsSatisfies(e) => unwrap(&e.expr),
        Expr::TsNonNull(e) => unwrap(&e.expr),
        Expr::TsConstAssertion(e) => unwrap(&e.expr),
        Expr::TsTypeAssertion(e) => unwrap(&e.expr),
        other => other,
    }
}

/// The value of a string literal or a template literal without substitutions, as written
/// between the quotes (escapes are not decoded: patterns are plain words).
pub fn string_value<'a>(expr: &Expr, text: &'a str) -> Option<&'a str> {
    match unwrap(expr) {
        Expr::Lit(Lit::Str(s)) => {
            let raw = &text[span_range(s.span)];
            raw.get(1..raw.len().saturating_sub(1))
        }
        Expr::Tpl(t) if t.exprs.is_empty() => {
            let raw = &text[span_range(t.span)];
            raw.get(1..raw.len().saturating_sub(1))
        }
        _ => None,
    }
}

/// The value of a numeric literal, a negated one included.
pub fn number_value(expr: &Expr) -> Option<f64> {
    match unwrap(expr) {
        Expr::Lit(Lit::Num(n)) => Some(n.value),
        Expr::Unary(u) if u.op == UnaryOp::Minus => number_value(&u.arg).map(|v| -v),
        Expr::Unary(u) if u.op == UnaryOp::Plus => number_value(&u.arg),
        _ => None,
    }
}

/// A number as a TypeScript literal: integers without a fraction, others as Rust prints them.
pub fn number_literal(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// For `obj.name(...)` / `obj?.name(...)`: the object and the method name.
pub fn method_call(callee: &Callee) -> Option<(&Expr, &str)> {
    let Callee::Expr(callee) = callee else {
        return None;
    };
    member_name(unwrap(callee))
}

/// For `obj.name` / `obj?.name`: the object and the property name.
pub fn member_name(expr: &Expr) -> Option<(&Expr, &str)> {
    match expr {
        Expr::Member(m) => match &m.prop {
            MemberProp::Ident(name) => Some((&m.obj, name.sym.as_ref())),
            _ => None,
        },
        Expr::OptChain(chain) => match &*chain.base {
            swc_ecma_ast::OptChainBase::Member(m) => match &m.prop {
                MemberProp::Ident(name) => Some((&m.obj, name.sym.as_ref())),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Whether a property key (an identifier or a string, not computed) is `name`.
pub fn prop_name_is(key: &PropName, name: &str) -> bool {
    match key {
        PropName::Ident(ident) => ident.sym == *name,
        PropName::Str(s) => s.value.as_str() == Some(name),
        _ => false,
    }
}

/// The callee of a call when it is a plain identifier.
pub fn callee_ident(callee: &Callee) -> Option<&str> {
    let Callee::Expr(callee) = callee else {
        return None;
    };
    match unwrap(callee) {
        Expr::Ident(ident) => Some(ident.sym.as_ref()),
        _ => None,
    }
}

/// Byte range of any node.
pub fn range_of<T: Spanned>(node: &T) -> Range<usize> {
    span_range(node.span())
}

/// The deletions that remove the marked items from a separated list (array elements, object
/// properties, arguments, `||` operands), given the items' ranges in order.
///
/// Conventions, so that formatting survives: an item followed by a kept item is deleted from its
/// start to the start of the next item (taking its separator and the whitespace after it); a
/// removed run at the end is deleted from the end of the last kept item to the end of the run
/// (so a trailing comma after the list stays). Returns `None` when every item would go: the
/// caller decides what an empty list means.
pub fn list_removals(items: &[Range<usize>], remove: &[bool]) -> Option<Vec<Range<usize>>> {
    debug_assert_eq!(items.len(), remove.len());
    if remove.iter().all(|&r| r) {
        return None;
    }
    let mut deletions = Vec::new();
    let mut i = 0;
    while i < items.len() {
        if !remove[i] {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < items.len() && remove[i] {
            i += 1;
        }
        if i < items.len() {
            deletions.push(items[run_start].start..items[i].start);
        } else {
            deletions.push(items[run_start - 1].end..items[items.len() - 1].end);
        }
    }
    Some(deletions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, deletions: &[Range<usize>]) -> String {
        let mut out = String::new();
        let mut cursor = 0;
        for d in deletions {
            out.push_str(&text[cursor..d.start]);
            cursor = d.end;
        }
        out.push_str(&text[cursor..]);
        out
    }

    #[test]
    fn list_removal_keeps_formatting() {
        let text = "[a, b, c]";
        let items = [1..2, 4..5, 7..8];
        let d = list_removals(&items, &[false, true, false]).unwrap();
        assert_eq!(apply(text, &d), "[a, c]");
        let d = list_removals(&items, &[true, true, false]).unwrap();
        assert_eq!(apply(text, &d), "[c]");
        let d = list_removals(&items, &[false, true, true]).unwrap();
        assert_eq!(apply(text, &d), "[a]");
        assert!(list_removals(&items, &[true, true, true]).is_none());
        let text = "[\n  a,\n  b,\n]";
        let d = list_removals(&[4..5, 9..10], &[false, true]).unwrap();
        assert_eq!(apply(text, &d), "[\n  a,\n]");
    }

    #[test]
    fn numbers_format_plainly() {
        assert_eq!(number_literal(60000.0), "60000");
        assert_eq!(number_literal(-1000.0), "-1000");
        assert_eq!(number_literal(0.5), "0.5");
    }
}

/// The method name of a callee: `obj.name`, `obj?.name`, `obj['name']`.
pub fn method_name(expr: &Expr) -> Option<String> {
    if let Some((_, name)) = member_name(expr) {
        return Some(name.to_string());
    }
    let prop = match expr {
        Expr::Member(m) => &m.prop,
        Expr::OptChain(chain) => match &*chain.base {
            OptChainBase::Member(m) => &m.prop,
            OptChainBase::Call(_) => return None,
        },
        _ => return None,
    };
    match prop {
        MemberProp::Computed(computed) => match unwrap(&computed.expr) {
            Expr::Lit(Lit::Str(s)) => s.value.as_str().map(str::to_string),
            Expr::Tpl(t) if t.exprs.is_empty() => t
                .quasis
                .first()
                .and_then(|q| q.cooked.as_ref())
                .and_then(|c| c.as_str())
                .map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}

/// The file's constants a kind may follow from a call: `const NAME = { … }` objects,
/// `const NAME = 10000` numbers and `const NAME = 'text'` strings (a name declared twice maps to `None`), how often each name is
/// used as a value, and which are exported. A constant with one use that is not exported can be
/// edited for the call that uses it; any other is shared.
#[derive(Default)]
pub struct FileConsts {
    pub objects: HashMap<String, Option<Box<ObjectLit>>>,
    /// The value and where its literal stands.
    pub numbers: HashMap<String, Option<(f64, Range<usize>)>>,
    /// `const NAME = 'text'` (or a template without substitutions): where the literal stands.
    pub strings: HashMap<String, Option<Range<usize>>>,
    pub uses: HashMap<String, usize>,
    pub exported: HashSet<String>,
}

impl FileConsts {
    pub fn of(program: &Program) -> FileConsts {
        let mut consts = FileConsts::default();
        program.visit_with(&mut consts);
        consts
    }

    /// Whether editing the constant changes only the one call that uses it.
    pub fn is_private(&self, name: &str) -> bool {
        self.uses.get(name).copied().unwrap_or(0) <= 1 && !self.exported.contains(name)
    }
}

impl Visit for FileConsts {
    fn visit_var_decl(&mut self, decl: &VarDecl) {
        for declarator in &decl.decls {
            let Pat::Ident(binding) = &declarator.name else {
                continue;
            };
            let name = binding.id.sym.to_string();
            let object = match declarator.init.as_deref().map(unwrap) {
                Some(Expr::Object(object)) if decl.kind == VarDeclKind::Const => {
                    Some(Box::new(object.clone()))
                }
                _ => None,
            };
            let number = declarator
                .init
                .as_deref()
                .filter(|_| decl.kind == VarDeclKind::Const)
                .and_then(|init| Some((number_value(init)?, range_of(unwrap(init)))));
            match self.numbers.get_mut(&name) {
                Some(entry) => *entry = None,
                None => {
                    self.numbers.insert(name.clone(), number);
                }
            }
            let string = declarator
                .init
                .as_deref()
                .filter(|_| decl.kind == VarDeclKind::Const)
                .map(unwrap)
                .filter(|init| match init {
                    Expr::Lit(Lit::Str(_)) => true,
                    Expr::Tpl(t) => t.exprs.is_empty(),
                    _ => false,
                })
                .map(range_of);
            match self.strings.get_mut(&name) {
                Some(entry) => *entry = None,
                None => {
                    self.strings.insert(name.clone(), string);
                }
            }
            match self.objects.get_mut(&name) {
                Some(entry) => *entry = None,
                None => {
                    self.objects.insert(name, object);
                }
            }
        }
        decl.visit_children_with(self);
    }

    fn visit_export_decl(&mut self, export: &ExportDecl) {
        if let Decl::Var(var) = &export.decl {
            for declarator in &var.decls {
                if let Pat::Ident(binding) = &declarator.name {
                    self.exported.insert(binding.id.sym.to_string());
                }
            }
        }
        export.visit_children_with(self);
    }

    fn visit_export_named_specifier(&mut self, specifier: &ExportNamedSpecifier) {
        if let ModuleExportName::Ident(ident) = &specifier.orig {
            self.exported.insert(ident.sym.to_string());
        }
    }

    fn visit_expr(&mut self, expr: &Expr) {
        if let Expr::Ident(ident) = expr {
            *self.uses.entry(ident.sym.to_string()).or_default() += 1;
        }
        expr.visit_children_with(self);
    }

    fn visit_prop(&mut self, prop: &Prop) {
        if let Prop::Shorthand(ident) = prop {
            *self.uses.entry(ident.sym.to_string()).or_default() += 1;
        }
        prop.visit_children_with(self);
    }
}
