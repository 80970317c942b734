//! The `#[actor]` attribute of airssys-rt. Use it through `airssys_rt::actor`.
//!
//! An actor's mailbox queues one sized item, the actor's `Actor::Mail`, stored inline; the
//! attribute writes that type, the `dispatch` that hands each item to its handler, and one
//! `Accepts<M>` impl per message type `M` (how an `M` enters the mail, and what an `ask` of it
//! returns). It edits only the `impl Actor` block it sits on and adds items next to it.
//!
//! # The forms
//!
//! **Messages**: `#[actor(messages(Deposit, Withdraw, deferred(Audit)))]` on a block without
//! `type Msg`. Each message has its own reply type, given by the user's `impl Handler<Deposit>`
//! (or `impl DeferredHandler<Audit>` for a message listed as `deferred(..)`, which answers through
//! the `ReplyTo` it is handed, possibly later). Generated:
//!
//! ```text
//! #[doc(hidden)] pub enum AccountMail {               // `mail = Name` names it otherwise
//!     M0(Deposit, ReplyTo<<Account as Handler<Deposit>>::Reply>),
//!     M1(Withdraw, ReplyTo<<Account as Handler<Withdraw>>::Reply>),
//!     M2(Audit, ReplyTo<<Account as DeferredHandler<Audit>>::Reply>),
//! }
//! impl Actor for Account {
//!     /* the block's items */
//!     type Mail = AccountMail;
//!     // No `async fn`: the handler's future is polled where it lies, in nested `Branch`es.
//!     fn dispatch<'a, 'c>(&'a mut self, mail: Self::Mail, ctx: &'c mut Context<Self>)
//!         -> impl Future<Output = Result<(), ExitReason>> + Send + use<'a, 'c> {
//!         Dispatched::new(match mail {
//!             AccountMail::M0(msg, reply) => Branch::first(Answer::call(reply, move || {
//!                 <Self as Handler<Deposit>>::handle(self, msg, ctx)
//!             })),
//!             AccountMail::M2(msg, reply) => Branch::rest(Branch::rest(call_deferred(move || {
//!                 <Self as DeferredHandler<Audit>>::handle(self, msg, reply, ctx)
//!             }))),
//!             /* ... */
//!         })
//!     }
//!     fn message_type(mail: &Self::Mail) -> &'static str { /* the listed type's name */ }
//!     fn is_ask(mail: &Self::Mail) -> Option<bool> { /* whether its reply handle is an ask's */ }
//! }
//! impl Accepts<Deposit> for Account { type Reply = <Self as Handler<Deposit>>::Reply; /* mail, unmail, unmail_request */ }
//! // ... one per message
//! ```
//!
//! **Classic** (the one-enum style): `#[actor]` on a block with `type Msg`, `type Reply` and
//! `fn handle`, as actors were written before the attribute. Those three items move as written
//! to an `impl Classic`; the block gets `type Mail = ClassicMail<Self>` and a `dispatch` that
//! calls `handle` and sends its reply (an `Err` ends the actor); and `impl Accepts<Msg>` makes
//! `tell` and `ask` take the `Msg`.
//!
//! **Both forms**: a block without `type Args` and `pre_start` gets `type Args = Self` and a
//! `pre_start` that returns it (the actor is its own start argument); a block without
//! `type Error` gets `type Error = Infallible`.
//!
//! **Arguments**: `messages(...)` (any types: `Publication<Tick>`, `crate::x::Y`, tuples), with
//! `deferred(M)` for a message answered through `DeferredHandler<M>`; `mail = Name` to name the
//! enum; `crate = path` for where the runtime is (default `::airssys_rt`; `crate` inside
//! airssys-rt itself).

#![deny(missing_docs)]
// Every doctest runs against the mock of the runtime in `tests/support/kernel.rs`, since the
// runtime depends on this crate and not the other way round.
#![doc(test(attr(deny(warnings))))]

mod args;
mod classic;
mod errors;
mod expand;
mod messages;
mod self_type;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Makes an `impl Actor` block a complete actor: its mail type, `dispatch`, and an
/// `Accepts<M>` per message type; see [the crate docs](crate) for the forms.
///
/// ```
/// # #[path = "../tests/support/kernel.rs"]
/// # mod kernel;
/// # use kernel as airssys_rt;
/// use airssys_rt::actor::{Accepts, Handler, ReplyTo};
/// use airssys_rt::{Actor, Context};
/// use airssys_rt_macros::actor;
///
/// struct Deposit(u64);
/// struct Balance;
///
/// struct Account {
///     balance: u64,
/// }
///
/// // `crate = kernel`: this example runs against a stand-in of the runtime. With airssys-rt,
/// // `#[actor(messages(Deposit, Balance))]`.
/// #[actor(crate = kernel, messages(Deposit, Balance))]
/// impl Actor for Account {}
///
/// impl Handler<Deposit> for Account {
///     type Reply = u64;
///     async fn handle(&mut self, Deposit(amount): Deposit, _: &mut Context<Self>) -> u64 {
///         self.balance += amount;
///         self.balance
///     }
/// }
///
/// impl Handler<Balance> for Account {
///     type Reply = u64;
///     async fn handle(&mut self, _: Balance, _: &mut Context<Self>) -> u64 {
///         self.balance
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let mut ctx = Context::new();
/// let mut account = Account::pre_start(Account { balance: 10 }, &mut ctx).await.unwrap();
/// let (reply, answer) = ReplyTo::channel();
/// account.dispatch(Account::mail(Deposit(5), reply), &mut ctx).await.unwrap();
/// assert_eq!(answer.recv(), Ok(15));
/// # });
/// ```
#[proc_macro_attribute]
pub fn actor(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(attr.into(), item.into()).into()
}
