//! The life of one actor: start, the message loop, and the orderly end.

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use super::{Actor, ActorCell, ActorRef, ActorState, Context, ExitReason};
use crate::kernel::crash::{self, Doing};
use crate::kernel::dead_letter::DeadLetterReason;
use crate::kernel::mailbox::{MailboxConfig, Next, Signal};
use crate::kernel::message::{answer_caught, answer_unwound, refusing, Envelope, Undelivered};
use crate::kernel::signal::ExitSignal;
use crate::kernel::stats::{self, ActorStats};
use crate::kernel::system::{ActorSystem, SpawnError};
use crate::kernel::trace::{self, ActorSpan};

/// Creates an actor: runs `pre_start` in the caller's task (so `spawn` returns only once the
/// actor is ready, as `gen_server:start_link` does), then gives it a task of its own.
pub(crate) async fn start<A: Actor>(
    system: &ActorSystem,
    name: Option<Arc<str>>,
    mailbox: MailboxConfig,
    args: A::Args,
) -> Result<ActorRef<A>, SpawnError> {
    let cell = Arc::new(ActorCell::<A>::new(name, mailbox, 1, system.clone()));
    let actor_ref = ActorRef::from_counted(Arc::clone(&cell));
    let slot = system.admit(cell.clone())?;
    stats::actor_starting(system, cell.id);
    crash::accept_supervision(&cell);
    let span = ActorSpan::new(&cell);
    let life = Lifecycle { cell, slot };
    let mut ctx = Context::new(Arc::clone(&life.cell));
    let actor =
        match guarded(&life.cell, span.hook("pre_start", lazy(|| A::pre_start(args, &mut ctx))))
            .await
        {
            Ok(Ok(actor)) => actor,
            Ok(Err(error)) => {
                let reason = ExitReason::failed(error);
                span.in_scope(|| life.abandon(reason.clone(), Doing::PreStart));
                return Err(SpawnError::StartFailed(reason));
            }
            Err(reason) => {
                span.in_scope(|| life.abandon(reason.clone(), Doing::PreStart));
                return Err(SpawnError::StartFailed(reason));
            }
        };
    tokio::spawn(span.run(Task { run: Some(run(Parts { actor, ctx, life })) }));
    Ok(actor_ref)
}

