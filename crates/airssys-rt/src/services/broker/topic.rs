//! Topic and pattern syntax, and the trie that finds the patterns matching a topic.

use std::collections::HashMap;

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
    /// A pattern or a topic has more segments than this, the most it may have
    /// ([`MAX_PATTERN_SEGMENTS`], [`MAX_TOPIC_SEGMENTS`]).
    #[error("it has more than {0} segments")]
    TooManySegments(usize),
    /// A pattern or a topic is longer than this many bytes ([`MAX_TOPIC_BYTES`]).
    #[error("it is longer than {0} bytes")]
    TooLong(usize),
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

/// The most segments a published topic may have.
///
/// A publish matches its topic against the trie while it holds the broker's read lock, on a
/// Tokio worker: the bound, with [`MAX_TOPIC_BYTES`], keeps that work (linear in the topic) and
/// so the time a subscriber's end or a subscribe may wait for the lock small, whatever the
/// publisher sends. A topic as long as the longest pattern can still be matched by it.
///
/// ```
/// use airssys_rt::broker::{TopicProblem, MAX_TOPIC_SEGMENTS};
/// let problem = TopicProblem::TooManySegments(MAX_TOPIC_SEGMENTS);
/// assert_eq!(problem.to_string(), "it has more than 128 segments");
/// ```
pub const MAX_TOPIC_SEGMENTS: usize = 128;

/// The most bytes a topic or a subscription pattern may have.
///
/// Each segment of a topic is hashed once per trie node it is matched at, and each segment of
/// a pattern when it is filed and removed, under the broker's lock: the bound keeps that work
/// small whatever the caller sends.
///
/// ```
/// use airssys_rt::broker::{TopicProblem, MAX_TOPIC_BYTES};
/// let problem = TopicProblem::TooLong(MAX_TOPIC_BYTES);
/// assert_eq!(problem.to_string(), "it is longer than 1024 bytes");
/// ```
pub const MAX_TOPIC_BYTES: usize = 1024;

const ONE: &str = "*";
const ANY: &str = "#";

fn is_wildcard_char(c: char) -> bool {
    c == '*' || c == '#'
}

/// The segments of a topic that [`check_topic`] accepted, split once, before the broker's lock
/// is taken, and held on the stack: a publish allocates nothing for them.
pub(crate) struct Segments<'a> {
    segments: [&'a str; MAX_TOPIC_SEGMENTS],
    len: usize,
}

impl<'a> Segments<'a> {
    pub(crate) fn as_slice(&self) -> &[&'a str] {
        &self.segments[..self.len]
    }
}

/// Checks a topic a publication is sent to: at most [`MAX_TOPIC_BYTES`] bytes in at most
/// [`MAX_TOPIC_SEGMENTS`] dot-separated non-empty segments, no wildcard. Returns the segments.
pub(crate) fn check_topic(topic: &str) -> Result<Segments<'_>, TopicProblem> {
    if topic.is_empty() {
        return Err(TopicProblem::Empty);
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err(TopicProblem::TooLong(MAX_TOPIC_BYTES));
    }
    let mut split = Segments { segments: [""; MAX_TOPIC_SEGMENTS], len: 0 };
    for (index, segment) in topic.split('.').enumerate() {
        let Some(slot) = split.segments.get_mut(index) else {
            return Err(TopicProblem::TooManySegments(MAX_TOPIC_SEGMENTS));
        };
        if segment.is_empty() {
            return Err(TopicProblem::EmptySegment(index + 1));
        }
        if segment.contains(is_wildcard_char) {
            return Err(TopicProblem::WildcardInTopic(index + 1));
        }
        *slot = segment;
        split.len = index + 1;
    }
    Ok(split)
}

