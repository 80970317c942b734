//! The shared part of an actor: identity, lifecycle state, mailbox, exit reason.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use chrono::Utc;

use super::Supervision;
use super::{Actor, ActorId, ActorState, ExitReason};
use crate::kernel::dead_letter::{DeadLetter, DeadLetterReason};
use crate::kernel::mailbox::Attachments;
use crate::kernel::mailbox::{
    BudgetPolicy, Mailbox, MailboxConfig, NameRefused, PushError, Pushed, Signal,
};
use crate::kernel::message::{refusing, Envelope, Undelivered};
use crate::kernel::signal::{DownNotice, EndToken, ExitSignal, MonitorRef, OnEnd, Relations};
use crate::kernel::system::ActorSystem;

pub(crate) struct ActorCell<A: Actor> {
    pub(crate) id: ActorId,
    state: AtomicU8,
    traps_exits: AtomicBool,
    /// The supervisor that started it (0: none). A supervised actor is kept alive by its
    /// supervisor, not by handles, and a system shutdown leaves stopping it to that supervisor.
    parent: AtomicU64,
    pub(crate) mailbox: Mailbox<Envelope<A>>,
    pub(crate) system: ActorSystem,
    exit: OnceLock<ExitReason>,
}

impl<A: Actor> ActorCell<A> {
    pub(crate) fn new(
        name: Option<Arc<str>>,
        mailbox: MailboxConfig,
        senders: usize,
        system: ActorSystem,
    ) -> Self {
        Self {
            id: ActorId::next(),
            state: AtomicU8::new(ActorState::Starting as u8),
            traps_exits: AtomicBool::new(false),
            parent: AtomicU64::new(0),
            mailbox: Mailbox::new(mailbox, senders, name),
            system,
            exit: OnceLock::new(),
        }
    }

    pub(crate) fn state(&self) -> ActorState {
        ActorState::from_u8(self.state.load(Ordering::Acquire))
    }

    pub(crate) fn set_state(&self, state: ActorState) {
        self.state.store(state as u8, Ordering::Release);
    }

    pub(crate) fn parent(&self) -> Option<ActorId> {
        ActorId::from_u64(self.parent.load(Ordering::Acquire))
    }

    /// Forgets the parent: it ended without stopping this actor, which is now on its own.
    pub(crate) fn orphan(&self) {
        self.parent.store(0, Ordering::Release);
    }

    pub(crate) fn traps_exits(&self) -> bool {
        self.traps_exits.load(Ordering::Relaxed)
    }

    pub(crate) fn set_trap_exits(&self, trap: bool) {
        self.traps_exits.store(trap, Ordering::Relaxed);
    }

    /// Tells every linked and monitoring actor that this one ended, and undoes what must not
    /// outlive it (memberships, subscriptions, timers).
    pub(crate) fn signal_end(&self, attachments: Option<Box<Attachments>>, reason: &ExitReason) {
        let Some(attachments) = attachments else {
            return;
        };
        // The idle timeout goes with them: it has nothing left to wake.
        let Attachments { relations, end_work, idle: _, supervision: _, probe: _ } = *attachments;
        let Relations { links, watchers, watching } = relations;
        for work in end_work.into_values() {
            // A service's hook is user code (`AnyActor::on_end`): its panic must not cut the
            // end short, or the other hooks, the links, the monitors and every waiter would
            // never learn of it (A11).
            if let Err(panic) = catch_unwind(AssertUnwindSafe(work)) {
                super::forget_panic(panic);
                super::trace_guarded(|| {
                    tracing::error!(actor = %self.id, "an end-of-life hook panicked");
                });
            }
        }
        for link in links.into_values() {
            link.deliver_exit(ExitSignal { from: self.id, reason: reason.clone() });
        }
        for (monitor, watcher) in watchers {
            watcher.deliver_down(DownNotice { monitor, actor: self.id, reason: reason.clone() });
        }
        for (monitor, target) in watching {
            target.remove_watcher(monitor);
        }
    }

    /// Queues an envelope, sending whatever the overflow policy drops to dead letters.
    #[inline]
    pub(crate) fn push(&self, envelope: Envelope<A>) -> Result<(), PushError<Envelope<A>>> {
        self.enqueue(envelope).map(drop)
    }

