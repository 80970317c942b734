//! Chapter Q of `docs/semantics.md`, rules Q12 to Q15: recipients, the handles that name the
//! message type an actor handles instead of the actor's type.

mod common;

use std::collections::HashSet;
use std::future::IntoFuture;
use std::pin::pin;
use std::time::Duration;

use airssys_rt::actor::{Recipient, ReplyRecipient, WeakRecipient};
use airssys_rt::broker::{BrokerError, Delivery};
use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::kernel::Offer;
use airssys_rt::prelude::*;
use futures::FutureExt;
use tokio::sync::oneshot;

use common::record::Record;
use common::{block, probe, Cmd, Event, Probe, ProbeArgs};

fn bounded(capacity: usize, policy: OverflowPolicy) -> SpawnOptions {
    SpawnOptions::new().mailbox(MailboxConfig::bounded(capacity).overflow(policy))
}

/// A probe whose mailbox holds one message, blocked in its handler with that message queued:
/// the next send finds the mailbox full.
async fn full_probe(
    system: &ActorSystem,
    policy: OverflowPolicy,
) -> (ActorRef<Probe>, oneshot::Sender<()>, common::Journal) {
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(bounded(1, policy), args).await.expect("spawn");
    let release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).expect("room for one");
    (actor, release, journal)
}

fn echoed(error: SendError<Cmd>) -> Option<u64> {
    match error.into_inner() {
        Cmd::Echo(n) => Some(n),
        _ => None,
    }
}

// ---------------------------------------------------------------- a log of two message types

struct Note(u64);
struct Mark(u64);
struct Read;

#[derive(Default)]
struct Log {
    lines: Vec<String>,
}

#[actor(messages(Note, Mark, Read))]
impl Actor for Log {}

impl Handler<Note> for Log {
    type Reply = usize;
    async fn handle(&mut self, Note(n): Note, _: &mut Context<Self>) -> usize {
        self.lines.push(format!("note {n}"));
        self.lines.len()
    }
}

impl Handler<Mark> for Log {
    type Reply = ();
    async fn handle(&mut self, Mark(n): Mark, _: &mut Context<Self>) {
        self.lines.push(format!("mark {n}"));
    }
}

impl Handler<Read> for Log {
    type Reply = Vec<String>;
    async fn handle(&mut self, _: Read, _: &mut Context<Self>) -> Vec<String> {
        self.lines.clone()
    }
}

// ---------------------------------------------------------------- Q12 delivery as tell

#[tokio::test]
async fn q12_a_recipient_delivers_in_send_order_with_the_senders_other_messages() {
    let system = ActorSystem::new();
    let log = system.spawn::<Log>(Log::default()).await.expect("spawn");
    let notes: Recipient<Note> = log.recipient();
    let marks = Recipient::<Mark>::from(log.clone());
    for n in 0..50 {
        match n % 3 {
            0 => notes.tell(Note(n)).await.expect("note"),
            1 => marks.tell(Mark(n)).await.expect("mark"),
            _ => log.tell(Note(n)).await.expect("note through the ActorRef"),
        }
    }
    marks.try_tell(Mark(50)).expect("try_tell");
    assert!(notes.offer(Note(51)).is_delivered());
    let expected: Vec<String> = (0..52)
        .map(|n| if n % 3 == 1 || n == 50 { format!("mark {n}") } else { format!("note {n}") })
        .collect();
    assert_eq!(log.ask(Read).await.expect("read"), expected);
}

