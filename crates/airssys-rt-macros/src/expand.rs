//! The expansion of `#[actor]`: checks that it sits on an `impl Actor` block, sorts the block's
//! items, fills in the defaults, and hands over to the classic or the messages form.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Attribute, Ident, ImplItem, ImplItemFn, ImplItemType, Item, ItemImpl, Path};

use crate::args::ActorArgs;
use crate::errors::Errors;
use crate::{classic, messages};

/// What the forms need from the block, besides the block itself.
pub(crate) struct Actor<'a> {
    /// The block, without the classic items (which the classic form moves elsewhere).
    pub(crate) block: ItemImpl,
    pub(crate) krate: &'a Path,
    /// The block's `#[cfg(...)]` attributes, which the items generated next to it must share.
    pub(crate) cfgs: Vec<Attribute>,
}

/// The classic form's three items, taken out of the block. Each may come more than once, as
/// alternatives under `#[cfg(...)]`.
#[derive(Default)]
pub(crate) struct ClassicItems {
    pub(crate) msg: Vec<ImplItemType>,
    pub(crate) reply: Vec<ImplItemType>,
    pub(crate) handle: Vec<ImplItemFn>,
}

impl ClassicItems {
    fn first(&self) -> Option<TokenStream> {
        let msg = self.msg.first().map(ToTokens::to_token_stream);
        let reply = self.reply.first().map(ToTokens::to_token_stream);
        msg.or(reply).or_else(|| self.handle.first().map(|handle| handle.sig.to_token_stream()))
    }
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = ActorArgs::parse(attr, &mut errors);
    let mut block = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Impl(block)) if is_actor_impl(&block) => block,
        Ok(other) => {
            errors.push(not_an_actor_impl(&other));
            // The item stays as written, so that the one error is all the user sees.
            let errors = errors.to_compile_errors();
            return quote!(#errors #item);
        }
        Err(error) => return error.to_compile_error(),
    };
    let classic_items = take_classic_items(&mut block);
    if let Some(generated) = block.items.iter().find_map(generated_by_the_attribute) {
        errors.push(syn::Error::new(
            generated.span(),
            format!(
                "`#[actor]` generates `type Mail` and `fn dispatch`: remove this `{generated}`, \
                 or implement `Actor` without the attribute"
            ),
        ));
    }
    add_defaults(&mut block, &args.krate);
    let cfgs = block.attrs.iter().filter(|attr| attr.path().is_ident("cfg")).cloned().collect();
    let actor = Actor { block, krate: &args.krate, cfgs };
    let expanded = match (&args.messages, classic_items) {
        (Some((listed_at, listed)), classic_items) => {
            let mut expanded = TokenStream::new();
            if let Some(first_classic) = classic_items.first() {
                errors.push(syn::Error::new_spanned(
                    first_classic,
                    "a block with `messages(...)` does not declare `type Msg`, `type Reply` or \
                     `fn handle`: each listed message has its own `Handler<M>` impl (or \
                     `DeferredHandler<M>` for `deferred(M)`); see the docs of `#[actor]`",
                ));
                expanded =
                    classic::classic_impl(&actor.block, actor.krate, &actor.cfgs, classic_items);
            }
            match messages::expand(actor, listed, *listed_at, args.mail.as_ref()) {
                Ok(messages) => expanded.extend(messages),
                Err(error) => errors.push(error),
            }
            expanded
        }
        (None, classic_items) if !classic_items.msg.is_empty() => {
            if let Some(mail) = &args.mail {
                errors.push(syn::Error::new_spanned(
                    mail,
                    "`mail = ...` names the enum that `messages(...)` generates; a classic actor \
                     (one with `type Msg`) queues `ClassicMail<Self>`",
                ));
            }
            classic::expand(actor, classic_items, &mut errors)
        }
        (None, classic_items) => {
            let message = if classic_items.first().is_some() {
                "a classic actor (one-enum style) declares `type Msg` next to `type Reply` and \
                 `fn handle`"
            } else {
                "`#[actor]` needs the messages the actor handles, \
                 `#[actor(messages(A, B, deferred(C)))]`, or the one-enum style: `type Msg`, \
                 `type Reply` and `fn handle` in this block"
            };
            errors.push(syn::Error::new_spanned(&actor.block.self_ty, message));
            TokenStream::new()
        }
    };
    let errors = errors.to_compile_errors();
    quote!(#errors #expanded)
}

