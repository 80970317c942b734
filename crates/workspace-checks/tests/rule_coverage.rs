//! Every rule of `docs/semantics.md` has a test named after it (`t15_...` for **T15**,
//! `a4_2_...` for the second numbered case of **A4**), and no test carries a rule-like prefix
//! (`r3_`) that names no rule: such a name once meant a review round and collided with the
//! router's rules R3 to R5.

use std::collections::BTreeSet;
use std::fs;

use airssys_workspace_checks::{rust_sources, workspace_root};

/// Where the semantics may live, in order: inside the crate (published with it), or at the
/// workspace's root.
const SEMANTICS: [&str; 2] = ["crates/airssys-rt/docs/semantics.md", "docs/semantics.md"];

/// A test function of the workspace.
struct TestFn {
    name: String,
    path: String,
}

fn semantics() -> String {
    let root = workspace_root();
    SEMANTICS
        .iter()
        .find_map(|path| fs::read_to_string(root.join(path)).ok())
        .unwrap_or_else(|| panic!("no semantics found at any of {SEMANTICS:?}"))
}

/// `A4` and the like: a chapter letter and a number.
fn is_rule_id(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|letter| letter.is_ascii_uppercase())
        && !chars.as_str().is_empty()
        && chars.all(|c| c.is_ascii_digit())
}

/// The number of a numbered case of a rule (`  2. it calls ...`), written right under it.
fn case_number(line: &str) -> Option<&str> {
    let (number, _) = line.strip_prefix("  ")?.split_once(". ")?;
    (!number.is_empty() && number.chars().all(|c| c.is_ascii_digit())).then_some(number)
}

/// Every rule id the semantics define, as tests spell them: `a4` for `- **A4** ...`, and
/// `a4_2` for the case `2.` listed under it.
fn rule_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut rule: Option<String> = None;
    for line in text.lines() {
        let defined = line.strip_prefix("- **").and_then(|rest| rest.split_once("**"));
        if let Some((id, _)) = defined.filter(|(id, _)| is_rule_id(id)) {
            let id = id.to_lowercase();
            ids.insert(id.clone());
            rule = Some(id);
        } else if let (Some(id), Some(number)) = (&rule, case_number(line)) {
            ids.insert(format!("{id}_{number}"));
        } else if !line.starts_with(' ') {
            // A rule's text goes on in indented lines: anything else ends it.
            rule = None;
        }
    }
    ids
}

/// Every function under a `#[test]` or `#[tokio::test]` attribute in the workspace's crates:
/// in `tests/` directories and `#[cfg(test)]` modules alike.
fn test_fns() -> Vec<TestFn> {
    let mut tests = Vec::new();
    for source in rust_sources("crates") {
        let mut under_test_attribute = false;
        for line in source.text.lines().map(str::trim_start) {
            if line.starts_with("#[test]") || line.starts_with("#[tokio::test") {
                under_test_attribute = true;
            } else if let Some(name) = fn_name(line).filter(|_| under_test_attribute) {
                tests.push(TestFn { name: name.to_string(), path: source.path.clone() });
                under_test_attribute = false;
            }
        }
    }
    tests
}

fn fn_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("async fn ").or_else(|| line.strip_prefix("fn "))?;
    rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next()
}

/// The prefix of a name that looks like a rule id (`r3` of `r3_...`), if it has one.
fn rule_like_prefix(name: &str) -> Option<&str> {
    let (prefix, _) = name.split_once('_')?;
    is_rule_id(&prefix.to_uppercase()).then_some(prefix)
}

#[test]
fn every_rule_has_a_test_named_after_it_and_every_rule_like_test_name_is_a_rule() {
    let ids = rule_ids(&semantics());
    assert!(
        ids.len() > 100,
        "only {} rule ids found: is the semantics' format changed?",
        ids.len()
    );
    let tests = test_fns();
    let uncovered: Vec<&str> = ids
        .iter()
        .filter(|id| !tests.iter().any(|test| test.name.starts_with(&format!("{id}_"))))
        .map(String::as_str)
        .collect();
    let strays: Vec<String> = tests
        .iter()
        .filter(|test| rule_like_prefix(&test.name).is_some_and(|prefix| !ids.contains(prefix)))
        .map(|test| format!("{} in {}", test.name, test.path))
        .collect();
    assert!(
        uncovered.is_empty() && strays.is_empty(),
        "rules with no test named `<id>_...`: {uncovered:?}\n\
         tests named after no rule of the semantics: {strays:#?}"
    );
}
