//! The restart engine: what a supervisor does when a child ends. Its restart type says whether
//! the child is restarted, the strategy which children go with it, the intensity whether the
//! supervisor gives up (and escalates to its own supervisor) instead; children stop in reverse
//! start order and start in start order, after their backoff if they have one.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::admin::Look;
use super::child_ref::Published;
use super::events::GiveUpReason;
use super::health::FallenRoots;
use super::health::{CheckRecord, Prober};
use super::placement;
use super::server::{Mail, Note};
use super::Child;
use super::{
    AutoShutdown, ChildSpec, Restart, Shutdown, Strategy, Supervisor, SupervisorError,
    SupervisorEvent, SupervisorState,
};
use crate::actor::{ActorId, Context, ExitReason};
use crate::kernel::trace_guarded;
use crate::system::SpawnError;

/// One child of a supervisor: its specification, and what the supervisor knows of it.
pub(super) struct Slot {
    pub(super) spec: ChildSpec,
    pub(super) running: Option<Child>,
    /// The pending restart this child waits for, if any: a generation, so that a restart
    /// cancelled by an administration call, or superseded, never starts it.
    pub(super) restarting: Option<u64>,
    /// Restarts in a row without a quiet period, for the backoff.
    restarts_in_a_row: u32,
    started_at: Option<Instant>,
    /// Attempts to start this specification so far: the restart count of the next start's
    /// crash reports.
    starts: u32,
    /// The running child's health checks, if its specification asks for them.
    pub(super) checks: CheckRecord,
    pub(super) prober: Option<Prober>,
    /// How its last actor ended, for the event of its restart (T21).
    ended_with: Option<ExitReason>,
    /// What its failing handles read without a call; made with the first handle to it.
    published: Option<Arc<Published>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Its specification is gone: no incarnation will come.
        self.publish(Look::Missing);
    }
}

impl Slot {
    pub(super) fn new(spec: ChildSpec) -> Self {
        Slot {
            spec,
            running: None,
            restarting: None,
            restarts_in_a_row: 0,
            started_at: None,
            starts: 0,
            checks: CheckRecord::default(),
            prober: None,
            ended_with: None,
            published: None,
        }
    }

    /// What the supervisor runs for this child, as a look reports it.
    pub(super) fn look(&self) -> Look {
        match (&self.running, self.restarting) {
            (Some(child), _) => Look::Running(child.actor().clone()),
            (None, Some(_)) => Look::Restarting,
            (None, None) => Look::Stopped,
        }
    }

    /// What this child's handles read without a call, made now if no handle had it before.
    pub(super) fn published(&mut self) -> Arc<Published> {
        let look = self.look();
        Arc::clone(self.published.get_or_insert_with(|| Published::new(look)))
    }

    /// Tells this child's handles, if it has any, what it runs now.
    pub(super) fn publish(&self, look: Look) {
        if let Some(published) = &self.published {
            published.set(look);
        }
    }

    /// The backoff delay before this child's next restart, if it has a backoff.
    fn backoff_delay(&mut self) -> Option<Duration> {
        let backoff = self.spec.backoff?;
        let quiet = self.started_at.is_some_and(|at| at.elapsed() >= backoff.resets_after());
        self.restarts_in_a_row = if quiet { 1 } else { self.restarts_in_a_row.saturating_add(1) };
        Some(backoff.jittered(self.restarts_in_a_row)).filter(|delay| !delay.is_zero())
    }

    pub(super) fn actor(&self) -> Option<ActorId> {
        self.running.as_ref().map(Child::id)
    }
}

