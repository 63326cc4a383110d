//! The engine: runs compiled rules over a project and returns, per file, the edits it would
//! make, the places left for review and the reasons a file was skipped. It reads files; it
//! never prints or writes.
//!
//! A run reads every file once, in a first pass on the walker's threads: one byte scan decides
//! which rules could fire in it and whether the rules' project scan wants it (and the scan
//! parses it there). Only the paths of files some rule could fire in are kept; the per-file
//! pass reads those again once the project scan is complete.
//!
//! Per file, all rules run on one parse; their edits are merged in rule order, an edit that
//! overlaps an earlier rule's edit waits for the next round, the merged edits are spliced in,
//! and the result is parsed again. Rounds repeat until no rule has anything left to do (the
//! fixed point). A rule whose work depends on the others' edits (`delete-comments`) runs after
//! them in each round and is handed where they edited. A result that does not parse, an overlap
//! inside one rule's edits, or no fixed point after [`MAX_ROUNDS`] leaves the file unchanged and
//! says why.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rayon::prelude::*;

use crate::edit::{self, Edit};
use crate::kinds::{FileContext, ProjectFacts, ScanFacts, Sink};
use crate::rules::Rule;
use crate::source::{self, Lang, LineIndex};
use crate::walk::{self, SourcePath, WalkRoot};

pub mod suppress;

/// The rule id that findings about suppression comments carry.
pub const SUPPRESSION_RULE: &str = "pgshift-ignore";

/// Files larger than this are reported and left alone.
pub const MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Rounds of edits a file may take before the rules are declared in conflict.
pub const MAX_ROUNDS: usize = 10;

/// Engine settings.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Decide from a byte scan which rules can fire before parsing; off parses every file.
    pub prefilter: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { prefilter: true }
    }
}

/// One edit a rule made, placed in the original text and in the result.
#[derive(Debug, Clone)]
pub struct Change {
    pub rule: Arc<str>,
    /// Byte range in the original text.
    pub original: Range<usize>,
    /// Byte range of the replacement in the final text.
    pub result: Range<usize>,
}

/// A place a rule would not edit, with the reason.
#[derive(Debug, Clone)]
pub struct Review {
    pub rule: Arc<str>,
    /// Byte range in the final text (the original text when nothing changed).
    pub range: Range<usize>,
    /// Byte offset of the same place in the original text.
    pub original_offset: usize,
    pub message: String,
}

/// Why a file was not processed, or processed but left unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Unreadable(String),
    TooLarge(u64),
    Binary,
    NotUtf8,
    /// The file itself does not parse; nothing was done to it.
    Unparseable {
        offset: usize,
        message: String,
    },
    /// The rules' edits would produce text that does not parse.
    BrokenResult {
        rules: Vec<Arc<str>>,
        message: String,
    },
    /// Edits that cannot be made together; the file is left unchanged.
    Conflict {
        rules: Vec<Arc<str>>,
        offset: usize,
        detail: String,
    },
}

impl Problem {
    /// Whether the file still holds work the rules wanted to do (as opposed to being skipped).
    pub fn describe(&self) -> String {
        match self {
            Problem::Unreadable(e) => format!("could not be read: {e}"),
            Problem::TooLarge(size) => format!(
                "skipped: {size} bytes is over the {} MiB limit",
                MAX_FILE_SIZE / 1024 / 1024
            ),
            Problem::Binary => "skipped: binary file".to_string(),
            Problem::NotUtf8 => "skipped: not UTF-8".to_string(),
            Problem::Unparseable { message, .. } => format!("skipped: does not parse: {message}"),
            Problem::BrokenResult { rules, message } => format!(
                "left unchanged: the edits of {} would not parse ({message})",
                join_ids(rules)
            ),
            Problem::Conflict { rules, detail, .. } => {
                format!(
                    "left unchanged: conflicting edits from {} ({detail})",
                    join_ids(rules)
                )
            }
        }
    }
}

