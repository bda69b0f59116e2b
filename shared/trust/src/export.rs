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
    /// The chain hash of the event before the first (zeros before event
    /// 1): where an export of the range before must end.
    pub prev_hash: Hash,
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

/// An export that passed [`read_export`]: its events, the checkpoint of
/// the last, and what the check covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedExport {
    pub events: Vec<SealedEvent>,
    pub checkpoint: SignedCheckpoint,
    pub report: ExportReport,
}

/// Checks an export against the ledger's public key. Every line must be
/// as the ledger writes it, byte for byte (a changed byte that decodes to
/// the same content is a changed byte too); a problem of the file's shape
/// is named as event 0.
pub fn verify_export(text: &str, key: &PublicKey) -> Result<ExportReport, ChainBreak> {
    read_export(text, key).map(|checked| checked.report)
}

/// [`verify_export`], keeping the events and the checkpoint checked (to
/// restore a ledger from them).
pub fn read_export(text: &str, key: &PublicKey) -> Result<CheckedExport, ChainBreak> {
    let whole = |problem| ChainBreak { seq: 0, problem };
    let Some(body) = text.strip_suffix('\n').filter(|_| !text.contains('\r')) else {
        return Err(whole(ChainProblem::NotCanonical));
    };
    let mut lines = body.split('\n');
    if lines.next() != Some(HEADER) {
        return Err(whole(ChainProblem::NotAnExport));
    }
    let checkpoint_text = lines
        .next()
        .ok_or_else(|| whole(ChainProblem::NoCheckpointLine))?;
    let checkpoint = parse_checkpoint_line(checkpoint_text)
        .ok_or_else(|| whole(ChainProblem::NoCheckpointLine))?;
    if checkpoint_line(&checkpoint) != checkpoint_text {
        return Err(whole(ChainProblem::NotCanonical));
    }
    let events = lines.map(event_of_line).collect::<Result<Vec<_>, _>>()?;
    let Some(first) = events.first() else {
        return Err(whole(ChainProblem::Empty));
    };
    let first_seq = first.record.seq;
    in_order(&events, first_seq)?;
    let last_seq = first_seq + events.len() as u64 - 1;
    if checkpoint.key_id != key.key_id() {
        return Err(ChainBreak {
            seq: checkpoint.seq,
            problem: ChainProblem::OtherKey {
                named: checkpoint.key_id.clone(),
                expected: key.key_id().to_owned(),
            },
        });
    }
    if checkpoint.seq > last_seq {
        return Err(ChainBreak {
            seq: last_seq + 1,
            problem: ChainProblem::Truncated {
                checkpoint: checkpoint.seq,
            },
        });
    }
    if checkpoint.seq < last_seq && checkpoint.seq >= first_seq {
        return Err(ChainBreak {
            seq: checkpoint.seq + 1,
            problem: ChainProblem::BeyondCheckpoint {
                checkpoint: checkpoint.seq,
            },
        });
    }
    let prev_hash = first.record.prev_hash;
    verify_chain(key, first_seq - 1, &prev_hash, &events, Some(&checkpoint))?;
    let report = ExportReport {
        first_seq,
        last_seq: checkpoint.seq,
        prev_hash,
        hashes: events.iter().map(|event| event.hash).collect(),
    };
    Ok(CheckedExport {
        events,
        checkpoint,
        report,
    })
}

/// The event of an event line, which must be exactly as the ledger
/// writes it.
fn event_of_line(line: &str) -> Result<SealedEvent, ChainBreak> {
    let mut parts = line.split(' ');
    let (Some("event"), Some(seq), Some(hex_bytes), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ChainBreak {
            seq: 0,
            problem: ChainProblem::NotAnEventLine,
        });
    };
    let named: u64 = seq.parse().unwrap_or(0);
    let at = |problem| ChainBreak {
        seq: named,
        problem,
    };
    let bytes = hex::decode(hex_bytes).map_err(|_| at(ChainProblem::NotHex))?;
    let event: SealedEvent =
        codec::decode(&bytes).map_err(|e| at(ChainProblem::Undecodable(e.to_string())))?;
    if named != event.record.seq {
        return Err(at(ChainProblem::SequenceMismatch));
    }
    let canonical = named.to_string() == seq
        && hex::encode(&bytes) == hex_bytes
        && codec::encode(&event) == bytes;
    if !canonical {
        return Err(at(ChainProblem::NotCanonical));
    }
    if named == 0 {
        return Err(at(ChainProblem::SequenceMismatch));
    }
    Ok(event)
}

