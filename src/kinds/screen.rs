//! Screens: regexes a rule runs over a file's whole text, before it is parsed, to rule the file
//! out (see [`super::RuleKind::may_fire`]). A screen must match wherever the rule could find
//! something, so each one here is built to match a superset of what the rule looks for.

use regex::Regex;
use regex_syntax::ParserBuilder;
use regex_syntax::hir::{Hir, HirKind};

/// One regex matching wherever any of `patterns` matches inside any slice of a text.
///
/// A rule that matches its patterns against slices of the file (the text of a comment, one line
/// of it) may use anchors that hold at the slice's edges but not in the whole text: `^` at the
/// start of a comment's text sits after `//` in the file. Dropping every assertion (`^`, `$`,
/// `\b`, `\B`) only widens what a regex matches, so the result matches the whole text wherever
/// an original pattern matched a slice of it.
pub fn anywhere(patterns: &[String], case_insensitive: bool) -> Result<Regex, String> {
    let mut alternatives = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let hir = ParserBuilder::new()
            .case_insensitive(case_insensitive)
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string())?;
        alternatives.push(without_assertions(hir));
    }
    Regex::new(&Hir::alternation(alternatives).to_string()).map_err(|e| e.to_string())
}

fn without_assertions(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Look(_) | HirKind::Empty => Hir::empty(),
        HirKind::Literal(literal) => Hir::literal(literal.0),
        HirKind::Class(class) => Hir::class(class),
        HirKind::Repetition(mut repetition) => {
            repetition.sub = Box::new(without_assertions(*repetition.sub));
            Hir::repetition(repetition)
        }
        HirKind::Capture(mut capture) => {
            capture.sub = Box::new(without_assertions(*capture.sub));
            Hir::capture(capture)
        }
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(without_assertions).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.into_iter().map(without_assertions).collect())
        }
    }
}

/// What may stand between two tokens: blanks (JavaScript's, U+FEFF included) and comments.
pub const GAP: &str = r"(?:[\s\x{FEFF}]|/\*(?s:.*?)\*/|//[^\n\r\x{2028}\x{2029}]*)*";