fn join_ids(ids: &[Arc<str>]) -> String {
    ids.iter()
        .map(|id| id.as_ref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the engine did with one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: SourcePath,
    /// The text as read; kept only when there is something to show (changes, reviews, problems).
    pub original: Option<String>,
    /// The text after all rules; `None` when unchanged.
    pub result: Option<String>,
    pub changes: Vec<Change>,
    pub reviews: Vec<Review>,
    pub problem: Option<Problem>,
}

impl FileReport {
    fn new(path: SourcePath) -> FileReport {
        FileReport {
            path,
            original: None,
            result: None,
            changes: Vec::new(),
            reviews: Vec::new(),
            problem: None,
        }
    }

    fn is_interesting(&self) -> bool {
        self.result.is_some() || !self.reviews.is_empty() || self.problem.is_some()
    }
}

/// The engine's answer for a whole project.
#[derive(Debug, Default)]
pub struct ProjectReport {
    /// Files with changes, reviews or problems, sorted by path.
    pub files: Vec<FileReport>,
    /// Files looked at in all.
    pub files_seen: usize,
    /// Files parsed (the rest were ruled out by the byte scan).
    pub files_parsed: usize,
    /// Per-rule lines for the summary (e.g. which timeout applies after one is dropped).
    pub notes: Vec<String>,
}

/// The files a run covers: the source files under some folders (walked as the run goes, never
/// listed in full), and files named one by one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Files<'a> {
    pub walk: &'a [WalkRoot],
    pub list: &'a [SourcePath],
}

impl<'a> Files<'a> {
    /// Every source file under these folders.
    pub fn walk(roots: &'a [WalkRoot]) -> Files<'a> {
        Files {
            walk: roots,
            list: &[],
        }
    }

    /// Exactly these files.
    pub fn list(files: &'a [SourcePath]) -> Files<'a> {
        Files {
            walk: &[],
            list: files,
        }
    }

    fn for_each(&self, visit: &(dyn Fn(SourcePath) + Sync)) {
        for root in self.walk {
            walk::walk_each(root, visit);
        }
        self.list.par_iter().for_each(|path| visit(path.clone()));
    }
}

/// Runs `rules` over `files` of the project at `root`. The files are also the project the
/// rules' project-wide scan reads (imports, re-exports, client settings).
///
/// Each file is read once: one byte scan decides both whether the project scan must parse it
/// and whether any rule could fire in it. Only the files some rule could fire in are kept, by
/// path, and read again for the per-file pass once the scan is complete.
pub fn run_project(
    root: &Path,
    files: Files<'_>,
    rules: &mut [Rule],
    options: Options,
) -> ProjectReport {
    run(root, files, rules, options, None)
}

/// Where the per-file pass reads a file's text: the disk, or (for `check --staged`) the git
/// index. The project scan always reads the working tree.
pub type Reader<'a> = dyn Fn(&SourcePath) -> Result<String, Problem> + Sync + 'a;

/// [`run_project`] with the texts of the per-file pass taken from `reader`.
pub fn run_project_with(
    root: &Path,
    files: Files<'_>,
    rules: &mut [Rule],
    options: Options,
    reader: &Reader<'_>,
) -> ProjectReport {
    run(root, files, rules, options, Some(reader))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run(
    root: &Path,
    files: Files<'_>,
    rules: &mut [Rule],
    options: Options,
    reader: Option<&Reader<'_>>,
) -> ProjectReport {
    let prefilter = Prefilter::new(rules);
    let seen = AtomicUsize::new(0);
    let scans: Mutex<Vec<(usize, String, ScanFacts)>> = Mutex::new(Vec::new());
    // The per-file pass's files, and reports finished in the first pass (unreadable files).
    let pending: Mutex<Vec<SourcePath>> = Mutex::new(Vec::new());
    let finished: Mutex<Vec<FileReport>> = Mutex::new(Vec::new());
    {
        let rules: &[Rule] = rules;
        let visit = |path: SourcePath| {
            seen.fetch_add(1, Ordering::Relaxed);
            // A panic in a rule's scan is a bug, but it must cost one file, not the whole run.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                first_pass(&path, rules, &prefilter, options, reader.is_none())
            }));
            let outcome = outcome.unwrap_or_else(|panic| FirstPass {
                problem: Some(crashed(&*panic)),
                ..FirstPass::default()
            });
            if !outcome.scans.is_empty() {
                lock(&scans).extend(
                    outcome
                        .scans
                        .into_iter()
                        .map(|(index, facts)| (index, path.rel.clone(), facts)),
                );
            }
            if let Some(problem) = outcome.problem {
                let mut report = FileReport::new(path);
                report.problem = Some(problem);
                lock(&finished).push(report);
            } else if reader.is_some() || outcome.candidate {
                lock(&pending).push(path);
            }
        };
        files.for_each(&visit);
    }
    let mut scans = scans.into_inner().unwrap_or_else(|e| e.into_inner());
    // The walk's order varies from run to run; the rules see the scan in path order.
    scans.sort_by(|a, b| a.1.cmp(&b.1));
    for (index, rule) in rules.iter_mut().enumerate() {
        if rule.imp.scan_triggers().is_empty() {
            continue;
        }
        let (mine, rest): (Vec<_>, Vec<_>) = scans.into_iter().partition(|s| s.0 == index);
        scans = rest;
        rule.imp.prepare(ProjectFacts {
            root,
            scans: mine
                .into_iter()
                .map(|(_, rel, facts)| (rel, facts))
                .collect(),
        });
    }

