//! Core benchmarks of airssys-rt, each measured next to a plain Tokio baseline in the same run.
//!
//! Run with `cargo bench -p airssys-rt --bench core`. The binary builds its own multi-thread
//! Tokio runtime with exactly two worker threads, runs every scenario once as a warm-up and then
//! several measured times (the median is reported), and prints a markdown table.
//!
//! The baseline is what one would write by hand without an actor runtime: a spawned task looping
//! over a `tokio::sync::mpsc` receiver, with a `tokio::sync::oneshot` for replies.
//!
//! A counting global allocator wraps [`std::alloc::System`] and counts allocation calls
//! (`alloc`, `alloc_zeroed` and `realloc`) and the live bytes requested (not the allocator's own
//! rounding and headers), with relaxed atomics.

// The counting allocator is the only unsafe code: implementing `GlobalAlloc` requires it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

// ------------------------------------------------------------------ the counting allocator

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static TRACE_ON: AtomicBool = AtomicBool::new(false);
static TRACE_LEN: AtomicUsize = AtomicUsize::new(0);
const TRACE_CAP: usize = 64;
static TRACE: [AtomicUsize; TRACE_CAP] = [const { AtomicUsize::new(0) }; TRACE_CAP];

#[global_allocator]
static GLOBAL: Counting = Counting;

fn note_alloc(size: usize) {
    ALLOCS.fetch_add(1, Relaxed);
    if TRACE_ON.load(Relaxed) {
        let slot = TRACE_LEN.fetch_add(1, Relaxed);
        if slot < TRACE_CAP {
            TRACE[slot].store(size, Relaxed);
        }
    }
}

// SAFETY: every method forwards to `System` with the caller's own arguments, so `Counting`
// upholds `GlobalAlloc`'s contract exactly as `System` does; the counters are plain atomics and
// never allocate. No loom or miri test: this is measurement scaffolding in a bench, not library
// code, and it adds no unsafe reasoning of its own beyond the forwarding.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller guarantees `layout` has a non-zero size, as `System.alloc` needs.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            note_alloc(layout.size());
            LIVE.fetch_add(layout.size() as isize, Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note_alloc(layout.size());
            LIVE.fetch_add(layout.size() as isize, Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller guarantees `new_size`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note_alloc(new_size);
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        }
        new
    }
}

fn allocs() -> u64 {
    ALLOCS.load(Relaxed)
}

fn live() -> isize {
    LIVE.load(Relaxed)
}

/// The sizes of the allocations made (on any thread) while `f` runs and for `settle` after.
async fn trace_sizes<F: Future>(settle: Duration, f: F) -> (F::Output, Vec<usize>) {
    TRACE_LEN.store(0, Relaxed);
    TRACE_ON.store(true, Relaxed);
    let out = f.await;
    tokio::time::sleep(settle).await;
    TRACE_ON.store(false, Relaxed);
    let len = TRACE_LEN.load(Relaxed).min(TRACE_CAP);
    (out, TRACE[..len].iter().map(|s| s.load(Relaxed)).collect())
}

/// Minor page faults of this process so far (Linux `/proc/self/stat`; 0 elsewhere).
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Field 10 (minflt); the command name in field 2 may hold spaces, so count from ')'.
            let after = &stat[stat.rfind(')')? + 2..];
            after.split_whitespace().nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Whether scenario `n` should run: all of them, or those listed in `AIRSSYS_BENCH` (e.g. `1,4`).
fn selected(n: u32) -> bool {
    match std::env::var("AIRSSYS_BENCH") {
        Ok(list) => list.split(',').any(|item| item.trim() == n.to_string()),
        Err(_) => true,
    }
}

// ------------------------------------------------------------------ actors under test

/// An actor whose whole state is a `u64`.
struct Counter {
    total: u64,
}

enum CounterMsg {
    Add(u64),
    Get,
}

#[actor]
impl Actor for Counter {
    type Msg = CounterMsg;
    type Reply = u64;
    type Args = u64;
    type Error = Infallible;

    async fn pre_start(start: u64, _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Counter { total: start })
    }

    async fn handle(
        &mut self,
        msg: CounterMsg,
        _ctx: &mut Context<Self>,
    ) -> Result<u64, Infallible> {
        if let CounterMsg::Add(n) = msg {
            self.total += n;
        }
        Ok(self.total)
    }
}

/// [`Counter`] written with a handler per message (`#[actor(messages(..))]`): `Add` replies
/// nothing, `Get` the total.
#[derive(Default)]
struct Tally {
    total: u64,
}

struct Add(u64);
struct Get;

#[actor(messages(Add, Get))]
impl Actor for Tally {}

impl Handler<Add> for Tally {
    type Reply = ();
    async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) {
        self.total += n;
    }
}

impl Handler<Get> for Tally {
    type Reply = u64;
    async fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
        self.total
    }
}

/// Passes a token on to its peer (ping-pong) or to the next node (ring).
struct Relay {
    next: Option<ActorRef<Relay>>,
}

enum RelayMsg {
    Next(ActorRef<Relay>),
    Hop { left: u64, done: Option<oneshot::Sender<()>> },
}

#[actor]
impl Actor for Relay {
    type Msg = RelayMsg;
    type Reply = ();
    type Args = ();
    type Error = Infallible;

