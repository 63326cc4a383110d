//! Test support for rule kinds: run a one-rule pack on a snippet and render what happened as a
//! snapshot (the fix as a diff, then the review places). Every run also checks that the result
//! parses and that a second run changes nothing.

use crate::engine::{hidden_by_prefilter, rewrite};
use crate::patch::{DiffStyle, file_diff};
use crate::rules::load_pack;
use crate::source::{Lang, LineIndex, parse};

/// Runs the rules of `pack` on `source` as if it were the file `path`.
pub fn run_rule(pack: &str, path: &str, source: &str) -> String {
    let rules = load_pack("test.toml", pack).unwrap_or_else(|e| panic!("bad test pack: {e}"));
    let lang = Lang::from_path(path).expect("test path has a source extension");
    let applicable: Vec<_> = rules.iter().filter(|r| r.applies_to(path)).collect();
    let outcome = rewrite(path, source, lang, &applicable);
    // The prefilter must let through every rule that found something, or `check` would miss
    // the finding.
    if let Some(rule) = hidden_by_prefilter(&applicable, lang, source, &outcome) {
        panic!(
            "rule {} found something in a file the prefilter rules out for it:\n{source}",
            rule.id
        );
    }
    let mut out = String::new();
    if let Some(problem) = &outcome.problem {
        out.push_str(&format!("problem: {}\n", problem.describe()));
    }
    let final_text = outcome.result.clone().unwrap_or_else(|| source.to_string());
    if let Some(result) = &outcome.result {
        parse(result, lang).unwrap_or_else(|e| panic!("result does not parse: {e}\n{result}"));
        let again = rewrite(path, result, lang, &applicable);
        assert!(
            again.result.is_none() && again.problem.is_none(),
            "second run is not a no-op:\n{}",
            again.result.unwrap_or_default()
        );
        out.push_str(&file_diff(
            path,
            source,
            result,
            &outcome.changes,
            DiffStyle::default(),
        ));
    } else {
        out.push_str("(no changes)\n");
    }
    let lines = LineIndex::new(&final_text);
    for review in &outcome.reviews {
        let (line, column) = lines.line_col(&final_text, review.range.start);
        out.push_str(&format!(
            "review {}:{line}:{column} [{}] {}\n",
            path, review.rule, review.message
        ));
    }
    out
}