    let rules: &[Rule] = rules;
    let disk = |path: &SourcePath| read_source(&path.abs);
    let reader: &Reader<'_> = reader.unwrap_or(&disk);
    let pending = pending.into_inner().unwrap_or_else(|e| e.into_inner());
    let parsed = AtomicUsize::new(0);
    let mut files: Vec<FileReport> = finished.into_inner().unwrap_or_else(|e| e.into_inner());
    files.par_extend(pending.into_par_iter().filter_map(|path| {
        let (report, was_parsed) = process_file(path, rules, &prefilter, options, reader);
        if was_parsed {
            parsed.fetch_add(1, Ordering::Relaxed);
        }
        // Only reports with something in them are kept, so memory follows the findings, not
        // the number of files.
        report.is_interesting().then_some(report)
    }));
    files.sort_by(|a, b| a.path.rel.cmp(&b.path.rel));
    let mut notes = Vec::new();
    for rule in rules {
        let count = files
            .iter()
            .flat_map(|f| &f.changes)
            .filter(|c| c.rule == rule.id)
            .count();
        notes.extend(
            rule.imp
                .summary_notes(count)
                .into_iter()
                .map(|n| format!("{}: {n}", rule.id)),
        );
    }
    ProjectReport {
        files,
        files_seen: seen.into_inner(),
        files_parsed: parsed.into_inner(),
        notes,
    }
}

fn crashed(panic: &(dyn std::any::Any + Send)) -> Problem {
    Problem::Unparseable {
        offset: 0,
        message: format!(
            "pgshift crashed on this file ({}); please report it",
            source::panic_message(panic)
        ),
    }
}

/// What the first pass learnt of one file.
#[derive(Default)]
struct FirstPass {
    /// What the project scan found, per rule index.
    scans: Vec<(usize, ScanFacts)>,
    /// Some rule could fire in the file (or it holds a suppression comment to check).
    candidate: bool,
    /// The file cannot be processed.
    problem: Option<Problem>,
}

