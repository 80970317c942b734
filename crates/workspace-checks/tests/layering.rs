//! The layering of `airssys-rt`: each file imports only from its own layer's unit or from the
//! layers below it.
//!
//! The layers, lowest first, and the folders of `crates/airssys-rt/src` that hold them:
//!
//! | rank | layer | folders |
//! |---|---|---|
//! | 0 | vocabulary | `vocabulary/` |
//! | 1 | kernel | `kernel/` |
//! | 2 | supervision and the services | `supervisor/`, `services/pg/`, `services/broker/`, `services/timer/` |
//! | 3 | routing | `routing/` |
//! | 4 | telemetry views | `telemetry/` |
//! | 5 | the crate root and its prelude | `lib.rs` |
//!
//! A file's layer is its folder's; a `crate::...` path it names (in a `use` or in code, comments
//! and strings left out) is in the layer of the item's folder, the public aliases of `lib.rs`
//! (`crate::actor`, `crate::broker`, `crate::monitoring::crash`, ...) counted in the layer they
//! alias. On rank 2 each service, and supervision, is a unit of its own: they do not use each
//! other, but for the edges listed in [`SIBLING_EDGES`], each with its reason.

use std::collections::{BTreeMap, BTreeSet};

use airssys_workspace_checks::{rust_sources, Source};

const SRC: &str = "crates/airssys-rt/src";

/// The edges allowed between units of the same rank, and why.
const SIBLING_EDGES: &[(&str, &str, &str)] = &[(
    "supervisor",
    "timer",
    "a supervisor's retries and health probes are timers: it uses the crate's own",
)];

/// Where an item sits: its layer's rank, and its unit within that rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    rank: u8,
    unit: &'static str,
}

const VOCABULARY: Place = Place { rank: 0, unit: "vocabulary" };
const KERNEL: Place = Place { rank: 1, unit: "kernel" };
const SUPERVISION: Place = Place { rank: 2, unit: "supervisor" };
const PG: Place = Place { rank: 2, unit: "pg" };
const BROKER: Place = Place { rank: 2, unit: "broker" };
const TIMER: Place = Place { rank: 2, unit: "timer" };
const ROUTING: Place = Place { rank: 3, unit: "routing" };
const TELEMETRY: Place = Place { rank: 4, unit: "telemetry" };
const ROOT: Place = Place { rank: 5, unit: "root" };

/// The layer of a file of `src/`, by its folder.
fn place_of_file(path: &str) -> Option<Place> {
    let relative = path.strip_prefix(SRC)?.trim_start_matches('/');
    let mut parts = relative.split('/');
    let place = match parts.next()? {
        "lib.rs" => ROOT,
        "vocabulary" => VOCABULARY,
        "kernel" => KERNEL,
        "supervisor" => SUPERVISION,
        "routing" => ROUTING,
        "telemetry" => TELEMETRY,
        "services" => match parts.next()? {
            "pg" => PG,
            "broker" => BROKER,
            "timer" => TIMER,
            // `services/mod.rs` only declares the services.
            "mod.rs" => ROOT,
            _ => return None,
        },
        _ => return None,
    };
    Some(place)
}

/// The layer of the item a `crate::` path names, from its segments after `crate`.
fn place_of_path(segments: &[&str]) -> Option<Place> {
    let first = *segments.first()?;
    let place = match first {
        "vocabulary" => VOCABULARY,
        "kernel" | "actor" | "mailbox" | "message" | "signal" | "system" | "registry"
        | "dead_letter" => KERNEL,
        "supervisor" => SUPERVISION,
        "pg" => PG,
        "broker" => BROKER,
        "timer" => TIMER,
        "services" => match segments.get(1).copied() {
            Some("pg") => PG,
            Some("broker") => BROKER,
            Some("timer") => TIMER,
            _ => return None,
        },
        "router" | "routing" => ROUTING,
        // The kernel writes crash reports, counts statistics and opens spans: the telemetry
        // module shows them under its name, but they are the kernel's.
        "telemetry" | "monitoring" => match segments.get(1).copied() {
            Some("crash" | "stats" | "trace") => KERNEL,
            _ => TELEMETRY,
        },
        "prelude" => ROOT,
        // The root's re-exports of the kernel's main types.
        "Actor" | "ActorId" | "ActorRef" | "ActorState" | "Context" | "ExitReason"
        | "WeakActorRef" | "ActorSystem" | "SystemBuilder" => KERNEL,
        _ => return None,
    };
    Some(place)
}

/// Whether a file in `from` may name an item in `to`.
fn allowed(from: Place, to: Place) -> bool {
    if from.rank == ROOT.rank || to.rank < from.rank || to.unit == from.unit {
        return true;
    }
    to.rank == from.rank
        && SIBLING_EDGES.iter().any(|(user, used, _)| *user == from.unit && *used == to.unit)
}

