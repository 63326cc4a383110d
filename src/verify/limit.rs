//! Where the settings break, and the smallest change that holds, measured: the sync size is
//! doubled from a run that holds (or halved from one that fails) until the first failure,
//! then a pool that covers the demand (or a lower `parallelLimit`) is run at the failing size.
//! A change is only recommended once a run with it held. Everything stays within a time
//! budget, on the engine the main run used, in the same scratch schema (emptied between runs).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde::Serialize;

use super::capacity::Capacity;
use super::config::DbUrl;
use super::harness::discover::{PrismaSetup, QueryEngine};
use super::harness::{Harness, Limits};
use super::postgres::Scratch;
use super::report::{Check, Status};
use super::settings::Extracted;
use super::workload::{Outcome, Params};

/// What the search needs.
pub struct Context<'a> {
    pub harness: Option<&'a Harness>,
    pub url: &'a DbUrl,
    pub scratch: &'a Scratch,
    pub capacity: &'a Capacity,
    pub setup: &'a PrismaSetup,
    pub extracted: &'a Extracted,
    pub limits: Limits,
    pub interrupted: &'a AtomicBool,
    pub progress: bool,
}

/// One measured run.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub files: usize,
    /// Batch transactions at once (batch shape) or lanes (per-object shape).
    pub concurrent: usize,
    pub pool_size: usize,
    pub parallel_limit: usize,
    pub tx_timeout_ms: u64,
    pub holds: bool,
    pub sync_seconds: f64,
    pub files_synced: usize,
    pub error_codes: BTreeMap<String, usize>,
    pub stalled: Option<String>,
}

impl Step {
    fn of(outcome: &Outcome) -> Step {
        let p = &outcome.params;
        Step {
            files: p.files,
            concurrent: p.parallel_limit.min(outcome.batches.max(1)),
            pool_size: p.pool_size,
            parallel_limit: p.parallel_limit,
            tx_timeout_ms: p.tx_timeout.as_millis() as u64,
            holds: holds(outcome),
            sync_seconds: outcome.sync_seconds,
            files_synced: outcome.files_synced,
            error_codes: outcome.error_codes.clone(),
            stalled: outcome.stalled.clone(),
        }
    }