/// Reads a file from disk once and runs the project scan on it; with `decide`, also decides
/// whether the per-file pass needs it (otherwise the per-file pass reads it from elsewhere).
fn first_pass(
    path: &SourcePath,
    rules: &[Rule],
    prefilter: &Prefilter,
    options: Options,
    decide: bool,
) -> FirstPass {
    let mut outcome = FirstPass::default();
    let Some(lang) = Lang::from_path(&path.rel) else {
        return outcome;
    };
    if !decide && !prefilter.scans_anything() {
        return outcome;
    }
    let text = match read_source(&path.abs) {
        Ok(text) => text,
        Err(problem) => {
            // The per-file pass reports what it cannot read from its own reader.
            if decide {
                outcome.problem = Some(problem);
            }
            return outcome;
        }
    };
    // The project scan reads only the files that hold its triggers, in both modes: it
    // collects facts about names, and a file without the name has none. Without the
    // prefilter every rule still runs on every file.
    let mut hits = prefilter.hits(text.as_bytes());
    if !options.prefilter {
        hits.rules = prefilter.everything().rules;
    }
    if decide {
        outcome.candidate = !options.prefilter
            || screened(rules, &hits.rules, &path.rel, lang, &text)
                .next()
                .is_some()
            || text.contains(suppress::MARKER);
    }
    if hits.scans.is_empty() {
        return outcome;
    }
    let Ok(parsed) = source::parse(&text, lang) else {
        return outcome;
    };
    let lines = LineIndex::new(&text);
    let context = FileContext {
        path: &path.rel,
        text: &text,
        parsed: &parsed,
        lines: &lines,
    };
    for index in hits.scans {
        if let Some(facts) = rules[index].imp.scan(&context) {
            outcome.scans.push((index, facts));
        }
    }
    outcome
}

/// The rules among `hits` (indices the byte scan found triggers of) that read the file at
/// `path` and whose screen lets its text through: the rules that could fire in it.
fn screened<'r>(
    rules: &'r [Rule],
    hits: &[usize],
    path: &str,
    lang: Lang,
    text: &str,
) -> impl Iterator<Item = &'r Rule> {
    // The scope may look at the project's files: it is asked last, of the few rules left.
    hits.iter().map(|&i| &rules[i]).filter(move |rule| {
        rule.matches_path(path) && rule.imp.may_fire(lang, text) && rule.in_scope(path)
    })
}

/// Which rules a file's bytes could trigger, for the per-file pass and for the project scan.
struct Hits {
    rules: Vec<usize>,
    scans: Vec<usize>,
}

/// Which rules a file's bytes could trigger.
///
/// Triggers match without regard to ASCII case. The file's bytes are lowercased into a buffer
/// of the thread (reused, so no allocation per file) and searched for the lowercased triggers
/// by a case-sensitive leftmost-longest automaton, whose SIMD literal search runs several times
/// faster than a case-insensitive overlapping one. That finds exactly the triggers the file
/// holds: every search restarts one byte after the start of the last match, so a match is
/// found at every position where some trigger starts, and it is the longest trigger there;
/// any other trigger starting there is a prefix of it, so each pattern also counts for every
/// trigger it contains ([`Prefilter::covers`]). The scan stops once every slot is hit.
///
/// One automaton serves both passes. Slot `i` is rule `i`'s triggers, slot `n + i` its
/// context triggers, slot `2n + i` its project-scan triggers (`n` rules).
struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// For each pattern of the automaton, the slots of every pattern it contains (itself too).
    covers: Vec<Vec<usize>>,
    /// Rules without triggers run on every file.
    always: Vec<usize>,
    /// Rules with context triggers: they run only when one of those is in the file too.
    needs_context: Vec<bool>,
    /// Rules with a project scan.
    scanning: Vec<usize>,
    /// How many slots have patterns.
    triggered: usize,
    rule_count: usize,
}

