//! The arguments of `#[actor(...)]`: `messages(...)`, `mail = Name` and `crate = path`.
//!
//! A mistake in one argument is recorded and the others are still read, so that the expansion
//! goes on and the user sees that one error, not a cascade of missing items.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{parenthesized, token, Ident, Path, Token, Type};

use crate::errors::Errors;

const ACCEPTED: &str = "`#[actor]` accepts `messages(...)`, `mail = Name` and `crate = path`";

/// One message listed in `messages(...)`.
pub(crate) struct Message {
    pub(crate) ty: Type,
    /// Listed as `deferred(M)`: handled by `DeferredHandler<M>`, which answers through the
    /// `ReplyTo` it is given instead of returning the reply.
    pub(crate) deferred: bool,
}

/// What `#[actor(...)]` was given.
pub(crate) struct ActorArgs {
    /// The root every emitted path starts from: `::airssys_rt` unless `crate = path`.
    pub(crate) krate: Path,
    /// `Some` when `messages(...)` was given, even empty.
    pub(crate) messages: Option<(Span, Vec<Message>)>,
    pub(crate) mail: Option<Ident>,
}

impl ActorArgs {
    /// Reads the attribute's arguments; what cannot be read goes to `errors`.
    pub(crate) fn parse(attr: TokenStream, errors: &mut Errors) -> ActorArgs {
        let mut args =
            ActorArgs { krate: syn::parse_quote!(::airssys_rt), messages: None, mail: None };
        let parser = |input: ParseStream<'_>| {
            let mut krate_given = false;
            while !input.is_empty() {
                if let Err(error) = args.parse_one(input, &mut krate_given, errors) {
                    errors.push(error);
                    skip_to_next_argument(input);
                }
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            }
            Ok(())
        };
        if let Err(error) = parser.parse2(attr) {
            errors.push(error);
        }
        args
    }

    fn parse_one(
        &mut self,
        input: ParseStream<'_>,
        krate_given: &mut bool,
        errors: &mut Errors,
    ) -> syn::Result<()> {
        if input.peek(Token![crate]) {
            let keyword: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            let path = Path::parse_mod_style(input)?;
            if std::mem::replace(krate_given, true) {
                return Err(syn::Error::new_spanned(keyword, "`crate` is given twice"));
            }
            self.krate = path;
            return Ok(());
        }
        let name: Ident = input.parse()?;
        if name == "messages" {
            let content;
            parenthesized!(content in input);
            let messages = parse_messages(&content, errors)?;
            if self.messages.replace((name.span(), messages)).is_some() {
                return Err(syn::Error::new_spanned(name, "`messages` is given twice"));
            }
        } else if name == "mail" {
            input.parse::<Token![=]>()?;
            let enum_name: Ident = input.parse()?;
            if self.mail.replace(enum_name).is_some() {
                return Err(syn::Error::new_spanned(name, "`mail` is given twice"));
            }
        } else {
            return Err(syn::Error::new_spanned(
                &name,
                format!("unknown argument `{name}`: {ACCEPTED}"),
            ));
        }
        Ok(())
    }
}

/// The list inside `messages(...)`: types, some of them as `deferred(Type)`. A type listed twice
/// is reported at its second place and left out.
fn parse_messages(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<Vec<Message>> {
    let mut messages: Vec<Message> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    while !input.is_empty() {
        let message = parse_message(input)?;
        // Tokens print the same whatever the spacing in the source, so this finds a type listed
        // twice as written; two spellings of one type (`Ping`, `crate::Ping`) are left to
        // rustc, which reports the two `Accepts` impls as conflicting.
        let key = message.ty.to_token_stream().to_string();
        if seen.contains(&key) {
            errors.push(syn::Error::new_spanned(
                &message.ty,
                format!("`{key}` is listed twice in `messages(...)`"),
            ));
        } else {
            seen.push(key);
            messages.push(message);
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(messages)
}

fn parse_message(input: ParseStream<'_>) -> syn::Result<Message> {
    // `deferred(M)` also reads as a type (a path with parenthesized arguments, as in `Fn(M)`),
    // so it is recognised first; no message type is spelled that way.
    let fork = input.fork();
    let is_deferred =
        fork.parse::<Ident>().is_ok_and(|ident| ident == "deferred") && fork.peek(token::Paren);
    if !is_deferred {
        return Ok(Message { ty: input.parse()?, deferred: false });
    }
    input.parse::<Ident>()?;
    let content;
    parenthesized!(content in input);
    let ty: Type = content.parse()?;
    if !content.is_empty() {
        return Err(content.error("`deferred(...)` takes one message type"));
    }
    Ok(Message { ty, deferred: true })
}

/// Steps over the rest of an argument that could not be read, up to the comma that ends it.
fn skip_to_next_argument(input: ParseStream<'_>) {
    while !input.is_empty() && !input.peek(Token![,]) {
        if input.parse::<proc_macro2::TokenTree>().is_err() {
            return;
        }
    }
}
