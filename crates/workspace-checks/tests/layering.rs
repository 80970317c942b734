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
//!
//! A second check holds the kernel interface: a file above the kernel uses the kernel and the
//! vocabulary through their public items only, never what they declare `pub(crate)`,
//! `pub(super)` or `pub(in ...)` (see "the kernel interface" below for its heuristic).

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
        // A glob's `*` is kept as the last segment: the kernel-interface check must see it.
        if word != "self" {
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

// ---------------------------------------------------------------- the kernel interface
//
// A file above the kernel (supervision, the services, routing, telemetry, the crate root) uses
// the kernel and the vocabulary through their public items only: what `pub(crate)`,
// `pub(super)` or `pub(in ...)` declares there is the kernel's own business, even though the
// compiler lets every file of the crate see it.
//
// The heuristic, line by line over the code (comments and literals left out):
// - the **restricted names** are the names the kernel and the vocabulary declare with a
//   restricted visibility (fns, types, traits, consts, statics, modules, fields, methods,
//   `pub(crate) use` re-exports), minus every name they also declare `pub` somewhere, so that a
//   common name (`new`, `id`, `len`) never fires;
// - a **free item** (declared outside any `impl` or struct) is reachable from another layer only
//   by naming it in a path, so it counts only as a segment of a `crate::...` path into the
//   kernel or the vocabulary (in a `use` or in code): a service's own item of the same name is
//   never taken for it;
// - a **member** (method, associated fn, field) counts only when its type is public: a member
//   of a restricted type can only be reached through a value obtained by a restricted name,
//   which is reported where it is obtained. It counts as `.name` when it takes `self` (or is a
//   field), and as `Owner::name` in every case.
//
// - a name the file imports from the kernel may qualify a restricted one further on, at the
//   head of the path or just before the name (`kernel::stats::snapshot` after
//   `use crate::kernel`, `stats::snapshot` after `use ...::stats`), and so may its `use ... as`
//   alias (`Id::next` after `use crate::actor::ActorId as Id`);
// - in an upper layer's `impl` of a kernel type, `Self::name` names that type's member;
// - after a glob import from the kernel (`use crate::actor::*`), a bare restricted free name
//   declared under the globbed module counts, unless the file's unit declares it too.
//
// What it cannot see: a restricted method reached through a public trait or a `type` alias, a
// macro that expands to a restricted name, and a `.name` of a restricted member that is in fact
// a namesake of an upper layer's own type (the check then fires; rename one, or make the
// kernel's public).

/// Modules of the vocabulary that are no kernel state but helpers every layer may share:
/// (file, module, why). Their restricted items are not the kernel's business.
const UTILITIES: &[(&str, &str, &str)] = &[(
    "vocabulary/tree.rs",
    "tree",
    "clone, compare, print and drop a recursive tree without recursion (health reports, the \
     inspection's actor tree): no kernel state, only a way to walk a tree whatever its depth",
)];

/// Where a restricted name is declared.
#[derive(Debug, Clone)]
struct Declared {
    file: String,
    line: usize,
}

/// A restricted member of a public type.
#[derive(Debug, Clone)]
struct Member {
    owner: String,
    takes_self: bool,
    /// Whether the kernel or the vocabulary also declares a public item of this name: a
    /// `.name` is then not taken for this one; an `Owner::name` still is.
    public_namesake: bool,
    declared: Declared,
}

/// The names the kernel and the vocabulary keep to themselves.
#[derive(Debug, Default)]
struct KernelPrivate {
    free: BTreeMap<String, Declared>,
    members: BTreeMap<String, Vec<Member>>,
}

/// The visibility a declaration line starts with: restricted (`true`) or `pub` (`false`), and
/// the rest of the line.
fn visibility(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix("pub(") {
        let close = rest.find(')')?;
        return Some((true, rest[close + 1..].trim_start()));
    }
    line.strip_prefix("pub ").map(|rest| (false, rest.trim_start()))
}

/// The leading identifier of `text`.
fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The names a declaration (after its visibility) declares: an item's name, a field's, or the
/// last segment of each path a `use` re-exports.
fn declared_names(rest: &str) -> Vec<String> {
    let mut rest = rest;
    // `const fn`, `async fn`, `unsafe fn` (a `const NAME` keeps its keyword).
    while let Some(after) = ["async ", "unsafe ", "const "]
        .iter()
        .find_map(|q| rest.strip_prefix(q))
        .filter(|after| ["fn ", "async ", "unsafe "].iter().any(|k| after.starts_with(k)))
    {
        rest = after;
    }
    if let Some(tree) = rest.strip_prefix("use ") {
        let chars: Vec<char> = tree.chars().collect();
        let (paths, _) = parse_tree(&chars, 0);
        return paths
            .into_iter()
            .filter_map(|path| path.last().cloned())
            .filter(|n| n != "*")
            .collect();
    }
    let keywords = ["fn ", "struct ", "enum ", "trait ", "type ", "const ", "static ", "mod "];
    if let Some(after) = keywords.iter().find_map(|k| rest.strip_prefix(k)) {
        return vec![ident(after.trim_start()).to_string()];
    }
    let field = ident(rest);
    if !field.is_empty() && rest[field.len()..].trim_start().starts_with(':') {
        return vec![field.to_string()];
    }
    Vec::new()
}

/// The type an `impl` line is for: `impl<T> Trait for Owner<T> {` gives `Owner`.
fn impl_owner(line: &str) -> String {
    let head = line.split(" for ").last().unwrap_or(line);
    let head = head.trim_start_matches("impl").trim_start();
    // Skip the impl's own generics, `<...>`.
    let head = if head.starts_with('<') {
        let mut depth = 0;
        let end = head
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '<' => 1,
                    '>' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map_or(head.len(), |(i, _)| i + 1);
        head[end..].trim_start()
    } else {
        head
    };
    let path = head.split(['<', ' ', '{']).next().unwrap_or(head);
    path.rsplit("::").next().unwrap_or(path).to_string()
}

/// The restricted names of the kernel's and the vocabulary's files among `sources`.
fn kernel_private(sources: &[Source]) -> KernelPrivate {
    let mut private = KernelPrivate::default();
    let mut public = BTreeSet::new();
    let mut public_types = BTreeSet::new();
    let mut restricted_members = Vec::new();
    for source in sources {
        let in_kernel = place_of_file(&source.path).is_some_and(|place| place.rank <= KERNEL.rank);
        if !in_kernel || UTILITIES.iter().any(|(file, _, _)| source.path.ends_with(file)) {
            continue;
        }
        let code = code_only(&source.text);
        let lines: Vec<&str> = code.lines().collect();
        // The enclosing `impl` or struct body: its indentation and its type.
        let mut owners: Vec<(usize, String)> = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let text = line.trim();
            if text.starts_with('}') && owners.last().is_some_and(|(at, _)| *at == indent) {
                owners.pop();
                continue;
            }
            if (text.starts_with("impl ") || text.starts_with("impl<")) && text.ends_with('{') {
                owners.push((indent, impl_owner(text)));
                continue;
            }
            let Some((restricted, rest)) = visibility(text) else {
                if let Some(after) = text.strip_prefix("struct ") {
                    if text.ends_with('{') {
                        owners.push((indent, ident(after).to_string()));
                    }
                }
                continue;
            };
            let names = declared_names(rest);
            let owner = owners.last().filter(|(at, _)| *at < indent).map(|(_, owner)| owner);
            if !restricted {
                if ["struct ", "enum ", "trait "].iter().any(|k| rest.starts_with(k)) {
                    public_types.extend(names.iter().cloned());
                }
                public.extend(names);
            } else {
                let declared = Declared { file: source.path.clone(), line: index + 1 };
                // A method's signature may span lines: it ends at its body or its `;`.
                let signature: String = lines[index..]
                    .iter()
                    .take_while(|l| !l.contains(['{', ';']))
                    .chain(lines[index..].iter().find(|l| l.contains(['{', ';'])))
                    .copied()
                    .collect();
                let takes_self = !rest.starts_with("fn ")
                    && !rest.contains(" fn ")
                    && !rest.starts_with("const ")
                    || signature.contains("self");
                let utility_module = |name: &str| {
                    rest.starts_with("mod ")
                        && UTILITIES.iter().any(|(_, module, _)| *module == name)
                };
                for name in names.into_iter().filter(|name| !utility_module(name)) {
                    match owner {
                        Some(owner) => restricted_members.push((
                            name,
                            Member {
                                owner: owner.clone(),
                                takes_self,
                                public_namesake: false,
                                declared: declared.clone(),
                            },
                        )),
                        None => {
                            private.free.entry(name).or_insert_with(|| declared.clone());
                        }
                    }
                }
            }
            if let Some(after) = rest.strip_prefix("struct ").filter(|_| text.ends_with('{')) {
                owners.push((indent, ident(after.trim_start()).to_string()));
            }
        }
    }
    private.free.retain(|name, _| !public.contains(name));
    for (name, mut member) in restricted_members {
        if public_types.contains(&member.owner) {
            member.public_namesake = public.contains(&name);
            private.members.entry(name).or_default().push(member);
        }
    }
    private
}

