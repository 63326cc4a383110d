//! Turning the engine's report into findings and summaries for people (`path:line:col`
//! lines with the source line and a caret) and for machines (JSON, GitHub annotations).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pgshift::engine::{FileReport, Problem, ProjectReport};
use pgshift::rules::Rule;
use pgshift::source::LineIndex;
use serde::Serialize;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A rule would change the code here.
    Change,
    /// A rule would not edit this place; a person must look.
    Review,
    /// The file could not be checked.
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub rule: String,
    pub kind: FindingKind,
    pub message: String,
    #[serde(skip)]
    pub source_line: Option<String>,
    /// For a change: the end of the replaced text and what replaces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    pub end_line: usize,
    pub end_column: usize,
    pub replacement: String,
}

/// Which text positions refer to: the file as it was read, or as `apply` left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Positions {
    Original,
    Result,
}

/// Every finding of a report, in path and position order.
pub fn findings(
    report: &ProjectReport,
    rules: &[Rule],
    positions: Positions,
    display: &dyn Fn(&FileReport) -> String,
) -> Vec<Finding> {
    let message_of = |id: &str| {
        rules
            .iter()
            .find(|r| &*r.id == id)
            .map(|r| r.message.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for file in &report.files {
        let path = display(file);
        let original = file.original.as_deref().unwrap_or("");
        let shown = match positions {
            Positions::Result => file.result.as_deref().unwrap_or(original),
            Positions::Original => original,
        };
        let lines = LineIndex::new(shown);
        let at = |offset: usize| {
            let (line, column) = lines.line_col(shown, offset);
            let source = shown
                .get(lines.line_range(shown, line - 1))
                .map(str::to_string);
            (line, column, source)
        };
        if let Some(problem) = &file.problem {
            let offset = match problem {
                Problem::Unparseable { offset, .. } | Problem::Conflict { offset, .. } => {
                    Some(*offset)
                }
                _ => None,
            };
            let (line, column, source_line) = match offset {
                Some(offset) if !original.is_empty() => {
                    let lines = LineIndex::new(original);
                    let (l, c) = lines.line_col(original, offset);
                    (
                        l,
                        c,
                        original
                            .get(lines.line_range(original, l - 1))
                            .map(str::to_string),
                    )
                }
                _ => (1, 1, None),
            };
            out.push(Finding {
                path: path.clone(),
                line,
                column,
                rule: "pgshift".into(),
                kind: FindingKind::Error,
                message: problem.describe(),
                source_line,
                fix: None,
            });
        }
        if positions == Positions::Original {
            for change in &file.changes {
                let (line, column, source_line) = at(change.original.start);
                let (end_line, end_column, _) = at(change.original.end);
                let replacement = file
                    .result
                    .as_deref()
                    .and_then(|result| result.get(change.result.clone()))
                    .unwrap_or("")
                    .to_string();
                out.push(Finding {
                    path: path.clone(),
                    line,
                    column,
                    rule: change.rule.to_string(),
                    kind: FindingKind::Change,
                    message: message_of(&change.rule),
                    source_line,
                    fix: Some(Fix {
                        end_line,
                        end_column,
                        replacement,
                    }),
                });
            }
        }
        for review in &file.reviews {
            let offset = match positions {
                Positions::Original => review.original_offset,
                Positions::Result => review.range.start,
            };
            let (line, column, source_line) = at(offset);
            out.push(Finding {
                path: path.clone(),
                line,
                column,
                rule: review.rule.to_string(),
                kind: FindingKind::Review,
                message: review.message.clone(),
                source_line,
                fix: None,
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    out.dedup_by(|a, b| {
        a.path == b.path
            && a.line == b.line
            && a.column == b.column
            && a.rule == b.rule
            && a.message == b.message
    });
    out
}

/// `path:line:col: [rule] message`, the source line and a caret under the column.
pub fn human(findings: &[Finding], color: bool) -> String {
    use anstyle::{AnsiColor, Style};
    let (bold, rule_style, caret, gutter) = if color {
        (
            Style::new().bold(),
            AnsiColor::Magenta.on_default(),
            AnsiColor::Yellow.on_default().bold(),
            AnsiColor::Blue.on_default(),
        )
    } else {
        Default::default()
    };
    let mut out = String::new();
    for f in findings {
        let tag = match f.kind {
            FindingKind::Change => "",
            FindingKind::Review => "review: ",
            FindingKind::Error => "error: ",
        };
        let _ = writeln!(
            out,
            "{bold}{}:{}:{}:{bold:#} {rule_style}[{}]{rule_style:#} {tag}{}",
            f.path, f.line, f.column, f.rule, f.message
        );
        if let Some(source) = &f.source_line {
            let number = f.line.to_string();
            let pad = " ".repeat(number.len());
            let source = source.trim_start_matches('\u{feff}');
            let before: String = source
                .chars()
                .take(f.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{gutter}{number} |{gutter:#} {source}");
            let _ = writeln!(out, "{gutter}{pad} |{gutter:#} {before}{caret}^{caret:#}");
        }
    }
    out
}

/// GitHub workflow commands, one per finding.
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.kind {
            FindingKind::Change | FindingKind::Error => "error",
            FindingKind::Review => "warning",
        };
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},title={}::{}",
            escape_property(&f.path),
            f.line,
            f.column,
            escape_property(&format!("pgshift {}", f.rule)),
            escape_data(&f.message)
        );
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The run summary for diff and apply (stderr).
pub fn summary(
    report: &ProjectReport,
    rules: &[Rule],
    applied: bool,
    reviews: &[Finding],
    color: bool,
) -> String {
    let bold = if color {
        anstyle::Style::new().bold()
    } else {
        anstyle::Style::new()
    };
    let changed: Vec<&FileReport> = report.files.iter().filter(|f| f.result.is_some()).collect();
    let edits: usize = changed.iter().map(|f| f.changes.len()).sum();
    let skipped: Vec<&FileReport> = report
        .files
        .iter()
        .filter(|f| f.problem.is_some())
        .collect();
    let verb = if applied { "changed" } else { "would change" };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{bold}pgshift:{bold:#} {} {verb} ({edits} edits), {} to review, {} not processed; {} files seen, {} parsed",
        plural(changed.len(), "file"),
        plural(reviews.len(), "place"),
        plural(skipped.len(), "file"),
        report.files_seen,
        report.files_parsed
    );
    let mut per_rule: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for file in &changed {
        let mut counted = Vec::new();
        for change in &file.changes {
            if let Some(index) = rules.iter().position(|r| r.id == change.rule) {
                let entry = per_rule.entry(index).or_default();
                entry.0 += 1;
                if !counted.contains(&index) {
                    counted.push(index);
                    entry.1 += 1;
                }
            }
        }
    }
    let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for (index, (edit_count, file_count)) in &per_rule {
        let _ = writeln!(
            out,
            "  {:width$}  {} in {}",
            rules[*index].id,
            plural(*edit_count, "edit"),
            plural(*file_count, "file")
        );
    }
    if !reviews.is_empty() {
        let _ = writeln!(out, "{bold}needs review{bold:#} (not edited):");
        for f in reviews {
            let _ = writeln!(
                out,
                "  {}:{}:{}: [{}] {}",
                f.path, f.line, f.column, f.rule, f.message
            );
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "{bold}not processed:{bold:#}");
        for f in skipped {
            let problem = f
                .problem
                .as_ref()
                .map(Problem::describe)
                .unwrap_or_default();
            let _ = writeln!(out, "  {}: {problem}", f.path.rel);
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "{bold}notes:{bold:#}");
        for note in &report.notes {
            let _ = writeln!(out, "  {note}");
        }
    }
    out
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// SARIF 2.1.0: the rules as tool metadata, each finding a result, each change with its fix.
pub fn sarif(findings: &[Finding], rules: &[Rule]) -> serde_json::Value {
    use serde_json::json;
    let mut descriptors: Vec<serde_json::Value> = rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id.as_ref(),
                "name": rule.id.as_ref(),
                "shortDescription": { "text": rule.message },
                "fullDescription": { "text": format!("{} (kind `{}`, from {})", rule.message, rule.kind, rule.origin) },
                "defaultConfiguration": { "level": "error" },
                "properties": { "kind": rule.kind }
            })
        })
        .collect();
    let mut ids: Vec<String> = rules.iter().map(|r| r.id.to_string()).collect();
    for (id, text) in [
        (
            "pgshift",
            "a file pgshift could not check (unreadable, not UTF-8, too large, does not parse)",
        ),
        (
            pgshift::engine::SUPPRESSION_RULE,
            "a suppression comment that names no loaded rule",
        ),
    ] {
        ids.push(id.to_string());
        descriptors.push(json!({
            "id": id,
            "name": id,
            "shortDescription": { "text": text },
            "defaultConfiguration": { "level": "error" }
        }));
    }
    let results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            let level = match f.kind {
                FindingKind::Review => "warning",
                FindingKind::Change | FindingKind::Error => "error",
            };
            let uri = uri_encode(&f.path);
            let mut result = json!({
                "ruleId": f.rule,
                "level": level,
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.line, "startColumn": f.column }
                    }
                }],
                "properties": { "pgshiftKind": f.kind }
            });
            if let Some(index) = ids.iter().position(|id| *id == f.rule) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(fix) = &f.fix {
                result["fixes"] = json!([{
                    "description": { "text": f.message },
                    "artifactChanges": [{
                        "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                        "replacements": [{
                            "deletedRegion": {
                                "startLine": f.line,
                                "startColumn": f.column,
                                "endLine": fix.end_line,
                                "endColumn": fix.end_column
                            },
                            "insertedContent": { "text": fix.replacement }
                        }]
                    }]
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pgshift",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://crates.io/crates/pgshift",
                    "rules": descriptors
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    })
}

/// A relative path as a URI reference: unreserved characters and `/` stay, the rest is
/// percent-encoded (Next.js folders like `[id]` need it).
fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The Prisma schema check's findings, as `check` shows findings.
pub fn schema_findings(root: &std::path::Path) -> Result<Vec<Finding>, String> {
    Ok(schema_findings_of(
        root,
        pgshift::prisma_schema::check_project(root)?,
    ))
}

/// Findings of the schema check, as `check` shows findings; paths are relative to `root`.
pub fn schema_findings_of(
    root: &std::path::Path,
    found: Vec<pgshift::prisma_schema::SchemaFinding>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in found {
        let text = std::fs::read_to_string(root.join(&f.path)).unwrap_or_default();
        let lines = LineIndex::new(&text);
        let source_line = text
            .get(lines.line_range(&text, f.line - 1))
            .map(str::to_string);
        out.push(Finding {
            path: f.path,
            line: f.line,
            column: f.column,
            rule: f.rule.to_string(),
            kind: FindingKind::Review,
            message: f.message,
            source_line,
            fix: None,
        });
    }
    out
}
