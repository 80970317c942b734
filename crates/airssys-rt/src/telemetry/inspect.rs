//! Inspection: the live actors as a tree, the way an operator looks at a running system.
//!
//! [`ActorSystem::inspect`] takes a [`SystemView`]: every live actor, placed under the
//! supervisor that started it, with its state, mailbox depth and, for a supervised actor, its
//! restart count; with [statistics](super::stats) on, also the messages it has handled. An
//! [`Inspector`] takes views one after another and adds each actor's message rate since the
//! previous view, which is what a live display wants. [`ActorNode::render`] draws a tree as
//! text, like `pstree`.
//!
//! A view is a snapshot read actor by actor without stopping anything: an actor that starts or
//! ends while it is taken may be missing or listed as ending.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
//! use airssys_rt::system::SpawnOptions;
//! # struct Worker;
//! # #[actor]
//! # impl Actor for Worker {
//! #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
//! #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
//! #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
//! # }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let spec = SupervisorSpec::new(Strategy::OneForOne)
//!     .child(ChildSpec::worker::<Worker>("cache", ()))
//!     .child(ChildSpec::worker::<Worker>("db", ()));
//! Supervisor::start_with(&system, SpawnOptions::new().name("app"), spec).await?;
//!
//! let view = system.inspect();
//! let app = &view.roots[0];
//! assert_eq!(app.name.as_deref(), Some("app"));
//! let children: Vec<_> = app.children.iter().map(|child| child.child_id.as_deref()).collect();
//! assert_eq!(children, [Some("cache"), Some("db")]);
//! println!("{}", app.render());
//! // app <12> Supervisor running, mailbox 0
//! // ├─ cache <13> Worker running, mailbox 0, restarts 0
//! // └─ db <14> Worker running, mailbox 0, restarts 0
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use tokio::time::Instant;

use crate::kernel::actor::{ActorId, ActorState};
use crate::kernel::system::ActorSystem;
use crate::kernel::TreePlace;
use crate::vocabulary::tree;

impl ActorSystem {
    /// A view of every live actor, placed under the supervisor that started it. See
    /// [`telemetry::inspect`](crate::telemetry::inspect); an
    /// [`Inspector`](crate::telemetry::inspect::Inspector) adds message rates.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let system = airssys_rt::ActorSystem::new();
    /// for root in &system.inspect().roots {
    ///     print!("{}", root.render());
    /// }
    /// # }
    /// ```
    pub fn inspect(&self) -> SystemView {
        view_of(self)
    }
}

/// One live actor in a [`SystemView`], with the actors it supervises.
///
/// ```
/// # fn show(node: &airssys_rt::telemetry::inspect::ActorNode) {
/// println!("{} is {:?} with {} waiting", node.id, node.state, node.mailbox_depth);
/// # }
/// ```
///
/// Cloning, comparing, showing (`Debug` lists the actors depth first, each with its depth) and
/// dropping a node take the same stack at any depth of the tree.
#[non_exhaustive]
pub struct ActorNode {
    /// Its id.
    pub id: ActorId,
    /// Its registered name.
    pub name: Option<Arc<str>>,
    /// Its child id under its supervisor (`worker-3`), if it is supervised.
    pub child_id: Option<Arc<str>>,
    /// Its actor type (`std::any::type_name`).
    pub actor_type: &'static str,
    /// Where it is in its lifecycle.
    pub state: ActorState,
    /// Messages waiting in its mailbox.
    pub mailbox_depth: usize,
    /// Messages it has taken for handling, with statistics on.
    pub handled: Option<u64>,
    /// Messages it took per second since the previous view of the same [`Inspector`]; `None`
    /// in a first view, without statistics, or for an actor the previous view did not have.
    pub message_rate: Option<f64>,
    /// For a supervised actor, how many times its supervisor had started its child
    /// specification before starting it.
    pub restarts: Option<u32>,
    /// The actors it supervises, in start order.
    pub children: Vec<ActorNode>,
}

impl tree::Node for ActorNode {
    const NAME: &'static str = "ActorNode";

    fn children(&self) -> &[Self] {
        &self.children
    }

    fn children_mut(&mut self) -> &mut Vec<Self> {
        &mut self.children
    }