/// The actor's task. One flat `async` block, so the state machine that every idle actor keeps
/// on the heap holds little more than the actor, its lifecycle and the handler being run.
/// A block rather than an `async fn`: an `async fn` keeps its arguments twice in that state
/// (rust-lang/rust#62958), once as they came and once as its locals; a block uses what it
/// captured in place.
///
/// Should the runtime drop this task, the actor's state must be gone before
/// `Lifecycle::drop` announces the exit (A7, tested both before the first poll and while
/// suspended).
// Not what clippy suggests: that `async fn` is the one that keeps its arguments twice.
#[allow(clippy::manual_async_fn)]
fn run<A: Actor>(mut parts: Parts<A>) -> impl Future<Output = ()> {
    async move {
        let stats: Option<Arc<ActorStats>> =
            stats::of_actor(&parts.life.cell.system, parts.life.cell.id);
        // What it was doing goes with the reason, for its crash report.
        let (reason, doing) = 'serve: {
            // A stop asked for during `pre_start` ends the actor before `post_start`.
            if let Some(reason) = parts.life.cell.mailbox.take_stop() {
                break 'serve (reason, Doing::Stopping);
            }
            let (state, context) = (&mut parts.actor, &mut parts.ctx);
            let hook = match call(move || state.post_start(context)) {
                Ok(hook) => hook,
                Err(reason) => break 'serve (reason, Doing::PostStart),
            };
            match guarded(&parts.life.cell, trace::hook("post_start", hook)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => break 'serve (ExitReason::failed(error), Doing::PostStart),
                Err(reason) => break 'serve (reason, Doing::PostStart),
            }
            parts.life.cell.set_state(ActorState::Running);
            loop {
                // One await for both kinds of work, so the task's state holds room for the larger
                // of the two, not for both. The first look at the mailbox after each piece of work
                // is the one that starts an idle period, should the mailbox be empty.
                let cell = &parts.life.cell;
                let mut fresh = true;
                let work = match poll_fn(move |cx| {
                    cell.mailbox.poll_next(
                        cx,
                        &mut fresh,
                        || cell.parent().is_some(),
                        cell.system.budget(),
                    )
                })
                .await
                {
                    Next::Message(Envelope { message, sender }, depth) => {
                        if let Some(stats) = &stats {
                            stats.on_take(depth);
                        }
                        // For a crash report; held with the handler only, not by an idle actor.
                        let handled_type = A::message_type(&message);
                        let (state, context) = (&mut parts.actor, &mut parts.ctx);
                        let handling = match call(move || state.dispatch(message, context)) {
                            Ok(handling) => handling,
                            Err(failure) => {
                                if let Some(stats) = &stats {
                                    stats.on_done();
                                }
                                // Closed first, as below in `Guarded`.
                                fail_waiting(&parts.life.cell, &failure);
                                answer_unwound(&Undelivered::Stopped(failure.clone()));
                                break 'serve (failure, Doing::Handling(handled_type));
                            }
                        };
                        let handling = trace::handle(sender, handled_type, handling);
                        let future = guarded_handler(&parts.life.cell, handling);
                        Work::Handle { future, message_type: handled_type }
                    }
                    Next::Signal(Signal::Stop(reason)) => break 'serve (reason, Doing::Stopping),
                    // Boxed: exit signals, down notices and idle timeouts are rare, and this keeps
                    // their handling out of the state every idle actor carries.
                    Next::Signal(signal) => Work::Signal {
                        future: on_signal(
                            &mut parts.actor,
                            &mut parts.ctx,
                            &parts.life.cell,
                            signal,
                        ),
                    },
                    Next::Killed => break 'serve (ExitReason::Killed, Doing::Waiting),
                    Next::NoSenders => break 'serve (ExitReason::Normal, Doing::Waiting),
                };
                let worked = work.await;
                if let Some(stats) = &stats {
                    stats.on_done();
                }
                match worked {
                    Worked::Signal(None) | Worked::Handle(Ok(Ok(())), _) => continue,
                    Worked::Signal(Some(ended)) => break 'serve ended,
                    Worked::Handle(Ok(Err(failure)) | Err(failure), message_type) => {
                        break 'serve (failure, Doing::Handling(message_type))
                    }
                }
            }
        };

        fail_waiting(&parts.life.cell, &reason);
        let (reason, doing) = if parts.life.cell.mailbox.is_killed() {
            (ExitReason::Killed, doing)
        } else {
            let outcome = {
                let (state, context, ending, cell) =
                    (&mut parts.actor, &mut parts.ctx, &reason, &parts.life.cell);
                // Called under `catch_unwind`: a `post_stop` may panic before it returns its future.
                // Taken out of the `Result` before the await, so the task's state does not keep
                // room for both.
                'hook: {
                    let hook = match call(move || {
                        let post_stop = Ending::new(ending, state.post_stop(context, ending));
                        guarded(cell, trace::hook("post_stop", post_stop))
                    }) {
                        Ok(hook) => hook,
                        Err(panicked) => break 'hook Err(panicked),
                    };
                    hook.await
                }
            };
            match outcome {
                Ok(Ok(())) => (reason, doing),
                Ok(Err(error)) => (ExitReason::failed(error), Doing::PostStop),
                Err(interrupted) => (interrupted, Doing::PostStop),
            }
        };
        // The state goes before anyone learns of the exit, so a restarted successor never meets
        // the resources of its predecessor.
        // Reply handles the state still holds answer their askers with the reason it ended.
        let mut dropped = Ok(());
        refusing(Undelivered::Stopped(reason.clone()), || {
            dropped = catch_unwind(AssertUnwindSafe(move || drop(parts.actor)));
        });
        let (reason, doing) = match dropped {
            Ok(()) => (reason, doing),
            Err(panic) => (ExitReason::from_panic(panic), Doing::DroppingState),
        };
        drop(parts.ctx);
        parts.life.end(reason, doing);
    }
}

/// What the actor's task owns. One variable whose fields are all captured, so they drop in
/// the order declared here should the runtime drop the task (as rustc drops a fully captured
/// variable's fields, rust-lang/rust#89208): the state first, its lifecycle last.
struct Parts<A: Actor> {
    actor: A,
    ctx: Context<A>,
    life: Lifecycle<A>,
}

