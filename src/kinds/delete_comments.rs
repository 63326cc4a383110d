//! `delete-comments`: comments that explain a workaround which is gone are deleted. A comment
//! alone on its line takes the line with it; one beside code takes only itself and the spaces
//! that separated it. In a multi-line block comment only the matching lines go, unless every
//! line matches.

use std::ops::Range;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::{FileContext, KindSpec, ParamError, RuleKind, Sink, screen};
use crate::source::{BOM, Lang, SourceComment};

pub const SPEC: KindSpec = KindSpec {
    name: "delete-comments",
    summary: "delete comments that match a regex (whole lines when they stand alone)",
    compile,
};

const CANNOT_CUT: &str = "this line explains a SQLite workaround but shares its line with the comment's \
     delimiter: part of a multi-line comment that pgshift cannot cut cleanly; edit it by hand";
const BETWEEN_CODE: &str = "this multi-line comment explains a SQLite workaround but sits between code on \
     the same lines; deleting it could join statements: edit it by hand";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Regexes, matched without regard to case against each comment (each line of a block).
    patterns: Spanned<Vec<Spanned<String>>>,
    /// Literal words one of which a file must contain; empty means every file is read.
    #[serde(default)]
    triggers: Vec<Spanned<String>>,
}

struct DeleteComments {
    sources: Vec<String>,
    patterns: Vec<Regex>,
    triggers: Vec<String>,
    /// Matches the whole text wherever a pattern could match a comment of it.
    screen: Regex,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    let span = params.patterns.span();
    let sources = params.patterns.into_inner();
    if sources.is_empty() {
        return Err(ParamError::at(
            "`patterns` must list at least one regex",
            span,
        ));
    }
    let mut patterns = Vec::with_capacity(sources.len());
    for source in &sources {
        let compiled = RegexBuilder::new(source.get_ref())
            .case_insensitive(true)
            .build()
            .map_err(|e| {
                ParamError::at(
                    format!("bad regex `{}`: {}", source.get_ref(), regex_error(&e)),
                    source.span(),
                )
            })?;
        patterns.push(compiled);
    }
    for trigger in &params.triggers {
        if trigger.get_ref().is_empty() {
            return Err(ParamError::at(
                "a trigger must not be empty",
                trigger.span(),
            ));
        }
    }
    let sources: Vec<String> = sources.into_iter().map(Spanned::into_inner).collect();
    let screen = screen::anywhere(&sources, true).map_err(|e| {
        ParamError::at(
            format!("cannot screen files with these patterns: {e}"),
            span,
        )
    })?;
    Ok(Box::new(DeleteComments {
        sources,
        screen,
        patterns,
        triggers: params
            .triggers
            .into_iter()
            .map(Spanned::into_inner)
            .collect(),
    }))
}

/// The one-line reason of a regex error (its display draws the pattern with a caret).
fn regex_error(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|l| l.strip_prefix("error: "))
        .map_or_else(|| text.replace('\n', " "), str::to_string)
}

impl RuleKind for DeleteComments {
    fn triggers(&self) -> Vec<String> {
        self.triggers.clone()
    }

    // A comment's text is a slice of the file's text, so a file the patterns match nowhere in
    // has no matching comment.
    fn may_fire(&self, _lang: Lang, text: &str) -> bool {
        self.screen.is_match(text)
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let mut edits = Vec::new();
        for comment in &file.parsed.comments {
            self.comment(file.text, comment, &mut edits, sink);
        }
        // Two comments on one line each saw the other as code: once their cuts are joined,
        // what is left of the line decides again whether the line goes.
        let merged: Vec<Cut> = merge(edits)
            .into_iter()
            .map(|cut| tidy(file.text, cut))
            .collect();
        for cut in merge(merged) {
            sink.replace(cut.range, if cut.space { " " } else { "" });
        }
    }

    fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("patterns".into(), format!("{:?}", self.sources)),
            ("triggers".into(), format!("{:?}", self.triggers)),
        ]
    }
}

