//! Just enough scope analysis to rename one top-level binding safely: find every reference to
//! the module-level binding `name` that no inner declaration shadows, and tell whether another
//! name (`new_name`) is declared anywhere a renamed reference would be captured by it.

use std::ops::Range;

use swc_ecma_ast::*;
use swc_ecma_visit::{Visit, VisitWith};

use crate::source::span_range;

/// How a reference is written, which decides how to rename it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefForm {
    /// A plain identifier: replace it.
    Plain,
    /// An object shorthand `{ name }`: the key must stay, so it becomes `{ name: new_name }`.
    Shorthand,
}

/// The result of [`find_references`].
#[derive(Debug, Default)]
pub struct References {
    pub refs: Vec<(Range<usize>, RefForm)>,
    /// `new_name` is declared in a scope enclosing at least one reference.
    pub captured: bool,
    /// Members `ns.name` of the given namespace bindings.
    pub namespace_members: Vec<Range<usize>>,
}

/// Every reference to the top-level binding `name` in `program`, and whether `new_name`
/// would capture one of them. `namespaces` are top-level namespace-import bindings whose
/// member `name` is also wanted.
pub fn find_references(
    program: &Program,
    name: &str,
    new_name: &str,
    namespaces: &[String],
) -> References {
    let mut finder = Finder {
        name,
        new_name,
        namespaces,
        scopes: Vec::new(),
        out: References::default(),
    };
    program.visit_with(&mut finder);
    finder.out
}

/// Names declared at the top level of a program (values, not types).
pub fn top_level_names(program: &Program) -> Vec<String> {
    let mut names = Vec::new();
    match program {
        Program::Module(module) => {
            for item in &module.body {
                match item {
                    ModuleItem::Stmt(stmt) => stmt_declared(stmt, true, &mut names),
                    ModuleItem::ModuleDecl(decl) => match decl {
                        ModuleDecl::Import(import) => {
                            for specifier in &import.specifiers {
                                names.push(
                                    match specifier {
                                        ImportSpecifier::Named(s) => &s.local,
                                        ImportSpecifier::Default(s) => &s.local,
                                        ImportSpecifier::Namespace(s) => &s.local,
                                    }
                                    .sym
                                    .to_string(),
                                );
                            }
                        }
                        ModuleDecl::ExportDecl(export) => {
                            decl_names(&export.decl, true, &mut names)
                        }
                        ModuleDecl::ExportDefaultDecl(export) => match &export.decl {
                            DefaultDecl::Fn(f) => {
                                names.extend(f.ident.iter().map(|i| i.sym.to_string()))
                            }
                            DefaultDecl::Class(c) => {
                                names.extend(c.ident.iter().map(|i| i.sym.to_string()))
                            }
                            DefaultDecl::TsInterfaceDecl(_) => {}
                        },
                        ModuleDecl::TsImportEquals(import) => names.push(import.id.sym.to_string()),
                        _ => {}
                    },
                }
            }
            let mut vars = VarCollector { names: &mut names };
            module.visit_children_with(&mut vars);
        }
        Program::Script(script) => {
            for stmt in &script.body {
                stmt_declared(stmt, true, &mut names);
            }
            let mut vars = VarCollector { names: &mut names };
            script.visit_children_with(&mut vars);
        }
    }
    names
}

/// Binding names of a pattern.
pub fn pat_names(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(binding) => out.push(binding.id.sym.to_string()),
        Pat::Array(array) => {
            for element in array.elems.iter().flatten() {
                pat_names(element, out);
            }
        }
        Pat::Object(object) => {
            for prop in &object.props {
                match prop {
                    ObjectPatProp::KeyValue(kv) => pat_names(&kv.value, out),
                    ObjectPatProp::Assign(assign) => out.push(assign.key.sym.to_string()),
                    ObjectPatProp::Rest(rest) => pat_names(&rest.arg, out),
                }
            }
        }
        Pat::Rest(rest) => pat_names(&rest.arg, out),
        Pat::Assign(assign) => pat_names(&assign.left, out),
        Pat::Invalid(_) | Pat::Expr(_) => {}
    }
}

