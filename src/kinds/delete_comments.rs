//! `delete-comments`: a comment goes with the workaround it explains. A comment that matches one
//! of the `patterns` is deleted only when another rule of the same run edits the code it
//! explains: the line it stands on, or the statement, declaration, member or property right
//! after it (for a doc comment: what it documents). A comment that is wholly about the
//! workaround (`whole_comment`, such as "Optimized for SQLite") goes wherever it is. Every other
//! comment that mentions SQLite stays.
//!
//! The rule [follows the edits](super::RuleKind::follows_edits) of the others: the engine runs
//! it after them in each round and hands it where they edit.
//!
//! A comment alone on its line takes the line with it; one beside code takes only itself and
//! the spaces that separated it. In a multi-line comment (a block, or `//` lines one under the
//! other) only whole sentences go: a matching sentence that shares a line with other text,
//! goes on past a line that stays, would leave a tag without its text or a doc comment without
//! its summary, or sits on a line with the comment's delimiter, is left for review. A comment
//! every line of which would go is deleted whole.

use std::collections::HashMap;
use std::ops::Range;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use swc_ecma_ast::{
    ClassMember, ExprOrSpread, ModuleItem, Param, PropOrSpread, Stmt, SwitchCase, TsEnumMember,
    TsTypeElement, VarDeclarator,
};
use swc_ecma_visit::{Visit, VisitWith};
use toml::Spanned;

use super::ast::range_of;
use super::{FileContext, KindSpec, ParamError, RuleKind, Sink, screen};
use crate::source::{BOM, Lang, SourceComment};

pub const SPEC: KindSpec = KindSpec {
    name: "delete-comments",
    summary: "delete comments that explain a workaround another rule of the run removes",
    compile,
};

const CANNOT_CUT: &str = "this line explains a SQLite workaround this run removes but shares its line with the comment's \
     delimiter: part of a multi-line comment that pgshift cannot cut cleanly; edit it by hand";
const BETWEEN_CODE: &str = "this multi-line comment explains a SQLite workaround this run removes but sits between code on \
     the same lines; deleting it could join statements: edit it by hand";
const NOT_A_SENTENCE: &str = "this line explains a SQLite workaround this run removes, but its sentence shares a line \
     with other text or goes on past it: deleting the line would cut the comment; edit it by hand";
const ORPHANED_TAG: &str = "this line explains a SQLite workaround this run removes, but it opens a doc tag whose \
     other text stays: deleting it would leave that text under the wrong tag; edit the comment by hand";
const SUMMARY: &str = "this line explains a SQLite workaround this run removes, but it is the summary of a doc \
     comment that says more: deleting it would leave the doc without its summary; edit it by hand";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Regexes, matched without regard to case against each comment (each line of a block): a
    /// matching comment goes when another rule edits the code it explains.
    patterns: Spanned<Vec<Spanned<String>>>,
    /// Regexes a whole comment (or a whole line of a multi-line one) must match, final
    /// punctuation aside: such a comment is about the workaround alone and goes anywhere.
    #[serde(default)]
    whole_comment: Vec<Spanned<String>>,
    /// Literal words one of which a file must contain; empty means every file is read.
    #[serde(default)]
    triggers: Vec<Spanned<String>>,
}

struct DeleteComments {
    sources: Vec<String>,
    whole_sources: Vec<String>,
    patterns: Vec<Regex>,
    whole: Vec<Regex>,
    triggers: Vec<String>,
    /// Matches the whole text wherever a pattern could match a comment of it.
    screen: Regex,
}