    async fn pre_start(_: (), _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Relay { next: None })
    }

    async fn handle(&mut self, msg: RelayMsg, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            RelayMsg::Next(next) => self.next = Some(next),
            RelayMsg::Hop { left: 0, done } => {
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
            RelayMsg::Hop { left, done } => {
                if let Some(next) = &self.next {
                    if next.tell(RelayMsg::Hop { left: left - 1, done }).await.is_err() {
                        panic!("relay: next actor is gone");
                    }
                }
            }
        }
        Ok(())
    }
}

/// The baseline's message: what a hand-written Tokio task would take.
enum BaseMsg {
    Add(u64),
    Get(oneshot::Sender<u64>),
}

/// The baseline's token for ping-pong and the ring.
struct Token {
    left: u64,
    done: Option<oneshot::Sender<()>>,
}

/// A baseline sender: bounded or unbounded `tokio::sync::mpsc`.
#[derive(Clone)]
enum BaseTx {
    Bounded(mpsc::Sender<BaseMsg>),
    Unbounded(mpsc::UnboundedSender<BaseMsg>),
}

impl BaseTx {
    async fn send(&self, msg: BaseMsg) {
        let sent = match self {
            BaseTx::Bounded(tx) => tx.send(msg).await.is_ok(),
            BaseTx::Unbounded(tx) => tx.send(msg).is_ok(),
        };
        assert!(sent, "baseline receiver gone");
    }

    async fn get(&self) -> u64 {
        let (tx, rx) = oneshot::channel();
        self.send(BaseMsg::Get(tx)).await;
        rx.await.expect("baseline reply")
    }
}

/// The baseline "actor": a task looping over an mpsc receiver, adding to a `u64`.
fn spawn_base_counter(bounded: bool) -> BaseTx {
    if bounded {
        let (tx, mut rx) = mpsc::channel::<BaseMsg>(1024);
        tokio::spawn(async move {
            let mut total = 0u64;
            while let Some(msg) = rx.recv().await {
                match msg {
                    BaseMsg::Add(n) => total += n,
                    BaseMsg::Get(reply) => {
                        let _ = reply.send(total);
                    }
                }
            }
        });
        BaseTx::Bounded(tx)
    } else {
        let (tx, mut rx) = mpsc::unbounded_channel::<BaseMsg>();
        tokio::spawn(async move {
            let mut total = 0u64;
            while let Some(msg) = rx.recv().await {
                match msg {
                    BaseMsg::Add(n) => total += n,
                    BaseMsg::Get(reply) => {
                        let _ = reply.send(total);
                    }
                }
            }
        });
        BaseTx::Unbounded(tx)
    }
}

/// A baseline relay task: takes tokens from `rx`, passes them on to `next`.
fn spawn_base_relay(
    mut rx: mpsc::Receiver<Token>,
    next: mpsc::Sender<Token>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(Token { left, done }) = rx.recv().await {
            if left == 0 {
                if let Some(done) = done {
                    let _ = done.send(());
                }
            } else if next.send(Token { left: left - 1, done }).await.is_err() {
                return;
            }
        }
    })
}

// ------------------------------------------------------------------ helpers

fn system(max_actors: usize) -> ActorSystem {
    ActorSystem::builder().max_actors(max_actors).build().expect("system config")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn ns(d: Duration) -> f64 {
    d.as_nanos() as f64
}

fn fmt_rate(per_sec: f64) -> String {
    format!("{:.2} M msg/s", per_sec / 1e6)
}

/// Runs a scenario on a worker thread (so the "sender" is a task like any other).
fn on_worker<F>(rt: &Runtime, f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(rt.spawn(f)).expect("scenario panicked")
}

/// One line of the result table.
struct Row {
    scenario: String,
    airssys: String,
    tokio: String,
    target: String,
    met: &'static str,
}

fn row(scenario: &str, airssys: String, tokio: String, target: &str, met: Option<bool>) -> Row {
    Row {
        scenario: scenario.to_owned(),
        airssys,
        tokio,
        target: target.to_owned(),
        met: match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        },
    }
}

// ------------------------------------------------------------------ 1. idle actors: memory

const IDLE_N: usize = 100_000;

/// (ns per spawn, live heap bytes per idle actor)
async fn idle_airssys(n: usize) -> (f64, f64) {
    let system = system(2_000_000);
    let mut refs = Vec::with_capacity(n);
    let before = live();
    let start = Instant::now();
    for _ in 0..n {
        refs.push(system.spawn::<Counter>(0).await.expect("spawn"));
    }
    let elapsed = start.elapsed();
    // Let every actor task take its first poll and park.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let after = live();
    drop(refs);
    system.shutdown().await;
    (ns(elapsed) / n as f64, (after - before) as f64 / n as f64)
}

async fn idle_tokio(n: usize) -> (f64, f64) {
    let mut senders = Vec::with_capacity(n);
    let before = live();
    let start = Instant::now();
    for _ in 0..n {
        let (tx, mut rx) = mpsc::channel::<u64>(1024);
        tokio::spawn(async move {
            let mut total = 0u64;
            while let Some(n) = rx.recv().await {
                total += n;
            }
            total
        });
        senders.push(tx);
    }
    let elapsed = start.elapsed();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let after = live();
    drop(senders);
    tokio::time::sleep(Duration::from_millis(50)).await;
    (ns(elapsed) / n as f64, (after - before) as f64 / n as f64)
}

