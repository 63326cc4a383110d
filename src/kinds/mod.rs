//! Rule kinds: the code behind the declarative rules. Each kind lives in its own module, reads
//! its parameters from the rule's TOML table (unknown keys are errors) and implements
//! [`RuleKind`]. [`KINDS`] is the registry; adding a kind means one module and one line there.

use std::any::Any;
use std::ops::Range;
use std::path::Path;

use crate::source::{Lang, LineIndex, Parsed};

pub mod ast;
pub mod bindings;
pub mod call_argument;
pub mod call_option;
pub mod delete_comments;
pub mod raw_sql;
pub mod rename;
pub mod resolve;
pub mod restore_await;
pub mod scope;
pub mod screen;
pub mod set_number;
pub mod strip_checks;
#[cfg(test)]
pub mod testing;
pub mod where_filter;

/// What a rule sees of one file.
pub struct FileContext<'a> {
    /// Path relative to the project root, `/`-separated.
    pub path: &'a str,
    pub text: &'a str,
    pub parsed: &'a Parsed,
    pub lines: &'a LineIndex,
}

/// Where a rule puts what it finds: edits to make and places a person must review.
#[derive(Debug, Default)]
pub struct Sink {
    pub(crate) edits: Vec<(Range<usize>, String)>,
    pub(crate) reviews: Vec<(Range<usize>, String)>,
}

impl Sink {
    pub fn replace(&mut self, range: Range<usize>, replacement: impl Into<String>) {
        self.edits.push((range, replacement.into()));
    }

    pub fn delete(&mut self, range: Range<usize>) {
        self.edits.push((range, String::new()));
    }

    pub fn insert(&mut self, at: usize, text: impl Into<String>) {
        self.edits.push((at..at, text.into()));
    }

    /// A place the rule will not edit, with the reason a person must look at it.
    pub fn review(&mut self, range: Range<usize>, reason: impl Into<String>) {
        self.reviews.push((range, reason.into()));
    }
}

/// What the project-wide scan of one file found for a rule (see [`RuleKind::scan`]).
pub type ScanFacts = Box<dyn Any + Send>;

/// The whole project as a rule sees it before the per-file pass.
pub struct ProjectFacts<'a> {
    pub root: &'a Path,
    /// What [`RuleKind::scan`] returned, per file that had something.
    pub scans: Vec<(String, ScanFacts)>,
}

/// One kind of rule, compiled from its parameters.
pub trait RuleKind: Send + Sync {
    /// Literal strings (matched without regard to ASCII case) at least one of which a file must
    /// contain for this rule to find anything in it. Files with none are not parsed for it.
    fn triggers(&self) -> Vec<String>;

    /// More literal strings, of which a file must hold at least one *as well as* a trigger
    /// (e.g. a filter key only matters inside a `where`). Empty: the triggers alone decide.
    fn context_triggers(&self) -> Vec<String> {
        Vec::new()
    }

    /// Whether the rule looks at files of this language at all. Kinds that look only at code
    /// that runs (calls, object literals, conditions) say no to declaration files: nothing in a
    /// `.d.ts` is ever evaluated, and TypeScript rejects statements there (TS1036) even where
    /// swc parses them. Like a rule's `files` globs, this holds with `--no-prefilter` too.
    fn reads(&self, _lang: Lang) -> bool {
        true
    }

    /// A finer test than the triggers, on the text of a file whose triggers matched, before it
    /// is parsed: `false` only when the rule cannot find anything in this file (a filter key
    /// that never stands before a `:` is no filter key). It must never say `false` for a file
    /// the rule would report: the corpus test compares every finding with a `--no-prefilter`
    /// run, which skips this test, and every kind test and fuzz input checks it
    /// ([`crate::engine::admits`]).
    fn may_fire(&self, _lang: Lang, _text: &str) -> bool {
        true
    }

    /// Finds edits and review places in one parsed file.
    fn run(&self, file: &FileContext, sink: &mut Sink);

    /// Whether what the rule does depends on where the other rules of the run edit
    /// (`delete-comments`: a comment goes with the workaround it explains). Such a rule runs
    /// after the others in every round of [`crate::engine::rewrite`], through
    /// [`RuleKind::run_after`].
    fn follows_edits(&self) -> bool {
        false
    }

    /// [`RuleKind::run`] for a rule that [follows edits](RuleKind::follows_edits): `edited` holds
    /// the byte ranges of `file.text` that the other rules changed in earlier rounds of this run
    /// or propose in this round (an insertion or a deletion is an empty range where it stands).
    fn run_after(&self, file: &FileContext, edited: &[Range<usize>], sink: &mut Sink) {
        let _ = edited;
        self.run(file, sink);
    }

    /// The parameters, as `key = value` lines for `pgshift rules show`.
    fn describe(&self) -> Vec<(String, String)>;

    /// Triggers of the project scan; empty when the rule needs no project-wide facts.
    fn scan_triggers(&self) -> Vec<String> {
        Vec::new()
    }

    /// Collects project-wide facts from one file (runs before any [`RuleKind::run`]).
    fn scan(&self, _file: &FileContext) -> Option<ScanFacts> {
        None
    }

    /// Digests the scan of the whole project.
    fn prepare(&mut self, _project: ProjectFacts<'_>) {}

    /// Lines for the run summary, given how many edits the rule made in all.
    fn summary_notes(&self, _edits: usize) -> Vec<String> {
        Vec::new()
    }
}

/// Compiles a kind from the rule's parameter table.
pub type CompileFn = fn(toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError>;

/// A bad parameter: the message and, where known, the byte span of the offending key or value
/// in the rule file.
#[derive(Debug, Clone)]
pub struct ParamError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl ParamError {
    pub fn at(message: impl Into<String>, span: Range<usize>) -> ParamError {
        ParamError {
            message: message.into(),
            span: Some(span),
        }
    }
}

impl From<toml::de::Error> for ParamError {
    fn from(error: toml::de::Error) -> ParamError {
        ParamError {
            message: error.message().to_string(),
            span: error.span(),
        }
    }
}

/// A registered rule kind.
pub struct KindSpec {
    pub name: &'static str,
    pub summary: &'static str,
    pub compile: CompileFn,
}

/// Every rule kind pgshift knows.
pub const KINDS: &[KindSpec] = &[
    rename::SPEC,
    strip_checks::SPEC,
    set_number::SPEC,
    restore_await::SPEC,
    call_option::SPEC,
    call_argument::SPEC,
    delete_comments::SPEC,
    raw_sql::SPEC,
    where_filter::SPEC,
];

/// Whether a file of this language holds code that runs: a declaration file (`.d.ts`) holds
/// only types, so no call, object literal or `||` chain of it is ever evaluated.
pub fn runs_code(lang: Lang) -> bool {
    lang != Lang::TypeScriptDeclaration
}

pub fn find_kind(name: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.name == name)
}
