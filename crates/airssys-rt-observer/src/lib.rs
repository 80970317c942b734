//! # airssys-rt-observer
//!
//! A live view of a running [airssys-rt](airssys_rt) system for operators, in the spirit of
//! Erlang's `observer`: a terminal screen that refreshes while the system runs.
//!
//! [`run`] takes over the terminal and shows, refreshed every interval until `q` or `Esc`:
//!
//! * a **header** line: the actors alive now, started and crashed since the system was built,
//!   the dead letters, the supervisor restarts, and the system's health status (`healthy`,
//!   `degraded` or `failed`, as [`ActorSystem::health`] rolls the supervision trees up), and
//!   below it, for a system that is not healthy, why: each node's own issues, by path
//!   (`app/db: waiting for a restart`);
//! * the **supervision trees**, one line per live actor, drawn like `pstree` by
//!   [`ActorNode::render`](airssys_rt::monitoring::inspect::ActorNode::render): each actor's
//!   label, id, type, state, mailbox depth, message rate and restart count, under the
//!   supervisor that started it (`↑`/`↓`, `PgUp`/`PgDn` scroll them);
//! * the **busiest mailboxes**: the [`BUSIEST`] actors with the most messages waiting, deepest
//!   first ([`SystemView::busiest`](airssys_rt::monitoring::inspect::SystemView::busiest)),
//!   with their label, id, type, depth and message rate;
//! * the **recent crash reports**, latest first: for each abnormal exit, the actor, its path
//!   in the tree, why it ended, what it was doing, how often it had been restarted and how
//!   long ago it ended (see [`airssys_rt::monitoring::crash`]).
//!
//! Message rates are messages taken per second between two refreshes; they need the system's
//! statistics on ([`SystemBuilder::statistics`](airssys_rt::SystemBuilder::statistics)), and
//! show as `-` without them or in the first refresh.
//!
//! What is shown is a set of snapshots taken one after another without stopping anything
//! (see [`airssys_rt::monitoring::inspect`]): an actor that starts or ends during a refresh may
//! be missing from it, and the header's counts may be a moment apart from the trees.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! # #[tokio::main] async fn main() -> Result<(), airssys_rt_observer::ObserverError> {
//! let system = airssys_rt::ActorSystem::builder().statistics(true).build().expect("valid");
//! // ... start supervisors and actors ...
//! airssys_rt_observer::run(&system, Duration::from_secs(1)).await?;
//! # Ok(()) }
//! ```
//!
//! The screen is an [`Observer`] drawn into a ratatui [`Frame`]: a program with its own
//! terminal UI can place it there, and a test can draw it into a
//! [`TestBackend`](ratatui::backend::TestBackend) and read the screen:
//!
//! ```
//! use airssys_rt_observer::Observer;
//! use ratatui::{backend::TestBackend, Terminal};
//!
//! # #[tokio::main] async fn main() {
//! let system = airssys_rt::ActorSystem::new();
//! let mut observer = Observer::new(&system);
//! observer.refresh().await;
//!
//! let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
//! terminal.draw(|frame| observer.draw(frame)).unwrap();
//! let top_line: String = (0..100)
//!     .map(|x| terminal.backend().buffer()[(x, 0)].symbol().to_string())
//!     .collect();
//! assert!(top_line.contains("alive 0"), "{top_line}");
//! assert!(top_line.contains("health healthy"), "{top_line}");
//! # }
//! ```

// A user's input must never reach a panic in the library; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// Per crate root, not in `[workspace.lints]`: test, bench and example targets all see every
// dev-dependency, so the lint would flag in each one the dev-dependencies only others use.
#![cfg_attr(not(test), deny(unused_crate_dependencies))]
// As Tokio does: an example may define a function it never calls (the point is its body).
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use airssys_rt::monitoring::crash::CrashReport;
use airssys_rt::monitoring::health::{HealthIssue, HealthReport, HealthStatus};
use airssys_rt::monitoring::inspect::{ActorNode, Inspector};
use airssys_rt::monitoring::stats::SystemStatistics;
use airssys_rt::{ActorId, ActorSystem};
use chrono::{DateTime, Utc};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{enable_raw_mode, EnterAlternateScreen};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::{DefaultTerminal, Frame, Terminal};
use tokio::time::Instant;

