//! `restore-await`: a fire-and-forget call of a retry wrapper whose `.catch` handler only logs —
//! the statement `withDbRetry(…).catch(err => logger.warn(…))` — is awaited again, so that a
//! failed write reaches the caller instead of being swallowed. With `unwrap`, a wrapper around a
//! single expression goes too: `await prisma.x.update(…)`. Where `await` is not allowed, or the
//! handler does more than log, the statement is reported for review instead.

use serde::Deserialize;
use swc_ecma_ast::{
    ArrowExpr, ArrowFunctionBody, CallExpr, Constructor, Expr, ExprStmt, Function, MemberProp,
    StaticBlock, Stmt,
};
use swc_ecma_visit::{Visit, VisitWith};
use toml::Spanned;

use super::ast::{callee_ident, method_call, range_of, unwrap};
use super::{FileContext, KindSpec, ParamError, RuleKind, Sink};
use crate::source::Lang;

pub const SPEC: KindSpec = KindSpec {
    name: "restore-await",
    summary: "await a fire-and-forget wrapper call whose `.catch` handler only logs",
    compile,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The wrapper functions whose swallowed calls are awaited again.
    callees: Spanned<Vec<String>>,
    /// Objects whose method calls count as logging (`logger.warn(…)`, `this.logger.warn(…)`).
    #[serde(default = "default_log_objects")]
    log_objects: Vec<String>,
    /// Replace `wrapper(() => X)` by `await X` instead of `await wrapper(() => X)`.
    #[serde(default)]
    unwrap: bool,
}

fn default_log_objects() -> Vec<String> {
    vec!["logger".into(), "console".into()]
}

struct RestoreAwait {
    params: Params,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    if params.callees.get_ref().is_empty() {
        return Err(ParamError::at(
            "`callees` must name at least one wrapper function",
            params.callees.span(),
        ));
    }
    Ok(Box::new(RestoreAwait { params }))
}

impl RuleKind for RestoreAwait {
    // Calls, object literals and conditions exist only in code that runs.
    fn reads(&self, lang: Lang) -> bool {
        super::runs_code(lang)
    }

    fn triggers(&self) -> Vec<String> {
        // `.catch` is in almost every file; the wrapper's name is what makes a file a candidate.
        self.params.callees.get_ref().clone()
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let mut finder = Finder {
            params: &self.params,
            text: file.text,
            sink,
            functions: Vec::new(),
        };
        file.parsed.program.visit_with(&mut finder);
    }

    fn describe(&self) -> Vec<(String, String)> {
        vec![
            ("callees".into(), self.params.callees.get_ref().join(", ")),
            ("log_objects".into(), self.params.log_objects.join(", ")),
            ("unwrap".into(), self.params.unwrap.to_string()),
        ]
    }
}

/// A statement `CALLEE(args).catch(handler)`, taken apart.
struct Swallowed<'a> {
    /// The whole `CALLEE(args).catch(handler)` expression.
    catch_call: &'a CallExpr,
    /// The object of `.catch`, as written (parentheses and assertions included).
    object: &'a Expr,
    /// The wrapper call itself.
    inner: &'a CallExpr,
    handler: &'a Expr,
}

struct Finder<'a> {
    params: &'a Params,
    text: &'a str,
    sink: &'a mut Sink,
    /// One entry per enclosing function, innermost last: whether `await` is allowed in its body.
    functions: Vec<bool>,
}