/// One use of a restricted name of the kernel by a file above it.
#[derive(Debug)]
struct PrivateUse {
    file: String,
    line: usize,
    item: String,
    declared: Declared,
}

impl std::fmt::Display for PrivateUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: `{}`, which {}:{} declares with a restricted visibility",
            self.file, self.line, self.item, self.declared.file, self.declared.line
        )
    }
}

/// Every use, by a file above the kernel, of a name the kernel keeps to itself.
fn private_uses(sources: &[Source]) -> Vec<PrivateUse> {
    let private = kernel_private(sources);
    let own_members = members_by_unit(sources);
    let mut uses = Vec::new();
    for source in sources {
        let Some(place) = place_of_file(&source.path).filter(|place| place.rank > KERNEL.rank)
        else {
            continue;
        };
        let code = without_unit_tests(&code_only(&source.text));
        let mut found = |line: usize, item: String, declared: &Declared| {
            uses.push(PrivateUse {
                file: source.path.clone(),
                line,
                item,
                declared: declared.clone(),
            });
        };
        // What the file names from the kernel: a restricted one is a finding, and any one may
        // qualify a restricted name further on (`stats::snapshot` after `use ...::stats`).
        let mut imported = BTreeSet::new();
        // The kernel modules the file glob-imports, as folders below `kernel/` or `vocabulary/`.
        let mut globbed = Vec::new();
        for (line, segments) in crate_paths(&code) {
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            if place_of_path(&segments).is_none_or(|place| place.rank > KERNEL.rank) {
                continue;
            }
            if let Some((_, module)) = segments.split_last().filter(|(last, _)| **last == "*") {
                globbed.push(kernel_folder(module));
            }
            imported.extend(segments.last().map(|name| name.to_string()));
            // The first restricted segment: what follows it is reached through it.
            if let Some(declared) = segments.iter().find_map(|s| private.free.get(*s)) {
                found(line, format!("crate::{}", segments.join("::")), declared);
            }
        }
        let aliases = aliases_of(&code, &imported);
        imported.extend(aliases.keys().cloned());
        let own = own_members.get(place.unit);
        // The type of the `impl` block the line is in: an upper layer may add an inherent impl
        // to a kernel type (`impl ActorSystem` in telemetry), where `Self::name` names its own.
        let mut in_impl = String::new();
        for (index, text) in code.lines().enumerate() {
            let trimmed = text.trim_start();
            if trimmed.starts_with("impl ") || trimmed.starts_with("impl<") {
                in_impl = impl_owner(trimmed);
            }
            for (start, word) in identifiers(text) {
                let before = text[..start].trim_end();
                let qualifier = qualifier(before).map(|q| match q {
                    "Self" => in_impl.as_str(),
                    _ => aliases.get(q).map_or(q, String::as_str),
                });
                if let Some(declared) = private.free.get(word) {
                    let chain = qualifiers(before);
                    let named = |q: Option<&&str>| q.is_some_and(|q| imported.contains(*q));
                    let through_import = named(chain.first()) || named(chain.last());
                    let through_glob = chain.is_empty()
                        && !before.ends_with('.')
                        && !own.is_some_and(|own| own.contains(word))
                        && globbed.iter().any(|module| declared_under(declared, module));
                    if through_import || through_glob {
                        let path: String = chain.iter().map(|q| format!("{q}::")).collect();
                        found(index + 1, format!("{path}{word}"), declared);
                    }
                    continue;
                }
                let Some(members) = private.members.get(word) else {
                    continue;
                };
                // A `.name` its own unit declares is taken for its own.
                let own_namesake = own.is_some_and(|own| own.contains(word));
                let member = members.iter().find(|member| {
                    let method = member.takes_self && !member.public_namesake && !own_namesake;
                    (before.ends_with('.') && method) || qualifier == Some(member.owner.as_str())
                });
                if let Some(member) = member {
                    found(index + 1, format!("{}::{word}", member.owner), &member.declared);
                }
            }
        }
    }
    uses
}

