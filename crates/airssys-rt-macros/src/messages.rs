//! The messages form, `#[actor(messages(A, B, deferred(C)))]`: each message has its own
//! `Handler<M>` (or `DeferredHandler<M>`) impl and reply type.
//!
//! The actor queues one generated enum, a variant per message holding the message and its typed
//! reply slot, so the mailbox still stores one sized item inline and `tell` allocates nothing:
//! `Accepts::mail` is the variant's constructor and `dispatch` a `match` calling the handler.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Ident, Path, Type};

use crate::args::Message;
use crate::expand::Actor;
use crate::self_type::ReplaceSelf;

/// One listed message, ready to emit.
struct Variant {
    /// The message type, with `Self` spelled as the actor's type (the enum is outside the impl).
    ty: Type,
    name: Ident,
    /// `Handler` or `DeferredHandler`, spanned at the listed message so that a missing impl is
    /// reported there.
    handler: TokenStream,
    deferred: bool,
}

pub(crate) fn expand(
    actor: Actor<'_>,
    listed: &[Message],
    listed_at: Span,
    mail: Option<&Ident>,
) -> syn::Result<TokenStream> {
    let Actor { mut block, krate, cfgs } = actor;
    if listed.is_empty() {
        return Err(syn::Error::new(
            listed_at,
            "`messages(...)` lists at least one message type; an actor that takes none can be \
             written in the one-enum style with `type Msg = ()`",
        ));
    }
    let self_ty = (*block.self_ty).clone();
    let enum_name = match mail {
        Some(name) => name.clone(),
        None => default_enum_name(&self_ty)?,
    };
    let variants: Vec<Variant> = listed
        .iter()
        .enumerate()
        .map(|(index, message)| {
            let mut ty = message.ty.clone();
            ReplaceSelf(&self_ty).visit_type_mut(&mut ty);
            let trait_name = if message.deferred { "DeferredHandler" } else { "Handler" };
            let trait_name = Ident::new(trait_name, message.ty.span());
            let handler = respan(quote!(#krate::actor::#trait_name), message.ty.span());
            Variant { ty, name: format_ident!("M{index}"), handler, deferred: message.deferred }
        })
        .collect();

    let mut enum_generics = block.generics.clone();
    ReplaceSelf(&self_ty).visit_generics_mut(&mut enum_generics);
    let (_, enum_ty_generics, _) = enum_generics.split_for_impl();
    block.items.push(syn::parse_quote! { type Mail = #enum_name #enum_ty_generics; });
    let captured: Vec<syn::GenericParam> = block
        .generics
        .params
        .iter()
        .filter(|param| !matches!(param, syn::GenericParam::Lifetime(_)))
        .cloned()
        .collect();
    block.items.push(dispatch(krate, &enum_name, &variants, &captured));
    block.items.push(message_type(&enum_name, &variants));
    block.items.push(is_ask(&enum_name, &variants));

    let mail_enum = mail_enum(krate, &enum_name, &enum_generics, &self_ty, &variants, &cfgs);
    let mail_ty = quote!(#enum_name #enum_ty_generics);
    let only_one = variants.len() == 1;
    let accepts: Vec<TokenStream> = variants
        .iter()
        .map(|variant| accepts(&block, krate, (&enum_name, &mail_ty), variant, only_one, &cfgs))
        .collect();
    Ok(quote! {
        #block
        #mail_enum
        #(#accepts)*
    })
}

/// `AccountMail` for `Account`, `GenMail` for `Gen<T>`: the self type's last segment.
fn default_enum_name(self_ty: &Type) -> syn::Result<Ident> {
    match self_ty {
        Type::Path(path) if path.qself.is_none() => {
            if let Some(last) = path.path.segments.last() {
                return Ok(Ident::new(&format!("{}Mail", last.ident), Span::call_site()));
            }
        }
        _ => {}
    }
    Err(syn::Error::new_spanned(self_ty, "name the mail enum of this actor: `mail = Name`"))
}

/// `fn message_type`: the name of the message type in a piece of mail, for dead letters and
/// crash reports.
fn message_type(enum_name: &Ident, variants: &[Variant]) -> syn::ImplItem {
    let arms = variants.iter().map(|Variant { ty, name, .. }| {
        quote!(#enum_name::#name(..) => ::core::any::type_name::<#ty>(),)
    });
    syn::parse_quote! {
        fn message_type(mail: &Self::Mail) -> &'static str {
            match mail {
                #(#arms)*
            }
        }
    }
}

/// `fn is_ask`: whether a piece of mail's own reply handle belongs to an ask, for dead letters
/// (a message may carry other reply handles, which do not make it an ask).
fn is_ask(enum_name: &Ident, variants: &[Variant]) -> syn::ImplItem {
    let arms = variants.iter().map(|Variant { name, .. }| {
        quote!(#enum_name::#name(_, reply) => ::core::option::Option::Some(reply.is_ask()),)
    });
    syn::parse_quote! {
        fn is_ask(mail: &Self::Mail) -> ::core::option::Option<bool> {
            match mail {
                #(#arms)*
            }
        }
    }
}

/// `fn dispatch`: a `match` on the variant that makes its handler's future, nested in
/// `Branch`es (the first message's in the first, the others' in the rest), so that the
/// handler's future is polled where it lies, with no `async` state machine around it. A
/// reply handle is held by the future that answers it (`Answer`), so that the runtime answers
/// it should the handler panic or the actor be killed.
fn dispatch(
    krate: &Path,
    enum_name: &Ident,
    variants: &[Variant],
    captured: &[syn::GenericParam],
) -> syn::ImplItem {
    let last = variants.len().saturating_sub(1);
    let captured = captured.iter().map(|param| match param {
        syn::GenericParam::Type(ty) => ty.ident.to_token_stream(),
        syn::GenericParam::Const(constant) => constant.ident.to_token_stream(),
        syn::GenericParam::Lifetime(lifetime) => lifetime.lifetime.to_token_stream(),
    });
    // Each arm carries the listed message's span: a message without its handler impl is
    // reported there, not all over the attribute.
    let arms =
        variants.iter().enumerate().map(|(index, Variant { ty, name, handler, deferred })| {
            let mut future = if *deferred {
                quote! {
                    #krate::actor::dispatch::call_deferred(move || {
                        <Self as #handler<#ty>>::handle(self, msg, reply, ctx)
                    })
                }
            } else {
                quote! {
                    #krate::actor::dispatch::Answer::call(reply, move || {
                        <Self as #handler<#ty>>::handle(self, msg, ctx)
                    })
                }
            };
            // The `index`-th of `n` futures: `index` times in the rest, then in the first (the
            // last one alone stays in the rest).
            if index < last {
                future = quote!(#krate::actor::dispatch::Branch::first(#future));
            }
            for _ in 0..index {
                future = quote!(#krate::actor::dispatch::Branch::rest(#future));
            }
            respan(quote!(#enum_name::#name(msg, reply) => #future,), ty.span())
        });
    syn::parse_quote! {
        #[inline]
        fn dispatch<'__actor, '__context>(
            &'__actor mut self,
            mail: Self::Mail,
            ctx: &'__context mut #krate::Context<Self>,
        ) -> impl ::core::future::Future<
            Output = ::core::result::Result<(), #krate::ExitReason>,
        > + ::core::marker::Send + use<'__actor, '__context, #(#captured),*> {
            #krate::actor::dispatch::Dispatched::new(match mail {
                #(#arms)*
            })
        }
    }
}

/// The enum and its `Debug` (which names the message, since the message itself may not be
/// `Debug`).
///
/// It is `pub` whatever the actor's visibility: it is the actor's `Actor::Mail`, and an
/// associated type of a trait impl may not be more private than the impl (E0446, still a hard
/// error). The lints that a `pub` item in a private place or with private types in it would
/// raise are allowed: the enum is hidden and reached only through the actor.
fn mail_enum(
    krate: &Path,
    enum_name: &Ident,
    generics: &syn::Generics,
    self_ty: &Type,
    variants: &[Variant],
    cfgs: &[syn::Attribute],
) -> TokenStream {
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let doc = format!(
        "The mail of `{}`, generated by `#[actor]`: one variant per message, with its reply slot.",
        self_ty.to_token_stream()
    );
    let declared = variants.iter().map(|Variant { ty, name, handler, .. }| {
        let doc = format!("`{}` and its reply slot.", ty.to_token_stream());
        let variant = quote! {
            #[doc = #doc]
            #name(#ty, #krate::actor::ReplyTo<<#self_ty as #handler<#ty>>::Reply>),
        };
        respan(variant, ty.span())
    });
    let debug_arms = variants.iter().map(|Variant { ty, name, .. }| {
        let text = format!("{enum_name}({})", ty.to_token_stream());
        quote!(Self::#name(..) => formatter.write_str(#text),)
    });
    quote! {
        #(#cfgs)*
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(unreachable_pub, private_interfaces, private_bounds, clippy::large_enum_variant)]
        pub enum #enum_name #generics #where_clause {
            #(#declared)*
        }

        #(#cfgs)*
        impl #impl_generics ::core::fmt::Debug for #enum_name #ty_generics #where_clause {
            fn fmt(&self, formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self {
                    #(#debug_arms)*
                }
            }
        }
    }
}

/// `impl Accepts<M>`: how `M` enters the enum, and how a refused one is handed back.
///
/// Only `type Reply` carries the message's span: the functions take or return the enum, whose
/// other variants rustc checks there too, and a missing handler of another message would be
/// reported at this one.
fn accepts(
    block: &syn::ItemImpl,
    krate: &Path,
    (enum_name, mail_ty): (&Ident, &TokenStream),
    variant: &Variant,
    only_one: bool,
    cfgs: &[syn::Attribute],
) -> TokenStream {
    let Variant { ty, name, handler, .. } = variant;
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    let self_ty = &block.self_ty;
    // The kernel unmails only mail that `mail` made from this `M` a moment before (a send it
    // refused); no input reaches the other arms.
    let never = format!(
        "`{enum_name}` mail handed back as `{}` was made from another message type",
        ty.to_token_stream()
    );
    let others = (!only_one).then(|| quote!(_ => ::core::unreachable!("{}", #never),));
    let reply = respan(quote!(type Reply = <Self as #handler<#ty>>::Reply;), ty.span());
    quote! {
        #(#cfgs)*
        impl #impl_generics #krate::actor::Accepts<#ty> for #self_ty #where_clause {
            #reply

            #[inline]
            fn mail(
                msg: #ty,
                reply: #krate::actor::ReplyTo<<Self as #krate::actor::Accepts<#ty>>::Reply>,
            ) -> #mail_ty {
                #enum_name::#name(msg, reply)
            }

            #[inline]
            fn unmail(mail: #mail_ty) -> #ty {
                match mail {
                    #enum_name::#name(msg, _) => msg,
                    #others
                }
            }

            #[inline]
            fn unmail_request(
                mail: #mail_ty,
            ) -> (#ty, #krate::actor::ReplyTo<<Self as #krate::actor::Accepts<#ty>>::Reply>) {
                match mail {
                    #enum_name::#name(msg, reply) => (msg, reply),
                    #others
                }
            }
        }
    }
}

/// The tokens with every span set to `span`: a path built from `crate = path` keeps the span of
/// where that path was written, and errors about the handler belong at the listed message.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                tree = proc_macro2::TokenTree::Group(respanned);
            }
            tree.set_span(span);
            tree
        })
        .collect()
}
