//! `rename`: renames an exported function across the project, following the binding rather
//! than the text. The declaring module is renamed with every reference to it; every module
//! that imports it — directly, through `export { … } from` or `export * from` re-exports, or as
//! a namespace member — renames its import and its references; an aliased import changes only
//! the imported name. Same-named locals that shadow it, unrelated declarations elsewhere, and
//! properties are left alone. Where the new name is already bound in a file, the import is
//! aliased (`import { new as old }`) and the file is reported for review.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use globset::GlobSet;
use regex::Regex;
use serde::Deserialize;
use swc_common::Spanned as _;
use swc_ecma_ast::*;
use toml::Spanned;

use super::resolve::{Resolved, Resolver};
use super::scope::{RefForm, find_references, top_level_names};
use super::{FileContext, KindSpec, ParamError, ProjectFacts, RuleKind, ScanFacts, Sink};
use crate::source::{Lang, span_range};

pub const SPEC: KindSpec = KindSpec {
    name: "rename",
    summary: "rename an exported binding everywhere it is imported, re-exported or used",
    compile,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    from: Spanned<String>,
    to: Spanned<String>,
    /// Globs of the files that declare the binding; empty means any file that exports it.
    #[serde(default)]
    declared_in: Vec<Spanned<String>>,
}

struct Rename {
    from: String,
    to: String,
    declared_in_patterns: Vec<String>,
    declared_in: Option<GlobSet>,
    /// Filled by `prepare`: resolution of specifiers, and which modules export the binding.
    project: Project,
}

#[derive(Default)]
struct Project {
    resolver: Resolver,
    /// Modules that export the old name.
    exporting: HashSet<String>,
    /// Modules that export the new name (a project part-way through, or already renamed).
    exporting_new: HashSet<String>,
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    for name in [&params.from, &params.to] {
        if !is_identifier(name.get_ref()) {
            return Err(ParamError::at(
                format!("`{}` is not an identifier", name.get_ref()),
                name.span(),
            ));
        }
    }
    if params.from.get_ref() == params.to.get_ref() {
        return Err(ParamError::at(
            "`from` and `to` are the same name",
            params.to.span(),
        ));
    }
    let declared_in = crate::rules::compile_globs(&params.declared_in)
        .map_err(|(span, message)| ParamError::at(message, span))?;
    Ok(Box::new(Rename {
        from: params.from.get_ref().clone(),
        to: params.to.get_ref().clone(),
        declared_in_patterns: params
            .declared_in
            .iter()
            .map(|g| g.get_ref().clone())
            .collect(),
        declared_in,
        project: Project::default(),
    }))
}

/// What one module says about the binding, for the project-wide export graph.
#[derive(Debug, Default, Clone)]
struct ModuleFacts {
    /// Declares the binding at top level and exports it.
    declares_export: bool,
    /// Specifiers this module re-exports the binding from under its own name
    /// (`export { name } from 's'`, or `import { name } from 's'` then `export { name }`).
    forwards: Vec<String>,
    /// `export * from 's'`.
    stars: Vec<String>,
    /// Every specifier the module imports the binding from, to resolve ahead of `run`.
    imports: Vec<String>,
}

impl Rename {
    fn declared_here(&self, path: &str) -> bool {
        self.declared_in
            .as_ref()
            .is_none_or(|set| set.is_match(path))
    }