#[tokio::test]
async fn q12_a_recipient_tell_waits_for_room_in_a_full_wait_mailbox() {
    let system = ActorSystem::new();
    let (actor, release, journal) = full_probe(&system, OverflowPolicy::Wait).await;
    let recipient: Recipient<Cmd> = actor.recipient();
    let mut waiting = pin!(recipient.tell(Cmd::Echo(2)).into_future());
    assert!(waiting.as_mut().now_or_never().is_none(), "a full `Wait` mailbox makes it wait");
    release.send(()).expect("release");
    waiting.await.expect("queued once there is room");
    assert_eq!(actor.ask(Cmd::Echo(3)).await.expect("echo"), 3);
    assert_eq!(journal.handled(), vec![1, 2, 3]);
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn q12_a_recipient_tell_timeout_hands_the_message_back() {
    let system = ActorSystem::new();
    let (actor, release, _journal) = full_probe(&system, OverflowPolicy::Wait).await;
    let recipient: Recipient<Cmd> = actor.recipient();
    let refused = recipient.tell(Cmd::Echo(2)).timeout(Duration::from_millis(10)).await;
    let error = refused.expect_err("no room within the timeout");
    assert!(error.is_full());
    assert_eq!(echoed(error), Some(2), "the message is handed back");
    assert_eq!(system.dead_letters().count(), 0, "a message handed back is no dead letter");
    drop(release);
}

#[tokio::test]
async fn q12_a_full_reject_mailbox_hands_the_message_back_through_a_recipient() {
    let system = ActorSystem::new();
    let (actor, release, journal) = full_probe(&system, OverflowPolicy::Reject).await;
    let recipient: Recipient<Cmd> = actor.recipient();
    let told = recipient.tell(Cmd::Echo(2)).await.expect_err("full");
    assert!(told.is_full());
    assert_eq!(echoed(told), Some(2));
    let tried = recipient.try_tell(Cmd::Echo(3)).expect_err("full");
    assert_eq!(echoed(tried), Some(3));
    assert!(matches!(recipient.offer(Cmd::Echo(4)), Offer::Full(Cmd::Echo(4))));
    release.send(()).expect("release");
    journal.wait_for(Event::Handled(1)).await;
    assert_eq!(actor.ask(Cmd::Echo(5)).await.expect("echo"), 5);
    assert_eq!(journal.handled(), vec![1, 5], "refused messages are never handled");
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test]
async fn q12_a_recipient_of_an_ended_actor_hands_the_message_back() {
    let system = ActorSystem::new();
    let (actor, _journal) = probe(&system).await;
    let recipient: Recipient<Cmd> = actor.recipient();
    actor.stop();
    assert_eq!(recipient.wait_for_exit().await, ExitReason::Normal);
    assert!(!recipient.is_alive());
    let told = recipient.tell(Cmd::Echo(1)).await.expect_err("ended");
    assert!(!told.is_full(), "closed, not full");
    assert_eq!(echoed(told), Some(1));
    assert!(matches!(recipient.try_tell(Cmd::Echo(2)), Err(SendError::Closed(Cmd::Echo(2)))));
    assert!(matches!(recipient.offer(Cmd::Echo(3)), Offer::Gone(Cmd::Echo(3))));
}

#[tokio::test]
async fn q12_a_recipient_tell_dropped_before_it_is_queued_is_a_dead_letter() {
    let system = ActorSystem::new();
    let (actor, release, journal) = full_probe(&system, OverflowPolicy::Wait).await;
    let recipient: Recipient<Cmd> = actor.recipient();
    {
        let mut waiting = pin!(recipient.tell(Cmd::Echo(2)).into_future());
        assert!(waiting.as_mut().now_or_never().is_none(), "waiting for room");
    }
    // Dropped before its first poll, as `select!` drops a losing branch.
    drop(recipient.tell(Cmd::Echo(3)).into_future());
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2);
    assert!(letters.iter().all(|letter| letter.reason == DeadLetterReason::SendCancelled
        && letter.target == actor.id()
        && !letter.was_ask
        && letter.message_type.ends_with("Cmd")));
    // A tell never turned into a future sent nothing.
    drop(recipient.tell(Cmd::Echo(4)));
    assert_eq!(system.dead_letters().count(), 2);
    release.send(()).expect("release");
    assert_eq!(actor.ask(Cmd::Echo(5)).await.expect("echo"), 5);
    assert_eq!(journal.handled(), vec![1, 5]);
}

#[tokio::test]
async fn q12_a_recipient_to_an_actor_whose_handler_panics_sees_it_end() {
    let system = ActorSystem::new();
    let (actor, _journal) = probe(&system).await;
    let recipient: Recipient<Cmd> = actor.recipient();
    let asks: ReplyRecipient<Cmd, u64> = actor.reply_recipient();
    drop(actor);
    recipient.tell(Cmd::Panic).await.expect("queued");
    let reason = recipient.wait_for_exit().await;
    assert!(matches!(reason, ExitReason::Panicked(_)), "{reason:?}");
    assert!(matches!(recipient.tell(Cmd::Echo(1)).await, Err(SendError::Closed(Cmd::Echo(1)))));
    assert!(matches!(asks.ask(Cmd::Echo(2)).await, Err(AskError::Closed(Cmd::Echo(2)))));
}