pin_project_lite::pin_project! {
    /// The actor's task. Should the runtime drop it before its end (the runtime shuts down), the
    /// actor is killed (`Lifecycle::drop`), and so the reply handles its handler and its state
    /// still hold answer `Stopped(Killed)` (Q6), not `Unanswered` as if the actor went on: the
    /// task is dropped here, in place, under that refusal.
    struct Task<F> {
        #[pin]
        run: Option<F>,
    }

    impl<F> PinnedDrop for Task<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut run = this.project().run;
            if run.is_some() {
                refusing(Undelivered::Stopped(ExitReason::Killed), || run.set(None));
            }
        }
    }
}

impl<F: Future<Output = ()>> Future for Task<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let mut run = self.project().run;
        let Some(running) = run.as_mut().as_pin_mut() else {
            panic!("an actor's task polled after it ended");
        };
        let ended = running.poll(cx);
        if ended.is_ready() {
            run.set(None);
        }
        ended
    }
}

pin_project_lite::pin_project! {
    /// `post_stop`, polled inside a refusal with the reason the actor ends with: the actor is
    /// ending, not going on, so a reply handle that the hook drops from the state answers that
    /// reason (Q6), as one still in the state when it is dropped does, not `Unanswered`.
    // The reason by reference: this future is in every actor's task, and the reason is
    // cloned only on the rare poll of a `post_stop`.
    struct Ending<'a, F> {
        #[pin]
        future: F,
        reason: &'a ExitReason,
    }
}

impl<'a, F> Ending<'a, F> {
    fn new(reason: &'a ExitReason, future: F) -> Self {
        Self { future, reason }
    }
}

impl<F: Future> Future for Ending<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut polled = Poll::Pending;
        refusing(Undelivered::Stopped(this.reason.clone()), || polled = this.future.poll(cx));
        polled
    }
}

pin_project_lite::pin_project! {
    /// What the actor does with what it took from its mailbox: handle a message, or a signal.
    #[project = WorkProjection]
    enum Work<H, S> {
        Handle { #[pin] future: H, message_type: &'static str },
        Signal { future: S },
    }
}

enum Worked<H, S> {
    Handle(H, &'static str),
    Signal(S),
}

impl<H: Future, S: Future + Unpin> Future for Work<H, S> {
    type Output = Worked<H::Output, S::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match self.project() {
            WorkProjection::Handle { future, message_type } => {
                let message_type: &'static str = message_type;
                future.poll(cx).map(|handled| Worked::Handle(handled, message_type))
            }
            WorkProjection::Signal { future } => Pin::new(future).poll(cx).map(Worked::Signal),
        }
    }
}

type SignalFuture<'a> = Pin<Box<dyn Future<Output = Option<(ExitReason, Doing)>> + Send + 'a>>;

fn on_signal<'a, A: Actor>(
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
    cell: &'a ActorCell<A>,
    signal: Signal,
) -> SignalFuture<'a> {
    Box::pin(handle_signal(actor, ctx, cell, signal))
}

/// Handles an exit signal, a down notice, an idle timeout or a health probe; `Some` if the actor must end.
async fn handle_signal<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    cell: &ActorCell<A>,
    signal: Signal,
) -> Option<(ExitReason, Doing)> {
    let (handled, doing) = match signal {
        Signal::Stop(reason) => return Some((reason, Doing::Stopping)),
        Signal::Exit(exit) => {
            drop(cell.mailbox.remove_link(exit.from));
            let from_parent = cell.parent() == Some(exit.from);
            if !cell.traps_exits() {
                // As in OTP: only a normal exit leaves a non-trapping actor be.
                let ExitSignal { reason, .. } = *exit;
                if reason == ExitReason::Normal {
                    if from_parent {
                        cell.orphan();
                    }
                    return None;
                }
                return Some((reason, Doing::LinkedExit));
            }
            let handled =
                guarded(cell, trace::hook("on_exit", lazy(|| actor.on_exit(ctx, *exit)))).await;
            if from_parent {
                // The supervisor ended without stopping this actor: it is on its own now.
                cell.orphan();
            }
            (handled, Doing::OnExit)
        }
        // Its delivery already forgot the monitor (see `Mailbox::deliver_down`).
        Signal::Down(down) => (
            guarded(cell, trace::hook("on_down", lazy(|| actor.on_down(ctx, *down)))).await,
            Doing::OnDown,
        ),
        Signal::Idle => (
            guarded(cell, trace::hook("on_idle", lazy(|| actor.on_idle(ctx)))).await,
            Doing::OnIdle,
        ),
        Signal::Probe(reply) => {
            let check = lazy(|| actor.health_check(ctx));
            return super::answer_probe(cell, check, reply)
                .await
                .map(|reason| (reason, Doing::HealthCheck));
        }
    };
    match handled {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some((ExitReason::failed(error), doing)),
        Err(reason) => Some((reason, doing)),
    }
}