impl<S: SupervisorState> Supervisor<S> {
    /// Starts the children of the specification, in order; if one fails, stops those started
    /// and says which failed.
    pub(super) async fn start_all(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> Result<(), SupervisorError> {
        let mut ignored = false;
        for index in 0..self.children.len() {
            match self.start_slot(ctx, index).await {
                Ok(None) => ignored = true,
                Ok(Some(_)) => {}
                Err(reason) => {
                    let id = Arc::clone(&self.children[index].spec.id);
                    self.terminate_all(ctx).await;
                    // Even a name held by another actor: a failed start of this child, as
                    // OTP's `{failed_to_start_child, Id, {already_started, Pid}}` (T12).
                    return Err(SupervisorError::StartFailed { id, reason });
                }
            }
        }
        // Ignored: a temporary child would never run, and its specification goes, as
        // `start_child` does with one (OTP keeps no temporary child that is not running). At
        // start every child not running was ignored. Removed in one pass once all have
        // started, not one by one as they are ignored: each removal moves every slot after it
        // (many ignored children cost n^2).
        if ignored {
            self.children
                .retain(|slot| slot.running.is_some() || slot.spec.restart != Restart::Temporary);
        }
        Ok(())
    }

    /// Records a restart; `false` if that is one too many for the intensity.
    fn count_restart(&mut self) -> bool {
        let now = Instant::now();
        self.restarts.push_back(now);
        while self.restarts.front().is_some_and(|at| now.duration_since(*at) > self.period) {
            self.restarts.pop_front();
        }
        self.restarts.len() <= self.max_restarts as usize
    }

    /// Starts one child; its actor, or `None` if its start said "ignore".
    pub(super) async fn start_slot(
        &mut self,
        ctx: &mut Context<Self>,
        index: usize,
    ) -> Result<Option<ActorId>, SpawnError> {
        let Some(slot) = self.children.get_mut(index) else {
            return Ok(None);
        };
        let restarts = slot.starts;
        let restarted = slot.restarting.is_some();
        slot.starts = slot.starts.saturating_add(1);
        let started = placement::start(ctx, &slot.spec, restarts).await?;
        slot.restarting = None;
        let after = slot.ended_with.take();
        slot.started_at = Some(Instant::now());
        slot.checks = CheckRecord::default();
        slot.prober = None;
        let Some(child) = started else {
            // Its start said "ignore": a restart that `Ended` announced will not come, and
            // whoever waits for it (a subscriber, a `ChildRef`) must hear so, not wait on.
            if restarted {
                let id = &slot.spec.id;
                self.events.send(|| SupervisorEvent::RestartCancelled { id: Arc::clone(id) });
            }
            slot.publish(Look::Stopped);
            return Ok(None);
        };
        placement::adopt(ctx, &child);
        if slot.spec.restart == Restart::Temporary {
            // Never started again: its start function, and the arguments it holds, go now
            // rather than with the child (OTP-16804); so does a child supervisor's subtree.
            slot.spec.start = None;
            slot.spec.subtree = None;
        }
        let actor = child.id();
        if let Some(check) = slot.spec.health {
            slot.prober = Some(Prober::start(ctx, &child, check));
        }
        slot.publish(Look::Running(child.actor().clone()));
        slot.running = Some(child);
        let id = Arc::clone(&slot.spec.id);
        self.children.record_actor(actor, Arc::clone(&id));
        let id = &id;
        self.events.send(|| match restarted {
            true => SupervisorEvent::Restarted { id: Arc::clone(id), actor, after, restarts },
            false => SupervisorEvent::Started { id: Arc::clone(id), actor },
        });
        Ok(Some(actor))
    }

    /// Stops one child; `restart` says whether a restart follows, for its event.
    pub(super) async fn terminate_slot(
        &mut self,
        ctx: &mut Context<Self>,
        index: usize,
        restart: bool,
    ) {
        let Some(slot) = self.children.get_mut(index) else {
            return;
        };
        // Probing ends with the child's stop (H2), not when the slot is next started or dropped.
        slot.prober = None;
        let Some(child) = slot.running.take() else {
            return;
        };
        let shutdown = slot.spec.shutdown;
        let reason = placement::terminate(ctx, &child, shutdown).await;
        self.stopped(index, child.id(), reason, restart);
    }

    /// A child the supervisor stopped has ended: remembered for its restart, and announced.
    fn stopped(&mut self, index: usize, actor: ActorId, reason: ExitReason, restart: bool) {
        // Unlinked before it was stopped: no exit signal comes for it to forget it on.
        self.children.forget_actor(actor);
        let Some(slot) = self.children.get_mut(index) else {
            return;
        };
        // A group restart does not start a temporary child again (T5).
        let restart = restart && slot.spec.restart != Restart::Temporary;
        slot.publish(if restart { Look::Restarting } else { Look::Stopped });
        let id = &slot.spec.id;
        self.events.send(|| SupervisorEvent::Ended {
            id: Arc::clone(id),
            actor,
            reason: reason.clone(),
            restart,
        });
        slot.ended_with = Some(reason);
    }

    /// Tells every child's handles that the supervisor is ending: a send through them fails
    /// with `SupervisorEnded` from now on, not `Gone` as its children stop one by one (T27).
    pub(super) fn publish_ending(&self) {
        for slot in self.children.iter() {
            slot.publish(Look::SupervisorEnding);
        }
    }

    /// Stops every running child, the last started first.
    pub(super) async fn terminate_all(&mut self, ctx: &mut Context<Self>) {
        self.terminate_from(ctx, 0, false).await;
    }

    /// Stops the running children at `first` and after, the last started first. A run of
    /// `BrutalKill` children next to each other is killed in that order and then waited for
    /// together: nothing of theirs runs after a kill, so only the waiting is shared.
    async fn terminate_from(&mut self, ctx: &mut Context<Self>, first: usize, restart: bool) {
        // With their slots: nothing removes a slot until this returns.
        let mut killed: Vec<(usize, Child)> = Vec::new();
        for index in (first..self.children.len()).rev() {
            let slot = &mut self.children[index];
            if slot.spec.shutdown == Shutdown::BrutalKill {
                slot.prober = None;
                if let Some(child) = slot.running.take() {
                    placement::kill_for_shutdown(ctx, &child);
                    killed.push((index, child));
                }
                continue;
            }
            for (killed_index, child) in std::mem::take(&mut killed) {
                let reason = child.ended().await;
                self.stopped(killed_index, child.id(), reason, restart);
            }
            self.terminate_slot(ctx, index, restart).await;
        }
        for (killed_index, child) in killed {
            let reason = child.ended().await;
            self.stopped(killed_index, child.id(), reason, restart);
        }
    }

    /// A child ended (or was stopped for failed health checks): restarts it, and the children
    /// its strategy takes with it, or gives up if that is one restart too many.
    pub(super) async fn child_ended(
        &mut self,
        ctx: &mut Context<Self>,
        index: usize,
        actor: ActorId,
        reason: ExitReason,
    ) {
        // Also for a child stopped for failed health checks, whose exit signal never comes.
        self.children.forget_actor(actor);
        let Some(slot) = self.children.get_mut(index) else {
            return;
        };
        drop(slot.running.take());
        slot.prober = None;
        let spec = slot.spec.clone();
        let restart = match spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !reason.is_normal(),
            Restart::Temporary => false,
        };
        // A temporary child's specification goes with it; so does a dynamic child's that is
        // not restarted (as OTP's simple_one_for_one keeps no stopped children).
        let dynamic = self.strategy == Strategy::SimpleOneForOne;
        if spec.restart == Restart::Temporary || (dynamic && !restart) {
            self.children.remove(index);
        } else if !restart {
            // Kept: a group restart or `restart_child` may start it again, and its event says
            // how it had ended (T21). The restart path records it below, without this clone.
            slot.ended_with = Some(reason.clone());
            slot.publish(Look::Stopped);
        }
        let ended = |restart: bool| SupervisorEvent::Ended {
            id: Arc::clone(&spec.id),
            actor,
            reason: reason.clone(),
            restart,
        };
        if !restart || ctx.system().is_shutting_down() {
            if restart {
                // Kept, but not restarted while the system shuts down: its handles hear so now,
                // not when the supervisor's own end comes.
                if let Some(slot) = self.children.get(index) {
                    slot.publish(Look::Stopped);
                }
            }
            self.events.send(|| ended(false));
            // Every event of a supervisor goes through `trace_guarded`: the subscriber is user
            // code, and its panic must not end the supervisor as it learns of an end (A11).
            trace_guarded(
                || tracing::debug!(supervisor = %ctx.id(), child = &*spec.id, %reason, "child ended"),
            );
            if spec.significant && !restart {
                self.significant_ended(ctx, &spec.id);
            }
            return;
        }
        if !self.count_restart() {
            self.events.send(|| ended(false));
            self.give_up(ctx, &spec.id, &reason).await;
            return;
        }
        self.events.send(|| ended(true));
        trace_guarded(|| {
            tracing::warn!(
                supervisor = %ctx.id(),
                child = &*spec.id,
                %reason,
                restarts = self.restarts.len(),
                "restarting child"
            )
        });
        ctx.system().count_restart();
        let delay = self.children[index].backoff_delay();
        let (first, end) = match self.strategy {
            Strategy::OneForOne | Strategy::SimpleOneForOne => (index, index + 1),
            Strategy::OneForAll => (0, self.children.len()),
            Strategy::RestForOne => (index, self.children.len()),
        };
        if let Some(slot) = self.children.get_mut(index) {
            slot.ended_with = Some(reason);
        }
        if end - first > 1 {
            self.terminate_from(ctx, first, true).await;
            self.drop_temporary_from(first);
        }
        let generation = self.mark_restarting(first, self.children.len().min(end));
        match delay {
            Some(delay) => self.restart_later(ctx, generation, delay),
            None => self.start_marked(ctx, generation).await,
        }
    }