    fn bare(&self) -> Self {
        Self {
            id: self.id,
            name: self.name.clone(),
            child_id: self.child_id.clone(),
            actor_type: self.actor_type,
            state: self.state,
            mailbox_depth: self.mailbox_depth,
            handled: self.handled,
            message_rate: self.message_rate,
            restarts: self.restarts,
            children: Vec::with_capacity(self.children.len()),
        }
    }

    fn same(&self, other: &Self) -> bool {
        (self.id, &self.name, &self.child_id, self.actor_type, self.state)
            == (other.id, &other.name, &other.child_id, other.actor_type, other.state)
            && (self.mailbox_depth, self.handled, self.message_rate, self.restarts)
                == (other.mailbox_depth, other.handled, other.message_rate, other.restarts)
    }

    fn fields(&self, shown: &mut std::fmt::DebugStruct<'_, '_>) {
        shown
            .field("id", &self.id)
            .field("name", &self.name)
            .field("child_id", &self.child_id)
            .field("actor_type", &self.actor_type)
            .field("state", &self.state)
            .field("mailbox_depth", &self.mailbox_depth)
            .field("handled", &self.handled)
            .field("message_rate", &self.message_rate)
            .field("restarts", &self.restarts);
    }
}

// Not derived: the derived impls recurse by level (T19).
impl Clone for ActorNode {
    fn clone(&self) -> Self {
        tree::copy(self)
    }
}

impl PartialEq for ActorNode {
    fn eq(&self, other: &Self) -> bool {
        tree::equal(self, other)
    }
}

impl std::fmt::Debug for ActorNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        tree::show(self, f)
    }
}

impl Drop for ActorNode {
    fn drop(&mut self) {
        tree::let_go(self);
    }
}

impl ActorNode {
    /// The short label of the actor: its child id, else its name, else its id.
    ///
    /// ```
    /// # fn label(node: &airssys_rt::telemetry::inspect::ActorNode) -> String { node.label() }
    /// ```
    pub fn label(&self) -> String {
        match (&self.child_id, &self.name) {
            (Some(child_id), _) => child_id.to_string(),
            (None, Some(name)) => name.to_string(),
            (None, None) => self.id.to_string(),
        }
    }

    /// The tree below this actor as text, one line per actor, like `pstree`:
    /// `label <id> Type state, mailbox N[, rate msg/s][, restarts N]` (the `<id>` only once
    /// for an actor labelled by its id).
    ///
    /// ```
    /// # fn print(node: &airssys_rt::telemetry::inspect::ActorNode) {
    /// print!("{}", node.render());
    /// # }
    /// ```
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Each actor still to write with the prefix of its own line and the prefix of the
        // lines below it; kept here, not on the stack, as a tree may be any depth.
        let mut pending = vec![(self, String::new(), String::new())];
        while let Some((node, first, rest)) = pending.pop() {
            node.render_line(&mut out, &first);
            let last = node.children.len().saturating_sub(1);
            for (index, child) in node.children.iter().enumerate().rev() {
                let (branch, below) =
                    if index == last { ("└─ ", "   ") } else { ("├─ ", "│  ") };
                pending.push((child, format!("{rest}{branch}"), format!("{rest}{below}")));
            }
        }
        out
    }

    fn render_line(&self, out: &mut String, first: &str) {
        let short_type = short_type_name(self.actor_type);
        let label = self.label();
        let state = match self.state {
            ActorState::Starting => "starting",
            ActorState::Running => "running",
            ActorState::Stopping => "stopping",
            ActorState::Stopped => "stopped",
        };
        // An actor with neither child id nor name is labelled by its id: once is enough.
        let _ = if self.child_id.is_none() && self.name.is_none() {
            write!(out, "{first}{label} {short_type} {state}, mailbox {}", self.mailbox_depth)
        } else {
            write!(
                out,
                "{first}{label} {} {short_type} {state}, mailbox {}",
                self.id, self.mailbox_depth
            )
        };
        if let Some(rate) = self.message_rate {
            let _ = write!(out, ", {rate:.0} msg/s");
        }
        if let Some(restarts) = self.restarts {
            let _ = write!(out, ", restarts {restarts}");
        }
        out.push('\n');
    }

    /// Calls `visit` on this actor, then on every actor below it, depth first.
    ///
    /// ```
    /// # fn count(node: &airssys_rt::telemetry::inspect::ActorNode) -> usize {
    /// let mut actors = 0;
    /// node.walk(&mut |_| actors += 1);
    /// # actors }
    /// ```
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a ActorNode)) {
        // The actors still to visit are kept here, not on the stack: a tree may be any depth.
        let mut pending = vec![self];
        while let Some(node) = pending.pop() {
            visit(node);
            pending.extend(node.children.iter().rev());
        }
    }
}

