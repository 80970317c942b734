//! The life of one actor: start, the message loop, and the orderly end.

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use futures::FutureExt;

use super::{Actor, ActorCell, ActorRef, ActorState, Context, ExitReason};
use crate::dead_letter::DeadLetterReason;
use crate::mailbox::{MailboxConfig, Next, Signal};
use crate::message::{answer_undelivered, Envelope, Undelivered};
use crate::system::{ActorSystem, SpawnError};

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
    let life = Lifecycle { cell, slot, ended: false };
    let mut ctx = Context::new(Arc::clone(&life.cell));
    let actor = match guarded(&life.cell, A::pre_start(args, &mut ctx)).await {
        Ok(Ok(actor)) => actor,
        Ok(Err(error)) => {
            let reason = ExitReason::failed(error);
            life.abandon(reason.clone());
            return Err(SpawnError::StartFailed(reason));
        }
        Err(reason) => {
            life.abandon(reason.clone());
            return Err(SpawnError::StartFailed(reason));
        }
    };
    tokio::spawn(run(actor, ctx, life));
    Ok(actor_ref)
}

async fn run<A: Actor>(mut actor: A, mut ctx: Context<A>, life: Lifecycle<A>) {
    let cell = &life.cell;
    let early_end = match guarded(cell, actor.post_start(&mut ctx)).await {
        Ok(Ok(())) => ctx.take_stop_request(),
        Ok(Err(error)) => Some(ExitReason::failed(error)),
        Err(reason) => Some(reason),
    };
    let reason = match early_end {
        Some(reason) => reason,
        None => {
            cell.set_state(ActorState::Running);
            handle_messages(&mut actor, &mut ctx, cell).await
        }
    };

    cell.set_state(ActorState::Stopping);
    fail_waiting(cell, &reason);
    let reason = if reason == ExitReason::Killed {
        reason
    } else {
        match guarded(cell, actor.post_stop(&mut ctx, &reason)).await {
            Ok(Ok(())) => reason,
            Ok(Err(error)) => ExitReason::failed(error),
            Err(interrupted) => interrupted,
        }
    };
    // The state goes before anyone learns of the exit, so a restarted successor never meets
    // the resources of its predecessor.
    let reason = match catch_unwind(AssertUnwindSafe(move || drop(actor))) {
        Ok(()) => reason,
        Err(panic) => ExitReason::from_panic(panic),
    };
    drop(ctx);
    life.end(reason);
}

async fn handle_messages<A: Actor>(
    actor: &mut A,
    ctx: &mut Context<A>,
    cell: &ActorCell<A>,
) -> ExitReason {
    loop {
        let Envelope { message, reply } = match poll_fn(|cx| cell.mailbox.poll_next(cx)).await {
            Next::Message(envelope) => envelope,
            Next::Signal(Signal::Stop(reason)) => return reason,
            Next::Killed => return ExitReason::Killed,
            Next::NoSenders => return ExitReason::Normal,
        };
        match guarded(cell, actor.handle(message, ctx)).await {
            Ok(Ok(value)) => {
                if let Some(reply) = reply {
                    // The caller may have timed out; its reply is then discarded.
                    let _ = reply.send(Ok(value));
                }
            }
            Ok(Err(error)) => {
                let reason = ExitReason::failed(error);
                answer_undelivered(reply, Undelivered::Stopped(reason.clone()));
                return reason;
            }
            Err(reason) => {
                answer_undelivered(reply, Undelivered::Stopped(reason.clone()));
                return reason;
            }
        }
        if let Some(reason) = ctx.take_stop_request() {
            return reason;
        }
    }
}

/// Polls a hook or handler, catching its panic and ending it early if the actor is killed.
async fn guarded<A: Actor, F: Future>(
    cell: &ActorCell<A>,
    future: F,
) -> Result<F::Output, ExitReason> {
    let mut future = pin!(AssertUnwindSafe(future).catch_unwind());
    poll_fn(|cx| match future.as_mut().poll(cx) {
        Poll::Ready(Ok(output)) => Poll::Ready(Ok(output)),
        Poll::Ready(Err(panic)) => Poll::Ready(Err(ExitReason::from_panic(panic))),
        Poll::Pending if cell.mailbox.poll_killed(cx) => Poll::Ready(Err(ExitReason::Killed)),
        Poll::Pending => Poll::Pending,
    })
    .await
}

/// Closes the mailbox; what still waits in it becomes dead letters, and waiting asks fail.
fn fail_waiting<A: Actor>(cell: &ActorCell<A>, reason: &ExitReason) {
    for envelope in cell.mailbox.close() {
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
    slot: usize,
    ended: bool,
}

impl<A: Actor> Lifecycle<A> {
    /// Ends an actor whose state never came to be, or was dropped without its hooks.
    fn abandon(self, reason: ExitReason) {
        self.cell.set_state(ActorState::Stopping);
        fail_waiting(&self.cell, &reason);
        self.end(reason);
    }

    fn end(mut self, reason: ExitReason) {
        self.ended = true;
        let cell = &self.cell;
        if reason.is_normal() {
            tracing::debug!(actor = %cell.id, name = cell.name.as_deref(), %reason, "actor stopped");
        } else if reason == ExitReason::Killed {
            tracing::warn!(actor = %cell.id, name = cell.name.as_deref(), "actor killed");
        } else {
            tracing::error!(
                actor = %cell.id,
                name = cell.name.as_deref(),
                actor_type = std::any::type_name::<A>(),
                %reason,
                "actor crashed"
            );
        }
        // The name and the slot go first, so a successor can take the name as soon as anyone
        // learns of the exit; the count drops before `wait_for_exit` returns.
        let system = &cell.system;
        system.forget(self.slot, cell.id, cell.name.as_ref());
        cell.record_exit(reason);
        system.count_exit();
        cell.announce_exit();
    }
}

impl<A: Actor> Drop for Lifecycle<A> {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let ended = Lifecycle { cell: Arc::clone(&self.cell), slot: self.slot, ended: false };
        self.ended = true;
        ended.abandon(ExitReason::Killed);
    }
}
