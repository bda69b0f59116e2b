//! The `efa` binary: runs the whole registry in one process (`efa up`), or
//! one service against a NATS URL, and offers the offline tools (verify,
//! tokens). Thin: parse flags, set up telemetry, build, run until a signal.

mod cli;
mod generate;
mod import;
mod out;
mod rebuild;
mod seed;
mod tokens;
mod up;

use anyhow::Result;
use clap::Parser;

fn main() -> Result<()> {
    let cli = cli::Cli::parse();
    efa_runtime::telemetry::init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli::run(cli))
}
