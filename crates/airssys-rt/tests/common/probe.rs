//! `Probe`, configurable, which records in its journal what happens to it (hooks, messages, the
//! exit signals and down notices it gets); `Idle`, which does nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::prelude::*;
use tokio::sync::oneshot;

/// Where a fault is injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    PreStart,
    PostStart,
    PostStop,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    PreStart,
    PostStart,
    Handled(u64),
    PostStop(ExitReason),
    Dropped,
    /// An exit signal, handed to `on_exit` (so only while it traps exits).
    Exit(ActorId, ExitReason),
    /// A down notice of one of its monitors.
    Down(ActorId, ExitReason),
}

/// What happened to a probe, in order.
pub type Journal = super::record::Record<Event>;

impl Journal {
    pub fn events(&self) -> Vec<Event> {
        self.items()
    }
    /// Waits until the journal holds `event`.
    pub async fn wait_for(&self, event: Event) {
        self.wait_for_count(&event, 1).await;
    }
    pub fn handled(&self) -> Vec<u64> {
        self.items()
            .into_iter()
            .filter_map(|e| if let Event::Handled(n) = e { Some(n) } else { None })
            .collect()
    }
}

#[derive(Clone, Default)]
pub struct ProbeArgs {
    pub journal: Journal,
    pub fail_in: Option<Hook>,
    pub panic_in: Option<Hook>,
    /// `post_stop` awaits this long first (on Tokio's clock).
    pub slow_stop: Option<Duration>,
    /// Traps exits from `pre_start` on (L3).
    pub trap_exit: bool,
    /// Counts handlers running at once, to catch overlap.
    pub inside: Arc<AtomicUsize>,
    pub max_inside: Arc<AtomicUsize>,
}

impl ProbeArgs {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn failing_in(mut self, hook: Hook) -> Self {
        self.fail_in = Some(hook);
        self
    }
    pub fn panicking_in(mut self, hook: Hook) -> Self {
        self.panic_in = Some(hook);
        self
    }
    pub fn trapping_exits(mut self) -> Self {
        self.trap_exit = true;
        self
    }
}

/// Messages deliberately do not implement `Clone` (rule M2).
pub enum Cmd {
    /// Records and returns the number.
    Echo(u64),
    /// Yields a few times while "inside" the handler, then records the number.
    Overlap(u64),
    Panic,
    Fail,
    /// Tells `entered`, then waits for `release` before replying 0.
    Block {
        entered: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    },
    /// Waits this long on Tokio's clock before replying 0.
    Sleep(Duration),
    StopSelf,
    /// As `Block`, then stops itself (`Context::stop`) as the handler returns.
    BlockThenStop {
        entered: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    },
    Link(ActorRef<Probe>),
    Monitor(ActorRef<Probe>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the probe failed on purpose")]
pub struct ProbeError;

pub struct Probe {
    args: ProbeArgs,
}

impl Probe {
    fn inject(&self, hook: Hook) -> Result<(), ProbeError> {
        if self.args.panic_in == Some(hook) {
            panic!("injected panic in {hook:?}");
        }
        if self.args.fail_in == Some(hook) {
            return Err(ProbeError);
        }
        Ok(())
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.args.journal.push(Event::Dropped);
    }
}

#[actor]
impl Actor for Probe {
    type Msg = Cmd;
    type Reply = u64;
    type Args = ProbeArgs;
    type Error = ProbeError;

    async fn pre_start(args: ProbeArgs, ctx: &mut Context<Self>) -> Result<Self, ProbeError> {
        args.journal.push(Event::PreStart);
        if args.trap_exit {
            ctx.trap_exit(true);
        }
        if args.panic_in == Some(Hook::PreStart) {
            panic!("injected panic in PreStart");
        }
        if args.fail_in == Some(Hook::PreStart) {
            return Err(ProbeError);
        }
        Ok(Probe { args })
    }

    async fn post_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), ProbeError> {
        self.args.journal.push(Event::PostStart);
        self.inject(Hook::PostStart)
    }

    async fn handle(&mut self, msg: Cmd, ctx: &mut Context<Self>) -> Result<u64, ProbeError> {
        match msg {
            Cmd::Echo(n) => {
                self.args.journal.push(Event::Handled(n));
                Ok(n)
            }
            Cmd::Overlap(n) => {
                let now = self.args.inside.fetch_add(1, Ordering::SeqCst) + 1;
                self.args.max_inside.fetch_max(now, Ordering::SeqCst);
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                self.args.inside.fetch_sub(1, Ordering::SeqCst);
                self.args.journal.push(Event::Handled(n));
                Ok(n)
            }
            Cmd::Panic => panic!("handler panicked on purpose"),
            Cmd::Fail => Err(ProbeError),
            Cmd::Block { entered, release } => {
                let _ = entered.send(());
                let _ = release.await;
                Ok(0)
            }
            Cmd::Sleep(duration) => {
                tokio::time::sleep(duration).await;
                Ok(0)
            }
            Cmd::StopSelf => {
                ctx.stop();
                Ok(0)
            }
            Cmd::BlockThenStop { entered, release } => {
                let _ = entered.send(());
                let _ = release.await;
                ctx.stop();
                Ok(0)
            }
            Cmd::Link(other) => {
                ctx.link(&other);
                Ok(0)
            }
            Cmd::Monitor(other) => {
                ctx.monitor(&other);
                Ok(0)
            }
        }
    }

    async fn on_exit(
        &mut self,
        _ctx: &mut Context<Self>,
        exit: ExitSignal,
    ) -> Result<(), ProbeError> {
        self.args.journal.push(Event::Exit(exit.from, exit.reason));
        Ok(())
    }

    async fn on_down(
        &mut self,
        _ctx: &mut Context<Self>,
        down: DownNotice,
    ) -> Result<(), ProbeError> {
        self.args.journal.push(Event::Down(down.actor, down.reason));
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _ctx: &mut Context<Self>,
        reason: &ExitReason,
    ) -> Result<(), ProbeError> {
        self.args.journal.push(Event::PostStop(reason.clone()));
        if let Some(delay) = self.args.slow_stop {
            tokio::time::sleep(delay).await;
        }
        self.inject(Hook::PostStop)
    }
}

/// Spawns a probe and returns it with its journal.
pub async fn probe(system: &ActorSystem) -> (ActorRef<Probe>, Journal) {
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    (system.spawn::<Probe>(args).await.expect("spawn probe"), journal)
}

/// Makes the probe block in its handler; returns once it is inside, with the release switch.
pub async fn block(actor: &ActorRef<Probe>) -> oneshot::Sender<()> {
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    actor.tell(Cmd::Block { entered: entered_tx, release: release_rx }).await.expect("tell block");
    entered_rx.await.expect("probe entered the block");
    release_tx
}

/// An actor that does nothing: another type to look up, group or subscribe.
pub struct Idle;

#[actor]
impl Actor for Idle {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Idle)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}