thread_local! {
    /// The lowercased bytes of the file being scanned on this thread.
    static LOWERCASED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Prefilter {
    fn new(rules: &[Rule]) -> Prefilter {
        let rule_count = rules.len();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_slots: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut scanning = Vec::new();
        let mut needs_context = vec![false; rule_count];
        let mut slots_used = std::collections::BTreeSet::new();
        for (index, rule) in rules.iter().enumerate() {
            let triggers = rule.imp.triggers();
            let context = rule.imp.context_triggers();
            let scan = rule.imp.scan_triggers();
            if triggers.is_empty() {
                always.push(index);
            }
            if !scan.is_empty() {
                scanning.push(index);
            }
            needs_context[index] = !context.is_empty();
            let slotted = triggers
                .into_iter()
                .map(|t| (t, index))
                .chain(context.into_iter().map(|t| (t, rule_count + index)))
                .chain(scan.into_iter().map(|t| (t, 2 * rule_count + index)));
            for (trigger, slot) in slotted {
                slots_used.insert(slot);
                let key = trigger.to_ascii_lowercase();
                match patterns.iter().position(|p| *p == key) {
                    Some(at) => pattern_slots[at].push(slot),
                    None => {
                        patterns.push(key);
                        pattern_slots.push(vec![slot]);
                    }
                }
            }
        }
        let covers = patterns
            .iter()
            .map(|pattern| {
                let mut slots: Vec<usize> = patterns
                    .iter()
                    .zip(&pattern_slots)
                    .filter(|(inner, _)| pattern.contains(inner.as_str()))
                    .flat_map(|(_, slots)| slots.iter().copied())
                    .collect();
                slots.sort_unstable();
                slots.dedup();
                slots
            })
            .collect();
        let automaton = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .expect("literal patterns always compile")
        });
        Prefilter {
            automaton,
            covers,
            triggered: slots_used.len(),
            always,
            needs_context,
            scanning,
            rule_count,
        }
    }

    fn scans_anything(&self) -> bool {
        !self.scanning.is_empty()
    }

    /// Every rule and every scan, as if every trigger were in the file.
    fn everything(&self) -> Hits {
        Hits {
            rules: (0..self.rule_count).collect(),
            scans: self.scanning.clone(),
        }
    }

    fn hits(&self, haystack: &[u8]) -> Hits {
        let n = self.rule_count;
        let mut hit = vec![false; n * 3];
        for &i in &self.always {
            hit[i] = true;
        }
        if let Some(automaton) = &self.automaton {
            LOWERCASED.with_borrow_mut(|lowered| {
                lowered.clear();
                lowered.extend_from_slice(haystack);
                lowered.make_ascii_lowercase();
                let mut left = self.triggered;
                let mut at = 0;
                while left > 0 && at < lowered.len() {
                    let input =
                        aho_corasick::Input::new(lowered.as_slice()).span(at..lowered.len());
                    let Some(found) = automaton.find(input) else {
                        break;
                    };
                    for &slot in &self.covers[found.pattern().as_usize()] {
                        if !hit[slot] {
                            hit[slot] = true;
                            left -= 1;
                        }
                    }
                    at = found.start() + 1;
                }
            });
        }
        Hits {
            rules: (0..n)
                .filter(|&i| hit[i] && (!self.needs_context[i] || hit[n + i]))
                .collect(),
            scans: self
                .scanning
                .iter()
                .copied()
                .filter(|&i| hit[2 * n + i])
                .collect(),
        }
    }
}

/// Whether the prefilter lets `rule` run on `text`, by the plain definition [`Prefilter`]
/// implements: a trigger in the text (any ASCII case), a context trigger too if the rule has
/// any, and the kind's own [`crate::kinds::RuleKind::may_fire`] screen. The kind tests and the
/// fuzz target check with it that a rule which finds something in a text is never ruled out.
pub fn admits(rule: &Rule, lang: Lang, text: &str) -> bool {
    let lowered = text.to_ascii_lowercase();
    let holds_one = |words: Vec<String>| {
        words.is_empty()
            || words
                .iter()
                .any(|w| lowered.contains(&w.to_ascii_lowercase()))
    };
    holds_one(rule.imp.triggers())
        && holds_one(rule.imp.context_triggers())
        && rule.imp.may_fire(lang, text)
}

/// The first of `rules` that found something in `text` (a change or a review of `outcome`) but
/// that the prefilter rules out for it ([`admits`]): a finding `check` would miss. `None` is
/// the expected answer; the kind tests and the fuzz target assert it.
pub fn hidden_by_prefilter<'r>(
    rules: &[&'r Rule],
    lang: Lang,
    text: &str,
    outcome: &Rewrite,
) -> Option<&'r Rule> {
    rules.iter().copied().find(|rule| {
        let found = outcome.changes.iter().any(|c| c.rule == rule.id)
            || outcome.reviews.iter().any(|r| r.rule == rule.id);
        found && !admits(rule, lang, text)
    })
}

