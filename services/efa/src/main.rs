//! The `efa` binary: runs the whole registry in one process (`efa up`), or
//! one service against a NATS URL, and offers the offline tools (verify,
//! tokens). Thin: parse flags, set up telemetry, build, run until a signal.

mod bench;
mod cli;
mod client;
mod generate;
mod import;
mod nats_access;
mod nats_setup;
mod out;
mod rebuild;
mod report;
mod restore;
mod seed;
mod signers;
mod tokens;
mod up;
mod usage;
mod verify;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: the views, the JSON answers
/// and sled allocate and free many small objects from several threads at
/// once, where glibc's allocator took about two fifths of the process's
/// time under a mixed read load; with mimalloc the same load at 10
/// million events answers with a lower latency at every percentile and
/// about the same resident memory (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: efa_alloc::MiMalloc = efa_alloc::MiMalloc;

use anyhow::Result;
use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => match usage::german(&error) {
            Some(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
            None => error.exit(),
        },
    };
    if !cli.is_client() {
        efa_runtime::telemetry::init();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => exit_code(&error),
    }
}

fn run(cli: cli::Cli) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli::run(cli))
}

/// A client command's failure has its own message and exit code (see
/// `client::EXIT_CODES`); any other error is printed in German with its
/// causes and hints (`report`), without a backtrace, with exit code 1.
fn exit_code(error: &anyhow::Error) -> ExitCode {
    match error.downcast_ref::<client::Failure>() {
        Some(failure) => {
            eprintln!("Fehler: {failure}");
            ExitCode::from(failure.exit_code())
        }
        None => {
            eprintln!("{}", report::german(error));
            match error.downcast_ref::<import::Refused>() {
                Some(_) => ExitCode::from(2),
                None => ExitCode::FAILURE,
            }
        }
    }
}