fn compile_regex(
    source: &Spanned<String>,
    wrap: impl Fn(&str) -> String,
) -> Result<Regex, ParamError> {
    RegexBuilder::new(&wrap(source.get_ref()))
        .case_insensitive(true)
        .build()
        .map_err(|e| {
            ParamError::at(
                format!("bad regex `{}`: {}", source.get_ref(), regex_error(&e)),
                source.span(),
            )
        })
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
    let patterns = sources
        .iter()
        .map(|s| compile_regex(s, str::to_string))
        .collect::<Result<Vec<_>, _>>()?;
    // Anchored at both ends; trailing punctuation and blanks do not count.
    let whole = params
        .whole_comment
        .iter()
        .map(|s| compile_regex(s, |p| format!(r"^\s*(?:{p})[\s.!…;:,]*$")))
        .collect::<Result<Vec<_>, _>>()?;
    for trigger in &params.triggers {
        if trigger.get_ref().is_empty() {
            return Err(ParamError::at(
                "a trigger must not be empty",
                trigger.span(),
            ));
        }
    }
    let sources: Vec<String> = sources.into_iter().map(Spanned::into_inner).collect();
    let whole_sources: Vec<String> = params
        .whole_comment
        .into_iter()
        .map(Spanned::into_inner)
        .collect();
    let all: Vec<String> = sources.iter().chain(&whole_sources).cloned().collect();
    let screen = screen::anywhere(&all, true).map_err(|e| {
        ParamError::at(
            format!("cannot screen files with these patterns: {e}"),
            span,
        )
    })?;
    Ok(Box::new(DeleteComments {
        sources,
        whole_sources,
        screen,
        patterns,
        whole,
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

    /// Alone, without the other rules' edits: only comments wholly about the workaround go.
    fn run(&self, file: &FileContext, sink: &mut Sink) {
        self.run_after(file, &[], sink);
    }

    fn follows_edits(&self) -> bool {
        true
    }

    fn run_after(&self, file: &FileContext, edited: &[Range<usize>], sink: &mut Sink) {
        let comments = &file.parsed.comments;
        // Edits inside a comment (a renamed `{@link}`) say nothing about the code it explains.
        let edited: Vec<Range<usize>> = edited
            .iter()
            .filter(|e| {
                !comments
                    .iter()
                    .any(|c| c.range.start <= e.start && e.end <= c.range.end)
            })
            .cloned()
            .collect();
        let starts = NodeStarts::of(file);
        let mut edits = Vec::new();
        for unit in units(file.text, comments) {
            let judge = Judge {
                rule: self,
                text: file.text,
                anchored: unit_anchored(file.text, &unit, &edited, &starts, comments),
            };
            judge.unit(&unit, &mut edits, sink);
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
            ("whole_comment".into(), format!("{:?}", self.whole_sources)),
            ("triggers".into(), format!("{:?}", self.triggers)),
        ]
    }
}

/// Where the nodes a comment can explain start (statements, declarations, class members,
/// properties, parameters, list items), and the end of the largest one starting at each place.
struct NodeStarts {
    ends: HashMap<usize, usize>,
}

impl NodeStarts {
    fn of(file: &FileContext) -> NodeStarts {
        let mut starts = NodeStarts {
            ends: HashMap::new(),
        };
        file.parsed.program.visit_with(&mut starts);
        starts
    }

    fn note(&mut self, range: Range<usize>) {
        let end = self.ends.entry(range.start).or_insert(range.end);
        *end = (*end).max(range.end);
    }
}

macro_rules! note_nodes {
    ($($method:ident: $node:ty),* $(,)?) => {
        impl Visit for NodeStarts {
            $(
                fn $method(&mut self, node: &$node) {
                    self.note(range_of(node));
                    node.visit_children_with(self);
                }
            )*
        }
    };
}

note_nodes! {
    visit_module_item: ModuleItem,
    visit_stmt: Stmt,
    visit_class_member: ClassMember,
    visit_prop_or_spread: PropOrSpread,
    visit_ts_type_element: TsTypeElement,
    visit_ts_enum_member: TsEnumMember,
    visit_param: Param,
    visit_var_declarator: VarDeclarator,
    visit_expr_or_spread: ExprOrSpread,
    visit_switch_case: SwitchCase,
}

/// A comment, or `//` comments alone on lines one under the other, as one piece of prose.
struct Unit {
    /// From the start of the first comment to the end of the last.
    range: Range<usize>,
    shape: Shape,
}

enum Shape {
    /// One comment on one line (a `//` comment, or a block comment without a line break).
    Single { block: bool },
    /// Several lines: of one block comment, or `//` comments each alone on its line.
    Lines { lines: Vec<ProseLine>, doc: bool },
}

/// One line of a multi-line comment.
struct ProseLine {
    /// The text to match (without `//`, `/*`, `*/`, a leading `*` and the line terminator).
    content: Range<usize>,
    /// The whole line with its terminator: what deleting the line removes.
    line: Range<usize>,
    /// The first or last line of a block comment: it holds `/*` or `*/`.
    edge: bool,
}

/// Groups the file's comments into units.
fn units(text: &str, comments: &[SourceComment]) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    // The open group of `//` lines: the index of its unit.
    let mut group: Option<usize> = None;
    for comment in comments {
        let range = comment.range.clone();
        let Some(raw) = text.get(range.clone()) else {
            continue;
        };
        if comment.block && raw.contains('\n') {
            group = None;
            units.push(Unit {
                range: range.clone(),
                shape: Shape::Lines {
                    lines: block_lines(text, &range),
                    doc: raw.starts_with("/**") && !raw.starts_with("/**/"),
                },
            });
            continue;
        }
        let (line_start, line_end) = line_bounds(text, &range);
        let alone = !comment.block && text[line_start..range.start].trim().is_empty();
        if !alone {
            group = None;
            units.push(Unit {
                range,
                shape: Shape::Single {
                    block: comment.block,
                },
            });
            continue;
        }
        let end = if line_end < text.len() {
            line_end + 1
        } else {
            line_end
        };
        let line = ProseLine {
            content: range.start + 2..range.end - usize::from(raw.ends_with('\r')),
            line: line_start..end,
            edge: false,
        };
        // The next line of an open group: only a line break and indentation in between.
        let joins = group.is_some_and(|g| {
            let between = &text[units[g].range.end..range.start];
            between.trim_start_matches('\r').starts_with('\n')
                && between[between.find('\n').unwrap_or(0) + 1..]
                    .chars()
                    .all(|c| c == ' ' || c == '\t')
        });
        if joins {
            let unit = &mut units[group.expect("joins an open group")];
            unit.range.end = range.end;
            // A group is always opened as `Lines`.
            if let Shape::Lines { lines, .. } = &mut unit.shape {
                lines.push(line);
            }
        } else {
            group = Some(units.len());
            units.push(Unit {
                range,
                shape: Shape::Lines {
                    lines: vec![line],
                    doc: false,
                },
            });
        }
    }
    units
}

/// Whether another rule edits the code `unit` explains: its own lines, and, for a comment that
/// starts its line, the node right after it.
fn unit_anchored(
    text: &str,
    unit: &Unit,
    edited: &[Range<usize>],
    starts: &NodeStarts,
    comments: &[SourceComment],
) -> bool {
    if edited.is_empty() {
        return false;
    }
    let (line_start, line_end) = line_bounds(text, &unit.range);
    // Its own lines; for a comment that starts its line, also the node after it.
    let own = line_start..line_end;
    let after = if text[line_start..unit.range.start].trim().is_empty() {
        let next = next_token(text, unit.range.end, comments);
        starts.ends.get(&next).map(|&end| next..end)
    } else {
        None
    };
    let touches = |e: &Range<usize>, r: &Range<usize>| e.start <= r.end && e.end >= r.start;
    edited
        .iter()
        .any(|e| touches(e, &own) || after.as_ref().is_some_and(|r| touches(e, r)))
}

/// The first byte after `at` that is neither blank nor inside a comment.
fn next_token(text: &str, mut at: usize, comments: &[SourceComment]) -> usize {
    loop {
        let rest = &text[at..];
        at += rest.len() - rest.trim_start().len();
        match comments.iter().find(|c| c.range.start == at) {
            Some(comment) => at = comment.range.end,
            None => return at,
        }
    }
}

/// Decides, for one unit, what goes.
struct Judge<'a> {
    rule: &'a DeleteComments,
    text: &'a str,
    /// Another rule edits the code the unit explains.
    anchored: bool,
}

impl Judge<'_> {
    /// Whether a comment's text (or a sentence of it) goes.
    fn wanted(&self, content: &str) -> bool {
        self.rule.whole.iter().any(|p| p.is_match(content))
            || (self.anchored && self.rule.patterns.iter().any(|p| p.is_match(content)))
    }

    fn unit(&self, unit: &Unit, edits: &mut Vec<Cut>, sink: &mut Sink) {
        match &unit.shape {
            Shape::Single { block } => {
                let raw = &self.text[unit.range.clone()];
                let inner = if *block {
                    line_content(raw.get(2..raw.len().saturating_sub(2)).unwrap_or_default())
                } else {
                    raw.get(2..).unwrap_or_default().trim_end_matches('\r')
                };
                if self.wanted(inner.trim()) {
                    whole(self.text, unit.range.clone(), false, edits, sink);
                }
            }
            Shape::Lines { lines, doc } => self.lines(unit, lines, *doc, edits, sink),
        }
    }

    fn lines(
        &self,
        unit: &Unit,
        lines: &[ProseLine],
        doc: bool,
        edits: &mut Vec<Cut>,
        sink: &mut Sink,
    ) {
        let contents: Vec<&str> = lines
            .iter()
            .map(|l| line_content(&self.text[l.content.clone()]).trim())
            .collect();
        let wanted: Vec<bool> = contents
            .iter()
            .map(|c| !c.is_empty() && self.wanted(c))
            .collect();
        if !wanted.contains(&true) {
            return;
        }
        if lines.len() == 1 {
            whole(self.text, unit.range.clone(), false, edits, sink);
            return;
        }
        // The sentences that hold a wanted line, and whether each is a sentence of its own.
        let mut spans: Vec<(Range<usize>, usize, Option<&str>)> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            if !wanted[i] {
                i += 1;
                continue;
            }
            let span = sentence_span(&contents, i);
            let problem = (!self.own_sentence(&contents, span.clone())).then_some(NOT_A_SENTENCE);
            i = span.end;
            spans.push((span, i - 1, problem));
        }
        let covered = |k: usize| spans.iter().any(|(s, _, p)| p.is_none() && s.contains(&k));
        // Nothing but blank lines would be left: the whole comment goes.
        if (0..lines.len()).all(|k| contents[k].is_empty() || covered(k)) {
            whole(self.text, unit.range.clone(), true, edits, sink);
            return;
        }
        let first_text = contents.iter().position(|c| !c.is_empty());
        let mut delete = vec![false; lines.len()];
        for (span, last, problem) in spans {
            let problem = problem.or_else(|| {
                if span.clone().any(|k| lines[k].edge) {
                    Some(CANNOT_CUT)
                } else if is_bare_tag(contents[span.start])
                    && contents
                        .get(span.end)
                        .is_some_and(|c| !c.is_empty() && !c.starts_with('@'))
                    && !lines[span.end].edge
                {
                    // The tag would go and the rest of its text would fall to the tag before.
                    Some(ORPHANED_TAG)
                } else if doc && first_text == Some(span.start) {
                    Some(SUMMARY)
                } else {
                    None
                }
            });
            match problem {
                Some(reason) => {
                    let at = span.clone().find(|&k| wanted[k]).unwrap_or(last);
                    sink.review(lines[at].content.clone(), reason);
                }
                None => span.for_each(|k| delete[k] = true),
            }
        }
        tidy_blank_lines(&contents, lines, &mut delete);
        for (line, _) in lines.iter().zip(&delete).filter(|(_, d)| **d) {
            edits.push(Cut {
                range: line.line.clone(),
                space: false,
            });
        }
    }

    /// Whether the lines of `span` are whole sentences, each of which goes.
    fn own_sentence(&self, contents: &[&str], span: Range<usize>) -> bool {
        // After a line that ends a sentence, a small letter means the sentence went on (`e.g.`).
        let starts_lower = |c: &str| c.chars().next().is_some_and(char::is_lowercase);
        if span.start > 0
            && !contents[span.start - 1].is_empty()
            && starts_lower(contents[span.start])
        {
            return false;
        }
        if let Some(next) = contents.get(span.end)
            && starts_lower(next)
        {
            return false;
        }
        // A tag that opens the span (`@remarks`) is not part of its prose.
        let from = span.start + usize::from(is_bare_tag(contents[span.start]));
        let joined = contents[from..span.end].join(" ");
        sentences(&joined).iter().all(|s| self.wanted(s))
    }
}

