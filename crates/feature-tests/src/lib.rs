//! Nothing to use: this package exists so that `cargo test --workspace` compiles airssys-rt with
//! the cargo features that some of its tests need (`tracing-spans`, `metrics`), and runs those tests.
//!
//! Feature unification means that, in such a workspace-wide build, every airssys-rt test runs
//! with these features on; `cargo test -p airssys-rt` runs them with the features off.

// Per crate root, not in `[workspace.lints]`: test, bench and example targets all see every
// dev-dependency, so the lint would flag in each one the dev-dependencies only others use.
#![cfg_attr(not(test), deny(unused_crate_dependencies))]
// As Tokio does: an example may define a function it never calls (the point is its body).
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]
