//! The history export a Land can check offline with the ledger's public
//! key. A text file, one line each, so that a changed byte stays on its
//! line and the check can name the event it belongs to:
//!
//! ```text
//! efa-registry history v1
//! checkpoint <seq> <hex hash> <key-id> <hex signature>
//! event <seq> <hex of the event's codec encoding, as the ledger stores it>
//! ...
//! ```
//!
//! The events are a contiguous range of the log; the checkpoint is the
//! ledger's signature of the last one. The check recomputes every hash,
//! follows the chain and checks the signature, and names the first event
//! that does not match.

use efa_proto::{Hash, SealedEvent, SignedCheckpoint, codec};

use crate::chain::{ChainBreak, ChainProblem, verify_chain};
use crate::keys::PublicKey;

const HEADER: &str = "efa-registry history v1";

/// Writes events (contiguous, ascending) and the checkpoint at the last.
pub fn write_export(events: &[SealedEvent], checkpoint: &SignedCheckpoint) -> String {
    let mut text = format!("{HEADER}\n{}\n", checkpoint_line(checkpoint));
    for event in events {
        text.push_str(&format!(
            "event {} {}\n",
            event.record.seq,
            hex::encode(codec::encode(event))
        ));
    }
    text
}

/// What a successful check covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub first_seq: u64,
    pub last_seq: u64,
    /// The chain hash of each event, from `first_seq` on.
    pub hashes: Vec<Hash>,
}

impl ExportReport {
    /// The chain hash of event `seq`, if the export holds it.
    pub fn hash_of(&self, seq: u64) -> Option<&Hash> {
        let index = seq.checked_sub(self.first_seq)?;
        self.hashes.get(usize::try_from(index).ok()?)
    }
}

/// Checks an export against the ledger's public key.
pub fn verify_export(text: &str, key: &PublicKey) -> Result<ExportReport, ChainBreak> {
    let mut lines = text.lines();
    let whole = |problem| ChainBreak { seq: 0, problem };
    if lines.next() != Some(HEADER) {
        return Err(whole(ChainProblem::NotAnExport));
    }
    let checkpoint = lines
        .next()
        .and_then(parse_checkpoint_line)
        .ok_or_else(|| whole(ChainProblem::NoCheckpointLine))?;
    let mut events: Vec<SealedEvent> = Vec::new();
    for line in lines {
        let expected = events.last().map(|e| e.record.seq + 1);
        let at = |problem| ChainBreak {
            seq: expected.unwrap_or(0),
            problem,
        };
        let mut parts = line.split(' ');
        let (Some("event"), Some(seq), Some(bytes), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(at(ChainProblem::NotAnEventLine));
        };
        let named: Option<u64> = seq.parse().ok();
        let at = |problem| ChainBreak {
            seq: expected.or(named).unwrap_or(0),
            problem,
        };
        let bytes = hex::decode(bytes).map_err(|_| at(ChainProblem::NotHex))?;
        let event: SealedEvent =
            codec::decode(&bytes).map_err(|e| at(ChainProblem::Undecodable(e.to_string())))?;
        if named != Some(event.record.seq) {
            return Err(at(ChainProblem::SequenceMismatch));
        }
        events.push(event);
    }
    let Some(first) = events.first() else {
        return Err(whole(ChainProblem::Empty));
    };
    let first_seq = first.record.seq;
    let prev_hash = first.record.prev_hash;
    verify_chain(key, first_seq - 1, &prev_hash, &events, Some(&checkpoint))?;
    Ok(ExportReport {
        first_seq,
        last_seq: checkpoint.seq,
        hashes: events.iter().map(|event| event.hash).collect(),
    })
}

/// `checkpoint <seq> <hex hash> <key-id> <hex signature>`: a signed
/// checkpoint as one line of text (the export's second line, the ledger's
/// head witness).
pub fn checkpoint_line(checkpoint: &SignedCheckpoint) -> String {
    format!(
        "checkpoint {} {} {} {}",
        checkpoint.seq,
        hex::encode(checkpoint.hash),
        checkpoint.key_id,
        hex::encode(&checkpoint.signature)
    )
}

/// The checkpoint of a [`checkpoint_line`].
pub fn parse_checkpoint_line(line: &str) -> Option<SignedCheckpoint> {
    let mut parts = line.split(' ');
    let (Some("checkpoint"), Some(seq), Some(hash), Some(key_id), Some(signature), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    Some(SignedCheckpoint {
        seq: seq.parse().ok()?,
        hash: hex::decode(hash).ok()?.try_into().ok()?,
        key_id: key_id.to_owned(),
        signature: hex::decode(signature).ok()?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::chain::{sign_checkpoint, tests::sample_chain};
    use crate::keys::SigningKey;

    #[test]
    fn an_export_verifies_and_a_changed_byte_is_named() {
        let ledger = SigningKey::generate("ledger").unwrap();
        let events = sample_chain(6);
        let checkpoint = sign_checkpoint(&ledger, 6, &events[5].hash);
        let text = write_export(&events[1..], &checkpoint);
        let key = ledger.public();
        assert_eq!(
            verify_export(&text, &key).unwrap(),
            ExportReport {
                first_seq: 2,
                last_seq: 6,
                hashes: events[1..].iter().map(|event| event.hash).collect(),
            }
        );
        // Every byte of event 4's line, changed, is caught at event 4.
        let line_start = text.find("event 4 ").unwrap() + "event 4 ".len();
        let line_end = line_start + text[line_start..].find('\n').unwrap();
        for at in line_start..line_end {
            let mut bytes = text.clone().into_bytes();
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(
                verify_export(&changed, &key).unwrap_err().seq,
                4,
                "byte {at}"
            );
        }
        let other = SigningKey::generate("ledger").unwrap().public();
        assert!(verify_export(&text, &other).is_err());
    }
}
