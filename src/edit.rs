//! Text edits: a byte range of the current text and its replacement, tagged with the rule that
//! asked for it. Applying edits is a plain splice; everything outside the ranges is copied as is.

use std::ops::Range;
use std::sync::Arc;

/// One splice proposed by a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
    pub rule: Arc<str>,
}

impl Edit {
    /// Whether two edits touch the same bytes. Two insertions at one point overlap unless they
    /// are the same insertion; an insertion at the boundary of a replaced range does not.
    pub fn overlaps(&self, other: &Edit) -> bool {
        let (a, b) = (&self.range, &other.range);
        if a.is_empty() && b.is_empty() {
            return a.start == b.start && self.replacement != other.replacement;
        }
        a.start < b.end && b.start < a.end
    }
}

/// Sorts edits by position, dropping exact duplicates (two rules asking for the same splice).
pub fn sort_and_dedup(edits: &mut Vec<Edit>) {
    edits.sort_by(|a, b| {
        (a.range.start, a.range.end)
            .cmp(&(b.range.start, b.range.end))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    edits.dedup_by(|later, earlier| {
        later.range == earlier.range && later.replacement == earlier.replacement
    });
}

/// Applies sorted, non-overlapping edits to `text`.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = 0;
    for edit in edits {
        debug_assert!(
            edit.range.start >= cursor,
            "edits must be sorted and disjoint"
        );
        out.push_str(&text[cursor..edit.range.start]);
        out.push_str(&edit.replacement);
        cursor = edit.range.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// Maps a position of the text before `edits` to the text after them. A position inside a
/// replaced range maps to the start of its replacement.
pub fn map_forward(position: usize, edits: &[Edit]) -> usize {
    let mut shift: isize = 0;
    for edit in edits {
        if edit.range.end <= position && !(edit.range.is_empty() && edit.range.start == position) {
            shift += edit.replacement.len() as isize - edit.range.len() as isize;
        } else if edit.range.start < position {
            return (edit.range.start as isize + shift) as usize;
        } else {
            break;
        }
    }
    (position as isize + shift) as usize
}

/// Maps a position of the text after `edits` back to the text before them. A position inside a
/// replacement maps to the start of the range it replaced.
pub fn map_back(position: usize, edits: &[Edit]) -> usize {
    let mut shift: isize = 0;
    for edit in edits {
        let new_start = (edit.range.start as isize + shift) as usize;
        let new_end = new_start + edit.replacement.len();
        if position < new_start {
            break;
        }
        if position < new_end {
            return edit.range.start;
        }
        shift += edit.replacement.len() as isize - edit.range.len() as isize;
    }
    (position as isize - shift) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(range: Range<usize>, replacement: &str) -> Edit {
        Edit {
            range,
            replacement: replacement.into(),
            rule: "r".into(),
        }
    }

    #[test]
    fn splices_only_the_ranges() {
        let edits = [edit(0, 1, "X"), edit(3, 3, "++"), edit(4, 6, "")];
        fn edit(start: usize, end: usize, r: &str) -> Edit {
            super::tests::edit(start..end, r)
        }
        assert_eq!(apply("abcdefg", &edits), "Xbc++dg");
    }

    #[test]
    fn overlap_rules() {
        assert!(edit(0..3, "").overlaps(&edit(2..4, "")));
        assert!(!edit(0..3, "").overlaps(&edit(3..4, "")));
        assert!(!edit(3..3, "a").overlaps(&edit(3..5, "")));
        assert!(edit(4..4, "a").overlaps(&edit(3..5, "")));
        assert!(edit(3..3, "a").overlaps(&edit(3..3, "b")));
        assert!(!edit(3..3, "a").overlaps(&edit(3..3, "a")));
    }

    #[test]
    fn positions_map_both_ways() {
        let edits = [edit(2..4, "wxyz"), edit(6..8, "")];
        // "ab[cd]ef[gh]ij" -> "abwxyzefij"
        assert_eq!(map_forward(9, &edits), 9 + 2 - 2);
        assert_eq!(map_back(8, &edits), 8 - 2 + 2);
        assert_eq!(map_back(3, &edits), 2);
        assert_eq!(map_forward(1, &edits), 1);
    }
}