/// Checks a subscription pattern: at most [`MAX_TOPIC_BYTES`] bytes in at most
/// [`MAX_PATTERN_SEGMENTS`] dot-separated non-empty segments, each wildcard a whole one.
pub(crate) fn check_pattern(pattern: &str) -> Result<(), TopicProblem> {
    if pattern.is_empty() {
        return Err(TopicProblem::Empty);
    }
    if pattern.len() > MAX_TOPIC_BYTES {
        return Err(TopicProblem::TooLong(MAX_TOPIC_BYTES));
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

    /// Visits the entries below this node that match `topic`, the rest of the topic; returns
    /// the steps taken (nodes walked and `#` tries), the work the match did.
    ///
    /// Below a `#`, a node can be reached with the same rest of the topic in several ways
    /// (`#.#` splits `a.b` three ways). `walked` records, for each `#` node below another, the
    /// longest rest it was walked with, so that each node is walked at most once per rest:
    /// every entry is visited once, and a match takes at most 3 x (trie nodes) x
    /// (segments + 1) steps, neither the number of ways to split the topic (exponential in the
    /// number of `#`) nor segments squared per `#`.
    fn visit<'a>(
        &'a self,
        topic: &[&str],
        below_any: bool,
        walked: &mut HashMap<*const Node<E>, usize>,
        visit: &mut impl FnMut(&'a E),
    ) -> usize {
        let mut steps = 1;
        if let Some(any) = &self.any {
            // `#` takes zero or more segments: what follows it may match any suffix, shortest
            // last. A `#` node is only tried from its parent, which is not below it, so a try
            // walks every rest down to the ones walked before, which are all the rests up to
            // the longest recorded: only the longer ones are new.
            let walked_before = match below_any {
                true => walked.insert(&**any, topic.len()),
                false => None,
            };
            let new_rests = match walked_before {
                Some(longest) if longest > topic.len() => {
                    walked.insert(&**any, longest);
                    0
                }
                Some(longest) => topic.len() - longest,
                None => topic.len() + 1,
            };
            steps += 1;
            for skipped in 0..new_rests {
                steps += any.visit(&topic[skipped..], true, walked, visit);
            }
        }
        match topic.split_first() {
            None => self.entries.iter().for_each(visit),
            Some((head, tail)) => {
                if let Some(child) = self.literal.get(*head) {
                    steps += child.visit(tail, below_any, walked, visit);
                }
                if let Some(one) = &self.one {
                    steps += one.visit(tail, below_any, walked, visit);
                }
            }
        }
        steps
    }
}

/// The first segment, and the rest if there is any.
fn split_first(pattern: &str) -> (&str, Option<&str>) {
    match pattern.split_once('.') {
        Some((head, tail)) => (head, Some(tail)),
        None => (pattern, None),
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

    /// Calls `visit` once with every entry whose pattern matches `topic` (the segments of a
    /// topic [`check_topic`] accepted), however many ways the pattern matches it, and returns
    /// the steps the match took. Allocates only when the topic reaches a pattern with two `#`
    /// or more.
    pub(crate) fn for_each_match<'a>(
        &'a self,
        topic: &[&str],
        mut visit: impl FnMut(&'a E),
    ) -> usize {
        self.root.visit(topic, false, &mut HashMap::new(), &mut visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, topic: &str) -> bool {
        let mut trie = Trie::default();
        trie.insert(pattern, ());
        let mut found = false;
        let segments = check_topic(topic).expect("a valid topic");
        trie.for_each_match(segments.as_slice(), |_| found = true);
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
        let segments = check_topic("a.a.a.a").expect("a valid topic");
        trie.for_each_match(segments.as_slice(), |entry| visited.push(*entry));
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
        let problem = |topic: &str| check_topic(topic).err();
        assert_eq!(problem(""), Some(TopicProblem::Empty));
        assert_eq!(problem("a..b"), Some(TopicProblem::EmptySegment(2)));
        assert_eq!(problem("a.*"), Some(TopicProblem::WildcardInTopic(2)));
        assert_eq!(problem(&vec!["a"; MAX_TOPIC_SEGMENTS].join(".")), None);
        let too_many = vec!["a"; MAX_TOPIC_SEGMENTS + 1].join(".");
        assert_eq!(problem(&too_many), Some(TopicProblem::TooManySegments(MAX_TOPIC_SEGMENTS)));
        assert_eq!(problem(&"a".repeat(MAX_TOPIC_BYTES)), None);
        let too_long = "a".repeat(MAX_TOPIC_BYTES + 1);
        assert_eq!(problem(&too_long), Some(TopicProblem::TooLong(MAX_TOPIC_BYTES)));
        assert_eq!(check_pattern(&too_long), Err(TopicProblem::TooLong(MAX_TOPIC_BYTES)));
        let segments = check_topic("a.bc.d").expect("a valid topic");
        assert_eq!(segments.as_slice(), ["a", "bc", "d"]);
        assert_eq!(check_pattern("a.b*"), Err(TopicProblem::PartialWildcard(2)));
        assert_eq!(check_pattern("#.a.#"), Ok(()));
        assert_eq!(check_pattern("a."), Err(TopicProblem::EmptySegment(2)));
    }

    fn node_count<E>(node: &Node<E>) -> usize {
        let children = node.literal.values().chain(node.one.as_deref()).chain(node.any.as_deref());
        1 + children.map(node_count).sum::<usize>()
    }

    /// P15: each node is walked at most once per rest of the topic, and each `#` tried at most
    /// once more per walk of its parent: the walk this replaced took about segments^2 / 2
    /// steps for `#.x.#` alone.
    #[test]
    fn p15_a_match_takes_steps_linear_in_the_topic() {
        let mut trie = Trie::default();
        let patterns = ["#.x.#", "#.#.#.#", "#.*.#.x", "x.#.x.#.x", "#.x.*.#.x.#", "*.#.y", "#"];
        for (entry, pattern) in patterns.into_iter().enumerate() {
            trie.insert(pattern, entry);
        }
        let nodes = node_count(&trie.root);
        let mut steps_for = HashMap::new();
        for segments in [1, 2, 16, MAX_TOPIC_SEGMENTS / 2, MAX_TOPIC_SEGMENTS] {
            let topic = vec!["x"; segments].join(".");
            let topic = check_topic(&topic).expect("a valid topic");
            let mut visited = Vec::new();
            let steps = trie.for_each_match(topic.as_slice(), |entry| visited.push(*entry));
            visited.sort_unstable();
            let expected: Vec<usize> = match segments {
                1 => vec![0, 1, 6],
                2 => vec![0, 1, 2, 6],
                _ => vec![0, 1, 2, 3, 4, 6],
            };
            assert_eq!(visited, expected, "{segments} segments");
            let bound = 3 * nodes * (segments + 1);
            assert!(steps <= bound, "{steps} steps for {segments} segments, more than {bound}");
            steps_for.insert(segments, steps);
        }
        // Twice the segments, twice the work (give or take a step per node): a match
        // quadratic in the topic would take four times as many steps.
        let (half, full) = (steps_for[&(MAX_TOPIC_SEGMENTS / 2)], steps_for[&MAX_TOPIC_SEGMENTS]);
        let most = 2 * half + nodes;
        assert!(full <= most, "{full} steps for {MAX_TOPIC_SEGMENTS} segments, {half} for half");
    }
}
