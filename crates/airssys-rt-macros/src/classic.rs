//! The classic form, `#[actor]` on a block with `type Msg`, `type Reply` and `fn handle`: the
//! one-enum style, kept compiling by adding the attribute.
//!
//! Those three items move, as written, to an `impl Classic`; the actor queues
//! `ClassicMail<Self>` (the message and its reply slot) and its `dispatch` is
//! `ClassicMail::dispatch`, which calls `handle` and sends the reply.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{Attribute, GenericParam, ImplItem, ItemImpl, Path, Type};

use crate::errors::Errors;
use crate::expand::{Actor, ClassicItems};
use crate::self_type::{mentions_self, QualifyClassicTypes};

/// The classic expansion. A missing `type Reply` or `fn handle` is reported and the rest still
/// expands, so that the attribute's error comes first and the block's imports stay used.
pub(crate) fn expand(actor: Actor<'_>, items: ClassicItems, errors: &mut Errors) -> TokenStream {
    let Actor { mut block, krate, cfgs } = actor;
    let missing = match (items.reply.is_empty(), items.handle.is_empty()) {
        (false, false) => None,
        (true, true) => Some("`type Reply` and `fn handle`"),
        (true, false) => Some("`type Reply`"),
        (false, true) => Some("`fn handle`"),
    };
    if let (Some(missing), Some(msg)) = (missing, items.msg.first()) {
        errors.push(syn::Error::new_spanned(
            msg,
            format!(
                "a classic actor (one with `type Msg`) also declares {missing}, or lists its \
                 messages instead: `#[actor(messages(A, B))]`"
            ),
        ));
    }

    for item in &mut block.items {
        QualifyClassicTypes { krate }.visit_impl_item_mut(item);
    }
    block.items.push(syn::parse_quote! { type Mail = #krate::actor::ClassicMail<Self>; });
    // No `async` wrapper: the future is `ClassicMail::dispatch`'s own, so the reply handle stays
    // in a named future (answered with the reason, should the handler fail or panic). It
    // borrows the actor and the context for two unrelated lifetimes, named so that the
    // returned future may capture both (edition 2021 captures no elided lifetime).
    // `use<..>` must name every type and const parameter in scope (lifetimes may be left out).
    let captured = block.generics.params.iter().filter_map(|param| match param {
        GenericParam::Type(param) => Some(&param.ident),
        GenericParam::Const(param) => Some(&param.ident),
        GenericParam::Lifetime(_) => None,
    });
    block.items.push(syn::parse_quote! {
        #[inline]
        fn dispatch<'__actor, '__context>(
            &'__actor mut self,
            mail: Self::Mail,
            ctx: &'__context mut #krate::Context<Self>,
        ) -> impl ::core::future::Future<
            Output = ::core::result::Result<(), #krate::ExitReason>,
        > + ::core::marker::Send + use<'__actor, '__context, #(#captured),*> {
            #krate::actor::ClassicMail::dispatch(self, mail, ctx)
        }
    });

    let self_ty = &block.self_ty;
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    // The message type as written reads better in rustc's errors about `Accepts` than the
    // projection; but a type that mentions `Self` cannot go in another trait's impl header, and
    // alternatives under `#[cfg]` are several types.
    let msg_ty: Type = match items.msg.as_slice() {
        [only] if !mentions_self(only.ty.to_token_stream()) => only.ty.clone(),
        _ => syn::parse_quote!(<#self_ty as #krate::actor::Classic>::Msg),
    };
    block.items.push(syn::parse_quote! {
        fn message_type(_: &Self::Mail) -> &'static str {
            ::core::any::type_name::<<Self as #krate::actor::Classic>::Msg>()
        }
    });
    block.items.push(syn::parse_quote! {
        fn is_ask(mail: &Self::Mail) -> ::core::option::Option<bool> {
            ::core::option::Option::Some(mail.is_ask())
        }
    });
    let classic = classic_impl(&block, krate, &cfgs, items);
    quote! {
        #block

        #classic

        #(#cfgs)*
        impl #impl_generics #krate::actor::Accepts<#msg_ty> for #self_ty #where_clause {
            type Reply = <Self as #krate::actor::Classic>::Reply;

            #[inline]
            fn mail(
                msg: #msg_ty,
                reply: #krate::actor::ReplyTo<<Self as #krate::actor::Classic>::Reply>,
            ) -> <Self as #krate::Actor>::Mail {
                #krate::actor::ClassicMail::new(msg, reply)
            }

            #[inline]
            fn unmail(mail: <Self as #krate::Actor>::Mail) -> #msg_ty {
                mail.into_message()
            }

            #[inline]
            fn unmail_request(
                mail: <Self as #krate::Actor>::Mail,
            ) -> (#msg_ty, #krate::actor::ReplyTo<<Self as #krate::actor::Classic>::Reply>) {
                mail.into_request()
            }
        }
    }
}

/// `impl Classic` with the classic items as written, their attributes and docs with them. Also
/// emitted for a block that lists `messages(...)` and has them by mistake, so that the one
/// error reported is the attribute's.
pub(crate) fn classic_impl(
    block: &ItemImpl,
    krate: &Path,
    cfgs: &[Attribute],
    items: ClassicItems,
) -> TokenStream {
    let self_ty = &block.self_ty;
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    let ClassicItems { msg, reply, handle } = items;
    let items = msg
        .into_iter()
        .map(ImplItem::Type)
        .chain(reply.into_iter().map(ImplItem::Type))
        .chain(handle.into_iter().map(ImplItem::Fn));
    quote! {
        #(#cfgs)*
        impl #impl_generics #krate::actor::Classic for #self_ty #where_clause {
            #(#items)*
        }
    }
}