/// What one spawn allocates, by size (for the report).
async fn idle_alloc_sizes() -> (Vec<usize>, Vec<usize>) {
    let system = system(16);
    // Warm the slab so its growth is not in the trace.
    let warm = system.spawn::<Counter>(0).await.expect("spawn");
    let (actor, airssys) = trace_sizes(Duration::from_millis(10), async {
        system.spawn::<Counter>(0).await.expect("spawn")
    })
    .await;
    drop((warm, actor));
    system.shutdown().await;
    let (tx, tokio_sizes) = trace_sizes(Duration::from_millis(10), async {
        let (tx, mut rx) = mpsc::channel::<u64>(1024);
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        tx
    })
    .await;
    drop(tx);
    (airssys, tokio_sizes)
}

// ------------------------------------------------------------------ 2. spawn + stop 1M

const MANY_N: usize = 1_000_000;

struct ManyResult {
    total: Duration,
    spawn: Duration,
    stop: Duration,
    killed: usize,
    faults: u64,
    /// Allocation calls per actor while spawning, and while stopping.
    spawn_allocs: f64,
    stop_allocs: f64,
}

/// How the 1M actors are stopped.
#[derive(Clone, Copy)]
enum StopBy {
    /// `system.shutdown().await` while the refs are held; the refs are dropped after.
    Shutdown,
    /// Drop every `ActorRef` (each actor then ends `Normal` for lack of senders), then poll
    /// `actor_count()` every millisecond until it is zero.
    DropRefs,
}

async fn many_airssys(n: usize, stop_by: StopBy) -> ManyResult {
    let system = system(2_000_000);
    let mut refs = Vec::with_capacity(n);
    let faults = minor_faults();
    let allocs_start = allocs();
    let start = Instant::now();
    for _ in 0..n {
        refs.push(system.spawn::<Counter>(0).await.expect("spawn"));
    }
    let spawn = start.elapsed();
    let allocs_spawned = allocs();
    let killed = match stop_by {
        StopBy::Shutdown => {
            let report = system.shutdown().await;
            drop(refs);
            report.killed
        }
        StopBy::DropRefs => {
            drop(refs);
            // There is no "wait until every actor has ended" short of `shutdown` (which would
            // stop those still running), so poll the count.
            while system.actor_count() > 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            0
        }
    };
    let total = start.elapsed();
    let faults = minor_faults() - faults;
    let allocs_end = allocs();
    assert_eq!(system.actor_count(), 0);
    ManyResult {
        total,
        spawn,
        stop: total - spawn,
        killed,
        faults,
        spawn_allocs: (allocs_spawned - allocs_start) as f64 / n as f64,
        stop_allocs: (allocs_end - allocs_spawned) as f64 / n as f64,
    }
}

async fn many_tokio(n: usize) -> ManyResult {
    let mut senders = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    let faults = minor_faults();
    let allocs_start = allocs();
    let start = Instant::now();
    for _ in 0..n {
        let (tx, mut rx) = mpsc::channel::<u64>(1024);
        tasks.push(tokio::spawn(async move { while rx.recv().await.is_some() {} }));
        senders.push(tx);
    }
    let spawn = start.elapsed();
    let allocs_spawned = allocs();
    drop(senders);
    for task in tasks {
        task.await.expect("baseline task");
    }
    let total = start.elapsed();
    let faults = minor_faults() - faults;
    let allocs_end = allocs();
    ManyResult {
        total,
        spawn,
        stop: total - spawn,
        killed: 0,
        faults,
        spawn_allocs: (allocs_spawned - allocs_start) as f64 / n as f64,
        stop_allocs: (allocs_end - allocs_spawned) as f64 / n as f64,
    }
}

// ------------------------------------------------------------------ 3 & 7. tell throughput

const TELL_N: u64 = 2_000_000;
const TELL_WARM: u64 = 200_000;

/// (msgs per second, allocations during the measured pass, mailbox depth when the senders were
/// done). The pass runs from the first tell to the reply of an ask that returns the count; its
/// allocations include that ask's reply slot and, with several senders, the sender tasks.
/// With `through_recipient` (one sender only), the tells go through a `Recipient<CounterMsg>`
/// made from the handle before the passes: the same workload behind the recipient's vtable.
async fn tell_airssys(
    mailbox: MailboxConfig,
    senders: u64,
    n: u64,
    through_recipient: bool,
) -> (f64, u64, usize) {
    let system = system(16);
    let options = SpawnOptions::new().mailbox(mailbox);
    let actor = system.spawn_with::<Counter>(options, 0).await.expect("spawn");
    let recipient: Recipient<CounterMsg> = actor.recipient();
    let mut expected = 0;
    let mut result = (0.0, 0, 0);
    for (pass, count) in [(0, TELL_WARM), (1, n)] {
        let per = count / senders;
        let mut handles = Vec::with_capacity(senders as usize);
        let allocs_before = allocs();
        let start = Instant::now();
        if senders == 1 && through_recipient {
            for _ in 0..per {
                recipient.tell(CounterMsg::Add(1)).await.expect("tell");
            }
        } else if senders == 1 {
            for _ in 0..per {
                actor.tell(CounterMsg::Add(1)).await.expect("tell");
            }
        } else {
            for _ in 0..senders {
                let actor = actor.clone();
                handles.push(tokio::spawn(async move {
                    for _ in 0..per {
                        actor.tell(CounterMsg::Add(1)).await.expect("tell");
                    }
                }));
            }
            for handle in handles {
                handle.await.expect("sender");
            }
        }
        let depth = actor.mailbox_len();
        let total = actor.ask(CounterMsg::Get).await.expect("ask");
        let elapsed = start.elapsed();
        let allocated = allocs() - allocs_before;
        expected += per * senders;
        assert_eq!(total, expected, "messages lost");
        if pass == 1 {
            result = ((per * senders) as f64 / elapsed.as_secs_f64(), allocated, depth);
        }
    }
    drop((actor, recipient));
    system.shutdown().await;
    result
}

