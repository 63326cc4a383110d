//! The settings as the code has them, before and after the Stage 5 rules: the engine runs in
//! memory, then the values are read off both texts with the rule pack's own parameters (each
//! rule's file globs, names, expected and target values). Nothing seed-specific is written here
//! but the ids of the rules whose values the workload needs.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;
use swc_ecma_ast::{CallExpr, Expr, NewExpr, ObjectLit, Prop, PropOrSpread};
use swc_ecma_visit::{Visit, VisitWith};

use crate::engine::{self, Options};
use crate::kinds::ast::{
    member_name, method_call, number_literal, number_value, prop_name_is, unwrap,
};
use crate::rules::{self, BUILTIN_STAGE5, Rule};
use crate::source::{self, Lang, LineIndex, Parsed};
use crate::walk::{self, SourcePath};

/// Prisma's interactive-transaction `maxWait` default (ms), from Prisma's documentation.
pub const PRISMA_DEFAULT_MAX_WAIT_MS: f64 = 2000.0;
/// Prisma's interactive-transaction `timeout` default (ms), used only when the pack's
/// `transaction-timeout` rule names no `default_value`.
pub const PRISMA_DEFAULT_TIMEOUT_MS: f64 = 5000.0;

/// The rules whose named numbers the workload uses, and what each one is.
const NAMED: &[(&str, &str)] = &[
    (
        "queue-concurrency-processing",
        "processing queue concurrency",
    ),
    ("queue-concurrency-sync", "sync queue concurrency"),
    ("queue-concurrency-watermark", "watermark queue concurrency"),
    ("sync-batch-size", "sync batchSize"),
    ("sync-min-files-for-batching", "sync minFilesForBatching"),
    ("sync-parallel-limit", "sync parallelLimit"),
    ("retry-max-retries", "retry maxRetries"),
    ("retry-base-delay", "retry baseDelay (ms)"),
];
const TRANSACTION_RULE: &str = "transaction-timeout";
/// The sync service's results slice (the workload keeps this many results).
const SYNC_RESULTS_RULE: &str = "results-slice-50";
/// The worker's results slice (reported only).
const WORKER_RESULTS_RULE: &str = "results-slice-100";

/// One setting, before and after the rules, and where each value came from.
#[derive(Debug, Clone, Serialize)]
pub struct Setting {
    pub rule: String,
    pub label: String,
    pub before: f64,
    pub after: f64,
    /// `file:line` places, or why the value is a default.
    pub before_source: String,
    pub after_source: String,
    /// Whether the value was read off the code (else it is the pack's or Prisma's default).
    pub found: bool,
    pub notes: Vec<String>,
}

/// The numbers the workload runs with.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Values {
    pub processing_concurrency: usize,
    pub sync_concurrency: usize,
    pub watermark_concurrency: usize,
    pub batch_size: usize,
    pub min_files_for_batching: usize,
    pub parallel_limit: usize,
    pub max_retries: u32,
    pub base_delay_ms: u64,
    pub tx_timeout_ms: u64,
    pub tx_max_wait_ms: u64,
    pub results_limit: usize,
}

/// Everything read from the code.
#[derive(Debug, Clone, Serialize)]
pub struct Extracted {
    pub settings: Vec<Setting>,
    pub before: Values,
    pub after: Values,
    /// Things a reader must know (a shorter timeout, values not found, files the engine skipped).
    pub notes: Vec<String>,
    pub files_seen: usize,
    pub files_changed: usize,
    /// Whether the retry wrapper retries `database is locked`, before and after the rules.
    pub retry_locked: [bool; 2],
}

/// The before and after text of one file, parsed on demand.
struct Texts {
    before: String,
    after: String,
    parsed: [Option<Option<(Parsed, LineIndex)>>; 2],
}

struct Project {
    texts: HashMap<String, Texts>,
    paths: Vec<SourcePath>,
}

impl Project {
    fn texts(&mut self, rel: &str) -> Option<&mut Texts> {
        if !self.texts.contains_key(rel) {
            let path = self.paths.iter().find(|p| p.rel == rel)?;
            let text = std::fs::read_to_string(&path.abs).ok()?;
            self.texts.insert(
                rel.to_string(),
                Texts {
                    before: text.clone(),
                    after: text,
                    parsed: [None, None],
                },
            );
        }
        self.texts.get_mut(rel)
    }

