//! `restore-await`: a fire-and-forget call of a retry wrapper whose `.catch` handler only logs —
//! the statement `withDbRetry(…).catch(err => logger.warn(…))` — is awaited again, so that a
//! failed write reaches the caller instead of being swallowed. With `unwrap`, a wrapper around a
//! single expression goes too: `await prisma.x.update(…)`. Where `await` is not allowed, or the
//! handler does more than log, the statement is reported for review instead.
//!
//! The wrapper is followed through its bindings ([`super::bindings`]): aliased, default and
//! namespace imports, re-exports under another name, members (`db.withDbRetry`,
//! `db['withDbRetry']`) and same-file constants. `void wrapper(…).catch(…)` is the same
//! statement. A swallowed call that is the body of an arrow function (`() => r(…).catch(log)`)
//! is reported: awaiting it there changes what the function's callers get.

use serde::Deserialize;
use swc_ecma_ast::{
    ArrowExpr, ArrowFunctionBody, Constructor, Expr, ExprOrSpread, ExprStmt, Function, MemberProp,
    OptChainBase, Program, StaticBlock, Stmt, UnaryOp,
};
use swc_ecma_visit::{Visit, VisitWith};
use toml::Spanned;

use super::ast::{member_name, method_call, range_of, unwrap};
use super::bindings::{self, Exports, Locals};
use super::resolve::Resolver;
use super::{FileContext, KindSpec, ParamError, ProjectFacts, RuleKind, ScanFacts, Sink};
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
    /// A `.catch` right after a call's `)` (blanks, `!`, `?` and comments may stand between).
    screen: regex::Regex,
    /// What the project's modules export the wrapper as (filled by `prepare`).
    exports: Exports,
    /// Whether `prepare` has run: the per-file pass knows the project's exports, the first pass
    /// does not.
    prepared: bool,
}

fn compile(de: toml::de::ValueDeserializer<'_>) -> Result<Box<dyn RuleKind>, ParamError> {
    let params = Params::deserialize(de)?;
    if params.callees.get_ref().is_empty() {
        return Err(ParamError::at(
            "`callees` must name at least one wrapper function",
            params.callees.span(),
        ));
    }
    Ok(Box::new(RestoreAwait {
        params,
        screen: regex::Regex::new(r"\)(?:[\s!?]|//[^\n]*|/\*[\s\S]*?\*/)*\.catch\b")
            .expect("valid regex"),
        exports: Exports::default(),
        prepared: false,
    }))
}

impl RuleKind for RestoreAwait {
    // Calls, object literals and conditions exist only in code that runs.
    fn reads(&self, lang: Lang) -> bool {
        super::runs_code(lang)
    }

    // Every statement the rule touches has a `.catch`; the wrapper may go by another name
    // (a default import, a re-export), so its own names are not required.
    fn triggers(&self) -> Vec<String> {
        vec![".catch".to_string()]
    }

    // Every statement it edits or reports is a call followed by `.catch`: a file whose every
    // `.catch` follows a name (`promise.catch(…)`) has none.
    // Once the project is known: when no module of it exports the wrapper, a file can only
    // reach it by one of its own names (an import, alias or member that spells it), so a file
    // that spells none of them holds no swallowed write to find.
    fn may_fire(&self, _lang: Lang, text: &str) -> bool {
        if self.prepared
            && self.exports.is_empty()
            && !self
                .params
                .callees
                .get_ref()
                .iter()
                .any(|callee| text.contains(callee.as_str()))
        {
            return false;
        }
        self.screen.is_match(text)
    }

    fn scan_triggers(&self) -> Vec<String> {
        self.params.callees.get_ref().clone()
    }

    fn scan(&self, file: &FileContext) -> Option<ScanFacts> {
        let Program::Module(module) = &file.parsed.program else {
            return None;
        };
        // Only modules that name the wrapper count (the prefilter sees no others), so that a
        // run with and without it follows the same re-exports.
        let callees = self.params.callees.get_ref();
        if !callees.iter().any(|c| file.text.contains(c.as_str())) {
            return None;
        }
        let exports = bindings::scan(module, callees);
        (!exports.is_empty()).then(|| Box::new(exports) as ScanFacts)
    }

    fn prepare(&mut self, project: ProjectFacts<'_>) {
        let scans = project
            .scans
            .into_iter()
            .filter_map(|(path, facts)| {
                facts
                    .downcast::<bindings::ModuleExports>()
                    .ok()
                    .map(|e| (path, *e))
            })
            .collect();
        self.exports = Exports::new(
            scans,
            self.params.callees.get_ref(),
            Resolver::new(project.root),
        );
        self.prepared = true;
    }

