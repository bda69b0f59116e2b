//! What checking the ledger's signatures costs a projector: Ed25519
//! verifications per second on one core, and events checked per second
//! when one signed checkpoint covers a window of 1, 256 or 1,000 events
//! (each event's SHA-256 recomputed and chained, one signature per
//! window). Compare with the projector's applier (BENCHMARKS.md, about
//! 10,000 events/s). Then what the ledger's checking stage pays per
//! signed command when it opens them one at a time (one command in
//! flight) and in batches of 64: run with
//! `cargo bench -p efa-trust --bench verify`.

use std::time::Instant;

use efa_proto::*;

fn chain(len: u64) -> Vec<SealedEvent> {
    let mut prev = [0; 32];
    (1..=len)
        .map(|seq| {
            let event = SealedEvent::seal(EventRecord {
                schema_version: SCHEMA_VERSION,
                seq,
                event_id: EventId([seq as u8; 16]),
                stream: StreamId::Gemeinde(Ags::parse("16051000").expect("a valid AGS")),
                stream_version: seq,
                recorded_at: Timestamp::from_micros(seq as i64),
                effective: Date::parse("2024-01-01").expect("a valid date"),
                actor: Actor::Admin,
                command_id: CommandId([seq as u8; 16]),
                prev_hash: prev,
                event: Event::GemeindeRenamed {
                    ags: Ags::parse("16051000").expect("a valid AGS"),
                    name: format!("Landeshauptstadt Erfurt, Fassung {seq}"),
                },
            });
            prev = event.hash;
            event
        })
        .collect()
}

/// Commands a gateway signed, encoded as they arrive at the ledger.
fn signed_commands(gateway: &efa_trust::SigningKey, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|n| {
            let envelope = CommandEnvelope {
                command_id: CommandId((n as u128).to_be_bytes()),
                actor: Actor::parse("land:16").expect("a valid actor"),
                expected_version: None,
                effective: None,
                command: Command::RegisterKreis(RegisterKreis {
                    key: KreisKey::parse("16051").expect("a valid Kreis key"),
                    name: format!("Kreis {n}"),
                    population: None,
                }),
            };
            codec::encode(&efa_trust::sign_command(gateway, &envelope))
        })
        .collect()
}

/// Signed commands opened per second, `batch` at a time.
fn commands_opened(payloads: &[Vec<u8>], signers: &efa_trust::TrustedSigners, batch: usize) -> f64 {
    let started = Instant::now();
    for part in payloads.chunks(batch) {
        let part: Vec<&[u8]> = part.iter().map(Vec::as_slice).collect();
        let opened = efa_trust::open_commands(&part, signers);
        assert!(opened.iter().all(Result::is_ok), "every command opens");
    }
    payloads.len() as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let key = efa_trust::SigningKey::generate("ledger").expect("a valid key id");
    let public = key.public();
    let events = chain(100_000);

    let checkpoint = efa_trust::sign_checkpoint(&key, 1, &events[0].hash);
    let count = 5_000;
    let started = Instant::now();
    for _ in 0..count {
        assert!(efa_trust::verify_checkpoint(&public, &checkpoint));
    }
    let verifies = count as f64 / started.elapsed().as_secs_f64();
    println!(
        "{:<52} {:>12.0}",
        "Ed25519 checkpoint verifications/s, one core", verifies
    );

    for window in [1usize, 256, 1000] {
        let checkpoints: Vec<_> = events
            .chunks(window)
            .map(|part| {
                let last = part.last().expect("chunks are not empty");
                efa_trust::sign_checkpoint(&key, last.record.seq, &last.hash)
            })
            .collect();
        let started = Instant::now();
        let (mut prev_seq, mut prev_hash) = (0, [0; 32]);
        for (part, checkpoint) in events.chunks(window).zip(&checkpoints) {
            efa_trust::verify_chain(&public, prev_seq, &prev_hash, part, Some(checkpoint))
                .expect("the chain is sound");
            prev_seq = checkpoint.seq;
            prev_hash = checkpoint.hash;
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "{:<52} {:>12.0}   signatures/s {:>8.0}",
            format!("events checked/s, one signature per {window} events"),
            events.len() as f64 / elapsed,
            checkpoints.len() as f64 / elapsed,
        );
    }

    let gateway = efa_trust::SigningKey::generate("gateway").expect("a valid key id");
    let mut signers = efa_trust::TrustedSigners::default();
    signers.put(efa_trust::TrustedSigner {
        key: gateway.public(),
        scope: efa_trust::Scope::Any,
    });
    let payloads = signed_commands(&gateway, 6_400);
    for batch in [1usize, 64] {
        println!(
            "{:<52} {:>12.0}",
            format!("signed commands opened/s, {batch} at a time"),
            commands_opened(&payloads, &signers, batch)
        );
    }
}