    /// Queues an envelope as `push` does; returns whether it is queued (`false`: it went to
    /// dead letters, dropped by the overflow policy or shed by the message budget).
    #[inline]
    pub(crate) fn enqueue(&self, envelope: Envelope<A>) -> Result<bool, PushError<Envelope<A>>> {
        // One match, with the common case first: a queued message costs no more than before.
        match self.mailbox.push(envelope, self.system.budget())? {
            Pushed::Queued => Ok(true),
            Pushed::OverBudget(envelope) => self.over_budget(envelope),
            pushed => Ok(self.settle(pushed)),
        }
    }

    /// Queues an envelope that has no sender to go back to (a publication), as `enqueue` does,
    /// except that past the message budget it is shed under either policy, as a timer's
    /// message is (B3): a dead letter, counted as shed, never `Full`.
    pub(crate) fn enqueue_unreturnable(
        &self,
        envelope: Envelope<A>,
    ) -> Result<bool, PushError<Envelope<A>>> {
        match self.mailbox.push(envelope, self.system.budget())? {
            Pushed::Queued => Ok(true),
            Pushed::OverBudget(envelope) if self.reclaim_spent_budget() => {
                let pushed = self.mailbox.push(envelope, self.system.budget())?;
                Ok(self.settle(pushed))
            }
            pushed => Ok(self.settle(pushed)),
        }
    }

    /// `enqueue_unreturnable`, made only while `gate` lets it: the push (and its retry once the
    /// budget's spare credit is taken back) happens while the gate's guard is held; what it
    /// displaced goes to dead letters after the guard is dropped, as its `Drop` is user code
    /// that may call back into what the guard locks. `Err` hands the envelope back, unsent,
    /// when the gate is shut.
    pub(crate) fn enqueue_unreturnable_gated<G>(
        &self,
        envelope: Envelope<A>,
        gate: impl FnOnce() -> Option<G>,
    ) -> Result<Result<bool, PushError<Envelope<A>>>, Envelope<A>> {
        let Some(held) = gate() else {
            return Err(envelope);
        };
        let budget = self.system.budget();
        let pushed = match self.mailbox.push(envelope, budget) {
            Ok(Pushed::OverBudget(envelope)) if self.reclaim_spent_budget() => {
                self.mailbox.push(envelope, budget)
            }
            pushed => pushed,
        };
        drop(held);
        Ok(pushed.map(|pushed| self.settle(pushed)))
    }

    /// The message budget was spent when `envelope` came. The first time, the spare credit of
    /// every mailbox is taken back and the push tried again; what still finds no room is
    /// refused (`Full`) or shed by `settle`, as the budget's policy says.
    #[cold]
    fn over_budget(&self, envelope: Envelope<A>) -> Result<bool, PushError<Envelope<A>>> {
        let budget = self.system.budget();
        let pushed = if self.reclaim_spent_budget() {
            self.mailbox.push(envelope, budget)?
        } else {
            Pushed::OverBudget(envelope)
        };
        match pushed {
            Pushed::OverBudget(envelope) if budget.policy() == BudgetPolicy::Reject => {
                budget.count_over(false);
                Err(PushError::Full(envelope))
            }
            pushed => Ok(self.settle(pushed)),
        }
    }

    /// A push found the message budget spent: the first time since it was last loose, the
    /// budget turns tight and the spare credit of every mailbox is taken back. `true` if so:
    /// the budget may have been spent by spare slots alone, and the push is worth trying again
    /// before anything is refused or shed (B2, B3).
    #[cold]
    fn reclaim_spent_budget(&self) -> bool {
        if self.system.budget().tighten() {
            self.system.reclaim_budget_credit();
            true
        } else {
            false
        }
    }

    /// Sends to dead letters what an accepted push dropped under the overflow policy; returns
    /// whether the pushed envelope itself is queued (`false`: `DropNewest` dropped it).
    #[inline]
    fn settle(&self, pushed: Pushed<Envelope<A>>) -> bool {
        match pushed {
            Pushed::Queued => true,
            Pushed::Evicted(oldest) => {
                self.dead_letter(oldest, DeadLetterReason::DroppedOldest, Undelivered::Dropped);
                true
            }
            Pushed::DroppedNewest(newest) => {
                self.dead_letter(newest, DeadLetterReason::DroppedNewest, Undelivered::Dropped);
                false
            }
            Pushed::OverBudget(envelope) => {
                self.system.budget().count_over(true);
                self.dead_letter(envelope, DeadLetterReason::BudgetExceeded, Undelivered::Dropped);
                false
            }
        }
    }

