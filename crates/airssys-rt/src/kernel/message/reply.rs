//! The reply handle of one request, and what answers a request the actor drops.

use std::cell::{Cell, RefCell};
use std::fmt;

use super::envelope::{ReplySender, Undelivered};
use crate::kernel::actor::ExitReason;

/// The way back to whoever asked: answer a request with [`send`](ReplyTo::send), now or later.
///
/// Every message an actor takes carries one. For an [`ask`](crate::ActorRef::ask) it is the
/// asker's one-shot channel; for a [`tell`](crate::ActorRef::tell) it is empty, and `send`
/// drops the reply. A [deferred handler](crate::actor::DeferredHandler) receives it as an
/// argument and may keep it in its state or move it into a task, and answer after it has
/// handled other messages (OTP's `{noreply, State}` followed by `gen_server:reply/2`).
///
/// Dropped without an answer, it fails its ask at once with
/// [`AskError::Unanswered`](crate::message::AskError::Unanswered), or, when it is dropped
/// because the actor ended, with [`AskError::Stopped`](crate::message::AskError::Stopped) and
/// the reason. An asker never waits for its timeout because a reply handle was forgotten.
///
/// ```
/// use airssys_rt::prelude::*;
/// use std::future::IntoFuture;
///
/// /// Answers every `Get` once `Ready` came, in the order they were asked.
/// #[derive(Default)]
/// struct Gate {
///     waiting: Vec<ReplyTo<&'static str>>,
/// }
/// struct Get;
/// struct Ready;
///
/// #[actor(messages(deferred(Get), Ready))]
/// impl Actor for Gate {}
///
/// impl DeferredHandler<Get> for Gate {
///     type Reply = &'static str;
///     async fn handle(&mut self, _: Get, reply: ReplyTo<&'static str>, _: &mut Context<Self>) {
///         self.waiting.push(reply);
///     }
/// }
///
/// impl Handler<Ready> for Gate {
///     type Reply = ();
///     async fn handle(&mut self, _: Ready, _: &mut Context<Self>) {
///         for reply in self.waiting.drain(..) {
///             reply.send("open");
///         }
///     }
/// }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let gate = system.spawn::<Gate>(Gate::default()).await?;
/// // The ask is sent first, then `Ready`; the gate answers the ask when `Ready` comes.
/// let (answer, ready) = tokio::join!(gate.ask(Get).into_future(), gate.tell(Ready).into_future());
/// ready?;
/// assert_eq!(answer?, "open");
/// # Ok(()) }
/// ```
#[must_use = "a dropped reply handle fails its ask with `Unanswered`"]
pub struct ReplyTo<R: Send + 'static> {
    slot: Option<ReplySender<R>>,
}

impl<R: Send + 'static> ReplyTo<R> {
    /// The handle of an ask.
    pub(crate) fn asked(slot: ReplySender<R>) -> Self {
        Self { slot: Some(slot) }
    }

    /// The handle of a tell: nobody waits for the reply.
    pub(crate) fn told() -> Self {
        Self { slot: None }
    }

    /// The asker's channel, taken back unanswered: the request was refused before it was
    /// queued, and its retry sends the same channel again.
    pub(crate) fn into_slot(mut self) -> Option<ReplySender<R>> {
        self.slot.take()
    }

    /// Answers the request. The reply is dropped if nobody waits for it any more (it was a
    /// `tell`, or the asker gave up).
    ///
    /// Takes the handle by value: a request is answered once.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn answer(reply: ReplyTo<u64>) {
    /// reply.send(42);
    /// # }
    /// ```
    pub fn send(mut self, reply: R) {
        if let Some(slot) = self.slot.take() {
            // An asker that gave up has dropped its end; nobody is left to tell.
            let _ = slot.send(Ok(reply));
        }
    }

    /// Whether someone still waits for the answer: `false` for a tell, and once the asker gave
    /// up (its timeout passed or it was dropped). Long work for a request nobody wants any more
    /// may stop early.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn answer(reply: ReplyTo<u64>) {
    /// if reply.is_wanted() {
    ///     reply.send(42);
    /// }
    /// # }
    /// ```
    pub fn is_wanted(&self) -> bool {
        self.slot.as_ref().is_some_and(|slot| !slot.is_closed())
    }

    /// Whether it belongs to an ask rather than a tell (even if the asker gave up since).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn answer(reply: ReplyTo<u64>) {
    /// if !reply.is_ask() {
    ///     return; // a tell: nobody will read the answer
    /// }
    /// # }
    /// ```
    pub fn is_ask(&self) -> bool {
        self.slot.is_some()
    }
}

