//! The AirsSys workspace standards that a check can hold, over every `.rs` file of the
//! workspace: §2.1 imports in three groups, §3.2 no `SystemTime` (timestamps are
//! `chrono::DateTime<Utc>`), §4.3 no implementation in a `mod.rs`; and over every manifest, §5.1
//! every dependency version declared once, in the root's `[workspace.dependencies]`. A failure
//! names each file and line that breaks the rule.

use std::path::Path;

use airssys_workspace_checks::imports::{group_violations, regroup};
use airssys_workspace_checks::{rust_sources, workspace_root, Source};

/// Every `.rs` file of the workspace: sources, tests, benches and examples of each crate.
fn workspace_sources() -> Vec<Source> {
    let sources = rust_sources("crates");
    assert!(
        sources.iter().any(|source| source.path.ends_with("airssys-rt/src/lib.rs")),
        "the workspace's sources were not found"
    );
    sources
}

fn report(rule: &str, found: &[String]) {
    assert!(found.is_empty(), "{rule}:\n{}", found.join("\n"));
}

// ---------------------------------------------------------------- the checked tree

/// The checks (and the fixer) read and write the checkout cargo runs them in, not the one the
/// library was first compiled in: a target directory copied or shared between checkouts (git
/// worktrees) keeps that path in a build cargo sees no reason to redo.
#[test]
fn standards_are_checked_in_the_checkout_cargo_runs() {
    let running = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let expected = Path::new(&running).ancestors().nth(2).map(Path::to_path_buf);
    assert_eq!(Some(workspace_root()), expected);
}

// ---------------------------------------------------------------- §2.1

#[test]
fn standard_2_1_imports_are_in_three_groups_std_third_party_this_crate() {
    let mut found = Vec::new();
    for source in workspace_sources() {
        for (line, problem) in group_violations(&source.text) {
            found.push(format!("{}:{line}: {problem}", source.path));
        }
    }
    report(
        "§2.1 imports in three groups (fix: `cargo run -p airssys-workspace-checks --bin \
         group-imports && cargo fmt --all`)",
        &found,
    );
}

/// An attribute that rustfmt wraps over several lines stays on the `use` it was written on:
/// the fixer once left its lines in place and moved the `use` away, so the `cfg` fell on the
/// `use` regrouped under it.
#[test]
fn standard_2_1_the_fixer_keeps_a_multi_line_attribute_on_its_use() {
    let attribute = "#[cfg(any(\n    feature = \"a\",\n    feature = \"b\"\n))]\n";
    let text = format!("use std::fmt;\n{attribute}use crate::x;\nuse std::io;\n\nfn f() {{}}\n");
    let fixed = regroup(&text);
    assert_eq!(
        fixed,
        format!("use std::fmt;\nuse std::io;\n\n{attribute}use crate::x;\n\nfn f() {{}}\n")
    );
    assert!(group_violations(&fixed).is_empty(), "{fixed}");
    assert_eq!(regroup(&fixed), fixed, "the fixer is idempotent");
    // The check reads the same blocks: the wrapped attribute does not split one.
    let wrong = format!("use crate::x;\n{attribute}use tokio::sync;\n");
    assert_eq!(group_violations(&wrong).len(), 1, "{wrong}");
}

// ---------------------------------------------------------------- §3.2

#[test]
fn standard_3_2_no_system_time_timestamps_are_chrono() {
    // Spelled in two halves so that this file does not find itself.
    let needle = concat!("System", "Time");
    let mut found = Vec::new();
    for source in workspace_sources() {
        for (index, line) in source.text.lines().enumerate() {
            if line.contains(needle) && !line.trim_start().starts_with("//") {
                found.push(format!("{}:{}: {}", source.path, index + 1, line.trim()));
            }
        }
    }
    report(
        &format!("§3.2 timestamps are chrono::DateTime<Utc>, never std::time::{needle}"),
        &found,
    );
}

// ---------------------------------------------------------------- §4.3

#[test]
fn standard_4_3_a_mod_rs_holds_no_implementation() {
    let mut found = Vec::new();
    for source in workspace_sources() {
        if !source.path.ends_with("/mod.rs") {
            continue;
        }
        let code = implementation_lines(&source.text);
        if code.is_empty() {
            continue;
        }
        let (line, text) = &code[0];
        found.push(format!(
            "{}:{line}: `{text}` ({} implementation lines in all)",
            source.path,
            code.len()
        ));
    }
    report("§4.3 a mod.rs holds only module docs, declarations and re-exports", &found);
}

#[test]
fn standard_4_3_the_check_sees_items_and_skips_cfg_test() {
    let text = "//! Docs.\n\nmod inner;\npub use inner::Thing;\n\n#[cfg(test)]\nmod tests {\n    \
                fn helper() {}\n}\n\npub(crate) const LIMIT: usize = 3;\nimpl Thing {}\n";
    let found: Vec<usize> = implementation_lines(text).into_iter().map(|(line, _)| line).collect();
    assert_eq!(found, [11, 12]);
    assert!(implementation_lines("//! Docs.\npub mod a;\npub use a::B;\n").is_empty());
}

/// The 1-based lines of a source that start an item other than a module declaration or a
/// `use`: `fn`, `struct`, `enum`, `union`, `impl`, `trait`, `const`, `static`, `type`,
/// `macro_rules!`, at any depth, except in an item under `#[cfg(test)]`.
fn implementation_lines(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            index = end_of_item(&lines, index) + 1;
            continue;
        }
        if !trimmed.starts_with("//") && starts_implementation(trimmed) {
            found.push((index + 1, trimmed.to_owned()));
        }
        index += 1;
    }
    found
}