fn decl_names(decl: &Decl, with_var: bool, out: &mut Vec<String>) {
    match decl {
        Decl::Fn(f) => out.push(f.ident.sym.to_string()),
        Decl::Class(c) => out.push(c.ident.sym.to_string()),
        Decl::Var(var) if with_var || var.kind != VarDeclKind::Var => {
            for declarator in &var.decls {
                pat_names(&declarator.name, out);
            }
        }
        Decl::Using(using) => {
            for declarator in &using.decls {
                pat_names(&declarator.name, out);
            }
        }
        Decl::TsEnum(e) => out.push(e.id.sym.to_string()),
        Decl::TsModule(m) => {
            if let TsModuleName::Ident(id) = &m.id {
                out.push(id.sym.to_string());
            }
        }
        _ => {}
    }
}

/// Names a statement declares in its own block (lexical ones; `var` is hoisted separately).
fn stmt_declared(stmt: &Stmt, with_var: bool, out: &mut Vec<String>) {
    if let Stmt::Decl(decl) = stmt {
        decl_names(decl, with_var, out);
    }
}

/// Collects `var` names and function declarations hoisted to the enclosing function, without
/// entering nested functions or classes.
struct VarCollector<'a> {
    names: &'a mut Vec<String>,
}

impl Visit for VarCollector<'_> {
    fn visit_var_decl(&mut self, var: &VarDecl) {
        if var.kind == VarDeclKind::Var {
            for declarator in &var.decls {
                pat_names(&declarator.name, self.names);
            }
        }
        var.visit_children_with(self);
    }
    fn visit_function(&mut self, _: &Function) {}
    fn visit_arrow_expr(&mut self, _: &ArrowExpr) {}
    fn visit_class(&mut self, _: &Class) {}
    fn visit_module_decl(&mut self, decl: &ModuleDecl) {
        if let ModuleDecl::ExportDecl(export) = decl {
            export.visit_children_with(self);
        }
    }
}

/// One scope: does it declare the old name, the new one?
#[derive(Clone, Copy)]
struct Scope {
    declares_name: bool,
    declares_new: bool,
}

struct Finder<'a> {
    name: &'a str,
    new_name: &'a str,
    namespaces: &'a [String],
    scopes: Vec<Scope>,
    out: References,
}

impl Finder<'_> {
    fn push(&mut self, names: &[String]) {
        self.scopes.push(Scope {
            declares_name: names.iter().any(|n| n == self.name),
            declares_new: names.iter().any(|n| n == self.new_name),
        });
    }

    /// Whether the identifier `sym` here refers to the top-level binding.
    fn is_top_level_ref(&self, sym: &str) -> bool {
        sym == self.name && !self.scopes.iter().skip(1).any(|s| s.declares_name)
    }

    fn reference(&mut self, ident: &Ident, form: RefForm) {
        if self.is_top_level_ref(&ident.sym) {
            if self.scopes.iter().skip(1).any(|s| s.declares_new) {
                self.out.captured = true;
            }
            self.out.refs.push((span_range(ident.span), form));
        }
    }

    fn is_namespace(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Ident(obj) if self.namespaces.iter().any(|ns| *ns == *obj.sym))
    }

    fn function_scope(&mut self, params: &[String], body: Option<&[Stmt]>) {
        let mut names = params.to_vec();
        if let Some(body) = body {
            for stmt in body {
                stmt_declared(stmt, false, &mut names);
            }
            let mut vars = VarCollector { names: &mut names };
            body.visit_with(&mut vars);
        }
        self.push(&names);
    }
}