    /// Runs `f` on the parse of the before (`after == false`) or after text of `rel`.
    fn with_parsed<T>(
        &mut self,
        rel: &str,
        after: bool,
        f: impl FnOnce(&Parsed, &LineIndex, &str) -> T,
    ) -> Option<T> {
        let lang = Lang::from_path(rel)?;
        let texts = self.texts(rel)?;
        let slot = usize::from(after);
        if texts.parsed[slot].is_none() {
            let text = if after { &texts.after } else { &texts.before };
            texts.parsed[slot] = Some(
                source::parse(text, lang)
                    .ok()
                    .map(|parsed| (parsed, LineIndex::new(text))),
            );
        }
        let text = if after { &texts.after } else { &texts.before };
        let (parsed, lines) = texts.parsed[slot].as_ref()?.as_ref()?;
        Some(f(parsed, lines, text))
    }
}

fn param(rule: &Rule, key: &str) -> Option<String> {
    rule.imp
        .describe()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn number_param(rule: &Rule, key: &str) -> Option<f64> {
    param(rule, key).and_then(|v| v.parse().ok())
}

/// A value found at a place.
#[derive(Debug, Clone)]
struct Found {
    file: String,
    line: usize,
    value: f64,
}

/// `file:line,line, other:line` for a list of places.
fn places(found: &[Found]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for f in found {
        match groups.iter_mut().find(|(file, _)| *file == f.file) {
            Some((_, lines)) => lines.push(f.line.to_string()),
            None => groups.push((&f.file, vec![f.line.to_string()])),
        }
    }
    groups
        .into_iter()
        .map(|(file, lines)| format!("{file}:{}", lines.join(",")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value to use (the largest when the places disagree), where it is, and a note when the
/// places disagree.
fn summarize(found: &[Found]) -> Option<(f64, String, Option<String>)> {
    let first = found.first()?;
    let max = found.iter().map(|f| f.value).fold(f64::MIN, f64::max);
    let differ = found.iter().any(|f| f.value != first.value).then(|| {
        let values: Vec<String> = found
            .iter()
            .map(|f| format!("{} at line {}", number_literal(f.value), f.line))
            .collect();
        format!(
            "several values under this name ({}): the largest, {}, is used",
            values.join(", "),
            number_literal(max)
        )
    });
    Some((max, places(found), differ))
}

/// Reads the settings under `root`, before and after the built-in rules.
pub fn extract(root: &Path) -> Result<Extracted, String> {
    let paths = walk::walk(root);
    let (pack_name, pack_text) = BUILTIN_STAGE5;
    let mut rules = rules::load_pack(pack_name, pack_text).map_err(|e| e.to_string())?;
    let report = engine::run_project(
        root,
        engine::Files::list(&paths),
        &mut rules,
        Options::default(),
    );
    let mut notes = Vec::new();
    let mut project = Project {
        texts: HashMap::new(),
        paths: paths.clone(),
    };
    let mut files_changed = 0;
    for file in &report.files {
        if let Some(original) = &file.original {
            let after = file.result.clone().unwrap_or_else(|| original.clone());
            if file.result.is_some() {
                files_changed += 1;
            }
            project.texts.insert(
                file.path.rel.clone(),
                Texts {
                    before: original.clone(),
                    after,
                    parsed: [None, None],
                },
            );
        }
        if let Some(problem) = &file.problem {
            notes.push(format!("{}: {}", file.path.rel, problem.describe()));
        }
    }
    let by_id = |id: &str| rules.iter().find(|r| r.id.as_ref() == id);

    let mut settings = Vec::new();
    let mut named_values: HashMap<&str, (f64, f64)> = HashMap::new();
    for (id, label) in NAMED {
        let rule = by_id(id).ok_or_else(|| format!("the built-in pack has no rule `{id}`"))?;
        let name = param(rule, "name").ok_or_else(|| format!("rule `{id}` has no `name`"))?;
        let from =
            number_param(rule, "from").ok_or_else(|| format!("rule `{id}` has no `from`"))?;
        let to = number_param(rule, "to").ok_or_else(|| format!("rule `{id}` has no `to`"))?;
        let targets: Vec<String> = paths
            .iter()
            .filter(|p| rule.applies_to(&p.rel))
            .map(|p| p.rel.clone())
            .collect();
        let mut found = [Vec::new(), Vec::new()];
        for rel in &targets {
            for (slot, after) in [(0, false), (1, true)] {
                let values = project
                    .with_parsed(rel, after, |parsed, lines, text| {
                        crate::kinds::set_number::named_numbers(&parsed.program, &name)
                            .into_iter()
                            .map(|(range, value)| (range.start, value))
                            .map(|(offset, value)| Found {
                                file: rel.clone(),
                                line: lines.line_col(text, offset).0,
                                value,
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                found[slot].extend(values);
            }
        }
        let mut setting_notes = Vec::new();
        let mut before_differ = None;
        let (before, before_source) = match summarize(&found[0]) {
            Some((value, source, differ)) => {
                before_differ = differ;
                (value, source)
            }
            None => (
                from,
                format!(
                    "`{name}` not found in {}: the pack's expected value",
                    files_hint(rule)
                ),
            ),
        };
        let (after, after_source) = match summarize(&found[1]) {
            Some((value, source, differ)) => {
                setting_notes.extend(differ.or(before_differ));
                (value, source)
            }
            None => (
                to,
                format!(
                    "`{name}` not found in {}: the pack's target",
                    files_hint(rule)
                ),
            ),
        };
        let was_found = !found[1].is_empty();
        if !was_found {
            notes.push(format!(
                "{label}: `{name}` was not found under the project root ({}); using the rule pack's target {}",
                files_hint(rule),
                number_literal(to)
            ));
        } else if after != to {
            setting_notes.push(format!(
                "the rule expected {} and leaves {} as it is (review it): {} is used",
                number_literal(from),
                number_literal(after),
                number_literal(after)
            ));
        }
        named_values.insert(id, (before, after));
        settings.push(Setting {
            rule: id.to_string(),
            label: label.to_string(),
            before,
            after,
            before_source,
            after_source,
            found: was_found,
            notes: setting_notes,
        });
    }

    let (tx_timeout, tx_max_wait, tx_notes) = transaction_settings(&rules, &paths, &mut project)?;
    notes.extend(tx_notes);
    let (sync_results, sync_notes) = slice_setting(
        by_id(SYNC_RESULTS_RULE),
        SYNC_RESULTS_RULE,
        "sync results kept",
        &paths,
        &mut project,
    )?;
    notes.extend(sync_notes);
    let (worker_results, worker_notes) = slice_setting(
        by_id(WORKER_RESULTS_RULE),
        WORKER_RESULTS_RULE,
        "worker results kept",
        &paths,
        &mut project,
    )?;
    notes.extend(worker_notes);
    let values = |slot: usize| {
        let pick = |id: &str| {
            let (before, after) = named_values[id];
            if slot == 0 { before } else { after }
        };
        let tx = |s: &Setting| if slot == 0 { s.before } else { s.after };
        Values {
            processing_concurrency: pick("queue-concurrency-processing").max(1.0) as usize,
            sync_concurrency: pick("queue-concurrency-sync").max(1.0) as usize,
            watermark_concurrency: pick("queue-concurrency-watermark").max(1.0) as usize,
            batch_size: pick("sync-batch-size").max(1.0) as usize,
            min_files_for_batching: pick("sync-min-files-for-batching").max(0.0) as usize,
            parallel_limit: pick("sync-parallel-limit").max(1.0) as usize,
            max_retries: pick("retry-max-retries").max(0.0) as u32,
            base_delay_ms: pick("retry-base-delay").max(0.0) as u64,
            tx_timeout_ms: tx(&tx_timeout).max(0.0) as u64,
            tx_max_wait_ms: tx(&tx_max_wait).max(0.0) as u64,
            results_limit: tx(&sync_results).abs().max(1.0) as usize,
        }
    };
    let before = values(0);
    let after = values(1);
    settings.extend([tx_timeout, tx_max_wait, sync_results, worker_results]);
    let retry_locked = retry_locked(&rules, &paths, &mut project);
    Ok(Extracted {
        settings,
        before,
        after,
        notes,
        files_seen: report.files_seen,
        files_changed,
        retry_locked,
    })
}

/// Whether the retry wrapper's files (those of the `retry-max-retries` rule) test for SQLite's
/// lock errors, before and after the rules.
fn retry_locked(rules: &[Rule], paths: &[SourcePath], project: &mut Project) -> [bool; 2] {
    let Some(rule) = rules.iter().find(|r| r.id.as_ref() == "retry-max-retries") else {
        return [false, false];
    };
    let mut found = [false, false];
    for path in paths.iter().filter(|p| rule.applies_to(&p.rel)) {
        if let Some(texts) = project.texts(&path.rel) {
            for (slot, text) in [&texts.before, &texts.after].into_iter().enumerate() {
                let lower = text.to_lowercase();
                found[slot] |=
                    lower.contains("sqlite_busy") || lower.contains("database is locked");
            }
        }
    }
    found
}

fn files_hint(rule: &Rule) -> String {
    if rule.files.is_empty() {
        "any source file".to_string()
    } else {
        rule.files.join(", ")
    }
}

/// A `.slice(N)` limit: the values the rule's `from`/`to` match in its files.
fn slice_setting(
    rule: Option<&Rule>,
    id: &str,
    label: &str,
    paths: &[SourcePath],
    project: &mut Project,
) -> Result<(Setting, Vec<String>), String> {
    let rule = rule.ok_or_else(|| format!("the built-in pack has no rule `{id}`"))?;
    let method = param(rule, "method").unwrap_or_else(|| "slice".into());
    let argument: usize = param(rule, "argument")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let from = number_param(rule, "from").ok_or_else(|| format!("rule `{id}` has no `from`"))?;
    let to = number_param(rule, "to").ok_or_else(|| format!("rule `{id}` has no `to`"))?;
    let mut found = [Vec::new(), Vec::new()];
    for path in paths.iter().filter(|p| rule.applies_to(&p.rel)) {
        for (slot, after) in [(0, false), (1, true)] {
            let values = project
                .with_parsed(&path.rel, after, |parsed, lines, text| {
                    let mut finder = CallArgs {
                        method: &method,
                        argument,
                        found: Vec::new(),
                    };
                    parsed.program.visit_with(&mut finder);
                    finder
                        .found
                        .into_iter()
                        .filter(|(_, v)| *v == from || *v == to)
                        .map(|(offset, value)| Found {
                            file: path.rel.clone(),
                            line: lines.line_col(text, offset).0,
                            value: value.abs(),
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            found[slot].extend(values);
        }
    }
    let mut notes = Vec::new();
    let mut global = Vec::new();
    let mut before_differ = None;
    let (before, before_source) = match summarize(&found[0]) {
        Some((v, s, d)) => {
            before_differ = d;
            (v, s)
        }
        None => (
            from.abs(),
            "not found: the pack's expected value".to_string(),
        ),
    };
    let (after, after_source) = match summarize(&found[1]) {
        Some((v, s, d)) => {
            notes.extend(d.or(before_differ));
            (v, s)
        }
        None => {
            global.push(format!(
                "{label}: no `.{method}({})` found in {}; using the rule pack's target {}",
                number_literal(from),
                files_hint(rule),
                number_literal(to.abs())
            ));
            (to.abs(), "not found: the pack's target".to_string())
        }
    };
    Ok((
        Setting {
            rule: id.to_string(),
            label: label.to_string(),
            before,
            after,
            before_source,
            after_source,
            found: !found[1].is_empty(),
            notes,
        },
        global,
    ))
}

/// One `$transaction(...)` call: where, and its explicit options.
#[derive(Debug, Clone)]
struct TxCall {
    place: String,
    timeout: Option<f64>,
    max_wait: Option<f64>,
}

/// The transaction `timeout` and `maxWait` of the sync's transaction, before and after.
fn transaction_settings(
    rules: &[Rule],
    paths: &[SourcePath],
    project: &mut Project,
) -> Result<(Setting, Setting, Vec<String>), String> {
    let rule = rules
        .iter()
        .find(|r| r.id.as_ref() == TRANSACTION_RULE)
        .ok_or_else(|| format!("the built-in pack has no rule `{TRANSACTION_RULE}`"))?;
    let method = param(rule, "method").ok_or("transaction-timeout has no `method`")?;
    let argument: usize = param(rule, "argument")
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let option = param(rule, "option").ok_or("transaction-timeout has no `option`")?;
    let expect = number_param(rule, "expect");
    let default_value = number_param(rule, "default_value").unwrap_or(PRISMA_DEFAULT_TIMEOUT_MS);
    let constructor = param(rule, "client_constructor").unwrap_or_else(|| "PrismaClient".into());
    let client_option =
        param(rule, "client_option").unwrap_or_else(|| "transactionOptions.timeout".into());
    let client_path: Vec<String> = client_option.split('.').map(str::to_string).collect();
    let mut wait_path = client_path.clone();
    if let Some(last) = wait_path.last_mut() {
        *last = "maxWait".to_string();
    }

    // The client-wide defaults, anywhere under the root.
    let mut client = [(None, None), (None, None)];
    for path in paths {
        let mentions = project
            .texts(&path.rel)
            .is_some_and(|t| t.before.contains(&constructor) || t.after.contains(&constructor));
        if !mentions {
            continue;
        }
        for (slot, after) in [(0, false), (1, true)] {
            let found = project.with_parsed(&path.rel, after, |parsed, lines, text| {
                let mut finder = ClientOptions {
                    constructor: &constructor,
                    paths: [&client_path, &wait_path],
                    found: [None, None],
                };
                parsed.program.visit_with(&mut finder);
                finder.found.map(|f| {
                    f.map(|(offset, value)| Found {
                        file: path.rel.clone(),
                        line: lines.line_col(text, offset).0,
                        value,
                    })
                })
            });
            if let Some([timeout, wait]) = found {
                if client[slot].0.is_none() {
                    client[slot].0 = timeout;
                }
                if client[slot].1.is_none() {
                    client[slot].1 = wait;
                }
            }
        }
    }

    // The transaction calls in the rule's files, in order, before and after.
    let mut chosen: Option<(TxCall, Option<TxCall>)> = None;
    let mut other_timeouts = Vec::new();
    for path in paths.iter().filter(|p| rule.applies_to(&p.rel)) {
        let calls: [Vec<TxCall>; 2] = [false, true].map(|after| {
            project
                .with_parsed(&path.rel, after, |parsed, lines, text| {
                    let mut finder = TxCalls {
                        method: &method,
                        argument,
                        option: &option,
                        found: Vec::new(),
                    };
                    parsed.program.visit_with(&mut finder);
                    finder
                        .found
                        .into_iter()
                        .map(|(offset, timeout, max_wait)| TxCall {
                            place: format!("{}:{}", path.rel, lines.line_col(text, offset).0),
                            timeout,
                            max_wait,
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        for (index, call) in calls[0].iter().enumerate() {
            let matches = expect.is_some_and(|e| call.timeout == Some(e));
            let better = match &chosen {
                None => true,
                Some((current, _)) => matches && expect.is_some_and(|e| current.timeout != Some(e)),
            };
            if better {
                chosen = Some((call.clone(), calls[1].get(index).cloned()));
            } else if let Some(timeout) = call.timeout
                && Some(timeout) != expect
            {
                other_timeouts.push(format!("{} ms at {}", number_literal(timeout), call.place));
            }
        }
    }

    let effective = |call: Option<&TxCall>,
                     client: &(Option<Found>, Option<Found>),
                     which: usize|
     -> (f64, String) {
        let explicit = call.and_then(|c| if which == 0 { c.timeout } else { c.max_wait });
        let name = if which == 0 {
            option.as_str()
        } else {
            "maxWait"
        };
        if let (Some(value), Some(call)) = (explicit, call) {
            return (
                value,
                format!("`{name}: {}` at {}", number_literal(value), call.place),
            );
        }
        let client_value = if which == 0 { &client.0 } else { &client.1 };
        if let Some(found) = client_value {
            return (
                found.value,
                format!(
                    "client default `{}` at {}",
                    if which == 0 {
                        &client_option
                    } else {
                        "transactionOptions.maxWait"
                    },
                    places(std::slice::from_ref(found))
                ),
            );
        }
        if which == 0 {
            (
                default_value,
                format!(
                    "Prisma's default: no `{name}` option, no `{client_option}` on `new {constructor}`"
                ),
            )
        } else {
            (
                PRISMA_DEFAULT_MAX_WAIT_MS,
                format!(
                    "Prisma's default: no `maxWait`, no `transactionOptions.maxWait` on `new {constructor}`"
                ),
            )
        }
    };
    let (before_call, after_call) = match &chosen {
        Some((before, after)) => (Some(before), after.as_ref()),
        None => (None, None),
    };
    let (timeout_before, timeout_before_source) = effective(before_call, &client[0], 0);
    let (timeout_after, timeout_after_source) = effective(after_call, &client[1], 0);
    let (wait_before, wait_before_source) = effective(before_call, &client[0], 1);
    let (wait_after, wait_after_source) = effective(after_call, &client[1], 1);
    let mut timeout_notes = Vec::new();
    let mut global = Vec::new();
    if chosen.is_none() {
        global.push(format!(
            "transaction timeout: no `{method}(…)` call found in {}; Prisma's limits are assumed",
            files_hint(rule)
        ));
    }
    if timeout_after < timeout_before {
        global.push(format!(
            "transaction timeout: the rules drop `{option}: {}`, so the limit becomes {} ms ({}). That is shorter, not longer: set `{client_option}` on `new {constructor}({{ … }})` (Prisma 5.10+) or keep an explicit value if transactions need more",
            number_literal(timeout_before),
            number_literal(timeout_after),
            timeout_after_source
        ));
    }
    if !other_timeouts.is_empty() {
        timeout_notes.push(format!(
            "other `{method}` timeouts left as they are: {}",
            other_timeouts.join(", ")
        ));
    }
    let found = chosen.is_some();
    Ok((
        Setting {
            rule: TRANSACTION_RULE.to_string(),
            label: "transaction timeout (ms)".to_string(),
            before: timeout_before,
            after: timeout_after,
            before_source: timeout_before_source,
            after_source: timeout_after_source,
            found,
            notes: timeout_notes,
        },
        Setting {
            rule: TRANSACTION_RULE.to_string(),
            label: "transaction maxWait (ms)".to_string(),
            before: wait_before,
            after: wait_after,
            before_source: wait_before_source,
            after_source: wait_after_source,
            found,
            notes: Vec::new(),
        },
        global,
    ))
}

/// Numeric arguments at `argument` of calls to `.method(...)`.
struct CallArgs<'a> {
    method: &'a str,
    argument: usize,
    found: Vec<(usize, f64)>,
}

impl Visit for CallArgs<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if method_call(&call.callee).is_some_and(|(_, name)| name == self.method)
            && let Some(arg) = call.args.get(self.argument)
            && arg.spread.is_none()
            && let Some(value) = number_value(&arg.expr)
        {
            self.found
                .push((crate::kinds::ast::range_of(&*arg.expr).start, value));
        }
        call.visit_children_with(self);
    }
}

/// Calls to `.method(...)` with, from the options object at `argument`, the `option` and
/// `maxWait` numbers.
struct TxCalls<'a> {
    method: &'a str,
    argument: usize,
    option: &'a str,
    found: Vec<(usize, Option<f64>, Option<f64>)>,
}

fn object_number(object: &ObjectLit, key: &str) -> Option<(usize, f64)> {
    object.props.iter().find_map(|prop| match prop {
        PropOrSpread::Prop(prop) => match &**prop {
            Prop::KeyValue(kv) if prop_name_is(&kv.key, key) => {
                number_value(&kv.value).map(|v| (crate::kinds::ast::range_of(&*kv.value).start, v))
            }
            _ => None,
        },
        PropOrSpread::Spread(_) => None,
    })
}

fn object_child<'o>(object: &'o ObjectLit, key: &str) -> Option<&'o ObjectLit> {
    object.props.iter().find_map(|prop| match prop {
        PropOrSpread::Prop(prop) => match &**prop {
            Prop::KeyValue(kv) if prop_name_is(&kv.key, key) => match unwrap(&kv.value) {
                Expr::Object(inner) => Some(inner),
                _ => None,
            },
            _ => None,
        },
        PropOrSpread::Spread(_) => None,
    })
}

impl Visit for TxCalls<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        let is_method = match &call.callee {
            swc_ecma_ast::Callee::Expr(callee) => {
                member_name(unwrap(callee)).is_some_and(|(_, name)| name == self.method)
            }
            _ => false,
        };
        if is_method {
            let options = call
                .args
                .get(self.argument)
                .and_then(|a| match unwrap(&a.expr) {
                    Expr::Object(object) => Some(object),
                    _ => None,
                });
            let timeout = options
                .and_then(|o| object_number(o, self.option))
                .map(|f| f.1);
            let max_wait = options
                .and_then(|o| object_number(o, "maxWait"))
                .map(|f| f.1);
            self.found
                .push((crate::kinds::ast::range_of(call).start, timeout, max_wait));
        }
        call.visit_children_with(self);
    }
}

/// `new Constructor({ a: { b: N } })`: the numbers at the given dotted paths.
struct ClientOptions<'a> {
    constructor: &'a str,
    paths: [&'a [String]; 2],
    found: [Option<(usize, f64)>; 2],
}

impl Visit for ClientOptions<'_> {
    fn visit_new_expr(&mut self, new: &NewExpr) {
        let named = match unwrap(&new.callee) {
            Expr::Ident(ident) => ident.sym == *self.constructor,
            other => member_name(other).is_some_and(|(_, name)| name == self.constructor),
        };
        if named
            && let Some(Expr::Object(options)) = new
                .args
                .as_ref()
                .and_then(|a| a.first())
                .map(|a| unwrap(&a.expr))
        {
            for (slot, path) in self.paths.iter().enumerate() {
                if self.found[slot].is_some() {
                    continue;
                }
                let Some((last, parents)) = path.split_last() else {
                    continue;
                };
                let mut object = Some(options);
                for parent in parents {
                    object = object.and_then(|o| object_child(o, parent));
                }
                self.found[slot] = object.and_then(|o| object_number(o, last));
            }
        }
        new.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn reads_before_and_after_values_and_the_default_timeout() {
        let dir = project(&[
            (
                "src/services/media/sync/MediaSyncService.ts",
                "const BATCH_CONFIG = { batchSize: 50, minFilesForBatching: 30, parallelLimit: 5 };\nexport function f(results: string[]) { return results.slice(-50); }\n",
            ),
            (
                "src/services/media/queue/MediaProcessingQueue.ts",
                "export const q = { concurrency: 4 };\n",
            ),
            (
                "src/services/media/queue/MediaSyncWorker.ts",
                "declare const prisma: any;\nexport async function g() {\n  await prisma.$transaction(async () => 1, { timeout: 10000 });\n}\n",
            ),
            (
                "src/lib/db/client.ts",
                "declare class PrismaClient { constructor(o?: any) }\nexport const prisma = new PrismaClient({ log: ['error'] });\n",
            ),
        ]);
        let extracted = extract(dir.path()).unwrap();
        let get = |label: &str| {
            extracted
                .settings
                .iter()
                .find(|s| s.label == label)
                .unwrap()
                .clone()
        };
        let batch = get("sync batchSize");
        assert_eq!((batch.before, batch.after), (50.0, 200.0));
        assert!(batch.after_source.contains("MediaSyncService.ts:1"));
        // 4 is not the expected 3: left as is, and the workload uses it.
        let processing = get("processing queue concurrency");
        assert_eq!((processing.before, processing.after), (4.0, 4.0));
        assert_eq!(extracted.after.processing_concurrency, 4);
        // Not in the project: the pack's target, said so.
        let watermark = get("watermark queue concurrency");
        assert!(!watermark.found);
        assert_eq!(extracted.after.watermark_concurrency, 5);
        assert!(extracted.notes.iter().any(|n| n.contains("watermark")));
        let timeout = get("transaction timeout (ms)");
        assert_eq!((timeout.before, timeout.after), (10000.0, 5000.0));
        assert!(timeout.after_source.contains("Prisma's default"));
        assert!(
            extracted.notes.iter().any(|n| n.contains("shorter")),
            "{:?}",
            extracted.notes
        );
        assert_eq!(extracted.after.results_limit, 500);
        assert_eq!(extracted.before.results_limit, 50);
        assert_eq!(extracted.after.tx_max_wait_ms, 2000);
    }

    #[test]
    fn a_client_default_timeout_applies_after_the_drop() {
        let dir = project(&[
            (
                "src/services/media/queue/MediaSyncWorker.ts",
                "declare const prisma: any;\nexport async function g() {\n  await prisma.$transaction(async () => 1, { timeout: 10000 });\n}\n",
            ),
            (
                "src/lib/db/client.ts",
                "declare class PrismaClient { constructor(o?: any) }\nexport const prisma = new PrismaClient({ transactionOptions: { timeout: 30000, maxWait: 4000 } });\n",
            ),
        ]);
        let extracted = extract(dir.path()).unwrap();
        assert_eq!(extracted.before.tx_timeout_ms, 10000);
        assert_eq!(extracted.after.tx_timeout_ms, 30000);
        assert_eq!(extracted.after.tx_max_wait_ms, 4000);
        assert!(!extracted.notes.iter().any(|n| n.contains("shorter")));
    }
}