impl Finder<'_> {
    fn swallowed<'e>(&self, stmt: &'e ExprStmt) -> Option<Swallowed<'e>> {
        let Expr::Call(catch_call) = unwrap(&stmt.expr) else {
            return None;
        };
        let (object, "catch") = method_call(&catch_call.callee)? else {
            return None;
        };
        let [handler] = catch_call.args.as_slice() else {
            return None;
        };
        if handler.spread.is_some() {
            return None;
        }
        let Expr::Call(inner) = unwrap(object) else {
            return None;
        };
        let name = callee_ident(&inner.callee)?;
        if !self.params.callees.get_ref().iter().any(|c| c == name) {
            return None;
        }
        Some(Swallowed {
            catch_call,
            object,
            inner,
            handler: &handler.expr,
        })
    }

    /// Why removing the handler would change behaviour, or `None` when it only logs.
    fn handler_problem(&self, handler: &Expr) -> Option<String> {
        let more = |what: String| {
            Some(format!(
                "the catch handler does more than log ({what}): removing it would change behaviour"
            ))
        };
        match unwrap(handler) {
            Expr::Arrow(arrow) => match &*arrow.body {
                ArrowFunctionBody::FunctionBody(body) => {
                    self.body_problem(&body.stmts).and_then(more)
                }
                ArrowFunctionBody::Expr(body) => {
                    if self.is_log_call(body) || is_nothing(body) {
                        None
                    } else {
                        more(format!(
                            "its body `{}` is not a log call",
                            snippet(self.text, range_of(&**body))
                        ))
                    }
                }
            },
            Expr::Fn(function) if !function.function.is_generator => {
                let stmts = function
                    .function
                    .body
                    .as_ref()
                    .map_or(&[][..], |b| &b.stmts);
                self.body_problem(stmts).and_then(more)
            }
            // `.catch(logger.warn)`: the log method itself is the handler.
            Expr::Member(member) if self.is_log_object(&member.obj) => None,
            other => Some(format!(
                "the catch handler `{}` is not an inline function that only logs: check what it does, then await the call by hand",
                snippet(self.text, range_of(other))
            )),
        }
    }

    /// What a handler body does besides logging, or `None` when it only logs.
    fn body_problem(&self, stmts: &[Stmt]) -> Option<String> {
        stmts.iter().find_map(|stmt| match stmt {
            Stmt::Empty(_) => None,
            Stmt::Expr(e) if self.is_log_call(&e.expr) => None,
            Stmt::Expr(e) => match unwrap(&e.expr) {
                Expr::Call(call) => Some(format!(
                    "it calls `{}`",
                    snippet(self.text, range_of(&call.callee))
                )),
                _ => Some("it has other statements".to_string()),
            },
            _ => Some("it has other statements".to_string()),
        })
    }

    fn is_log_call(&self, expr: &Expr) -> bool {
        match unwrap(expr) {
            Expr::Call(call) => {
                method_call(&call.callee).is_some_and(|(object, _)| self.is_log_object(object))
            }
            _ => false,
        }
    }

    /// `logger` or `this.logger`, for any name in `log_objects`.
    fn is_log_object(&self, expr: &Expr) -> bool {
        let name = match unwrap(expr) {
            Expr::Ident(ident) => ident.sym.as_ref(),
            Expr::Member(member) if matches!(unwrap(&member.obj), Expr::This(_)) => {
                match &member.prop {
                    MemberProp::Ident(name) => name.sym.as_ref(),
                    _ => return false,
                }
            }
            _ => return false,
        };
        self.params.log_objects.iter().any(|o| o == name)
    }

    /// With `unwrap`: the `X` of `CALLEE(() => X)` or `CALLEE(() => { return X; })`.
    fn unwrapped<'e>(&self, inner: &'e CallExpr) -> Option<&'e Expr> {
        if !self.params.unwrap {
            return None;
        }
        let [argument] = inner.args.as_slice() else {
            return None;
        };
        if argument.spread.is_some() {
            return None;
        }
        let Expr::Arrow(arrow) = unwrap(&argument.expr) else {
            return None;
        };
        // With parameters the wrapper passes something in (an attempt number, a client) that
        // `X` may use: only the wrapper can supply it.
        if !arrow.params.is_empty() {
            return None;
        }
        match &*arrow.body {
            ArrowFunctionBody::Expr(body) => Some(body),
            ArrowFunctionBody::FunctionBody(body) => match body.stmts.as_slice() {
                [Stmt::Return(ret)] => ret.arg.as_deref(),
                _ => None,
            },
        }
    }

    /// `await X`, parenthesised where `await` would bind tighter than `X`'s own operators.
    fn await_text(&self, expr: &Expr) -> String {
        let text = &self.text[range_of(expr)];
        match expr {
            // An async wrapper's `async () => await X`: already awaited.
            Expr::Await(_) => text.to_string(),
            Expr::Call(_)
            | Expr::Member(_)
            | Expr::SuperProp(_)
            | Expr::Ident(_)
            | Expr::Lit(_)
            | Expr::Paren(_)
            | Expr::New(_)
            | Expr::OptChain(_)
            | Expr::Tpl(_)
            | Expr::TaggedTpl(_)
            | Expr::Array(_)
            | Expr::Object(_)
            | Expr::This(_)
            | Expr::Unary(_)
            | Expr::TsNonNull(_) => format!("await {text}"),
            _ => format!("await ({text})"),
        }
    }

    fn statement(&mut self, stmt: &ExprStmt, found: Swallowed<'_>) {
        if let Some(problem) = self.handler_problem(found.handler) {
            self.sink.review(range_of(found.handler), problem);
            stmt.visit_children_with(self);
            return;
        }
        match self.functions.last() {
            Some(true) => {}
            Some(false) => {
                self.sink.review(
                    range_of(stmt),
                    "`await` is not allowed here: the enclosing function is not async; make it async (and check its callers) or await the call by hand",
                );
                stmt.visit_children_with(self);
                return;
            }
            // Top-level await depends on the file being an ES module and on tsc's `module` and
            // `target` settings, which a codemod cannot see: a person decides.
            None => {
                self.sink.review(
                    range_of(stmt),
                    "`await` is not allowed here: the statement is at the top level of the file, where `await` depends on the module settings; await the call by hand",
                );
                stmt.visit_children_with(self);
                return;
            }
        }
        if let Some(body) = self.unwrapped(found.inner) {
            // The wrapper goes whole; any swallowed call inside `X` is found again on the next
            // round, in the rewritten text.
            self.sink
                .replace(range_of(found.catch_call), self.await_text(body));
            return;
        }
        let object = range_of(found.object);
        self.sink.insert(object.start, "await ");
        self.sink.delete(object.end..range_of(found.catch_call).end);
        // The handler is deleted; only the wrapper call can hold more work.
        found.object.visit_with(self);
    }

    fn within<T: VisitWith<Self> + ?Sized>(&mut self, may_await: bool, node: &T) {
        self.functions.push(may_await);
        node.visit_children_with(self);
        self.functions.pop();
    }
}