impl<R: Send + 'static> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            if unwinding_in_an_actor() {
                // Dropped as a handler's panic unwinds through its future: the runtime, which
                // catches it, answers with the panic (`answer_unwound`).
                stash(slot);
                return;
            }
            let _ = slot.send(Err(refusal()));
            REFUSING.with(|refusing| {
                if let Some(refusing) = refusing.borrow_mut().as_mut() {
                    refusing.refused_ask = true;
                }
            });
        }
    }
}

impl<R: Send + 'static> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("ask", &self.is_ask())
            .field("wanted", &self.is_wanted())
            .finish()
    }
}

/// Why the reply handles dropped on this thread right now were not answered, while the
/// runtime drops them on purpose (a dead letter, the mail of a handler that failed, the state
/// of an actor that ended). Outside of that, a dropped handle was forgotten: `Unanswered`.
struct Refusing {
    why: Undelivered,
    refused_ask: bool,
}

/// A reply handle's way back, kept while a panic unwinds.
type Unwound = Box<dyn FnOnce(Undelivered) + Send>;

thread_local! {
    static REFUSING: RefCell<Option<Refusing>> = const { RefCell::new(None) };
    static UNWOUND: RefCell<Vec<Unwound>> = const { RefCell::new(Vec::new()) };
    /// The reply handles of requests whose classic handler failed in the poll under way, with
    /// the failure: answered once the poll is over and the actor has closed its mailbox
    /// (`answer_caught`).
    static FAILED: RefCell<Vec<(ExitReason, Unwound)>> = const { RefCell::new(Vec::new()) };
    /// Whether `UNWOUND` or `FAILED` holds anything: a plain `Cell`, read after every poll of
    /// a hook or handler (`answer_caught`), where a `Vec`, which has a destructor, would cost
    /// more.
    static STASHED: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic unwinds through an actor's hook or handler on this thread, with no refusal
/// scope open: its reason is not known until the runtime catches it.
fn unwinding_in_an_actor() -> bool {
    std::thread::panicking()
        && (crate::kernel::actor::current::actor().is_some() || CALLING.with(Cell::get))
        && REFUSING.with(|refusing| refusing.borrow().is_none())
}

thread_local! {
    /// Whether a handler is being called (not yet polled) with a reply handle moved into it.
    static CALLING: Cell<bool> = const { Cell::new(false) };
}

/// Calls a handler that takes its reply handle: should the call panic before a future exists,
/// the handle it dropped waits for the runtime, which catches that panic, to answer it.
pub(crate) fn calling<T>(call: impl FnOnce() -> T) -> T {
    struct Called(bool);
    impl Drop for Called {
        fn drop(&mut self) {
            CALLING.with(|calling| calling.set(self.0));
        }
    }
    let _restore = Called(CALLING.with(|calling| calling.replace(true)));
    call()
}

fn stash<R: Send + 'static>(slot: ReplySender<R>) {
    let answer: Unwound = Box::new(move |why| drop(slot.send(Err(why))));
    UNWOUND.with(|unwound| unwound.borrow_mut().push(answer));
    STASHED.with(|stashed| stashed.set(true));
}

/// A reply handle held across the call of a handler, which may panic before it returns its
/// future: the runtime catches that panic outside of any actor's poll, and then answers the
/// handle with it (`answer_unwound`).
pub(crate) struct HeldAcrossCall<R: Send + 'static>(pub(crate) Option<ReplyTo<R>>);

impl<R: Send + 'static> Drop for HeldAcrossCall<R> {
    fn drop(&mut self) {
        if let Some(mut reply) = self.0.take() {
            if let Some(slot) = reply.slot.take().filter(|_| std::thread::panicking()) {
                stash(slot);
            }
        }
    }
}

