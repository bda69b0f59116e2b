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
    pub problem: ChainProblem,
}

/// Why an event or an export does not belong to the signed chain: in
/// English for logs (`Display`), in German for people (`message_de`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainProblem {
    #[error("missing; found event {found} instead")]
    Missing { found: u64 },
    #[error("its hash does not match its content")]
    HashMismatch,
    #[error("it does not point at the hash of the event before")]
    NotLinked,
    #[error("no signed checkpoint covers it")]
    NoCheckpoint,
    #[error("the checkpoint's signature is not valid for key {key_id}")]
    BadSignature { key_id: String },
    #[error("the signed checkpoint ({seq}, {}) is not the chain's end ({end_seq}, {})", hex::encode(.hash), hex::encode(.end_hash))]
    NotTheEnd {
        seq: u64,
        hash: Hash,
        end_seq: u64,
        end_hash: Hash,
    },
    #[error("not an efa-registry history export (first line)")]
    NotAnExport,
    #[error("the second line is not a checkpoint")]
    NoCheckpointLine,
    #[error("the line is not an event line")]
    NotAnEventLine,
    #[error("the event is not hex")]
    NotHex,
    #[error("the event does not decode: {0}")]
    Undecodable(String),
    #[error("the line's sequence is not the event's")]
    SequenceMismatch,
    #[error("the export holds no event")]
    Empty,
    #[error("the line is not as the ledger writes it (lower-case hex, plain decimals, LF)")]
    NotCanonical,
    #[error("the event comes twice")]
    Duplicate,
    #[error("the event is out of order; found event {found} in its place")]
    OutOfOrder { found: u64 },
    #[error("the checkpoint names key {named}, the key given is {expected}")]
    OtherKey { named: String, expected: String },
    #[error("the events up to {checkpoint}, which the checkpoint names, are missing")]
    Truncated { checkpoint: u64 },
    #[error("no signed checkpoint covers it: the checkpoint names event {checkpoint}")]
    BeyondCheckpoint { checkpoint: u64 },
}

impl ChainProblem {
    /// The problem in a German sentence for the one who checks.
    pub fn message_de(&self) -> String {
        match self {
            Self::Missing { found } => format!("fehlt; stattdessen folgt Ereignis {found}"),
            Self::HashMismatch => "sein Hash passt nicht zu seinem Inhalt (verändert)".into(),
            Self::NotLinked => "es verweist nicht auf den Hash des Ereignisses davor".into(),
            Self::NoCheckpoint => "kein signierter Prüfpunkt deckt es ab".into(),
            Self::BadSignature { key_id } => {
                format!("die Signatur des Prüfpunkts ist für den Schlüssel {key_id} ungültig")
            }
            Self::NotTheEnd { seq, end_seq, .. } => format!(
                "der signierte Prüfpunkt (Sequenz {seq}) ist nicht das Ende der Kette (Sequenz {end_seq})"
            ),
            Self::NotAnExport => {
                "die Datei ist kein Export einer efa-registry-Historie (erste Zeile)".into()
            }
            Self::NoCheckpointLine => "die zweite Zeile ist kein Prüfpunkt".into(),
            Self::NotAnEventLine => "die Zeile ist keine Ereigniszeile".into(),
            Self::NotHex => "das Ereignis ist nicht hexadezimal kodiert".into(),
            Self::Undecodable(_) => "das Ereignis lässt sich nicht lesen".into(),
            Self::SequenceMismatch => "die Sequenz der Zeile ist nicht die des Ereignisses".into(),
            Self::Empty => "der Export enthält kein Ereignis".into(),
            Self::NotCanonical => "die Zeile ist nicht so geschrieben, wie der Ledger schreibt \
                (Hexadezimal in Kleinbuchstaben, Zahlen ohne Vorzeichen und führende Null, \
                Zeilenende LF): verändert"
                .into(),
            Self::Duplicate => "das Ereignis steht doppelt in der Datei".into(),
            Self::OutOfOrder { found } => {
                format!("steht nicht an seinem Platz; dort steht Ereignis {found}")
            }
            Self::OtherKey { named, expected } => {
                format!("der Prüfpunkt nennt den Schlüssel „{named}“, angegeben ist „{expected}“")
            }
            Self::Truncated { checkpoint } => format!(
                "fehlt, wie alle bis Ereignis {checkpoint}, das der signierte Prüfpunkt nennt \
                 (Datei gekürzt)"
            ),
            Self::BeyondCheckpoint { checkpoint } => format!(
                "kein signierter Prüfpunkt deckt es ab; der Prüfpunkt nennt Ereignis \
                 {checkpoint} (angehängt?)"
            ),
        }
    }
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
        let broken = |problem| ChainBreak {
            seq: expected_seq,
            problem,
        };
        if event.record.seq != expected_seq {
            return Err(broken(ChainProblem::Missing {
                found: event.record.seq,
            }));
        }
        if !event.hash_is_valid() {
            return Err(broken(ChainProblem::HashMismatch));
        }
        if event.record.prev_hash != prev {
            return Err(broken(ChainProblem::NotLinked));
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
            problem: ChainProblem::NoCheckpoint,
        });
    };
    if !verify_checkpoint(key, checkpoint) {
        return Err(ChainBreak {
            seq: checkpoint.seq,
            problem: ChainProblem::BadSignature {
                key_id: key.key_id().to_string(),
            },
        });
    }
    if checkpoint.seq != last_seq || checkpoint.hash != prev {
        return Err(ChainBreak {
            seq: checkpoint.seq.min(last_seq.max(prev_seq + 1)),
            problem: ChainProblem::NotTheEnd {
                seq: checkpoint.seq,
                hash: checkpoint.hash,
                end_seq: last_seq,
                end_hash: prev,
            },
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
