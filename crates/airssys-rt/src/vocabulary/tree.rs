//! Copying, comparing, showing and dropping the trees the telemetry hands out (health
//! reports, inspection views) one node after another, not by recursion: a supervision tree may
//! be any depth (T19), and the derived impls would take stack in proportion to it.

use std::fmt;

/// A node of a tree whose children are nodes of the same type.
pub(crate) trait Node: Sized {
    /// The type's name, as `Debug` shows it.
    const NAME: &'static str;

    fn children(&self) -> &[Self];

    fn children_mut(&mut self) -> &mut Vec<Self>;

    /// This node alone: a copy without its children.
    fn bare(&self) -> Self;

    /// Whether this node alone, its children aside, equals `other`.
    fn same(&self, other: &Self) -> bool;

    /// Adds this node's own fields, its children aside.
    fn fields(&self, shown: &mut fmt::DebugStruct<'_, '_>);
}

/// Drops the nodes below `node` one after another: each goes with its children taken.
pub(crate) fn let_go<N: Node>(node: &mut N) {
    let mut pending = std::mem::take(node.children_mut());
    while let Some(mut next) = pending.pop() {
        pending.append(next.children_mut());
    }
}

/// A copy of the whole tree below `root`.
pub(crate) fn copy<N: Node>(root: &N) -> N {
    // The way down: each node being copied, its copy so far, and its next child to copy.
    let mut path = vec![(root, root.bare(), 0)];
    while let Some((source, _, next)) = path.last_mut() {
        if let Some(child) = source.children().get(*next) {
            *next += 1;
            path.push((child, child.bare(), 0));
            continue;
        }
        let Some((_, done, _)) = path.pop() else {
            break;
        };
        match path.last_mut() {
            Some((_, parent, _)) => parent.children_mut().push(done),
            None => return done,
        }
    }
    // Not reached: the loop returns the root's copy when it leaves the root.
    root.bare()
}

/// Whether two trees are equal, node for node.
pub(crate) fn equal<N: Node>(left: &N, right: &N) -> bool {
    let mut pending = vec![(left, right)];
    while let Some((left, right)) = pending.pop() {
        if !left.same(right) || left.children().len() != right.children().len() {
            return false;
        }
        pending.extend(left.children().iter().zip(right.children()));
    }
    true
}

/// Shows the tree as the list of its nodes, depth first, each with its depth and the number
/// of its children, rather than each inside its parent.
pub(crate) fn show<N: Node>(root: &N, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut list = f.debug_list();
    let mut pending = vec![(root, 0)];
    while let Some((node, depth)) = pending.pop() {
        list.entry(&Shown { node, depth });
        pending.extend(node.children().iter().rev().map(|child| (child, depth + 1)));
    }
    list.finish()
}

struct Shown<'a, N> {
    node: &'a N,
    depth: usize,
}

impl<N: Node> fmt::Debug for Shown<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = f.debug_struct(N::NAME);
        shown.field("depth", &self.depth);
        self.node.fields(&mut shown);
        shown.field("children", &self.node.children().len());
        shown.finish()
    }
}
