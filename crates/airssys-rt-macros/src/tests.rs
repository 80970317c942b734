//! The expansion's shape, read back with syn: which items the attribute emits for each form.
//! Run with `--nocapture` to print the expansions (the lead wires the kernel against them).

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{File, ImplItem, Item, ItemEnum, ItemImpl};

use crate::expand::expand;

fn expanded(attr: TokenStream, item: TokenStream) -> File {
    let tokens = expand(attr, item);
    println!("{tokens}\n");
    syn::parse2(tokens).expect("the expansion is a list of items")
}

fn impls_of<'a>(file: &'a File, trait_name: &str) -> Vec<&'a ItemImpl> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(block) => Some(block),
            _ => None,
        })
        .filter(|block| {
            block.trait_.as_ref().is_some_and(|(_, path, _)| {
                path.segments.last().is_some_and(|last| last.ident == trait_name)
            })
        })
        .collect()
}

fn item_names(block: &ItemImpl) -> Vec<String> {
    block
        .items
        .iter()
        .map(|item| match item {
            ImplItem::Type(ty) => format!("type {}", ty.ident),
            ImplItem::Fn(function) => format!("fn {}", function.sig.ident),
            other => other.to_token_stream().to_string(),
        })
        .collect()
}

fn accepted_messages(file: &File) -> Vec<String> {
    impls_of(file, "Accepts")
        .iter()
        .map(|block| {
            let (_, path, _) = block.trait_.as_ref().expect("an Accepts impl");
            path.segments.last().expect("a path").arguments.to_token_stream().to_string()
        })
        .collect()
}

#[test]
fn classic_form_moves_three_items_to_classic_and_adds_mail_and_dispatch() {
    let file = expanded(
        quote!(),
        quote! {
            impl Actor for Echo {
                type Msg = u32;
                type Reply = u32;
                type Args = ();
                type Error = Infallible;
                async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Echo) }
                async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u32, Self::Error> { Ok(n) }
                async fn post_stop(&mut self, _: &mut Context<Self>) {}
            }
        },
    );
    let actor = impls_of(&file, "Actor");
    assert_eq!(
        item_names(actor[0]),
        [
            "type Args",
            "type Error",
            "fn pre_start",
            "fn post_stop",
            "type Mail",
            "fn dispatch",
            "fn message_type",
            "fn is_ask"
        ]
    );
    let classic = impls_of(&file, "Classic");
    assert_eq!(item_names(classic[0]), ["type Msg", "type Reply", "fn handle"]);
    assert_eq!(accepted_messages(&file), ["< u32 >"]);
}

#[test]
fn messages_form_emits_the_enum_the_dispatch_and_one_accepts_per_message() {
    let file = expanded(
        quote!(messages(Deposit, Withdraw, History, deferred(Audit))),
        quote!(impl Actor for Account {}),
    );
    let actor = impls_of(&file, "Actor");
    assert_eq!(
        item_names(actor[0]),
        [
            "type Args",
            "fn pre_start",
            "type Error",
            "type Mail",
            "fn dispatch",
            "fn message_type",
            "fn is_ask"
        ]
    );
    let mail: Vec<&ItemEnum> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Enum(mail) => Some(mail),
            _ => None,
        })
        .collect();
    assert_eq!(mail[0].ident, "AccountMail");
    let variants: Vec<String> = mail[0].variants.iter().map(|v| v.ident.to_string()).collect();
    assert_eq!(variants, ["M0", "M1", "M2", "M3"]);
    assert_eq!(
        accepted_messages(&file),
        ["< Deposit >", "< Withdraw >", "< History >", "< Audit >"]
    );
}

#[test]
fn errors_become_compile_errors_and_the_rest_still_expands() {
    let tokens =
        expand(quote!(messages(Ping, Ping), colour = red), quote!(impl Actor for Pinger {}));
    let text = tokens.to_string();
    assert!(text.contains("`Ping` is listed twice"), "{text}");
    assert!(text.contains("unknown argument `colour`"), "{text}");
    assert!(text.contains("enum PingerMail"), "the actor still expands: {text}");
}

#[test]
fn every_emitted_path_starts_from_the_crate_argument() {
    for (krate, expected) in [
        (quote!(crate = crate), "crate :: actor :: ClassicMail"),
        (quote!(crate = crate::kernel), "crate :: kernel :: actor :: ClassicMail"),
        (quote!(crate = ::other), ":: other :: actor :: ClassicMail"),
    ] {
        let item = quote! {
            impl Actor for Echo {
                type Msg = u32;
                type Reply = u32;
                async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u32, Self::Error> { Ok(n) }
            }
        };
        let text = expand(krate, item).to_string();
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains("airssys_rt"), "{text}");
        assert!(!text.contains("compile_error"), "{text}");
    }
}
