//! The system-wide budget for messages waiting in unbounded mailboxes.
//!
//! A single counter touched by every push and pop would bounce one cache line between all the
//! cores that send. Instead each unbounded mailbox leases budget in chunks of [`CHUNK`] slots
//! and keeps the spare ones as a credit under the lock it takes anyway: the shared counter is
//! touched once per chunk. What it counts is therefore the messages waiting plus the spare
//! credit of each mailbox (at most `2 * CHUNK`), an upper bound that never exceeds the limit.
//!
//! When a lease finds the budget spent, the budget turns *tight*: the spare credit is taken back
//! from every mailbox, and from then on mailboxes lease one slot per message and give it back as
//! the message is taken, so the count is exact while it matters. It turns loose again when the
//! count falls to three quarters of the limit.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::BudgetPolicy;

/// Slots an unbounded mailbox leases at once while the budget is loose.
pub(crate) const CHUNK: u32 = 64;

/// Keeps a hot atomic on a cache line of its own.
#[repr(align(64))]
struct Line<T>(T);

pub(crate) struct Budget {
    limit: usize,
    policy: BudgetPolicy,
    /// Slots leased to mailboxes: their waiting messages and their spare credit.
    leased: Line<AtomicUsize>,
    /// Read on every pop of an unbounded mailbox, written once per crossing.
    tight: Line<AtomicBool>,
    /// A send was refused or shed since the budget last turned loose: the system is degraded.
    over: AtomicBool,
    refused: AtomicU64,
    shed: AtomicU64,
}

impl Budget {
    pub(crate) fn new(limit: usize, policy: BudgetPolicy) -> Self {
        Self {
            limit,
            policy,
            leased: Line(AtomicUsize::new(0)),
            tight: Line(AtomicBool::new(false)),
            over: AtomicBool::new(false),
            refused: AtomicU64::new(0),
            shed: AtomicU64::new(0),
        }
    }

    pub(crate) fn policy(&self) -> BudgetPolicy {
        self.policy
    }

    /// Leases slots for a mailbox that has no credit left: a chunk, or one slot while the
    /// budget is tight; 0 when it is spent. Out of line: it runs once per chunk, and the push
    /// it would otherwise swell is inlined into every `tell`.
    #[inline(never)]
    pub(crate) fn lease(&self) -> u32 {
        let want = if self.tight.0.load(Ordering::Relaxed) { 1 } else { CHUNK as usize };
        let mut leased = self.leased.0.load(Ordering::Relaxed);
        loop {
            let granted = want.min(self.limit.saturating_sub(leased));
            if granted == 0 {
                return 0;
            }
            match self.leased.0.compare_exchange_weak(
                leased,
                leased + granted,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                // At most `CHUNK`: the cast keeps it.
                Ok(_) => return granted as u32,
                Err(actual) => leased = actual,
            }
        }
    }

    /// What a mailbox keeps of its credit after taking a message; the rest is given back.
    #[inline]
    pub(crate) fn keep(&self, credit: u32) -> u32 {
        if credit <= 2 * CHUNK && !self.tight.0.load(Ordering::Relaxed) {
            credit
        } else {
            self.refund(credit)
        }
    }

    #[inline(never)]
    fn refund(&self, credit: u32) -> u32 {
        if self.tight.0.load(Ordering::Relaxed) {
            self.give_back(credit as usize);
            0
        } else if credit > 2 * CHUNK {
            self.give_back((credit - CHUNK) as usize);
            CHUNK
        } else {
            credit
        }
    }

    /// Returns slots to the budget; the budget turns loose, and the system healthy again, once
    /// three quarters of it are free of use.
    pub(crate) fn give_back(&self, slots: usize) {
        if slots == 0 {
            return;
        }
        let before = self.leased.0.fetch_sub(slots, Ordering::SeqCst);
        let now = before - slots;
        if now <= self.low_water() {
            self.recover(now);
        }
    }

    /// Turns the budget loose and ends its crossing, three quarters of it being free. The flag
    /// is looked at on its own, not only while the budget is tight: a `count_over` racing this
    /// may have set it after a give-back turned the budget loose (B6: it stayed set for ever,
    /// the system `Degraded` with nothing queued).
    fn recover(&self, now: usize) {
        if self.tight.0.load(Ordering::SeqCst) {
            self.tight.0.store(false, Ordering::SeqCst);
        }
        if self.over.load(Ordering::SeqCst) && self.over.swap(false, Ordering::SeqCst) {
            self.recovered(now);
        }
    }

    /// Reports that the budget has recovered. From a mailbox's lock, in an actor taking a
    /// message or ending: the subscriber is user code, and its panic must go no further (A11).
    #[cold]
    fn recovered(&self, in_use: usize) {
        crate::kernel::actor::trace_guarded(|| {
            tracing::info!(
                target: "airssys_rt::budget",
                in_use,
                limit = self.limit,
                "queued messages are back under the message budget"
            );
        });
    }

    fn low_water(&self) -> usize {
        self.limit / 4 * 3
    }

    /// Turns the budget tight; `true` if it was loose, and spare credit should be taken back.
    pub(crate) fn tighten(&self) -> bool {
        !self.tight.0.swap(true, Ordering::Relaxed)
    }

    /// Counts a send that the budget refused or shed, and warns once per crossing.
    #[cold]
    pub(crate) fn count_over(&self, shed: bool) {
        let counter = if shed { &self.shed } else { &self.refused };
        counter.fetch_add(1, Ordering::Relaxed);
        // Set tight too: the sweep that ran before may have turned it loose again, and only a
        // tight budget turns the flag off again.
        self.tight.0.store(true, Ordering::SeqCst);
        if !self.over.swap(true, Ordering::SeqCst) {
            // In a sender, or a timer's task: a panicking subscriber must not unwind there.
            crate::kernel::actor::trace_guarded(|| {
                tracing::warn!(
                    target: "airssys_rt::budget",
                    limit = self.limit,
                    policy = ?self.policy,
                    "queued messages reached the message budget: sends to unbounded mailboxes \
                     are refused or shed until three quarters of it are free"
                );
            });
        }
        // The slots may all have come back between the refusal and the flag, with no give-back
        // left to see it: look again.
        let now = self.leased.0.load(Ordering::SeqCst);
        if now <= self.low_water() {
            self.recover(now);
        }
    }

    pub(crate) fn is_over(&self) -> bool {
        self.over.load(Ordering::Relaxed)
    }

    pub(crate) fn in_use(&self) -> usize {
        self.leased.0.load(Ordering::Relaxed)
    }

    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    pub(crate) fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_chunks_until_spent_then_single_slots_once_tight() {
        let budget = Budget::new(100, BudgetPolicy::Reject);
        assert_eq!(budget.lease(), CHUNK);
        assert_eq!(budget.lease(), 100 - CHUNK);
        assert_eq!(budget.lease(), 0);
        assert!(budget.tighten());
        assert!(!budget.tighten());
        budget.give_back(10);
        assert_eq!(budget.lease(), 1);
        assert_eq!(budget.in_use(), 91);
    }

    #[test]
    fn turns_loose_at_three_quarters() {
        let budget = Budget::new(100, BudgetPolicy::Shed);
        assert_eq!(budget.lease() + budget.lease(), 100);
        budget.count_over(true);
        assert!(budget.is_over());
        budget.give_back(24);
        assert!(budget.is_over());
        budget.give_back(1);
        assert!(!budget.is_over());
        assert_eq!(budget.lease(), 25, "a chunk, or what is left of the budget");
        assert_eq!(budget.shed(), 1);
    }
}
