//! The engine on arbitrary input with the built-in rule packs: no panic; any result parses and
//! is a fixed point (a second run changes nothing); a rule that finds something is never ruled
//! out by the prefilter (its triggers and its `may_fire` screen).
//!
//! The input is the text of one file. Which file it is (and so which rules apply, and which
//! syntax parses it) comes from a hash of the input, over paths that switch on every
//! file-specific rule of `rules/stage5.toml` and every syntax pgshift reads.
//!
//! With `PGSHIFT_FUZZ_STRICT=1` in the environment, a result the engine refused to produce
//! (`BrokenResult`: the rules' edits would not parse; `Conflict`) is a crash too.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pgshift::engine::{Problem, hidden_by_prefilter, rewrite};
use pgshift::kinds::{FileContext, ProjectFacts};
use pgshift::rules::{
    BUILTIN_SQLITE_MIGRATION, BUILTIN_SQLITE_SQL, BUILTIN_STAGE5, Rule, load_pack,
};
use pgshift::source::{Lang, LineIndex, parse};

const PATHS: &[&str] = &[
    "src/lib/db/retry.ts",
    "src/services/media/queue/MediaProcessingQueue.ts",
    "src/services/media/queue/MediaSyncQueue.ts",
    "src/services/media/queue/WatermarkQueue.ts",
    "src/services/media/queue/MediaSyncWorker.ts",
    "src/services/media/sync/MediaSyncService.ts",
    "src/components/MediaGrid.tsx",
    "src/legacy/worker.js",
    "types/prisma.d.ts",
    "src/app/api/sync/route.ts",
];

fn load_rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for (name, text) in [BUILTIN_STAGE5, BUILTIN_SQLITE_SQL, BUILTIN_SQLITE_MIGRATION] {
        rules.extend(load_pack(name, text).expect("the built-in packs load"));
    }
    rules
}

/// The built-in rules, with the project phase of each run over the declaring file of the
/// rename (`src/lib/db/retry.ts`) as a one-file project, so that `rename` knows its binding.
fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        // libFuzzer's panic hook aborts on every panic, even one that is caught. pgshift catches
        // a panic of swc's parser (it reports the file as not parsing; see
        // tests/corpus/regressions/): on the parse thread, the panic is left to that catch.
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some("pgshift-parse") {
                abort(info);
            }
        }));
        let mut rules = load_rules();
        let path = "src/lib/db/retry.ts";
        let text = "export async function withDbRetry<T>(fn: () => Promise<T>): Promise<T> {\n  return fn();\n}\n";
        let parsed = parse(text, Lang::TypeScript).expect("the declaration parses");
        let lines = LineIndex::new(text);
        let context = FileContext {
            path,
            text,
            parsed: &parsed,
            lines: &lines,
        };
        // Imports resolve against the disk: the declaring file is written into a scratch
        // project root once per process.
        let root = std::env::temp_dir().join(format!("pgshift-fuzz-root-{}", std::process::id()));
        let declaring = root.join(path);
        std::fs::create_dir_all(declaring.parent().expect("a folder"))
            .and_then(|()| std::fs::write(&declaring, text))
            .expect("the scratch project root is writable");
        for rule in &mut rules {
            let scans = rule
                .imp
                .scan(&context)
                .map(|facts| vec![(path.to_string(), facts)])
                .unwrap_or_default();
            rule.imp.prepare(ProjectFacts {
                root: &root,
                scans,
            });
        }
        rules
    })
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = PATHS[(fnv1a(data) % PATHS.len() as u64) as usize];
    let lang = Lang::from_path(path).expect("a source path");
    let applicable: Vec<&Rule> = rules().iter().filter(|r| r.applies_to(path)).collect();
    let outcome = rewrite(path, text, lang, &applicable);
    // The prefilter must never rule out a rule that finds something: `check` would miss it.
    if let Some(rule) = hidden_by_prefilter(&applicable, lang, text, &outcome) {
        panic!(
            "{path}: rule {} finds something the prefilter rules out",
            rule.id
        );
    }
    let strict = std::env::var_os("PGSHIFT_FUZZ_STRICT").is_some_and(|v| v == "1");
    if strict {
        if let Some(problem @ (Problem::BrokenResult { .. } | Problem::Conflict { .. })) =
            &outcome.problem
        {
            panic!("{path}: {}", problem.describe());
        }
    }
    let Some(result) = outcome.result else {
        return;
    };
    if let Err(error) = parse(&result, lang) {
        panic!("{path}: the result does not parse ({error}):\n{result}");
    }
    let again = rewrite(path, &result, lang, &applicable);
    assert!(
        again.result.is_none(),
        "{path}: not a fixed point; a second run changes the result again:\n{result}"
    );
    assert!(
        !matches!(
            again.problem,
            Some(
                Problem::BrokenResult { .. }
                    | Problem::Conflict { .. }
                    | Problem::Unparseable { .. }
            )
        ),
        "{path}: the second run reports {:?}",
        again.problem
    );
});
