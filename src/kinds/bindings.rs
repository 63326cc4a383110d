//! Which callees of a file are one of a set of functions (`withDbRetry`), whatever they are
//! called there: the name itself, an aliased import (`import { withDbRetry as r }`), a default
//! import of a module whose default export is the function, an import of a re-export under
//! another name (`export { withDbRetry as retry } from './retry'`), a namespace member
//! (`db.withDbRetry`, `db['withDbRetry']`), a member of any object under the function's name
//! (`services.withDbRetry`), and same-file constants (`const r = withDbRetry`,
//! `const { withDbRetry: r } = services`).
//!
//! Default exports and re-exports under other names need the project: [`scan`] reads what each
//! module exports, [`Exports::new`] follows the re-exports, and [`Locals::of`] resolves a file's
//! imports against that.

use std::collections::{HashMap, HashSet};

use swc_ecma_ast::{
    Decl, DefaultDecl, ExportSpecifier, Expr, ImportSpecifier, MemberProp, Module, ModuleDecl,
    ModuleExportName, ModuleItem, ObjectPatProp, OptChainBase, Pat, Program, PropName,
    VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};

use super::ast::unwrap;
use super::resolve::{Resolved, Resolver};

/// Where an exported name comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// The function itself (or a local alias of it) in this module.
    Here,
    /// `export { name as exported } from 'specifier'`.
    From { specifier: String, name: String },
}

/// What one module exports that may be the function: (exported name, origin).
pub type ModuleExports = Vec<(String, Origin)>;

fn export_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::Ident(ident) => ident.sym.to_string(),
        ModuleExportName::Str(s) => s.value.to_string_lossy().into_owned(),
    }
}