/// How many actors the busiest-mailboxes table lists.
///
/// ```
/// assert_eq!(airssys_rt_observer::BUSIEST, 10);
/// ```
pub const BUSIEST: usize = 10;

/// How many crash reports the observer keeps from a refresh to show, latest first.
///
/// ```
/// assert_eq!(airssys_rt_observer::RECENT_CRASHES, 20);
/// ```
pub const RECENT_CRASHES: usize = 20;

/// The shortest refresh interval [`run`] takes: a shorter one is raised to it, so that the
/// observer never spins.
///
/// ```
/// assert_eq!(airssys_rt_observer::MIN_INTERVAL, std::time::Duration::from_millis(100));
/// ```
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// What can end [`run`] early.
///
/// ```
/// use airssys_rt_observer::ObserverError;
/// let error = ObserverError::from(std::io::Error::other("no tty"));
/// assert_eq!(error.to_string(), "the terminal failed: no tty");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObserverError {
    /// Drawing to the terminal or reading its input failed.
    #[error("the terminal failed: {0}")]
    Terminal(#[from] std::io::Error),
    /// The blocking task that waits for key presses panicked or was cancelled.
    #[error("the input task failed: {0}")]
    Input(#[from] tokio::task::JoinError),
}

/// One line of the busiest-mailboxes table.
#[derive(Clone, Debug)]
struct BusyActor {
    label: String,
    id: ActorId,
    actor_type: &'static str,
    depth: usize,
    rate: Option<f64>,
}

/// A live view of one actor system: snapshots taken by [`refresh`](Observer::refresh), drawn
/// by [`draw`](Observer::draw). See the [crate documentation](crate) for what it shows.
///
/// ```
/// # #[tokio::main] async fn main() {
/// let system = airssys_rt::ActorSystem::new();
/// let mut observer = airssys_rt_observer::Observer::new(&system);
/// observer.refresh().await;
/// # }
/// ```
#[derive(Debug)]
pub struct Observer {
    system: ActorSystem,
    inspector: Inspector,
    /// Each root's tree, rendered: the lines of every tree, one after another.
    trees: Vec<String>,
    busiest: Vec<BusyActor>,
    /// Latest first.
    crashes: Vec<CrashReport>,
    statistics: SystemStatistics,
    health: Option<HealthStatus>,
    /// `path: issue` for every issue of a node of the health report, but "a child is not
    /// healthy", which the child's own line says better.
    health_issues: Vec<String>,
    tree_scroll: u16,
}

impl Observer {
    /// An observer of `system`. It shows nothing until its first
    /// [`refresh`](Observer::refresh).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// let _observer = airssys_rt_observer::Observer::new(&system);
    /// ```
    pub fn new(system: &ActorSystem) -> Self {
        Observer {
            system: system.clone(),
            inspector: Inspector::new(system),
            trees: Vec::new(),
            busiest: Vec::new(),
            crashes: Vec::new(),
            statistics: SystemStatistics::default(),
            health: None,
            health_issues: Vec::new(),
            tree_scroll: 0,
        }
    }

    /// Takes a new snapshot of the system: its supervision trees with message rates since the
    /// previous refresh, the [`BUSIEST`] mailboxes, the latest [`RECENT_CRASHES`] crash
    /// reports, the system statistics and the health status.
    ///
    /// The health report asks every root supervisor, so this waits for their answers (a
    /// supervisor answers between two of its own messages).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let system = airssys_rt::ActorSystem::new();
    /// let mut observer = airssys_rt_observer::Observer::new(&system);
    /// observer.refresh().await;
    /// # }
    /// ```
    pub async fn refresh(&mut self) {
        let view = self.inspector.inspect();
        self.trees = view.roots.iter().map(ActorNode::render).collect();
        self.busiest = view
            .busiest(BUSIEST)
            .into_iter()
            .map(|node| BusyActor {
                label: node.label(),
                id: node.id,
                actor_type: short_type(node.actor_type),
                depth: node.mailbox_depth,
                rate: node.message_rate,
            })
            .collect();
        self.crashes =
            self.system.crash_reports().recent().into_iter().rev().take(RECENT_CRASHES).collect();
        self.statistics = self.system.statistics();
        let health = self.system.health().await;
        self.health = Some(health.status);
        self.health_issues.clear();
        for root in &health.children {
            issues_below(root, &root.id, &mut self.health_issues);
        }
    }

    /// Scrolls the supervision trees by `lines` (up if negative), never above the first line.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// let mut observer = airssys_rt_observer::Observer::new(&system);
    /// observer.scroll_trees(3);
    /// observer.scroll_trees(-10);
    /// ```
    pub fn scroll_trees(&mut self, lines: i32) {
        let lines_total: usize = self.trees.iter().map(|tree| tree.lines().count()).sum();
        let last = u16::try_from(lines_total.saturating_sub(1)).unwrap_or(u16::MAX);
        let scrolled = i32::from(self.tree_scroll).saturating_add(lines);
        self.tree_scroll = u16::try_from(scrolled.max(0)).unwrap_or(u16::MAX).min(last);
    }

    /// Draws the latest snapshot over the whole frame: the header line, the supervision trees,
    /// the busiest mailboxes and the recent crash reports.
    ///
    /// ```
    /// use ratatui::{backend::TestBackend, Terminal};
    /// # #[tokio::main] async fn main() {
    /// let system = airssys_rt::ActorSystem::new();
    /// let mut observer = airssys_rt_observer::Observer::new(&system);
    /// observer.refresh().await;
    /// let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    /// terminal.draw(|frame| observer.draw(frame)).unwrap();
    /// # }
    /// ```
    pub fn draw(&self, frame: &mut Frame<'_>) {
        let [header, middle, crashes] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Percentage(65),
            Constraint::Fill(1),
        ])
        .areas(frame.area());
        let [trees, busiest] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(middle);
        self.draw_header(frame, header);
        self.draw_trees(frame, trees);
        self.draw_busiest(frame, busiest);
        self.draw_crashes(frame, crashes);
    }

    fn draw_header(&self, frame: &mut Frame<'_>, area: Rect) {
        let stats = &self.statistics;
        let health = match self.health {
            None => Span::raw("-"),
            Some(status) => {
                let color = match status {
                    HealthStatus::Healthy => Color::Green,
                    HealthStatus::Degraded => Color::Yellow,
                    HealthStatus::Failed => Color::Red,
                };
                Span::styled(
                    status.to_string(),
                    Style::new().fg(color).add_modifier(Modifier::BOLD),
                )
            }
        };
        let line = Line::from(vec![
            Span::raw("airssys-rt observer ").bold(),
            Span::raw(format!(
                "| alive {} | started {} | crashes {} | dead letters {} | restarts {} | health ",
                stats.alive,
                stats.started,
                stats.crashes.total(),
                stats.dead_letters,
                stats.restarts,
            )),
            health,
            Span::raw(" | q: quit").dim(),
        ]);
        let issues = Line::raw(self.health_issues.join("; ")).yellow();
        frame.render_widget(Paragraph::new(vec![line, issues]), area);
    }

    fn draw_trees(&self, frame: &mut Frame<'_>, area: Rect) {
        let lines: Vec<Line<'_>> =
            self.trees.iter().flat_map(|tree| tree.lines()).map(Line::raw).collect();
        let block = Block::bordered().title(format!(" Supervision trees ({}) ", self.trees.len()));
        frame.render_widget(Paragraph::new(lines).block(block).scroll((self.tree_scroll, 0)), area);
    }

    fn draw_busiest(&self, frame: &mut Frame<'_>, area: Rect) {
        let header = Row::new(["actor", "id", "type", "depth", "msg/s"]).bold();
        let rows = self.busiest.iter().map(|busy| {
            let rate = busy.rate.map_or_else(|| "-".to_owned(), |rate| format!("{rate:.1}"));
            Row::new([
                busy.label.clone(),
                busy.id.to_string(),
                busy.actor_type.to_owned(),
                busy.depth.to_string(),
                rate,
            ])
        });
        let widths = [
            Constraint::Fill(2),
            Constraint::Length(8),
            Constraint::Fill(2),
            Constraint::Length(6),
            Constraint::Length(8),
        ];
        let table = Table::new(rows, widths)
            .header(header)
            .block(Block::bordered().title(" Busiest mailboxes "));
        frame.render_widget(table, area);
    }

    fn draw_crashes(&self, frame: &mut Frame<'_>, area: Rect) {
        let now = Utc::now();
        let lines: Vec<Line<'_>> =
            self.crashes.iter().map(|report| Line::raw(crash_line(report, now))).collect();
        let block = Block::bordered().title(format!(
            " Recent crash reports, latest first ({} in all) ",
            self.system.crash_reports().count()
        ));
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }
}