    /// Marks the children in `first..end` that do not run as waiting for one new restart.
    fn mark_restarting(&mut self, first: usize, end: usize) -> u64 {
        self.restart_generations += 1;
        let generation = self.restart_generations;
        let mut superseded = Vec::new();
        for slot in self.children.get_mut(first..end).into_iter().flatten() {
            if slot.running.is_none() {
                superseded.extend(slot.restarting.replace(generation));
                slot.publish(Look::Restarting);
            }
        }
        for old in superseded {
            self.release_generation(old);
        }
        generation
    }

    /// Aborts the timer of a pending restart that no child waits for any more.
    pub(super) fn release_generation(&mut self, generation: u64) {
        if !self.children.iter().any(|slot| slot.restarting == Some(generation)) {
            if let Some(timer) = self.timers.remove(&generation) {
                timer.cancel();
            }
        }
    }

    /// Has the children marked with `generation` started after `delay`.
    fn restart_later(&mut self, ctx: &mut Context<Self>, generation: u64, delay: Duration) {
        trace_guarded(|| tracing::info!(supervisor = %ctx.id(), ?delay, "restart backed off"));
        // Weak (K9), not `send_after` (K6): a pending restart must not keep alive a supervisor
        // that nobody holds any more: dropped with its last handle, it ends at once, not once
        // its child's backoff is over (and after restarting the child only to stop it).
        let timer = ctx.send_after_weak(delay, Mail::note(Note::Retry(generation)));
        if let Some(previous) = self.timers.insert(generation, timer) {
            previous.cancel();
        }
    }