/// The exports of `module` that are, or may be, one of `names` under another name (the names
/// themselves are matched anywhere and need no entry).
pub fn scan(module: &Module, names: &[String]) -> ModuleExports {
    let locals = local_aliases(module, names, &HashMap::new(), "", &Resolver::default());
    let is_ours = |name: &str| locals.names.contains(name);
    let mut out = Vec::new();
    for item in &module.body {
        let ModuleItem::ModuleDecl(decl) = item else {
            continue;
        };
        match decl {
            ModuleDecl::ExportDefaultExpr(export) => {
                if let Expr::Ident(ident) = unwrap(&export.expr)
                    && is_ours(&ident.sym)
                {
                    out.push(("default".to_string(), Origin::Here));
                }
            }
            ModuleDecl::ExportDefaultDecl(export) => {
                if let DefaultDecl::Fn(f) = &export.decl
                    && f.ident.as_ref().is_some_and(|i| is_ours(&i.sym))
                {
                    out.push(("default".to_string(), Origin::Here));
                }
            }
            ModuleDecl::ExportNamed(export) => {
                for specifier in &export.specifiers {
                    let ExportSpecifier::Named(named) = specifier else {
                        continue;
                    };
                    let orig = export_name(&named.orig);
                    let exported = named.exported.as_ref().map_or(orig.clone(), export_name);
                    match &export.src {
                        Some(src) => out.push((
                            exported,
                            Origin::From {
                                specifier: src.value.to_string_lossy().into_owned(),
                                name: orig,
                            },
                        )),
                        None if is_ours(&orig) => out.push((exported, Origin::Here)),
                        None => {}
                    }
                }
            }
            ModuleDecl::ExportDecl(export) => {
                if let Decl::Var(var) = &export.decl {
                    for declarator in &var.decls {
                        if let Pat::Ident(binding) = &declarator.name
                            && locals.names.contains(binding.id.sym.as_ref())
                        {
                            out.push((binding.id.sym.to_string(), Origin::Here));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Per module of the project, the exported names that are the function.
#[derive(Debug, Default)]
pub struct Exports {
    by_module: HashMap<String, HashSet<String>>,
    resolver: Resolver,
}

impl Exports {
    /// Whether no module exports the wrapper under any name.
    pub fn is_empty(&self) -> bool {
        self.by_module.values().all(HashSet::is_empty)
    }

    /// Follows the re-exports of `scans` (module path, its exports) until nothing is added.
    pub fn new(
        scans: Vec<(String, ModuleExports)>,
        names: &[String],
        resolver: Resolver,
    ) -> Exports {
        let mut by_module: HashMap<String, HashSet<String>> = HashMap::new();
        let mut forwards = Vec::new();
        for (path, exports) in scans {
            for (exported, origin) in exports {
                match origin {
                    Origin::Here => {
                        by_module.entry(path.clone()).or_default().insert(exported);
                    }
                    Origin::From { specifier, name } => {
                        if let Resolved::File(target) = resolver.resolve(&path, &specifier) {
                            forwards.push((path.clone(), exported, target, name));
                        }
                    }
                }
            }
        }
        loop {
            let mut added = false;
            for (path, exported, target, name) in &forwards {
                let ours = names.contains(name)
                    || by_module.get(target).is_some_and(|set| set.contains(name));
                if ours
                    && by_module
                        .entry(path.clone())
                        .or_default()
                        .insert(exported.clone())
                {
                    added = true;
                }
            }
            if !added {
                break;
            }
        }
        by_module.retain(|_, set| !set.is_empty());
        Exports {
            by_module,
            resolver,
        }
    }
}

/// The names a file calls the function by.
#[derive(Debug, Default)]
pub struct Locals {
    /// The function's own names (`callees`): matched as identifiers and as members of anything.
    own: HashSet<String>,
    /// Local names bound to the function (its own names included).
    names: HashSet<String>,
    /// Namespace imports, with the extra member names their module exports the function under.
    namespaces: HashMap<String, HashSet<String>>,
}

impl Locals {
    /// The names `program` (the file `path`) calls one of `names` by.
    pub fn of(program: &Program, names: &[String], path: &str, exports: &Exports) -> Locals {
        match program {
            Program::Module(module) => {
                local_aliases(module, names, &exports.by_module, path, &exports.resolver)
            }
            Program::Script(_) => {
                let mut locals = Locals::new(names);
                let mut consts = ConstAliases {
                    locals: &mut locals,
                };
                program.visit_with(&mut consts);
                locals
            }
        }
    }

    fn new(names: &[String]) -> Locals {
        Locals {
            own: names.iter().cloned().collect(),
            names: names.iter().cloned().collect(),
            namespaces: HashMap::new(),
        }
    }

    /// Whether `callee` (a call's callee expression) is the function.
    pub fn is_function(&self, callee: &Expr) -> bool {
        match unwrap(callee) {
            Expr::Ident(ident) => self.names.contains(ident.sym.as_ref()),
            Expr::Member(member) => self.member(&member.obj, &member.prop),
            Expr::OptChain(chain) => match &*chain.base {
                OptChainBase::Member(member) => self.member(&member.obj, &member.prop),
                OptChainBase::Call(_) => false,
            },
            _ => false,
        }
    }

    fn member(&self, object: &Expr, prop: &MemberProp) -> bool {
        let name = match prop {
            MemberProp::Ident(name) => name.sym.to_string(),
            MemberProp::Computed(computed) => match unwrap(&computed.expr) {
                Expr::Lit(swc_ecma_ast::Lit::Str(s)) => s.value.to_string_lossy().into_owned(),
                _ => return false,
            },
            MemberProp::PrivateName(_) => return false,
        };
        if self.own.contains(&name) {
            return true;
        }
        match unwrap(object) {
            Expr::Ident(ns) => self
                .namespaces
                .get(ns.sym.as_ref())
                .is_some_and(|extra| extra.contains(&name)),
            _ => false,
        }
    }
}

fn local_aliases(
    module: &Module,
    names: &[String],
    exports: &HashMap<String, HashSet<String>>,
    path: &str,
    resolver: &Resolver,
) -> Locals {
    let mut locals = Locals::new(names);
    let exported_by = |specifier: &str| -> Option<&HashSet<String>> {
        if exports.is_empty() {
            return None;
        }
        match resolver.resolve(path, specifier) {
            Resolved::File(target) => exports.get(&target),
            _ => None,
        }
    };
    for item in &module.body {
        let ModuleItem::ModuleDecl(ModuleDecl::Import(import)) = item else {
            continue;
        };
        if import.type_only {
            continue;
        }
        let specifier = import.src.value.to_string_lossy().into_owned();
        let extra = exported_by(&specifier);
        for s in &import.specifiers {
            match s {
                ImportSpecifier::Named(named) => {
                    let imported = named
                        .imported
                        .as_ref()
                        .map_or_else(|| named.local.sym.to_string(), export_name);
                    if names.contains(&imported) || extra.is_some_and(|e| e.contains(&imported)) {
                        locals.names.insert(named.local.sym.to_string());
                    }
                }
                ImportSpecifier::Default(default) => {
                    if extra.is_some_and(|e| e.contains("default")) {
                        locals.names.insert(default.local.sym.to_string());
                    }
                }
                ImportSpecifier::Namespace(ns) => {
                    locals
                        .namespaces
                        .insert(ns.local.sym.to_string(), extra.cloned().unwrap_or_default());
                }
            }
        }
    }
    let mut consts = ConstAliases {
        locals: &mut locals,
    };
    module.visit_with(&mut consts);
    locals
}

/// `const r = withDbRetry`, `const { withDbRetry: r } = services`, `const { withDbRetry } = db`.
struct ConstAliases<'a> {
    locals: &'a mut Locals,
}

impl Visit for ConstAliases<'_> {
    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if let Some(init) = &declarator.init {
            match (&declarator.name, unwrap(init)) {
                (Pat::Ident(binding), value) if self.locals.is_function(value) => {
                    self.locals.names.insert(binding.id.sym.to_string());
                }
                (Pat::Object(object), _) => {
                    for prop in &object.props {
                        match prop {
                            ObjectPatProp::KeyValue(kv) => {
                                let key = match &kv.key {
                                    PropName::Ident(i) => i.sym.to_string(),
                                    PropName::Str(s) => s.value.to_string_lossy().into_owned(),
                                    _ => continue,
                                };
                                if let Pat::Ident(binding) = &*kv.value
                                    && self.locals.own.contains(&key)
                                {
                                    self.locals.names.insert(binding.id.sym.to_string());
                                }
                            }
                            // `{ withDbRetry }` binds the name itself, already known.
                            ObjectPatProp::Assign(_) | ObjectPatProp::Rest(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
        declarator.visit_children_with(self);
    }
}
