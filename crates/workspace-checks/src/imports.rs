//! §2.1 of the AirsSys standards: `use` items in three groups, in this order, separated by one
//! blank line: the standard library (`std`, `core`, `alloc`), then third-party crates, then this
//! crate (`crate::`, `super::`, `self::` and the modules the file declares).
//!
//! The parsing is line-based, as rustfmt leaves the code: a `use` starts a line and ends at the
//! line that ends with `;`. Comment and attribute lines right above a `use` belong to it and move
//! with it, all the lines of an attribute that rustfmt wrapped included. A run of `use` items at one indentation, with only blank, comment and attribute
//! lines between them, is a block; anything else (a `mod` line, an item, a statement) ends it,
//! and so does a change between imports and re-exports (`pub use`, `pub(crate) use`): the
//! re-exports of a module are a list of their own, grouped the same way.
//!
//! A blank line inside a group is allowed only next to an attributed `use`, where it sets
//! apart alternatives such as `#[cfg(feature = "x")]` and `#[cfg(not(feature = "x"))]`.

use std::collections::HashSet;

/// Which of the three groups a `use` belongs to; they must come in this order.
///
/// ```
/// use airssys_workspace_checks::imports::ImportGroup;
/// assert!(ImportGroup::Std < ImportGroup::ThirdParty);
/// assert!(ImportGroup::ThirdParty < ImportGroup::Local);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImportGroup {
    /// `std`, `core`, `alloc`.
    Std,
    /// Any other crate.
    ThirdParty,
    /// This crate: `crate::`, `super::`, `self::`, a module the file declares, or a local type.
    Local,
}

impl ImportGroup {
    fn describe(self) -> &'static str {
        match self {
            ImportGroup::Std => "std",
            ImportGroup::ThirdParty => "third-party",
            ImportGroup::Local => "this crate",
        }
    }
}

/// One `use` item with the comment and attribute lines attached above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseItem {
    /// The 1-based line where the `use` keyword is.
    pub line: usize,
    /// Blank lines between the previous item of the block and this one (0 for the first).
    pub blank_lines_before: usize,
    /// The item's lines: attached comments and attributes, then the `use` itself.
    pub lines: Vec<String>,
    /// Its group.
    pub group: ImportGroup,
}

impl UseItem {
    /// Whether an attribute line (`#[cfg(...)]`, ...) comes with it.
    ///
    /// ```
    /// use airssys_workspace_checks::imports::use_blocks;
    /// let blocks = use_blocks("#[cfg(test)]\nuse std::fmt;\n");
    /// assert!(blocks[0].items[0].has_attribute());
    /// ```
    pub fn has_attribute(&self) -> bool {
        self.lines.iter().any(|line| line.trim_start().starts_with("#["))
    }
}

/// A run of `use` items at one indentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseBlock {
    /// 0-based index of the block's first line (an attached comment or attribute, or the `use`).
    pub start: usize,
    /// 0-based index one past the block's last line.
    pub end: usize,
    /// Its items, in the file's order.
    pub items: Vec<UseItem>,
}

/// The `use` blocks of a Rust source, at every indentation.
///
/// ```
/// use airssys_workspace_checks::imports::{use_blocks, ImportGroup};
/// let blocks = use_blocks("use std::fmt;\n\nuse tokio::sync;\n\nfn main() {}\n");
/// assert_eq!(blocks.len(), 1);
/// let groups: Vec<_> = blocks[0].items.iter().map(|item| item.group).collect();
/// assert_eq!(groups, [ImportGroup::Std, ImportGroup::ThirdParty]);
/// ```
pub fn use_blocks(text: &str) -> Vec<UseBlock> {
    let lines: Vec<&str> = text.lines().collect();
    let local = declared_modules(&lines);
    let attributes = attribute_lines(&lines);
    let mut blocks = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if use_path(lines[index]).is_some() {
            let block = block_at(&lines, &attributes, index, &local);
            index = block.end;
            blocks.push(block);
        } else {
            index += 1;
        }
    }
    blocks
}

