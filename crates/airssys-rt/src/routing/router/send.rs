//! A routed tell's future and a routed ask's, shared by the pool's router and the group: each
//! public future wraps one of these around its own table.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context as TaskContext, Poll};
use std::time::Duration;

use super::routee::Routee;
use super::table::{Broadcast, Refused, Rule, Sent, Table};
use crate::message::{AskError, SendError};

/// The rest of a routed tell that has to wait for room.
type Waiting<'a, M> = Pin<Box<dyn Future<Output = Result<(), SendError<M>>> + Send + 'a>>;

/// A routed ask, from routing to reply.
type RoutedAsk<'a, R, M> = Pin<Box<dyn Future<Output = Result<R, AskError<M>>> + Send + 'a>>;

/// A tell through a table: resolves once the message is queued, or with the message handed
/// back. Dropped before either, it makes the message a dead letter (R9).
pub(super) struct RoutedTell<'a, W: Routee<M>, M: Send + 'static> {
    table: &'a Table<W, M>,
    unrouted: Option<M>,
    timeout: Option<Duration>,
    /// Whether it has taken its share of Tokio's cooperative budget (M13).
    gave_way: bool,
    /// Boxed, as it owns the worker whose mailbox it waits on; only a tell that finds its
    /// worker full pays for it.
    waiting: Option<Waiting<'a, M>>,
}

// Nothing in it is pinned: the part that waits is pinned in its box.
impl<W: Routee<M>, M: Send + 'static> Unpin for RoutedTell<'_, W, M> {}

impl<'a, W: Routee<M>, M: Send + 'static> RoutedTell<'a, W, M> {
    pub(super) fn new(table: &'a Table<W, M>, msg: M, timeout: Option<Duration>) -> Self {
        Self { table, unrouted: Some(msg), timeout, gave_way: false, waiting: None }
    }

    pub(super) fn table(&self) -> &'a Table<W, M> {
        self.table
    }

    pub(super) fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether it still holds its message, not yet routed.
    pub(super) fn is_unrouted(&self) -> bool {
        self.unrouted.is_some()
    }

    /// Whether it waits for room in a full worker.
    pub(super) fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }
}

impl<W: Routee<M>, M: Send + 'static> Future for RoutedTell<'_, W, M> {
    type Output = Result<(), SendError<M>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.waiting.is_none() {
            let table = this.table;
            if !this.gave_way {
                // As `ActorRef::tell` does, so that a sending loop cannot starve the workers it
                // fills; before routing, so that a tell cancelled here has queued nothing.
                if !table.pushes_back() {
                    ready!(tokio::task::coop::poll_proceed(cx)).made_progress();
                }
                this.gave_way = true;
            }
            let Some(msg) = this.unrouted.take() else {
                panic!("a routed tell polled after it completed");
            };
            let waiting: Waiting<'_, M> = match table.rule() {
                Rule::Broadcast(copy) => {
                    let mut broadcast = Broadcast::new(table.workers(), *copy, msg);
                    match broadcast.push_now(true) {
                        None => return Poll::Ready(broadcast.finish().map(drop)),
                        Some((slot, msg)) => {
                            let rest = broadcast.finish_waiting(slot, msg, this.timeout);
                            Box::pin(async move { rest.await.map(drop) })
                        }
                    }
                }
                _ => match table.offer(msg) {
                    Ok(()) => return Poll::Ready(Ok(())),
                    Err(Refused::Full(worker, back)) if worker.waits_when_full() => {
                        Box::pin(table.tell_waiting(worker, back, this.timeout))
                    }
                    Err(refused) => return Poll::Ready(Err(refused.into_send_error())),
                },
            };
            this.waiting = Some(waiting);
        }
        let Some(waiting) = this.waiting.as_mut() else {
            panic!("a routed tell polled after it completed");
        };
        let sent = ready!(waiting.as_mut().poll(cx));
        this.waiting = None;
        Poll::Ready(sent)
    }
}

impl<W: Routee<M>, M: Send + 'static> Drop for RoutedTell<'_, W, M> {
    fn drop(&mut self) {
        // A message still waiting for room is in `waiting`, whose tell accounts for it.
        if let Some(msg) = self.unrouted.take() {
            self.table.cancel_unrouted(msg, Sent::Tell);
        }
    }
}

/// A routed ask, boxed: its retries across workers and its broadcast form make one future
/// too many shapes to name.
pub(super) fn routed_ask<'a, W: Routee<M>, M: Send + 'static>(
    table: &'a Table<W, M>,
    msg: M,
    timeout: Duration,
) -> RoutedAsk<'a, W::Reply, M> {
    // Held so that an ask dropped before its first poll, which routes it, leaves its dead
    // letter as a direct one does (M15); once routed, the worker's ask accounts for it.
    let mut unrouted = Unrouted { table, msg: Some(msg) };
    Box::pin(async move {
        match unrouted.msg.take() {
            Some(msg) => table.ask(msg, timeout).await,
            None => unreachable!("an ask's message is taken only here, once"),
        }
    })
}

/// The request of a routed ask not yet polled.
struct Unrouted<'a, W: Routee<M>, M: Send + 'static> {
    table: &'a Table<W, M>,
    msg: Option<M>,
}

impl<W: Routee<M>, M: Send + 'static> Drop for Unrouted<'_, W, M> {
    fn drop(&mut self) {
        if let Some(msg) = self.msg.take() {
            self.table.cancel_unrouted(msg, Sent::Ask);
        }
    }
}
