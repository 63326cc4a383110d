//! The migration report (the plan's Stage 8): a Markdown account of what `apply` removed — per
//! rule, every file and line, before → after — the places left for a person, the SQLite-isms
//! still in the code, and, given `pgshift verify --format json` output, the verification
//! verdict with its numbers. Rendering only; the caller writes the file.

use std::fmt::Write as _;
use std::ops::Range;

use crate::engine::{FileReport, ProjectReport};
use crate::rules::Rule;
use crate::source::LineIndex;

/// A finding as the report lists it.
#[derive(Debug, Clone)]
pub struct Item {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub rule: String,
    pub message: String,
}

/// What the report is made from.
pub struct Input<'a> {
    /// The project root as the user named it.
    pub root: &'a str,
    pub project: &'a ProjectReport,
    pub rules: &'a [Rule],
    /// Files whose write failed (their edits are listed as not made).
    pub failed: &'a [String],
    /// Stage 5 places left for review, positioned in the files as `apply` left them.
    pub reviews: &'a [Item],
    /// Stage 4 findings (SQLite-isms, the schema), when they were looked for.
    pub sqlite_isms: Option<&'a [Item]>,
    /// The project's SQLite origin, which decides what was looked for (`None`: the root is no
    /// Prisma project).
    pub sqlite_origin: Option<&'a crate::packs::Origin>,
    /// `pgshift verify --format json` output.
    pub verify: Option<&'a serde_json::Value>,
}

/// Lines of a cell shown at most; the rest are counted.
const MAX_CELL_LINES: usize = 6;

/// Checks that `value` looks like `pgshift verify --format json` output.
pub fn validate_verify(value: &serde_json::Value) -> Result<(), String> {
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    if !value["status"].is_string() {
        return Err("no `status`: is it `pgshift verify --format json` output?".into());
    }
    if !value["checks"].is_array() {
        return Err("no `checks` list: is it `pgshift verify --format json` output?".into());
    }
    Ok(())
}

