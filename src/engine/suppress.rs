//! Inline suppressions: a comment `// pgshift-ignore-next-line RULE-ID — reason` (several ids
//! may be separated by commas) silences those rules on the line after it, for edits and review
//! findings alike. An id no loaded rule has is itself a finding, so a typo cannot hide one.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use crate::source::{LineIndex, SourceComment};

pub const MARKER: &str = "pgshift-ignore-next-line";

fn marker_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"pgshift-ignore-next-line(?:[ \t]+([A-Za-z0-9-]+(?:[ \t]*,[ \t]*[A-Za-z0-9-]+)*))?",
        )
        .expect("valid regex")
    })
}

/// The rule ids named after each marker in `text`, with the byte offset of each id.
fn named_ids(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for captures in marker_regex().captures_iter(text) {
        let marker = captures.get(0).expect("whole match");
        match captures.get(1) {
            Some(list) => {
                let mut offset = list.start();
                for part in list.as_str().split(',') {
                    let lead = part.len() - part.trim_start().len();
                    let id = part.trim();
                    out.push((marker.start(), offset + lead, id.to_string()));
                    offset += part.len() + 1;
                }
            }
            None => out.push((marker.start(), marker.end(), String::new())),
        }
    }
    out
}

/// The lines silenced in one text, by rule.
#[derive(Debug, Default)]
pub struct Suppressions {
    /// (0-based line silenced, rule id)
    entries: Vec<(usize, String)>,
}

impl Suppressions {
    pub fn new(text: &str, comments: &[SourceComment], lines: &LineIndex) -> Suppressions {
        if !text.contains(MARKER) {
            return Suppressions::default();
        }
        let mut entries = Vec::new();
        for comment in comments {
            let body = &text[comment.range.clone()];
            let next_line = lines.line_of(comment.range.end) + 1;
            for (_, _, id) in named_ids(body) {
                if !id.is_empty() {
                    entries.push((next_line, id));
                }
            }
        }
        Suppressions { entries }
    }

    /// Whether the rule is silenced for a finding that covers `start..end`.
    pub fn silences(&self, rule: &str, start: usize, end: usize, lines: &LineIndex) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let first = lines.line_of(start);
        let last = lines.line_of(end.saturating_sub(1).max(start));
        self.entries
            .iter()
            .any(|(line, id)| id == rule && (*line == first || *line == last))
    }
}

/// Markers that name no loaded rule: (offset of the id, message).
pub fn unknown_ids(text: &str, known: &HashSet<&str>) -> Vec<(usize, String)> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    named_ids(text)
        .into_iter()
        .filter(|(_, _, id)| !known.contains(id.as_str()))
        .map(|(_, offset, id)| {
            let message = if id.is_empty() {
                format!("`{MARKER}` names no rule: write `// {MARKER} RULE-ID — reason`")
            } else {
                format!("`{MARKER}` names `{id}`, which is not a loaded rule (`pgshift rules` lists them)")
            };
            (offset, message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_unknown_ids() {
        let text = "// pgshift-ignore-next-line sqlite-lock-checks, retry-rename — reason\nx\n// pgshift-ignore-next-line typo-rule -- why\n";
        let ids: Vec<String> = named_ids(text).into_iter().map(|(_, _, id)| id).collect();
        assert_eq!(ids, ["sqlite-lock-checks", "retry-rename", "typo-rule"]);
        let known: HashSet<&str> = ["sqlite-lock-checks", "retry-rename"].into_iter().collect();
        let unknown = unknown_ids(text, &known);
        assert_eq!(unknown.len(), 1);
        assert_eq!(&text[unknown[0].0..unknown[0].0 + 9], "typo-rule");
    }
}