/// Every break of §2.1 in a Rust source, as `(1-based line, what is wrong)`.
///
/// ```
/// use airssys_workspace_checks::imports::group_violations;
/// assert!(group_violations("use std::fmt;\n\nuse tokio::sync;\n").is_empty());
/// let wrong = group_violations("use crate::x;\nuse std::fmt;\n");
/// assert_eq!(wrong.len(), 1);
/// assert_eq!(wrong[0].0, 2);
/// ```
pub fn group_violations(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for block in use_blocks(text) {
        for pair in block.items.windows(2) {
            let (before, item) = (&pair[0], &pair[1]);
            let problem = if item.group < before.group {
                Some(format!(
                    "a {} `use` after a {} one: the order is std, third-party, this crate",
                    item.group.describe(),
                    before.group.describe()
                ))
            } else if item.group == before.group
                && item.blank_lines_before > 0
                && !before.has_attribute()
                && !item.has_attribute()
            {
                Some(format!("a blank line inside the {} group", item.group.describe()))
            } else if item.group > before.group && item.blank_lines_before != 1 {
                Some(format!(
                    "{} blank lines between the {} and the {} groups: one is the rule",
                    item.blank_lines_before,
                    before.group.describe(),
                    item.group.describe()
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                found.push((item.line, problem));
            }
        }
    }
    found
}

/// The source with every `use` block regrouped: std, third-party, this crate, one blank line
/// between groups, the items of a group in their former order (rustfmt sorts them after).
///
/// ```
/// use airssys_workspace_checks::imports::regroup;
/// let fixed = regroup("use crate::x;\nuse tokio::sync;\nuse std::fmt;\n\nfn main() {}\n");
/// assert_eq!(fixed, "use std::fmt;\n\nuse tokio::sync;\n\nuse crate::x;\n\nfn main() {}\n");
/// ```
pub fn regroup(text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let blocks = use_blocks(text);
    // From the end, so that the indices of the blocks still to do stay right.
    for block in blocks.iter().rev() {
        let mut replacement: Vec<String> = Vec::new();
        for group in [ImportGroup::Std, ImportGroup::ThirdParty, ImportGroup::Local] {
            let members: Vec<&UseItem> =
                block.items.iter().filter(|item| item.group == group).collect();
            if members.is_empty() {
                continue;
            }
            if !replacement.is_empty() {
                replacement.push(String::new());
            }
            for (position, item) in members.iter().enumerate() {
                // Keep the blank line that sets apart attributed alternatives.
                if position > 0 && item.blank_lines_before > 0 && item.has_attribute() {
                    replacement.push(String::new());
                }
                replacement.extend(item.lines.iter().cloned());
            }
        }
        lines.splice(block.start..block.end, replacement);
    }
    let mut fixed = lines.join("\n");
    if text.ends_with('\n') {
        fixed.push('\n');
    }
    fixed
}

/// The block whose first `use` is at `first`, with the lines attached above it.
fn block_at(
    lines: &[&str],
    attributes: &[Option<usize>],
    first: usize,
    local: &HashSet<String>,
) -> UseBlock {
    let indent = indentation(lines[first]);
    let reexports = is_reexport(lines[first]);
    let mut start = first;
    while start > 0 && is_attached(lines, attributes, start - 1, indent) {
        start -= 1;
    }
    let mut items = Vec::new();
    let mut item_start = start;
    let mut use_line = first;
    let mut blank_lines_before = 0;
    loop {
        let last = item_end(lines, use_line);
        let text: Vec<String> = lines[item_start..=last]
            .iter()
            .filter(|line| !line.trim().is_empty())
            .map(|line| (*line).to_owned())
            .collect();
        let path = use_path(lines[use_line]).unwrap_or_default();
        let group = classify(&path, local);
        items.push(UseItem { line: use_line + 1, blank_lines_before, lines: text, group });
        // Look past blank, comment and attribute lines for the next `use` at this indentation.
        let mut next = last + 1;
        let mut blanks = 0;
        let mut attached_from = None;
        while next < lines.len() {
            let line = lines[next];
            if line.trim().is_empty() {
                blanks += 1;
            } else if is_attached(lines, attributes, next, indent) {
                attached_from.get_or_insert(next);
            } else {
                break;
            }
            next += 1;
        }
        let continues = next < lines.len()
            && indentation(lines[next]) == indent
            && use_path(lines[next]).is_some()
            && is_reexport(lines[next]) == reexports;
        if !continues {
            return UseBlock { start, end: last + 1, items };
        }
        item_start = attached_from.unwrap_or(next);
        use_line = next;
        blank_lines_before = blanks;
    }
}

/// The index of the line that ends the `use` starting at `first`.
fn item_end(lines: &[&str], first: usize) -> usize {
    let mut last = first;
    while last + 1 < lines.len() && !ends_item(lines[last]) {
        last += 1;
    }
    last
}

fn ends_item(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or(line).trim_end();
    code.ends_with(';')
}

/// A comment line at `indent`, or a line of an outer attribute that starts at `indent`: it
/// belongs to the item below it.
fn is_attached(lines: &[&str], attributes: &[Option<usize>], index: usize, indent: usize) -> bool {
    let line = lines[index];
    let trimmed = line.trim_start();
    attributes[index] == Some(indent)
        || (indentation(line) == indent && trimmed.starts_with("//") && !trimmed.starts_with("//!"))
}

/// For each line, the indentation of the outer attribute (`#[...]`) it is part of, if any. An
/// attribute runs from its `#[` to the `]` that closes it, over as many lines as rustfmt wrapped
/// it into; brackets in its string literals do not count.
fn attribute_lines(lines: &[&str]) -> Vec<Option<usize>> {
    let mut attributes = vec![None; lines.len()];
    let mut index = 0;
    while index < lines.len() {
        if !lines[index].trim_start().starts_with("#[") {
            index += 1;
            continue;
        }
        let indent = indentation(lines[index]);
        let mut depth = 0usize;
        let mut in_string = false;
        let mut last = index;
        'lines: for (offset, line) in lines[index..].iter().enumerate() {
            last = index + offset;
            let mut chars = line.trim_start().chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if in_string => {
                        chars.next();
                    }
                    '"' => in_string = !in_string,
                    '[' if !in_string => depth += 1,
                    ']' if !in_string => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break 'lines;
                        }
                    }
                    _ => {}
                }
            }
        }
        for attribute in &mut attributes[index..=last] {
            *attribute = Some(indent);
        }
        index = last + 1;
    }
    attributes
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The path of a line that starts a `use` item (visibility allowed), without `use`.
fn use_path(line: &str) -> Option<String> {
    let rest = strip_visibility(line.trim_start());
    let path = rest.strip_prefix("use ")?;
    Some(path.trim().to_owned())
}

