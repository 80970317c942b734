//! A subscriber seen through the type of what it is sent, whatever its actor type.

use std::future::Future;
use std::pin::Pin;

use super::Publication;
use crate::kernel::actor::{Actor, ActorCell, ErasedCell};
use crate::kernel::dead_letter::DeadLetterReason;
use crate::kernel::mailbox::PushError;
use crate::kernel::message::{Envelope, Undelivered};

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

/// An actor that takes publications of `T`. Implemented by every actor cell whose messages can
/// be made from a `Publication<T>`, so a subscriber of any actor type is an
/// `Arc<dyn Sink<T>>` coerced from its cell, without an allocation.
pub(crate) trait Sink<T>: ErasedCell {
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

impl<A, T> Sink<T> for ActorCell<A>
where
    A: Actor,
    A::Msg: From<Publication<T>>,
    T: Send + Sync + 'static,
{
    #[inline]
    fn offer(&self, publication: Publication<T>, wait_when_full: bool) -> Offered {
        // Refused, a publication has no sender to go back to: past the message budget it is
        // shed, whatever the budget's policy (B3).
        match self.enqueue_unreturnable(Envelope::tell(publication.into())) {
            Ok(true) => Offered::Delivered,
            Ok(false) => Offered::Missed,
            Err(PushError::Full(envelope)) if wait_when_full && self.mailbox.waits_when_full() => {
                // Only the wrapper made from the publication goes: the publisher keeps the
                // publication itself and offers it again once there is room.
                let Envelope { message, .. } = envelope;
                if crate::kernel::actor::drop_guarded(message) {
                    crate::kernel::actor::trace_guarded(|| {
                        tracing::error!(actor = %self.id, "a message panicked while being dropped");
                    });
                }
                Offered::Full
            }
            Err(PushError::Full(envelope)) => {
                self.dead_letter(envelope, DeadLetterReason::SubscriberFull, Undelivered::Dropped);
                Offered::Missed
            }
            Err(PushError::Closed(envelope)) => {
                self.dead_letter(envelope, DeadLetterReason::ActorStopped, Undelivered::Dropped);
                Offered::Missed
            }
        }
    }

    fn deliver_waiting(
        &self,
        publication: Publication<T>,
    ) -> Pin<Box<dyn Future<Output = Offered> + Send + '_>> {
        Box::pin(async move {
            match self.push_waiting(Envelope::tell(publication.into())).await {
                Ok(()) => Offered::Delivered,
                Err(PushError::Full(envelope)) => {
                    self.dead_letter(
                        envelope,
                        DeadLetterReason::SubscriberFull,
                        Undelivered::Dropped,
                    );
                    Offered::Missed
                }
                Err(PushError::Closed(envelope)) => {
                    self.dead_letter(
                        envelope,
                        DeadLetterReason::ActorStopped,
                        Undelivered::Dropped,
                    );
                    Offered::Missed
                }
            }
        })
    }

    fn miss(&self, publication: Publication<T>, reason: DeadLetterReason) {
        self.dead_letter(Envelope::tell(publication.into()), reason, Undelivered::Dropped);
    }
}
