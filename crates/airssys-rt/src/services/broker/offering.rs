//! Offering a publication to one subscriber, whatever its actor type, through its recipient.

use super::Publication;
use crate::actor::Recipient;
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

/// Queues the publication if there is room, never waiting. A full mailbox that makes senders
/// wait answers `Full` when `wait_when_full`, else the publication is a dead letter.
#[inline]
pub(crate) fn offer<T: Send + Sync + 'static>(
    subscriber: &Recipient<Publication<T>>,
    publication: Publication<T>,
    wait_when_full: bool,
) -> Offered {
    // Refused, a publication has no sender to go back to: past the message budget it is shed,
    // whatever the budget's policy (B3).
    match subscriber.offer_unreturnable(publication) {
        Offer::Delivered => Offered::Delivered,
        Offer::Dropped => Offered::Missed,
        full @ Offer::Full(_) if wait_when_full && subscriber.waits_when_full() => {
            // This copy goes: the publisher keeps the publication and offers it again once
            // there is room.
            full.discard();
            Offered::Full
        }
        Offer::Full(msg) => {
            subscriber.dead_letter(msg, DeadLetterReason::SubscriberFull, SentAs::Tell);
            Offered::Missed
        }
        Offer::Gone(msg) => {
            subscriber.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell);
            Offered::Missed
        }
    }
}

/// Queues the publication, waiting for room as `tell` does.
pub(crate) async fn deliver_waiting<T: Send + Sync + 'static>(
    subscriber: &Recipient<Publication<T>>,
    publication: Publication<T>,
) -> Offered {
    let mut msg = publication;
    loop {
        // Made before the offer, so room made right after it is not missed.
        let room = subscriber.room();
        match subscriber.offer(msg) {
            // As a `tell` that waited: accepted, even if the policy then dropped it.
            Offer::Delivered | Offer::Dropped => return Offered::Delivered,
            Offer::Full(back) => {
                msg = back;
                room.await;
            }
            Offer::Gone(msg) => {
                subscriber.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell);
                return Offered::Missed;
            }
        }
    }
}