    /// Records a message whose sender gave up before it was queued (M15): nobody is left to
    /// hand it back to.
    pub(crate) fn cancelled(&self, envelope: Envelope<A>) {
        self.dead_letter(envelope, DeadLetterReason::SendCancelled, Undelivered::Dropped);
    }

    pub(crate) fn dead_letter(
        &self,
        envelope: Envelope<A>,
        reason: DeadLetterReason,
        why: Undelivered,
    ) {
        let Envelope { message, .. } = envelope;
        let message_type = A::message_type(&message);
        // A message's `Drop` is user code: its panic must not unwind into whoever happened
        // to drop it (a sender, or the ending actor). The request's reply handle, dropped with
        // it, answers `why`.
        let mut panicked = false;
        let asked = A::is_ask(&message);
        let dropped_an_ask = refusing(why, || panicked = super::drop_guarded(message));
        let was_ask = asked.unwrap_or(dropped_an_ask);
        if panicked {
            super::trace_guarded(|| {
                tracing::error!(actor = %self.id, "a dead letter panicked while being dropped");
            });
        }
        crate::kernel::stats::dead_letter_caused(&self.system, self.id);
        let letter = DeadLetter {
            target: self.id,
            target_name: self.mailbox.name(),
            reason,
            message_type,
            was_ask,
            at: Utc::now(),
        };
        self.system.dead_letters().record(letter);
    }

    pub(crate) fn stop(&self, reason: ExitReason) {
        self.mailbox.signal(Signal::Stop(reason));
    }

    pub(crate) fn kill(&self) {
        self.mailbox.kill();
    }

    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        if self.state() != ActorState::Stopped {
            return None;
        }
        self.exit.get().cloned()
    }

    /// Records the final reason; it is announced by `announce_exit`.
    pub(crate) fn record_exit(&self, reason: ExitReason) {
        let _ = self.exit.set(reason);
    }

    /// Marks the actor stopped and wakes everyone waiting for its end.
    pub(crate) fn announce_exit(&self) {
        self.set_state(ActorState::Stopped);
        self.mailbox.changed().notify_waiters();
    }

    pub(crate) async fn wait_for_exit(&self) -> ExitReason {
        loop {
            let mut changed = pin!(self.mailbox.changed().notified());
            changed.as_mut().enable();
            if self.state() == ActorState::Stopped {
                if let Some(reason) = self.exit.get() {
                    return reason.clone();
                }
            }
            changed.await;
        }
    }
}

/// What the system and other actors need of an actor without knowing its type.
pub(crate) trait ErasedCell: Send + Sync + 'static {
    fn id(&self) -> ActorId;
    /// Queues a signal; `false` if the actor no longer takes any.
    fn signal(&self, signal: Signal) -> bool;
    /// Records a link to `other`; `false` if this actor has already ended.
    fn add_link(&self, other: Arc<dyn ErasedCell>) -> bool;
    fn remove_link(&self, other: ActorId);
    /// Queues a linked actor's exit signal if the link still holds, and drops the link.
    fn deliver_exit(&self, exit: ExitSignal);
    /// Queues the down notice of a monitor this actor holds, if it still holds it, and
    /// forgets the monitor.
    fn deliver_down(&self, down: DownNotice);
    /// Records a monitor on this actor; `false` if it has already ended.
    fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) -> bool;
    fn remove_watcher(&self, monitor: MonitorRef);
    fn stop(&self, reason: ExitReason);
    fn kill(&self);
    fn name(&self) -> Option<Arc<str>>;
    /// Gives the actor its registered name.
    fn set_name(&self, name: Arc<str>) -> Result<(), NameRefused>;
    /// Takes the registered name away, if it is `name`.
    fn clear_name(&self, name: &str);
    /// Records work to run when the actor ends; hands it back if it has already ended.
    fn on_end(&self, token: EndToken, work: OnEnd) -> Result<(), OnEnd>;
    /// Withdraws end work; `false` if it has run or is about to.
    fn cancel_on_end(&self, token: EndToken) -> bool;
    /// Takes a sender on the actor's behalf (for the name registry).
    fn hold_sender(&self);
    /// Takes a sender on the actor's behalf unless none is left (a keep-alive from an erased
    /// handle, which holds none); `false` then.
    fn try_hold_sender(&self) -> bool;
    /// Gives up a sender held on the actor's behalf (by the name registry).
    fn release_sender(&self);
    fn actor_type(&self) -> &'static str;
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    /// Resolves with the exit reason once the actor has ended.
    fn exit(&self) -> Pin<Box<dyn Future<Output = ExitReason> + Send + '_>>;
    fn is_supervised(&self) -> bool;
    /// The supervisor that started it, if it is supervised.
    fn parent(&self) -> Option<ActorId>;
    fn state(&self) -> ActorState;
    fn mailbox_len(&self) -> usize;
    /// Records `parent` as the actor's parent unless another one is recorded: `false` then.
    /// One compare-and-swap, so that of two actors adopting it at once only one succeeds.
    fn claim_parent(&self, parent: ActorId) -> bool;
    /// Records (or, with `None`, forgets) the actor's place in a supervision tree.
    fn set_supervision(&self, supervision: Option<Supervision>);
    /// Its place in its supervision tree, if it is supervised.
    fn supervision(&self) -> Option<Supervision>;
    /// Kills the actor as its supervisor's way of stopping it (`Shutdown::BrutalKill`): an
    /// ordered end, which is no crash.
    fn kill_as_shutdown(&self);
    /// Gives the message budget back the slots its mailbox leased and does not use.
    fn reclaim_budget_credit(&self);
    /// How much end work waits for the actor's end.
    #[cfg(test)]
    fn end_work_len(&self) -> usize;
}