// ---------------------------------------------------------------- Q13 strong and weak

#[tokio::test]
async fn q13_a_strong_recipient_keeps_its_actor_alive_as_an_actor_ref_does() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let watch = actor.erase();
    let recipient: Recipient<Cmd> = actor.recipient();
    let second = recipient.clone();
    drop(actor);
    recipient.tell(Cmd::Echo(1)).await.expect("alive");
    drop(recipient);
    second.tell(Cmd::Echo(2)).await.expect("still alive: a clone is a sender");
    assert!(second.is_alive());
    drop(second);
    // The last strong handle went: the actor ends once its mailbox is empty (A4.6).
    assert_eq!(watch.wait_for_exit().await, ExitReason::Normal);
    assert_eq!(journal.handled(), vec![1, 2], "what was sent is handled first");
}

#[tokio::test]
async fn q13_a_recipient_made_from_an_actor_ref_takes_over_its_sender() {
    let system = ActorSystem::new();
    let (actor, _journal) = probe(&system).await;
    let watch = actor.erase();
    let recipient = Recipient::<Cmd>::from(actor);
    assert!(recipient.is_alive(), "the handle's sender passed to the recipient");
    recipient.tell(Cmd::Echo(1)).await.expect("alive");
    let asks = ReplyRecipient::<Cmd, u64>::from(watch.downcast::<Probe>().expect("alive"));
    assert_eq!(asks.ask(Cmd::Echo(2)).await.expect("reply"), 2);
    let tells = Recipient::from(asks);
    drop(recipient);
    assert!(tells.is_alive(), "a recipient made from a reply recipient is a sender too");
    drop(tells);
    assert_eq!(watch.wait_for_exit().await, ExitReason::Normal);
}

#[tokio::test]
async fn q13_a_weak_recipient_does_not_keep_its_actor_alive_and_upgrades_to_none_once_ended() {
    let system = ActorSystem::new();
    let (actor, _journal) = probe(&system).await;
    let watch = actor.erase();
    let weak: WeakRecipient<Cmd> = actor.recipient().downgrade();
    assert_eq!(weak.id(), actor.id());
    assert!(weak.is_alive());
    let upgraded = weak.upgrade().expect("alive, with a strong handle");
    upgraded.tell(Cmd::Echo(1)).await.expect("delivered");
    drop(upgraded);
    drop(actor);
    // Only the weak recipient is left: it does not keep the actor alive.
    assert_eq!(watch.wait_for_exit().await, ExitReason::Normal);
    assert!(weak.upgrade().is_none());
    assert!(!weak.is_alive());
}

#[tokio::test]
async fn q13_a_weak_recipient_of_a_stopped_actor_upgrades_to_none() {
    let system = ActorSystem::new();
    let (actor, _journal) = probe(&system).await;
    let weak = actor.recipient::<Cmd>().downgrade();
    actor.stop();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    assert!(weak.upgrade().is_none(), "a strong handle is left, but the actor has ended");
}