    /// The timer of the restart `generation` fired.
    pub(super) async fn retry(&mut self, ctx: &mut Context<Self>, generation: u64) {
        if ctx.system().is_shutting_down() {
            return;
        }
        self.timers.remove(&generation);
        self.start_marked(ctx, generation).await;
    }

    /// Starts, in order, the children still marked with `generation`. A failed start counts as
    /// a restart, and the rest are tried again (after the child's backoff, if it has one).
    async fn start_marked(&mut self, ctx: &mut Context<Self>, generation: u64) {
        let mut index = 0;
        while index < self.children.len() {
            if self.children[index].restarting != Some(generation) {
                index += 1;
                continue;
            }
            if let Err(error) = self.start_slot(ctx, index).await {
                let id = Arc::clone(&self.children[index].spec.id);
                trace_guarded(
                    || tracing::error!(supervisor = %ctx.id(), child = &*id, %error, "restart failed"),
                );
                // Made only when someone needs it: it allocates.
                let giving_up = !self.count_restart();
                let reason =
                    (giving_up || self.events.subscribed()).then(|| ExitReason::failed(error));
                if let Some(reason) = &reason {
                    self.events.send(|| SupervisorEvent::RestartFailed {
                        id: Arc::clone(&id),
                        reason: reason.clone(),
                    });
                }
                if let (true, Some(reason)) = (giving_up, reason) {
                    self.give_up(ctx, &id, &reason).await;
                    return;
                }
                ctx.system().count_restart();
                // A failed start is no quiet run: the next delay doubles.
                self.children[index].started_at = None;
                let delay = self.children[index].backoff_delay().unwrap_or(Duration::ZERO);
                self.restart_later(ctx, generation, delay);
                return;
            }
            index += 1;
        }
    }