    fn facts(&self, module: &Module, name: &str) -> ModuleFacts {
        let mut facts = ModuleFacts::default();
        let mut imported_from: HashMap<String, String> = HashMap::new();
        let mut local_exports: Vec<String> = Vec::new();
        let mut declares = false;
        for item in &module.body {
            match item {
                ModuleItem::ModuleDecl(ModuleDecl::Import(import)) => {
                    for specifier in &import.specifiers {
                        if let ImportSpecifier::Named(named) = specifier
                            && imported_name(named) == name
                        {
                            facts.imports.push(str_value(&import.src));
                            imported_from
                                .insert(named.local.sym.to_string(), str_value(&import.src));
                        }
                        if let ImportSpecifier::Namespace(_) = specifier {
                            facts.imports.push(str_value(&import.src));
                        }
                    }
                }
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => {
                    let mut names = Vec::new();
                    decl_binding_names(&export.decl, &mut names);
                    if names.iter().any(|n| n == name) {
                        facts.declares_export = true;
                    }
                }
                ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(export)) => {
                    for specifier in &export.specifiers {
                        let ExportSpecifier::Named(named) = specifier else {
                            continue;
                        };
                        let orig = export_name(&named.orig);
                        let exported = named.exported.as_ref().map_or(orig.clone(), export_name);
                        match &export.src {
                            Some(src) if orig == name => {
                                facts.imports.push(str_value(src));
                                if exported == name {
                                    facts.forwards.push(str_value(src));
                                }
                            }
                            Some(_) => {}
                            None if exported == name => local_exports.push(orig),
                            None => {}
                        }
                    }
                }
                ModuleItem::ModuleDecl(ModuleDecl::ExportAll(all)) => {
                    facts.stars.push(str_value(&all.src))
                }
                ModuleItem::Stmt(Stmt::Decl(decl)) => {
                    let mut names = Vec::new();
                    decl_binding_names(decl, &mut names);
                    if names.iter().any(|n| n == name) {
                        declares = true;
                    }
                }
                _ => {}
            }
        }
        for local in local_exports {
            if let Some(src) = imported_from.get(&local) {
                facts.forwards.push(src.clone());
            } else if local == name && declares {
                facts.declares_export = true;
            }
        }
        facts
    }

    fn exports_binding(
        &self,
        file: &str,
        name: &str,
        facts: &mut HashMap<String, ModuleFacts>,
        root: &Path,
        memo: &mut HashMap<String, bool>,
    ) -> bool {
        if let Some(known) = memo.get(file) {
            return *known;
        }
        // Assume no while this module is being decided, so that cycles end.
        memo.insert(file.to_string(), false);
        if !facts.contains_key(file) {
            let read = self.read_facts(root, file, name);
            facts.insert(file.to_string(), read);
        }
        let facts_here = facts[file].clone();
        let mut answer = facts_here.declares_export && self.declared_here(file);
        if !answer {
            for specifier in facts_here.forwards.iter().chain(&facts_here.stars) {
                if let Resolved::File(target) = self.project.resolver.resolve(file, specifier)
                    && self.exports_binding(&target, name, facts, root, memo)
                {
                    answer = true;
                    break;
                }
            }
        }
        memo.insert(file.to_string(), answer);
        answer
    }

    /// Facts of a module the scan did not see (it was not among the files checked, or it does
    /// not mention the name but may pass it on with `export *`).
    fn read_facts(&self, root: &Path, file: &str, name: &str) -> ModuleFacts {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            return ModuleFacts::default();
        };
        let parsed = Lang::from_path(file).and_then(|lang| crate::source::parse(&text, lang).ok());
        match parsed.as_ref().map(|p| &p.program) {
            Some(Program::Module(module)) => self.facts(module, name),
            Some(Program::Script(_)) => ModuleFacts::default(),
            None => stars_only(&text),
        }
    }

    /// Every module, among those scanned and those they import from, that exports `name`.
    fn exporting_modules(
        &self,
        name: &str,
        mut facts: HashMap<String, ModuleFacts>,
        root: &Path,
    ) -> HashSet<String> {
        let mut memo = HashMap::new();
        let mut wanted: Vec<String> = facts.keys().cloned().collect();
        for (path, module_facts) in &facts {
            for specifier in &module_facts.imports {
                if let Resolved::File(target) = self.project.resolver.resolve(path, specifier) {
                    wanted.push(target);
                }
            }
        }
        for file in wanted {
            self.exports_binding(&file, name, &mut facts, root, &mut memo);
        }
        memo.into_iter()
            .filter(|(_, yes)| *yes)
            .map(|(file, _)| file)
            .collect()
    }

    fn exporting(&self, from_file: &str, specifier: &str) -> Option<bool> {
        self.exporting_in(&self.project.exporting, from_file, specifier)
    }

    fn exporting_in(
        &self,
        set: &HashSet<String>,
        from_file: &str,
        specifier: &str,
    ) -> Option<bool> {
        match self.project.resolver.resolve(from_file, specifier) {
            Resolved::File(target) => Some(set.contains(&target)),
            Resolved::Missing => None,
            Resolved::External => Some(false),
        }
    }
}

