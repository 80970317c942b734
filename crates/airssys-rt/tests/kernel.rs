//! The kernel interface (`airssys_rt::kernel`) keeps the rules its services rely on: each test
//! is named after the rule of docs/semantics.md that the call keeps (A4, A9, A11, G4, M7, M8,
//! M12, B3, K3).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::kernel::{AnyActor, EndHookError, Offer, Origin, SentAs};
use airssys_rt::mailbox::BudgetPolicy;
use airssys_rt::prelude::*;

use common::{block, Cmd, Idle, Probe, ProbeArgs};

async fn probe_with(system: &ActorSystem, mailbox: MailboxConfig) -> ActorRef<Probe> {
    let options = SpawnOptions::new().mailbox(mailbox);
    system.spawn_with::<Probe>(options, ProbeArgs::new()).await.unwrap()
}

#[tokio::test]
async fn a4_a_keep_alive_keeps_an_actor_without_handles_running_until_it_is_dropped() {
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    let actor: AnyActor = idle.erase();
    let kept = actor.keep_alive().expect("`idle` is a strong handle");
    drop(idle);
    // Without the keep-alive no strong handle would be left, and none could be made again.
    let again = actor.downcast::<Idle>().expect("kept alive");
    again.ask(()).await.unwrap();
    drop(again);
    assert!(actor.is_alive());
    drop(kept);
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
}

#[tokio::test]
async fn g4_an_end_hook_runs_once_before_the_end_is_announced() {
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    let actor = idle.erase();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    actor
        .on_end(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    idle.stop();
    idle.wait_for_exit().await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "run before wait_for_exit returned");
    system.shutdown().await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "and only once");
}