impl<A: Actor> ErasedCell for ActorCell<A> {
    fn id(&self) -> ActorId {
        self.id
    }

    fn signal(&self, signal: Signal) -> bool {
        self.mailbox.signal(signal)
    }

    fn add_link(&self, other: Arc<dyn ErasedCell>) -> bool {
        self.mailbox.add_link(other)
    }

    fn remove_link(&self, other: ActorId) {
        drop(self.mailbox.remove_link(other));
    }

    fn deliver_exit(&self, exit: ExitSignal) {
        drop(self.mailbox.deliver_exit(exit));
    }

    fn deliver_down(&self, down: DownNotice) {
        drop(self.mailbox.deliver_down(down));
    }

    fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) -> bool {
        self.mailbox.add_watcher(monitor, watcher)
    }

    fn remove_watcher(&self, monitor: MonitorRef) {
        drop(self.mailbox.remove_watcher(monitor));
    }

    fn stop(&self, reason: ExitReason) {
        ActorCell::stop(self, reason);
    }

    fn kill(&self) {
        ActorCell::kill(self);
    }

    fn name(&self) -> Option<Arc<str>> {
        self.mailbox.name()
    }

    fn set_name(&self, name: Arc<str>) -> Result<(), NameRefused> {
        self.mailbox.set_name(name)
    }

    fn clear_name(&self, name: &str) {
        self.mailbox.clear_name(name);
    }

    fn on_end(&self, token: EndToken, work: OnEnd) -> Result<(), OnEnd> {
        self.mailbox.on_end(token, work)
    }

    fn cancel_on_end(&self, token: EndToken) -> bool {
        self.mailbox.cancel_on_end(token)
    }

    fn hold_sender(&self) {
        self.mailbox.add_sender();
    }

    fn try_hold_sender(&self) -> bool {
        self.mailbox.try_add_sender()
    }

    fn release_sender(&self) {
        self.mailbox.remove_sender();
    }

    fn actor_type(&self) -> &'static str {
        std::any::type_name::<A>()
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn exit(&self) -> Pin<Box<dyn Future<Output = ExitReason> + Send + '_>> {
        Box::pin(self.wait_for_exit())
    }

    fn parent(&self) -> Option<ActorId> {
        ActorCell::parent(self)
    }

    fn is_supervised(&self) -> bool {
        ActorCell::parent(self).is_some()
    }

    fn state(&self) -> ActorState {
        ActorCell::state(self)
    }

    fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    fn claim_parent(&self, parent: ActorId) -> bool {
        let parent = parent.as_u64();
        match self.parent.compare_exchange(0, parent, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => true,
            Err(held) => held == parent,
        }
    }

    fn supervision(&self) -> Option<Supervision> {
        self.mailbox.supervision()
    }

    fn set_supervision(&self, supervision: Option<Supervision>) {
        self.mailbox.update_supervision(|held| *held = supervision);
    }

    fn kill_as_shutdown(&self) {
        self.mailbox.update_supervision(|held| {
            if let Some(supervision) = held {
                supervision.kill_ordered = true;
            }
        });
        ActorCell::kill(self);
    }

    fn reclaim_budget_credit(&self) {
        self.mailbox.reclaim_credit(self.system.budget());
    }

    #[cfg(test)]
    fn end_work_len(&self) -> usize {
        self.mailbox.end_work_len()
    }
}