/// Reads a source file, refusing what pgshift must not edit (too large, binary, not UTF-8).
pub fn read_source(path: &Path) -> Result<String, Problem> {
    use std::io::Read as _;
    let unreadable = |e: std::io::Error| Problem::Unreadable(e.to_string());
    // One open and one fstat: the size comes from the open file, not another path lookup.
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > MAX_FILE_SIZE {
        return Err(Problem::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.read_to_end(&mut bytes).map_err(unreadable)?;
    decode_source(bytes)
}

/// The same checks as [`read_source`] for bytes that come from elsewhere (the git index).
pub fn decode_source(bytes: Vec<u8>) -> Result<String, Problem> {
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(Problem::TooLarge(bytes.len() as u64));
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(Problem::Binary);
    }
    String::from_utf8(bytes).map_err(|_| Problem::NotUtf8)
}

/// Returns the file's report and whether it was parsed.
fn process_file(
    path: SourcePath,
    rules: &[Rule],
    prefilter: &Prefilter,
    options: Options,
    reader: &Reader<'_>,
) -> (FileReport, bool) {
    let text = match reader(&path) {
        Ok(text) => text,
        Err(problem) => {
            let mut report = FileReport::new(path);
            report.problem = Some(problem);
            return (report, false);
        }
    };
    let mut report = FileReport::new(path);
    let path = &report.path;
    let Some(lang) = Lang::from_path(&path.rel) else {
        return (report, false);
    };
    let candidates: Vec<&Rule> = if options.prefilter {
        let hits = prefilter.hits(text.as_bytes());
        screened(rules, &hits.rules, &path.rel, lang, &text).collect()
    } else {
        rules
            .iter()
            .filter(|rule| rule.applies_to(&path.rel))
            .collect()
    };
    if candidates.is_empty() && options.prefilter && !text.contains(suppress::MARKER) {
        return (report, false);
    }
    // A panic in a rule is a bug, but it must cost one file, not the whole run.
    let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rewrite(&path.rel, &text, lang, &candidates)
    })) {
        Ok(outcome) => outcome,
        Err(panic) => Rewrite {
            problem: Some(crashed(&*panic)),
            ..Rewrite::default()
        },
    };
    report.changes = outcome.changes;
    report.reviews = outcome.reviews;
    if text.contains(suppress::MARKER) {
        let known: HashSet<&str> = rules.iter().map(|r| r.id.as_ref()).collect();
        let shown = outcome.result.as_deref().unwrap_or(&text);
        let in_original = suppress::unknown_ids(&text, &known);
        for (index, (offset, message)) in
            suppress::unknown_ids(shown, &known).into_iter().enumerate()
        {
            report.reviews.push(Review {
                rule: Arc::from(SUPPRESSION_RULE),
                range: offset..offset,
                original_offset: in_original.get(index).map_or(0, |(o, _)| *o),
                message,
            });
        }
    }
    report.problem = outcome.problem;
    report.result = outcome.result;
    if report.is_interesting() {
        report.original = Some(text);
    }
    (report, true)
}

/// The result of running rules on one text.
#[derive(Debug, Default)]
pub struct Rewrite {
    pub result: Option<String>,
    pub changes: Vec<Change>,
    pub reviews: Vec<Review>,
    pub problem: Option<Problem>,
}