/// The index of the last line of the item that the attribute at `attribute` applies to: a
/// one-line item ends with `;`, a braced one at the `}` at the attribute's indentation.
fn end_of_item(lines: &[&str], attribute: usize) -> usize {
    let indent = lines[attribute].len() - lines[attribute].trim_start().len();
    let closing = format!("{}}}", " ".repeat(indent));
    let mut index = attribute + 1;
    while index < lines.len() {
        let line = lines[index];
        if line.trim_end() == closing || (index == attribute + 1 && line.trim_end().ends_with(';'))
        {
            return index;
        }
        index += 1;
    }
    lines.len()
}

fn starts_implementation(line: &str) -> bool {
    let mut words = line.split_whitespace().peekable();
    if words.peek().is_some_and(|word| word.starts_with("pub")) {
        let visibility = words.next().unwrap_or_default();
        // `pub(in path)` is two words.
        if visibility.starts_with("pub(in") {
            words.next();
        }
    }
    while let Some(word) = words.next() {
        match word {
            "async" | "unsafe" | "default" | "extern" => {}
            "const" => {
                // `const fn` goes on to `fn`; a `const` item is implementation itself.
                if !words.peek().is_some_and(|next| matches!(*next, "fn" | "unsafe" | "async")) {
                    return true;
                }
            }
            "fn" | "struct" | "enum" | "union" | "trait" | "static" | "type" => return true,
            _ if word.starts_with("impl") && (word == "impl" || word.starts_with("impl<")) => {
                return true
            }
            _ if word.starts_with("\"") => {} // the ABI of `extern "C"`
            _ => return word.starts_with("macro_rules!"),
        }
    }
    false
}

// ---------------------------------------------------------------- §5.1

/// The dependency tables of a member's manifest: `[dependencies]`, `[dev-dependencies]`,
/// `[build-dependencies]`, and their `[target.'cfg(..)'.*]` forms.
fn is_dependency_table(header: &str) -> bool {
    let name = header.trim_matches(|c| c == '[' || c == ']');
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .any(|table| name == *table || name.ends_with(&format!(".{table}")))
}

/// The lines of a member's manifest that declare a dependency without `workspace = true`
/// (a version, path or git of its own, or a `[dependencies.name]` table, which always has one).
fn dependencies_not_from_the_workspace(manifest: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_dependencies = false;
    for (index, line) in manifest.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = is_dependency_table(line);
            let header = line.trim_matches(|c| c == '[' || c == ']');
            if ["dependencies.", "dev-dependencies.", "build-dependencies."]
                .iter()
                .any(|table| header.starts_with(table) || header.contains(&format!(".{table}")))
            {
                found.push((index + 1, line.to_string()));
            }
            continue;
        }
        if !in_dependencies || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.contains(".workspace=true") && !compact.contains("workspace=true") {
            found.push((index + 1, line.to_string()));
        }
    }
    found
}

#[test]
fn standard_5_1_every_member_takes_its_dependencies_from_the_workspace() {
    let root = workspace_root();
    let mut found = Vec::new();
    let mut members = 0;
    for entry in std::fs::read_dir(root.join("crates")).into_iter().flatten().flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        members += 1;
        let path = manifest.strip_prefix(&root).unwrap_or(&manifest).display().to_string();
        for (line, text) in dependencies_not_from_the_workspace(&text) {
            found.push(format!(
                "{path}:{line}: `{text}` (declare it in the root's [workspace.dependencies])"
            ));
        }
    }
    assert!(members >= 3, "the members' manifests were not found");
    report(
        "§5.1 every dependency is declared once, in the root's [workspace.dependencies]",
        &found,
    );
}

#[test]
fn standard_5_1_the_workspace_lists_the_airssys_crates_first() {
    let root = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
    let table = root
        .split("[workspace.dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("the root manifest has a [workspace.dependencies] table");
    let names: Vec<&str> = table
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split(['=', '.']).next().map(str::trim))
        .collect();
    let first_other = names.iter().position(|name| !name.starts_with("airssys"));
    let late: Vec<&&str> = names
        .iter()
        .enumerate()
        .filter(|(index, name)| name.starts_with("airssys") && Some(*index) > first_other)
        .map(|(_, name)| name)
        .collect();
    assert!(
        late.is_empty(),
        "§5.1 the AirsSys crates come first in [workspace.dependencies]: {late:?}"
    );
}

#[test]
fn standard_5_1_the_check_sees_a_version_of_a_members_own() {
    let manifest = "[package]\nname = \"x\"\nversion = \"0.1.0\"\n\n[dependencies]\n\
                    tokio.workspace = true\nserde = { workspace = true, features = [\"derive\"] }\n\
                    # a comment\nrand = \"0.8\"\n\n[target.'cfg(unix)'.dev-dependencies]\n\
                    libc = { version = \"0.2\" }\n\n[dependencies.regex]\nversion = \"1\"\n\n\
                    [features]\nfull = []\n";
    let found: Vec<usize> =
        dependencies_not_from_the_workspace(manifest).into_iter().map(|(line, _)| line).collect();
    assert_eq!(found, [9, 12, 14]);
}
