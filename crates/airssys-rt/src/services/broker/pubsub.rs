//! The broker: subscriptions by topic pattern, and publications delivered to every match.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::RwLock;
use tokio::time::Instant;

use super::offering::{deliver_waiting, offer, Offered};
use super::topic::{check_pattern, check_topic, Segments, TopicProblem, Trie};
use crate::actor::{Accepts, Actor, ActorId, ActorRef, Recipient};
use crate::dead_letter::DeadLetterReason;
use crate::kernel::{AnyActor, EndHook, SentAs};

/// One message published to a topic, as each subscriber receives it: the topic and the
/// payload, both shared with every other subscriber.
///
/// Dereferences to the payload. A subscriber handles it as one of its message types.
///
/// ```
/// use airssys_rt::prelude::*;
///
/// #[derive(Default)]
/// struct Thermostat {
///     last: f64,
/// }
///
/// #[actor(messages(Publication<f64>))]
/// impl Actor for Thermostat {}
///
/// impl Handler<Publication<f64>> for Thermostat {
///     type Reply = ();
///     async fn handle(&mut self, reading: Publication<f64>, _: &mut Context<Self>) {
///         println!("{}: {}", reading.topic(), *reading);
///         self.last = *reading;
///     }
/// }
/// ```
pub struct Publication<T> {
    // One pointer, so that each subscriber's copy is one reference count and a mailbox slot
    // of two words (with the `ask` reply slot): a fan-out to many subscribers writes half the
    // memory it would with the topic and the payload side by side.
    shared: Arc<Shared<T>>,
}

/// What every subscriber of one publish shares.
struct Shared<T> {
    topic: Arc<str>,
    payload: Arc<T>,
}

impl<T> Publication<T> {
    /// The topic it was published to.
    ///
    /// ```
    /// # fn show(p: &airssys_rt::broker::Publication<u8>) -> &str { p.topic() }
    /// ```
    pub fn topic(&self) -> &str {
        &self.shared.topic
    }

    /// The payload, shared with every other subscriber.
    ///
    /// ```
    /// # fn show(p: &airssys_rt::broker::Publication<u8>) -> u8 { *p.payload() }
    /// ```
    pub fn payload(&self) -> &T {
        &self.shared.payload
    }

    /// The shared payload itself, to keep it beyond the message without copying it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # fn keep(p: &airssys_rt::broker::Publication<Vec<u8>>) -> Arc<Vec<u8>> { Arc::clone(p.shared_payload()) }
    /// ```
    pub fn shared_payload(&self) -> &Arc<T> {
        &self.shared.payload
    }

    /// The shared topic itself.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # fn keep(p: &airssys_rt::broker::Publication<u8>) -> Arc<str> { Arc::clone(p.shared_topic()) }
    /// ```
    pub fn shared_topic(&self) -> &Arc<str> {
        &self.shared.topic
    }
}

impl<T> Clone for Publication<T> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared) }
    }
}

impl<T> Deref for Publication<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.shared.payload
    }
}

impl<T: fmt::Debug> fmt::Debug for Publication<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publication")
            .field("topic", &self.shared.topic)
            .field("payload", &self.shared.payload)
            .finish()
    }
}

/// What a publish does when a subscriber's mailbox is full.
///
/// See the [module documentation](crate::broker) for the table.
///
/// ```
/// use airssys_rt::broker::Delivery;
/// use std::time::Duration;
/// assert_eq!(Delivery::default(), Delivery::Guaranteed);
/// let _quick = Delivery::Deadline(Duration::from_millis(10));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Never wait: a full subscriber misses the publication, which becomes a dead letter.
    BestEffort,
    /// Wait for room in every full subscriber's mailbox.
    #[default]
    Guaranteed,
    /// Wait for room at most this long, counted from the start of the publish; the subscribers
    /// still full then miss the publication. A duration too long to add to the start
    /// (`Duration::MAX`) waits as long as `Guaranteed` does.
    Deadline(Duration),
}

/// Names one subscription, to cancel it.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # fn cancel(system: &ActorSystem, id: SubscriptionId) {
/// let _ = system.broker::<String>().unsubscribe(id);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionId(u64);

impl SubscriptionId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Sub<{}>", self.0)
    }
}

/// What one publish did: how many subscriptions matched its topic, and what became of the
/// publication for each. `matched == delivered + missed`.
///
/// ```
/// use airssys_rt::broker::PublishReport;
/// let report = PublishReport::default();
/// assert_eq!(report.matched, report.delivered + report.missed);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PublishReport {
    /// Subscriptions whose pattern matched the topic.
    pub matched: usize,
    /// Publications queued in a subscriber's mailbox.
    pub delivered: usize,
    /// Publications that became dead letters instead (the subscriber was full, had ended, or
    /// its mailbox's overflow policy dropped it).
    pub missed: usize,
}

