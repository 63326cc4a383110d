//! Source files as the engine sees them: the language chosen from the file name, a swc parse
//! whose spans map straight to byte offsets of the original text (BOM included), the comments
//! in source order, and line/column lookup.

use std::ops::Range;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use swc_common::BytePos;
use swc_common::comments::{CommentKind, SingleThreadedComments};
use swc_common::{Span, Spanned};
use swc_ecma_ast::Program;
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax};

/// swc reserves `BytePos(0)` for dummy spans, so every parse starts at 1 and spans are shifted
/// back by this much to become byte offsets.
const POS_BASE: u32 = 1;

/// UTF-8 byte order mark; kept in the text, skipped by the parser.
pub const BOM: &str = "\u{feff}";

/// The syntax a file is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    TypeScript,
    Tsx,
    TypeScriptDeclaration,
    JavaScript,
}

impl Lang {
    /// The language for a path, or `None` when pgshift does not read files of that kind.
    pub fn from_path(path: &str) -> Option<Lang> {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            return Some(Lang::TypeScriptDeclaration);
        }
        let ext = name.rsplit_once('.')?.1;
        match ext {
            "ts" | "mts" | "cts" => Some(Lang::TypeScript),
            "tsx" => Some(Lang::Tsx),
            "js" | "jsx" | "mjs" | "cjs" => Some(Lang::JavaScript),
            _ => None,
        }
    }

    fn syntax(self) -> Syntax {
        match self {
            Lang::TypeScript => Syntax::Typescript(TsSyntax {
                decorators: true,
                ..Default::default()
            }),
            Lang::TypeScriptDeclaration => Syntax::Typescript(TsSyntax {
                decorators: true,
                dts: true,
                ..Default::default()
            }),
            Lang::Tsx => Syntax::Typescript(TsSyntax {
                tsx: true,
                decorators: true,
                ..Default::default()
            }),
            Lang::JavaScript => Syntax::Es(EsSyntax {
                jsx: true,
                decorators: true,
                import_attributes: true,
                ..Default::default()
            }),
        }
    }
}

/// One comment, with its byte range in the original text (delimiters included).
#[derive(Debug, Clone)]
pub struct SourceComment {
    pub range: Range<usize>,
    pub block: bool,
    /// The text between the delimiters.
    pub text: String,
}

/// A successful parse.
pub struct Parsed {
    pub program: Program,
    /// Every comment of the file, sorted by position.
    pub comments: Vec<SourceComment>,
}

/// Why a file could not be parsed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

/// Parses `text` strictly: any error, even one swc recovers from, is a failure, because a
/// recovered tree may not describe the file and must not be edited.
pub fn parse(text: &str, lang: Lang) -> Result<Parsed, ParseError> {
    // swc backtracks exponentially on some tiny inputs (`x(<s>` nested 30 times takes hours):
    // the parse runs on a helper thread of the calling thread, and a file that takes longer
    // than the deadline is reported as not parsing. A helper stuck on such a file is abandoned
    // (it ends with the process) and the next parse starts a new one.
    let job = (Arc::<str>::from(text), lang);
    let outcome = PARSE_HELPER.with_borrow_mut(|helper| {
        if helper.is_none() {
            *helper = ParseHelper::start();
        }
        let running = helper.as_ref()?;
        if running.jobs.send(Job::Parse(job.0, job.1)).is_err() {
            *helper = None;
            return None;
        }
        match running.results.recv_timeout(PARSE_DEADLINE) {
            Ok(result) => Some(result),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                *helper = None;
                Some(Err(ParseError {
                    offset: 0,
                    message: format!(
                        "parsing took longer than {} s (swc backtracks exponentially on some inputs)",
                        PARSE_DEADLINE.as_secs()
                    ),
                }))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                *helper = None;
                Some(Err(ParseError {
                    offset: 0,
                    message: "the parser crashed".to_string(),
                }))
            }
        }
    });
    // No helper thread could be started: parse here, without a deadline.
    outcome.unwrap_or_else(|| parse_here(text, lang))
}

/// How long one parse may take before the file is given up on.
pub const PARSE_DEADLINE: Duration = Duration::from_secs(10);

/// Stack of a parse helper: deeply nested code recurses deeply.
const PARSE_STACK: usize = 16 * 1024 * 1024;

/// What a parse helper is asked to do.
enum Job {
    Parse(Arc<str>, Lang),
    /// Free a tree it made: the allocator frees fastest on the thread that allocated, and the
    /// caller goes on meanwhile.
    Drop(Program),
}

/// A long-lived thread that parses for one calling thread.
struct ParseHelper {
    jobs: mpsc::Sender<Job>,
    results: mpsc::Receiver<Result<Parsed, ParseError>>,
}

impl ParseHelper {
    fn start() -> Option<ParseHelper> {
        let (jobs, job_receiver) = mpsc::channel::<Job>();
        let (result_sender, results) = mpsc::channel();
        std::thread::Builder::new()
            .name("pgshift-parse".into())
            .stack_size(PARSE_STACK)
            .spawn(move || {
                for job in job_receiver {
                    match job {
                        Job::Parse(text, lang) => {
                            if result_sender.send(parse_here(&text, lang)).is_err() {
                                break;
                            }
                        }
                        Job::Drop(program) => drop(program),
                    }
                }
            })
            .ok()?;
        Some(ParseHelper { jobs, results })
    }
}