/// A module that does not parse can still be read for `export * from` lines.
fn stars_only(text: &str) -> ModuleFacts {
    static STAR: OnceLock<Regex> = OnceLock::new();
    let star = STAR.get_or_init(|| {
        Regex::new(r#"export\s*\*\s*from\s*['"]([^'"]+)['"]"#).expect("valid regex")
    });
    ModuleFacts {
        stars: star.captures_iter(text).map(|c| c[1].to_string()).collect(),
        ..ModuleFacts::default()
    }
}

fn str_value(s: &Str) -> String {
    s.value.to_string_lossy().into_owned()
}

fn export_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::Ident(ident) => ident.sym.to_string(),
        ModuleExportName::Str(s) => str_value(s),
    }
}

fn imported_name(named: &ImportNamedSpecifier) -> String {
    named
        .imported
        .as_ref()
        .map_or_else(|| named.local.sym.to_string(), export_name)
}

fn decl_binding_names(decl: &Decl, out: &mut Vec<String>) {
    match decl {
        Decl::Fn(f) => out.push(f.ident.sym.to_string()),
        Decl::Class(c) => out.push(c.ident.sym.to_string()),
        Decl::Var(var) => {
            for declarator in &var.decls {
                super::scope::pat_names(&declarator.name, out);
            }
        }
        _ => {}
    }
}

/// The identifier range of the top-level declaration of `name`.
fn declaration_range(module: &Module, name: &str) -> Option<Range<usize>> {
    let decl_ident = |decl: &Decl| -> Option<Range<usize>> {
        match decl {
            Decl::Fn(f) if f.ident.sym == *name => Some(span_range(f.ident.span)),
            Decl::Class(c) if c.ident.sym == *name => Some(span_range(c.ident.span)),
            Decl::Var(var) => var.decls.iter().find_map(|d| match &d.name {
                Pat::Ident(binding) if binding.id.sym == *name => Some(span_range(binding.id.span)),
                _ => None,
            }),
            _ => None,
        }
    };
    module.body.iter().find_map(|item| match item {
        ModuleItem::Stmt(Stmt::Decl(decl)) => decl_ident(decl),
        ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => decl_ident(&export.decl),
        _ => None,
    })
}

impl RuleKind for Rename {
    fn triggers(&self) -> Vec<String> {
        vec![self.from.clone()]
    }

    fn scan_triggers(&self) -> Vec<String> {
        vec![self.from.clone(), self.to.clone()]
    }

    fn scan(&self, file: &FileContext) -> Option<ScanFacts> {
        let Program::Module(module) = &file.parsed.program else {
            return None;
        };
        Some(Box::new([
            self.facts(module, &self.from),
            self.facts(module, &self.to),
        ]))
    }