/// [`tell_airssys`] with one sender, through a handler per message ([`Tally`]).
async fn tell_handlers(mailbox: MailboxConfig, n: u64) -> (f64, u64) {
    let system = system(16);
    let options = SpawnOptions::new().mailbox(mailbox);
    let actor = system.spawn_with::<Tally>(options, Tally::default()).await.expect("spawn");
    let mut expected = 0;
    let mut result = (0.0, 0);
    for (pass, count) in [(0, TELL_WARM), (1, n)] {
        let allocs_before = allocs();
        let start = Instant::now();
        for _ in 0..count {
            actor.tell(Add(1)).await.expect("tell");
        }
        let total = actor.ask(Get).await.expect("ask");
        let elapsed = start.elapsed();
        let allocated = allocs() - allocs_before;
        expected += count;
        assert_eq!(total, expected, "messages lost");
        if pass == 1 {
            result = (count as f64 / elapsed.as_secs_f64(), allocated);
        }
    }
    drop(actor);
    system.shutdown().await;
    result
}

async fn tell_tokio(bounded: bool, senders: u64, n: u64) -> (f64, u64) {
    let tx = spawn_base_counter(bounded);
    let mut expected = 0;
    let mut result = (0.0, 0);
    for (pass, count) in [(0, TELL_WARM), (1, n)] {
        let per = count / senders;
        let mut handles = Vec::with_capacity(senders as usize);
        let allocs_before = allocs();
        let start = Instant::now();
        if senders == 1 {
            for _ in 0..per {
                tx.send(BaseMsg::Add(1)).await;
            }
        } else {
            for _ in 0..senders {
                let tx = tx.clone();
                handles.push(tokio::spawn(async move {
                    for _ in 0..per {
                        tx.send(BaseMsg::Add(1)).await;
                    }
                }));
            }
            for handle in handles {
                handle.await.expect("sender");
            }
        }
        let total = tx.get().await;
        let elapsed = start.elapsed();
        let allocated = allocs() - allocs_before;
        expected += per * senders;
        assert_eq!(total, expected, "messages lost");
        if pass == 1 {
            result = ((per * senders) as f64 / elapsed.as_secs_f64(), allocated);
        }
    }
    result
}

// ------------------------------------------------------------------ 4. ask round trip

const ASK_N: usize = 200_000;
const ASK_WARM: usize = 20_000;

struct AskResult {
    mean_ns: f64,
    p50_ns: f64,
    p99_ns: f64,
    allocs_per_ask: f64,
}

fn ask_stats(samples: &mut [u64], total: Duration, allocated: u64) -> AskResult {
    samples.sort_unstable();
    let n = samples.len();
    AskResult {
        mean_ns: ns(total) / n as f64,
        p50_ns: samples[n / 2] as f64,
        p99_ns: samples[(n * 99) / 100] as f64,
        allocs_per_ask: allocated as f64 / n as f64,
    }
}

async fn ask_airssys(n: usize) -> AskResult {
    let system = system(16);
    let actor = system.spawn::<Counter>(7).await.expect("spawn");
    for _ in 0..ASK_WARM {
        actor.ask(CounterMsg::Get).await.expect("ask");
    }
    let mut samples = Vec::with_capacity(n);
    let allocs_before = allocs();
    let start = Instant::now();
    let mut previous = start;
    for _ in 0..n {
        let reply = actor.ask(CounterMsg::Get).await.expect("ask");
        let now = Instant::now();
        samples.push((now - previous).as_nanos() as u64);
        previous = now;
        debug_assert_eq!(reply, 7);
    }
    let total = start.elapsed();
    let allocated = allocs() - allocs_before;
    drop(actor);
    system.shutdown().await;
    ask_stats(&mut samples, total, allocated)
}

/// [`ask_airssys`] through a handler per message ([`Tally`]).
async fn ask_handlers(n: usize) -> AskResult {
    let system = system(16);
    let actor = system.spawn::<Tally>(Tally { total: 7 }).await.expect("spawn");
    for _ in 0..ASK_WARM {
        actor.ask(Get).await.expect("ask");
    }
    let mut samples = Vec::with_capacity(n);
    let allocs_before = allocs();
    let start = Instant::now();
    let mut previous = start;
    for _ in 0..n {
        let reply = actor.ask(Get).await.expect("ask");
        let now = Instant::now();
        samples.push((now - previous).as_nanos() as u64);
        previous = now;
        debug_assert_eq!(reply, 7);
    }
    let total = start.elapsed();
    let allocated = allocs() - allocs_before;
    drop(actor);
    system.shutdown().await;
    ask_stats(&mut samples, total, allocated)
}

