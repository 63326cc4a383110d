//! A JSON reader that keeps byte ranges, so `package.json` can be edited by splicing: the new
//! scripts go in after the last existing one, in the file's own indentation, key separator and
//! line endings, and every other byte stays as it was. Values are decoded with serde_json.

use std::ops::Range;

/// A JSON value and where it is.
#[derive(Debug, Clone)]
pub struct Value {
    pub range: Range<usize>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Object(Vec<Member>),
    Array(Vec<Value>),
    String(String),
    /// Numbers, booleans and null: not needed beyond their range.
    Other,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub key: String,
    pub key_range: Range<usize>,
    pub value: Value,
}

impl Value {
    pub fn members(&self) -> Option<&[Member]> {
        match &self.kind {
            Kind::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Member> {
        self.members()?.iter().find(|m| m.key == key)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses a whole document (a leading BOM is allowed).
pub fn parse(text: &str) -> Result<Value, String> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: if text.starts_with('\u{feff}') { 3 } else { 0 },
    };
    parser.space();
    let value = parser.value(0)?;
    parser.space();
    if parser.at != text.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

const MAX_DEPTH: usize = 256;

impl Parser<'_> {
    fn error(&self, message: &str) -> String {
        let line = self.text[..self.at.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        format!("{message} (line {line})")
    }

    fn space(&mut self) {
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", byte as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        let start = self.at;
        match self.bytes.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                self.space();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.space();
                        let key_start = self.at;
                        let key = self.string()?;
                        let key_range = key_start..self.at;
                        self.space();
                        self.expect(b':')?;
                        self.space();
                        let value = self.value(depth + 1)?;
                        members.push(Member {
                            key,
                            key_range,
                            value,
                        });
                        self.space();
                        match self.bytes.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.error("expected `,` or `}`")),
                        }
                    }
                }
                Ok(Value {
                    range: start..self.at,
                    kind: Kind::Object(members),
                })
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                } else {
                    loop {
                        self.space();
                        items.push(self.value(depth + 1)?);
                        self.space();
                        match self.bytes.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.error("expected `,` or `]`")),
                        }
                    }
                }
                Ok(Value {
                    range: start..self.at,
                    kind: Kind::Array(items),
                })
            }
            Some(b'"') => {
                let s = self.string()?;
                Ok(Value {
                    range: start..self.at,
                    kind: Kind::String(s),
                })
            }
            Some(_) => {
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
                {
                    self.at += 1;
                }
                let token = &self.text[start..self.at];
                if token.is_empty() || serde_json::from_str::<serde_json::Value>(token).is_err() {
                    return Err(self.error("expected a JSON value"));
                }
                Ok(Value {
                    range: start..self.at,
                    kind: Kind::Other,
                })
            }
            None => Err(self.error("unexpected end of the file")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let start = self.at;
        self.expect(b'"')?;
        loop {
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    break;
                }
                Some(b'\\') => self.at += 2,
                Some(_) => self.at += 1,
                None => return Err(self.error("unterminated string")),
            }
        }
        serde_json::from_str(&self.text[start..self.at]).map_err(|e| self.error(&e.to_string()))
    }
}

/// The whitespace before the key at `offset`, from the start of its line, when the key starts
/// its line (the file's indentation for that level).
fn indentation_at(text: &str, offset: usize) -> Option<&str> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    before
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then_some(before)
}

