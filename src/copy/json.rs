//! JSON checks and the canonical form both sides of a copy are compared in: objects with keys
//! sorted and duplicates resolved as `jsonb` resolves them (the last wins), numbers as exact
//! normalised decimals, strings re-escaped one way. PostgreSQL's `jsonb` refuses `\u0000` and
//! lone surrogates; they are reported here, before anything is written.

use std::collections::BTreeMap;

use super::decimal::Decimal;

enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn error<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("not JSON: {what} at byte {}", self.at))
    }

    fn blank(&mut self) {
        while self.at < self.text.len()
            && matches!(self.text[self.at], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > 1000 {
            return self.error("nesting too deep");
        }
        self.blank();
        match self.text.get(self.at) {
            None => self.error("unexpected end"),
            Some(b'{') => {
                self.at += 1;
                let mut map = BTreeMap::new();
                self.blank();
                if self.text.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Ok(Json::Object(map));
                }
                loop {
                    self.blank();
                    if self.text.get(self.at) != Some(&b'"') {
                        return self.error("expected a key");
                    }
                    let key = self.string()?;
                    self.blank();
                    if self.text.get(self.at) != Some(&b':') {
                        return self.error("expected `:`");
                    }
                    self.at += 1;
                    let value = self.value(depth + 1)?;
                    map.insert(key, value);
                    self.blank();
                    match self.text.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Json::Object(map));
                        }
                        _ => return self.error("expected `,` or `}`"),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.blank();
                if self.text.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.blank();
                    match self.text.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return self.error("expected `,` or `]`"),
                    }
                }
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while self.at < self.text.len()
                    && matches!(
                        self.text[self.at],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.text[start..self.at]).unwrap_or("");
                if !valid_number(text) {
                    self.at = start;
                    return self.error("a malformed number");
                }
                Ok(Json::Number(text.to_string()))
            }
            Some(_) => self.error("unexpected character"),
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.text[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            self.error("unexpected word")
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self
            .text
            .get(self.at..self.at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                self.at += 4;
                Ok(v)
            }
            None => self.error("a bad \\u escape"),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.text.get(self.at) else {
                return self.error("an unclosed string");
            };
            match c {
                b'"' => {
                    self.at += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.at += 1;
                    let Some(&e) = self.text.get(self.at) else {
                        return self.error("an unclosed string");
                    };
                    self.at += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first) {
                                if !self.text[self.at..].starts_with(b"\\u") {
                                    return self
                                        .error("a lone surrogate \\u escape (jsonb refuses it)");
                                }
                                self.at += 2;
                                let second = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&second) {
                                    return self
                                        .error("a lone surrogate \\u escape (jsonb refuses it)");
                                }
                                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&first) {
                                return self
                                    .error("a lone surrogate \\u escape (jsonb refuses it)");
                            } else {
                                first
                            };
                            if code == 0 {
                                return self.error("\\u0000 (jsonb refuses it)");
                            }
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return self.error("a bad escape"),
                    }
                }
                c if c < 0x20 => return self.error("a control character in a string"),
                _ => {
                    // Copy one UTF-8 sequence; the input is a &str so it is well formed.
                    let len = match c {
                        0..=0x7f => 1,
                        0xc0..=0xdf => 2,
                        0xe0..=0xef => 3,
                        _ => 4,
                    };
                    out.push_str(
                        std::str::from_utf8(&self.text[self.at..self.at + len])
                            .unwrap_or("\u{fffd}"),
                    );
                    self.at += len;
                }
            }
        }
    }
}

fn valid_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

fn parse(text: &str) -> Result<Json, String> {
    let mut reader = Reader {
        text: text.as_bytes(),
        at: 0,
    };
    let value = reader.value(0)?;
    reader.blank();
    if reader.at != reader.text.len() {
        return reader.error("text after the value");
    }
    Ok(value)
}

/// Checks that `text` is JSON that `jsonb` accepts.
pub fn check(text: &str) -> Result<(), String> {
    parse(text).map(|_| ())
}

/// The canonical form of JSON text (see the module doc).
pub fn canonical(text: &str) -> Result<String, String> {
    let value = parse(text)?;
    let mut out = String::with_capacity(text.len());
    write(&value, &mut out);
    Ok(out)
}

fn write(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match Decimal::parse(n) {
            Some(d) => out.push_str(&d.normalized()),
            None => out.push_str(n),
        },
        Json::String(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_agree_as_jsonb_does() {
        assert_eq!(
            canonical(r#" { "b" : [1.50, 1e2, -0.0], "a": "x\u00e9\ud83d\ude00", "b": true } "#)
                .unwrap(),
            r#"{"a":"xé😀","b":true}"#
        );
        assert_eq!(canonical("[1.0, 10e-1, 100]").unwrap(), "[1,1,100]");
        assert_eq!(canonical(r#""a\/b\n""#).unwrap(), r#""a/b\n""#);
        assert_eq!(canonical("3.14").unwrap(), "3.14");
    }

    #[test]
    fn refuses_what_jsonb_refuses() {
        for bad in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "NaN",
            "Infinity",
            r#""\u0000""#,
            r#""\ud800""#,
            r#""\udc00x""#,
            "{\"a\" 1}",
            "[1] x",
            "\"tab\there\"",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