/// A Markdown code span holding `text` whatever backticks it has; `|` is escaped for tables.
fn code(text: &str) -> String {
    let text = text.trim().trim_start_matches('\u{feff}');
    if text.is_empty() {
        return String::new();
    }
    // The fence is one backtick longer than the longest run inside.
    let run = text
        .as_bytes()
        .split(|&b| b != b'`')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(run + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

/// Plain text for a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The whole lines of `text` that `range` touches (an empty range: its line), 0-based.
fn lines_of(index: &LineIndex, range: &Range<usize>) -> Range<usize> {
    let first = index.line_of(range.start);
    let last_offset = if range.end > range.start {
        range.end - 1
    } else {
        range.start
    };
    first..index.line_of(last_offset) + 1
}

fn show_lines(text: &str, index: &LineIndex, lines: Range<usize>) -> String {
    let all: Vec<String> = lines
        .clone()
        .map(|l| text[index.line_range(text, l)].to_string())
        .filter(|l| !l.trim().is_empty())
        .collect();
    if all.is_empty() {
        return "*(blank)*".into();
    }
    let mut shown: Vec<String> = all.iter().take(MAX_CELL_LINES).map(|l| code(l)).collect();
    if all.len() > MAX_CELL_LINES {
        shown.push(format!("*… {} more lines*", all.len() - MAX_CELL_LINES));
    }
    shown.join("<br>")
}

/// One row of a rule's table: where, before, after.
struct Row {
    path: String,
    before_line: usize,
    after_line: usize,
    before: String,
    after: String,
}

fn rows_for(file: &FileReport, rule: &str) -> Vec<Row> {
    let (Some(original), Some(result)) = (&file.original, &file.result) else {
        return Vec::new();
    };
    let old_index = LineIndex::new(original);
    let new_index = LineIndex::new(result);
    // Edits of one rule on overlapping lines are one row.
    let mut spans: Vec<(Range<usize>, Range<usize>, bool)> = Vec::new();
    for change in file.changes.iter().filter(|c| &*c.rule == rule) {
        let old_lines = lines_of(&old_index, &change.original);
        let new_lines = lines_of(&new_index, &change.result);
        // Whole lines deleted: the original span runs from a line start to a line start.
        let at_line_start = |offset: usize| offset == 0 || original.as_bytes()[offset - 1] == b'\n';
        let removed_lines = change.result.is_empty()
            && !change.original.is_empty()
            && at_line_start(change.original.start)
            && (change.original.end == original.len() || at_line_start(change.original.end));
        spans.push((old_lines, new_lines, removed_lines));
    }
    spans.sort_by_key(|s| (s.0.start, s.0.end));
    let mut merged: Vec<(Range<usize>, Range<usize>, bool)> = Vec::new();
    for (old, new, removed) in spans {
        match merged.last_mut() {
            Some(last) if old.start < last.0.end => {
                last.0.end = last.0.end.max(old.end);
                last.1 = last.1.start.min(new.start)..last.1.end.max(new.end);
                last.2 &= removed;
            }
            _ => merged.push((old, new, removed)),
        }
    }
    merged
        .into_iter()
        .map(|(old_lines, new_lines, removed)| Row {
            path: file.path.rel.clone(),
            before_line: old_lines.start + 1,
            after_line: new_lines.start + 1,
            before: show_lines(original, &old_index, old_lines),
            after: if removed {
                "*(removed)*".into()
            } else {
                show_lines(result, &new_index, new_lines)
            },
        })
        .collect()
}

pub fn render(input: &Input) -> String {
    let mut out = String::new();
    let project = input.project;
    let written: Vec<&FileReport> = project
        .files
        .iter()
        .filter(|f| f.result.is_some() && !input.failed.contains(&f.path.rel))
        .collect();
    let edits: usize = written.iter().map(|f| f.changes.len()).sum();
    let skipped: Vec<&FileReport> = project
        .files
        .iter()
        .filter(|f| f.problem.is_some())
        .collect();

    let _ = writeln!(out, "# Migration report: SQLite → PostgreSQL\n");
    let _ = writeln!(
        out,
        "Written by `pgshift apply --report` (pgshift {}) for `{}`. It lists what Stage 5 removed, rule by rule, every file and line before → after; what is left for a person; and the verification verdict.\n",
        env!("CARGO_PKG_VERSION"),
        input.root
    );
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| files changed | {} |", written.len());
    let _ = writeln!(out, "| edits | {edits} |");
    let _ = writeln!(out, "| places left for review | {} |", input.reviews.len());
    let _ = writeln!(out, "| files not processed | {} |", skipped.len());
    if !input.failed.is_empty() {
        let _ = writeln!(
            out,
            "| files that could not be written | {} |",
            input.failed.len()
        );
    }
    if let Some(isms) = input.sqlite_isms {
        match input.sqlite_origin {
            Some(origin) if origin.phase == crate::packs::Phase::NoSqliteOrigin => {
                let _ = writeln!(
                    out,
                    "| SQLite-isms still in the code | not looked for (no SQLite origin) |"
                );
            }
            _ => {
                let _ = writeln!(out, "| SQLite-isms still in the code | {} |", isms.len());
            }
        }
    }
    let verdict = match input.verify {
        Some(v) => format!(
            "**{}** ({})",
            v["status"].as_str().unwrap_or("?"),
            plural(v["warnings"].as_u64().unwrap_or(0) as usize, "warning")
        ),
        None => "not included (`--verify-json FILE` from `pgshift verify --format json`)".into(),
    };
    let _ = writeln!(out, "| verification | {verdict} |\n");

    let _ = writeln!(out, "## What Stage 5 removed\n");
    if edits == 0 {
        let _ = writeln!(
            out,
            "Nothing: no rule found anything to change (a second `apply` changes nothing).\n"
        );
    }
    for rule in input.rules {
        let mut rows = Vec::new();
        for file in &written {
            rows.extend(rows_for(file, &rule.id));
        }
        if rows.is_empty() {
            continue;
        }
        let count: usize = written
            .iter()
            .flat_map(|f| &f.changes)
            .filter(|c| c.rule == rule.id)
            .count();
        let files = written
            .iter()
            .filter(|f| f.changes.iter().any(|c| c.rule == rule.id))
            .count();
        let _ = writeln!(out, "### `{}`\n", rule.id);
        let _ = writeln!(
            out,
            "{} — {} in {}.\n",
            rule.message,
            plural(count, "edit"),
            plural(files, "file")
        );
        let _ = writeln!(out, "| file:line | before | after |\n|---|---|---|");
        for row in rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                code(&format!(
                    "{}:{} → {}",
                    row.path, row.before_line, row.after_line
                )),
                row.before,
                row.after
            );
        }
        out.push('\n');
    }
    if !input.failed.is_empty() {
        let _ = writeln!(out, "### Not written\n");
        let _ = writeln!(
            out,
            "These files could not be written; their edits are not made and not listed above:\n"
        );
        for path in input.failed {
            let _ = writeln!(out, "- {}", code(path));
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Left for a person\n");
    if input.reviews.is_empty() {
        let _ = writeln!(
            out,
            "Nothing: every workaround the rules know was removed.\n"
        );
    } else {
        let _ = writeln!(
            out,
            "pgshift did not edit these places because an edit could change behaviour or break the code. Lines are those of the files as `apply` left them.\n"
        );
        items_table(&mut out, input.reviews);
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "### Files not processed\n");
        for file in &skipped {
            let problem = file
                .problem
                .as_ref()
                .map(|p| p.describe())
                .unwrap_or_default();
            let _ = writeln!(out, "- {}: {}", code(&file.path.rel), cell(&problem));
        }
        out.push('\n');
    }
    if !project.notes.is_empty() {
        let _ = writeln!(out, "### Notes\n");
        for note in &project.notes {
            let _ = writeln!(out, "- {}", note.replace('\n', " "));
        }
        out.push('\n');
    }

    if let Some(isms) = input.sqlite_isms {
        let _ = writeln!(out, "## SQLite-isms still in the code (Stage 4)\n");
        let looked = match input.sqlite_origin {
            Some(origin) if origin.phase != crate::packs::Phase::NoSqliteOrigin => {
                let _ = writeln!(out, "Looked for because {}.\n", cell(&origin.reason));
                true
            }
            Some(origin) => {
                let _ = writeln!(
                    out,
                    "Not looked for: {} (`pgshift check --pack sqlite-sql --pack sqlite-migration` looks anyway).\n",
                    cell(&origin.reason)
                );
                false
            }
            None => true,
        };
        if looked && isms.is_empty() {
            let _ = writeln!(out, "None found in the sources or the Prisma schema.\n");
        } else if looked {
            let _ = writeln!(
                out,
                "Code that only SQLite accepts or that means something else on PostgreSQL. `pgshift check` keeps reporting the SQL that PostgreSQL rejects (`sqlite-raw-*` but `sqlite-raw-mixed-case`) until it is fixed or silenced with `// pgshift-ignore-next-line RULE — reason`; the rest it reports only while the Prisma schema says sqlite, so this list is where they stay on record.\n"
            );
            items_table(&mut out, isms);
        }
    }

    let _ = writeln!(out, "## Verification (Stage 6)\n");
    match input.verify {
        None => {
            let _ = writeln!(
                out,
                "Not included. Run `pgshift verify --format json > verify.json` against the PostgreSQL server, then `pgshift apply --report FILE.md --verify-json verify.json`.\n"
            );
        }
        Some(verify) => render_verify(&mut out, verify),
    }
    out
}

fn items_table(out: &mut String, items: &[Item]) {
    let _ = writeln!(out, "| file:line:col | rule | why |\n|---|---|---|");
    for item in items {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            code(&format!("{}:{}:{}", item.path, item.line, item.column)),
            item.rule,
            cell(&item.message)
        );
    }
    out.push('\n');
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(match n.as_f64() {
            Some(f) if f.fract() != 0.0 => format!("{f:.2}"),
            _ => n.to_string(),
        }),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Null => Some("—".into()),
        serde_json::Value::Array(items) if items.iter().all(|i| i.is_number()) => Some(
            items
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

fn render_verify(out: &mut String, verify: &serde_json::Value) {
    let _ = writeln!(
        out,
        "Verdict: **{}**, {} (exit code {}).\n",
        verify["status"].as_str().unwrap_or("?"),
        plural(verify["warnings"].as_u64().unwrap_or(0) as usize, "warning"),
        verify["exit_code"]
            .as_u64()
            .map_or("?".to_string(), |c| c.to_string())
    );
    let database = &verify["database"];
    if let Some(url) = database["url"].as_str() {
        let _ = writeln!(
            out,
            "Server: PostgreSQL {} at {}.\n",
            cell(verify["server"]["version"].as_str().unwrap_or("?")),
            code(url)
        );
    }
    if let Some(checks) = verify["checks"].as_array() {
        let _ = writeln!(out, "| check | status | numbers |\n|---|---|---|");
        for check in checks {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(
                    check["title"]
                        .as_str()
                        .unwrap_or_else(|| check["id"].as_str().unwrap_or("?"))
                ),
                check["status"].as_str().unwrap_or("?"),
                cell(check["detail"].as_str().unwrap_or(""))
            );
        }
        out.push('\n');
    }
    if let Some(capacity) = verify["capacity"].as_object() {
        let _ = writeln!(out, "### Capacity\n");
        let _ = writeln!(out, "| | |\n|---|---|");
        for (key, value) in capacity {
            if let Some(shown) = scalar(value) {
                let _ = writeln!(out, "| {} | {} |", key.replace('_', " "), cell(&shown));
            }
        }
        out.push('\n');
    }
    if let Some(runs) = verify["runs"].as_array() {
        let _ = writeln!(out, "### Workload runs\n");
        let _ = writeln!(
            out,
            "| run | files synced | failed | sync time (s) | files/s | timed out | database locked |\n|---|---|---|---|---|---|---|"
        );
        for run in runs {
            let o = &run["outcome"];
            let num = |key: &str| scalar(&o[key]).unwrap_or_else(|| "—".into());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(run["label"].as_str().unwrap_or("?")),
                num("files_synced"),
                num("files_failed"),
                num("sync_seconds"),
                num("files_per_second"),
                num("timed_out"),
                num("database_locked")
            );
        }
        out.push('\n');
    }
    if let Some(notes) = verify["notes"].as_array()
        && !notes.is_empty()
    {
        let _ = writeln!(out, "### Notes from verify\n");
        for note in notes.iter().filter_map(|n| n.as_str()) {
            let _ = writeln!(out, "- {}", note.replace('\n', " "));
        }
        out.push('\n');
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_backticks_and_pipes() {
        assert_eq!(code("a || b"), "`a \\|\\| b`");
        assert_eq!(code("`x(${y})`"), "`` `x(${y})` ``");
        assert_eq!(code("  const a = 1;  "), "`const a = 1;`");
        assert_eq!(code(""), "");
    }

    #[test]
    fn verify_output_is_recognised() {
        assert!(validate_verify(&serde_json::json!({"status": "PASS", "checks": []})).is_ok());
        assert!(validate_verify(&serde_json::json!({"status": "PASS"})).is_err());
        assert!(validate_verify(&serde_json::json!([1])).is_err());
    }
}