/// Sorts cuts and joins those that overlap or touch.
fn merge(mut cuts: Vec<Cut>) -> Vec<Cut> {
    cuts.sort_by_key(|c| (c.range.start, c.range.end));
    let mut merged: Vec<Cut> = Vec::new();
    for cut in cuts {
        match merged.last_mut() {
            Some(last) if cut.range.start <= last.range.end => {
                last.range.end = last.range.end.max(cut.range.end);
                last.space |= cut.space;
            }
            _ => merged.push(cut),
        }
    }
    merged
}

/// A cut inside one line that leaves only blanks after it takes the blanks before it too, and
/// the whole line when nothing but blanks is left.
fn tidy(text: &str, cut: Cut) -> Cut {
    if cut.space || text[cut.range.clone()].contains('\n') {
        return cut;
    }
    let (line_start, line_end) = line_bounds(text, &cut.range);
    let before = &text[line_start..cut.range.start];
    let after = &text[cut.range.end..line_end];
    if !after.trim().is_empty() {
        return cut;
    }
    if before.trim().is_empty() {
        let end = if line_end < text.len() {
            line_end + 1
        } else {
            line_end
        };
        return Cut {
            range: line_start..end,
            space: false,
        };
    }
    let space_before = before.len() - before.trim_end_matches([' ', '\t']).len();
    Cut {
        range: cut.range.start - space_before..cut.range.end + after.trim_end_matches('\r').len(),
        space: false,
    }
}

/// The start of the line `range` starts on (after a BOM) and the end of the line it ends on
/// (at the `\n`, or the end of the text).
fn line_bounds(text: &str, range: &Range<usize>) -> (usize, usize) {
    let mut line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    if line_start == 0 && text.starts_with(BOM) {
        line_start = BOM.len();
    }
    let line_end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    (line_start, line_end)
}

/// A deletion; `space` replaces it with one space where deleting would join two tokens.
struct Cut {
    range: Range<usize>,
    space: bool,
}

/// One line of a multi-line block comment.
struct BlockLine {
    /// The line's text inside the comment (without `/*`, `*/` and the line terminator).
    content: Range<usize>,
    /// The whole line with its terminator (used for middle lines only).
    line: Range<usize>,
    first: bool,
    last: bool,
}

impl DeleteComments {
    fn matches(&self, content: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(content))
    }

    fn comment(&self, text: &str, comment: &SourceComment, edits: &mut Vec<Cut>, sink: &mut Sink) {
        let range = comment.range.clone();
        let Some(raw) = text.get(range.clone()) else {
            return;
        };
        if !comment.block {
            if self.matches(comment.text.trim_end_matches('\r')) {
                whole(text, range, false, edits, sink);
            }
            return;
        }
        if !raw.contains('\n') {
            if self.matches(line_content(&comment.text)) {
                whole(text, range, false, edits, sink);
            }
            return;
        }
        let lines = block_lines(text, &range);
        let verdicts: Vec<Option<bool>> = lines
            .iter()
            .map(|l| {
                let content = line_content(&text[l.content.clone()]);
                (!content.trim().is_empty()).then(|| self.matches(content))
            })
            .collect();
        if !verdicts.iter().flatten().any(|&m| m) {
            return;
        }
        if verdicts.iter().flatten().all(|&m| m) {
            whole(text, range, true, edits, sink);
            return;
        }
        for (line, verdict) in lines.iter().zip(verdicts) {
            if verdict != Some(true) {
                continue;
            }
            if line.first || line.last {
                sink.review(line.content.clone(), CANNOT_CUT);
            } else {
                edits.push(Cut {
                    range: line.line.clone(),
                    space: false,
                });
            }
        }
    }
}

/// The text of a comment line to match: without leading whitespace and one leading `*`.
fn line_content(line: &str) -> &str {
    let line = line.trim_end_matches(['\r', '\n']).trim_start();
    line.strip_prefix('*').unwrap_or(line)
}

/// The lines of a multi-line block comment at `range`.
fn block_lines(text: &str, range: &Range<usize>) -> Vec<BlockLine> {
    let mut lines = Vec::new();
    let mut start = range.start;
    loop {
        let newline = text[start..range.end].find('\n').map(|i| start + i);
        let end = newline.unwrap_or(range.end);
        let first = start == range.start;
        let last = newline.is_none();
        let content_start = if first { start + 2 } else { start };
        let content_end = if last { end - 2 } else { end };
        lines.push(BlockLine {
            content: content_start..content_end.max(content_start),
            line: start..end + 1,
            first,
            last,
        });
        match newline {
            Some(at) => start = at + 1,
            None => break,
        }
    }
    lines
}

