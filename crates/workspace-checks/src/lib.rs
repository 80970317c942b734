//! Checks of the workspace that the compiler cannot make, run by `cargo test --workspace`.
//!
//! Each file under `tests/` checks one rule of the project over the workspace's sources: the
//! layering of `airssys-rt` (a kernel that imports no service), the AirsSys standards (import
//! groups, `mod.rs` contents, timestamps) and the coverage of `docs/semantics.md` by tests. This
//! library holds what they share: finding the workspace and reading its Rust sources.

// Per crate root, not in `[workspace.lints]`: test, bench and example targets all see every
// dev-dependency, so the lint would flag in each one the dev-dependencies only others use.
#![cfg_attr(not(test), deny(unused_crate_dependencies))]
// As Tokio does: an example may define a function it never calls (the point is its body).
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

pub mod imports;

use std::path::{Path, PathBuf};
use std::{env, fs};

/// The workspace's root directory (the one holding the root `Cargo.toml`).
///
/// ```
/// assert!(airssys_workspace_checks::workspace_root().join("Cargo.toml").is_file());
/// ```
pub fn workspace_root() -> PathBuf {
    // This crate lives in `<root>/crates/workspace-checks`. Cargo sets the variable when it runs
    // a test or `cargo run`, and that value names the checkout being checked; the one compiled
    // in may name another, since a build copied or shared between checkouts (git worktrees) is
    // not redone for a new path. The compiled-in one serves a binary run by hand.
    let manifest_dir =
        env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    Path::new(&manifest_dir)
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A Rust source file of the workspace: its path relative to the workspace root, and its text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path relative to the workspace root, with `/` separators.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// Every `.rs` file under `dir` (relative to the workspace root), sorted by path.
///
/// ```
/// let sources = airssys_workspace_checks::rust_sources("crates/workspace-checks/src");
/// assert!(sources.iter().any(|source| source.path.ends_with("lib.rs")));
/// ```
pub fn rust_sources(dir: &str) -> Vec<Source> {
    let root = workspace_root();
    let mut found = Vec::new();
    collect(&root, &root.join(dir), &mut found);
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn collect(root: &Path, dir: &Path, found: &mut Vec<Source>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            collect(root, &path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            if let Ok(text) = fs::read_to_string(&path) {
                let relative = path.strip_prefix(root).unwrap_or(&path);
                let path = relative.to_string_lossy().replace('\\', "/");
                found.push(Source { path, text });
            }
        }
    }
}