fn is_reexport(line: &str) -> bool {
    line.trim_start().starts_with("pub")
}

fn strip_visibility(line: &str) -> &str {
    let Some(rest) = line.strip_prefix("pub") else {
        return line;
    };
    if let Some(rest) = rest.strip_prefix(' ') {
        return rest.trim_start();
    }
    if rest.starts_with('(') {
        if let Some(close) = rest.find(')') {
            return rest[close + 1..].trim_start();
        }
    }
    line
}

/// The group of a `use` path, by its first segment.
fn classify(path: &str, local: &HashSet<String>) -> ImportGroup {
    if path.starts_with("::") {
        return ImportGroup::ThirdParty;
    }
    let first: String =
        path.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$').collect();
    match first.as_str() {
        "std" | "core" | "alloc" => ImportGroup::Std,
        "crate" | "super" | "self" | "Self" | "$crate" => ImportGroup::Local,
        // A module the file declares, or a type or variant of it (`use Kind::*` in a body).
        name if local.contains(name) || name.starts_with(char::is_uppercase) => ImportGroup::Local,
        _ => ImportGroup::ThirdParty,
    }
}

/// The names of the modules a file declares (`mod name;` or `mod name {`), at any depth.
fn declared_modules(lines: &[&str]) -> HashSet<String> {
    lines
        .iter()
        .filter_map(|line| strip_visibility(line.trim_start()).strip_prefix("mod "))
        .map(|rest| rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
        .collect()
}
