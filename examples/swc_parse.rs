//! The baseline of `pgshift check --no-prefilter`: swc's bare parse of the same files. It walks
//! a folder the way pgshift does (`pgshift::walk`: `.gitignore` honoured, the same skipped
//! folders and file kinds), reads each file and parses it with swc's parser alone — the same
//! syntax per file kind, no comments kept, recovered errors ignored — on as many threads as
//! pgshift uses. It prints how many files it read and how many parsed.
//!
//!   cargo build --release --example swc_parse
//!   target/release/examples/swc_parse DIR

use std::sync::atomic::{AtomicUsize, Ordering};

use pgshift::source::Lang;
use pgshift::walk::{WalkRoot, walk_each};
use rayon::prelude::*;
use swc_common::BytePos;
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax};

fn syntax(lang: Lang) -> Syntax {
    match lang {
        Lang::JavaScript => Syntax::Es(EsSyntax {
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

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let paths = std::sync::Mutex::new(Vec::new());
    walk_each(&WalkRoot::project(std::path::Path::new(&dir)), &|path| {
        paths.lock().unwrap().push(path)
    });
    let paths = paths.into_inner().unwrap();
    let parsed = AtomicUsize::new(0);
    // The files are parsed on rayon's threads, as pgshift's per-file pass does; a parse that
    // panics (swc has inputs it panics on) counts as not parsed.
    paths.par_iter().for_each(|path| {
        let Some(lang) = Lang::from_path(&path.rel) else {
            return;
        };
        let Ok(text) = std::fs::read_to_string(&path.abs) else {
            return;
        };
        if text.len() > 2 * 1024 * 1024 {
            return;
        }
        let ok = std::panic::catch_unwind(|| {
            let end = BytePos(1 + text.len() as u32);
            let mut parser =
                Parser::new(syntax(lang), StringInput::new(&text, BytePos(1), end), None);
            parser.parse_program().is_ok()
        })
        .unwrap_or(false);
        if ok {
            parsed.fetch_add(1, Ordering::Relaxed);
        }
    });
    println!("{} files read, {} parsed", paths.len(), parsed.into_inner());
}
