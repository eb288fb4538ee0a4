//! `cargo run -p local`: Streamer Events on one machine.

use clap::Parser;
use local::bench::report::print_json;
use local::bench::{loadgen, pollbench, sink, ws_end_to_end, ws_fanout};
use local::cli::{Cli, Command};
use local::settings::Settings;
use local::{app, history, samples, trigger};

/// Each request parses, copies and drops many small buffers (the body, its
/// JSON, the stored row, the frame): mimalloc's per-thread free lists cost
/// far less per request than glibc's malloc (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.threads() {
        runtime.worker_threads(n.max(1));
    }
    runtime.enable_all().build()?.block_on(async move {
        match cli.command {
            None => app::serve(Settings::read(cli.serve)?).await,
            Some(Command::Serve(args)) => app::serve(Settings::read(args)?).await,
            Some(Command::Trigger(args)) => trigger::command(args).await,
            Some(Command::Samples(args)) => samples::command(args),
            Some(Command::Loadgen(args)) => print_json(&loadgen::command(args).await?),
            Some(Command::Sink(args)) => sink::command(args).await,
            Some(Command::BenchFanout(args)) => {
                println!("{}", ws_fanout::fanout_command(args).await?);
                Ok(())
            }
            Some(Command::BenchE2e(args)) => {
                let report = ws_end_to_end::end_to_end_command(args).await?;
                println!("{report}");
                report.all_delivered()
            }
            Some(Command::Sim(args)) => app::serve_sim(args).await,
            Some(Command::BenchPoll(args)) => print_json(&pollbench::command(args).await?),
            Some(Command::History(args)) => {
                println!("wrote {} snapshots", history::command(args).await?);
                Ok(())
            }
        }
    })
}

/// mimalloc asks the kernel for transparent huge pages on its arena, and
/// memory freed inside a huge page stays resident until the kernel splits
/// it, which it does only under memory pressure: one socket's burst of
/// messages kept its peak for good. Without them the freed pages go back
/// to the system within mimalloc's purge delay. Does what mimalloc's own
/// `MIMALLOC_ALLOW_THP=0` does, for this process only; with that variable
/// set, mimalloc decides (how the benchmarks compare the two).
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}
