//! Offline verification of the whole log: contiguous sequence numbers from
//! 1, every hash matching its record, every record pointing at the hash of
//! the one before, and the head record agreeing with the last event. Names
//! the first bad sequence.

use std::path::Path;

use efa_proto::Hash;

use crate::store::{LedgerStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    pub head_hash: Hash,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("event {seq}: {problem}")]
    Broken { seq: u64, problem: String },
}

const PAGE_LEN: usize = 10_000;

/// Verifies the log of the ledger whose data lives in `data_dir`, without
/// changing it.
pub fn verify(data_dir: &Path) -> Result<ChainReport, VerifyError> {
    let store = LedgerStore::open_to_read(data_dir)?;
    verify_store(&store)
}

pub fn verify_store(store: &LedgerStore) -> Result<ChainReport, VerifyError> {
    let mut expected_seq = 1;
    let mut prev_hash: Hash = [0; 32];
    loop {
        let page = match store.events_from(expected_seq, PAGE_LEN) {
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
    })
}