impl Visit for Finder<'_> {
    fn visit_program(&mut self, program: &Program) {
        self.push(&top_level_names(program));
        program.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_function(&mut self, function: &Function) {
        let mut params = Vec::new();
        for param in &function.params {
            pat_names(&param.pat, &mut params);
        }
        self.function_scope(&params, function.body.as_ref().map(|b| b.stmts.as_slice()));
        function.decorators.visit_with(self);
        function.params.visit_with(self);
        if let Some(body) = &function.body {
            body.stmts.visit_with(self);
        }
        self.scopes.pop();
    }

    fn visit_constructor(&mut self, constructor: &Constructor) {
        let mut params = Vec::new();
        for param in &constructor.params {
            match param {
                ParamOrTsParamProp::Param(p) => pat_names(&p.pat, &mut params),
                ParamOrTsParamProp::TsParamProp(p) => match &p.param {
                    TsParamPropParam::Ident(binding) => params.push(binding.id.sym.to_string()),
                    TsParamPropParam::Assign(assign) => pat_names(&assign.left, &mut params),
                },
            }
        }
        self.function_scope(
            &params,
            constructor.body.as_ref().map(|b| b.stmts.as_slice()),
        );
        constructor.params.visit_with(self);
        if let Some(body) = &constructor.body {
            body.stmts.visit_with(self);
        }
        self.scopes.pop();
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        let mut params = Vec::new();
        for param in &arrow.params {
            pat_names(param, &mut params);
        }
        match &*arrow.body {
            ArrowFunctionBody::FunctionBody(body) => {
                self.function_scope(&params, Some(&body.stmts));
                arrow.params.visit_with(self);
                body.stmts.visit_with(self);
            }
            ArrowFunctionBody::Expr(expr) => {
                self.function_scope(&params, None);
                arrow.params.visit_with(self);
                expr.visit_with(self);
            }
        }
        self.scopes.pop();
    }

    fn visit_fn_expr(&mut self, f: &FnExpr) {
        let names: Vec<String> = f.ident.iter().map(|i| i.sym.to_string()).collect();
        self.push(&names);
        f.function.visit_with(self);
        self.scopes.pop();
    }

    fn visit_class_expr(&mut self, c: &ClassExpr) {
        let names: Vec<String> = c.ident.iter().map(|i| i.sym.to_string()).collect();
        self.push(&names);
        c.class.visit_with(self);
        self.scopes.pop();
    }

    fn visit_block_stmt(&mut self, block: &BlockStmt) {
        let mut names = Vec::new();
        for stmt in &block.stmts {
            stmt_declared(stmt, false, &mut names);
        }
        self.push(&names);
        block.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_switch_stmt(&mut self, switch: &SwitchStmt) {
        switch.discriminant.visit_with(self);
        let mut names = Vec::new();
        for case in &switch.cases {
            for stmt in &case.cons {
                stmt_declared(stmt, false, &mut names);
            }
        }
        self.push(&names);
        switch.cases.visit_with(self);
        self.scopes.pop();
    }

    fn visit_catch_clause(&mut self, clause: &CatchClause) {
        let mut names = Vec::new();
        if let Some(param) = &clause.param {
            pat_names(param, &mut names);
        }
        self.push(&names);
        clause.body.visit_with(self);
        self.scopes.pop();
    }

    fn visit_for_stmt(&mut self, stmt: &ForStmt) {
        let mut names = Vec::new();
        if let Some(VarDeclOrExpr::VarDecl(var)) = &stmt.init
            && var.kind != VarDeclKind::Var
        {
            for declarator in &var.decls {
                pat_names(&declarator.name, &mut names);
            }
        }
        self.push(&names);
        stmt.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_for_of_stmt(&mut self, stmt: &ForOfStmt) {
        let names = for_head_names(&stmt.left);
        self.push(&names);
        stmt.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_for_in_stmt(&mut self, stmt: &ForInStmt) {
        let names = for_head_names(&stmt.left);
        self.push(&names);
        stmt.visit_children_with(self);
        self.scopes.pop();
    }

    fn visit_ts_module_decl(&mut self, module: &TsModuleDecl) {
        let mut names = Vec::new();
        if let Some(TsNamespaceBody::TsModuleBlock(block)) = &module.body {
            for item in &block.body {
                match item {
                    ModuleItem::Stmt(stmt) => stmt_declared(stmt, true, &mut names),
                    ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => {
                        decl_names(&e.decl, true, &mut names)
                    }
                    _ => {}
                }
            }
        }
        self.push(&names);
        module.body.visit_with(self);
        self.scopes.pop();
    }

    fn visit_import_decl(&mut self, _: &ImportDecl) {}

    fn visit_expr(&mut self, expr: &Expr) {
        if let Expr::Ident(ident) = expr {
            self.reference(ident, RefForm::Plain);
        } else {
            expr.visit_children_with(self);
        }
    }

    fn visit_simple_assign_target(&mut self, target: &SimpleAssignTarget) {
        if let SimpleAssignTarget::Ident(binding) = target {
            self.reference(&binding.id, RefForm::Plain);
        } else {
            target.visit_children_with(self);
        }
    }

    fn visit_prop(&mut self, prop: &Prop) {
        if let Prop::Shorthand(ident) = prop {
            self.reference(ident, RefForm::Shorthand);
        } else {
            prop.visit_children_with(self);
        }
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        if let MemberProp::Ident(prop) = &member.prop
            && prop.sym == *self.name
            && self.is_namespace(&member.obj)
        {
            self.out.namespace_members.push(span_range(prop.span));
        }
        member.visit_children_with(self);
    }

    fn visit_named_export(&mut self, export: &NamedExport) {
        if export.src.is_some() {
            return;
        }
        for specifier in &export.specifiers {
            if let ExportSpecifier::Named(named) = specifier
                && let ModuleExportName::Ident(orig) = &named.orig
            {
                self.reference(orig, RefForm::Plain);
            }
        }
    }

    fn visit_export_default_expr(&mut self, export: &ExportDefaultExpr) {
        export.expr.visit_with(self);
    }

    fn visit_ts_entity_name(&mut self, name: &TsEntityName) {
        match name {
            TsEntityName::Ident(_) => {}
            TsEntityName::TsQualifiedName(q) => q.left.visit_with(self),
        }
    }

    fn visit_ts_type_query(&mut self, query: &TsTypeQuery) {
        match &query.expr_name {
            TsTypeQueryExpr::TsEntityName(TsEntityName::Ident(ident)) => {
                self.reference(ident, RefForm::Plain)
            }
            TsTypeQueryExpr::TsEntityName(TsEntityName::TsQualifiedName(q)) => {
                if let TsEntityName::Ident(obj) = &q.left
                    && q.right.sym == *self.name
                    && self.namespaces.iter().any(|ns| *ns == *obj.sym)
                {
                    self.out.namespace_members.push(span_range(q.right.span));
                }
            }
            TsTypeQueryExpr::Import(_) => {}
        }
        query.type_args.visit_with(self);
    }

    // Keys of type members name properties, not bindings, unless computed (`[key]: T`).
    fn visit_ts_property_signature(&mut self, sig: &TsPropertySignature) {
        if sig.computed {
            sig.key.visit_with(self);
        }
        sig.type_ann.visit_with(self);
    }

    fn visit_ts_method_signature(&mut self, sig: &TsMethodSignature) {
        if sig.computed {
            sig.key.visit_with(self);
        }
        sig.params.visit_with(self);
        sig.type_ann.visit_with(self);
        sig.type_params.visit_with(self);
    }

    fn visit_ts_getter_signature(&mut self, sig: &TsGetterSignature) {
        if sig.computed {
            sig.key.visit_with(self);
        }
        sig.type_ann.visit_with(self);
    }

    fn visit_ts_setter_signature(&mut self, sig: &TsSetterSignature) {
        if sig.computed {
            sig.key.visit_with(self);
        }
        sig.param.visit_with(self);
    }

    // Property keys and labels are not references; only computed keys hold expressions.
    fn visit_prop_name(&mut self, name: &PropName) {
        if let PropName::Computed(computed) = name {
            computed.visit_with(self);
        }
    }
}

fn for_head_names(head: &ForHead) -> Vec<String> {
    let mut names = Vec::new();
    if let ForHead::VarDecl(var) = head
        && var.kind != VarDeclKind::Var
    {
        for declarator in &var.decls {
            pat_names(&declarator.name, &mut names);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Lang, parse};

    fn refs(src: &str) -> (Vec<String>, bool) {
        let parsed = parse(src, Lang::TypeScript).unwrap();
        let found = find_references(&parsed.program, "old", "fresh", &[]);
        let texts = found
            .refs
            .iter()
            .map(|(r, form)| {
                format!(
                    "{}@{}{}",
                    &src[r.clone()],
                    r.start,
                    if *form == RefForm::Shorthand { "s" } else { "" }
                )
            })
            .collect();
        (texts, found.captured)
    }

    #[test]
    fn shadowing_and_capture() {
        let src = "import { old } from './m';\nold();\nfunction f(old: number) { return old }\nfunction g() { const fresh_ = 1; return old }\n";
        let (found, captured) = refs(src);
        assert_eq!(found, vec!["old@27", "old@113"]);
        assert!(!captured);
        let src = "import { old } from './m';\ninterface I { old: typeof old }\nfunction g() { const fresh = 1; return { old } }\nlet x: typeof old;\nexport { old };\n";
        let (found, captured) = refs(src);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found[0].starts_with("old@"));
        assert!(found[1].ends_with('s'));
        assert!(captured);
    }

    #[test]
    fn hoisted_var_shadows_in_the_whole_function() {
        let src = "import { old } from './m';\nfunction f() { old(); if (true) { var old = 1 } }\nclass C { m() { try {} catch (old) { old } } }\n";
        let (found, _) = refs(src);
        assert!(found.is_empty(), "{found:?}");
    }
}