/// `@remarks` and the like with no text of their own.
fn is_bare_tag(content: &str) -> bool {
    content.starts_with('@') && !content.contains(char::is_whitespace)
}

fn ends_sentence(content: &str) -> bool {
    content
        .trim_end_matches([')', '"', '\'', '`', '»', '*', '_'])
        .ends_with(['.', '!', '?', '…'])
}

/// The lines of the sentence (or sentences) that line `at` is part of: back while the line
/// before goes on into it, forward while it goes on into the next. A blank line, a doc tag and
/// the end of the comment end a sentence.
fn sentence_span(contents: &[&str], at: usize) -> Range<usize> {
    let mut start = at;
    while start > 0
        && !contents[start].starts_with('@')
        && !contents[start - 1].is_empty()
        && !ends_sentence(contents[start - 1])
    {
        start -= 1;
    }
    let mut end = at;
    while end + 1 < contents.len()
        && !ends_sentence(contents[end])
        && !contents[end + 1].is_empty()
        && !contents[end + 1].starts_with('@')
    {
        end += 1;
    }
    start..end + 1
}

/// Sentences of a text: a `.`, `!` or `?` followed by a blank and a capital letter ends one.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let blank = chars.get(k + 1).is_some_and(|(_, c)| c.is_whitespace());
        let capital = chars
            .iter()
            .skip(k + 1)
            .find(|(_, c)| !c.is_whitespace())
            .is_some_and(|(_, c)| c.is_uppercase());
        if blank && capital {
            out.push(text[start..at + 1].trim());
            start = at + 1;
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// A blank line left beside another blank line, or between a deletion and the comment's start
/// or end, goes with the deletion.
fn tidy_blank_lines(contents: &[&str], lines: &[ProseLine], delete: &mut [bool]) {
    let n = lines.len();
    let mut k = 0;
    while k < n {
        if !delete[k] {
            k += 1;
            continue;
        }
        let start = k;
        while k < n && delete[k] {
            k += 1;
        }
        let (before, after) = (start.checked_sub(1), (k < n).then_some(k));
        let blank = |i: usize| contents[i].is_empty();
        let boundary = |i: Option<usize>| i.is_none_or(|i| blank(i) && lines[i].edge);
        match (before, after) {
            (Some(b), _)
                if blank(b) && !lines[b].edge && (boundary(after) || after.is_some_and(blank)) =>
            {
                delete[b] = true
            }
            (_, Some(a)) if blank(a) && !lines[a].edge && boundary(before) => delete[a] = true,
            _ => {}
        }
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

/// The text of a comment line to match: without leading whitespace and one leading `*`.
fn line_content(line: &str) -> &str {
    let line = line.trim_end_matches(['\r', '\n']).trim_start();
    line.strip_prefix('*').unwrap_or(line)
}

/// The lines of a multi-line block comment at `range`.
fn block_lines(text: &str, range: &Range<usize>) -> Vec<ProseLine> {
    let mut lines = Vec::new();
    let mut start = range.start;
    loop {
        let newline = text[start..range.end].find('\n').map(|i| start + i);
        let end = newline.unwrap_or(range.end);
        let first = start == range.start;
        let last = newline.is_none();
        let content_start = if first { start + 2 } else { start };
        let content_end = if last { end - 2 } else { end };
        lines.push(ProseLine {
            content: content_start..content_end.max(content_start),
            line: start..end + 1,
            edge: first || last,
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

    /// The comment rule with two rules whose edits it follows: `concurrency` 3 → 10 and
    /// `batchSize` 50 → 200.
    const PACK: &str = r#"
[[rule]]
id = "queue-concurrency"
kind = "set-number"
message = "raise the queue concurrency"
name = "concurrency"
from = 3
to = 10

[[rule]]
id = "batch-size"
kind = "set-number"
message = "bigger batches"
name = "batchSize"
from = 50
to = 200

[[rule]]
id = "sqlite-comments"
kind = "delete-comments"
message = "the comment explains a SQLite workaround that is gone"
patterns = [
  'оптимизировано для sqlite',
  'optimi[sz]ed for sqlite',
  '^\s*sqlite\s*:\s*\p{L}',
  'sqlite (lock|single[- ]writer|busy)',
  '(because of|due to) sqlite',
  'keep .* low .*sqlite|sqlite.*keep .* low',
]
whole_comment = ['(оптимизировано|optimi[sz]ed) (для|for) sqlite']
"#;

    fn run(source: &str) -> String {
        run_rule(PACK, "a.ts", source)
    }

    /// An anchored pattern (`^\s*sqlite\s*:`) matches a comment's text, which in the file sits
    /// after `//` or ` * `: the file-wide screen must still let the file through (`run_rule`
    /// checks it).
    #[test]
    fn anchored_patterns_pass_the_file_screen() {
        for source in [
            "const q = { concurrency: 3 }; // SQLite: one writer at a time\n",
            "/**\n * Queue.\n *\n *   sqlite: one writer at a time.\n */\nexport const q = { concurrency: 3 };\n",
        ] {
            let out = run(source);
            assert!(out.contains("sqlite-comments"), "{source}\n{out}");
            assert!(
                !out.to_lowercase()
                    .contains("+const q = { concurrency: 10 }; // sqlite"),
                "{out}"
            );
        }
    }

    #[test]
    fn a_comment_goes_with_the_edit_it_explains_and_stays_without_one() {
        insta::assert_snapshot!(run(
            "export class MediaProcessingQueue {\n  // SQLite: keep the workers few\n  private concurrency = 3;\n  // SQLite: keep the workers few\n  private retries = 3;\n}\n"
        ));
    }

    #[test]
    fn the_comment_before_a_statement_explains_all_of_it() {
        insta::assert_snapshot!(run(
            "async function sync() {\n  // SQLite lock waits: small batches\n  await run({\n    name: 'sync',\n    batchSize: 50,\n  });\n  // SQLite lock waits: small batches\n  await run({ name: 'other' });\n}\n"
        ));
    }

    #[test]
    fn a_trailing_comment_goes_with_its_line() {
        insta::assert_snapshot!(run(
            "const queue = new PQueue({\n  concurrency: 3, // because of SQLite locks\n  autoStart: true, // because of SQLite locks\n});\n"
        ));
    }

    #[test]
    fn a_comment_wholly_about_the_workaround_goes_anywhere() {
        insta::assert_snapshot!(run(
            "// Оптимизировано для SQLite\nconst poll = 1000;\n/* optimised for SQLite. */\nconst size = 10;\n// Optimized for SQLite: writers wait for the file lock.\nconst wait = 5;\n"
        ));
    }

    /// The false positive found on a multi-dialect ORM adapter: its type docs describe each
    /// dialect's column; no rule edits anything there, so the lines stay.
    #[test]
    fn dialect_docs_that_mention_sqlite_stay() {
        insta::assert_snapshot!(run(r#"export interface DateField {
  /**
   * How the default is stored, per dialect.
   * PostgreSQL: timestamp column, defaultNow() on insert.
   * MySQL: datetime column, CURRENT_TIMESTAMP.
   * SQLite: text column, defaultNow achieved through strftime(…)
   */
  defaultNow?: boolean;
}
export const batch = { batchSize: 50 };
"#));
    }

    #[test]
    fn single_line_block_comments_alone_and_before_code() {
        insta::assert_snapshot!(run(
            "const options = {\n  /* SQLite: keep concurrency low */\n  concurrency: 3,\n  /* sqlite: small batches */ batchSize: 50,\n  limit: 5 /* due to SQLite */,\n};\nconst b = { batchSize: 50 /* due to SQLite */, max: a/* sqlite: x */+b, min: a + /* sqlite: x */+b };\n"
        ));
    }

    #[test]
    fn jsdoc_sentence_of_its_own_goes() {
        insta::assert_snapshot!(run(r#"/**
 * Syncs media files with the storage bucket.
 * Batches are small because of SQLite lock contention.
 *
 * @param job the sync job
 */
export function sync(job: Job, batchSize = 50) {}
"#));
    }

    #[test]
    fn a_sentence_over_two_lines_goes_whole_and_the_blank_line_before_it_too() {
        insta::assert_snapshot!(run(r#"/**
 * Syncs media files with the storage bucket.
 *
 * Batches are small because of SQLite lock contention on
 * the database file.
 */
export function sync(batchSize = 50) {}
"#));
    }

    /// The cut found on real files: a summary and a sentence half gone, an empty `@remarks`.
    #[test]
    fn no_summary_is_cut_and_no_sentence_is_cut_in_half() {
        insta::assert_snapshot!(run(r#"/**
 * Retries writes while SQLite busy errors last.
 *
 * @remarks
 * The lock shows up as SQLITE_BUSY from the SQLite busy handler
 * or as message strings (e.g. "database is locked")…
 * Network errors are retried too.
 */
export async function retry(concurrency = 3) {}
/**
 * Queue.
 * Fast. SQLite lock avoidance keeps it steady.
 */
export const q = { concurrency: 3 };
/**
 * Queue options.
 * SQLite: one writer at a time, so
 * keep it low.
 * More text after.
 */
export const r = { batchSize: 50 };
"#));
    }

    #[test]
    fn a_tag_goes_with_its_text_unless_more_text_stays_under_it() {
        insta::assert_snapshot!(run(r#"/**
 * Queue options.
 *
 * @remarks
 * SQLite: one writer at a time.
 */
export const a = { concurrency: 3 };
/**
 * Queue options.
 *
 * @remarks
 * SQLite: one writer at a time.
 * The UI polls every second.
 */
export const b = { concurrency: 3 };
"#));
    }

    #[test]
    fn a_comment_every_line_of_which_goes_goes_whole() {
        insta::assert_snapshot!(run(r#"export const config = {
  /**
   * SQLite: one writer at a time.
   *
   * Keep parallelism low for SQLite.
   */
  concurrency: 3,
};
"#));
    }

    #[test]
    fn line_comments_one_under_the_other_are_one_comment() {
        insta::assert_snapshot!(run(r#"export const config = {
  // The queue drains every second.
  // SQLite: one writer at a time.
  // Retries back off exponentially.
  concurrency: 3,
  // Batches are small because of SQLite lock contention
  // on the single database file.
  batchSize: 50,
};
export const more = {
  // We keep batches like this
  // because of SQLite lock contention, and
  // the UI likes them.
  batchSize: 50,
  // Unrelated: SQLite busy timeouts are set elsewhere.
  concurrency: 2,
};
"#));
    }

    #[test]
    fn delimiter_lines_are_reviewed_not_cut() {
        insta::assert_snapshot!(run(r#"/* SQLite: writes are serialized.
 * The queue drains every second.
 */
const a = { concurrency: 3 };
/*
 * The queue drains every second.
 * Tuned for SQLite lock behaviour. */
const b = { concurrency: 3 };
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
        let rules = load_pack("test.toml", PACK).unwrap();
        let rules: Vec<_> = rules.iter().collect();
        let source = "\u{feff}// optimized for SQLite\r\nconst a = { concurrency: 3 }; // due to SQLite\r\n/**\r\n * Fast.\r\n *\r\n * SQLite lock avoidance.\r\n */\r\nconst b = { batchSize: 50 };\r\n";
        let result = rewrite("a.ts", source, Lang::TypeScript, &rules)
            .result
            .unwrap();
        assert_eq!(
            result,
            "\u{feff}const a = { concurrency: 10 };\r\n/**\r\n * Fast.\r\n */\r\nconst b = { batchSize: 200 };\r\n"
        );
    }

    #[test]
    fn multi_line_comment_between_code_is_reviewed() {
        insta::assert_snapshot!(run(
            "const c = { concurrency: 3 }; /* sqlite: first\n   sqlite lock second */ const d = 4;\n"
        ));
    }

    #[test]
    fn unrelated_comment_mentioning_sqlite_stays() {
        insta::assert_snapshot!(run(
            "// Dev database is SQLite by default, see .env\nconst url = { batchSize: 50 };\n"
        ));
    }

    /// An edit inside a comment (a renamed `{@link}`) is no edit of the code it explains.
    #[test]
    fn edits_inside_comments_do_not_count() {
        use crate::kinds::{FileContext, Sink};
        use crate::source::{LineIndex, parse};
        let rules = load_pack("test.toml", PACK).unwrap();
        let rule = rules.iter().find(|r| &*r.id == "sqlite-comments").unwrap();
        let text = "/** SQLite: busy errors are retried, see {@link oldName}. */\nexport const limit = 4;\n";
        let parsed = parse(text, Lang::TypeScript).unwrap();
        let lines = LineIndex::new(text);
        let file = FileContext {
            path: "a.ts",
            text,
            parsed: &parsed,
            lines: &lines,
        };
        let link = text.find("oldName").unwrap();
        let mut sink = Sink::default();
        let inside_the_comment = link..link + 7;
        rule.imp
            .run_after(&file, std::slice::from_ref(&inside_the_comment), &mut sink);
        assert!(sink.edits.is_empty(), "{:?}", sink.edits);
        let code = text.find('4').unwrap();
        let mut sink = Sink::default();
        rule.imp
            .run_after(&file, &[inside_the_comment, code..code + 1], &mut sink);
        assert_eq!(sink.edits.len(), 1, "{:?}", sink.edits);
    }

    #[test]
    fn two_matching_comments_on_one_line() {
        insta::assert_snapshot!(run(
            "const a = { batchSize: 50 }; /* sqlite: a */ /* sqlite: b */\nconst b = 2;\n// optimized for SQLite"
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