    fn prepare(&mut self, project: ProjectFacts<'_>) {
        self.project.resolver = Resolver::new(project.root);
        let mut old_facts: HashMap<String, ModuleFacts> = HashMap::new();
        let mut new_facts: HashMap<String, ModuleFacts> = HashMap::new();
        for (path, scanned) in project.scans {
            if let Ok(pair) = scanned.downcast::<[ModuleFacts; 2]>() {
                let [old, new] = *pair;
                old_facts.insert(path.clone(), old);
                new_facts.insert(path, new);
            }
        }
        let root: PathBuf = project.root.to_path_buf();
        self.project.exporting = self.exporting_modules(&self.from, old_facts, &root);
        self.project.exporting_new = self.exporting_modules(&self.to, new_facts, &root);
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let Program::Module(module) = &file.parsed.program else {
            return;
        };
        let (from, to) = (self.from.as_str(), self.to.as_str());
        let top_names = top_level_names(&file.parsed.program);
        let to_bound = top_names.iter().any(|n| n == to);

        // The local binding that is ours, if any: (range of the declaring or imported name, local name).
        let mut owned_local = false;
        let mut declaration: Option<Range<usize>> = None;
        let mut plain_imports: Vec<Range<usize>> = Vec::new();
        let mut namespaces: Vec<String> = Vec::new();

        if self.project.exporting.contains(file.path) && self.declared_here(file.path) {
            declaration = declaration_range(module, from);
            owned_local = declaration.is_some();
        }
        for item in &module.body {
            match item {
                ModuleItem::ModuleDecl(ModuleDecl::Import(import)) => {
                    let specifier = str_value(&import.src);
                    let aliased_earlier = |named: &ImportNamedSpecifier| {
                        imported_name(named) == to && named.local.sym == *from
                    };
                    let mentions = import.specifiers.iter().any(|s| match s {
                        ImportSpecifier::Named(named) => {
                            imported_name(named) == from || aliased_earlier(named)
                        }
                        ImportSpecifier::Namespace(_) => true,
                        ImportSpecifier::Default(_) => false,
                    });
                    if !mentions {
                        continue;
                    }
                    // The source exports the new name now, or will once this run renames it.
                    let renamed_source =
                        self.exporting_in(&self.project.exporting_new, file.path, &specifier)
                            == Some(true)
                            || self.exporting(file.path, &specifier) == Some(true);
                    for s in &import.specifiers {
                        // What an earlier run did where the new name was taken: still for a person.
                        if let ImportSpecifier::Named(named) = s
                            && renamed_source
                            && aliased_earlier(named)
                        {
                            sink.review(
                                span_range(named.span),
                                format!(
                                    "`{to}` is already bound in this file, so the import is aliased (`{to} as {from}`) and local uses keep the old name; rename them by hand"
                                ),
                            );
                        }
                    }
                    match self.exporting(file.path, &specifier) {
                        Some(true) => {}
                        Some(false) => continue,
                        None => {
                            if import.specifiers.iter().any(|s| matches!(s, ImportSpecifier::Named(n) if imported_name(n) == from)) {
                                sink.review(
                                    span_range(import.src.span),
                                    format!("`{specifier}` does not resolve to a file of the project: `{from}` was not renamed here"),
                                );
                            }
                            continue;
                        }
                    }
                    for s in &import.specifiers {
                        match s {
                            ImportSpecifier::Namespace(ns) => {
                                namespaces.push(ns.local.sym.to_string())
                            }
                            ImportSpecifier::Named(named) if imported_name(named) == from => {
                                match &named.imported {
                                    Some(imported) => {
                                        // `{ old as local }`: only the imported name changes.
                                        if named.local.sym == *to {
                                            sink.replace(span_range(named.span), to.to_string());
                                        } else {
                                            sink.replace(
                                                span_range(imported.span()),
                                                to.to_string(),
                                            );
                                        }
                                    }
                                    None => {
                                        owned_local = true;
                                        plain_imports.push(span_range(named.local.span));
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(export)) => {
                    let Some(src) = &export.src else { continue };
                    if self.exporting(file.path, &str_value(src)) != Some(true) {
                        continue;
                    }
                    for specifier in &export.specifiers {
                        if let ExportSpecifier::Named(named) = specifier
                            && export_name(&named.orig) == from
                        {
                            sink.replace(span_range(named.orig.span()), to.to_string());
                        }
                    }
                }
                _ => {}
            }
        }

        if !owned_local && namespaces.is_empty() {
            return;
        }
        let found = find_references(&file.parsed.program, from, to, &namespaces);
        for range in &found.namespace_members {
            sink.replace(range.clone(), to.to_string());
        }
        if !owned_local {
            return;
        }
        let collision = to_bound || found.captured;
        if collision {
            if let Some(declaration) = declaration {
                sink.review(
                    declaration,
                    format!("`{to}` is already bound in this file: `{from}` was not renamed here; rename it by hand"),
                );
            }
            for import in plain_imports {
                sink.replace(import, format!("{to} as {from}"));
            }
            return;
        }
        if let Some(declaration) = declaration {
            sink.replace(declaration, to.to_string());
        }
        for import in plain_imports {
            sink.replace(import, to.to_string());
        }
        for (range, form) in found.refs {
            match form {
                RefForm::Plain => sink.replace(range, to.to_string()),
                RefForm::Shorthand => sink.replace(range, format!("{from}: {to}")),
            }
        }
        rename_doc_links(file, from, to, sink);
    }

    fn describe(&self) -> Vec<(String, String)> {
        let mut lines = vec![
            ("from".into(), self.from.clone()),
            ("to".into(), self.to.clone()),
        ];
        if !self.declared_in_patterns.is_empty() {
            lines.push(("declared_in".into(), self.declared_in_patterns.join(", ")));
        }
        lines
    }
}

/// `{@link old}` (and `@linkcode` / `@linkplain`) in the file's comments.
fn rename_doc_links(file: &FileContext, from: &str, to: &str, sink: &mut Sink) {
    let pattern = Regex::new(&format!(
        r"\{{@link(?:code|plain)?\s+({})\b",
        regex::escape(from)
    ))
    .expect("escaped name");
    for comment in &file.parsed.comments {
        let text = &file.text[comment.range.clone()];
        for captures in pattern.captures_iter(text) {
            let name = captures.get(1).expect("group 1");
            let start = comment.range.start + name.start();
            sink.replace(start..start + from.len(), to.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Files, Options, run_project};
    use crate::patch::{DiffStyle, file_diff};
    use crate::rules::load_pack;
    use crate::walk::walk;

    const RULE: &str = r#"
[[rule]]
id = "retry-rename"
kind = "rename"
message = "rename"
from = "withDbRetry"
to = "withNetworkRetry"
declared_in = ["src/lib/db/retry.ts"]
"#;

    /// Writes a small project, runs the rule over it and renders every diff and review.
    fn run_tree(files: &[(&str, &str)]) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tsconfig.json"),
            r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./src/*"] } } }"#,
        )
        .unwrap();
        for (path, text) in files {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        let mut rules = load_pack("test.toml", RULE).unwrap();
        let paths = walk(dir.path());
        let report = run_project(
            dir.path(),
            Files::list(&paths),
            &mut rules,
            Options::default(),
        );
        let mut out = String::new();
        for file in &report.files {
            let original = file.original.as_deref().unwrap();
            if let Some(result) = &file.result {
                out.push_str(&file_diff(
                    &file.path.rel,
                    original,
                    result,
                    &file.changes,
                    DiffStyle::default(),
                ));
            }
            for review in &file.reviews {
                out.push_str(&format!(
                    "review {}@{}: {}\n",
                    file.path.rel, review.range.start, review.message
                ));
            }
            if let Some(problem) = &file.problem {
                out.push_str(&format!(
                    "problem {}: {}\n",
                    file.path.rel,
                    problem.describe()
                ));
            }
        }
        out
    }

    const RETRY: &str = "/** Retries. See {@link withDbRetry}. */\nexport async function withDbRetry<T>(fn: () => Promise<T>): Promise<T> {\n  return fn();\n}\nexport type RetryFn = typeof withDbRetry;\nexport const helpers = { withDbRetry };\n";

    #[test]
    fn follows_imports_aliases_and_reexports() {
        insta::assert_snapshot!(run_tree(&[
            ("src/lib/db/retry.ts", RETRY),
            (
                "src/lib/db/index.ts",
                "export * from './retry';\nexport { withDbRetry as legacyRetry } from './retry';\n"
            ),
            (
                "src/lib/db/named.ts",
                "export { withDbRetry } from './retry';\n"
            ),
            (
                "src/app/a.ts",
                "import { withDbRetry } from '@/lib/db';\nexport const go = () => withDbRetry(async () => 1);\nfunction inner(withDbRetry: number) { return withDbRetry }\n"
            ),
            (
                "src/app/b.ts",
                "import { withDbRetry as retry } from '../lib/db/named';\nretry(async () => 2);\n"
            ),
            (
                "src/app/c.ts",
                "import * as db from '@/lib/db';\ndb.withDbRetry(async () => 3);\nconst other = { withDbRetry: 1 }; other.withDbRetry;\n"
            ),
            (
                "src/app/d.ts",
                "import { legacyRetry } from '@/lib/db';\nlegacyRetry(async () => 4);\n"
            ),
        ]));
    }

    #[test]
    fn unrelated_declarations_and_collisions() {
        insta::assert_snapshot!(run_tree(&[
            ("src/lib/db/retry.ts", RETRY),
            (
                "scripts/local.ts",
                "export function withDbRetry() {}\nwithDbRetry();\n"
            ),
            (
                "src/app/e.ts",
                "import { withDbRetry } from 'some-package';\nwithDbRetry();\n"
            ),
            (
                "src/app/f.ts",
                "import { withDbRetry } from '@/lib/db/retry';\nfunction withNetworkRetry() {}\nwithDbRetry(async () => withNetworkRetry());\n"
            ),
            (
                "src/app/g.ts",
                "import { withDbRetry } from '@/lib/missing';\nwithDbRetry();\n"
            ),
        ]));
    }
}