/// The baseline ask; `with_timeout` wraps the reply wait in `tokio::time::timeout(5 s)`, as
/// airssys-rt's ask does with its deadline (a diagnostic, not the baseline).
async fn ask_tokio(n: usize, with_timeout: bool) -> AskResult {
    let tx = spawn_base_counter(true);
    for _ in 0..ASK_WARM {
        tx.get().await;
    }
    let mut samples = Vec::with_capacity(n);
    let allocs_before = allocs();
    let start = Instant::now();
    let mut previous = start;
    for _ in 0..n {
        if with_timeout {
            tokio::time::timeout(Duration::from_secs(5), tx.get()).await.expect("timeout");
        } else {
            tx.get().await;
        }
        let now = Instant::now();
        samples.push((now - previous).as_nanos() as u64);
        previous = now;
    }
    let total = start.elapsed();
    let allocated = allocs() - allocs_before;
    ask_stats(&mut samples, total, allocated)
}

// ------------------------------------------------------------------ 5 & 6. ping-pong and ring

const HOPS: u64 = 1_000_000;
const HOPS_WARM: u64 = 100_000;
const RING_N: usize = 10_000;

/// ns per hop around a ring of `size` relay actors (2 = ping-pong).
async fn relay_airssys(size: usize, hops: u64) -> f64 {
    let system = system(2_000_000);
    let mut nodes = Vec::with_capacity(size);
    for _ in 0..size {
        nodes.push(system.spawn::<Relay>(()).await.expect("spawn"));
    }
    for i in 0..size {
        let next = nodes[(i + 1) % size].clone();
        nodes[i].ask(RelayMsg::Next(next)).await.expect("wire the ring");
    }
    let mut result = 0.0;
    for (pass, count) in [(0, HOPS_WARM), (1, hops)] {
        let (done, finished) = oneshot::channel();
        let start = Instant::now();
        nodes[0].tell(RelayMsg::Hop { left: count, done: Some(done) }).await.expect("kick off");
        finished.await.expect("token lost");
        let elapsed = start.elapsed();
        if pass == 1 {
            result = ns(elapsed) / count as f64;
        }
    }
    drop(nodes);
    // The nodes hold each other (a cycle), so they must be stopped.
    system.shutdown().await;
    result
}

async fn relay_tokio(size: usize, hops: u64) -> f64 {
    let mut senders = Vec::with_capacity(size);
    let mut receivers = Vec::with_capacity(size);
    for _ in 0..size {
        let (tx, rx) = mpsc::channel::<Token>(1024);
        senders.push(tx);
        receivers.push(Some(rx));
    }
    let mut tasks = Vec::with_capacity(size);
    for i in 0..size {
        let rx = receivers[i].take().expect("receiver");
        tasks.push(spawn_base_relay(rx, senders[(i + 1) % size].clone()));
    }
    let mut result = 0.0;
    for (pass, count) in [(0, HOPS_WARM), (1, hops)] {
        let (done, finished) = oneshot::channel();
        let start = Instant::now();
        if senders[0].send(Token { left: count, done: Some(done) }).await.is_err() {
            panic!("baseline ring broken");
        }
        finished.await.expect("token lost");
        let elapsed = start.elapsed();
        if pass == 1 {
            result = ns(elapsed) / count as f64;
        }
    }
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }
    result
}

// ------------------------------------------------------------------ main

/// The result table and the notes under it.
#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

const REPS_HEAVY: usize = 3;
const REPS: usize = 5;
/// Scenario 2 is the noisiest (page faults, see the notes), so it gets more runs.
const REPS_MANY: usize = 5;

fn scenario_idle(rt: &Runtime, out: &mut Report) {
    eprintln!("[1] spawn {IDLE_N} idle actors");
    on_worker(rt, idle_airssys(IDLE_N / 10));
    on_worker(rt, idle_tokio(IDLE_N / 10));
    let (mut a_time, mut a_bytes, mut t_time, mut t_bytes) = (vec![], vec![], vec![], vec![]);
    for _ in 0..REPS_HEAVY {
        let (time, bytes) = on_worker(rt, idle_airssys(IDLE_N));
        a_time.push(time);
        a_bytes.push(bytes);
        let (time, bytes) = on_worker(rt, idle_tokio(IDLE_N));
        t_time.push(time);
        t_bytes.push(bytes);
    }
    let (a_bytes_m, t_bytes_m) = (median(a_bytes.clone()), median(t_bytes.clone()));
    out.rows.push(row(
        "1a. spawn 100k idle actors: time per spawn",
        format!("{:.0} ns", median(a_time.clone())),
        format!("{:.0} ns", median(t_time.clone())),
        "-",
        None,
    ));
    out.rows.push(row(
        "1b. heap bytes per idle actor (default mailbox)",
        format!("{a_bytes_m:.0} B"),
        format!("{t_bytes_m:.0} B"),
        "<= 512 B",
        Some(a_bytes_m <= 512.0),
    ));
    out.notes.push(format!(
        "1 ns/spawn samples: airssys {:?}, tokio {:?}; B/actor samples: airssys {:?}, tokio {:?}",
        a_time.iter().map(|v| v.round()).collect::<Vec<_>>(),
        t_time.iter().map(|v| v.round()).collect::<Vec<_>>(),
        a_bytes.iter().map(|v| v.round()).collect::<Vec<_>>(),
        t_bytes.iter().map(|v| v.round()).collect::<Vec<_>>()
    ));
    let (a_sizes, t_sizes) = on_worker(rt, idle_alloc_sizes());
    out.notes.push(format!(
        "1 allocations made by one airssys spawn (system table already grown): {a_sizes:?} B, \
         sum {} B",
        a_sizes.iter().sum::<usize>()
    ));
    out.notes.push(format!(
        "1 allocations made by one baseline task + mpsc::channel(1024): {t_sizes:?} B, sum {} B",
        t_sizes.iter().sum::<usize>()
    ));
}

