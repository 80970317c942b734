//! Rewrites of `Self` in the code the attribute moves or copies out of the `impl Actor` block,
//! where `Self` would otherwise mean something else or nothing.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit_mut::{self, VisitMut};
use syn::{Path, Type};

/// Whether `Self` appears anywhere in the tokens (a type, a bound, a macro's input).
pub(crate) fn mentions_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "Self",
        TokenTree::Group(group) => mentions_self(group.stream()),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

/// Puts the actor's type for a bare `Self`, for items generated outside its impl (the mail
/// enum), where `Self` would name the enum itself.
pub(crate) struct ReplaceSelf<'a>(pub(crate) &'a Type);

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(path) = ty {
            if path.qself.is_none() && path.path.is_ident("Self") {
                *ty = self.0.clone();
                return;
            }
        }
        visit_mut::visit_type_mut(self, ty);
    }
}

/// Qualifies `Self::Msg` and `Self::Reply` in the hooks that stay in the `impl Actor` block of a
/// classic actor: those types move to `Classic`, which `Actor` does not know.
pub(crate) struct QualifyClassicTypes<'a> {
    pub(crate) krate: &'a Path,
}

impl VisitMut for QualifyClassicTypes<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(path) = ty {
            let segments = &path.path.segments;
            if path.qself.is_none()
                && path.path.leading_colon.is_none()
                && segments.len() == 2
                && segments[0].ident == "Self"
                && segments[0].arguments.is_none()
                && (segments[1].ident == "Msg" || segments[1].ident == "Reply")
                && segments[1].arguments.is_none()
            {
                let krate = self.krate;
                let item = &segments[1].ident;
                *ty = syn::parse_quote_spanned!(item.span()=> <Self as #krate::actor::Classic>::#item);
                return;
            }
        }
        visit_mut::visit_type_mut(self, ty);
    }
}
