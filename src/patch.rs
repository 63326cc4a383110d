//! Unified diffs that are real patches: `--- a/PATH` / `+++ b/PATH` headers relative to the
//! project root, three lines of context, and after each hunk header's second `@@` the ids of the
//! rules whose edits the hunk holds (git ignores that text, so `git apply` takes the output).

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use similar::{ChangeTag, TextDiff};

use crate::engine::Change;
use crate::source::LineIndex;

/// Colours for the diff; all empty when colour is off.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffStyle {
    pub header: anstyle::Style,
    pub hunk: anstyle::Style,
    pub rules: anstyle::Style,
    pub removed: anstyle::Style,
    pub added: anstyle::Style,
}

impl DiffStyle {
    pub fn colored() -> DiffStyle {
        use anstyle::{AnsiColor, Style};
        DiffStyle {
            header: Style::new().bold(),
            hunk: AnsiColor::Cyan.on_default(),
            rules: AnsiColor::Magenta.on_default(),
            removed: AnsiColor::Red.on_default(),
            added: AnsiColor::Green.on_default(),
        }
    }
}

/// The diff of one file, empty when the texts are equal.
pub fn file_diff(
    path: &str,
    original: &str,
    result: &str,
    changes: &[Change],
    style: DiffStyle,
) -> String {
    let diff = TextDiff::from_lines(original, result);
    let groups = diff.grouped_ops(3);
    if groups.is_empty() {
        return String::new();
    }
    let old_lines = LineIndex::new(original);
    let new_lines = LineIndex::new(result);
    let change_lines: Vec<(Arc<str>, Range<usize>, Range<usize>)> = changes
        .iter()
        .map(|c| {
            let old = old_lines.line_of(c.original.start)..old_lines.line_of(c.original.end) + 1;
            let new = new_lines.line_of(c.result.start)..new_lines.line_of(c.result.end) + 1;
            (c.rule.clone(), old, new)
        })
        .collect();

    let mut out = String::new();
    let h = style.header;
    let _ = writeln!(out, "{h}--- a/{path}{h:#}");
    let _ = writeln!(out, "{h}+++ b/{path}{h:#}");
    for group in groups {
        // A delete op can carry a new-side position past the ops after it, so the hunk's
        // ranges are the hull of all its ops, not the first and last.
        let old = hull(group.iter().map(|op| op.old_range()));
        let new = hull(group.iter().map(|op| op.new_range()));
        let mut ids: Vec<&str> = Vec::new();
        for (rule, old_span, new_span) in &change_lines {
            let touches = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
            if (touches(old_span, &old) || touches(new_span, &new)) && !ids.contains(&rule.as_ref())
            {
                ids.push(rule);
            }
        }
        let (hs, rs) = (style.hunk, style.rules);
        let _ = write!(
            out,
            "{hs}@@ -{} +{} @@{hs:#}",
            hunk_range(&old),
            hunk_range(&new)
        );
        if !ids.is_empty() {
            let _ = write!(out, " {rs}{}{rs:#}", ids.join(" "));
        }
        out.push('\n');
        for op in &group {
            for change in diff.iter_changes(op) {
                let (sign, st) = match change.tag() {
                    ChangeTag::Equal => (' ', anstyle::Style::new()),
                    ChangeTag::Delete => ('-', style.removed),
                    ChangeTag::Insert => ('+', style.added),
                };
                let line = change.value();
                let (body, ending) = split_ending(line);
                let _ = write!(out, "{st}{sign}{body}{st:#}{ending}");
                if ending.is_empty() {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

fn hull(ranges: impl Iterator<Item = Range<usize>>) -> Range<usize> {
    ranges
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
        .unwrap_or(0..0)
}

/// `start,len` of a hunk side, 1-based; an empty side names the line before it.
fn hunk_range(range: &Range<usize>) -> String {
    let len = range.end - range.start;
    let start = if len == 0 {
        range.start
    } else {
        range.start + 1
    };
    if len == 1 {
        format!("{start}")
    } else {
        format!("{start},{len}")
    }
}

/// A line's text and its terminator; `\r\n` stays whole so CRLF survives the patch.
fn split_ending(line: &str) -> (&str, &str) {
    if let Some(body) = line.strip_suffix("\r\n") {
        (body, "\r\n")
    } else if let Some(body) = line.strip_suffix('\n') {
        (body, "\n")
    } else {
        (line, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_header_covers_every_op() {
        // similar reports the leading delete with a new-side index past the next ops.
        let diff = file_diff(
            "a.ts",
            "A\nB\nC\nD\n",
            "C\nB2\nC\nD\n",
            &[],
            DiffStyle::default(),
        );
        let header = diff.lines().nth(2).unwrap();
        assert_eq!(header, "@@ -1,4 +1,4 @@");
    }
}