/// The text with comments, string and char literals blanked out, lines kept in place.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match skipped_until(&chars, i) {
            Some(end) => {
                let end = end.min(chars.len());
                out.extend(chars[i..end].iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// Where the comment or literal that starts at `i` ends (one past it), if one starts there.
fn skipped_until(chars: &[char], i: usize) -> Option<usize> {
    let next = chars.get(i + 1).copied();
    match (chars[i], next) {
        ('/', Some('/')) => Some(find_from(chars, i, |c, _| c == '\n').unwrap_or(chars.len())),
        ('/', Some('*')) => Some(block_comment_end(chars, i)),
        ('r', Some('"' | '#')) if !is_ident_char(i.checked_sub(1).and_then(|p| chars.get(p))) => {
            raw_string_end(chars, i)
        }
        ('"', _) => Some(string_end(chars, i + 1)),
        // A char literal ('"', '\n', '\''), not a lifetime.
        ('\'', _) if chars.get(i + 2) == Some(&'\'') || next == Some('\\') => {
            let start = if next == Some('\\') { i + 3 } else { i + 2 };
            Some(find_from(chars, start, |c, _| c == '\'').map_or(chars.len(), |end| end + 1))
        }
        _ => None,
    }
}

/// The first index from `start` whose char satisfies `found`.
fn find_from(chars: &[char], start: usize, found: impl Fn(char, usize) -> bool) -> Option<usize> {
    (start..chars.len()).find(|&j| found(chars[j], j))
}

/// One past the end of the block comment at `i`, nested comments included.
fn block_comment_end(chars: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// One past the closing quote of the string whose text starts at `i`.
fn string_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i] != '"' {
        i += if chars[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// One past the end of the raw string (`r"..."`, `r#"..."#`) at `i`, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    let open = i + 1 + hashes;
    if chars.get(open) != Some(&'"') {
        return None;
    }
    let close = find_from(chars, open + 1, |c, j| {
        c == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#'))
    });
    Some(close.map_or(chars.len(), |close| close + 1 + hashes))
}

fn is_ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Every `crate::...` path the code names, as (line, segments after `crate`), with
/// `crate::{a::b, c}` groups expanded.
fn crate_paths(code: &str) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i + 7 <= bytes.len() {
        let at_word_start = !is_ident_char(i.checked_sub(1).and_then(|p| bytes.get(p)));
        if at_word_start && bytes[i..i + 7].iter().collect::<String>() == "crate::" {
            let line = bytes[..i].iter().filter(|&&c| c == '\n').count() + 1;
            let (paths, end) = parse_tree(&bytes, i + 7);
            found.extend(paths.into_iter().filter(|p| !p.is_empty()).map(|p| (line, p)));
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// Parses a use tree (`a::b`, `a::{b, c::d}`, `a::*`) from `start`; its paths and where it ends.
fn parse_tree(chars: &[char], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut i = start;
    let mut prefix: Vec<String> = Vec::new();
    loop {
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if chars.get(i) == Some(&'{') {
            let mut paths = Vec::new();
            i += 1;
            loop {
                while chars.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    i += 1;
                }
                match chars.get(i) {
                    None => return (paths, i),
                    Some('}') => return (paths, i + 1),
                    _ => {}
                }
                let (inner, end) = parse_tree(chars, i);
                if end == i {
                    // Nothing parsable: skip a character rather than loop.
                    i += 1;
                    continue;
                }
                for path in inner {
                    let mut full = prefix.clone();
                    full.extend(path);
                    paths.push(full);
                }
                i = end;
            }
        }
        let word_start = i;
        while chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '*') {
            i += 1;
        }
        if i == word_start {
            return (vec![prefix], i);
        }
        let word: String = chars[word_start..i].iter().collect();
        if word != "self" && word != "*" {
            prefix.push(word);
        }
        let mut j = i;
        while chars.get(j).is_some_and(|c| c.is_whitespace()) {
            j += 1;
        }
        if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
            i = j + 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// One import that breaks the layering.
#[derive(Debug)]
struct Violation {
    file: String,
    line: usize,
    path: String,
    from: Place,
    to: Option<Place>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to {
            Some(to) => write!(
                f,
                "{}:{}: {} (rank {}) -> {} (rank {}) through `{}`",
                self.file, self.line, self.from.unit, self.from.rank, to.unit, to.rank, self.path
            ),
            None => write!(
                f,
                "{}:{}: `{}` names no known layer: add it to place_of_path",
                self.file, self.line, self.path
            ),
        }
    }
}

/// The edges of each file between units, with every import that breaks the layering.
fn check(sources: &[Source]) -> (BTreeMap<&'static str, BTreeSet<&'static str>>, Vec<Violation>) {
    let mut edges: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    let mut violations = Vec::new();
    for source in sources {
        let Some(from) = place_of_file(&source.path) else {
            violations.push(Violation {
                file: source.path.clone(),
                line: 1,
                path: String::from("(its folder, which is in no layer: add it to place_of_file)"),
                from: ROOT,
                to: None,
            });
            continue;
        };
        let code = code_only(&source.text);
        // `super::` stays within a file's own module and its parent, both in its folder's
        // layer; `super::super::` could climb out of it unseen, so it is refused outright.
        for (index, text) in code.lines().enumerate() {
            if text.contains("super::super") {
                violations.push(Violation {
                    file: source.path.clone(),
                    line: index + 1,
                    path: String::from("super::super (name the item by its crate:: path)"),
                    from,
                    to: None,
                });
            }
        }
        for (line, segments) in crate_paths(&code) {
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            let to = place_of_path(&segments);
            if let Some(to) = to {
                if to.unit != from.unit {
                    edges.entry(from.unit).or_default().insert(to.unit);
                }
                if allowed(from, to) {
                    continue;
                }
            }
            violations.push(Violation {
                file: source.path.clone(),
                line,
                path: format!("crate::{}", segments.join("::")),
                from,
                to,
            });
        }
    }
    (edges, violations)
}

/// A loop in the graph of units, if there is one, as the units along it.
fn find_loop(edges: &BTreeMap<&'static str, BTreeSet<&'static str>>) -> Option<Vec<&'static str>> {
    fn visit(
        unit: &'static str,
        edges: &BTreeMap<&'static str, BTreeSet<&'static str>>,
        path: &mut Vec<&'static str>,
        done: &mut BTreeSet<&'static str>,
    ) -> Option<Vec<&'static str>> {
        if let Some(at) = path.iter().position(|u| *u == unit) {
            let mut cycle = path[at..].to_vec();
            cycle.push(unit);
            return Some(cycle);
        }
        if !done.insert(unit) {
            return None;
        }
        path.push(unit);
        for next in edges.get(unit).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|unit| visit(unit, edges, &mut Vec::new(), &mut done))
}

#[test]
fn every_file_of_the_runtime_imports_only_from_below() {
    let sources = rust_sources(SRC);
    assert!(sources.len() > 20, "found only {} files under {SRC}", sources.len());
    let (_, violations) = check(&sources);
    let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(listed.is_empty(), "imports against the layering:\n{}", listed.join("\n"));
}

#[test]
fn the_units_of_the_runtime_form_no_import_loop() {
    let (edges, _) = check(&rust_sources(SRC));
    assert_eq!(find_loop(&edges), None, "edges between units: {edges:?}");
}

fn source(path: &str, text: &str) -> Source {
    Source { path: format!("{SRC}/{path}"), text: text.to_string() }
}

#[test]
fn a_kernel_file_naming_a_service_is_caught_with_its_line() {
    let sources = [source(
        "kernel/mailbox/queue.rs",
        "use std::sync::Arc;\n\nuse crate::kernel::actor::ActorId;\nuse crate::timer::IdleTimer;\n",
    )];
    let (_, violations) = check(&sources);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].line, 4);
    assert_eq!(violations[0].to, Some(TIMER));
}

