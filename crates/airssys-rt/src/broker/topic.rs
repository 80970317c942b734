//! Topic and pattern syntax, and the trie that finds the patterns matching a topic.

use std::collections::{HashMap, HashSet};

/// What is wrong with a topic or a subscription pattern.
///
/// Segments are counted from 1.
///
/// ```
/// use airssys_rt::broker::TopicProblem;
/// assert_eq!(TopicProblem::EmptySegment(2).to_string(), "segment 2 is empty");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TopicProblem {
    /// The whole topic or pattern is the empty string.
    #[error("it is empty")]
    Empty,
    /// A segment is empty: two dots in a row, or a dot at either end.
    #[error("segment {0} is empty")]
    EmptySegment(usize),
    /// A published topic holds `*` or `#`; only subscription patterns may.
    #[error("segment {0} holds a wildcard, which only subscription patterns may use")]
    WildcardInTopic(usize),
    /// A pattern segment mixes `*` or `#` with other characters; a wildcard is a whole segment.
    #[error("segment {0} mixes a wildcard with other characters")]
    PartialWildcard(usize),
    /// A pattern has more segments than this, the most a pattern may have
    /// ([`MAX_PATTERN_SEGMENTS`]).
    #[error("it has more than {0} segments")]
    TooManySegments(usize),
}

/// The most segments a subscription pattern may have.
///
/// Patterns are filed in a trie, one level per segment, and the trie is walked by recursion:
/// the bound keeps a publish, an `unsubscribe` and a subscriber's end well within any stack.
///
/// ```
/// use airssys_rt::broker::{TopicProblem, MAX_PATTERN_SEGMENTS};
/// let problem = TopicProblem::TooManySegments(MAX_PATTERN_SEGMENTS);
/// assert_eq!(problem.to_string(), "it has more than 128 segments");
/// ```
pub const MAX_PATTERN_SEGMENTS: usize = 128;

const ONE: &str = "*";
const ANY: &str = "#";

fn is_wildcard_char(c: char) -> bool {
    c == '*' || c == '#'
}

/// Checks a topic a publication is sent to: dot-separated non-empty segments, no wildcard.
pub(crate) fn check_topic(topic: &str) -> Result<(), TopicProblem> {
    if topic.is_empty() {
        return Err(TopicProblem::Empty);
    }
    for (index, segment) in topic.split('.').enumerate() {
        if segment.is_empty() {
            return Err(TopicProblem::EmptySegment(index + 1));
        }
        if segment.contains(is_wildcard_char) {
            return Err(TopicProblem::WildcardInTopic(index + 1));
        }
    }
    Ok(())
}

/// Checks a subscription pattern: at most [`MAX_PATTERN_SEGMENTS`] dot-separated non-empty
/// segments, each wildcard a whole one.
pub(crate) fn check_pattern(pattern: &str) -> Result<(), TopicProblem> {
    if pattern.is_empty() {
        return Err(TopicProblem::Empty);
    }
    for (index, segment) in pattern.split('.').enumerate() {
        if index == MAX_PATTERN_SEGMENTS {
            return Err(TopicProblem::TooManySegments(MAX_PATTERN_SEGMENTS));
        }
        if segment.is_empty() {
            return Err(TopicProblem::EmptySegment(index + 1));
        }
        if segment != ANY && segment != ONE && segment.contains(is_wildcard_char) {
            return Err(TopicProblem::PartialWildcard(index + 1));
        }
    }
    Ok(())
}

/// Subscription entries, filed by the segments of their patterns, so that finding those that
/// match a topic walks the topic's segments rather than every subscription.
pub(crate) struct Trie<E> {
    root: Node<E>,
}

struct Node<E> {
    literal: HashMap<Box<str>, Node<E>>,
    /// The `*` child: any one segment.
    one: Option<Box<Node<E>>>,
    /// The `#` child: zero or more segments.
    any: Option<Box<Node<E>>>,
    /// The entries whose pattern ends here.
    entries: Vec<E>,
}

impl<E> Default for Node<E> {
    fn default() -> Self {
        Self { literal: HashMap::new(), one: None, any: None, entries: Vec::new() }
    }
}

