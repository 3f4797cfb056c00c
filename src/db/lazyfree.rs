//! `LazyFree`: frees big values and whole tables on a background thread so
//! the reactor never stalls on a huge deallocation (UNLINK, FLUSHALL ASYNC,
//! the `lazyfree-lazy-*` directives). The thread only ever receives values
//! that were already removed from the keyspace: it never sees live data.
//!
//! Redis counterpart: `lazyfree.c` (`dbAsyncDelete`, `emptyDbAsync`,
//! `LAZYFREE_THRESHOLD`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use super::Dict;
use crate::types::Value;

/// Values whose freeing costs more than this many allocations go to the
/// background thread (Redis's `LAZYFREE_THRESHOLD`).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Something to free on the lazy-free thread.
enum Job {
    Value(Value),
    Table(Dict<Value>),
}

/// Frees one job on the lazy-free thread, giving big tables' pages back
/// gradually so no single unmap stalls the reactor's page faults.
fn release(job: Job) {
    match job {
        Job::Table(t) => t.release_gradually(),
        Job::Value(Value::Set(s)) => s.release_gradually(),
        Job::Value(Value::Hash(h)) => h.release_gradually(),
        Job::Value(v) => drop(v),
    }
}

/// The handle the reactor uses to free things off-thread.
#[derive(Default)]
pub struct LazyFree {
    tx: Option<Sender<Job>>,
    /// Objects handed over and not freed yet.
    pending: Arc<AtomicU64>,
    /// Objects freed by the thread so far.
    freed: Arc<AtomicU64>,
}

impl LazyFree {
    /// Objects waiting to be freed (`lazyfree_pending_objects`).
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Acquire)
    }

    /// Objects freed in the background (`lazyfreed_objects`).
    pub fn freed(&self) -> u64 {
        self.freed.load(Ordering::Acquire)
    }

    /// Starts the background thread now, so the first UNLINK does not pay
    /// for creating it.
    pub fn start(&mut self) {
        self.ensure_thread();
    }

    /// Spawns the thread if needed; false if it could not be started.
    fn ensure_thread(&mut self) -> bool {
        if self.tx.is_none() {
            let (tx, rx) = channel::<Job>();
            let pending = Arc::clone(&self.pending);
            let freed = Arc::clone(&self.freed);
            let spawned = std::thread::Builder::new()
                .name("ferredis-lazyfree".into())
                .spawn(move || {
                    // Freeing is never urgent: let the reactor have the CPU.
                    crate::sys::lower_thread_priority();
                    for job in rx {
                        let n = match &job {
                            Job::Value(_) => 1,
                            Job::Table(t) => t.len().max(1) as u64,
                        };
                        release(job);
                        // Counted as freed before it stops being pending, so
                        // an observer that sees nothing pending sees it all.
                        freed.fetch_add(n, Ordering::Release);
                        pending.fetch_sub(n, Ordering::Release);
                    }
                });
            if spawned.is_err() {
                return false;
            }
            self.tx = Some(tx);
        }
        true
    }

    fn send(&mut self, job: Job, objects: u64) {
        if !self.ensure_thread() {
            // No thread: free inline, as Redis would without bio.
            drop(job);
            return;
        }
        self.pending.fetch_add(objects, Ordering::Relaxed);
        if let Some(tx) = &self.tx {
            if let Err(e) = tx.send(job) {
                self.pending.fetch_sub(objects, Ordering::Relaxed);
                drop(e.0);
            }
        }
    }

    /// Frees a removed value: inline when cheap, else in the background.
    pub fn free_value(&mut self, v: Value) {
        if v.free_effort() > LAZYFREE_THRESHOLD {
            self.send(Job::Value(v), 1);
        }
    }

    /// Frees a whole table removed by a flush: in the background when
    /// `asynchronous` and it is not tiny, or when it is big enough that
    /// freeing it inline would stall clients.
    pub fn free_table(&mut self, t: Dict<Value>, asynchronous: bool) {
        let n = t.len();
        if (asynchronous && n > LAZYFREE_THRESHOLD) || n > 65_536 {
            self.send(Job::Table(t), n.max(1) as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_tables_are_freed_in_the_background() {
        let mut lf = LazyFree::default();
        let mut d: Dict<Value> = Dict::new();
        for i in 0..1000 {
            d.insert(format!("k{}", i).as_bytes(), Value::Int(i));
        }
        lf.free_table(d, true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while lf.freed() < 1000 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(lf.freed(), 1000);
        assert_eq!(lf.pending(), 0);
        // Small things are freed inline and never counted.
        lf.free_value(Value::Int(1));
        assert_eq!(lf.freed(), 1000);
    }
}