#[tokio::test]
async fn q13_recipients_compare_and_hash_by_actor_id() {
    let system = ActorSystem::new();
    let first = system.spawn::<Log>(Log::default()).await.expect("spawn");
    let second = system.spawn::<Log>(Log::default()).await.expect("spawn");
    let a: Recipient<Note> = first.recipient();
    let also_a: Recipient<Note> = first.clone().into();
    let b: Recipient<Note> = second.recipient();
    assert_eq!(a, also_a);
    assert_ne!(a, b);
    assert_eq!(a.id(), first.id());
    let set: HashSet<Recipient<Note>> = [a.clone(), also_a, b.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert_eq!(a.downgrade(), a.clone().downgrade());
    assert_eq!(first.reply_recipient::<Note>(), first.reply_recipient::<Note>());
    let shown = format!("{a:?}");
    assert!(shown.contains("Recipient") && shown.contains("Note"), "{shown}");
}

#[tokio::test]
async fn q13_a_recipient_names_the_registered_actor() {
    let system = ActorSystem::new();
    let named = system.spawn_named::<Log>("log", Log::default()).await.expect("spawn");
    let recipient: Recipient<Mark> = named.recipient();
    assert_eq!(recipient.name().as_deref(), Some("log"));
    let asks: ReplyRecipient<Note, usize> = named.reply_recipient();
    assert_eq!(asks.name().as_deref(), Some("log"));
}

// ---------------------------------------------------------------- Q14 reply recipients

#[tokio::test]
async fn q14_a_reply_recipients_ask_returns_the_handlers_reply() {
    let system = ActorSystem::new();
    let log = system.spawn::<Log>(Log::default()).await.expect("spawn");
    let notes: ReplyRecipient<Note, usize> = log.reply_recipient();
    assert_eq!(notes.ask(Note(1)).await.expect("reply"), 1);
    notes.tell(Note(2)).await.expect("tell");
    notes.try_tell(Note(3)).expect("try_tell");
    assert_eq!(notes.ask(Note(4)).await.expect("reply"), 4, "tells were handled in order");
    let reads: ReplyRecipient<Read, Vec<String>> = log.reply_recipient();
    assert_eq!(reads.ask(Read).await.expect("read").len(), 4);
}

#[tokio::test(start_paused = true)]
async fn q14_a_reply_recipients_ask_times_out_as_an_ask_does() {
    let system =
        ActorSystem::builder().ask_timeout(Duration::from_millis(300)).build().expect("config");
    let (actor, release, _journal) = full_probe(&system, OverflowPolicy::Wait).await;
    let asks: ReplyRecipient<Cmd, u64> = actor.reply_recipient();
    // Queued behind the blocked handler once there is room: its timeout covers both waits.
    let within = asks.ask(Cmd::Echo(2)).timeout(Duration::from_millis(50)).await;
    assert!(matches!(within, Err(AskError::Full(Cmd::Echo(2)))), "no room within 50 ms");
    let started = tokio::time::Instant::now();
    let defaulted = asks.ask(Cmd::Echo(3)).await;
    assert!(matches!(defaulted, Err(AskError::Full(Cmd::Echo(3)))));
    assert_eq!(started.elapsed(), Duration::from_millis(300), "the system's ask timeout");
    // With room, but no answer in time: a timeout.
    release.send(()).expect("release");
    let release = block(&actor).await;
    let late = asks.ask(Cmd::Echo(4)).timeout(Duration::from_millis(20)).await;
    assert!(matches!(late, Err(AskError::Timeout(after)) if after == Duration::from_millis(20)));
    drop(release);
}

#[tokio::test]
async fn q14_a_reply_recipients_ask_waits_for_room_then_gets_its_reply() {
    let system = ActorSystem::new();
    let (actor, release, journal) = full_probe(&system, OverflowPolicy::Wait).await;
    let asks: ReplyRecipient<Cmd, u64> = actor.reply_recipient();
    let mut asking = pin!(asks.ask(Cmd::Echo(2)).into_future());
    assert!(asking.as_mut().now_or_never().is_none(), "a full `Wait` mailbox makes it wait");
    assert!(asking.as_mut().now_or_never().is_none(), "and it tries again without losing it");
    release.send(()).expect("release");
    assert_eq!(asking.await.expect("reply"), 2);
    assert_eq!(journal.handled(), vec![1, 2]);
}

#[tokio::test]
async fn q14_a_reply_recipients_ask_to_a_full_reject_mailbox_hands_the_request_back() {
    let system = ActorSystem::new();
    let (actor, release, _journal) = full_probe(&system, OverflowPolicy::Reject).await;
    let asks: ReplyRecipient<Cmd, u64> = actor.reply_recipient();
    assert!(matches!(asks.ask(Cmd::Echo(2)).await, Err(AskError::Full(Cmd::Echo(2)))));
    drop(release);
}

#[tokio::test]
async fn q14_an_ask_whose_handler_panics_is_answered_stopped() {
    let system = ActorSystem::new();
    let (actor, _journal) = probe(&system).await;
    let asks: ReplyRecipient<Cmd, u64> = actor.reply_recipient();
    let answer = asks.ask(Cmd::Panic).await;
    assert!(matches!(answer, Err(AskError::Stopped(ExitReason::Panicked(_)))), "{answer:?}");
    assert!(matches!(actor.wait_for_exit().await, ExitReason::Panicked(_)));
}

#[tokio::test]
async fn q14_an_ask_pending_when_the_actor_is_stopped_is_answered_stopped() {
    let system = ActorSystem::new();
    let (actor, _journal) = probe(&system).await;
    let asks: ReplyRecipient<Cmd, u64> = actor.reply_recipient();
    let release = block(&actor).await;
    let mut asking = pin!(asks.ask(Cmd::Echo(1)).into_future());
    assert!(asking.as_mut().now_or_never().is_none(), "queued behind the blocked handler");
    actor.kill();
    let answer = asking.await;
    assert!(matches!(answer, Err(AskError::Stopped(ExitReason::Killed))), "{answer:?}");
    drop(release);
}

#[tokio::test]
async fn q14_an_ask_dropped_before_it_is_queued_is_a_dead_letter_of_an_ask() {
    let system = ActorSystem::new();
    let (actor, release, _journal) = full_probe(&system, OverflowPolicy::Wait).await;
    let asks: ReplyRecipient<Cmd, u64> = actor.reply_recipient();
    {
        let mut asking = pin!(asks.ask(Cmd::Echo(2)).into_future());
        assert!(asking.as_mut().now_or_never().is_none());
    }
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!((letters[0].reason, letters[0].was_ask), (DeadLetterReason::SendCancelled, true));
    drop(release);
}

/// Asks itself through a reply recipient it was given.
#[derive(Default)]
struct Narcissus {
    me: Option<ReplyRecipient<Ping, u8>>,
}
struct Ping;
struct Keep(ReplyRecipient<Ping, u8>);
struct AskMyself;

#[actor(messages(Ping, Keep, AskMyself))]
impl Actor for Narcissus {}

impl Handler<Ping> for Narcissus {
    type Reply = u8;
    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) -> u8 {
        7
    }
}