pin_project_lite::pin_project! {
    /// A hook or handler called at its first poll rather than before: the trait lets it be a
    /// plain function that does work (and may panic) before it returns its future, and that
    /// work must run inside `Guarded` too, where a panic is caught and the actor is current.
    #[project = LazyProjection]
    pub(crate) enum Lazy<M, F> {
        Make { make: Option<M> },
        Run { #[pin] future: F },
    }
}

/// Defers `make` (the call of a hook or handler) to the first poll.
pub(crate) fn lazy<M: FnOnce() -> F, F: Future>(make: M) -> Lazy<M, F> {
    Lazy::Make { make: Some(make) }
}

impl<M: FnOnce() -> F, F: Future> Future for Lazy<M, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        if let LazyProjection::Make { make } = self.as_mut().project() {
            let Some(make) = make.take() else {
                panic!("a hook polled after its call panicked");
            };
            let future = make();
            self.set(Lazy::Run { future });
        }
        match self.project() {
            LazyProjection::Run { future } => future.poll(cx),
            LazyProjection::Make { .. } => unreachable!("set to `Run` above"),
        }
    }
}

/// Polls a hook or handler, catching its panic and ending it early if the actor is killed.
pub(crate) fn guarded<A: Actor, F: Future>(cell: &ActorCell<A>, future: F) -> Guarded<'_, A, F> {
    Guarded::Polling { cell, future, started: true }
}

/// [`guarded`] for a message handler: its first step runs even if a kill came meanwhile, so
/// that a message taken from the mailbox is handled (up to its first await), never lost
/// between the mailbox and the handler. Hooks get no such step: a killed actor runs none.
fn guarded_handler<A: Actor, F: Future>(cell: &ActorCell<A>, future: F) -> Guarded<'_, A, F> {
    Guarded::Polling { cell, future, started: false }
}

pin_project_lite::pin_project! {
    /// A named future rather than an `async` block: it is held in every actor's task, and
    /// this way it adds one reference to the size of what it wraps. An enum, so that a hook
    /// or handler cut short by a kill is dropped in place, under `catch_unwind` (`Dropped`
    /// takes no room: it uses the reference's niche).
    #[project = GuardedProjection]
    pub(crate) enum Guarded<'a, A: Actor, F> {
        Polling {
            cell: &'a ActorCell<A>,
            #[pin]
            future: F,
            started: bool,
        },
        Dropped,
    }
}

impl<A: Actor, F: Future> Future for Guarded<'_, A, F> {
    type Output = Result<F::Output, ExitReason>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let GuardedProjection::Polling { cell, future, started } = self.as_mut().project() else {
            panic!("a hook or handler polled after it ended");
        };
        let cell: &ActorCell<A> = cell;
        // Once killed, not one more step runs, whatever woke it (a handler's first step
        // excepted, see `guarded_handler`).
        if *started && cell.mailbox.is_killed() {
            return Poll::Ready(Err(killed(self)));
        }
        *started = true;
        let entered = super::current::enter(cell.id);
        let polled = catch_unwind(AssertUnwindSafe(|| future.poll(cx)));
        drop(entered);
        if polled.is_ok() {
            // A classic handler that failed has its request answered after the mailbox is
            // closed, as a panic's below.
            answer_caught(|failure| fail_waiting(cell, failure));
        }
        // Done, the future is dropped here too, not where the task drops `Guarded`: what it
        // still holds (its `handle` span, whose close goes to the subscriber, or a hand-written
        // future's fields) is user code, and must not unwind out of the actor's task (A11).
        match polled {
            Ok(Poll::Ready(output)) => {
                drop_guarded(self);
                Poll::Ready(Ok(output))
            }
            Err(panic) => {
                // A reply handle the handler held answers its asker with the panic. The actor
                // ends: its mailbox is closed first, so that a caller who learns of the panic
                // from that answer and sends again (to a restarted child, through a `ChildRef`)
                // finds it closed and has the message back, rather than queued for an actor
                // that will never take it.
                let reason = ExitReason::from_panic(panic);
                fail_waiting(cell, &reason);
                let why = Undelivered::Stopped(reason.clone());
                answer_unwound(&why);
                refusing(why, || drop_guarded(self));
                Poll::Ready(Err(reason))
            }
            Ok(Poll::Pending) if cell.mailbox.poll_killed(cx) => Poll::Ready(Err(killed(self))),
            Ok(Poll::Pending) => Poll::Pending,
        }
    }
}

