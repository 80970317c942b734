//! The fixer for §2.1: regroups the `use` blocks of every `.rs` file of the workspace into std,
//! third-party and this crate, one blank line apart. Run `cargo fmt --all` after it, to sort
//! each group.
//!
//! `cargo run -p airssys-workspace-checks --bin group-imports`

#![cfg_attr(not(test), deny(unused_crate_dependencies))]

use std::fs;
use std::process::ExitCode;

use airssys_workspace_checks::imports::regroup;
use airssys_workspace_checks::{rust_sources, workspace_root};

fn main() -> ExitCode {
    let root = workspace_root();
    let mut changed = 0;
    for source in rust_sources("crates") {
        let fixed = regroup(&source.text);
        if fixed == source.text {
            continue;
        }
        if let Err(error) = fs::write(root.join(&source.path), fixed) {
            eprintln!("{}: {error}", source.path);
            return ExitCode::FAILURE;
        }
        println!("regrouped {}", source.path);
        changed += 1;
    }
    println!("{changed} files regrouped; now run `cargo fmt --all`");
    ExitCode::SUCCESS
}
