//! Offline verification of the whole log: contiguous sequence numbers from
//! 1, every hash matching its record, every record pointing at the hash of
//! the one before, the head record agreeing with the last event, and the
//! stored checkpoint of the head carrying the ledger's valid signature.
//! Names the first bad sequence.

use std::path::Path;

use efa_proto::Hash;

use efa_trust::PublicKey;

use crate::store::{LedgerStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    pub head_hash: Hash,
    /// Whether the head's stored checkpoint was signed by the key checked
    /// against; `false` for a log written before checkpoints were signed.
    pub checkpoint_signed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("event {seq}: {problem}")]
    Broken { seq: u64, problem: String },
    #[error("the ledger's public key: {0}")]
    Key(#[from] efa_trust::KeyError),
}

const PAGE_LEN: usize = 10_000;

/// Verifies the log of the ledger whose data lives in `data_dir`, without
/// changing it, and its checkpoint against `key` (by default the public
/// key the ledger wrote into the data dir).
pub fn verify(data_dir: &Path, key: Option<&PublicKey>) -> Result<ChainReport, VerifyError> {
    let store = LedgerStore::open_to_read(data_dir)?;
    let report = verify_store(&store)?;
    let checkpoint = match key {
        Some(key) => Expect::Required(key.clone()),
        None => match std::fs::read_to_string(data_dir.join(crate::keys::PUBLIC_KEY_FILE)) {
            Ok(text) => Expect::IfStored(PublicKey::parse(&text)?),
            Err(_) => Expect::Nothing,
        },
    };
    verify_checkpoint(&store, report, checkpoint)
}

/// What the check expects of the stored checkpoint.
enum Expect {
    /// A key was given: the head must be signed by it.
    Required(PublicKey),
    /// The data dir's own key: a stored checkpoint must be signed by it; a
    /// log written before checkpoints were signed has none yet (until the
    /// ledger's next commit).
    IfStored(PublicKey),
    /// No key at all: a stored checkpoint cannot be checked.
    Nothing,
}

/// Checks the stored checkpoint of the head: it must name the head and
/// carry the expected key's signature.
fn verify_checkpoint(
    store: &LedgerStore,
    mut report: ChainReport,
    expect: Expect,
) -> Result<ChainReport, VerifyError> {
    let broken = |problem: &str| VerifyError::Broken {
        seq: report.events,
        problem: problem.to_owned(),
    };
    let (checkpoint, key) = match (store.checkpoint()?, expect) {
        (None, Expect::Required(_)) if report.events > 0 => {
            return Err(broken("no signed checkpoint of the head is stored"));
        }
        (None, _) => return Ok(report),
        (Some(_), Expect::Nothing) => {
            return Err(broken("no public key to check the signed checkpoint with"));
        }
        (Some(checkpoint), Expect::Required(key) | Expect::IfStored(key)) => (checkpoint, key),
    };
    if checkpoint.seq != report.events || checkpoint.hash != report.head_hash {
        return Err(broken("the signed checkpoint is not the head"));
    }
    if !efa_trust::verify_checkpoint(&key, &checkpoint) {
        return Err(broken(&format!(
            "the checkpoint's signature is not valid for key {}",
            key.key_id()
        )));
    }
    report.checkpoint_signed = true;
    Ok(report)
}

pub fn verify_store(store: &LedgerStore) -> Result<ChainReport, VerifyError> {
    let mut expected_seq = 1;
    let mut prev_hash: Hash = [0; 32];
    loop {
        let page = match store.events_on_disk_from(expected_seq, PAGE_LEN) {
            Ok(page) => page,
            Err(StoreError::Corrupt { .. }) => {
                return Err(VerifyError::Broken {
                    seq: expected_seq,
                    problem: "record does not decode".into(),
                });
            }
            Err(error) => return Err(error.into()),
        };
        if page.is_empty() {
            break;
        }
        for event in page.into_iter().map(|stored| stored.event) {
            let seq = event.record.seq;
            let broken = |problem: &str| VerifyError::Broken {
                seq: expected_seq,
                problem: problem.to_owned(),
            };
            if seq != expected_seq {
                return Err(broken(&format!("missing; the log continues at {seq}")));
            }
            if event.record.prev_hash != prev_hash {
                return Err(broken("does not point at the hash of the event before"));
            }
            if !event.hash_is_valid() {
                return Err(broken("hash does not match its content"));
            }
            prev_hash = event.hash;
            expected_seq += 1;
        }
    }
    let head = store.head()?;
    let events = expected_seq - 1;
    if head.seq != events || head.hash != prev_hash {
        return Err(VerifyError::Broken {
            seq: head.seq.max(events),
            problem: "head record disagrees with the log".into(),
        });
    }
    Ok(ChainReport {
        events,
        head_hash: prev_hash,
        checkpoint_signed: false,
    })
}
