//! The Prisma schema before the move: what changes meaning on PostgreSQL (autoincrement ids
//! whose sequences must be moved past copied rows, `Json` fields, `Decimal` fields), and the
//! PostgreSQL copy of the schema that `init-postgres` writes (the datasource provider swapped,
//! every other byte kept).
//!
//! The reader is deliberately small: blocks (`model`, `datasource`, …), field lines and block
//! attributes, with `//` comments stripped. It does not validate the schema; Prisma does that.

use std::ops::Range;
use std::path::Path;

use serde::Serialize;

/// Rule ids of the schema findings.
pub const AUTOINCREMENT: &str = "schema-autoincrement";
pub const JSON: &str = "schema-json";
pub const DECIMAL: &str = "schema-decimal";

/// One finding in a schema file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaFinding {
    /// The schema's path as given (relative to the project root when found by [`find_schema`]).
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub rule: &'static str,
    pub message: String,
}

/// Where Prisma looks for the schema: `prisma.schema` in package.json, else
/// `prisma/schema.prisma`, else `schema.prisma`. Returns the path relative to `root`. Only a
/// schema that is one file; [`crate::prisma_project::locate`] finds every layout Prisma reads.
pub fn find_schema(root: &Path) -> Option<String> {
    let configured = std::fs::read_to_string(root.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json["prisma"]["schema"].as_str().map(str::to_string));
    let candidates = configured.into_iter().chain([
        "prisma/schema.prisma".to_string(),
        "schema.prisma".to_string(),
    ]);
    for candidate in candidates {
        let candidate = candidate.trim_start_matches("./").to_string();
        if root.join(&candidate).is_file() {
            return Some(candidate);
        }
    }
    None
}

/// Checks the project's schema, wherever Prisma finds it (one file or a folder of them, see
/// [`crate::prisma_project::locate`]). Nothing is reported when there is no schema, or when its
/// datasource is not SQLite (the move is done, or was never about SQLite). A schema that cannot
/// be read is an error.
pub fn check_project(root: &Path) -> Result<Vec<SchemaFinding>, String> {
    let Some(project) = crate::prisma_project::locate(root, None).map_err(|e| e.to_string())?
    else {
        return Ok(Vec::new());
    };
    if !project.is_sqlite() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for file in &project.files {
        let path = crate::prisma_project::slash(&file.path);
        out.extend(check_sqlite_schema(&path, &file.text));
    }
    Ok(out)
}

/// One line of a schema, with comments stripped.
struct Line<'a> {
    /// 0-based line number.
    number: usize,
    /// Byte offset of the line in the file.
    start: usize,
    /// The line without its `//` comment and line ending.
    code: &'a str,
    /// The whole line, comment included.
    full: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (number, raw) in text.split_inclusive('\n').enumerate() {
        let full = raw.trim_end_matches(['\n', '\r']);
        out.push(Line {
            number,
            start,
            code: strip_comment(full),
            full,
        });
        start += raw.len();
    }
    out
}

/// The line up to a `//` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            return &line[..i];
        }
    }
    line
}

