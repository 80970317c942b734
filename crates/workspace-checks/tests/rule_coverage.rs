//! Every rule of `docs/semantics.md` has a test named after it (`t15_...` for **T15**,
//! `a4_2_...` for the second numbered case of **A4**) in the test file its chapter names (its
//! `Tests:` line), and no test carries a rule-like prefix (`r3_`) that names no rule: such a name
//! once meant a review round and collided with the router's rules R3 to R5.

use std::collections::{BTreeMap, BTreeSet};
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

/// Every rule id the semantics define, as tests spell them (`a4` for `- **A4** ...`, and
/// `a4_2` for the case `2.` listed under it), with the test files its chapter names.
fn rule_ids(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let chapters = chapter_test_files(text);
    let mut ids = BTreeMap::new();
    let mut chapter = 0;
    let mut rule: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("## ") {
            chapter += 1;
        }
        let files = || chapters.get(chapter).cloned().unwrap_or_default();
        let defined = line.strip_prefix("- **").and_then(|rest| rest.split_once("**"));
        if let Some((id, _)) = defined.filter(|(id, _)| is_rule_id(id)) {
            let id = id.to_lowercase();
            ids.insert(id.clone(), files());
            rule = Some(id);
        } else if let (Some(id), Some(number)) = (&rule, case_number(line)) {
            ids.insert(format!("{id}_{number}"), files());
        } else if !line.starts_with(' ') {
            // A rule's text goes on in indented lines: anything else ends it.
            rule = None;
        }
    }
    ids
}

/// For the introduction (0) and each `## ` chapter after it, the test files it names
/// (`tests/x.rs` is `airssys-rt`'s, `crates/c/tests/x.rs` another crate's), from the workspace
/// root.
fn chapter_test_files(text: &str) -> Vec<BTreeSet<String>> {
    let mut chapters = vec![BTreeSet::new()];
    for line in text.lines() {
        if line.starts_with("## ") {
            chapters.push(BTreeSet::new());
        }
        let files = chapters.last_mut().expect("the introduction is always there");
        for word in line.split(|c: char| c.is_whitespace() || "`(),;".contains(c)) {
            let Some(at) = word.find("tests/") else { continue };
            let Some(path) = word.get(..word.find(".rs").map_or(0, |end| end + 3)) else {
                continue;
            };
            if !path.ends_with(".rs") {
                continue;
            }
            if path.starts_with("crates/") {
                files.insert(path.to_owned());
            } else {
                files.insert(format!("crates/airssys-rt/{}", &path[at..]));
            }
        }
    }
    chapters
}

/// Every function under a `#[test]` or `#[tokio::test]` attribute in the workspace's crates:
/// in `tests/` directories and `#[cfg(test)]` modules alike.
fn test_fns() -> Vec<TestFn> {
    rust_sources("crates").iter().flat_map(|source| tests_in(&source.path, &source.text)).collect()
}

/// The test functions of one source; one under `#[ignore]` is no test of a rule, since
/// `cargo test` does not run it.
fn tests_in(path: &str, text: &str) -> Vec<TestFn> {
    let mut tests = Vec::new();
    let mut under_test_attribute = false;
    let mut ignored = false;
    for line in text.lines().map(str::trim_start) {
        if line.starts_with("#[test]") || line.starts_with("#[tokio::test") {
            under_test_attribute = true;
        } else if line.starts_with("#[ignore") {
            ignored = true;
        } else if let Some(name) = fn_name(line).filter(|_| under_test_attribute) {
            if !ignored {
                tests.push(TestFn { name: name.to_string(), path: path.to_owned() });
            }
            under_test_attribute = false;
            ignored = false;
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

/// The rules with no test named after them in a file their chapter names, each with the files
/// where one was looked for.
fn uncovered(ids: &BTreeMap<String, BTreeSet<String>>, tests: &[TestFn]) -> Vec<String> {
    ids.iter()
        .filter(|(id, files)| {
            !tests
                .iter()
                .any(|test| test.name.starts_with(&format!("{id}_")) && files.contains(&test.path))
        })
        .map(|(id, files)| format!("{id} (in {files:?})"))
        .collect()
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
    let uncovered = uncovered(&ids, &tests);
    let strays: Vec<String> = tests
        .iter()
        .filter(|test| rule_like_prefix(&test.name).is_some_and(|prefix| !ids.contains_key(prefix)))
        .map(|test| format!("{} in {}", test.name, test.path))
        .collect();
    assert!(
        uncovered.is_empty() && strays.is_empty(),
        "rules with no test named `<id>_...` in their chapter's test file: {uncovered:#?}\n\
         tests named after no rule of the semantics: {strays:#?}"
    );
}

/// A rule is covered only by a test that `cargo test` runs, in the file its chapter names: not
/// by one of the same name in another chapter's file (T1 and `t1_` in `semantics.rs`), nor by
/// an ignored one.
#[test]
fn a_rule_is_covered_only_by_a_running_test_in_its_chapters_file() {
    let semantics = "Intro (`crates/workspace-checks/tests/rule_coverage.rs`).\n\n\
                     ## A. Actors\n\nTests: `crates/airssys-rt/tests/semantics.rs`.\n\n\
                     - **A1** One.\n  1. a case;\n\n\
                     ## T. Trees\n\nTests: `crates/airssys-rt/tests/supervision.rs`.\n\n\
                     - **T1** One.\n- **T2** Two.\n";
    let ids = rule_ids(semantics);
    let semantics_rs = "crates/airssys-rt/tests/semantics.rs";
    let supervision_rs = "crates/airssys-rt/tests/supervision.rs";
    assert_eq!(ids["a1_1"], BTreeSet::from([semantics_rs.to_owned()]));
    assert_eq!(ids["t2"], BTreeSet::from([supervision_rs.to_owned()]));
    let mut tests = tests_in(semantics_rs, "#[test]\nfn a1_x() {}\n#[test]\nfn a1_1_x() {}\n");
    tests.extend(tests_in(
        semantics_rs,
        "#[tokio::test]\nasync fn t1_in_a_file_of_chapter_a() {}\n",
    ));
    tests.extend(tests_in(supervision_rs, "#[test]\n#[ignore]\nfn t2_never_run() {}\n"));
    assert_eq!(
        uncovered(&ids, &tests),
        [
            "t1 (in {\"crates/airssys-rt/tests/supervision.rs\"})",
            "t2 (in {\"crates/airssys-rt/tests/supervision.rs\"})"
        ]
    );
}