/// A regex matching wherever one of `keys` could be a key of an object literal property:
/// `key:`, `'key':`, `"key":` or the shorthand `{ key }` / `{ key, … }`, with blanks or
/// comments before the `:`, `,` or `}`. With `string_value`, only `key: value` where the
/// value can be a string or template literal (after parentheses or a `<T>` assertion).
pub fn property_key(keys: &[String], string_value: bool) -> WordScreen {
    let names = keys
        .iter()
        .map(|k| regex::escape(k))
        .collect::<Vec<_>>()
        .join("|");
    let after = if string_value {
        format!(r#":{GAP}(?:\({GAP})*['"`<]"#)
    } else {
        "[:,}]".to_string()
    };
    WordScreen::new(&format!(r#"(?:{names})['"]?{GAP}{after}"#))
}

/// A regex matching wherever one of `names` could be called or used as a template tag: the
/// name, then blanks or comments, then `` ` ``, `(`, `<` (type arguments) or `?.`.
pub fn invoked(names: &[String]) -> WordScreen {
    let names = names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|");
    WordScreen::new(&format!(r"(?:{names}){GAP}(?:[`(<]|\?\.)"))
}

/// A regex that must match where a word starts: not right after a letter, digit, `_` or `$`.
///
/// The regex starts with the words themselves, so the regex engine finds them with its SIMD
/// literal search; the character before each match is checked here. (A leading
/// `(?:^|[^\w$])` in the regex would hide the words from that search and cost a scan of every
/// byte.) A quote before the word counts as a start, as it does for `'key':`.
pub struct WordScreen {
    regex: Regex,
}

impl WordScreen {
    fn new(pattern: &str) -> WordScreen {
        WordScreen {
            regex: Regex::new(pattern).expect("escaped words always make a valid regex"),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        let mut at = 0;
        while let Some(found) = self.regex.find_at(text, at) {
            let before = text[..found.start()].chars().next_back();
            // Fewer characters count as part of a word than `\w` has (marks, joiners), so
            // more matches pass: the screen stays a superset.
            if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$')) {
                return true;
            }
            // The next search starts one character later: a word may start inside this match.
            at = found.start()
                + text[found.start()..]
                    .chars()
                    .next()
                    .map_or(1, char::len_utf8);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anywhere_drops_anchors_and_keeps_the_rest() {
        let screen = anywhere(
            &[r"^\s*sqlite\s*:\s*\p{L}".into(), r"\bbusy\b$".into()],
            true,
        )
        .unwrap();
        assert!(screen.is_match("x = 1; // SQLite: lock"));
        assert!(screen.is_match("/* very busy */"));
        assert!(screen.is_match("notbusyness"));
        assert!(!screen.is_match("sqlite 3"));
        assert!(!screen.is_match("a postgres file"));
    }

    #[test]
    fn anywhere_is_case_sensitive_when_asked() {
        let screen = anywhere(&["SQLite".into()], false).unwrap();
        assert!(screen.is_match("SQLite"));
        assert!(!screen.is_match("sqlite"));
    }

    #[test]
    fn anywhere_reports_a_bad_pattern() {
        assert!(anywhere(&["(".into()], true).is_err());
    }

    #[test]
    fn property_keys_in_every_spelling() {
        let keys = ["contains".to_string(), "startsWith".to_string()];
        let screen = property_key(&keys, false);
        for text in [
            "{ contains: q }",
            "{contains:q}",
            "{ 'contains': q }",
            "{ \"startsWith\" : q }",
            "{ contains }",
            "{ contains, mode }",
            "{ contains /* why */ : q }",
            "{ contains // why\n : q }",
            "{\n  contains\n}",
        ] {
            assert!(screen.is_match(text), "{text}");
        }
        for text in [
            "list.contains(x)",
            "// contains the where clause",
            "containsAll: 1",
            "xcontains: 1",
            "type T = { contains(x: string): boolean }",
        ] {
            assert!(!screen.is_match(text), "{text}");
        }
    }

    #[test]
    fn invoked_names_in_every_spelling() {
        let screen = invoked(&["sql".to_string(), "$queryRawUnsafe".to_string()]);
        for text in [
            "sql`SELECT 1`",
            "sql `SELECT 1`",
            "sql /* tag */ `SELECT 1`",
            "sql\u{feff}`SELECT 1`",
            "sql<Row>`SELECT 1`",
            "db.$queryRawUnsafe('SELECT 1')",
            "db.$queryRawUnsafe\n  ('SELECT 1')",
            "db.$queryRawUnsafe<Row[]>('SELECT 1')",
            "db.$queryRawUnsafe?.('SELECT 1')",
        ] {
            assert!(screen.is_match(text), "{text}");
        }
        for text in [
            "const sql = 1;",
            "nosql`x`",
            "mysql(`x`)",
            "// the sql of it",
            "$queryRawUnsafe: string",
        ] {
            assert!(!screen.is_match(text), "{text}");
        }
    }

    #[test]
    fn property_keys_with_a_string_value() {
        let screen = property_key(&["path".to_string()], true);
        for text in [
            "{ path: '$.a' }",
            "{ path: \"$.a\" }",
            "{ path: `$.a` }",
            "{ path: ('$.a') }",
            "{ path: ( /* x */ '$.a') }",
            "{ path: <string>'$.a' }",
            "{ 'path' : '$.a' }",
        ] {
            assert!(screen.is_match(text), "{text}");
        }
        for text in [
            "{ path: ['a'] }",
            "{ path }",
            "{ path: p }",
            "path: string;",
        ] {
            assert!(!screen.is_match(text), "{text}");
        }
    }
}