/// `code` with the text inside string literals blanked, so `@default("autoincrement()")` is not
/// an attribute.
fn blank_strings(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in code.chars() {
        if in_string {
            if escaped {
                escaped = false;
                out.push(' ');
            } else if c == '\\' {
                escaped = true;
                out.push(' ');
            } else if c == '"' {
                in_string = false;
                out.push(c);
            } else {
                out.push(' ');
            }
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// A block of the schema: `model Media { … }`.
struct Block {
    keyword: String,
    name: String,
    /// Line numbers of the lines strictly inside the braces.
    body: Range<usize>,
}

fn blocks(lines: &[Line]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, String, usize)> = None;
    for line in lines {
        let code = line.code.trim();
        match &open {
            None => {
                let mut words = code.split_whitespace();
                if let (Some(keyword), Some(name)) = (words.next(), words.next())
                    && code.ends_with('{')
                {
                    let name = name.trim_end_matches('{').to_string();
                    open = Some((keyword.to_string(), name, line.number + 1));
                }
            }
            Some((keyword, name, first)) => {
                if code == "}" {
                    out.push(Block {
                        keyword: keyword.clone(),
                        name: name.clone(),
                        body: *first..line.number,
                    });
                    open = None;
                }
            }
        }
    }
    out
}

/// The string argument of an attribute such as `@map("x")` or `@@map(name: "x")`.
fn attribute_string(code: &str, attribute: &str) -> Option<String> {
    let at = find_attribute(code, attribute)?;
    let rest = &code[at + attribute.len()..];
    let rest = rest.trim_start().strip_prefix('(')?;
    let open = rest.find('"')?;
    let close = rest[open + 1..].find('"')?;
    Some(rest[open + 1..open + 1 + close].to_string())
}

/// Where `attribute` (e.g. `@map`) starts in `code` as a whole attribute name.
fn find_attribute(code: &str, attribute: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = code[from..].find(attribute) {
        let at = from + found;
        let after = code[at + attribute.len()..].chars().next();
        let before = code[..at].chars().next_back();
        if !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
            && before != Some('@')
        {
            return Some(at);
        }
        from = at + attribute.len();
    }
    None
}

/// The datasource's provider: its value and the byte range of the value (inside the quotes).
pub fn datasource_provider(text: &str) -> Option<(String, Range<usize>)> {
    let lines = lines(text);
    let block = blocks(&lines)
        .into_iter()
        .find(|b| b.keyword == "datasource")?;
    for line in &lines[block.body.clone()] {
        let code = line.code;
        let trimmed = code.trim_start();
        let Some(rest) = trimmed.strip_prefix("provider") else {
            continue;
        };
        let rest_trimmed = rest.trim_start();
        let Some(value) = rest_trimmed.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let Some(inner) = value.strip_prefix('"') else {
            continue;
        };
        let close = inner.find('"')?;
        let value_start = line.start + (code.len() - inner.len());
        return Some((inner[..close].to_string(), value_start..value_start + close));
    }
    None
}

/// The PostgreSQL copy of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresCopy {
    pub text: String,
    /// The provider the original names.
    pub old_provider: String,
    /// 1-based line of the provider.
    pub line: usize,
    /// Things a person should know about the copy (a literal SQLite URL, …).
    pub notes: Vec<String>,
}

/// `text` with the datasource provider set to `postgresql`; every other byte is kept.
pub fn postgresql_copy(text: &str) -> Result<PostgresCopy, String> {
    let (old, range) = datasource_provider(text).ok_or_else(|| {
        "no `datasource` block with a `provider = \"…\"` line in the Prisma schema".to_string()
    })?;
    let mut copy = String::with_capacity(text.len() + 8);
    copy.push_str(&text[..range.start]);
    copy.push_str("postgresql");
    copy.push_str(&text[range.end..]);
    let line = text[..range.start].matches('\n').count() + 1;
    let mut notes = Vec::new();
    let all = lines(text);
    if let Some(block) = blocks(&all).into_iter().find(|b| b.keyword == "datasource") {
        for l in &all[block.body.clone()] {
            let code = l.code.trim_start();
            if let Some(rest) = code.strip_prefix("url")
                && let Some(value) = rest.trim_start().strip_prefix('=')
                && value.trim_start().starts_with('"')
            {
                notes.push(format!(
                    "the datasource url on line {} is a literal, not env(\"DATABASE_URL\"): the PostgreSQL schema needs `url = env(\"DATABASE_URL\")` to read .env.postgresql; change it there by hand",
                    l.number + 1
                ));
            }
        }
    }
    Ok(PostgresCopy {
        text: copy,
        old_provider: old,
        line,
        notes,
    })
}

/// Whether the line before `line` silences `rule` with `// pgshift-ignore-next-line`.
fn silenced(lines: &[Line], line: usize, rule: &str) -> bool {
    let Some(previous) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
        return false;
    };
    let Some(at) = previous.full.find(crate::engine::suppress::MARKER) else {
        return false;
    };
    let rest = &previous.full[at + crate::engine::suppress::MARKER.len()..];
    let ids: Vec<&str> = rest
        .trim_start()
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    ids.is_empty() || ids.contains(&rule)
}