/// Runs `rules` on `text` to a fixed point. Public so that other commands (and tests) can
/// rewrite text held in memory.
pub fn rewrite(path: &str, text: &str, lang: Lang, rules: &[&Rule]) -> Rewrite {
    let mut current = text.to_string();
    let mut rounds: Vec<Vec<Edit>> = Vec::new();
    let mut changes: Vec<Change> = Vec::new();
    let mut last_rules: Vec<Arc<str>> = Vec::new();
    for round in 0..=MAX_ROUNDS {
        let parsed = match source::parse(&current, lang) {
            Ok(parsed) => parsed,
            Err(error) if round == 0 => {
                return Rewrite {
                    problem: Some(Problem::Unparseable {
                        offset: error.offset,
                        message: error.message,
                    }),
                    ..Rewrite::default()
                };
            }
            Err(error) => {
                let (line, column) = LineIndex::new(&current).line_col(&current, error.offset);
                return Rewrite {
                    problem: Some(Problem::BrokenResult {
                        rules: last_rules,
                        message: format!("{} at {line}:{column} of the result", error.message),
                    }),
                    ..Rewrite::default()
                };
            }
        };
        let lines = LineIndex::new(&current);
        let context = FileContext {
            path,
            text: &current,
            parsed: &parsed,
            lines: &lines,
        };
        let mut proposed: Vec<Edit> = Vec::new();
        let mut reviews: Vec<Review> = Vec::new();
        let suppressions = suppress::Suppressions::new(&current, &parsed.comments, &lines);
        // Rules that follow the others' edits run last, and see every edit of the other rules:
        // those of earlier rounds (where they are now) and those proposed in this one.
        let (leading, following): (Vec<&&Rule>, Vec<&&Rule>) =
            rules.iter().partition(|rule| !rule.imp.follows_edits());
        for rule in leading.into_iter().chain(following) {
            let mut sink = Sink::default();
            if rule.imp.follows_edits() {
                let edited: Vec<Range<usize>> = changes
                    .iter()
                    .filter(|c| c.rule != rule.id)
                    .map(|c| c.result.clone())
                    .chain(
                        proposed
                            .iter()
                            .filter(|e| e.rule != rule.id)
                            .map(|e| e.range.clone()),
                    )
                    .collect();
                rule.imp.run_after(&context, &edited, &mut sink);
            } else {
                rule.imp.run(&context, &mut sink);
            }
            sink.edits.retain(|(range, _)| {
                !suppressions.silences(&rule.id, range.start, range.end, &lines)
            });
            sink.reviews.retain(|(range, _)| {
                !suppressions.silences(&rule.id, range.start, range.end, &lines)
            });
            let mut edits: Vec<Edit> = sink
                .edits
                .into_iter()
                .filter(|(range, replacement)| {
                    current.get(range.clone()) != Some(replacement.as_str())
                })
                .map(|(range, replacement)| Edit {
                    range,
                    replacement,
                    rule: rule.id.clone(),
                })
                .collect();
            edit::sort_and_dedup(&mut edits);
            if let Some(pair) = edits.windows(2).find(|w| w[0].overlaps(&w[1])) {
                return conflict(
                    vec![rule.id.clone()],
                    pair[1].range.start,
                    "one rule's edits overlap",
                );
            }
            proposed.extend(edits);
            reviews.extend(sink.reviews.into_iter().map(|(range, message)| Review {
                rule: rule.id.clone(),
                original_offset: map_back_through(&rounds, range.start),
                range,
                message,
            }));
        }
        if proposed.is_empty() {
            reviews.sort_by_key(|r| (r.range.start, r.rule.clone()));
            reviews
                .dedup_by(|a, b| a.range == b.range && a.rule == b.rule && a.message == b.message);
            let result = (current != text).then_some(current);
            if result.is_none() {
                changes.clear();
            }
            return Rewrite {
                result,
                changes,
                reviews,
                problem: None,
            };
        }
        if round == MAX_ROUNDS {
            let mut ids: Vec<Arc<str>> = proposed.iter().map(|e| e.rule.clone()).collect();
            ids.dedup();
            return conflict(
                ids,
                map_back_through(&rounds, proposed[0].range.start),
                "the rules keep changing each other's edits",
            );
        }
        // Rule order decides: an edit overlapping one already accepted waits for the next round.
        let mut accepted: Vec<Edit> = Vec::new();
        for candidate in proposed {
            if !accepted.iter().any(|e| e.overlaps(&candidate)) {
                accepted.push(candidate);
            }
        }
        edit::sort_and_dedup(&mut accepted);
        let next = edit::apply(&current, &accepted);
        for change in &mut changes {
            change.result = edit::map_forward(change.result.start, &accepted)
                ..edit::map_forward(change.result.end, &accepted);
        }
        let mut shift: isize = 0;
        for e in &accepted {
            let start = (e.range.start as isize + shift) as usize;
            let original_start = map_back_through(&rounds, e.range.start);
            let original_end = map_back_through(&rounds, e.range.end).max(original_start);
            changes.push(Change {
                rule: e.rule.clone(),
                original: original_start..original_end,
                result: start..start + e.replacement.len(),
            });
            shift += e.replacement.len() as isize - e.range.len() as isize;
        }
        last_rules = accepted.iter().map(|e| e.rule.clone()).collect();
        last_rules.dedup();
        rounds.push(accepted);
        current = next;
    }
    unreachable!("the loop returns on its last round")
}

