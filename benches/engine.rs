//! Criterion benchmarks of the per-file path:
//!
//! - `per_file/*`: one large file (the Stage 5 fixture's `MediaSyncService.ts`, its body
//!   repeated in namespaces to about 300 KB, with every workaround in it), through swc's bare
//!   parse, pgshift's parse (swc plus the comments), and `engine::rewrite` with the built-in
//!   rules (parse, rules, edits, re-parse to the fixed point);
//! - `corpus/*`: the same files through `run_project` with `--no-prefilter` (every file read,
//!   parsed and run through every rule) and through swc's bare parse alone, in MB/s. The files
//!   are bench/.cache/corpus-quarter (bash bench/corpus.sh) when it exists, else the committed
//!   sample tests/corpus/sample; `PGSHIFT_BENCH_CORPUS=DIR` picks another folder.
//!
//!   cargo bench --bench engine

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pgshift::engine::{Files, Options, rewrite, run_project};
use pgshift::rules::{
    BUILTIN_SQLITE_MIGRATION, BUILTIN_SQLITE_SQL, BUILTIN_STAGE5, Rule, load_pack,
};
use pgshift::source::{Lang, parse};
use pgshift::walk::{SourcePath, walk};
use swc_common::BytePos;
use swc_ecma_parser::{Parser, StringInput, Syntax, TsSyntax};

const LARGE_PATH: &str = "src/services/media/sync/MediaSyncService.ts";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for (name, text) in [BUILTIN_STAGE5, BUILTIN_SQLITE_SQL, BUILTIN_SQLITE_MIGRATION] {
        rules.extend(load_pack(name, text).expect("built-in packs load"));
    }
    rules
}

/// The fixture's sync service, imports hoisted once, its body repeated in namespaces.
fn large_file() -> String {
    let source =
        std::fs::read_to_string(repo().join("fixtures/stage5/before").join(LARGE_PATH)).unwrap();
    let (imports, body): (Vec<&str>, Vec<&str>) =
        source.lines().partition(|l| l.starts_with("import "));
    let body = body.join("\n");
    let mut text = imports.join("\n");
    text.push('\n');
    let mut copy = 0;
    while text.len() < 300_000 {
        text.push_str(&format!("\nexport namespace Copy{copy} {{\n{body}\n}}\n"));
        copy += 1;
    }
    text
}

fn syntax(lang: Lang) -> Syntax {
    match lang {
        Lang::JavaScript => Syntax::Es(swc_ecma_parser::EsSyntax {
            jsx: true,
            decorators: true,
            import_attributes: true,
            ..Default::default()
        }),
        _ => Syntax::Typescript(TsSyntax {
            tsx: lang == Lang::Tsx,
            dts: lang == Lang::TypeScriptDeclaration,
            decorators: true,
            ..Default::default()
        }),
    }
}

/// swc alone: no comments kept, recovered errors ignored.
fn bare_parse(text: &str, lang: Lang) -> bool {
    let end = BytePos(1 + text.len() as u32);
    let mut parser = Parser::new(syntax(lang), StringInput::new(text, BytePos(1), end), None);
    parser.parse_program().is_ok()
}

fn per_file(c: &mut Criterion) {
    let text = large_file();
    let rules = rules();
    let applicable: Vec<&Rule> = rules.iter().filter(|r| r.applies_to(LARGE_PATH)).collect();
    let outcome = rewrite(LARGE_PATH, &text, Lang::TypeScript, &applicable);
    assert!(outcome.result.is_some(), "{:?}", outcome.problem);

    let mut group = c.benchmark_group("per_file");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("swc_bare_parse", |b| {
        b.iter(|| bare_parse(black_box(&text), Lang::TypeScript))
    });
    group.bench_function("pgshift_parse", |b| {
        b.iter(|| parse(black_box(&text), Lang::TypeScript).is_ok())
    });
    group.bench_function("rewrite_builtin_rules", |b| {
        b.iter(|| rewrite(LARGE_PATH, black_box(&text), Lang::TypeScript, &applicable))
    });
    group.finish();
}

fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PGSHIFT_BENCH_CORPUS") {
        return PathBuf::from(dir);
    }
    let quarter = repo().join("bench/.cache/corpus-quarter");
    if quarter.is_dir() {
        quarter
    } else {
        repo().join("tests/corpus/sample")
    }
}

fn corpus(c: &mut Criterion) {
    let root = corpus_dir();
    let files: Vec<SourcePath> = walk(&root);
    let texts: Vec<(String, Lang)> = files
        .iter()
        .filter_map(|f| {
            Some((
                std::fs::read_to_string(&f.abs).ok()?,
                Lang::from_path(&f.rel)?,
            ))
        })
        .collect();
    let bytes: u64 = texts.iter().map(|(t, _)| t.len() as u64).sum();
    eprintln!(
        "corpus: {} ({} files, {:.1} MB)",
        root.display(),
        files.len(),
        bytes as f64 / 1e6
    );

    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.bench_function("swc_bare_parse", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter(|(text, lang)| bare_parse(text, *lang))
                .count()
        })
    });
    group.bench_function("swc_bare_parse_with_read", |b| {
        b.iter(|| {
            files
                .iter()
                .filter_map(|f| {
                    let text = std::fs::read_to_string(&f.abs).ok()?;
                    Some(bare_parse(&text, Lang::from_path(&f.rel)?))
                })
                .count()
        })
    });
    group.bench_function("run_project_no_prefilter", |b| {
        b.iter(|| run_one(&root, &files, Options { prefilter: false }))
    });
    group.bench_function("run_project_prefilter", |b| {
        b.iter(|| run_one(&root, &files, Options { prefilter: true }))
    });
    group.finish();
}

fn run_one(root: &Path, files: &[SourcePath], options: Options) -> usize {
    let mut rules = rules();
    run_project(root, Files::list(files), &mut rules, options).files_parsed
}

criterion_group!(benches, per_file, corpus);
criterion_main!(benches);
