//! A shared, ordered record that tests can wait on: what actors did, in order.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;

pub struct Record<T>(Arc<(Mutex<Vec<T>>, Notify)>);

impl<T> Clone for Record<T> {
    fn clone(&self) -> Self {
        Record(Arc::clone(&self.0))
    }
}

impl<T> Default for Record<T> {
    fn default() -> Self {
        Record(Arc::new((Mutex::new(Vec::new()), Notify::new())))
    }
}

impl<T: Clone + PartialEq> Record<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until at least `len` items have been recorded, and returns them all.
    pub async fn wait_for_len(&self, len: usize) -> Vec<T> {
        loop {
            let notified = self.0 .1.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let items = self.items();
            if items.len() >= len {
                return items;
            }
            notified.await;
        }
    }

    pub fn push(&self, item: impl Into<T>) {
        self.0 .0.lock().push(item.into());
        self.0 .1.notify_waiters();
    }

    pub fn items(&self) -> Vec<T> {
        self.0 .0.lock().clone()
    }

    pub fn count<Q>(&self, item: &Q) -> usize
    where
        T: PartialEq<Q>,
        Q: ?Sized,
    {
        self.0 .0.lock().iter().filter(|held| *held == item).count()
    }

    pub fn contains<Q>(&self, item: &Q) -> bool
    where
        T: PartialEq<Q>,
        Q: ?Sized,
    {
        self.count(item) > 0
    }

    pub fn clear(&self) {
        self.0 .0.lock().clear();
    }

    /// Waits until `item` has been recorded `times` times.
    pub async fn wait_for_count<Q>(&self, item: &Q, times: usize)
    where
        T: PartialEq<Q>,
        Q: ?Sized,
    {
        loop {
            let notified = self.0 .1.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count(item) >= times {
                return;
            }
            notified.await;
        }
    }
}