/// One subscription, as [`Broker::subscriptions`] lists it.
///
/// ```
/// # use airssys_rt::broker::SubscriptionInfo;
/// fn describe(info: &SubscriptionInfo) -> String {
///     format!("{} listens to {} ({:?})", info.subscriber, info.pattern, info.delivery)
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionInfo {
    /// The subscription.
    pub id: SubscriptionId,
    /// The pattern it matches topics with.
    pub pattern: Arc<str>,
    /// The subscribed actor.
    pub subscriber: ActorId,
    /// Its delivery.
    pub delivery: Delivery,
}

/// Why a broker call failed.
///
/// ```
/// use airssys_rt::broker::{BrokerError, TopicProblem};
/// let error = BrokerError::InvalidTopic { topic: "a..b".into(), problem: TopicProblem::EmptySegment(2) };
/// assert_eq!(error.to_string(), "invalid topic \"a..b\": segment 2 is empty");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The topic of a publish (or of a count) is not a valid topic.
    #[error("invalid topic {topic:?}: {problem}")]
    InvalidTopic {
        /// The topic given.
        topic: Arc<str>,
        /// What is wrong with it.
        problem: TopicProblem,
    },
    /// The pattern of a subscription is not a valid pattern.
    #[error("invalid pattern {pattern:?}: {problem}")]
    InvalidPattern {
        /// The pattern given.
        pattern: Arc<str>,
        /// What is wrong with it.
        problem: TopicProblem,
    },
    /// The actor to subscribe has ended or is ending.
    #[error("actor {0} is not alive")]
    NotAlive(ActorId),
    /// No such subscription: it was never made, was cancelled, or its subscriber ended.
    #[error("no subscription {0}")]
    NotSubscribed(SubscriptionId),
}

/// The publish-subscribe hub of one system for payloads of type `T`. Cloning gives another
/// handle to the same broker.
///
/// Reached through [`ActorSystem::broker`](crate::ActorSystem::broker); see the
/// [module documentation](crate::broker) for the rules.
///
/// ```
/// let system = airssys_rt::ActorSystem::new();
/// let alarms = system.broker::<String>();
/// assert!(alarms.subscriptions().is_empty());
/// ```
pub struct Broker<T> {
    inner: Arc<BrokerInner<T>>,
}

struct BrokerInner<T> {
    // Read by every publish, written by subscribe, unsubscribe and exits.
    table: RwLock<Table<T>>,
}

struct Table<T> {
    trie: Trie<Subscriber<T>>,
    /// Where each subscription is filed, to find it again.
    by_id: HashMap<SubscriptionId, Filed>,
}

struct Subscriber<T> {
    id: SubscriptionId,
    /// A handle to the subscriber: the subscription keeps it alive. Dropped never under the
    /// table's lock: the actor may end for lack of handles then, and wake.
    recipient: Recipient<Publication<T>>,
    delivery: Delivery,
}

struct Filed {
    pattern: Arc<str>,
    subscriber: AnyActor,
    delivery: Delivery,
    /// The subscriber's end-of-life hook that drops the subscription.
    end: EndHook,
}