/// The path segment that qualifies the name after `before` (`Owner` in `Owner::name` and in
/// `Owner::<T>::name`), if `before` ends with `::`.
fn qualifier(before: &str) -> Option<&str> {
    let mut head = before.strip_suffix("::")?.trim_end();
    // A turbofish: `Owner::<T>::`.
    if let Some(open) = head.strip_suffix('>').and_then(|_| head.find("::<")) {
        head = &head[..open];
    }
    let start = head.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    Some(&head[start..])
}

/// Every path segment that qualifies the name after `before`, outermost first
/// (`["kernel", "stats"]` for `kernel::stats::name`); empty if `before` does not end with `::`.
fn qualifiers(before: &str) -> Vec<&str> {
    let mut chain = Vec::new();
    let mut rest = before;
    while let Some(segment) = qualifier(rest).filter(|segment| !segment.is_empty()) {
        chain.push(segment);
        // `segment` is a slice of `rest`: what precedes it may qualify it in turn.
        let at = segment.as_ptr() as usize - rest.as_ptr() as usize;
        rest = rest[..at].trim_end();
    }
    chain.reverse();
    chain
}

/// The `use ... as` aliases of names the file imports from the kernel: alias -> name.
fn aliases_of(code: &str, imported: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    for text in code.lines() {
        let words: Vec<(usize, &str)> = identifiers(text).collect();
        for pair in words.windows(3) {
            let [(at, name), (as_at, word), (_, alias)] = pair else {
                continue;
            };
            let between = &text[at + name.len()..*as_at];
            if *word == "as" && between.trim().is_empty() && imported.contains(*name) {
                aliases.insert(alias.to_string(), name.to_string());
            }
        }
    }
    aliases
}