#[test]
fn paths_in_code_and_in_use_groups_count_and_comments_and_strings_do_not() {
    let text = "use crate::{kernel::actor, services::{pg::ProcessGroups, timer}};\n\
                // crate::broker::Broker in a comment\n\
                /* crate::router::Router */\n\
                let s = \"crate::telemetry::health\";\n\
                fn f() { crate::broker::Broker::<u8>::new(); }\n";
    let paths: Vec<(usize, String)> = crate_paths(&code_only(text))
        .into_iter()
        .map(|(line, segments)| (line, segments.join("::")))
        .collect();
    assert_eq!(
        paths,
        [
            (1, "kernel::actor".to_string()),
            (1, "services::pg::ProcessGroups".to_string()),
            (1, "services::timer".to_string()),
            (5, "broker::Broker".to_string()),
        ]
    );
}

#[test]
fn raw_strings_char_literals_and_nested_comments_are_left_out() {
    let text =
        "let a = r#\"crate::broker\"#; let q = '\"'; /* /* crate::timer */ */ crate::pg::X;\n";
    let paths: Vec<String> = crate_paths(&code_only(text))
        .into_iter()
        .map(|(_, segments)| segments.join("::"))
        .collect();
    assert_eq!(paths, ["pg::X"]);
    assert_eq!(code_only(text).len(), text.len());
}

#[test]
fn services_do_not_use_each_other_but_supervision_may_use_timers() {
    assert!(!allowed(BROKER, TIMER));
    assert!(!allowed(PG, BROKER));
    assert!(!allowed(TIMER, SUPERVISION));
    assert!(allowed(SUPERVISION, TIMER));
    assert!(allowed(ROUTING, SUPERVISION));
    assert!(!allowed(VOCABULARY, KERNEL));
    assert!(!allowed(KERNEL, TELEMETRY));
    // The kernel's own share of telemetry, named through its public alias, stays the kernel's.
    assert_eq!(place_of_path(&["monitoring", "crash", "CrashReport"]), Some(KERNEL));
    assert_eq!(place_of_path(&["telemetry", "inspect"]), Some(TELEMETRY));
}

#[test]
fn climbing_out_of_a_folder_with_super_super_is_caught() {
    let sources = [source("kernel/actor/cell.rs", "use super::super::services::timer;\n")];
    let (_, violations) = check(&sources);
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].to, None);
}

#[test]
fn a_loop_between_units_is_found() {
    let mut edges: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    edges.entry("kernel").or_default().insert("timer");
    edges.entry("timer").or_default().insert("kernel");
    let cycle = find_loop(&edges).expect("a loop");
    assert_eq!(cycle.first(), cycle.last());
}