    fn run(&self, file: &FileContext, sink: &mut Sink) {
        let locals = Locals::of(
            &file.parsed.program,
            self.params.callees.get_ref(),
            file.path,
            &self.exports,
        );
        let mut finder = Finder {
            params: &self.params,
            locals: &locals,
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

/// The callee and arguments of a call, plain (`f(…)`) or optional (`o?.f(…)`, `f?.(…)`).
fn call_parts(expr: &Expr) -> Option<(&Expr, &[ExprOrSpread])> {
    match expr {
        Expr::Call(call) => match &call.callee {
            swc_ecma_ast::Callee::Expr(callee) => Some((callee, &call.args)),
            _ => None,
        },
        Expr::OptChain(chain) => match &*chain.base {
            OptChainBase::Call(call) => Some((&call.callee, &call.args)),
            OptChainBase::Member(_) => None,
        },
        _ => None,
    }
}

/// A statement `CALLEE(args).catch(handler)`, taken apart.
struct Swallowed<'a> {
    /// The whole `CALLEE(args).catch(handler)` expression.
    catch_call: std::ops::Range<usize>,
    /// The object of `.catch`, as written (parentheses and assertions included).
    object: &'a Expr,
    /// The arguments of the wrapper call.
    args: &'a [ExprOrSpread],
    handler: &'a Expr,
    /// The `void` of `void CALLEE(args).catch(handler)`: its keyword's start.
    void_at: Option<usize>,
}

struct Finder<'a> {
    params: &'a Params,
    locals: &'a Locals,
    text: &'a str,
    sink: &'a mut Sink,
    /// One entry per enclosing function, innermost last: whether `await` is allowed in its body.
    functions: Vec<bool>,
}

impl Finder<'_> {
    fn swallowed<'e>(&self, expr: &'e Expr) -> Option<Swallowed<'e>> {
        let (expr, void_at) = match unwrap(expr) {
            Expr::Unary(u) if u.op == UnaryOp::Void => (unwrap(&u.arg), Some(range_of(u).start)),
            other => (other, None),
        };
        // `w(…).catch(h)`, or the same inside an optional chain (`db?.w(…).catch(h)`).
        let (catch_callee, catch_args) = call_parts(expr)?;
        let catch_call = range_of(expr);
        let (object, "catch") = member_name(unwrap(catch_callee))? else {
            return None;
        };
        let [handler] = catch_args else {
            return None;
        };
        if handler.spread.is_some() {
            return None;
        }
        // `w(…)`, or `db?.w(…)` (an optional chain around the call).
        let (callee, args) = call_parts(unwrap(object))?;
        if !self.locals.is_function(callee) {
            return None;
        }
        Some(Swallowed {
            catch_call,
            object,
            args,
            handler: &handler.expr,
            void_at,
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
    fn unwrapped<'e>(&self, args: &'e [ExprOrSpread]) -> Option<&'e Expr> {
        if !self.params.unwrap {
            return None;
        }
        let [argument] = args else {
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
        if let Some(body) = self.unwrapped(found.args) {
            // The wrapper goes whole; any swallowed call inside `X` is found again on the next
            // round, in the rewritten text.
            let whole = match found.void_at {
                Some(at) => at..range_of(&*stmt.expr).end,
                None => found.catch_call.clone(),
            };
            self.sink.replace(whole, self.await_text(body));
            return;
        }
        let object = range_of(found.object);
        match found.void_at {
            // `void (w(…).catch(h))` becomes `await (w(…))`: only the keyword changes.
            Some(at) => self.sink.replace(at..at + "void".len(), "await"),
            None => self.sink.insert(object.start, "await "),
        }
        self.sink.delete(object.end..found.catch_call.end);
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
        match self.swallowed(&stmt.expr) {
            Some(found) => self.statement(stmt, found),
            None => stmt.visit_children_with(self),
        }
    }

    // Function declarations and expressions, methods, getters and setters (never async).
    fn visit_function(&mut self, function: &Function) {
        self.within(function.is_async, function);
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        if let ArrowFunctionBody::Expr(body) = &*arrow.body
            && let Some(found) = self.swallowed(body)
            && self.handler_problem(found.handler).is_none()
        {
            self.sink.review(
                range_of(&**body),
                "a swallowed write is the body of an arrow function, so its callers get a promise that never fails: make the function await the call (`async () => { await … }`) and check what the callers do with a failure",
            );
        }
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
    fn the_wrapper_is_followed_through_its_bindings() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"import { withDbRetry as r } from '@/lib/db';
import * as db from '@/lib/db';
import { services } from '@/services';
const retry = r;
const { withDbRetry: fromServices } = services;
async function run(id: string) {
  r(() => save(id)).catch((e) => logger.warn('save failed', e));
  db.withDbRetry(() => save(id)).catch(console.error);
  db['withDbRetry'](() => save(id)).catch(() => {});
  services.withDbRetry(() => save(id)).catch(() => {});
  this.db?.withNetworkRetry(() => save(id)).catch(() => {});
  retry(() => save(id)).catch(() => {});
  fromServices(() => save(id)).catch(() => {});
}
"#
        ));
    }

    #[test]
    fn void_statements_are_the_same_statement() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"import { withDbRetry as r } from '@/lib/db';