/// Adds `path: issue` for the own issues of `node` and of every node below it.
fn issues_below(node: &HealthReport, path: &str, found: &mut Vec<String>) {
    for issue in &node.issues {
        if !matches!(issue, HealthIssue::Child(_)) {
            found.push(format!("{path}: {issue}"));
        }
    }
    for child in &node.children {
        issues_below(child, &format!("{path}/{}", child.id), found);
    }
}

/// A crash report on one line, the reason first since a narrow screen cuts the end off, and
/// how long ago it was last.
fn crash_line(report: &CrashReport, now: DateTime<Utc>) -> String {
    let mut line = format!(
        "{} {}: {} ({}, {}",
        report.actor,
        report.path,
        report.reason,
        short_type(report.actor_type),
        report.activity
    );
    if let Some(restarts) = report.restarts {
        line.push_str(&format!(", restarts {restarts}"));
    }
    // A report from a clock set back shows as just now.
    let age = now.signed_duration_since(report.at).num_seconds().max(0);
    let age = match age {
        0..60 => format!("{age}s"),
        60..3600 => format!("{}m", age / 60),
        _ => format!("{}h", age / 3600),
    };
    line.push_str(&format!(", {age} ago)"));
    line
}

/// `my_app::workers::Worker` -> `Worker`.
fn short_type(type_name: &'static str) -> &'static str {
    type_name.rsplit("::").next().unwrap_or(type_name)
}

/// Takes over the terminal and shows a live [`Observer`] of `system`, refreshed every
/// `interval` (at least [`MIN_INTERVAL`]), until `q`, `Esc` or `Ctrl-C`; then gives the
/// terminal back as it was.
///
/// The terminal is put into raw mode on the alternate screen and restored on return, also
/// when drawing fails or the observer panics. Key presses are waited for on Tokio's blocking
/// pool, so the runtime's workers go on running actors meanwhile. `↑`/`↓` scroll the trees by
/// a line, `PgUp`/`PgDn` by ten.
///
/// While it runs, **panic messages are not printed**: an actor's panic is caught by the
/// runtime and shows in the crash reports panel, and its message written over the screen
/// would garble it. The process's panic hook is called as before once `run` returns (a panic
/// of the observer itself is printed when the terminal is restored). Other output to the
/// terminal (a `tracing` subscriber writing to stderr, say) garbles the screen: send it to a
/// file while observing.
///
/// # Errors
///
/// [`ObserverError::Terminal`] if drawing or reading the terminal fails,
/// [`ObserverError::Input`] if the task waiting for keys fails.
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), airssys_rt_observer::ObserverError> {
/// let system = airssys_rt::ActorSystem::builder().statistics(true).build().expect("valid");
/// airssys_rt_observer::run(&system, std::time::Duration::from_millis(500)).await?;
/// # Ok(()) }
/// ```
pub async fn run(system: &ActorSystem, interval: Duration) -> Result<(), ObserverError> {
    let _screen = Screen::take()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    run_on(&mut terminal, system, interval).await
}

/// How many [`run`]s have the terminal now: while any has, panic messages are kept quiet.
static SCREENS_TAKEN: AtomicUsize = AtomicUsize::new(0);

/// The latest panic kept quiet, printed if it turns out to be the observer's own.
static QUIET_PANIC: Mutex<Option<String>> = Mutex::new(None);

static QUIET_PANIC_HOOK: Once = Once::new();

/// The terminal taken over: raw mode on the alternate screen, until dropped.
struct Screen;

impl Screen {
    fn take() -> std::io::Result<Screen> {
        // Wrapped once, not on every run: the hook is process-wide and must not nest.
        QUIET_PANIC_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if SCREENS_TAKEN.load(Ordering::SeqCst) == 0 {
                    previous(info);
                } else if let Ok(mut quiet) = QUIET_PANIC.lock() {
                    *quiet = Some(info.to_string());
                }
            }));
        });
        SCREENS_TAKEN.fetch_add(1, Ordering::SeqCst);
        // From here on, dropping the screen puts the terminal back, whatever fails next.
        let screen = Screen;
        enable_raw_mode()?;
        execute!(std::io::stdout(), EnterAlternateScreen)?;
        Ok(screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
        SCREENS_TAKEN.fetch_sub(1, Ordering::SeqCst);
        if std::thread::panicking() {
            // The observer itself panicked: its message was kept quiet; show it now.
            if let Some(message) = QUIET_PANIC.lock().ok().and_then(|mut quiet| quiet.take()) {
                eprintln!("{message}");
            }
        }
    }
}