fn scenario_many(rt: &Runtime, out: &mut Report) {
    eprintln!("[2] spawn and stop {MANY_N} idle actors");
    on_worker(rt, many_airssys(MANY_N / 5, StopBy::Shutdown));
    on_worker(rt, many_tokio(MANY_N / 5));
    let (mut shut, mut dropped, mut base) = (vec![], vec![], vec![]);
    for _ in 0..REPS_MANY {
        shut.push(on_worker(rt, many_airssys(MANY_N, StopBy::Shutdown)));
        dropped.push(on_worker(rt, many_airssys(MANY_N, StopBy::DropRefs)));
        base.push(on_worker(rt, many_tokio(MANY_N)));
    }
    let show = |runs: &mut Vec<ManyResult>, stop: &str| {
        runs.sort_by_key(|r| r.total);
        let r = &runs[runs.len() / 2];
        let killed = if r.killed > 0 { format!(", {} killed", r.killed) } else { String::new() };
        format!(
            "{:.3} s (spawn {:.3} s + {stop} {:.3} s{killed}); best {:.3} s",
            r.total.as_secs_f64(),
            r.spawn.as_secs_f64(),
            r.stop.as_secs_f64(),
            runs[0].total.as_secs_f64()
        )
    };
    let shut_s = show(&mut shut, "shutdown");
    let dropped_s = show(&mut dropped, "drop refs + wait");
    let base_s = show(&mut base, "drop senders + join");
    let met = |runs: &[ManyResult]| Some(runs[runs.len() / 2].total < Duration::from_millis(1500));
    out.rows.push(row(
        "2a. spawn + stop 1M idle actors, stop = system.shutdown()",
        shut_s,
        base_s.clone(),
        "< 1.5 s",
        met(&shut),
    ));
    out.rows.push(row(
        "2b. spawn + stop 1M idle actors, stop = drop every ActorRef",
        dropped_s,
        base_s,
        "< 1.5 s",
        met(&dropped),
    ));
    let samples = |runs: &[ManyResult]| {
        runs.iter()
            .map(|r| format!("{:.2} s/{}k faults", r.total.as_secs_f64(), r.faults / 1000))
            .collect::<Vec<_>>()
    };
    out.notes.push(format!(
        "2 totals (sorted) and minor page faults: shutdown {:?}; drop refs {:?}; tokio {:?}",
        samples(&shut),
        samples(&dropped),
        samples(&base)
    ));
    let allocs = |runs: &[ManyResult]| {
        let r = &runs[runs.len() / 2];
        format!("{:.2} spawning + {:.2} stopping", r.spawn_allocs, r.stop_allocs)
    };
    out.notes.push(format!(
        "2 allocation calls per actor: shutdown {}; drop refs {}; tokio {}",
        allocs(&shut),
        allocs(&dropped),
        allocs(&base)
    ));
}

fn scenario_tell(rt: &Runtime, senders: u64, label: &str, out: &mut Report) {
    for (bounded, mailbox, what) in [
        (
            true,
            MailboxConfig::default(),
            "default mailbox (bounded 1024, Wait) vs mpsc::channel(1024)",
        ),
        (false, MailboxConfig::unbounded(), "unbounded mailbox vs mpsc::unbounded_channel"),
    ] {
        eprintln!("[{label}] tell, {senders} sender(s), {what}");
        let (mut a_rate, mut a_alloc, mut t_rate, mut t_alloc) = (vec![], vec![], vec![], vec![]);
        let mut depths = vec![];
        // The recipient row: the bounded one-sender workload through a `Recipient<M>`, run in
        // the same repetitions, alternating with the `ActorRef` row.
        let with_recipient = bounded && senders == 1;
        let (mut r_rate, mut r_alloc) = (vec![], vec![]);
        for _ in 0..REPS {
            let (rate, allocated, depth) =
                on_worker(rt, tell_airssys(mailbox, senders, TELL_N, false));
            a_rate.push(rate);
            a_alloc.push(allocated as f64);
            depths.push(depth);
            if with_recipient {
                let (rate, allocated, _) = on_worker(rt, tell_airssys(mailbox, 1, TELL_N, true));
                r_rate.push(rate);
                r_alloc.push(allocated as f64);
            }
            let (rate, allocated) = on_worker(rt, tell_tokio(bounded, senders, TELL_N));
            t_rate.push(rate);
            t_alloc.push(allocated as f64);
        }
        let (a_rate_m, a_alloc_m, t_alloc_m) =
            (median(a_rate.clone()), median(a_alloc.clone()), median(t_alloc.clone()));
        let kind = if bounded { "bounded 1024" } else { "unbounded" };
        let name = if senders == 1 {
            format!("{label}. tell throughput, 1 sender, 2M msgs, {kind}")
        } else {
            format!("{label}. tell throughput, 8 senders, 2M msgs total, {kind}")
        };
        out.rows.push(row(
            &name,
            fmt_rate(a_rate_m),
            fmt_rate(median(t_rate.clone())),
            ">= 12 M msg/s",
            Some(a_rate_m >= 12e6),
        ));
        let per_tell = a_alloc_m / TELL_N as f64;
        out.rows.push(row(
            &format!("{label}. allocations per tell (measured pass), {kind}"),
            format!("{per_tell:.6} ({a_alloc_m:.0} in the pass)"),
            format!("{:.6} ({t_alloc_m:.0} in the pass)", t_alloc_m / TELL_N as f64),
            if senders == 1 { "0" } else { "-" },
            (senders == 1).then_some(per_tell < 0.001),
        ));
        let rates = |v: &[f64]| v.iter().map(|r| format!("{:.2}", r / 1e6)).collect::<Vec<_>>();
        if with_recipient {
            let (r_rate_m, r_alloc_m) = (median(r_rate.clone()), median(r_alloc.clone()));
            out.rows.push(row(
                &format!(
                    "{label}. tell throughput through a Recipient<M>, 1 sender, 2M msgs, {kind}"
                ),
                fmt_rate(r_rate_m),
                fmt_rate(median(t_rate.clone())),
                ">= 12 M msg/s",
                Some(r_rate_m >= 12e6),
            ));
            let per_tell = r_alloc_m / TELL_N as f64;
            out.rows.push(row(
                &format!("{label}. allocations per tell through a Recipient<M>, {kind}"),
                format!("{per_tell:.6} ({r_alloc_m:.0} in the pass)"),
                format!("{:.6} ({t_alloc_m:.0} in the pass)", t_alloc_m / TELL_N as f64),
                "0",
                Some(per_tell < 0.001),
            ));
            out.notes.push(format!(
                "{label} {kind} through a Recipient<M>, M msg/s samples: {:?}; allocations per \
                 pass: {r_alloc:?}",
                rates(&r_rate)
            ));
        }
        out.notes.push(format!(
            "{label} {kind} M msg/s samples: airssys {:?}, tokio {:?}; allocations per pass: \
             airssys {a_alloc:?}, tokio {t_alloc:?}; airssys mailbox depth when the senders \
             were done: {depths:?}",
            rates(&a_rate),
            rates(&t_rate)
        ));
    }
}