/// Adds `entries` (already JSON-encoded values) to the object `object` of the document `text`,
/// after its last member, following the file's layout. `parent_indent` is the indentation of
/// the member that holds `object` (for an empty object that has no layout of its own).
pub fn insert_members(
    text: &str,
    object: &Value,
    parent_indent: &str,
    unit: &str,
    entries: &[(String, String)],
) -> String {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let members = object.members().unwrap_or(&[]);
    let mut out = String::with_capacity(text.len() + 512);
    match members.last() {
        Some(last) => {
            let first = &members[0];
            let separator = &text[first.key_range.end..first.value.range.start];
            let multi_line = text[object.range.start..first.key_range.start].contains('\n');
            let mut added = String::new();
            if multi_line {
                let indent = indentation_at(text, first.key_range.start)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{parent_indent}{unit}"));
                for (key, value) in entries {
                    added.push_str(&format!(
                        ",{eol}{indent}{}{separator}{value}",
                        json_string(key)
                    ));
                }
            } else {
                let comma = members.get(1).map_or(", ", |second| {
                    &text[members[0].value.range.end..second.key_range.start]
                });
                for (key, value) in entries {
                    added.push_str(&format!("{comma}{}{separator}{value}", json_string(key)));
                }
            }
            out.push_str(&text[..last.value.range.end]);
            out.push_str(&added);
            out.push_str(&text[last.value.range.end..]);
        }
        None => {
            let indent = format!("{parent_indent}{unit}");
            let mut body = String::from("{");
            for (i, (key, value)) in entries.iter().enumerate() {
                body.push_str(if i == 0 { "" } else { "," });
                body.push_str(&format!("{eol}{indent}{}: {value}", json_string(key)));
            }
            body.push_str(&format!("{eol}{parent_indent}}}"));
            out.push_str(&text[..object.range.start]);
            out.push_str(&body);
            out.push_str(&text[object.range.end..]);
        }
    }
    out
}

/// The indentation of the top level's members (two spaces when it cannot be told).
pub fn top_level_indent(text: &str, document: &Value) -> String {
    document
        .members()
        .and_then(|m| m.first())
        .and_then(|first| indentation_at(text, first.key_range.start))
        .filter(|s| !s.is_empty())
        .unwrap_or("  ")
        .to_string()
}

pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(text: &str, entries: &[(&str, &str)]) -> String {
        let doc = parse(text).unwrap();
        let unit = top_level_indent(text, &doc);
        let scripts = &doc.get("scripts").unwrap().value;
        let entries: Vec<(String, String)> = entries
            .iter()
            .map(|(k, v)| (k.to_string(), json_string(v)))
            .collect();
        insert_members(text, scripts, &unit, &unit, &entries)
    }

    #[test]
    fn ranges_and_values() {
        let text = "\u{feff}{ \"a\": [1, true, null], \"b\": {\"c\": \"d\\\"e\"} }";
        let doc = parse(text).unwrap();
        let b = doc.get("b").unwrap();
        assert_eq!(&text[b.key_range.clone()], "\"b\"");
        assert_eq!(b.value.get("c").unwrap().value.as_str(), Some("d\"e"));
        assert!(parse("{\"a\": }").is_err());
        assert!(parse("{\"a\": 1} x").is_err());
    }

    #[test]
    fn appends_in_the_files_layout() {
        let two = "{\n  \"name\": \"x\",\n  \"scripts\": {\n    \"dev\": \"next dev\"\n  }\n}\n";
        assert_eq!(
            add(two, &[("pg:up", "docker compose up")]),
            "{\n  \"name\": \"x\",\n  \"scripts\": {\n    \"dev\": \"next dev\",\n    \"pg:up\": \"docker compose up\"\n  }\n}\n"
        );
        let tabs = "{\r\n\t\"scripts\": {\r\n\t\t\"dev\":\"next dev\"\r\n\t}\r\n}";
        assert_eq!(
            add(tabs, &[("a", "b")]),
            "{\r\n\t\"scripts\": {\r\n\t\t\"dev\":\"next dev\",\r\n\t\t\"a\":\"b\"\r\n\t}\r\n}"
        );
        let inline = "{\"scripts\": {\"dev\": \"next dev\", \"build\": \"next build\"}}";
        assert_eq!(
            add(inline, &[("a", "b")]),
            "{\"scripts\": {\"dev\": \"next dev\", \"build\": \"next build\", \"a\": \"b\"}}"
        );
        let empty = "{\n    \"scripts\": {}\n}\n";
        assert_eq!(
            add(empty, &[("a", "b"), ("c", "d")]),
            "{\n    \"scripts\": {\n        \"a\": \"b\",\n        \"c\": \"d\"\n    }\n}\n"
        );
    }
}
