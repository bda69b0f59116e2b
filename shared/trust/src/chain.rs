//! Checking events against the ledger's signed checkpoints. A checkpoint
//! signs one chain head (seq and hash); events whose hashes chain from a
//! trusted point up to that head are the ledger's events. So a page, a
//! stream window or an export costs one signature check and a SHA-256 per
//! event, and verifying never caps how fast views are rebuilt.

use efa_proto::{Hash, SealedEvent, SignedCheckpoint};

use crate::keys::{PublicKey, SigningKey};

/// Signs the chain head `(seq, hash)` with the ledger's key.
pub fn sign_checkpoint(key: &SigningKey, seq: u64, hash: &Hash) -> SignedCheckpoint {
    SignedCheckpoint {
        seq,
        hash: *hash,
        key_id: key.key_id().to_owned(),
        signature: key.sign(&SignedCheckpoint::signed_bytes(seq, hash)),
    }
}

/// Whether `checkpoint` carries a valid signature by `key`.
pub fn verify_checkpoint(key: &PublicKey, checkpoint: &SignedCheckpoint) -> bool {
    checkpoint.key_id == key.key_id()
        && key.verifies(
            &SignedCheckpoint::signed_bytes(checkpoint.seq, &checkpoint.hash),
            &checkpoint.signature,
        )
}

/// The first event that does not belong to the signed chain, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq}: {problem}")]
pub struct ChainBreak {
    pub seq: u64,
    pub problem: String,
}

/// Checks that `events` continue the chain after `(prev_seq, prev_hash)`
/// (contiguous, each hash matching its record and the one before) and end
/// exactly at `checkpoint`, signed by `key`. Names the first event that
/// does not match. An empty slice with no checkpoint is fine.
pub fn verify_chain(
    key: &PublicKey,
    prev_seq: u64,
    prev_hash: &Hash,
    events: &[SealedEvent],
    checkpoint: Option<&SignedCheckpoint>,
) -> Result<(), ChainBreak> {
    let mut expected_seq = prev_seq + 1;
    let mut prev = *prev_hash;
    for event in events {
        let broken = |problem: &str| ChainBreak {
            seq: expected_seq,
            problem: problem.to_owned(),
        };
        if event.record.seq != expected_seq {
            return Err(broken(&format!(
                "missing; found event {} instead",
                event.record.seq
            )));
        }
        if !event.hash_is_valid() {
            return Err(broken("its hash does not match its content"));
        }
        if event.record.prev_hash != prev {
            return Err(broken("it does not point at the hash of the event before"));
        }
        prev = event.hash;
        expected_seq += 1;
    }
    let last_seq = expected_seq - 1;
    let Some(checkpoint) = checkpoint else {
        if events.is_empty() {
            return Ok(());
        }
        return Err(ChainBreak {
            seq: last_seq,
            problem: "no signed checkpoint covers it".into(),
        });
    };
    if !verify_checkpoint(key, checkpoint) {
        return Err(ChainBreak {
            seq: checkpoint.seq,
            problem: format!(
                "the checkpoint's signature is not valid for key {}",
                key.key_id()
            ),
        });
    }
    if checkpoint.seq != last_seq || checkpoint.hash != prev {
        return Err(ChainBreak {
            seq: checkpoint.seq.min(last_seq.max(prev_seq + 1)),
            problem: format!(
                "the signed checkpoint ({}, {}) is not the chain's end ({last_seq}, {})",
                checkpoint.seq,
                hex::encode(checkpoint.hash),
                hex::encode(prev)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use efa_proto::*;

    use super::*;

    /// A chain of `len` sealed events starting at seq 1.
    pub(crate) fn sample_chain(len: u64) -> Vec<SealedEvent> {
        let mut prev = [0; 32];
        (1..=len)
            .map(|seq| {
                let event = SealedEvent::seal(EventRecord {
                    schema_version: SCHEMA_VERSION,
                    seq,
                    event_id: EventId([seq as u8; 16]),
                    stream: StreamId::Kreis(KreisKey::parse("16051").unwrap()),
                    stream_version: seq,
                    recorded_at: Timestamp::from_micros(seq as i64),
                    effective: Date::parse("2024-01-01").unwrap(),
                    actor: Actor::Admin,
                    command_id: CommandId([seq as u8; 16]),
                    prev_hash: prev,
                    event: Event::GemeindeRenamed {
                        ags: Ags::parse("16051000").unwrap(),
                        name: format!("Erfurt {seq}"),
                    },
                });
                prev = event.hash;
                event
            })
            .collect()
    }

    #[test]
    fn one_signature_covers_a_chain() {
        let ledger = SigningKey::generate("ledger").unwrap();
        let events = sample_chain(5);
        let head = sign_checkpoint(&ledger, 5, &events[4].hash);
        let key = ledger.public();
        verify_chain(&key, 0, &[0; 32], &events, Some(&head)).unwrap();
        verify_chain(&key, 2, &events[1].hash, &events[2..], Some(&head)).unwrap();

        let mut changed = events.clone();
        changed[2].record.stream_version += 1;
        let error = verify_chain(&key, 0, &[0; 32], &changed, Some(&head)).unwrap_err();
        assert_eq!(error.seq, 3);

        let other = SigningKey::generate("ledger").unwrap();
        let forged = sign_checkpoint(&other, 5, &events[4].hash);
        assert!(verify_chain(&key, 0, &[0; 32], &events, Some(&forged)).is_err());
        let short = sign_checkpoint(&ledger, 4, &events[3].hash);
        assert!(verify_chain(&key, 0, &[0; 32], &events, Some(&short)).is_err());
        assert!(verify_chain(&key, 0, &[0; 32], &events, None).is_err());
        verify_chain(&key, 5, &events[4].hash, &[], None).unwrap();
    }
}
