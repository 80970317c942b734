//! A tell through a recipient: the same steps as `ActorRef::tell`, behind one virtual call.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::futures::Notified;

use super::deliver::{Deliver, TellAttempt};
use crate::dead_letter::DeadLetterReason;
use crate::kernel::actor::actor_ref::AskDeadline;
use crate::kernel::mailbox::PushError;
use crate::kernel::message::SendError;
use crate::kernel::SentAs;

/// A message on its way through a [`Recipient`](super::Recipient): await it to send it, or set
/// a timeout for waiting for room first. The recipient's counterpart of
/// [`Tell`](crate::actor::Tell).
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::actor::Recipient;
/// # use std::time::Duration;
/// # async fn send(recipient: Recipient<u8>) {
/// match recipient.tell(1).timeout(Duration::from_secs(1)).await {
///     Ok(()) => {}
///     Err(SendError::Full(back)) => println!("no room within 1 s, keeping {back}"),
///     Err(SendError::Closed(back)) => println!("gone, keeping {back}"),
/// }
/// # }
/// ```
#[must_use = "a tell sends nothing until it is awaited"]
pub struct RecipientTell<'a, M: Send + 'static> {
    cell: &'a dyn Deliver<M>,
    msg: M,
    timeout: Option<Duration>,
}

impl<'a, M: Send + 'static> RecipientTell<'a, M> {
    pub(super) fn new(cell: &'a dyn Deliver<M>, msg: M) -> Self {
        Self { cell, msg, timeout: None }
    }

    /// Waits at most this long for room in a full `Wait` mailbox, then hands the message back
    /// in [`SendError::Full`]; without it, a tell waits as long as it takes.
    ///
    /// # Panics
    ///
    /// As [`Tell::timeout`](crate::actor::Tell::timeout): when it has to wait outside a Tokio
    /// runtime with its timer enabled.
    ///
    /// ```
    /// # use airssys_rt::actor::Recipient;
    /// # async fn send(recipient: Recipient<u8>) {
    /// let _ = recipient.tell(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

// The message's type, not its value: a message need not be `Debug`.
impl<M: Send + 'static> fmt::Debug for RecipientTell<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientTell")
            .field("actor", &self.cell.actor_id())
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, M: Send + 'static> IntoFuture for RecipientTell<'a, M> {
    type Output = Result<(), SendError<M>>;
    type IntoFuture = RecipientTellFuture<'a, M>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        let cell = self.cell;
        RecipientTellFuture {
            cell,
            unsent: Some(self.msg),
            gave_way: false,
            deadline: self.timeout.map(|timeout| AskDeadline::new(cell.deadlines(), timeout)),
            room: None,
        }
    }
}

pin_project! {
    /// The future of a [`RecipientTell`]: resolves once the message is queued, or with the
    /// message handed back in a [`SendError`].
    ///
    /// Dropped before the message is queued or handed back, it makes the message a
    /// [dead letter](crate::dead_letter) with reason
    /// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled), as a
    /// [`TellFuture`](crate::actor::TellFuture) does (M15).
    ///
    /// ```
    /// use airssys_rt::actor::{Recipient, RecipientTellFuture};
    /// use std::future::IntoFuture;
    /// # fn start(recipient: &Recipient<u8>) {
    /// let pending: RecipientTellFuture<'_, u8> = recipient.tell(1).into_future();
    /// # drop(pending); }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct RecipientTellFuture<'a, M>
    where
        M: Send,
        M: 'static,
    {
        cell: &'a dyn Deliver<M>,
        unsent: Option<M>,
        // Whether it has taken its share of Tokio's cooperative budget (M13).
        gave_way: bool,
        deadline: Option<AskDeadline<'a>>,
        #[pin]
        room: Option<Notified<'a>>,
    }

    impl<'a, M> PinnedDrop for RecipientTellFuture<'a, M>
    where
        M: Send,
        M: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // As for a tell (M15): the message was given away, and nobody is left to hand it
            // back to.
            if let Some(msg) = this.unsent.take() {
                this.cell.dead_letter(msg, DeadLetterReason::SendCancelled, SentAs::Tell);
            }
        }
    }
}

impl<M: Send + 'static> fmt::Debug for RecipientTellFuture<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientTellFuture")
            .field("actor", &self.cell.actor_id())
            .field("message_type", &std::any::type_name::<M>())
            .field("sent", &self.unsent.is_none())
            .finish()
    }
}

impl<M: Send + 'static> Future for RecipientTellFuture<'_, M> {
    type Output = Result<(), SendError<M>>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.as_mut().project();
        if this.room.is_none() {
            let Some(msg) = this.unsent.take() else {
                panic!("a `RecipientTellFuture` polled after it completed");
            };
            match this.cell.tell_now(msg, cx, this.gave_way) {
                TellAttempt::Done(sent) => return Poll::Ready(sent),
                TellAttempt::GaveWay(msg) => {
                    *this.unsent = Some(msg);
                    return Poll::Pending;
                }
                TellAttempt::MustWait(msg) => *this.unsent = Some(msg),
            }
        }
        self.poll_room(cx)
    }
}

impl<M: Send + 'static> RecipientTellFuture<'_, M> {
    /// Waits for room in a full `Wait` mailbox, then queues the message; gives up when the
    /// deadline, if there is one, has passed. `TellFuture::poll_room`, message by message.
    #[inline(never)]
    fn poll_room(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), SendError<M>>> {
        let mut this = self.project();
        let cell = *this.cell;
        let Some(mut msg) = this.unsent.take() else {
            panic!("a `RecipientTellFuture` polled after it completed");
        };
        let sent = loop {
            let waiting = this.room.as_mut().as_pin_mut().map(|room| room.poll(cx));
            match waiting {
                // Register for room, then try once more before sleeping on it.
                None => {
                    this.room.set(Some(cell.room().notified()));
                    if let Some(room) = this.room.as_mut().as_pin_mut() {
                        room.enable();
                    }
                }
                Some(Poll::Ready(())) => this.room.set(None),
                Some(Poll::Pending) => {
                    // Put back before the deadline is looked at: without a Tokio timer it
                    // panics, and the message must still be there for the drop to account for.
                    *this.unsent = Some(msg);
                    if !this.deadline.as_mut().is_some_and(|due| due.poll_expired(cx)) {
                        return Poll::Pending;
                    }
                    let Some(back) = this.unsent.take() else {
                        panic!("a `RecipientTellFuture` lost its message");
                    };
                    break Err(SendError::Full(back));
                }
            }
            match cell.push_told(msg) {
                Ok(()) => break Ok(()),
                Err(PushError::Full(back)) => msg = back,
                Err(PushError::Closed(back)) => break Err(SendError::Closed(back)),
            }
        };
        if let Some(deadline) = this.deadline.as_mut() {
            deadline.disarm();
        }
        Poll::Ready(sent)
    }
}