impl Handler<Keep> for Narcissus {
    type Reply = ();
    async fn handle(&mut self, Keep(me): Keep, _: &mut Context<Self>) {
        self.me = Some(me);
    }
}

impl Handler<AskMyself> for Narcissus {
    type Reply = bool;
    async fn handle(&mut self, _: AskMyself, _: &mut Context<Self>) -> bool {
        let Some(me) = &self.me else { return false };
        matches!(me.ask(Ping).await, Err(AskError::CallingSelf(Ping)))
    }
}

#[tokio::test]
async fn q14_asking_itself_through_a_reply_recipient_is_calling_self() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Narcissus>(Narcissus::default()).await.expect("spawn");
    assert_eq!(actor.reply_recipient::<Ping>().ask(Ping).await.expect("ping"), 7);
    actor.ask(Keep(actor.reply_recipient())).await.expect("keep");
    assert!(actor.ask(AskMyself).await.expect("asked"), "refused with CallingSelf, at once");
    actor.stop();
    actor.wait_for_exit().await;
}

// ---------------------------------------------------------------- Q15 broker subscriptions

#[derive(Clone, Default)]
struct AuditArgs {
    seen: Record<(String, u64)>,
}

struct Audit {
    args: AuditArgs,
}

struct Hold {
    entered: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

#[actor(messages(Publication<u64>, Hold))]
impl Actor for Audit {
    type Args = AuditArgs;

    async fn pre_start(args: AuditArgs, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Audit { args })
    }
}

impl Handler<Publication<u64>> for Audit {
    type Reply = ();
    async fn handle(&mut self, entry: Publication<u64>, _: &mut Context<Self>) {
        self.args.seen.push((entry.topic().to_owned(), *entry));
    }
}

impl Handler<Hold> for Audit {
    type Reply = ();
    async fn handle(&mut self, Hold { entered, release }: Hold, _: &mut Context<Self>) {
        let _ = entered.send(());
        let _ = release.await;
    }
}

async fn hold(audit: &ActorRef<Audit>) -> oneshot::Sender<()> {
    let (entered, entered_rx) = oneshot::channel();
    let (release_tx, release) = oneshot::channel();
    audit.tell(Hold { entered, release }).await.expect("hold");
    entered_rx.await.expect("entered");
    release_tx
}

