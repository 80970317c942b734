//! The observer's screen, drawn into a test backend and read back as text.

use std::time::Duration;

use airssys_rt::prelude::*;
use airssys_rt_observer::Observer;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::oneshot;

const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;

enum Cmd {
    Echo(u32),
    Block { entered: oneshot::Sender<()>, release: oneshot::Receiver<()> },
    Panic,
}

struct Worker;

#[actor]
impl Actor for Worker {
    type Msg = Cmd;
    type Reply = u32;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Worker)
    }

    async fn handle(&mut self, msg: Cmd, _: &mut Context<Self>) -> Result<u32, Self::Error> {
        match msg {
            Cmd::Echo(n) => Ok(n),
            Cmd::Block { entered, release } => {
                let _ = entered.send(());
                let _ = release.await;
                Ok(0)
            }
            Cmd::Panic => panic!("boom on request"),
        }
    }
}

/// Holds `actor` inside a handler until the returned sender is dropped or used.
async fn block(actor: &ActorRef<Worker>) -> oneshot::Sender<()> {
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    actor.tell(Cmd::Block { entered: entered_tx, release: release_rx }).await.unwrap();
    entered_rx.await.unwrap();
    release_tx
}

/// The screen after a refresh, one string per row.
async fn screen(observer: &mut Observer) -> Vec<String> {
    observer.refresh().await;
    draw(observer)
}

fn draw(observer: &Observer) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
    terminal.draw(|frame| observer.draw(frame)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..HEIGHT).map(|y| (0..WIDTH).map(|x| buffer[(x, y)].symbol()).collect::<String>()).collect()
}

/// The rows of the panel titled `title`, from its left border on, below its title row.
fn panel(screen: &[String], title: &str) -> Vec<String> {
    let (row, column) = screen
        .iter()
        .enumerate()
        .find_map(|(row, line)| {
            let byte = line.find(title)?;
            Some((row, line[..byte].chars().count()))
        })
        .unwrap_or_else(|| panic!("no panel {title:?} in\n{}", screen.join("\n")));
    screen[row + 1..].iter().map(|line| line.chars().skip(column).collect()).collect()
}

/// The words of a table row, without its borders.
fn words(row: &str) -> Vec<String> {
    row.split_whitespace().filter(|word| *word != "│").map(str::to_owned).collect()
}

