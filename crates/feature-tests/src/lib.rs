//! Nothing to use: this package exists so that `cargo test --workspace` compiles airssys-rt with
//! the cargo features that some of its tests need (`tracing-spans`, `metrics`), and runs those tests.
//!
//! Feature unification means that, in such a workspace-wide build, every airssys-rt test runs
//! with these features on; `cargo test -p airssys-rt` runs them with the features off.