/// Deletes a whole comment: with its line when it stands alone, otherwise with the spaces that
/// separate it from the code beside it.
fn whole(text: &str, range: Range<usize>, multi_line: bool, edits: &mut Vec<Cut>, sink: &mut Sink) {
    let (line_start, line_end) = line_bounds(text, &range);
    let before = &text[line_start..range.start];
    let after = &text[range.end..line_end];
    let code_before = !before.trim().is_empty();
    let code_after = !after.trim().is_empty();
    let blank = |c: char| c == ' ' || c == '\t';
    let space_before = before.len() - before.trim_end_matches(blank).len();
    let space_after = after.len() - after.trim_start_matches(blank).len();
    let cut = match (code_before, code_after) {
        (false, false) => {
            let end = if line_end < text.len() {
                line_end + 1
            } else {
                line_end
            };
            Cut {
                range: line_start..end,
                space: false,
            }
        }
        (true, false) => {
            // Up to the line terminator, which stays (`\r\n` included).
            let end = range.end + after.trim_end_matches(['\r']).len();
            Cut {
                range: range.start - space_before..end,
                space: false,
            }
        }
        (false, true) => Cut {
            range: range.start..range.end + space_after,
            space: false,
        },
        (true, true) => {
            if multi_line {
                // The comment's line break may be what ends a statement (`return /*\n*/ x`).
                sink.review(range, BETWEEN_CODE);
                return;
            }
            // One separating space stays, so `a + /* x */ +b` does not become `a ++b`; none is
            // needed before punctuation that closes or separates (`5 /* x */,` becomes `5,`).
            let next = after[space_after..].chars().next();
            let closes = next.is_some_and(|c| ",;)]}".contains(c));
            if space_after > 0 {
                Cut {
                    range: range.start..range.end + space_after,
                    space: false,
                }
            } else if space_before > 0 && closes {
                Cut {
                    range: range.start - space_before..range.end,
                    space: false,
                }
            } else {
                Cut {
                    range: range.clone(),
                    space: space_before == 0 && !closes,
                }
            }
        }
    };
    edits.push(cut);
}

#[cfg(test)]
mod tests {
    use crate::engine::rewrite;
    use crate::kinds::testing::run_rule;
    use crate::rules::load_pack;
    use crate::source::Lang;

    const RULE: &str = r#"
[[rule]]
id = "sqlite-comments"
kind = "delete-comments"
message = "the comment explains a SQLite workaround that is gone"
patterns = [
  'оптимизировано для sqlite',
  'optimi[sz]ed for sqlite',
  '^\s*sqlite\s*:',
  'sqlite (lock|single[- ]writer|busy)',
  '(because of|due to|for) sqlite',
  'keep .* low .*sqlite|sqlite.*keep .* low',
]
"#;

    fn run(source: &str) -> String {
        run_rule(RULE, "a.ts", source)
    }

    /// An anchored pattern (`^\s*sqlite\s*:`) matches a comment's text, which in the file sits
    /// after `//` or ` * `: the file-wide screen must still let the file through (`run_rule`
    /// checks it).
    #[test]
    fn anchored_patterns_pass_the_file_screen() {
        for source in [
            "flush(); // SQLite: one writer at a time\n",
            "/**\n * Queue.\n *   sqlite: one writer at a time\n */\nexport const q = 1;\n",
        ] {
            let out = run(source);
            assert!(out.contains("-"), "{source}\n{out}");
            assert!(!out.contains("(no changes)"), "{source}\n{out}");
        }
    }

    #[test]
    fn russian_comment_alone_on_its_line() {
        insta::assert_snapshot!(run(
            "export class MediaProcessingQueue {\n  // Оптимизировано для SQLite\n  private concurrency = 3;\n}\n"
        ));
    }