impl<T: Send + Sync + 'static> Broker<T> {
    pub(crate) fn new() -> Self {
        Self {
            inner: Arc::new(BrokerInner {
                table: RwLock::new(Table { trie: Trie::default(), by_id: HashMap::new() }),
            }),
        }
    }

    /// Subscribes `actor` to the topics `pattern` matches, with [`Delivery::Guaranteed`].
    ///
    /// Fails if the pattern is invalid ([`BrokerError::InvalidPattern`]) or the actor has
    /// ended or is ending ([`BrokerError::NotAlive`]). An actor may hold several subscriptions,
    /// even with the same pattern; each gets its own copy of every matching publication.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn sub<A: Accepts<Publication<u32>>>(system: &ActorSystem, actor: &ActorRef<A>) -> Result<(), BrokerError> {
    /// let id = system.broker::<u32>().subscribe("orders.#", actor)?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe<A: Accepts<Publication<T>>>(
        &self,
        pattern: &str,
        actor: &ActorRef<A>,
    ) -> Result<SubscriptionId, BrokerError> {
        self.subscribe_with(pattern, actor, Delivery::Guaranteed)
    }

    /// Subscribes `actor` to the topics `pattern` matches, with the given delivery.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::broker::Delivery;
    /// # fn sub<A: Accepts<Publication<u32>>>(system: &ActorSystem, ticker: &ActorRef<A>) -> Result<(), BrokerError> {
    /// // A ticker that would rather miss a price than hold the market data feed up.
    /// system.broker::<u32>().subscribe_with("prices.*", ticker, Delivery::BestEffort)?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe_with<A: Accepts<Publication<T>>>(
        &self,
        pattern: &str,
        actor: &ActorRef<A>,
        delivery: Delivery,
    ) -> Result<SubscriptionId, BrokerError> {
        self.subscribe_recipient_with(pattern, actor.recipient(), delivery)
    }

    /// Subscribes the actor behind `recipient` to the topics `pattern` matches, with
    /// [`Delivery::Guaranteed`]: for a subscriber known only by the message type it takes,
    /// whatever its actor type. It behaves in every way as [`subscribe`](Self::subscribe) with
    /// the actor's [`ActorRef`]; the subscription keeps the recipient, and with it the actor,
    /// alive.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn sub(system: &ActorSystem, audit: Recipient<Publication<u32>>) -> Result<(), BrokerError> {
    /// let id = system.broker::<u32>().subscribe_recipient("orders.#", audit)?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe_recipient(
        &self,
        pattern: &str,
        recipient: Recipient<Publication<T>>,
    ) -> Result<SubscriptionId, BrokerError> {
        self.subscribe_recipient_with(pattern, recipient, Delivery::Guaranteed)
    }

    /// [`subscribe_recipient`](Self::subscribe_recipient) with the given delivery.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::broker::Delivery;
    /// # fn sub(system: &ActorSystem, ticker: Recipient<Publication<u32>>) -> Result<(), BrokerError> {
    /// system.broker::<u32>().subscribe_recipient_with("prices.*", ticker, Delivery::BestEffort)?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe_recipient_with(
        &self,
        pattern: &str,
        recipient: Recipient<Publication<T>>,
        delivery: Delivery,
    ) -> Result<SubscriptionId, BrokerError> {
        check_pattern(pattern)
            .map_err(|problem| BrokerError::InvalidPattern { pattern: pattern.into(), problem })?;
        let subscriber = recipient.erase();
        let id = SubscriptionId::next();
        let broker = Arc::downgrade(&self.inner);
        let mut table = self.inner.table.write();
        // Under the table's lock: an actor that ends meanwhile either refuses the hook here,
        // or runs it (which takes this lock) only once the subscription is in the table.
        let undo = move || BrokerInner::remove(&broker, id);
        let Ok(end) = subscriber.on_end(undo) else {
            // The recipient goes outside the lock: the actor may end for lack of handles then.
            drop(table);
            drop(recipient);
            return Err(BrokerError::NotAlive(subscriber.id()));
        };
        let pattern: Arc<str> = pattern.into();
        table.by_id.insert(id, Filed { pattern: Arc::clone(&pattern), subscriber, delivery, end });
        table.trie.insert(&pattern, Subscriber { id, recipient, delivery });
        Ok(id)
    }

    /// Cancels a subscription: no publication made after this returns reaches it (those
    /// already queued in the subscriber's mailbox stay there).
    ///
    /// Fails with [`BrokerError::NotSubscribed`] if there is no such subscription (any more).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn unsub(system: &ActorSystem, id: SubscriptionId) {
    /// if let Err(error) = system.broker::<u32>().unsubscribe(id) {
    ///     println!("{error}");
    /// }
    /// # }
    /// ```
    pub fn unsubscribe(&self, id: SubscriptionId) -> Result<(), BrokerError> {
        let removed = self.inner.take(id).ok_or(BrokerError::NotSubscribed(id))?;
        let (subscriber, filed) = removed;
        filed.subscriber.cancel_end_hook(filed.end);
        // Outside the lock: the actor may end now, for lack of handles, and wake.
        drop(subscriber);
        Ok(())
    }

    /// Cancels every subscription of `actor` to this broker; returns how many there were.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn quiet<A: Accepts<Publication<u8>>>(system: &ActorSystem, actor: &ActorRef<A>) {
    /// let cancelled = system.broker::<u8>().unsubscribe_all(actor);
    /// assert!(system.broker::<u8>().subscriptions().iter().all(|s| s.subscriber != actor.id()));
    /// # }
    /// ```
    pub fn unsubscribe_all<A: Actor>(&self, actor: &ActorRef<A>) -> usize {
        let ids: Vec<SubscriptionId> = self
            .inner
            .table
            .read()
            .by_id
            .iter()
            .filter(|(_, filed)| filed.subscriber.id() == actor.id())
            .map(|(id, _)| *id)
            .collect();
        // One at a time: each may have gone meanwhile (the actor ended, or another call).
        ids.into_iter().filter(|id| self.unsubscribe(*id).is_ok()).count()
    }

    /// Publishes `payload` to `topic`, with each subscription's own delivery, and reports
    /// what happened. Waits (with `Guaranteed` and `Deadline` subscribers) as the
    /// [module documentation](crate::broker) says.
    ///
    /// `topic` and `payload` may be given already shared (`Arc<str>`, `Arc<T>`), which saves
    /// their allocation. Fails only with [`BrokerError::InvalidTopic`], having sent nothing.
    /// Dropping the returned future while it waits for room makes the publication a dead
    /// letter ([`SubscriberFull`](DeadLetterReason::SubscriberFull)) for each subscriber still
    /// waited for.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn send(system: &ActorSystem) -> Result<(), BrokerError> {
    /// let report = system.broker::<String>().publish("alarms.fire", "kitchen".to_string()).await?;
    /// println!("{} of {} subscribers got it", report.delivered, report.matched);
    /// # Ok(()) }
    /// ```
    pub async fn publish(
        &self,
        topic: impl Into<Arc<str>>,
        payload: impl Into<Arc<T>>,
    ) -> Result<PublishReport, BrokerError> {
        self.publish_as(topic.into(), payload.into(), None).await
    }

    /// Publishes `payload` to `topic` with the given delivery for every subscriber, whatever
    /// their subscriptions say.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::broker::Delivery;
    /// # use std::time::Duration;
    /// # async fn send(system: &ActorSystem) -> Result<(), BrokerError> {
    /// let within = Delivery::Deadline(Duration::from_millis(50));
    /// let report = system.broker::<u64>().publish_with("ticks", 7, within).await?;
    /// assert_eq!(report.matched, report.delivered + report.missed);
    /// # Ok(()) }
    /// ```
    pub async fn publish_with(
        &self,
        topic: impl Into<Arc<str>>,
        payload: impl Into<Arc<T>>,
        delivery: Delivery,
    ) -> Result<PublishReport, BrokerError> {
        self.publish_as(topic.into(), payload.into(), Some(delivery)).await
    }

    /// Publishes `payload` to `topic` without waiting, as [`Delivery::BestEffort`] for every
    /// subscriber; usable outside async code.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// let system = ActorSystem::new();
    /// let report = system.broker::<u8>().try_publish("nobody.listens", 1)?;
    /// assert_eq!(report.matched, 0);
    /// # Ok::<(), BrokerError>(())
    /// ```
    pub fn try_publish(
        &self,
        topic: impl Into<Arc<str>>,
        payload: impl Into<Arc<T>>,
    ) -> Result<PublishReport, BrokerError> {
        let topic = topic.into();
        let segments = segments_of(&topic)?;
        let publication = Publication::new(Arc::clone(&topic), payload.into());
        let mut report = PublishReport::default();
        let best_effort = Some(Delivery::BestEffort);
        self.offer_all(&publication, &segments, best_effort, &mut report, |_, _| {});
        Ok(report)
    }

    async fn publish_as(
        &self,
        topic: Arc<str>,
        payload: Arc<T>,
        forced: Option<Delivery>,
    ) -> Result<PublishReport, BrokerError> {
        let publication = Publication::new(Arc::clone(&topic), payload);
        let started = Instant::now();
        let mut report = PublishReport::default();
        let mut full = Vec::new();
        // In a block: the segments are not kept across the waits, and the future stays small.
        {
            let segments = segments_of(&topic)?;
            self.offer_all(&publication, &segments, forced, &mut report, |recipient, delivery| {
                let deadline = match delivery {
                    // A deadline too far to compute is none: the publish waits as long as it
                    // takes.
                    Delivery::Deadline(within) => started.checked_add(within),
                    Delivery::BestEffort | Delivery::Guaranteed => None,
                };
                full.push((recipient.clone(), deadline));
            });
        }
        if full.is_empty() {
            return Ok(report);
        }
        // Each guard is made here, as `join_all` collects the waits, not in the wait: a publish
        // dropped may drop waits never polled (`join_all` stops polling early when they use up
        // Tokio's budget), and these too must leave their dead letter.
        let waits = full.into_iter().map(|(recipient, deadline)| {
            let awaiting = AwaitingRoom { recipient, publication: Some(publication.clone()) };
            async move {
                // Whatever ends the wait without a delivery (the deadline, or the publish being
                // dropped) makes the publication a dead letter for this subscriber.
                let mut awaiting = awaiting;
                let delivery = deliver_waiting(&awaiting.recipient, awaiting.publication.clone()?);
                let offered = match deadline {
                    None => delivery.await,
                    Some(deadline) => tokio::time::timeout_at(deadline, delivery).await.ok()?,
                };
                awaiting.publication = None;
                Some(offered)
            }
        });
        for offered in futures::future::join_all(waits).await {
            match offered {
                Some(Offered::Delivered) => report.delivered += 1,
                Some(Offered::Missed | Offered::Full) | None => report.missed += 1,
            }
        }
        Ok(report)
    }

    /// Offers the publication to every matching subscriber without waiting; hands the full
    /// ones that are to be waited for to `full`.
    ///
    /// The topic comes checked and split: under the lock, the work is the match, linear in a
    /// topic the limits bound, and the offers.
    fn offer_all(
        &self,
        publication: &Publication<T>,
        segments: &Segments<'_>,
        forced: Option<Delivery>,
        report: &mut PublishReport,
        mut full: impl FnMut(&Recipient<Publication<T>>, Delivery),
    ) {
        let table = self.inner.table.read();
        table.trie.for_each_match(segments.as_slice(), |subscriber| {
            report.matched += 1;
            let delivery = forced.unwrap_or(subscriber.delivery);
            let wait_when_full = delivery != Delivery::BestEffort;
            match offer(&subscriber.recipient, publication.clone(), wait_when_full) {
                Offered::Delivered => report.delivered += 1,
                Offered::Missed => report.missed += 1,
                Offered::Full => full(&subscriber.recipient, delivery),
            }
        });
    }

    /// How many subscriptions a publication to `topic` would reach now.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.broker::<u8>().subscriber_count("a.b"), Ok(0));
    /// assert!(system.broker::<u8>().subscriber_count("a.*").is_err());
    /// ```
    pub fn subscriber_count(&self, topic: &str) -> Result<usize, BrokerError> {
        let segments = check_topic(topic)
            .map_err(|problem| BrokerError::InvalidTopic { topic: topic.into(), problem })?;
        let mut count = 0;
        self.inner.table.read().trie.for_each_match(segments.as_slice(), |_| count += 1);
        Ok(count)
    }

    /// Every subscription, in no particular order.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert!(system.broker::<u8>().subscriptions().is_empty());
    /// ```
    pub fn subscriptions(&self) -> Vec<SubscriptionInfo> {
        self.inner
            .table
            .read()
            .by_id
            .iter()
            .map(|(id, filed)| SubscriptionInfo {
                id: *id,
                pattern: Arc::clone(&filed.pattern),
                subscriber: filed.subscriber.id(),
                delivery: filed.delivery,
            })
            .collect()
    }
}