/// Every live actor of a system, as trees: the actors no supervisor started are the roots.
///
/// ```
/// let view = airssys_rt::ActorSystem::new().inspect();
/// assert!(view.roots.is_empty());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SystemView {
    /// The unsupervised actors (supervisors at the top of their trees, and plain actors), in
    /// start order, each with the tree below it.
    pub roots: Vec<ActorNode>,
    /// When the view was taken.
    pub taken_at: Instant,
}

impl SystemView {
    /// Every actor of the view, depth first.
    ///
    /// ```
    /// assert_eq!(airssys_rt::ActorSystem::new().inspect().actors().count(), 0);
    /// ```
    pub fn actors(&self) -> impl Iterator<Item = &ActorNode> {
        let mut all = Vec::new();
        for root in &self.roots {
            root.walk(&mut |node| all.push(node));
        }
        all.into_iter()
    }

    /// The `count` actors with the most messages waiting, deepest first (ties: the lower id).
    ///
    /// ```
    /// assert!(airssys_rt::ActorSystem::new().inspect().busiest(5).is_empty());
    /// ```
    pub fn busiest(&self, count: usize) -> Vec<&ActorNode> {
        let mut all: Vec<&ActorNode> = self.actors().collect();
        all.sort_by(|a, b| b.mailbox_depth.cmp(&a.mailbox_depth).then(a.id.cmp(&b.id)));
        all.truncate(count);
        all
    }
}

/// Takes views of a system one after another, adding each actor's message rate since the
/// previous view (which needs [statistics](super::stats) on).
///
/// ```
/// # #[tokio::main] async fn main() {
/// let system = airssys_rt::ActorSystem::builder().statistics(true).build().unwrap();
/// let mut inspector = airssys_rt::telemetry::inspect::Inspector::new(&system);
/// let first = inspector.inspect();
/// let later = inspector.inspect();
/// assert!(later.taken_at >= first.taken_at);
/// # }
/// ```
#[derive(Debug)]
pub struct Inspector {
    system: ActorSystem,
    previous: HashMap<ActorId, u64>,
    previous_at: Option<Instant>,
}

impl Inspector {
    /// An inspector of `system`, with no view taken yet.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// let _inspector = airssys_rt::telemetry::inspect::Inspector::new(&system);
    /// ```
    pub fn new(system: &ActorSystem) -> Self {
        Inspector { system: system.clone(), previous: HashMap::new(), previous_at: None }
    }

    /// A view of the system now, with rates since the previous one.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// # let mut inspector = airssys_rt::telemetry::inspect::Inspector::new(&system);
    /// let view = inspector.inspect();
    /// ```
    pub fn inspect(&mut self) -> SystemView {
        let mut view = view_of(&self.system);
        let elapsed = self.previous_at.map(|at| view.taken_at.saturating_duration_since(at));
        let mut current = HashMap::new();
        for root in &mut view.roots {
            with_rates(root, &self.previous, elapsed, &mut current);
        }
        self.previous = current;
        self.previous_at = Some(view.taken_at);
        view
    }
}

fn with_rates(
    root: &mut ActorNode,
    previous: &HashMap<ActorId, u64>,
    elapsed: Option<std::time::Duration>,
    current: &mut HashMap<ActorId, u64>,
) {
    // Not recursive: a tree may be any depth.
    let mut pending = vec![root];
    while let Some(node) = pending.pop() {
        if let Some(handled) = node.handled {
            current.insert(node.id, handled);
            if let (Some(before), Some(elapsed)) = (previous.get(&node.id), elapsed) {
                if !elapsed.is_zero() {
                    node.message_rate =
                        Some(handled.saturating_sub(*before) as f64 / elapsed.as_secs_f64());
                }
            }
        }
        pending.extend(node.children.iter_mut());
    }
}