    #[test]
    fn trailing_comment_after_code() {
        insta::assert_snapshot!(run(
            "const queue = new PQueue({\n  concurrency: 3, // optimized for SQLite\n  autoStart: true,\n});\n"
        ));
    }

    #[test]
    fn single_line_block_comment_alone_and_before_code() {
        insta::assert_snapshot!(run(
            "const options = {\n  /* SQLite: keep concurrency low */\n  concurrency: 3,\n  /* sqlite: small batches */ batchSize: 50,\n  limit: 5 /* due to SQLite */,\n  max: a/* sqlite: x */+b,\n  min: a + /* sqlite: x */+b,\n};\n"
        ));
    }

    #[test]
    fn jsdoc_with_one_matching_line() {
        insta::assert_snapshot!(run(r#"/**
 * Syncs media files with the storage bucket.
 * Batches are small because of SQLite lock contention.
 *
 * @param job the sync job
 */
export function sync(job: Job) {}
"#));
    }

    #[test]
    fn jsdoc_all_of_whose_lines_match() {
        insta::assert_snapshot!(run(r#"export const config = {
  /**
   * SQLite: one writer at a time.
   *
   * Keep parallelism low for SQLite.
   */
  parallelLimit: 5,
};
"#));
    }

    #[test]
    fn delimiter_lines_are_reviewed_not_cut() {
        insta::assert_snapshot!(run(r#"/* SQLite: writes are serialized.
 * The queue drains every second.
 */
const a = 1;
/*
 * The queue drains every second.
 * Tuned for SQLite lock behaviour. */
const b = 2;
"#));
    }

    #[test]
    fn crlf_line_endings_are_kept() {
        insta::assert_snapshot!(run(
            "const a = {\r\n  // Оптимизировано для SQLite\r\n  concurrency: 3, // optimized for SQLite\r\n  /**\r\n   * Keeps writes apart.\r\n   * SQLite busy errors otherwise.\r\n   */\r\n  batchSize: 50,\r\n};\r\n"
        ));
    }

    #[test]
    fn crlf_and_bom_survive_byte_for_byte() {
        let rules = load_pack("test.toml", RULE).unwrap();
        let rules: Vec<_> = rules.iter().collect();
        let source = "\u{feff}// optimized for SQLite\r\nconst a = 1; // due to SQLite\r\n/**\r\n * Fast.\r\n * SQLite lock avoidance.\r\n */\r\nconst b = 2;\r\n";
        let result = rewrite("a.ts", source, Lang::TypeScript, &rules)
            .result
            .unwrap();
        assert_eq!(
            result,
            "\u{feff}const a = 1;\r\n/**\r\n * Fast.\r\n */\r\nconst b = 2;\r\n"
        );
    }

    #[test]
    fn multi_line_comment_between_code_is_reviewed() {
        insta::assert_snapshot!(run(
            "const c = 3; /* sqlite: first\n   sqlite lock second */ const d = 4;\n"
        ));
    }

    #[test]
    fn unrelated_comment_mentioning_sqlite_stays() {
        insta::assert_snapshot!(run(
            "// Dev database is SQLite by default, see .env\nconst url = process.env.DATABASE_URL;\n"
        ));
    }

    #[test]
    fn two_matching_comments_on_one_line() {
        insta::assert_snapshot!(run(
            "const a = 1; /* sqlite: a */ /* sqlite: b */\nconst b = 2;\n// sqlite: last line without newline"
        ));
    }

    #[test]
    fn bad_regex_is_a_parameter_error() {
        let pack = "[[rule]]\nid = \"c\"\nkind = \"delete-comments\"\nmessage = \"m\"\npatterns = ['ok', 'sqlite (lock']\n";
        let error = load_pack("test.toml", pack).unwrap_err();
        insta::assert_snapshot!(error.to_string());
    }

    #[test]
    fn empty_pattern_list_is_a_parameter_error() {
        let pack =
            "[[rule]]\nid = \"c\"\nkind = \"delete-comments\"\nmessage = \"m\"\npatterns = []\n";
        let error = load_pack("test.toml", pack).unwrap_err();
        insta::assert_snapshot!(error.to_string());
    }
}