    /// Removes the temporary children at `first` and after: stopped by a group restart,
    /// they are not started again. In one pass: each removal one by one would move, and index
    /// again, every child after it (30,000 temporaries took two minutes).
    fn drop_temporary_from(&mut self, first: usize) {
        let stopped_temporary =
            |slot: &Slot| slot.spec.restart == Restart::Temporary && slot.running.is_none();
        if !self.children[first.min(self.children.len())..].iter().any(stopped_temporary) {
            return;
        }
        // `retain` visits the slots once each, in order.
        let mut index = 0;
        self.children.retain(|slot| {
            index += 1;
            index <= first || !stopped_temporary(slot)
        });
    }

    /// A significant child ended by itself for good: end too, as the auto-shutdown says.
    fn significant_ended(&mut self, ctx: &mut Context<Self>, child: &str) {
        let end = match self.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            // A child waiting out its backoff is still alive to its supervisor.
            AutoShutdown::AllSignificant => !self.children.iter().any(|slot| {
                slot.spec.significant && (slot.running.is_some() || slot.restarting.is_some())
            }),
        };
        if end {
            if self.events.subscribed() {
                let reason = GiveUpReason::AutoShutdown(self.auto_shutdown);
                self.giving_up = Some((Arc::from(child), reason));
            }
            trace_guarded(
                || tracing::info!(supervisor = %ctx.id(), child, "significant child ended: auto-shutdown"),
            );
            self.publish_ending();
            ctx.stop_with(ExitReason::Shutdown);
        }
    }

    /// Restarts came too fast: stops every child and ends, which its own supervisor hears of
    /// as any child's end (escalation).
    async fn give_up(&mut self, ctx: &mut Context<Self>, child: &str, reason: &ExitReason) {
        trace_guarded(|| {
            tracing::error!(
                supervisor = %ctx.id(),
                child,
                %reason,
                restarts = self.restarts.len(),
                max_restarts = self.max_restarts,
                period = ?self.period,
                "restart intensity reached: shutting down (escalating to the parent)"
            )
        });
        ctx.system().count_escalation();
        self.publish_ending();
        if placement::parent(ctx).is_none() {
            // No supervisor above to escalate to: the system's health report remembers it.
            ctx.system().extension::<FallenRoots>().note(ctx.id(), ctx.name());
        }
        self.terminate_all(ctx).await;
        let (max_restarts, period) = (self.max_restarts, self.period);
        self.events.send(|| SupervisorEvent::GaveUp {
            id: Arc::from(child),
            reason: GiveUpReason::Intensity { max_restarts, period },
        });
        ctx.stop_with(ExitReason::Shutdown);
    }
}