    fn errors(&self) -> String {
        if let Some(stall) = &self.stalled {
            return format!("stalled ({stall})");
        }
        if self.error_codes.is_empty() {
            return "no errors".to_string();
        }
        self.error_codes
            .iter()
            .map(|(code, n)| format!("{code} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A change that held when measured.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// What to change, and where.
    pub change: String,
    /// The run with it.
    pub measured: Step,
}

/// The search's result.
#[derive(Debug, Clone, Serialize)]
pub struct Search {
    pub budget_seconds: f64,
    pub spent_seconds: f64,
    pub steps: Vec<Step>,
    pub holds_up_to: Option<usize>,
    pub first_failure: Option<Step>,
    pub recommendation: Option<Recommendation>,
    /// Changes tried that did not hold, and why the search stopped.
    pub notes: Vec<String>,
}

/// Whether a run held: no failed call, no timeout, nothing lost, no stall.
pub fn holds(outcome: &Outcome) -> bool {
    outcome.failed_operation_count() == 0
        && outcome.timed_out == 0
        && outcome.data.ok
        && outcome.stalled.is_none()
}

fn measure(
    context: &Context,
    params: &Params,
    run_id: &str,
    deadline: Instant,
) -> Result<Outcome, String> {
    context.scratch.truncate().map_err(|e| e.to_string())?;
    let left = deadline.saturating_duration_since(Instant::now());
    let limits = Limits {
        stall: context.limits.stall,
        run: context.limits.run.min(left.max(Duration::from_secs(5))),
    };
    let bar = if context.progress {
        ProgressBar::new(params.files as u64)
    } else {
        ProgressBar::hidden()
    };
    let outcome = super::run_pg(
        context.harness,
        context.url,
        context.scratch,
        context.capacity,
        params,
        run_id,
        limits,
        context.interrupted,
        &bar,
    );
    bar.finish_and_clear();
    outcome
}

/// Searches from the main run's outcome. `upward`: look for the limit even when it held.
pub fn search(context: &Context, main: &Outcome, budget: Duration, upward: bool) -> Search {
    let started = Instant::now();
    let deadline = started + budget;
    let base = main.params.clone();
    let mut steps = vec![Step::of(main)];
    let mut notes = Vec::new();
    let (mut holds_up_to, mut first_failure) = if holds(main) {
        (Some(base.files), None)
    } else {
        (None, Some(Step::of(main)))
    };
    let mut runs = 0;
    let mut next_id = || {
        runs += 1;
        format!("l{runs}")
    };
    // A run takes about as long per file as the last one did.
    let fits = |files: usize, last: &Step| {
        let per_file = last.sync_seconds.max(0.5) / last.files.max(1) as f64;
        Instant::now() + Duration::from_secs_f64(per_file * files as f64 * 1.2 + 2.0) <= deadline
    };
    let interrupted = || {
        context
            .interrupted
            .load(std::sync::atomic::Ordering::Relaxed)
    };

    if holds(main) && upward {
        let mut files = base.files;
        loop {
            let next = (files * 2).min(1_000_000);
            if next == files || interrupted() {
                break;
            }
            if !fits(next, steps.last().unwrap()) {
                notes.push(format!(
                    "the {} s budget ends before a run of {next} files would (--limit-budget)",
                    budget.as_secs()
                ));
                break;
            }
            let params = Params {
                files: next,
                ..base.clone()
            };
            match measure(context, &params, &next_id(), deadline) {
                Ok(outcome) => {
                    let step = Step::of(&outcome);
                    steps.push(step.clone());
                    if step.holds {
                        holds_up_to = Some(next);
                        files = next;
                    } else {
                        first_failure = Some(step);
                        break;
                    }
                }
                Err(error) => {
                    notes.push(format!("a run of {next} files could not be made: {error}"));
                    break;
                }
            }
        }
    } else if !holds(main) {
        let mut files = base.files;
        loop {
            let next = files / 2;
            if next == 0 || next < base.batch_size.min(base.files) || interrupted() {
                break;
            }
            if !fits(next, steps.last().unwrap()) {
                notes.push(format!("the {} s budget ran out", budget.as_secs()));
                break;
            }
            let params = Params {
                files: next,
                ..base.clone()
            };
            match measure(context, &params, &next_id(), deadline) {
                Ok(outcome) => {
                    let step = Step::of(&outcome);
                    steps.push(step.clone());
                    if step.holds {
                        holds_up_to = Some(next);
                        break;
                    }
                    first_failure = Some(step);
                    files = next;
                }
                Err(error) => {
                    notes.push(format!("a run of {next} files could not be made: {error}"));
                    break;
                }
            }
        }
    }

    // The smallest change that holds at the failing size, measured.
    let mut recommendation = None;
    if let Some(mut failure) = first_failure.clone() {
        // The fix is measured on the workload the user asked about when that one failed.
        if !holds(main) {
            failure = Step::of(main);
        }
        let demand = base.demand();
        let mut candidates: Vec<(Params, String)> = Vec::new();
        if demand > base.pool_size {
            if (demand * context.capacity.instances) as i64 <= context.capacity.slots_free_now {
                candidates.push((
                    Params {
                        files: failure.files,
                        pool_size: demand,
                        ..base.clone()
                    },
                    pool_change(context, demand),
                ));
            } else {
                notes.push(format!(
                    "a pool of {demand} (the demand) would need {} connections, and the server has {} free: not tried",
                    demand * context.capacity.instances,
                    context.capacity.slots_free_now
                ));
            }
        }
        // Transactions that expired need more time, with the pool that lets them start.
        let expired = main
            .errors
            .iter()
            .any(|e| e.class == super::workload::ErrorClass::TransactionExpired);
        if expired {
            let longer = (base.tx_timeout * 4).max(Duration::from_secs(20));
            let pool = demand.max(base.pool_size);
            let pool_fits =
                (pool * context.capacity.instances) as i64 <= context.capacity.slots_free_now;
            let pool = if pool_fits { pool } else { base.pool_size };
            candidates.push((
                Params {
                    files: failure.files,
                    pool_size: pool,
                    tx_timeout: longer,
                    ..base.clone()
                },
                format!(
                    "{}`transactionOptions: {{ timeout: {} }}` on `new PrismaClient({{ … }})`",
                    if pool != base.pool_size {
                        format!("{} and ", pool_change(context, pool))
                    } else {
                        String::new()
                    },
                    longer.as_millis()
                ),
            ));
        }
        let mut parallel = base.parallel_limit;
        while parallel > 1 {
            parallel = (parallel / 2).max(1);
            if parallel <= base.pool_size / 2 || parallel == 1 {
                candidates.push((
                    Params {
                        files: failure.files,
                        parallel_limit: parallel,
                        ..base.clone()
                    },
                    parallel_change(context, parallel),
                ));
                break;
            }
        }
        for (params, change) in candidates {
            if interrupted() {
                break;
            }
            if !fits(params.files, &failure) {
                notes.push(format!(
                    "the {} s budget ran out before trying: {change}",
                    budget.as_secs()
                ));
                break;
            }
            match measure(context, &params, &next_id(), deadline) {
                Ok(outcome) => {
                    let step = Step::of(&outcome);
                    steps.push(step.clone());
                    if step.holds {
                        recommendation = Some(Recommendation {
                            change,
                            measured: step,
                        });
                        break;
                    }
                    notes.push(format!(
                        "tried and did not hold: {change} ({})",
                        step.errors()
                    ));
                }
                Err(error) => {
                    notes.push(format!("could not try {change}: {error}"));
                    break;
                }
            }
        }
    }
    Search {
        budget_seconds: budget.as_secs_f64(),
        spent_seconds: started.elapsed().as_secs_f64(),
        steps,
        holds_up_to,
        first_failure,
        recommendation,
        notes,
    }
}

fn pool_change(context: &Context, demand: usize) -> String {
    match (context.setup.query_engine, &context.setup.pg_adapter) {
        (QueryEngine::Client, Some(adapter)) => format!(
            "a pool of {demand} (≥ the demand): pass `max: {demand}` to `new {}({{ … }})`{}",
            adapter.export,
            adapter
                .constructed_at
                .as_deref()
                .map_or(String::new(), |at| format!(" at {at}"))
        ),
        (QueryEngine::Client, None) => {
            format!("a pool of {demand} (≥ the demand): `max: {demand}` for the pg pool")
        }
        (QueryEngine::Native, _) => format!(
            "a pool of {demand} (≥ the demand): add `connection_limit={demand}` to DATABASE_URL"
        ),
    }
}

fn parallel_change(context: &Context, parallel: usize) -> String {
    let place = context
        .extracted
        .settings
        .iter()
        .find(|s| s.rule == "sync-parallel-limit")
        .map(|s| s.after_source.clone());
    format!(
        "a lower `parallelLimit`: {parallel}{}",
        place.map_or(String::new(), |p| format!(" ({p})"))
    )
}

/// The search's line in the verdict.
pub fn checks(search: &Search) -> Vec<Check> {
    let holds = search
        .holds_up_to
        .map_or("nothing tried holds".to_string(), |n| {
            format!("holds up to {n} files")
        });
    let detail = match (&search.first_failure, &search.recommendation) {
        (None, _) => format!(
            "{holds}; no failure found within {:.0} s{}",
            search.spent_seconds,
            if search.notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", search.notes.join("; "))
            }
        ),
        (Some(failure), Some(fix)) => format!(
            "{holds}; first failure: {} at {} files ({} batches at once, pool {}); measured fix: {} → {}/{} files in {:.1} s, {}",
            failure.errors(),
            failure.files,
            failure.concurrent,
            failure.pool_size,
            fix.change,
            fix.measured.files_synced,
            fix.measured.files,
            fix.measured.sync_seconds,
            fix.measured.errors()
        ),
        (Some(failure), None) => format!(
            "{holds}; first failure: {} at {} files; no change that holds was measured{}",
            failure.errors(),
            failure.files,
            if search.notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", search.notes.join("; "))
            }
        ),
    };
    vec![Check {
        id: "limit",
        title: "limit and measured fix".into(),
        status: match (&search.first_failure, &search.recommendation) {
            (None, _) => Status::Pass,
            _ => Status::Warn,
        },
        detail,
    }]
}