fn scenario_ask(rt: &Runtime, out: &mut Report) {
    eprintln!("[4] {ASK_N} sequential asks");
    let (mut a_runs, mut t_runs, mut d_runs) = (vec![], vec![], vec![]);
    for _ in 0..REPS {
        a_runs.push(on_worker(rt, ask_airssys(ASK_N)));
        t_runs.push(on_worker(rt, ask_tokio(ASK_N, false)));
        d_runs.push(on_worker(rt, ask_tokio(ASK_N, true)));
    }
    let pick = |runs: &[AskResult], f: fn(&AskResult) -> f64| median(runs.iter().map(f).collect());
    let stats = |runs: &[AskResult]| {
        (
            pick(runs, |r| r.mean_ns),
            pick(runs, |r| r.p50_ns),
            pick(runs, |r| r.p99_ns),
            pick(runs, |r| r.allocs_per_ask),
        )
    };
    let (a_mean, a_p50, a_p99, a_alloc) = stats(&a_runs);
    let (t_mean, t_p50, t_p99, t_alloc) = stats(&t_runs);
    let (d_mean, d_p50, d_p99, d_alloc) = stats(&d_runs);
    out.rows.push(row(
        "4. ask round trip, mean (p50)",
        format!("{a_mean:.0} ns ({a_p50:.0} ns)"),
        format!("{t_mean:.0} ns ({t_p50:.0} ns)"),
        "<= 300 ns",
        Some(a_mean <= 300.0),
    ));
    out.rows.push(row(
        "4. ask round trip, p99",
        format!("{a_p99:.0} ns"),
        format!("{t_p99:.0} ns"),
        "<= 1 us",
        Some(a_p99 <= 1000.0),
    ));
    out.rows.push(row(
        "4. allocations per ask",
        format!("{a_alloc:.3}"),
        format!("{t_alloc:.3}"),
        "<= 1",
        Some(a_alloc <= 1.0),
    ));
    out.rows.push(row(
        "4d. (diagnostic) baseline ask inside tokio::time::timeout(5 s): mean (p50) / p99 / allocs",
        "-".to_owned(),
        format!("{d_mean:.0} ns ({d_p50:.0} ns) / {d_p99:.0} ns / {d_alloc:.3}"),
        "-",
        None,
    ));
    let means = |runs: &[AskResult]| runs.iter().map(|r| r.mean_ns.round()).collect::<Vec<_>>();
    let p99s = |runs: &[AskResult]| runs.iter().map(|r| r.p99_ns).collect::<Vec<_>>();
    out.notes.push(format!(
        "4 mean ns samples: airssys {:?}, tokio {:?}, tokio+timeout {:?}; p99 ns samples: \
         airssys {:?}, tokio {:?}, tokio+timeout {:?}",
        means(&a_runs),
        means(&t_runs),
        means(&d_runs),
        p99s(&a_runs),
        p99s(&t_runs),
        p99s(&d_runs)
    ));
}