/// `.catch(() => undefined)` and the like swallow the error without a word, as `() => {}` does.
fn is_nothing(expr: &Expr) -> bool {
    match unwrap(expr) {
        Expr::Ident(ident) => ident.sym == "undefined",
        Expr::Lit(swc_ecma_ast::Lit::Null(_)) => true,
        Expr::Unary(u) => {
            u.op == swc_ecma_ast::UnaryOp::Void && matches!(unwrap(&u.arg), Expr::Lit(_))
        }
        _ => false,
    }
}

/// Source text for a message: one line, at most 60 characters.
fn snippet(text: &str, range: std::ops::Range<usize>) -> String {
    let raw = text.get(range).unwrap_or_default();
    let first = raw.lines().next().unwrap_or_default().trim_end();
    let short: String = first.chars().take(60).collect();
    if short.len() < raw.len() {
        format!("{short}…")
    } else {
        short
    }
}

impl Visit for Finder<'_> {
    fn visit_expr_stmt(&mut self, stmt: &ExprStmt) {
        match self.swallowed(stmt) {
            Some(found) => self.statement(stmt, found),
            None => stmt.visit_children_with(self),
        }
    }

    // Function declarations and expressions, methods, getters and setters (never async).
    fn visit_function(&mut self, function: &Function) {
        self.within(function.is_async, function);
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        self.within(arrow.is_async, arrow);
    }

    fn visit_constructor(&mut self, constructor: &Constructor) {
        self.within(false, constructor);
    }

    fn visit_static_block(&mut self, block: &StaticBlock) {
        self.within(false, block);
    }
}

#[cfg(test)]
mod tests {
    use crate::kinds::testing::run_rule;

    const RULE: &str = r#"
[[rule]]
id = "progress-await"
kind = "restore-await"
message = "progress writes are awaited again"
callees = ["withDbRetry", "withNetworkRetry"]
"#;

    const UNWRAP_RULE: &str = r#"
[[rule]]
id = "progress-await"
kind = "restore-await"
message = "progress writes are awaited again"
callees = ["withDbRetry"]
log_objects = ["logger", "log"]
unwrap = true
"#;

    #[test]
    fn seed_progress_write_is_awaited() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "src/services/MediaSyncService.ts",
            r#"export class MediaSyncService {
  private async updateProgress(jobId: string, processedFiles: number) {
    // Fire-and-forget: SQLite lock contention must not stall the sync
    withDbRetry(() => prisma.mediaSyncJob.update({ where: { id: jobId }, data: { processedFiles } })).catch(err => { logger.warn('Progress update failed (non-critical)', err) });
    withDbRetry(() => prisma.mediaSyncJob.update({ where: { id: jobId }, data: { processedFiles } })).catch(err => { logger.warn('Progress update failed (non-critical)', err) })
    return processedFiles;
  }

