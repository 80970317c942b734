//! Name registry under contention: 8 reader threads looking names up while one writer thread
//! registers and unregisters, next to a plain `std::sync::RwLock<HashMap>` doing the same.
//!
//! Run with `cargo bench -p airssys-rt --bench registry`. The registry holds 10,000 names; each
//! reader looks up names spread over all of them (a typed lookup returning a strong handle,
//! which it drops); the writer registers and unregisters one more actor in a loop for as long as
//! the readers run. The baseline map holds `Arc`s and its lookup clones one, which is what a
//! hand-written registry would do. Median of 5 runs after a warm-up.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;

const NAMES: usize = 10_000;
const READERS: usize = 8;
const LOOKUPS_PER_READER: usize = 500_000;
const RUNS: usize = 5;

struct Idle;

#[actor]
impl Actor for Idle {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Idle)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// What one run measured.
struct Run {
    /// Wall time for every reader to finish its lookups.
    elapsed: Duration,
    /// Register/unregister pairs the writer completed meanwhile.
    writes: u64,
}

impl Run {
    fn lookups_per_sec(&self) -> f64 {
        (READERS * LOOKUPS_PER_READER) as f64 / self.elapsed.as_secs_f64()
    }

    fn ns_per_lookup_per_reader(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / LOOKUPS_PER_READER as f64
    }

    fn writes_per_sec(&self) -> f64 {
        self.writes as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `READERS` threads calling `lookup` and one calling `write` until they finish.
fn contend(
    names: &Arc<Vec<String>>,
    lookup: impl Fn(&str) + Send + Sync + 'static,
    write: impl Fn() + Send + 'static,
) -> Run {
    let lookup = Arc::new(lookup);
    let start = Arc::new(Barrier::new(READERS + 2));
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (start, done) = (Arc::clone(&start), Arc::clone(&done));
        thread::spawn(move || {
            start.wait();
            let mut writes = 0;
            while !done.load(Ordering::Relaxed) {
                write();
                writes += 1;
            }
            writes
        })
    };
    let readers: Vec<_> = (0..READERS)
        .map(|reader| {
            let (start, lookup, names) =
                (Arc::clone(&start), Arc::clone(&lookup), Arc::clone(names));
            thread::spawn(move || {
                start.wait();
                // A stride coprime with NAMES visits every name, in a different order per reader.
                let mut index = reader * 1_237;
                for _ in 0..LOOKUPS_PER_READER {
                    index = (index + 7_919) % NAMES;
                    lookup(&names[index]);
                }
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    for reader in readers {
        reader.join().expect("reader thread");
    }
    let elapsed = began.elapsed();
    done.store(true, Ordering::Relaxed);
    let writes = writer.join().expect("writer thread");
    Run { elapsed, writes }
}

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|run| run.elapsed);
    runs.swap_remove(runs.len() / 2)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let names: Arc<Vec<String>> = Arc::new((0..NAMES).map(|i| format!("actor-{i}")).collect());

    let system = ActorSystem::new();
    let (actors, spare) = runtime.block_on(async {
        let mut actors = Vec::with_capacity(NAMES);
        for name in names.iter() {
            actors.push(system.spawn_named::<Idle>(name.as_str(), ()).await.expect("spawn"));
        }
        (actors, system.spawn::<Idle>(()).await.expect("spawn"))
    });

    let registry_run = || {
        let (reader_system, writer_system) = (system.clone(), system.clone());
        let spare = spare.clone();
        contend(
            &names,
            move |name| {
                let found = reader_system.registry().lookup::<Idle>(name).expect("registered");
                black_box(&found);
            },
            move || {
                writer_system.registry().register("spare", &spare).expect("free");
                writer_system.registry().unregister("spare").expect("registered");
            },
        )
    };

    let map: Arc<RwLock<HashMap<Arc<str>, Arc<u64>>>> = Arc::new(RwLock::new(
        names
            .iter()
            .enumerate()
            .map(|(i, name)| (Arc::from(name.as_str()), Arc::new(i as u64)))
            .collect(),
    ));
    let baseline_run = || {
        let (reader_map, writer_map) = (Arc::clone(&map), Arc::clone(&map));
        contend(
            &names,
            move |name| {
                let found = reader_map.read().expect("lock").get(name).cloned().expect("present");
                black_box(&found);
            },
            move || {
                writer_map.write().expect("lock").insert(Arc::from("spare"), Arc::new(0));
                writer_map.write().expect("lock").remove("spare");
            },
        )
    };

    // Warm-up.
    let _warm = registry_run();
    let _warm = baseline_run();
    let ours = median((0..RUNS).map(|_| registry_run()).collect());
    let theirs = median((0..RUNS).map(|_| baseline_run()).collect());

    println!("## registry: {NAMES} names, {READERS} reader threads x {LOOKUPS_PER_READER} lookups, 1 writer\n");
    println!(
        "| | lookups/s (all readers) | ns per lookup per reader | writer register+unregister/s |"
    );
    println!("|---|---|---|---|");
    for (label, run) in
        [("airssys-rt registry (typed lookup)", &ours), ("baseline: std RwLock<HashMap>", &theirs)]
    {
        println!(
            "| {label} | {:.1} M | {:.0} | {:.0} k |",
            run.lookups_per_sec() / 1e6,
            run.ns_per_lookup_per_reader(),
            run.writes_per_sec() / 1e3,
        );
    }

    drop(spare);
    drop(actors);
    runtime.block_on(system.shutdown());
}