/// The one-enum `Counter` against the same actor with a handler per message (`Tally`), in
/// the same run: what the generated dispatch costs.
fn scenario_handlers(rt: &Runtime, out: &mut Report) {
    eprintln!("[8] tell and ask: one enum (classic) vs a handler per message");
    let (mut c_rate, mut h_rate, mut h_alloc) = (vec![], vec![], vec![]);
    let (mut c_ask, mut h_ask) = (vec![], vec![]);
    for _ in 0..REPS {
        c_rate.push(on_worker(rt, tell_airssys(MailboxConfig::default(), 1, TELL_N, false)).0);
        let (rate, allocated) = on_worker(rt, tell_handlers(MailboxConfig::default(), TELL_N));
        h_rate.push(rate);
        h_alloc.push(allocated as f64);
        c_ask.push(on_worker(rt, ask_airssys(ASK_N)));
        h_ask.push(on_worker(rt, ask_handlers(ASK_N)));
    }
    out.rows.push(row(
        "8. tell throughput, 1 sender, bounded 1024: classic (handlers per message)",
        format!("{} ({})", fmt_rate(median(c_rate.clone())), fmt_rate(median(h_rate.clone()))),
        "-".to_owned(),
        "handlers within noise of classic",
        None,
    ));
    out.rows.push(row(
        "8. allocations per tell, handlers per message",
        format!("{:.6}", median(h_alloc.clone()) / TELL_N as f64),
        "-".to_owned(),
        "0",
        Some(median(h_alloc.clone()) / (TELL_N as f64) < 0.001),
    ));
    let pick = |runs: &[AskResult], f: fn(&AskResult) -> f64| median(runs.iter().map(f).collect());
    out.rows.push(row(
        "8. ask mean (p50) / p99 / allocs: classic; handlers per message",
        format!(
            "{:.0} ns ({:.0}) / {:.0} ns / {:.3}; {:.0} ns ({:.0}) / {:.0} ns / {:.3}",
            pick(&c_ask, |r| r.mean_ns),
            pick(&c_ask, |r| r.p50_ns),
            pick(&c_ask, |r| r.p99_ns),
            pick(&c_ask, |r| r.allocs_per_ask),
            pick(&h_ask, |r| r.mean_ns),
            pick(&h_ask, |r| r.p50_ns),
            pick(&h_ask, |r| r.p99_ns),
            pick(&h_ask, |r| r.allocs_per_ask),
        ),
        "-".to_owned(),
        "<= 1 alloc",
        Some(pick(&h_ask, |r| r.allocs_per_ask) <= 1.0),
    ));
    let rates = |v: &[f64]| v.iter().map(|r| format!("{:.2}", r / 1e6)).collect::<Vec<_>>();
    out.notes.push(format!(
        "8 M msg/s samples: classic {:?}, handlers {:?}; ask mean ns: classic {:?}, handlers {:?}",
        rates(&c_rate),
        rates(&h_rate),
        c_ask.iter().map(|r| r.mean_ns.round()).collect::<Vec<_>>(),
        h_ask.iter().map(|r| r.mean_ns.round()).collect::<Vec<_>>()
    ));
}

fn scenario_relay(rt: &Runtime, size: usize, out: &mut Report) {
    let (label, name, target, limit) = if size == 2 {
        ("5", "5. ping-pong between 2 actors, 1M hops", "<= 100 ns/hop", 100.0)
    } else {
        ("6", "6. ring of 10,000 actors, 1M hops", "<= 110 ns/hop", 110.0)
    };
    eprintln!("[{label}] {name}");
    let (mut a_hop, mut t_hop) = (vec![], vec![]);
    for _ in 0..REPS {
        a_hop.push(on_worker(rt, relay_airssys(size, HOPS)));
        t_hop.push(on_worker(rt, relay_tokio(size, HOPS)));
    }
    let (a_m, t_m) = (median(a_hop.clone()), median(t_hop.clone()));
    out.rows.push(row(
        name,
        format!("{a_m:.0} ns/hop"),
        format!("{t_m:.0} ns/hop"),
        target,
        Some(a_m <= limit),
    ));
    out.notes.push(format!(
        "{label} ns/hop samples: airssys {:?}, tokio {:?}",
        a_hop.iter().map(|v| v.round()).collect::<Vec<_>>(),
        t_hop.iter().map(|v| v.round()).collect::<Vec<_>>()
    ));
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let bench_start = Instant::now();
    let mut out = Report::default();
    if selected(1) {
        scenario_idle(&rt, &mut out);
    }
    if selected(2) {
        scenario_many(&rt, &mut out);
    }
    if selected(3) {
        scenario_tell(&rt, 1, "3", &mut out);
    }
    if selected(4) {
        scenario_ask(&rt, &mut out);
    }
    if selected(5) {
        scenario_relay(&rt, 2, &mut out);
    }
    if selected(6) {
        scenario_relay(&rt, RING_N, &mut out);
    }
    if selected(7) {
        scenario_tell(&rt, 8, "7", &mut out);
    }
    if selected(8) {
        scenario_handlers(&rt, &mut out);
    }

    println!();
    println!("| scenario | airssys-rt | tokio baseline | target | met |");
    println!("|---|---|---|---|---|");
    for r in &out.rows {
        println!("| {} | {} | {} | {} | {} |", r.scenario, r.airssys, r.tokio, r.target, r.met);
    }
    println!();
    println!(
        "Medians of {REPS_HEAVY} measured runs for 1, {REPS_MANY} for 2 and {REPS} for 3-8, each \
         after a warm-up; 2 Tokio worker threads."
    );
    for note in &out.notes {
        println!("- {note}");
    }
    println!("- whole bench: {:.1} s", bench_start.elapsed().as_secs_f64());
}