/// Findings for one schema text. Only a SQLite schema has any: the findings are about copying
/// its data to PostgreSQL and what reads differently there.
pub fn check_schema(path: &str, text: &str) -> Vec<SchemaFinding> {
    match datasource_provider(text) {
        Some((provider, _)) if provider == "sqlite" => check_sqlite_schema(path, text),
        _ => Vec::new(),
    }
}

/// Findings for one file of a schema whose datasource (in this file or another of the folder)
/// says sqlite.
pub fn check_sqlite_schema(path: &str, text: &str) -> Vec<SchemaFinding> {
    let lines = lines(text);
    let mut out = Vec::new();
    for block in blocks(&lines) {
        if block.keyword != "model" {
            continue;
        }
        let body = &lines[block.body.clone()];
        let table = body
            .iter()
            .find_map(|l| {
                l.code
                    .trim_start()
                    .starts_with("@@map")
                    .then(|| attribute_string(l.code, "@@map"))
                    .flatten()
            })
            .unwrap_or_else(|| block.name.clone());
        for line in body {
            let code = line.code.trim_start();
            if code.is_empty() || code.starts_with("@@") {
                continue;
            }
            let mut words = code.split_whitespace();
            let (Some(field), Some(ty)) = (words.next(), words.next()) else {
                continue;
            };
            let base_type = ty.trim_end_matches('?').trim_end_matches("[]");
            let column = line.code.len() - code.len() + 1;
            let name = format!("{}.{field}", block.name);
            let mut push = |rule: &'static str, message: String| {
                if !silenced(&lines, line.number, rule) {
                    out.push(SchemaFinding {
                        path: path.to_string(),
                        line: line.number + 1,
                        column,
                        rule,
                        message,
                    });
                }
            };
            if blank_strings(code)
                .replace(' ', "")
                .contains("@default(autoincrement())")
            {
                let db_column = attribute_string(code, "@map").unwrap_or_else(|| field.to_string());
                push(
                    AUTOINCREMENT,
                    format!(
                        "`{name}` is `@default(autoincrement())`: on PostgreSQL the ids come from a sequence, which starts at 1 however many rows are copied in from SQLite, so the next insert fails on the unique id (P2002). After copying the data run: SELECT setval(pg_get_serial_sequence('\"{table}\"', '{db_column}'), COALESCE(MAX(\"{db_column}\"), 0) + 1, false) FROM \"{table}\";"
                    ),
                );
            }
            if base_type == "Json" {
                push(
                    JSON,
                    format!(
                        "`{name}` is `Json`: PostgreSQL stores it as jsonb, which keeps neither key order nor duplicate keys, and Json filters take `path` as an array of keys (`path: ['a', 'b']`), not SQLite's `'$.a.b'` string (the sqlite-json-path-string rule finds those): check the filters on this field"
                    ),
                );
            }
            if base_type == "Decimal" {
                push(
                    DECIMAL,
                    format!(
                        "`{name}` is `Decimal`: SQLite keeps it as a floating-point number (about 15 significant digits), PostgreSQL as an exact decimal(65,30); copied values keep any rounding they already had, and sums and comparisons can differ in the last digits: set the precision with `@db.Decimal(p, s)` in the PostgreSQL schema and check the copied values"
                    ),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "sqlite" // the dev database
  url      = env("DATABASE_URL")
}

model Invoice {
  id        Int      @id @default(autoincrement())
  number    BigInt   @default(autoincrement()) @map("invoice_no")
  total     Decimal
  discount  Decimal?
  meta      Json?
  // autoincrement() in a comment, Json, Decimal
  note      String   @default("Decimal Json autoincrement()")
  createdAt DateTime @default(now())

  @@map("invoices")
}

model Tag {
  id   String @id @default(cuid())
  name String @unique
  // pgshift-ignore-next-line schema-json — only ever read whole
  data Json
}
"#;

    #[test]
    fn findings_for_a_sqlite_schema() {
        let findings = check_schema("prisma/schema.prisma", SCHEMA);
        let summary: Vec<String> = findings
            .iter()
            .map(|f| format!("{}:{}:{} {}", f.path, f.line, f.column, f.rule))
            .collect();
        assert_eq!(
            summary,
            [
                "prisma/schema.prisma:11:3 schema-autoincrement",
                "prisma/schema.prisma:12:3 schema-autoincrement",
                "prisma/schema.prisma:13:3 schema-decimal",
                "prisma/schema.prisma:14:3 schema-decimal",
                "prisma/schema.prisma:15:3 schema-json",
            ]
        );
        assert!(findings[0].message.contains(
            "SELECT setval(pg_get_serial_sequence('\"invoices\"', 'id'), COALESCE(MAX(\"id\"), 0) + 1, false) FROM \"invoices\";"
        ));
        assert!(findings[1].message.contains("'invoice_no'"));
        insta::assert_snapshot!(
            findings
                .iter()
                .map(|f| format!("{}:{}: [{}] {}", f.line, f.column, f.rule, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn nothing_for_schemas_without_those_fields_or_not_on_sqlite() {
        let plain = "datasource db {\n  provider = \"sqlite\"\n  url = env(\"DATABASE_URL\")\n}\n\nmodel Media {\n  id String @id @default(cuid())\n  size Int\n  label String // Json Decimal autoincrement()\n}\n";
        assert!(check_schema("schema.prisma", plain).is_empty());
        let postgres = SCHEMA.replace("\"sqlite\"", "\"postgresql\"");
        assert!(check_schema("schema.prisma", &postgres).is_empty());
    }

    #[test]
    fn the_copy_changes_only_the_provider() {
        let copy = postgresql_copy(SCHEMA).unwrap();
        assert_eq!(copy.old_provider, "sqlite");
        assert_eq!(copy.line, 6);
        assert!(copy.notes.is_empty());
        let diff: Vec<(&str, &str)> = SCHEMA
            .lines()
            .zip(copy.text.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            diff,
            [(
                "  provider = \"sqlite\" // the dev database",
                "  provider = \"postgresql\" // the dev database"
            )]
        );
        // The generator's provider is not the datasource's.
        assert!(copy.text.contains("provider = \"prisma-client-js\""));
        let crlf = SCHEMA.replace('\n', "\r\n");
        let copy = postgresql_copy(&crlf).unwrap();
        assert_eq!(copy.text, crlf.replace("\"sqlite\"", "\"postgresql\""));
    }

    #[test]
    fn a_literal_url_is_noted_and_no_datasource_is_an_error() {
        let literal = "datasource db {\n  provider = \"sqlite\"\n  url = \"file:./dev.db\"\n}\n";
        let copy = postgresql_copy(literal).unwrap();
        assert_eq!(copy.notes.len(), 1, "{:?}", copy.notes);
        assert!(postgresql_copy("model A {\n  id Int @id\n}\n").is_err());
    }

    #[test]
    fn the_schema_is_found_where_prisma_looks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_schema(dir.path()), None);
        std::fs::write(dir.path().join("schema.prisma"), "").unwrap();
        assert_eq!(find_schema(dir.path()).as_deref(), Some("schema.prisma"));
        std::fs::create_dir(dir.path().join("prisma")).unwrap();
        std::fs::write(dir.path().join("prisma/schema.prisma"), "").unwrap();
        assert_eq!(
            find_schema(dir.path()).as_deref(),
            Some("prisma/schema.prisma")
        );
        std::fs::create_dir(dir.path().join("db")).unwrap();
        std::fs::write(dir.path().join("db/app.prisma"), SCHEMA).unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{ "prisma": { "schema": "./db/app.prisma" } }"#,
        )
        .unwrap();
        assert_eq!(find_schema(dir.path()).as_deref(), Some("db/app.prisma"));
        let findings = check_project(dir.path()).unwrap();
        assert_eq!(findings.len(), 5);
        assert_eq!(findings[0].path, "db/app.prisma");
    }
}
