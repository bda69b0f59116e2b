//! `efa generate`: writes a Germany-scale synthetic history straight into
//! a ledger data directory, through the ledger's own writer (decide, seal,
//! group commit, fsync) with a synthetic clock, so the same seed always
//! gives the same chain head. For benchmarks; reports time and memory.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use efa_proto::{CommandReply, Timestamp};
use efa_reference::generate::{Generator, Shape};

/// Recorded times start here and advance by a microsecond per commit.
const CLOCK_START_MICROS: i64 = 1_793_491_200_000_000; // 2026-11-01T00:00:00Z

/// Commands per group commit.
const BATCH_LEN: usize = 1024;

/// Peak resident memory of this process, from /proc (Linux), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn run(data_dir: &Path, shape: Shape) -> Result<()> {
    let mut micros = CLOCK_START_MICROS;
    let clock = Box::new(move || {
        micros += 1;
        Timestamp::from_micros(micros)
    });
    let mut loader =
        efa_ledger::bulk::BulkLoader::open(data_dir, clock).context("Ledger-Speicher öffnen")?;
    if loader.head()?.seq != 0 {
        bail!(
            "{} enthält bereits einen Ledger; in ein leeres Verzeichnis generieren",
            data_dir.display()
        );
    }
    let mut generator = Generator::new(shape);
    let started = Instant::now();
    let (mut commands, mut rejected, mut next_report) = (0u64, 0u64, 100_000u64);
    loop {
        let batch = generator.next_batch(BATCH_LEN);
        if batch.is_empty() {
            break;
        }
        commands += batch.len() as u64;
        for reply in loader.load(batch) {
            if let CommandReply::Rejected(rejection) = reply {
                rejected += 1;
                if rejected <= 5 {
                    tracing::warn!(%rejection, "generated command rejected");
                }
            }
        }
        if commands >= next_report {
            let head = loader.head()?.seq;
            eprint!(
                "\r{head} Ereignisse, {:.0}/s",
                head as f64 / started.elapsed().as_secs_f64()
            );
            next_report += 100_000;
        }
    }
    let elapsed = started.elapsed();
    let head = loader.head()?;
    eprintln!();
    crate::out::say(&format!(
        "Erzeugt: {} Ereignisse aus {commands} Kommandos ({rejected} abgelehnt) in {:.1} s ({:.0} Ereignisse/s)\n\
         Kopf der Hash-Kette: {}\nSpeicher (Spitze): {} MiB",
        head.seq,
        elapsed.as_secs_f64(),
        head.seq as f64 / elapsed.as_secs_f64(),
        head.hash
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        peak_rss_kib().map_or("?".to_owned(), |kib| (kib / 1024).to_string()),
    ));
    Ok(())
}