fn conflict(rules: Vec<Arc<str>>, offset: usize, detail: &str) -> Rewrite {
    Rewrite {
        problem: Some(Problem::Conflict {
            rules,
            offset,
            detail: detail.to_string(),
        }),
        ..Rewrite::default()
    }
}

/// Maps an offset of the current text back to the original, through every round so far.
fn map_back_through(rounds: &[Vec<Edit>], mut offset: usize) -> usize {
    for round in rounds.iter().rev() {
        offset = edit::map_back(offset, round);
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::RuleKind;

    /// Replaces every occurrence of a word, whatever the result.
    struct Replace(&'static str, &'static str);

    impl RuleKind for Replace {
        fn triggers(&self) -> Vec<String> {
            vec![self.0.to_string()]
        }
        fn run(&self, file: &FileContext, sink: &mut Sink) {
            for (at, _) in file.text.match_indices(self.0) {
                sink.replace(at..at + self.0.len(), self.1);
            }
        }
        fn describe(&self) -> Vec<(String, String)> {
            Vec::new()
        }
    }

    fn run(text: &str, rules: &[Rule]) -> Rewrite {
        let rules: Vec<&Rule> = rules.iter().collect();
        rewrite("a.ts", text, Lang::TypeScript, &rules)
    }

    #[test]
    fn a_result_that_does_not_parse_is_not_produced() {
        let rules = [Rule::for_test("breaks", Box::new(Replace("const", "cnst")))];
        let outcome = run("const a = 1;\n", &rules);
        assert!(outcome.result.is_none());
        assert!(
            matches!(outcome.problem, Some(Problem::BrokenResult { .. })),
            "{:?}",
            outcome.problem
        );
    }

    #[test]
    fn overlapping_edits_wait_for_the_next_round() {
        // The second rule's edit overlaps the first's; it runs again on the result.
        let rules = [
            Rule::for_test("first", Box::new(Replace("alpha", "beta"))),
            Rule::for_test("second", Box::new(Replace("alpha(", "gamma("))),
        ];
        let outcome = run("alpha(1);\n", &rules);
        assert_eq!(outcome.result.as_deref(), Some("beta(1);\n"));
        let rules = [
            Rule::for_test("first", Box::new(Replace("alpha", "beta"))),
            Rule::for_test("second", Box::new(Replace("beta", "gamma"))),
        ];
        let outcome = run("alpha(1);\n", &rules);
        assert_eq!(
            outcome.result.as_deref(),
            Some("gamma(1);\n"),
            "runs to a fixed point"
        );
        assert_eq!(outcome.changes.len(), 2);
        assert_eq!(
            outcome.changes[1].original,
            0..5,
            "a later round's edit maps back to the original"
        );
    }

    #[test]
    fn rules_that_undo_each_other_are_a_conflict() {
        let rules = [
            Rule::for_test("up", Box::new(Replace("yes", "no"))),
            Rule::for_test("down", Box::new(Replace("no", "yes"))),
        ];
        let outcome = run("let yes = 1;\n", &rules);
        assert!(outcome.result.is_none());
        assert!(matches!(outcome.problem, Some(Problem::Conflict { .. })));
    }
}