/// Answers with `why` the reply handles dropped while the panic just caught unwound.
pub(crate) fn answer_unwound(why: &Undelivered) {
    STASHED.with(|stashed| stashed.set(false));
    let unwound = UNWOUND.with(|unwound| std::mem::take(&mut *unwound.borrow_mut()));
    for answer in unwound {
        answer(why.clone());
    }
    // A request failed before the panic (its actor has closed its mailbox on the panic):
    // answered with its own failure.
    answer_failed(|_| {});
}

/// Answers `reply`, whose classic handler failed with `reason`, with `Stopped(reason)` (Q11).
/// Inside an actor's poll, only once the poll is over and the actor has closed its mailbox
/// (`answer_caught`): an asker who learns of the failure and sends again (through a
/// `ChildRef`) then finds it closed and reaches the next incarnation, rather than queueing for
/// an actor that will never take the message (T26), as after a panic. Elsewhere at once.
pub(crate) fn refuse_failed<R: Send + 'static>(reply: Option<ReplyTo<R>>, reason: &ExitReason) {
    let Some(mut reply) = reply else {
        return;
    };
    if crate::kernel::actor::current::actor().is_none() {
        refusing(Undelivered::Stopped(reason.clone()), move || drop(reply));
        return;
    }
    if let Some(slot) = reply.slot.take() {
        let answer: Unwound = Box::new(move |why| drop(slot.send(Err(why))));
        FAILED.with(|failed| failed.borrow_mut().push((reason.clone(), answer)));
        STASHED.with(|stashed| stashed.set(true));
    }
}

/// Answers the requests whose classic handler failed, after `close` (given the first
/// failure) has closed their actor's mailbox.
#[cold]
fn answer_failed(close: impl FnOnce(&ExitReason)) {
    let failed = FAILED.with(|failed| std::mem::take(&mut *failed.borrow_mut()));
    if let Some((reason, _)) = failed.first() {
        close(reason);
    }
    for (reason, answer) in failed {
        answer(Undelivered::Stopped(reason));
    }
}

/// Called after a poll of a hook or handler that did not panic: a reply handle stashed during
/// it was dropped in a panic that something else caught (the handler's own `catch_unwind`, a
/// message's `Drop` caught by `Offer::discard`), and the actor went on. It was forgotten
/// (`Unanswered`, Q5); kept, it would wait for the next panic caught on this thread, maybe
/// another actor's, and answer with that one's reason.
///
/// A request whose classic handler failed in that poll is answered too, with its failure,
/// once `close` has closed the actor's mailbox (`refuse_failed`).
#[inline]
pub(crate) fn answer_caught(close: impl FnOnce(&ExitReason)) {
    if STASHED.with(Cell::get) {
        answer_failed(close);
        answer_unwound(&Undelivered::Unanswered);
    }
}

fn refusal() -> Undelivered {
    REFUSING.with(|refusing| match refusing.borrow().as_ref() {
        Some(refusing) => refusing.why.clone(),
        None => Undelivered::Unanswered,
    })
}

/// Runs `drop` (which drops mail, a handler's future or an actor's state) so that every reply
/// handle it drops unanswered answers `why`; `true` if one of them belonged to an ask.
pub(crate) fn refusing(why: Undelivered, drop: impl FnOnce()) -> bool {
    let outer = REFUSING
        .with(|refusing| refusing.borrow_mut().replace(Refusing { why, refused_ask: false }));
    // Restores the outer scope even if `drop` unwinds: a panicking `Drop` is caught further up.
    struct Restore(Option<Option<Refusing>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(outer) = self.0.take() {
                REFUSING.with(|refusing| *refusing.borrow_mut() = outer);
            }
        }
    }
    let mut restore = Restore(Some(outer));
    drop();
    let inner = REFUSING.with(|refusing| {
        std::mem::replace(&mut *refusing.borrow_mut(), restore.0.take().flatten())
    });
    inner.is_some_and(|inner| inner.refused_ask)
}