/// The folder below `kernel/` or `vocabulary/` a module path into them names
/// (`actor` for `crate::kernel::actor`, `stats` for `crate::telemetry::stats`).
fn kernel_folder(module: &[&str]) -> String {
    let rest = match module {
        ["kernel" | "vocabulary" | "telemetry" | "monitoring", rest @ ..] => rest,
        _ => module,
    };
    rest.join("/")
}

/// Whether `declared` is in the module whose folder is `module` (or in its file).
fn declared_under(declared: &Declared, module: &str) -> bool {
    let relative = ["/kernel/", "/vocabulary/"]
        .iter()
        .find_map(|layer| declared.file.split_once(layer).map(|(_, rest)| rest));
    relative.is_some_and(|relative| {
        module.is_empty()
            || relative == format!("{module}.rs")
            || relative.starts_with(&format!("{module}/"))
    })
}

/// The code before a file's `#[cfg(test)]` module: unit tests may look inside the kernel.
fn without_unit_tests(code: &str) -> String {
    let lines: Vec<&str> = code.lines().collect();
    let end = (0..lines.len())
        .find(|&i| {
            lines[i].trim() == "#[cfg(test)]"
                && lines.get(i + 1).is_some_and(|next| next.trim_start().starts_with("mod "))
        })
        .unwrap_or(lines.len());
    lines[..end].join("\n")
}