async fn run_on(
    terminal: &mut DefaultTerminal,
    system: &ActorSystem,
    interval: Duration,
) -> Result<(), ObserverError> {
    let interval = interval.max(MIN_INTERVAL);
    let mut observer = Observer::new(system);
    let mut next_refresh = Instant::now();
    loop {
        if Instant::now() >= next_refresh {
            observer.refresh().await;
            next_refresh = Instant::now() + interval;
        }
        terminal.draw(|frame| observer.draw(frame))?;
        let wait = next_refresh.saturating_duration_since(Instant::now());
        let key = tokio::task::spawn_blocking(move || next_key(wait)).await??;
        match key {
            None => {}
            Some(key) if quits(&key) => return Ok(()),
            Some(key) => match key.code {
                KeyCode::Up => observer.scroll_trees(-1),
                KeyCode::Down => observer.scroll_trees(1),
                KeyCode::PageUp => observer.scroll_trees(-10),
                KeyCode::PageDown => observer.scroll_trees(10),
                _ => {}
            },
        }
    }
}

/// The next key pressed within `wait`, if any (other events, such as a resize, end the wait
/// too, so that the screen is redrawn).
fn next_key(wait: Duration) -> std::io::Result<Option<KeyEvent>> {
    if !event::poll(wait)? {
        return Ok(None);
    }
    Ok(match event::read()? {
        Event::Key(key) if key.kind == KeyEventKind::Press => Some(key),
        _ => None,
    })
}

fn quits(key: &KeyEvent) -> bool {
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => true,
        KeyCode::Char('c') => key.modifiers.contains(KeyModifiers::CONTROL),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_esc_and_ctrl_c_quit_other_keys_do_not() {
        let key = |code, modifiers| KeyEvent::new(code, modifiers);
        assert!(quits(&key(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(quits(&key(KeyCode::Esc, KeyModifiers::NONE)));
        assert!(quits(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!quits(&key(KeyCode::Char('c'), KeyModifiers::NONE)));
        assert!(!quits(&key(KeyCode::Down, KeyModifiers::NONE)));
    }

    #[test]
    fn a_type_is_shown_by_its_last_path_segment() {
        assert_eq!(short_type("my_app::workers::Worker"), "Worker");
        assert_eq!(short_type("Worker"), "Worker");
    }
}