/// A view of `system` now, without rates.
fn view_of(system: &ActorSystem) -> SystemView {
    let taken_at = Instant::now();
    let actors = system.actors();
    // Empty unless statistics are on: then each live actor's count of handled messages.
    let handled: HashMap<ActorId, u64> = system
        .actor_statistics()
        .into_iter()
        .map(|figures| (figures.id, figures.handled))
        .collect();
    let mut parents: HashMap<ActorId, Option<ActorId>> = HashMap::with_capacity(actors.len());
    let mut nodes: HashMap<ActorId, ActorNode> = HashMap::with_capacity(actors.len());
    for actor in &actors {
        let place = actor.tree_place();
        let id = actor.id();
        let child_id =
            place.as_ref().map(|place| Arc::from(place.path().rsplit('/').next().unwrap_or("")));
        parents.insert(id, actor.parent());
        nodes.insert(
            id,
            ActorNode {
                id,
                name: actor.name(),
                child_id,
                actor_type: actor.actor_type(),
                state: actor.state(),
                mailbox_depth: actor.mailbox_len(),
                handled: handled.get(&id).copied(),
                message_rate: None,
                restarts: place.as_ref().map(TreePlace::restarts),
                children: Vec::new(),
            },
        );
    }
    // By parent, not by id order: a start function may hand its supervisor an actor spawned
    // before it (a lower id), so a child's id says nothing about its parent's.
    let mut children_of: HashMap<ActorId, Vec<ActorId>> = HashMap::new();
    let mut root_ids = Vec::new();
    for (&id, parent) in &parents {
        match parent.filter(|parent| nodes.contains_key(parent)) {
            Some(parent) => children_of.entry(parent).or_default().push(id),
            None => root_ids.push(id),
        }
    }
    let mut roots: Vec<ActorNode> =
        root_ids.into_iter().filter_map(|id| assemble(id, &mut nodes, &children_of)).collect();
    // Only a cycle of parents (which no supervisor makes) leaves nodes unplaced: never lose one.
    roots.extend(nodes.into_values());
    roots.sort_by_key(|root| root.id);
    SystemView { roots, taken_at }
}

/// Takes the node `id` out of `nodes` with its descendants attached, children in start order.
fn assemble(
    id: ActorId,
    nodes: &mut HashMap<ActorId, ActorNode>,
    children_of: &HashMap<ActorId, Vec<ActorId>>,
) -> Option<ActorNode> {
    // Built bottom up from a list rather than by recursion, as a tree may be any depth: in
    // the reverse of a depth-first order, every actor comes after all of its descendants.
    let mut order = Vec::new();
    let mut pending = vec![id];
    while let Some(next) = pending.pop() {
        // Taken out as they are met, so that each is placed once whatever the parents say.
        let Some(node) = nodes.remove(&next) else {
            continue;
        };
        order.push(node);
        pending.extend(children_of.get(&next).into_iter().flatten());
    }
    let mut built: HashMap<ActorId, ActorNode> = HashMap::with_capacity(order.len());
    for mut node in order.into_iter().rev() {
        let children = children_of.get(&node.id).into_iter().flatten();
        node.children.extend(children.filter_map(|child| built.remove(child)));
        node.children.sort_by_key(|child| child.id);
        built.insert(node.id, node);
    }
    built.remove(&id)
}

/// A type's name without its module paths, its type arguments' included:
/// `Supervisor<Bank>` for `airssys_rt::supervisor::server::Supervisor<ledger::Bank>`.
fn short_type_name(full: &str) -> String {
    let mut short = String::with_capacity(full.len());
    let mut segment_start = 0;
    for (at, c) in full.char_indices() {
        if matches!(c, '<' | '>' | ',' | ' ' | '(' | ')' | '[' | ']' | ';' | '&') {
            short.push_str(last_segment(&full[segment_start..at]));
            short.push(c);
            segment_start = at + c.len_utf8();
        }
    }
    short.push_str(last_segment(&full[segment_start..]));
    short
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}