impl Drop for Parsed {
    // The tree goes back to the helper that made it, when this thread has one.
    fn drop(&mut self) {
        let program = std::mem::replace(
            &mut self.program,
            Program::Script(swc_ecma_ast::Script {
                span: swc_common::DUMMY_SP,
                body: Vec::new(),
                shebang: None,
            }),
        );
        let left = PARSE_HELPER
            .try_with(|cell| match cell.try_borrow() {
                Ok(helper) => match helper.as_ref() {
                    Some(helper) => match helper.jobs.send(Job::Drop(program)) {
                        Ok(()) => None,
                        Err(mpsc::SendError(Job::Drop(program))) => Some(program),
                        Err(_) => None,
                    },
                    None => Some(program),
                },
                Err(_) => Some(program),
            })
            .unwrap_or(None);
        drop(left);
    }
}

thread_local! {
    static PARSE_HELPER: std::cell::RefCell<Option<ParseHelper>> = const { std::cell::RefCell::new(None) };
}

fn parse_here(text: &str, lang: Lang) -> Result<Parsed, ParseError> {
    let bom = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[bom..];
    let start = BytePos(POS_BASE + bom as u32);
    let end = BytePos(POS_BASE + text.len() as u32);
    let comments = SingleThreadedComments::default();
    // swc's parser has inputs it panics on (`<a:b.c>` in JSX reaches an `unreachable!`): such a
    // file does not parse, and the rest of the run goes on.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut parser = Parser::new(
            lang.syntax(),
            StringInput::new(body, start, end),
            Some(&comments),
        );
        let result = parser.parse_program();
        (result, parser.take_errors())
    }));
    let (result, recovered) = match parsed {
        Ok(parsed) => parsed,
        Err(panic) => {
            return Err(ParseError {
                offset: 0,
                message: format!("the parser crashed ({})", panic_message(&*panic)),
            });
        }
    };
    let program = match result {
        Ok(program) => program,
        Err(error) => return Err(parse_error(&error)),
    };
    if let Some(error) = recovered.first() {
        return Err(parse_error(error));
    }
    Ok(Parsed {
        program,
        comments: collect_comments(comments, text),
    })
}

/// The message a panic carried, for reporting a caught one.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

fn parse_error(error: &swc_ecma_parser::error::Error) -> ParseError {
    ParseError {
        offset: offset(error.span().lo),
        message: error.kind().msg().to_string(),
    }
}

fn collect_comments(comments: SingleThreadedComments, text: &str) -> Vec<SourceComment> {
    let (leading, trailing) = comments.take_all();
    let mut all: Vec<SourceComment> = Vec::new();
    for map in [leading, trailing] {
        for list in map.borrow().values() {
            for comment in list {
                let range = span_range(comment.span);
                if range.end > text.len() {
                    continue;
                }
                all.push(SourceComment {
                    range,
                    block: comment.kind == CommentKind::Block,
                    text: comment.text.to_string(),
                });
            }
        }
    }
    all.sort_by_key(|c| c.range.start);
    all.dedup_by_key(|c| c.range.start);
    all
}

/// Byte offset of a swc position.
pub fn offset(pos: BytePos) -> usize {
    pos.0.saturating_sub(POS_BASE) as usize
}

/// Byte range of a swc span.
pub fn span_range(span: Span) -> Range<usize> {
    offset(span.lo)..offset(span.hi)
}

/// Line starts of a text, for turning offsets into 1-based line and column numbers.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text));
        LineIndex { starts }
    }

    /// 1-based line and 1-based column (in characters) of `offset`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let mut line_start = self.starts[line];
        if line == 0 && text.starts_with(BOM) && offset >= BOM.len() {
            line_start = BOM.len();
        }
        let column = text
            .get(line_start..offset)
            .map_or(offset - line_start, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// 0-based line number of `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// Byte range of 0-based line `line`, without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> Range<usize> {
        let start = self.starts.get(line).copied().unwrap_or(text.len());
        let mut end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        let bytes = text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
            if end > start && bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        start..end
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_offsets_of_the_original_text_with_a_bom() {
        let text = "\u{feff}const a = 1;\r\n// note\r\n";
        let parsed = parse(text, Lang::TypeScript).unwrap();
        let comment = &parsed.comments[0];
        assert_eq!(&text[comment.range.clone()], "// note");
        assert_eq!(comment.text, " note");
    }

    #[test]
    fn recovered_errors_fail_the_parse() {
        assert!(parse("const a = ;", Lang::TypeScript).is_err());
        assert!(parse("function f( {", Lang::TypeScript).is_err());
    }

    #[test]
    fn language_from_path() {
        assert_eq!(Lang::from_path("a/b.tsx"), Some(Lang::Tsx));
        assert_eq!(
            Lang::from_path("a/b.d.ts"),
            Some(Lang::TypeScriptDeclaration)
        );
        assert_eq!(Lang::from_path("a/b.cjs"), Some(Lang::JavaScript));
        assert_eq!(Lang::from_path("a/b.json"), None);
    }

    #[test]
    fn line_and_column() {
        let text = "ab\ncd\r\nef";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 4), (2, 2));
        assert_eq!(index.line_range(text, 1), 3..5);
        assert_eq!(index.line_col(text, 7), (3, 1));
    }
}
