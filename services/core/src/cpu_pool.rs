//! The threads a stage's CPU-bound transforms run on: a small fixed set, one
//! per CPU, fed from one queue.
//!
//! Why not `tokio::task::spawn_blocking` per message: each message then
//! waited for a CPU slot on the async side, woke a parked blocking thread,
//! and that thread parked again when its one message was done, so under
//! load every message cost several thread wake-ups and the CPU threads sat
//! idle while the async side handed them the next message (a profile of
//! dedup showed futex calls and thread switches at a quarter of its CPU).
//! Here a thread that finishes takes the next queued message at once and
//! only sleeps when the queue is empty.
//!
//! The time limit stays the loop's (see `runtime::CpuThreads`): it measures a
//! message from the moment a thread starts it, not its time in the queue.
//! Work past its limit cannot be stopped (Rust has no safe way to kill a
//! thread); [`CpuPool::give_up`] leaves it to its thread and starts a
//! replacement, so such work holds a thread but never a CPU slot, up to
//! `max_threads` threads in all. A thread whose overdue work returns goes
//! back to serving if a slot is free, else it ends.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use prometheus::IntGauge;
use tokio::sync::oneshot;
use tracing::error;

/// What became of a submitted piece of work, as its [`Ticket`] tells.
const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const FINISHED: u8 = 2;
const OVERDUE: u8 = 3;

/// A panic's message, or what the work returned.
pub(crate) type Outcome<T> = Result<T, String>;

/// One piece of work as a thread runs it: returns whether the thread goes
/// on serving afterwards.
type Job = Box<dyn FnOnce(&Inner) -> bool + Send>;

/// Where a submitted piece of work stands.
#[derive(Debug)]
pub(crate) struct Ticket {
    state: AtomicU8,
    started: OnceLock<Instant>,
}

impl Ticket {
    fn queued() -> Self {
        Self {
            state: AtomicU8::new(QUEUED),
            started: OnceLock::new(),
        }
    }

    /// When a thread started the work; `None` while it is queued.
    pub(crate) fn started(&self) -> Option<Instant> {
        self.started.get().copied()
    }
}

/// The pool. Dropping it ends its idle threads; a thread still running
/// work ends when the work returns.
pub(crate) struct CpuPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<PoolState>,
    job_queued: Condvar,
    /// Threads serving the queue at once: the CPU slots.
    parallelism: usize,
    /// Threads in all, those held by overdue work included.
    max_threads: usize,
    thread_name: String,
    /// Work past its time limit that has not returned yet.
    overdue: IntGauge,
}

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job: only then does a submit wake one.
    idle: usize,
    /// Threads alive.
    threads: usize,
    /// Threads not held by overdue work.
    serving: usize,
    closed: bool,
}

impl CpuPool {
    /// A pool of `parallelism` threads (at most `max_threads`), named after
    /// `stage`; `overdue` counts work left running past its limit.
    pub(crate) fn new(
        stage: &str,
        parallelism: usize,
        max_threads: usize,
        overdue: IntGauge,
    ) -> Self {
        let max_threads = max_threads.max(1);
        let inner = Arc::new(Inner {
            state: Mutex::new(PoolState::default()),
            job_queued: Condvar::new(),
            parallelism: parallelism.clamp(1, max_threads),
            max_threads,
            thread_name: format!("{stage}-cpu"),
            overdue,
        });
        {
            let mut state = inner.lock();
            for _ in 0..inner.parallelism {
                spawn_thread(&inner, &mut state);
            }
        }
        Self { inner }
    }

    /// Queues `work`; its outcome (or its panic's message) arrives on the
    /// receiver. The ticket says when it started.
    pub(crate) fn submit<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> (Arc<Ticket>, oneshot::Receiver<Outcome<T>>) {
        let ticket = Arc::new(Ticket::queued());
        let (sender, receiver) = oneshot::channel();
        let job_ticket = ticket.clone();
        let job: Job = Box::new(move |pool: &Inner| {
            job_ticket.state.store(RUNNING, Ordering::Release);
            let _ = job_ticket.started.set(Instant::now());
            let outcome = catch_unwind(AssertUnwindSafe(work)).map_err(|panic| {
                panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into())
            });
            // Settled before the outcome is sent, under the pool's lock, so
            // `give_up` either sees it finished or takes it over whole.
            let keep_serving = pool.finished(&job_ticket);
            let _ = sender.send(outcome);
            keep_serving
        });
        let mut state = self.inner.lock();
        state.jobs.push_back(job);
        if state.idle > 0 {
            self.inner.job_queued.notify_one();
        }
        drop(state);
        (ticket, receiver)
    }

    /// Leaves the ticket's running work to its thread and frees its CPU
    /// slot (a new thread takes it, within `max_threads`). False when the
    /// work has finished meanwhile: its outcome is on its way.
    pub(crate) fn give_up(&self, ticket: &Ticket) -> bool {
        let mut state = self.inner.lock();
        if ticket
            .state
            .compare_exchange(RUNNING, OVERDUE, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        self.inner.overdue.inc();
        state.serving -= 1;
        if state.threads < self.inner.max_threads {
            spawn_thread(&self.inner, &mut state);
        }
        true
    }
}

