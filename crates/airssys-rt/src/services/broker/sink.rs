//! A subscriber seen through the type of what it is sent, whatever its actor type.

use std::future::Future;
use std::pin::Pin;

use super::Publication;
use crate::actor::{Accepts, ActorRef};
use crate::dead_letter::DeadLetterReason;
use crate::kernel::{Offer, SentAs};

/// What became of one offer of a publication to one subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Offered {
    /// Queued in the subscriber's mailbox.
    Delivered,
    /// Not queued, and recorded as a dead letter.
    Missed,
    /// Not queued: the mailbox is full and makes senders wait. Nothing was recorded; the
    /// publisher decides whether to wait or to give up.
    Full,
}

/// An actor that takes publications of `T`. Implemented by the handle of every actor whose
/// messages can be made from a `Publication<T>`, so a subscriber of any actor type is an
/// `Arc<dyn Sink<T>>`. The handle it is made from keeps the subscriber alive, as a
/// subscription does.
pub(crate) trait Sink<T>: Send + Sync + 'static {
    /// Queues the publication if there is room, never waiting. A full mailbox that makes
    /// senders wait answers `Full` when `wait_when_full`, else the publication is a dead letter.
    fn offer(&self, publication: Publication<T>, wait_when_full: bool) -> Offered;

    /// Queues the publication, waiting for room as `tell` does.
    fn deliver_waiting(
        &self,
        publication: Publication<T>,
    ) -> Pin<Box<dyn Future<Output = Offered> + Send + '_>>;

    /// Records the publication as a dead letter for this subscriber.
    fn miss(&self, publication: Publication<T>, reason: DeadLetterReason);
}

impl<A, T> Sink<T> for ActorRef<A>
where
    A: Accepts<Publication<T>>,
    T: Send + Sync + 'static,
{
    #[inline]
    fn offer(&self, publication: Publication<T>, wait_when_full: bool) -> Offered {
        // Refused, a publication has no sender to go back to: past the message budget it is
        // shed, whatever the budget's policy (B3).
        match self.offer_unreturnable(publication) {
            Offer::Delivered => Offered::Delivered,
            Offer::Dropped => Offered::Missed,
            full @ Offer::Full(_) if wait_when_full && self.waits_when_full() => {
                // This copy goes: the publisher keeps the publication and offers it again
                // once there is room.
                full.discard();
                Offered::Full
            }
            Offer::Full(msg) => {
                self.dead_letter(msg, DeadLetterReason::SubscriberFull, SentAs::Tell);
                Offered::Missed
            }
            Offer::Gone(msg) => {
                self.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell);
                Offered::Missed
            }
        }
    }

    fn deliver_waiting(
        &self,
        publication: Publication<T>,
    ) -> Pin<Box<dyn Future<Output = Offered> + Send + '_>> {
        Box::pin(async move {
            let mut msg = publication;
            loop {
                // Made before the offer, so room made right after it is not missed.
                let room = self.room();
                match self.offer(msg) {
                    // As a `tell` that waited: accepted, even if the policy then dropped it.
                    Offer::Delivered | Offer::Dropped => return Offered::Delivered,
                    Offer::Full(back) => {
                        msg = back;
                        room.await;
                    }
                    Offer::Gone(msg) => {
                        self.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell);
                        return Offered::Missed;
                    }
                }
            }
        })
    }

    fn miss(&self, publication: Publication<T>, reason: DeadLetterReason) {
        self.dead_letter(publication, reason, SentAs::Tell);
    }
}