impl<E> Node<E> {
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
            && self.literal.is_empty()
            && self.one.is_none()
            && self.any.is_none()
    }

    fn child_mut(&mut self, segment: &str) -> &mut Node<E> {
        match segment {
            ONE => self.one.get_or_insert_with(Box::default),
            ANY => self.any.get_or_insert_with(Box::default),
            literal => self.literal.entry(literal.into()).or_default(),
        }
    }

    /// Removes the first entry along `pattern` that `matches` accepts, and prunes the nodes it
    /// leaves empty.
    fn remove(&mut self, pattern: Option<&str>, matches: &mut impl FnMut(&E) -> bool) -> Option<E> {
        let Some(pattern) = pattern else {
            let position = self.entries.iter().position(&mut *matches)?;
            return Some(self.entries.swap_remove(position));
        };
        let (head, tail) = split_first(pattern);
        match head {
            ONE => {
                let child = self.one.as_mut()?;
                let removed = child.remove(tail, matches);
                if child.is_empty() {
                    self.one = None;
                }
                removed
            }
            ANY => {
                let child = self.any.as_mut()?;
                let removed = child.remove(tail, matches);
                if child.is_empty() {
                    self.any = None;
                }
                removed
            }
            literal => {
                let child = self.literal.get_mut(literal)?;
                let removed = child.remove(tail, matches);
                if child.is_empty() {
                    self.literal.remove(literal);
                }
                removed
            }
        }
    }

    /// Visits the entries below this node that match `topic`, the rest of the topic.
    ///
    /// Below a `#`, a second `#` node can be reached with the same rest of the topic in
    /// several ways (`#.#` splits `a.b` three ways); `walked` records the `#` nodes walked
    /// there, with the length of the rest, so that each is walked once: every entry is then
    /// visited once, and a match costs at most (`#` nodes) x (segments) walks, not the number
    /// of ways to split the topic, which grows exponentially with the number of `#`.
    fn visit<'a>(
        &'a self,
        topic: Option<&str>,
        below_any: bool,
        walked: &mut HashSet<(*const Node<E>, usize)>,
        visit: &mut impl FnMut(&'a E),
    ) {
        if let Some(any) = &self.any {
            // `#` takes zero or more segments: what follows it may match any suffix.
            let mut suffix = topic;
            loop {
                let rest = suffix.map_or(0, |rest| rest.len() + 1);
                if !below_any || walked.insert((&**any, rest)) {
                    any.visit(suffix, true, walked, visit);
                }
                match suffix {
                    Some(rest) => suffix = split_first(rest).1,
                    None => break,
                }
            }
        }
        match topic {
            None => self.entries.iter().for_each(visit),
            Some(topic) => {
                let (head, tail) = split_first(topic);
                if let Some(child) = self.literal.get(head) {
                    child.visit(tail, below_any, walked, visit);
                }
                if let Some(one) = &self.one {
                    one.visit(tail, below_any, walked, visit);
                }
            }
        }
    }
}

/// The first segment, and the rest if there is any.
fn split_first(topic: &str) -> (&str, Option<&str>) {
    match topic.split_once('.') {
        Some((head, tail)) => (head, Some(tail)),
        None => (topic, None),
    }
}

impl<E> Default for Trie<E> {
    fn default() -> Self {
        Self { root: Node::default() }
    }
}

impl<E> Trie<E> {
    /// Files `entry` under a pattern that [`check_pattern`] accepted.
    pub(crate) fn insert(&mut self, pattern: &str, entry: E) {
        let node = pattern.split('.').fold(&mut self.root, |node, segment| node.child_mut(segment));
        node.entries.push(entry);
    }

    /// Removes the entry filed under `pattern` that `matches` accepts.
    pub(crate) fn remove(
        &mut self,
        pattern: &str,
        mut matches: impl FnMut(&E) -> bool,
    ) -> Option<E> {
        self.root.remove(Some(pattern), &mut matches)
    }

    /// Calls `visit` once with every entry whose pattern matches `topic` (a topic
    /// [`check_topic`] accepted), however many ways the pattern matches it. Allocates only
    /// when the topic reaches a pattern with two `#` or more.
    pub(crate) fn for_each_match<'a>(&'a self, topic: &str, mut visit: impl FnMut(&'a E)) {
        self.root.visit(Some(topic), false, &mut HashSet::new(), &mut visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, topic: &str) -> bool {
        let mut trie = Trie::default();
        trie.insert(pattern, ());
        let mut found = false;
        trie.for_each_match(topic, |_| found = true);
        found
    }

    #[test]
    fn wildcards_follow_amqp_topic_exchanges() {
        assert!(matches("a.b.c", "a.b.c"));
        assert!(!matches("a.b.c", "a.b"));
        assert!(matches("a.*.c", "a.x.c"));
        assert!(!matches("a.*.c", "a.c"));
        assert!(!matches("a.*.c", "a.x.y.c"));
        assert!(matches("a.#", "a"));
        assert!(matches("a.#", "a.b.c"));
        assert!(matches("#", "a.b"));
        assert!(matches("#.c", "c"));
        assert!(matches("a.#.c", "a.c"));
        assert!(matches("a.#.c", "a.x.y.c"));
        assert!(!matches("a.#.c", "a.x.y"));
        assert!(matches("*.#", "a"));
        assert!(!matches("*.*", "a"));
        assert!(matches("#.#", "a.b"));
    }

    #[test]
    fn each_entry_is_visited_once_however_many_ways_it_matches() {
        let mut trie = Trie::default();
        for (entry, pattern) in ["#.#", "#.a.#", "a.#.#.a", "#.*.#", "#"].into_iter().enumerate() {
            trie.insert(pattern, entry);
        }
        let mut visited = Vec::new();
        trie.for_each_match("a.a.a.a", |entry| visited.push(*entry));
        visited.sort_unstable();
        assert_eq!(visited, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn removal_prunes_empty_branches() {
        let mut trie = Trie::default();
        trie.insert("a.*.#", 1);
        trie.insert("a.b", 2);
        assert_eq!(trie.remove("a.*.#", |entry| *entry == 1), Some(1));
        assert_eq!(trie.remove("a.*.#", |entry| *entry == 1), None);
        assert!(trie.root.literal["a"].one.is_none());
        assert_eq!(trie.remove("a.b", |entry| *entry == 2), Some(2));
        assert!(trie.root.is_empty());
    }

    #[test]
    fn syntax() {
        assert_eq!(check_topic(""), Err(TopicProblem::Empty));
        assert_eq!(check_topic("a..b"), Err(TopicProblem::EmptySegment(2)));
        assert_eq!(check_topic("a.*"), Err(TopicProblem::WildcardInTopic(2)));
        assert_eq!(check_pattern("a.b*"), Err(TopicProblem::PartialWildcard(2)));
        assert_eq!(check_pattern("#.a.#"), Ok(()));
        assert_eq!(check_pattern("a."), Err(TopicProblem::EmptySegment(2)));
    }
}
