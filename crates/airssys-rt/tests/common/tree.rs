//! Supervision test fixtures: `Member`, a worker that logs its starts and stops and can be
//! made to crash, fail or stall; `Tree`, which makes its child specifications; `Log`.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{Backoff, ChildSpec, ChildStatus, SupervisorRef};

/// An ordered record of starts and stops, that can be waited on.
pub type Log = super::record::Record<String>;

impl Log {
    pub fn lines(&self) -> Vec<String> {
        self.items()
    }
    /// Waits until `line` has been logged `times` times.
    pub async fn wait_for(&self, line: &str, times: usize) {
        self.wait_for_count(line, times).await;
    }
}

#[derive(Clone)]
pub struct MemberArgs {
    pub name: &'static str,
    pub log: Log,
    /// How many of the next starts fail.
    pub failing_starts: Arc<AtomicUsize>,
    /// How many of the next starts panic.
    pub panicking_starts: Arc<AtomicUsize>,
    /// `post_stop` waits this long (on Tokio's clock).
    pub slow_stop: Option<Duration>,
}

pub enum Cmd {
    Crash,
    Exit(ExitReason),
}

#[derive(Debug, thiserror::Error)]
#[error("member failed to start")]
pub struct StartRefused;

pub struct Member {
    args: MemberArgs,
}

#[actor]
impl Actor for Member {
    type Msg = Cmd;
    type Reply = ();
    type Args = MemberArgs;
    type Error = StartRefused;

    async fn pre_start(args: MemberArgs, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        let panicking = args.panicking_starts.load(Ordering::SeqCst);
        if panicking > 0 {
            args.panicking_starts.store(panicking - 1, Ordering::SeqCst);
            args.log.push(format!("panicked:{}", args.name));
            panic!("member panicked in pre_start");
        }
        let failing = args.failing_starts.load(Ordering::SeqCst);
        if failing > 0 {
            args.failing_starts.store(failing - 1, Ordering::SeqCst);
            args.log.push(format!("refused:{}", args.name));
            return Err(StartRefused);
        }
        args.log.push(format!("start:{}", args.name));
        Ok(Member { args })
    }

    async fn handle(&mut self, cmd: Cmd, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        match cmd {
            Cmd::Crash => panic!("member crashed on purpose"),
            Cmd::Exit(reason) => ctx.stop_with(reason),
        }
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        if let Some(delay) = self.args.slow_stop {
            tokio::time::sleep(delay).await;
        }
        self.args.log.push(format!("stop:{}", self.args.name));
        Ok(())
    }
}

pub struct Tree {
    pub log: Log,
}

impl Tree {
    pub fn new() -> Self {
        Tree { log: Log::default() }
    }

    pub fn args(&self, name: &'static str) -> MemberArgs {
        MemberArgs {
            name,
            log: self.log.clone(),
            failing_starts: Arc::new(AtomicUsize::new(0)),
            panicking_starts: Arc::new(AtomicUsize::new(0)),
            slow_stop: None,
        }
    }

    pub fn member(&self, name: &'static str) -> ChildSpec {
        ChildSpec::worker::<Member>(name, self.args(name))
    }
}

pub async fn member(supervisor: &SupervisorRef, id: &str) -> ActorRef<Member> {
    supervisor.child::<Member>(id).await.unwrap().unwrap_or_else(|| panic!("{id} not running"))
}

pub async fn crash(supervisor: &SupervisorRef, id: &str) {
    let child = member(supervisor, id).await;
    let _ = child.tell(Cmd::Crash).await;
    child.wait_for_exit().await;
}

/// Every child of the supervisor as (id, status), in start order.
/// Each child's id and status, in start order (`which_children` lists the most recently
/// added first, T12).
pub async fn statuses(supervisor: &SupervisorRef) -> Vec<(String, ChildStatus)> {
    supervisor
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|child| (child.id.to_string(), child.status))
        .collect()
}

/// The expected form of `statuses`.
pub fn status(list: &[(&str, ChildStatus)]) -> Vec<(String, ChildStatus)> {
    list.iter().map(|(id, s)| (id.to_string(), *s)).collect()
}

/// A backoff without jitter or reset, doubling from `initial_ms` up to an hour.
pub fn backoff(initial_ms: u64) -> Backoff {
    Backoff::exponential(Duration::from_millis(initial_ms), Duration::from_secs(3600))
        .jitter(0.0)
        .reset_after(Duration::from_secs(3600))
}
