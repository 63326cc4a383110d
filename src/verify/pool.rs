//! A connection pool that behaves like Prisma's: at most `limit` connections, opened lazily,
//! and a caller waits for a free one at most `timeout` (then fails, as Prisma's P2024 does).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::workload::{ErrorClass, OpError};

/// How long a waiter sleeps before looking at the interrupt flag again.
const WAKE_EVERY: Duration = Duration::from_millis(100);

pub struct Pool<C> {
    limit: usize,
    state: Mutex<State<C>>,
    freed: Condvar,
}

struct State<C> {
    idle: Vec<C>,
    open: usize,
    /// Most connections open at once.
    peak: usize,
}

/// A connection taken from the pool; give it back with [`Pool::put`] or [`Pool::discard`].
pub struct Lease<C> {
    pub conn: C,
    /// How long the caller waited for it.
    pub waited: Duration,
}

impl<C> Pool<C> {
    pub fn new(limit: usize) -> Pool<C> {
        Pool {
            limit: limit.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
                peak: 0,
            }),
            freed: Condvar::new(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn peak(&self) -> usize {
        self.state.lock().unwrap().peak
    }

    /// Takes a connection, opening one with `connect` when none is idle and the limit allows.
    /// Fails with `timeout_class` after waiting `timeout` (`None`: wait until one is free).
    pub fn get(
        &self,
        timeout: Option<Duration>,
        timeout_class: ErrorClass,
        interrupted: &AtomicBool,
        connect: impl FnOnce() -> Result<C, OpError>,
    ) -> Result<Lease<C>, OpError> {
        let start = Instant::now();
        let deadline = timeout.map(|t| start + t);
        let mut state = self.state.lock().unwrap();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Lease {
                    conn,
                    waited: start.elapsed(),
                });
            }
            if state.open < self.limit {
                state.open += 1;
                state.peak = state.peak.max(state.open);
                drop(state);
                return match connect() {
                    Ok(conn) => Ok(Lease {
                        conn,
                        waited: start.elapsed(),
                    }),
                    Err(error) => {
                        self.state.lock().unwrap().open -= 1;
                        self.freed.notify_one();
                        Err(error)
                    }
                };
            }
            if interrupted.load(Ordering::Relaxed) {
                return Err(OpError::new(ErrorClass::Interrupted, "interrupted"));
            }
            let wait = match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        let in_use = state.open - state.idle.len();
                        return Err(OpError::new(
                            timeout_class,
                            format!(
                                "timed out fetching a connection from the pool (connection limit {}, {in_use} in use, waited {} ms)",
                                self.limit,
                                start.elapsed().as_millis()
                            ),
                        ));
                    }
                    (deadline - now).min(WAKE_EVERY)
                }
                None => WAKE_EVERY,
            };
            state = self.freed.wait_timeout(state, wait).unwrap().0;
        }
    }

    /// Gives a healthy connection back.
    pub fn put(&self, conn: C) {
        self.state.lock().unwrap().idle.push(conn);
        self.freed.notify_one();
    }

    /// Drops a broken connection, freeing its slot.
    pub fn discard(&self, conn: C) {
        drop(conn);
        self.state.lock().unwrap().open -= 1;
        self.freed.notify_one();
    }

    /// Closes every idle connection (all of them once the workers are done).
    pub fn close_idle(&self) {
        let idle: Vec<C> = {
            let mut state = self.state.lock().unwrap();
            let idle = std::mem::take(&mut state.idle);
            state.open -= idle.len();
            idle
        };
        drop(idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_then_times_out() {
        let pool: Pool<u32> = Pool::new(1);
        let flag = AtomicBool::new(false);
        let first = pool
            .get(None, ErrorClass::PoolTimeout, &flag, || Ok(1))
            .unwrap();
        let error = pool
            .get(
                Some(Duration::from_millis(50)),
                ErrorClass::PoolTimeout,
                &flag,
                || Ok(2),
            )
            .err()
            .unwrap();
        assert_eq!(error.class, ErrorClass::PoolTimeout);
        pool.put(first.conn);
        let again = pool
            .get(
                Some(Duration::from_millis(50)),
                ErrorClass::PoolTimeout,
                &flag,
                || Ok(3),
            )
            .unwrap();
        assert_eq!(again.conn, 1);
        assert_eq!(pool.peak(), 1);
    }
}