async fn app(system: &ActorSystem, children: &[&'static str]) -> SupervisorRef {
    let mut spec =
        SupervisorSpec::new(Strategy::OneForOne).intensity(10, Duration::from_secs(3600));
    for child in children {
        spec = spec.child(ChildSpec::worker::<Worker>(*child, ()));
    }
    Supervisor::start_with(system, SpawnOptions::new().name("app"), spec).await.unwrap()
}

async fn child(root: &SupervisorRef, id: &str) -> ActorRef<Worker> {
    let child: ActorRef<Worker> = root.child(id).await.unwrap().unwrap();
    // Answered: it runs.
    child.ask(Cmd::Echo(0)).await.unwrap();
    child
}

#[tokio::test]
async fn the_header_counts_actors_crashes_and_dead_letters() {
    let system = ActorSystem::new();
    let _root = app(&system, &["cache", "db"]).await;
    let lonely = system.spawn_named::<Worker>("lonely", ()).await.unwrap();
    let mut observer = Observer::new(&system);

    let header = &screen(&mut observer).await[0];
    assert!(header.contains("alive 4 | started 4 | crashes 0 | dead letters 0"), "{header}");

    // It panics with a message still queued behind: that one becomes a dead letter.
    let release = block(&lonely).await;
    lonely.tell(Cmd::Panic).await.unwrap();
    lonely.tell(Cmd::Echo(1)).await.unwrap();
    drop(release);
    lonely.wait_for_exit().await;
    let header = &screen(&mut observer).await[0];
    assert!(header.contains("alive 3 | started 4 | crashes 1 | dead letters 1"), "{header}");
    system.shutdown().await;
}

#[tokio::test]
async fn the_trees_show_every_supervised_actor_under_its_supervisor() {
    let system = ActorSystem::new();
    let root = app(&system, &["cache", "db"]).await;
    let cache = child(&root, "cache").await;
    let db = child(&root, "db").await;
    let mut observer = Observer::new(&system);

    let screen = screen(&mut observer).await;
    let trees = panel(&screen, " Supervision trees (1) ");
    let app_line = format!("app {} Supervisor running, mailbox 0", root.actor().id());
    assert!(trees[0].starts_with(&app_line), "{}", trees.join("\n"));
    let cache_line = format!("├─ cache {} Worker running, mailbox 0, restarts 0", cache.id());
    assert!(trees[1].starts_with(&cache_line), "{}", trees.join("\n"));
    let db_line = format!("└─ db {} Worker running, mailbox 0, restarts 0", db.id());
    assert!(trees[2].starts_with(&db_line), "{}", trees.join("\n"));

    // Scrolled by a line, the supervisor's line leaves the panel.
    observer.scroll_trees(1);
    let scrolled = panel(&draw(&observer), " Supervision trees (1) ");
    assert!(scrolled[0].starts_with(&cache_line), "{}", scrolled.join("\n"));
    observer.scroll_trees(-5);
    assert!(panel(&draw(&observer), " Supervision trees (1) ")[0].starts_with(&app_line));
    system.shutdown().await;
}

#[tokio::test]
async fn the_busiest_mailboxes_come_deepest_first() {
    let system = ActorSystem::new();
    let shallow = system.spawn_named::<Worker>("shallow", ()).await.unwrap();
    let deep = system.spawn_named::<Worker>("deep", ()).await.unwrap();
    let _idle = system.spawn_named::<Worker>("idle", ()).await.unwrap();
    let release_shallow = block(&shallow).await;
    let release_deep = block(&deep).await;
    for n in 0..2 {
        shallow.tell(Cmd::Echo(n)).await.unwrap();
    }
    for n in 0..7 {
        deep.tell(Cmd::Echo(n)).await.unwrap();
    }
    let mut observer = Observer::new(&system);

    let screen = screen(&mut observer).await;
    let busiest = panel(&screen, " Busiest mailboxes ");
    assert_eq!(words(&busiest[0]), ["actor", "id", "type", "depth", "msg/s"]);
    let deep_id = deep.id().to_string();
    assert_eq!(words(&busiest[1]), ["deep", deep_id.as_str(), "Worker", "7", "-"]);
    let shallow_id = shallow.id().to_string();
    assert_eq!(words(&busiest[2]), ["shallow", shallow_id.as_str(), "Worker", "2", "-"]);
    assert_eq!(words(&busiest[3])[0], "idle");
    drop((release_shallow, release_deep));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn with_statistics_the_busiest_table_shows_message_rates() {
    let system = ActorSystem::builder().statistics(true).build().unwrap();
    let worker = system.spawn_named::<Worker>("worker", ()).await.unwrap();
    let mut observer = Observer::new(&system);
    observer.refresh().await;
    for n in 0..20 {
        worker.tell(Cmd::Echo(n)).await.unwrap();
    }
    worker.ask(Cmd::Echo(20)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let screen = screen(&mut observer).await;
    let row = &panel(&screen, " Busiest mailboxes ")[1];
    let id = worker.id().to_string();
    assert_eq!(words(row), ["worker", id.as_str(), "Worker", "0", "10.5"], "21 messages in 2 s");
    system.shutdown().await;
}

#[tokio::test]
async fn recent_crash_reports_come_latest_first() {
    let system = ActorSystem::new();
    let root = app(&system, &["flaky"]).await;
    let lonely = system.spawn_named::<Worker>("lonely", ()).await.unwrap();
    let _ = lonely.tell(Cmd::Panic).await;
    lonely.wait_for_exit().await;
    let flaky = child(&root, "flaky").await;
    let _ = flaky.tell(Cmd::Panic).await;
    flaky.wait_for_exit().await;
    let mut observer = Observer::new(&system);

    let screen = screen(&mut observer).await;
    let crashes = panel(&screen, " Recent crash reports, latest first (2 in all) ");
    let flaky_line = format!("{} app/flaky: panicked: boom on request (Worker, handling a message of type observer::Cmd, restarts 0, ", flaky.id());
    assert!(crashes[0].starts_with(&flaky_line), "{}", crashes.join("\n"));
    assert!(crashes[0].contains("s ago)"), "how long ago: {}", crashes[0]);
    let lonely_line =
        format!("{} lonely: panicked: boom on request (Worker, handling", lonely.id());
    assert!(crashes[1].starts_with(&lonely_line), "{}", crashes.join("\n"));
    system.shutdown().await;
}

#[tokio::test]
async fn the_header_shows_the_health_status() {
    let system = ActorSystem::new();
    let mut observer = Observer::new(&system);
    assert!(draw(&observer)[0].contains("| health - |"), "no refresh yet");

    let root = app(&system, &["worker"]).await;
    child(&root, "worker").await;
    let screen_now = screen(&mut observer).await;
    assert!(screen_now[0].contains("| health healthy |"), "{}", screen_now[0]);
    assert_eq!(screen_now[1].trim(), "", "no issues");

    // A root supervisor that gives up leaves the system failed.
    let strict = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0, Duration::from_secs(3600))
        .child(ChildSpec::worker::<Worker>("fragile", ()));
    let strict =
        Supervisor::start_with(&system, SpawnOptions::new().name("strict"), strict).await.unwrap();
    let fragile = child(&strict, "fragile").await;
    let _ = fragile.tell(Cmd::Panic).await;
    strict.actor().wait_for_exit().await;
    let screen = screen(&mut observer).await;
    assert!(screen[0].contains("| health failed |"), "{}", screen[0]);
    assert_eq!(screen[1].trim_end(), "strict: not running", "why, below the header");
    system.shutdown().await;
}