/// The methods and fields each unit above the kernel declares, whatever their visibility.
fn members_by_unit(sources: &[Source]) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut members: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for source in sources {
        let Some(place) = place_of_file(&source.path).filter(|place| place.rank > KERNEL.rank)
        else {
            continue;
        };
        for line in code_only(&source.text).lines() {
            let text = line.trim_start();
            let text = visibility(text).map_or(text, |(_, rest)| rest);
            members.entry(place.unit).or_default().extend(declared_names(text));
        }
    }
    members
}

/// The identifiers of a line, with where each starts.
fn identifiers(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + text[at..].find(|c: char| c.is_alphabetic() || c == '_')?;
        let len = ident(&text[start..]).len();
        at = start + len;
        let preceded_by_digit = text[..start].chars().last().is_some_and(|c| c.is_ascii_digit());
        Some((start, if preceded_by_digit { "" } else { &text[start..start + len] }))
    })
}

#[test]
fn no_file_above_the_kernel_uses_a_name_the_kernel_keeps_to_itself() {
    let sources = rust_sources(SRC);
    let uses = private_uses(&sources);
    let found: Vec<String> = uses.iter().map(ToString::to_string).collect();
    assert!(
        found.is_empty(),
        "kernel-private items used above the kernel (make them a documented part of the kernel \
         interface, or do without):\n{}",
        found.join("\n")
    );
}

/// A kernel file for the self-tests: restricted items, public namesakes, a restricted type.
const FAKE_KERNEL: &str = "\
pub struct ActorRef<A> { a: A }
pub struct ActorId(u64);
pub(crate) struct Mailbox;
impl<A> ActorRef<A> {
    pub(crate) fn cell(&self) -> u8 { 0 }
    pub fn id(&self) -> u8 { 0 }
}
impl ActorId {
    pub(crate) fn next() -> Self { ActorId(0) }
    pub(crate) fn id(&self) -> u64 { 0 }
}
impl Mailbox {
    pub(crate) fn push(&self) {}
}
pub(crate) fn instant_after(delay: u64) -> u64 { delay }
";

fn private_uses_listed(sources: &[Source]) -> Vec<(String, usize, String)> {
    private_uses(sources)
        .into_iter()
        .map(|found| (found.file.trim_start_matches(SRC).to_string(), found.line, found.item))
        .collect()
}

#[test]
fn a_service_using_a_kernel_private_item_is_caught_and_a_public_namesake_is_not() {
    let service = "\
use crate::actor::{instant_after, ActorRef};
fn f(r: &ActorRef<u8>, it: &mut std::vec::IntoIter<u8>, v: &mut Vec<u8>) {
    let _ = r.cell();
    let _ = r.id();
    let _ = it.next();
    let _ = crate::actor::ActorId::next();
    v.push(1);
    // r.cell() in a comment, and in a string:
    let _ = \"instant_after\";
}
";
    let sources =
        [source("kernel/actor/cell.rs", FAKE_KERNEL), source("services/timer/x.rs", service)];
    let timer = "/services/timer/x.rs".to_string();
    assert_eq!(
        private_uses_listed(&sources),
        [
            (timer.clone(), 1, "crate::actor::instant_after".to_string()),
            (timer.clone(), 3, "ActorRef::cell".to_string()),
            (timer, 6, "ActorId::next".to_string()),
        ]
    );
}