/// `impl [<..>] Actor for Type`, the trait named by any path ending in `Actor`.
fn is_actor_impl(block: &ItemImpl) -> bool {
    block.trait_.as_ref().is_some_and(|(negative, path, _)| {
        negative.is_none() && path.segments.last().is_some_and(|last| last.ident == "Actor")
    })
}

fn not_an_actor_impl(item: &Item) -> syn::Error {
    const MESSAGE: &str = "`#[actor]` goes on an `impl Actor for Type { ... }` block";
    match item {
        Item::Impl(block) => match &block.trait_ {
            Some((Some(negative), _, _)) => {
                syn::Error::new_spanned(negative, format!("{MESSAGE}, not on a negative impl"))
            }
            Some((None, path, _)) => syn::Error::new_spanned(
                path,
                format!("{MESSAGE}, not on an impl of `{}`", trait_name(path)),
            ),
            None => {
                let (impl_token, self_ty) = (&block.impl_token, &block.self_ty);
                syn::Error::new_spanned(
                    quote!(#impl_token #self_ty),
                    format!("{MESSAGE}, not on an inherent impl"),
                )
            }
        },
        Item::Fn(function) => syn::Error::new_spanned(&function.sig.ident, MESSAGE),
        Item::Struct(item) => syn::Error::new_spanned(&item.ident, MESSAGE),
        Item::Enum(item) => syn::Error::new_spanned(&item.ident, MESSAGE),
        Item::Trait(item) => syn::Error::new_spanned(&item.ident, MESSAGE),
        other => syn::Error::new_spanned(other, MESSAGE),
    }
}

/// Takes `type Msg`, `type Reply` and `fn handle` out of the block, leaving the other items in
/// their order.
fn take_classic_items(block: &mut ItemImpl) -> ClassicItems {
    let mut found = ClassicItems::default();
    let mut kept = Vec::with_capacity(block.items.len());
    for item in std::mem::take(&mut block.items) {
        match item {
            ImplItem::Type(ty) if ty.ident == "Msg" => found.msg.push(ty),
            ImplItem::Type(ty) if ty.ident == "Reply" => found.reply.push(ty),
            ImplItem::Fn(function) if function.sig.ident == "handle" => found.handle.push(function),
            other => kept.push(other),
        }
    }
    block.items = kept;
    found
}

fn generated_by_the_attribute(item: &ImplItem) -> Option<&Ident> {
    match item {
        ImplItem::Type(ty) if ty.ident == "Mail" => Some(&ty.ident),
        ImplItem::Fn(function) if function.sig.ident == "dispatch" => Some(&function.sig.ident),
        _ => None,
    }
}

/// `type Args = Self` with a `pre_start` returning it, when the block has neither; and
/// `type Error = Infallible` when it has none. With only one of `type Args` and `pre_start`,
/// rustc's own error says what is missing.
fn add_defaults(block: &mut ItemImpl, krate: &Path) {
    let has_type = |name: &str| {
        block.items.iter().any(|item| matches!(item, ImplItem::Type(ty) if ty.ident == name))
    };
    let has_args = has_type("Args");
    let has_error = has_type("Error");
    let has_pre_start = block
        .items
        .iter()
        .any(|item| matches!(item, ImplItem::Fn(function) if function.sig.ident == "pre_start"));
    if !has_args && !has_pre_start {
        block.items.push(syn::parse_quote! { type Args = Self; });
        // A ready future that holds only the actor, not the context: were the actor's mail not
        // `Send` (a listed message without its handler, or not `Send` itself), rustc says so at
        // the message, not as a `pre_start` that cannot be sent between threads.
        block.items.push(syn::parse_quote! {
            fn pre_start(
                args: Self,
                _ctx: &mut #krate::Context<Self>,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<Self, Self::Error>,
            > + ::core::marker::Send {
                ::core::future::ready(::core::result::Result::Ok(args))
            }
        });
    }
    if !has_error {
        block.items.push(syn::parse_quote! { type Error = ::core::convert::Infallible; });
    }
}

fn trait_name(path: &Path) -> String {
    path.segments.last().map(|last| last.ident.to_string()).unwrap_or_default()
}