/// A publication still to be delivered to a full subscriber; recorded as a dead letter if
/// dropped before it is.
struct AwaitingRoom<T: Send + Sync + 'static> {
    recipient: Recipient<Publication<T>>,
    publication: Option<Publication<T>>,
}

impl<T: Send + Sync + 'static> Drop for AwaitingRoom<T> {
    fn drop(&mut self) {
        if let Some(publication) = self.publication.take() {
            let reason = DeadLetterReason::SubscriberFull;
            self.recipient.dead_letter(publication, reason, SentAs::Tell);
        }
    }
}

impl<T> Publication<T> {
    fn new(topic: Arc<str>, payload: Arc<T>) -> Self {
        Self { shared: Arc::new(Shared { topic, payload }) }
    }
}

/// Checks and splits a published topic, before the broker's lock is taken.
fn segments_of(topic: &Arc<str>) -> Result<Segments<'_>, BrokerError> {
    check_topic(topic)
        .map_err(|problem| BrokerError::InvalidTopic { topic: Arc::clone(topic), problem })
}

impl<T: 'static> BrokerInner<T> {
    /// Takes a subscription out of the table.
    fn take(&self, id: SubscriptionId) -> Option<(Subscriber<T>, Filed)> {
        let mut table = self.table.write();
        let filed = table.by_id.remove(&id)?;
        let subscriber = table.trie.remove(&filed.pattern, |subscriber| subscriber.id == id)?;
        Some((subscriber, filed))
    }

    /// The end work of a subscriber: drops its subscription, if the broker still has it.
    fn remove(broker: &Weak<Self>, id: SubscriptionId) {
        let Some(broker) = broker.upgrade() else {
            return;
        };
        let removed = broker.take(id);
        drop(broker);
        // Outside the lock: the subscriber's handle goes with it.
        drop(removed);
    }
}

impl<T> Clone for Broker<T> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<T> fmt::Debug for Broker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broker")
            .field("payload", &std::any::type_name::<T>())
            .field("subscriptions", &self.inner.table.read().by_id.len())
            .finish()
    }
}