  async finish(jobId: string) {
    withDbRetry(() =>
      prisma.mediaSyncJob.update({
        where: { id: jobId },
        data: { status: 'done' },
      }),
    ).catch((err) => {
      // non-critical
      logger.warn('Status update failed (non-critical)', err);
    });
  }
}
"#
        ));
    }

    #[test]
    fn handlers_that_only_log() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"async function run(id: string) {
  withDbRetry(() => save(id)).catch(function (err) {});
  withDbRetry(() => save(id)).catch((err) => console.error('save failed', err));
  withNetworkRetry(() => save(id)).catch(() => {});
  withDbRetry(() => save(id)).catch(logger.warn);
  withDbRetry(() => save(id)).catch(() => undefined);
}
class Sync {
  async step() {
    withDbRetry(() => this.save()).catch(async (e) => {
      this.logger.error('step failed', e);
      logger.debug('details', { e });
    });
  }
}
"#
        ));
    }

    #[test]
    fn unwrap_replaces_the_wrapper() {
        insta::assert_snapshot!(run_rule(
            UNWRAP_RULE,
            "a.ts",
            r#"async function run(jobId: string, processedFiles: number) {
  withDbRetry(() => prisma.mediaSyncJob.update({ where: { id: jobId }, data: { processedFiles } })).catch(err => { logger.warn('Progress update failed (non-critical)', err) });
  withDbRetry(() => {
    return prisma.mediaSyncJob.update({ where: { id: jobId }, data: { processedFiles } });
  }).catch((err) => log.warn('failed', err))
  withDbRetry(async () => await prisma.job.delete({ where: { id: jobId } })).catch(() => {});
  withDbRetry(() => a || b).catch(() => {});
  withDbRetry(() => save(jobId), { retries: 2 }).catch(() => {});
  withDbRetry((attempt) => save(jobId, attempt)).catch(() => {});
}
"#
        ));
    }

    #[test]
    fn nested_and_parenthesised_calls() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"async function run(items: string[]) {
  (withDbRetry(() => save('a')) as Promise<void>).catch(() => {});
  withDbRetry(async () => {
    withDbRetry(() => save('inner')).catch((e) => logger.warn(e));
    return save('outer');
  }).catch((e) => logger.warn(e));
  items.forEach(async (item) => {
    withDbRetry(() => save(item)).catch((e) => logger.warn(e));
  });
}
"#
        ));
    }

    #[test]
    fn unwrap_nested_wrappers_take_two_rounds() {
        insta::assert_snapshot!(run_rule(
            UNWRAP_RULE,
            "a.ts",
            r#"async function run() {
  withDbRetry(() => prisma.$transaction(async (tx) => {
    withDbRetry(() => tx.job.update({ data: {} })).catch(() => {});
  })).catch(() => {});
}
"#
        ));
    }

    #[test]
    fn await_not_allowed_is_reviewed() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"function update(id: string) {
  withDbRetry(() => save(id)).catch((err) => logger.warn('failed', err));
}
async function all(files: string[]) {
  files.forEach((f) => {
    withDbRetry(() => save(f)).catch((err) => logger.warn('failed', err));
  });
}
class Job {
  constructor(id: string) {
    withDbRetry(() => save(id)).catch(() => {});
  }
  get ready() {
    withDbRetry(() => save('x')).catch(() => {});
    return true;
  }
}
withDbRetry(() => save('top')).catch(() => {});
"#
        ));
    }

    #[test]
    fn handler_that_does_more_is_reviewed() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"async function run(id: string) {
  withDbRetry(() => save(id)).catch((err) => {
    logger.warn('failed', err);
    metrics.increment('save.failed');
  });
  withDbRetry(() => save(id)).catch((err) => {
    logger.warn('failed', err);
    failed = true;
  });
  withDbRetry(() => save(id)).catch((err) => fallback(id));
  withDbRetry(() => save(id)).catch(handleError);
}
"#
        ));
    }

    #[test]
    fn other_shapes_are_left_alone() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"async function run(id: string) {
  await withDbRetry(() => save(id));
  const p = withDbRetry(() => save(id)).catch((err) => logger.warn('failed', err));
  retryLater(() => save(id)).catch((err) => logger.warn('failed', err));
  withDbRetry(() => save(id)).then(() => logger.info('saved'));
  withDbRetry(() => save(id)).catch();
  return p;
}
"#
        ));
    }

    #[test]
    fn empty_callees_is_a_parameter_error() {
        let pack =
            "[[rule]]\nid = \"x\"\nkind = \"restore-await\"\nmessage = \"m\"\ncallees = []\n";
        let error = crate::rules::load_pack("test.toml", pack).unwrap_err();
        assert_eq!(error.line, 5);
        assert!(error.message.contains("callees"), "{}", error.message);
    }
}