impl Drop for CpuPool {
    fn drop(&mut self) {
        let mut state = self.inner.lock();
        state.closed = true;
        state.jobs.clear();
        self.inner.job_queued.notify_all();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A job's panic is caught inside it, so the lock is never poisoned
        // by one; recover the state either way.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks the ticket's work finished; if it had been given up, its
    /// thread serves again when a slot is free, else it ends (false).
    fn finished(&self, ticket: &Ticket) -> bool {
        let mut state = self.lock();
        if ticket.state.swap(FINISHED, Ordering::AcqRel) != OVERDUE {
            return true;
        }
        self.overdue.dec();
        if state.serving < self.parallelism && !state.closed {
            state.serving += 1;
            true
        } else {
            state.threads -= 1;
            false
        }
    }
}

/// Starts one serving thread (the caller holds the lock).
fn spawn_thread(inner: &Arc<Inner>, state: &mut PoolState) {
    let pool = inner.clone();
    let started = std::thread::Builder::new()
        .name(inner.thread_name.clone())
        .spawn(move || serve(&pool));
    match started {
        Ok(_) => {
            state.threads += 1;
            state.serving += 1;
        }
        // The queue is still served by the threads there are.
        Err(err) => {
            error!(error = %err, thread = %inner.thread_name, "cannot start a transform thread")
        }
    }
}

/// A thread's life: run queued jobs, sleep while there are none.
fn serve(pool: &Inner) {
    let mut state = pool.lock();
    loop {
        if state.closed {
            state.threads -= 1;
            state.serving -= 1;
            return;
        }
        match state.jobs.pop_front() {
            Some(job) => {
                drop(state);
                if !job(pool) {
                    return;
                }
                state = pool.lock();
            }
            None => {
                state.idle += 1;
                state = pool
                    .job_queued
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                state.idle -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn pool(parallelism: usize, max_threads: usize) -> CpuPool {
        CpuPool::new(
            "test",
            parallelism,
            max_threads,
            IntGauge::new("overdue", "overdue work").unwrap(),
        )
    }

    #[tokio::test]
    async fn work_runs_and_a_panic_comes_back_as_its_message() {
        let pool = pool(2, 4);
        let (ticket, done) = pool.submit(|| 6 * 7);
        assert_eq!(done.await.unwrap(), Ok(42));
        assert!(ticket.started().is_some());
        let (_, done) = pool.submit(|| -> u32 { panic!("scripted") });
        assert_eq!(done.await.unwrap(), Err("scripted".to_string()));
        // The thread that caught the panic still serves.
        let (_, done) = pool.submit(|| "after");
        assert_eq!(done.await.unwrap(), Ok("after"));
    }

    #[tokio::test]
    async fn no_more_than_parallelism_run_at_once() {
        let pool = pool(2, 8);
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut waits = Vec::new();
        for _ in 0..12 {
            let (running, most) = (running.clone(), most.clone());
            waits.push(
                pool.submit(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .1,
            );
        }
        for wait in waits {
            wait.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn work_given_up_frees_its_slot_within_max_threads() {
        let pool = pool(1, 2);
        let release = Arc::new((Mutex::new(false), Condvar::new()));
        let blocked = |release: Arc<(Mutex<bool>, Condvar)>| {
            move || {
                let (lock, cvar) = &*release;
                let mut go = lock.lock().unwrap();
                while !*go {
                    go = cvar.wait(go).unwrap();
                }
            }
        };
        let (first, first_done) = pool.submit(blocked(release.clone()));
        while first.started().is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(pool.give_up(&first));
        assert_eq!(pool.inner.overdue.get(), 1);
        // The replacement thread runs the next work while the first is stuck.
        let (_, quick) = pool.submit(|| 1);
        assert_eq!(quick.await.unwrap(), Ok(1));
        // At max_threads no replacement: a second stuck one holds the last slot.
        let (second, second_done) = pool.submit(blocked(release.clone()));
        while second.started().is_none() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(pool.give_up(&second));
        assert_eq!(pool.inner.lock().threads, 2);
        let (_, queued) = pool.submit(|| 2);
        *release.0.lock().unwrap() = true;
        release.1.notify_all();
        first_done.await.unwrap().unwrap();
        second_done.await.unwrap().unwrap();
        // A returning thread serves again: the queued work runs.
        assert_eq!(queued.await.unwrap(), Ok(2));
        assert_eq!(pool.inner.overdue.get(), 0);
        let state = pool.inner.lock();
        assert_eq!((state.serving, state.threads), (1, 1));
    }

    #[tokio::test]
    async fn finished_work_cannot_be_given_up() {
        let pool = pool(1, 2);
        let (ticket, done) = pool.submit(|| ());
        done.await.unwrap().unwrap();
        assert!(!pool.give_up(&ticket));
        assert_eq!(pool.inner.overdue.get(), 0);
    }
}