/// Drops a killed hook or handler where it stands. Its locals are user code: their `Drop`
/// must not unwind out of the actor's task (A11), where the drop of the state, should it
/// panic too, would abort the process.
fn killed<A: Actor, F>(guarded: Pin<&mut Guarded<'_, A, F>>) -> ExitReason {
    refusing(Undelivered::Stopped(ExitReason::Killed), || drop_guarded(guarded));
    ExitReason::Killed
}

/// Drops a hook or handler in place, under `catch_unwind`: a panic there goes no further.
fn drop_guarded<A: Actor, F>(mut guarded: Pin<&mut Guarded<'_, A, F>>) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| guarded.set(Guarded::Dropped))) {
        super::forget_panic(panic);
    }
}

/// Calls a hook or handler, catching a panic (as the reason): the trait lets it be a plain
/// function that works, and may panic, before it returns its future. Done in place rather
/// than with `lazy` where the task awaits it directly: `lazy` would make every actor's task
/// larger. The actor is not made current (M16): that part cannot wait for anything, and the
/// handler's path is kept to what it costs.
fn call<F>(make: impl FnOnce() -> F) -> Result<F, ExitReason> {
    catch_unwind(AssertUnwindSafe(make)).map_err(ExitReason::from_panic)
}

/// Closes the mailbox and marks the actor stopping; what still waits in the mailbox becomes
/// dead letters, and waiting asks fail.
fn fail_waiting<A: Actor>(cell: &ActorCell<A>, reason: &ExitReason) {
    let waiting = cell.mailbox.close(cell.system.budget());
    cell.set_state(ActorState::Stopping);
    for envelope in waiting {
        cell.dead_letter(
            envelope,
            DeadLetterReason::ActorStopped,
            Undelivered::Stopped(reason.clone()),
        );
    }
}

/// An actor's membership in its system, ended exactly once: by `end`, or, if the actor's
/// future is dropped before that (its runtime shut down, or `spawn` was cancelled during
/// `pre_start`), by `Drop`, as a kill.
struct Lifecycle<A: Actor> {
    cell: Arc<ActorCell<A>>,
    /// The actor's slot in the system's table; `ENDED` once it has left it.
    slot: usize,
}

/// No slab grows to `usize::MAX` entries, so this never names a real slot.
const ENDED: usize = usize::MAX;

impl<A: Actor> Lifecycle<A> {
    /// Ends an actor whose state never came to be, or was dropped without its hooks.
    fn abandon(self, reason: ExitReason, doing: Doing) {
        fail_waiting(&self.cell, &reason);
        self.end(reason, doing);
    }

    fn end(mut self, reason: ExitReason, doing: Doing) {
        let slot = std::mem::replace(&mut self.slot, ENDED);
        let cell = &self.cell;
        // From here on the actor takes no name, link, monitor, membership or timer: whatever
        // it has is handed over now and undone below, so nothing outlives it.
        let ending = cell.mailbox.end();
        // The report goes through the program's `tracing` subscriber, which is user code: a
        // panic there must not cut the bookkeeping below short (the actor would never end).
        super::trace_guarded(|| crash::report_end(cell, &ending, &reason, doing));
        let ordered_kill = crash::is_ordered_kill(&ending, &reason);
        // The name and the slot go first, so a successor can take the name as soon as anyone
        // learns of the exit; the count drops before `wait_for_exit` returns, and `shutdown`
        // returns only after every exit has been announced.
        let system = &cell.system;
        system.forget(slot, cell.id, ending.name.as_ref());
        cell.signal_end(ending.attachments, &reason);
        stats::actor_ended(system, cell.id, &reason, ordered_kill);
        cell.record_exit(reason);
        system.count_exit();
        cell.announce_exit();
        system.count_announced();
    }
}

impl<A: Actor> Drop for Lifecycle<A> {
    fn drop(&mut self) {
        if self.slot == ENDED {
            return;
        }
        let unfinished = Lifecycle { cell: Arc::clone(&self.cell), slot: self.slot };
        self.slot = ENDED;
        unfinished.abandon(ExitReason::Killed, Doing::TaskDropped);
    }
}