/// The events stand one after the other from `first_seq`: the first
/// that does not is named as missing, doubled or out of order.
fn in_order(events: &[SealedEvent], first_seq: u64) -> Result<(), ChainBreak> {
    let seqs: Vec<u64> = events.iter().map(|event| event.record.seq).collect();
    for (expected, &found) in (first_seq..).zip(&seqs) {
        if found == expected {
            continue;
        }
        let seen_before = seqs.iter().take_while(|seq| **seq != found).count()
            < usize::try_from(expected - first_seq).unwrap_or(usize::MAX);
        let problem = if seen_before {
            ChainProblem::Duplicate
        } else if seqs.contains(&expected) {
            ChainProblem::OutOfOrder { found }
        } else {
            ChainProblem::Missing { found }
        };
        let seq = if seen_before { found } else { expected };
        return Err(ChainBreak { seq, problem });
    }
    Ok(())
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
                prev_hash: events[0].hash,
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

    /// The export of events 1 to 6, its key, and the text with `change`
    /// made to it, checked.
    fn changed(change: impl Fn(&str) -> String) -> Result<ExportReport, ChainBreak> {
        let ledger = SigningKey::generate("ledger").unwrap();
        let events = sample_chain(6);
        let checkpoint = sign_checkpoint(&ledger, 6, &events[5].hash);
        let text = write_export(&events, &checkpoint);
        assert!(verify_export(&text, &ledger.public()).is_ok());
        verify_export(&change(&text), &ledger.public())
    }

    fn line_of(text: &str, seq: u64) -> String {
        let start = text.find(&format!("\nevent {seq} ")).unwrap() + 1;
        let end = start + text[start..].find('\n').unwrap() + 1;
        text[start..end].to_owned()
    }

    #[test]
    fn a_line_not_written_as_the_ledger_writes_it_is_refused() {
        let upper = |t: &str| {
            let line = line_of(t, 3);
            t.replace(&line, &format!("event 3 {}", line[8..].to_uppercase()))
        };
        type Change = Box<dyn Fn(&str) -> String>;
        let cases: [(&str, Change); 5] = [
            ("upper-case hex", Box::new(upper)),
            (
                "a plus sign",
                Box::new(|t: &str| t.replace("\nevent 3 ", "\nevent +3 ")),
            ),
            (
                "a leading zero",
                Box::new(|t: &str| t.replace("\nevent 3 ", "\nevent 03 ")),
            ),
            ("CRLF", Box::new(|t: &str| t.replace('\n', "\r\n"))),
            (
                "no final line end",
                Box::new(|t: &str| t.trim_end().to_owned()),
            ),
        ];
        for (what, change) in cases {
            let error = changed(change).unwrap_err();
            assert!(
                matches!(error.problem, ChainProblem::NotCanonical)
                    || matches!(error.problem, ChainProblem::SequenceMismatch),
                "{what}: {error}"
            );
        }
    }

    #[test]
    fn doubled_swapped_cut_and_appended_events_are_named_as_such() {
        let doubled = changed(|t| {
            let line = line_of(t, 3);
            t.replace(&line, &format!("{line}{line}"))
        })
        .unwrap_err();
        assert_eq!((doubled.seq, doubled.problem), (3, ChainProblem::Duplicate));
        let swapped = changed(|t| {
            let (three, four) = (line_of(t, 3), line_of(t, 4));
            t.replace(&format!("{three}{four}"), &format!("{four}{three}"))
        })
        .unwrap_err();
        assert_eq!(
            (swapped.seq, swapped.problem),
            (3, ChainProblem::OutOfOrder { found: 4 })
        );
        let cut = changed(|t| {
            let start = t.find(&line_of(t, 5)).unwrap();
            t[..start].to_owned()
        })
        .unwrap_err();
        assert_eq!(
            (cut.seq, cut.problem),
            (5, ChainProblem::Truncated { checkpoint: 6 })
        );
        let other_key = changed(|t| t.replace(" ledger ", " ledgar ")).unwrap_err();
        assert!(
            matches!(other_key.problem, ChainProblem::OtherKey { .. }),
            "{other_key}"
        );
    }

    #[test]
    fn an_event_after_the_checkpoint_is_not_covered() {
        let ledger = SigningKey::generate("ledger").unwrap();
        let events = sample_chain(6);
        let checkpoint = sign_checkpoint(&ledger, 4, &events[3].hash);
        let text = write_export(&events, &checkpoint);
        let error = verify_export(&text, &ledger.public()).unwrap_err();
        assert_eq!(
            (error.seq, error.problem),
            (5, ChainProblem::BeyondCheckpoint { checkpoint: 4 })
        );
    }
}