#[tokio::test]
async fn g4_an_ended_actor_refuses_an_end_hook_and_hands_it_back() {
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    let actor = idle.erase();
    idle.stop();
    idle.wait_for_exit().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    match actor.on_end(move || {
        counted.fetch_add(1, Ordering::SeqCst);
    }) {
        Err(EndHookError::Ended { actor: ended, hook }) => {
            assert_eq!(ended, actor.id());
            hook.run();
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the hook came back, and ran here");
}

#[tokio::test]
async fn g4_a_refused_end_hook_converts_into_a_send_sync_error() {
    fn watch(actor: &AnyActor) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        actor.on_end(|| {})?;
        Ok(())
    }
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    let actor = idle.erase();
    assert!(watch(&actor).is_ok());
    idle.stop();
    idle.wait_for_exit().await;
    let refused = watch(&actor).unwrap_err();
    assert!(refused.downcast_ref::<EndHookError>().is_some(), "{refused}");
}

#[tokio::test]
async fn g4_a_cancelled_end_hook_never_runs() {
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    let actor = idle.erase();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let hook = actor
        .on_end(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    assert!(actor.cancel_end_hook(hook));
    assert!(!actor.cancel_end_hook(hook), "withdrawn once");
    idle.stop();
    idle.wait_for_exit().await;
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn m7_an_offer_to_an_ended_actor_hands_the_message_back_as_gone() {
    let system = ActorSystem::new();
    let actor = probe_with(&system, MailboxConfig::unbounded()).await;
    actor.stop();
    actor.wait_for_exit().await;
    assert!(matches!(actor.offer(Cmd::Echo(1)), Offer::Gone(Cmd::Echo(1))));
    assert!(matches!(actor.offer_unreturnable(Cmd::Echo(2)), Offer::Gone(Cmd::Echo(2))));
    assert_eq!(system.dead_letters().count(), 0, "handed back, not recorded");
}

#[tokio::test]
async fn m8_an_offer_to_a_full_mailbox_hands_the_message_back_and_room_wakes_the_wait() {
    let system = ActorSystem::new();
    let actor = probe_with(&system, MailboxConfig::bounded(1)).await;
    assert!(actor.waits_when_full());
    let release = block(&actor).await;
    assert!(actor.offer(Cmd::Echo(1)).is_delivered());
    let room = actor.room();
    assert!(matches!(actor.offer(Cmd::Echo(2)), Offer::Full(Cmd::Echo(2))));
    release.send(()).unwrap();
    room.await;
    assert!(actor.offer(Cmd::Echo(3)).is_delivered(), "the wait ended with room made");
    assert_eq!(system.dead_letters().count(), 0);

    let rejecting =
        probe_with(&system, MailboxConfig::bounded(1).overflow(OverflowPolicy::Reject)).await;
    assert!(!rejecting.waits_when_full());
    let _release = block(&rejecting).await;
    assert!(rejecting.offer(Cmd::Echo(1)).is_delivered());
    assert!(matches!(rejecting.offer(Cmd::Echo(2)), Offer::Full(Cmd::Echo(2))));
}

#[tokio::test]
async fn m8_an_offer_dropped_by_the_overflow_policy_is_a_dead_letter() {
    let system = ActorSystem::new();
    let actor =
        probe_with(&system, MailboxConfig::bounded(1).overflow(OverflowPolicy::DropNewest)).await;
    let _release = block(&actor).await;
    assert!(actor.offer(Cmd::Echo(1)).is_delivered());
    assert!(matches!(actor.offer(Cmd::Echo(2)), Offer::Dropped));
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::DroppedNewest);
}

#[tokio::test]
async fn b3_an_unreturnable_offer_past_the_budget_is_shed_under_reject() {
    let system = ActorSystem::builder()
        .mailbox(MailboxConfig::unbounded())
        .message_budget(2)
        .over_budget(BudgetPolicy::Reject)
        .build()
        .unwrap();
    let actor = probe_with(&system, MailboxConfig::unbounded()).await;
    let _release = block(&actor).await;
    while actor.offer(Cmd::Echo(0)).is_delivered() {}
    assert!(matches!(actor.offer(Cmd::Echo(1)), Offer::Full(Cmd::Echo(1))), "returnable: back");
    assert!(matches!(actor.offer_unreturnable(Cmd::Echo(2)), Offer::Dropped), "shed");
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::BudgetExceeded);
}

#[tokio::test]
async fn k3_a_shut_gate_sends_nothing_and_hands_the_message_back() {
    let system = ActorSystem::new();
    let actor = probe_with(&system, MailboxConfig::unbounded()).await;
    let _release = block(&actor).await;
    let shut = actor.offer_unreturnable_gated(Cmd::Echo(1), &Origin::here(), || None::<()>);
    assert!(matches!(shut, Err(Cmd::Echo(1))));
    assert_eq!(actor.mailbox_len(), 0);
    let open = actor.offer_unreturnable_gated(Cmd::Echo(2), &Origin::here(), || Some(()));
    assert!(matches!(open, Ok(Offer::Delivered)));
    assert_eq!(actor.mailbox_len(), 1);
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test]
async fn m12_a_dead_letter_recorded_by_a_service_says_how_it_was_sent() {
    let system = ActorSystem::new();
    let actor = probe_with(&system, MailboxConfig::unbounded()).await;
    actor.dead_letter(Cmd::Echo(1), DeadLetterReason::SendCancelled, SentAs::Ask);
    actor.dead_letter(Cmd::Echo(2), DeadLetterReason::SubscriberFull, SentAs::Tell);
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2);
    assert_eq!((letters[0].reason, letters[0].was_ask), (DeadLetterReason::SendCancelled, true));
    assert_eq!((letters[1].reason, letters[1].was_ask), (DeadLetterReason::SubscriberFull, false));
    assert!(letters.iter().all(|letter| letter.target == actor.id()));
}

#[tokio::test(start_paused = true)]
async fn a9_a_keep_alive_is_refused_once_the_last_handle_went_and_does_not_revive_the_actor() {
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    let actor: AnyActor = idle.erase();
    // The last strong handle goes: the actor ends (A4.6), whether or not its task has run yet.
    drop(idle);
    let kept = actor.keep_alive();
    assert!(kept.is_none(), "no strong handle was left: nothing to keep alive");
    let ended = tokio::time::timeout(Duration::from_secs(60), actor.wait_for_exit()).await;
    assert_eq!(ended, Ok(ExitReason::Normal), "ended for lack of handles, not revived");
    drop(kept);
}

#[tokio::test(start_paused = true)]
async fn a11_a_panicking_end_hook_does_not_keep_the_actor_from_ending() {
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    let actor = idle.erase();
    actor.on_end(|| panic!("a service's end hook panicked")).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    actor
        .on_end(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    idle.stop();
    let ended = tokio::time::timeout(Duration::from_secs(60), idle.wait_for_exit()).await;
    assert_eq!(ended, Ok(ExitReason::Normal), "the end is announced all the same");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the other hooks ran");
    let shutdown = tokio::time::timeout(Duration::from_secs(60), system.shutdown()).await;
    assert!(shutdown.is_ok(), "a shutdown completes");
}
