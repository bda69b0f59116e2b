//! What checking the ledger's signatures costs a projector: Ed25519
//! verifications per second on one core, and events checked per second
//! when one signed checkpoint covers a window of 1, 256 or 1,000 events
//! (each event's SHA-256 recomputed and chained, one signature per
//! window). Compare with the projector's applier (BENCHMARKS.md, about
//! 10,000 events/s): run with `cargo bench -p efa-trust --bench verify`.

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
}