#[tokio::test]
async fn q15_a_subscription_from_a_recipient_delivers_as_one_from_the_actor() {
    let system = ActorSystem::new();
    let args = AuditArgs::default();
    let seen = args.seen.clone();
    let audit = system.spawn::<Audit>(args).await.expect("spawn");
    let broker = system.broker::<u64>();
    let by_recipient = broker.subscribe_recipient("ledger.*", audit.recipient()).expect("sub");
    let by_actor = broker.subscribe("ledger.deposit", &audit).expect("subscribe");
    let report = broker.publish("ledger.deposit", 5).await.expect("publish");
    assert_eq!((report.matched, report.delivered, report.missed), (2, 2, 0));
    let report = broker.publish("ledger.withdraw", 3).await.expect("publish");
    assert_eq!((report.matched, report.delivered), (1, 1));
    let mut listed: Vec<_> =
        broker.subscriptions().into_iter().map(|s| (s.id, s.subscriber)).collect();
    listed.sort_by_key(|(id, _)| *id);
    assert_eq!(listed, vec![(by_recipient, audit.id()), (by_actor, audit.id())]);
    seen.wait_for_len(3).await;
    assert_eq!(
        seen.items(),
        vec![
            ("ledger.deposit".into(), 5),
            ("ledger.deposit".into(), 5),
            ("ledger.withdraw".into(), 3)
        ]
    );
    broker.unsubscribe(by_recipient).expect("unsubscribe");
    assert_eq!(broker.subscriber_count("ledger.withdraw"), Ok(0));
}

#[tokio::test]
async fn q15_a_recipient_subscription_keeps_its_actor_alive_and_ends_with_it() {
    let system = ActorSystem::new();
    let audit = system.spawn::<Audit>(AuditArgs::default()).await.expect("spawn");
    let watch = audit.erase();
    let broker = system.broker::<u64>();
    let id = broker.subscribe_recipient("ledger.#", Recipient::from(audit)).expect("subscribe");
    assert!(watch.is_alive(), "the subscription holds the only handle");
    let report = broker.publish("ledger", 1).await.expect("publish");
    assert_eq!(report.delivered, 1);
    broker.unsubscribe(id).expect("unsubscribe");
    assert_eq!(watch.wait_for_exit().await, ExitReason::Normal, "its last handle went with it");

    let audit = system.spawn::<Audit>(AuditArgs::default()).await.expect("spawn");
    broker.subscribe_recipient("ledger.#", audit.recipient()).expect("subscribe");
    audit.stop();
    audit.wait_for_exit().await;
    assert!(broker.subscriptions().is_empty(), "removed before the end is announced");
    let refused = broker.subscribe_recipient("ledger.#", audit.recipient());
    assert_eq!(refused, Err(BrokerError::NotAlive(audit.id())));
}

#[tokio::test]
async fn q15_a_full_recipient_subscriber_is_waited_for_or_missed_as_its_delivery_says() {
    let system = ActorSystem::new();
    let args = AuditArgs::default();
    let seen = args.seen.clone();
    let options = bounded(1, OverflowPolicy::Wait);
    let audit = system.spawn_with::<Audit>(options, args).await.expect("spawn");
    let broker = system.broker::<u64>();
    broker.subscribe_recipient_with("best", audit.recipient(), Delivery::BestEffort).expect("sub");
    broker.subscribe_recipient("sure", audit.recipient()).expect("subscribe");
    let release = hold(&audit).await;
    assert_eq!(broker.publish("best", 1).await.expect("publish").delivered, 1, "room for one");
    let missed = broker.publish("best", 2).await.expect("publish");
    assert_eq!((missed.delivered, missed.missed), (0, 1));
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::SubscriberFull);
    let mut waiting = pin!(broker.publish("sure", 3));
    assert!(waiting.as_mut().now_or_never().is_none(), "guaranteed: it waits for room");
    release.send(()).expect("release");
    let report = waiting.await.expect("publish");
    assert_eq!((report.delivered, report.missed), (1, 0));
    seen.wait_for_len(2).await;
    assert_eq!(seen.items(), vec![("best".into(), 1), ("sure".into(), 3)]);
}

/// Q13: a recipient reaches its actor for one message type only: it hands out no handle to
/// the whole actor (`erase` is the runtime's own); the `.stderr` pins the error.
#[test]
fn q13_a_reply_recipient_hands_out_no_handle_to_the_whole_actor() {
    trybuild::TestCases::new().compile_fail("tests/ui-recipient/*.rs");
}