async function run(id: string) {
  void r(() => save(id)).catch(() => {});
  void (r(() => save(id)).catch((e) => logger.warn(e)));
  void withDbRetry(() => save(id)).catch(handleError);
}
function sync(id: string) {
  void r(() => save(id)).catch(() => {});
}
"#
        ));
        insta::assert_snapshot!(
            "void_statements_unwrapped",
            run_rule(
                UNWRAP_RULE,
                "a.ts",
                "async function run(id: string) {\n  void withDbRetry(() => save(id)).catch(() => {});\n}\n"
            )
        );
    }

    #[test]
    fn names_that_are_not_the_wrapper_are_left_alone() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"import { retryLater as r } from '@/lib/jobs';
import * as db from '@/lib/db';
import withDbRetry2 from '@/lib/other';
async function run(id: string) {
  r(() => save(id)).catch(() => {});
  db.save(id).catch(() => {});
  db['other'](() => save(id)).catch(() => {});
  withDbRetry2(() => save(id)).catch(() => {});
  void save(id).catch(() => {});
  void withDbRetry(() => save(id));
}
"#
        ));
    }

    #[test]
    fn an_arrow_whose_body_is_a_swallowed_write_is_reviewed() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.tsx",
            r#"export function Button({ id }: { id: string }) {
  return <button onClick={() => withDbRetry(() => save(id)).catch(() => {})}>save</button>;
}
export const later = async (id: string) => withDbRetry(() => save(id)).catch((e) => logger.warn(e));
export const kept = (id: string) => withDbRetry(() => save(id)).catch((e) => fallback(e));
"#
        ));
    }

    /// Default imports and re-exports under another name need the project: the files that
    /// import them never name the wrapper. A re-export of a re-export under yet another name,
    /// in a module that never names the wrapper (`more.ts`), is not followed (a known limit).
    #[test]
    fn default_imports_and_renamed_reexports_across_files() {
        use crate::engine::{Files, Options, run_project};
        use crate::rules::load_pack;
        use crate::walk::walk;
        let dir = tempfile::tempdir().unwrap();
        let files = [
            (
                "tsconfig.json",
                r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./src/*"] } } }"#,
            ),
            (
                "src/lib/db/retry.ts",
                "export async function withDbRetry<T>(fn: () => Promise<T>): Promise<T> { return fn(); }\nexport default withDbRetry;\n",
            ),
            (
                "src/lib/db/index.ts",
                "export { withDbRetry as retryWrite } from './retry';\n",
            ),
            (
                "src/lib/db/more.ts",
                "export { retryWrite as again } from './index';\n",
            ),
            (
                "src/app/a.ts",
                "import retry from '@/lib/db/retry';\nexport async function a(id: string) {\n  retry(() => save(id)).catch(() => {});\n}\n",
            ),
            (
                "src/app/b.ts",
                "import { retryWrite } from '@/lib/db';\nimport * as more from '@/lib/db/more';\nexport async function b(id: string) {\n  retryWrite(() => save(id)).catch(() => {});\n  more.again(() => save(id)).catch(() => {});\n}\n",
            ),
            (
                "src/app/c.ts",
                "import retryWrite from 'some-package';\nexport async function c(id: string) {\n  retryWrite(() => save(id)).catch(() => {});\n}\n",
            ),
        ];
        for (path, text) in files {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        let paths = walk(dir.path());
        let mut edits = Vec::new();
        for prefilter in [true, false] {
            let mut rules = load_pack("test.toml", RULE).unwrap();
            let report = run_project(
                dir.path(),
                Files::list(&paths),
                &mut rules,
                Options { prefilter },
            );
            let found: Vec<String> = report
                .files
                .iter()
                .filter(|f| f.result.is_some())
                .map(|f| {
                    format!(
                        "{}\n{}",
                        f.path.rel,
                        f.result
                            .as_deref()
                            .unwrap()
                            .lines()
                            .filter(|l| l.contains("await"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )
                })
                .collect();
            edits.push(found.join("\n"));
        }
        assert_eq!(edits[0], edits[1], "the prefilter hides nothing");
        insta::assert_snapshot!(edits[0]);
    }

    #[test]
    fn the_screen_sees_a_catch_after_comments_and_assertions() {
        insta::assert_snapshot!(run_rule(
            RULE,
            "a.ts",
            r#"async function run(id: string) {
  withDbRetry(() => save(id))
    // a failed write is not fatal
    .catch(() => {});
  withDbRetry(() => save(id))! /* why */ .catch(() => {});
}
"#
        ));
        let rule = crate::rules::load_pack("t.toml", RULE).unwrap().remove(0);
        assert!(!rule.imp.may_fire(
            crate::source::Lang::TypeScript,
            "promise.catch(() => {});\n"
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