#[test]
fn a_units_own_namesake_and_its_unit_tests_are_not_taken_for_the_kernels() {
    let routing = "\
struct Table;
impl Table {
    fn cell(&self) -> u8 { 0 }
    fn f(&self) -> u8 { self.cell() }
}

#[cfg(test)]
mod tests {
    use crate::actor::instant_after;
}
";
    // The timer declares no `cell` of its own: its `.cell()` is the kernel's.
    let timer = "fn f(r: &crate::actor::ActorRef<u8>) -> u8 { r.cell() }\n";
    let sources = [
        source("kernel/actor/cell.rs", FAKE_KERNEL),
        source("routing/router/table.rs", routing),
        source("services/timer/x.rs", timer),
    ];
    assert_eq!(
        private_uses_listed(&sources),
        [("/services/timer/x.rs".to_string(), 1, "ActorRef::cell".to_string())]
    );
}

#[test]
fn the_kernels_own_files_and_its_shared_utilities_may_use_its_restricted_items() {
    let kernel_user = "use crate::actor::instant_after;\nfn f() { instant_after(1); }\n";
    let tree = "pub(crate) fn copy() {}\n";
    let telemetry = "use crate::vocabulary::tree;\nfn f() { tree::copy(); }\n";
    let sources = [
        source("kernel/actor/cell.rs", FAKE_KERNEL),
        source("kernel/actor/idle.rs", kernel_user),
        source("vocabulary/tree.rs", tree),
        source("vocabulary/mod.rs", "pub(crate) mod tree;\n"),
        source("telemetry/inspect.rs", telemetry),
    ];
    assert_eq!(private_uses_listed(&sources), []);
}

#[test]
fn a_kernel_private_item_reached_through_a_module_path_an_alias_a_glob_or_self_is_caught() {
    let service = "\
use crate::kernel;
use crate::actor::ActorId as Id;
use crate::kernel::actor::{ActorRef as Handle};
fn f(r: &Handle<u8>) {
    let _ = kernel::actor::instant_after(1);
    let _ = Id::next();
    let _ = Handle::cell(r);
}
";
    let globbing = "use crate::kernel::actor::*;\nfn f() -> u64 { instant_after(1) }\n";
    // A glob of another module, and a unit's own namesake after a glob, are no findings.
    let elsewhere = "use crate::kernel::mailbox::*;\nfn f() -> u64 { instant_after(1) }\n";
    let own = "use crate::actor::*;\nfn instant_after(d: u64) -> u64 { d }\nfn g() { instant_after(2); }\n";
    let sources = [
        source("kernel/actor/cell.rs", FAKE_KERNEL),
        source("services/timer/x.rs", service),
        source("services/pg/x.rs", globbing),
        source("services/broker/x.rs", elsewhere),
        source("routing/x.rs", own),
        source("telemetry/x.rs", "impl ActorId {\n    fn fresh() -> Self { Self::next() }\n}\n"),
    ];
    let timer = "/services/timer/x.rs".to_string();
    assert_eq!(
        private_uses_listed(&sources),
        [
            (timer.clone(), 5, "kernel::actor::instant_after".to_string()),
            (timer.clone(), 6, "ActorId::next".to_string()),
            (timer, 7, "ActorRef::cell".to_string()),
            ("/services/pg/x.rs".to_string(), 2, "instant_after".to_string()),
            ("/telemetry/x.rs".to_string(), 2, "ActorId::next".to_string()),
        ]
    );
}

#[test]
fn a_turbofish_still_names_its_owner() {
    assert_eq!(qualifier("ActorRef::<Supervisor>::"), Some("ActorRef"));
    assert_eq!(qualifier("crate::actor::ActorId::"), Some("ActorId"));
    assert_eq!(qualifier("r."), None);
    assert_eq!(qualifiers("kernel::stats::"), ["kernel", "stats"]);
    assert_eq!(
        qualifiers("crate::actor::ActorRef::<Supervisor>::"),
        ["crate", "actor", "ActorRef"]
    );
    assert!(qualifiers("r.").is_empty());
}
