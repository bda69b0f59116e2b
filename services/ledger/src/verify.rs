//! Offline verification of the whole log: contiguous sequence numbers from
//! 1, every hash matching its record, every record pointing at the hash of
//! the one before, the head record agreeing with the last event, the
//! stored checkpoint of the head carrying the ledger's valid signature,
//! the store holding the event its head witness names (`store::witness`),
//! and any checkpoints the caller kept from earlier. Names the first bad
//! sequence.
//!
//! sled writes into a store it opens (it recovers its log, may write a
//! snapshot, creates missing files), so the check reads a copy, made
//! while it holds the store's file lock: the data dir stays as it was.

use std::fs::{File, TryLockError};
use std::path::Path;

use efa_proto::Hash;

use efa_trust::PublicKey;

use crate::store::witness::{self, Witnessed};
use crate::store::{Holding, LedgerStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub events: u64,
    pub head_hash: Hash,
    /// Whether the head's stored checkpoint was signed by the key checked
    /// against; `false` for a log written before checkpoints were signed.
    pub checkpoint_signed: bool,
    /// What the head witness said, and so was checked.
    pub witness: WitnessCheck,
}

/// The head witness, as the check found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WitnessCheck {
    /// The data dir has none (written before it existed, or a copy
    /// without it).
    Absent,
    /// A file that holds no checkpoint line.
    Unreadable,
    /// The store holds the event it names.
    Held { seq: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("event {seq}: {problem}")]
    Broken { seq: u64, problem: Break },
    #[error("the ledger's public key: {0}")]
    Key(#[from] efa_trust::KeyError),
    #[error("copy the ledger store to check it: {0}")]
    Copy(#[source] std::io::Error),
}

/// What is wrong at the sequence a [`VerifyError::Broken`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error("record does not decode")]
    Undecodable,
    #[error("missing; the log continues at {continues_at}")]
    Missing { continues_at: u64 },
    #[error("does not point at the hash of the event before")]
    NotLinked,
    #[error("hash does not match its content")]
    HashMismatch,
    #[error("head record disagrees with the log")]
    HeadDisagrees,
    #[error("the log holds no events")]
    Empty,
    #[error("no signed checkpoint of the head is stored")]
    NoSignedHead,
    #[error("no public key to check the signed checkpoint with")]
    NoKey,
    #[error("the signed checkpoint is not the head")]
    CheckpointNotHead,
    #[error("the checkpoint's signature is not valid for key {key_id}")]
    BadSignature { key_id: String },
    #[error("missing: {source_of} names event {named}, the log ends at {ends_at}")]
    Truncated {
        source_of: Named,
        named: u64,
        ends_at: u64,
    },
    #[error("not the event {source_of} names (another chain hash)")]
    OtherEvent { source_of: Named },
    #[error("the head witness is not signed by the ledger's key")]
    WitnessUnsigned,
}

impl Break {
    /// Whether the chain itself is broken (an event changed, missing or
    /// out of place), rather than its signature or a state it must hold.
    pub fn breaks_the_chain(&self) -> bool {
        matches!(
            self,
            Break::Undecodable
                | Break::Missing { .. }
                | Break::NotLinked
                | Break::HashMismatch
                | Break::HeadDisagrees
        )
    }

    /// The same in German, for people.
    pub fn message_de(&self) -> String {
        match self {
            Break::Undecodable => "der Eintrag ist nicht lesbar".to_owned(),
            Break::Missing { continues_at } => {
                format!("das Ereignis fehlt; die Kette geht bei {continues_at} weiter")
            }
            Break::NotLinked => "verweist nicht auf den Hash des Ereignisses davor".to_owned(),
            Break::HashMismatch => "der Hash passt nicht zum Inhalt".to_owned(),
            Break::HeadDisagrees => "der gespeicherte Kopf passt nicht zur Kette".to_owned(),
            Break::Empty => "der Ledger enthält keine Ereignisse".to_owned(),
            Break::NoSignedHead => "kein signierter Kopf gespeichert".to_owned(),
            Break::NoKey => {
                "kein öffentlicher Schlüssel, um den signierten Kopf zu prüfen (--public-key)"
                    .to_owned()
            }
            Break::CheckpointNotHead => {
                "der signierte Kopf ist nicht das letzte Ereignis".to_owned()
            }
            Break::BadSignature { key_id } => format!(
                "die Signatur des Kopfes passt nicht zum Schlüssel „{key_id}“ (falscher \
                 Schlüssel oder veränderter Kopf)"
            ),
            Break::Truncated {
                source_of,
                named,
                ends_at,
            } => format!(
                "Ereignisse fehlen: {} nennt Ereignis {named}, die Kette endet bei {ends_at} \
                 (beschädigt oder ein älterer Stand)",
                source_of.de()
            ),
            Break::WitnessUnsigned => format!(
                "der festgehaltene Kopf ({}) trägt keine gültige Signatur des Ledgers \
                 (verändert oder von einem anderen Ledger)",
                witness::FILE
            ),
            Break::OtherEvent { source_of } => format!(
                "nicht das Ereignis, das {} nennt (anderer Kettenhash): verändert oder ersetzt",
                source_of.de()
            ),
        }
    }
}

/// Who named an event the log must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// The data dir's head witness (`store::witness`).
    Witness,
    /// A checkpoint the caller kept and gave.
    Kept,
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Named::Witness => write!(f, "the head witness {}", witness::FILE),
            Named::Kept => write!(f, "the checkpoint given"),
        }
    }
}

impl Named {
    fn de(self) -> String {
        match self {
            Named::Witness => format!("der festgehaltene Kopf ({})", witness::FILE),
            Named::Kept => "der angegebene Stand (--contains)".to_owned(),
        }
    }
}

const PAGE_LEN: usize = 10_000;

/// Verifies the log of the ledger whose data lives in `data_dir`, without
/// changing it, its checkpoint against `key` (by default the public key
/// the ledger wrote into the data dir), its head witness, and that it
/// holds each of the `kept` checkpoints (sequence and chain hash, e.g.
/// from an earlier `GET /api/v1/ledger/checkpoint` or a statement).
pub fn verify(
    data_dir: &Path,
    key: Option<&PublicKey>,
    kept: &[(u64, Hash)],
) -> Result<ChainReport, VerifyError> {
    let copy = copy_of_store(data_dir)?;
    let store = LedgerStore::open_to_read(copy.path())?;
    let report = verify_store(&store)?;
    let expect = match key {
        Some(key) => Expect::Required(key.clone()),
        None => match std::fs::read_to_string(data_dir.join(crate::keys::PUBLIC_KEY_FILE)) {
            Ok(text) => Expect::IfStored(PublicKey::parse(&text)?),
            Err(_) => Expect::Nothing,
        },
    };
    if key.is_some() && report.events == 0 {
        return Err(VerifyError::Broken {
            seq: 1,
            problem: Break::Empty,
        });
    }
    let witness_key = match &expect {
        Expect::Required(key) | Expect::IfStored(key) => Some(key.clone()),
        Expect::Nothing => None,
    };
    let mut report = verify_checkpoint(&store, report, expect)?;
    report.witness = check_witness(data_dir, &store, witness_key.as_ref())?;
    for &(seq, hash) in kept {
        holds(&store, (seq, &hash), Named::Kept)?;
    }
    Ok(report)
}

/// A copy of the data dir's ledger store in a temporary directory, made
/// while holding the store's file lock (sled's own, on `ledger/db`), so
/// that no ledger writes to it meanwhile; a running one holds it already.
fn copy_of_store(data_dir: &Path) -> Result<tempfile::TempDir, VerifyError> {
    let source = data_dir.join("ledger");
    let db = source.join("db");
    if !db.is_file() {
        return Err(StoreError::NoLedger { path: source }.into());
    }
    let locked = File::open(&db).map_err(VerifyError::Copy)?;
    match locked.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(StoreError::InUse { path: source }.into()),
        Err(TryLockError::Error(error)) => return Err(VerifyError::Copy(error)),
    }
    let copy = tempfile::Builder::new()
        .prefix("efa-verify-")
        .tempdir()
        .map_err(VerifyError::Copy)?;
    copy_dir(&source, &copy.path().join("ledger")).map_err(VerifyError::Copy)?;
    drop(locked);
    Ok(copy)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The head witness of the data dir against the verified log, and its
/// signature against `key` where there is one.
fn check_witness(
    data_dir: &Path,
    store: &LedgerStore,
    key: Option<&PublicKey>,
) -> Result<WitnessCheck, VerifyError> {
    match witness::read(data_dir) {
        Witnessed::None => Ok(WitnessCheck::Absent),
        Witnessed::Unreadable => Ok(WitnessCheck::Unreadable),
        Witnessed::Checkpoint(witnessed) => {
            if key.is_some_and(|key| !efa_trust::verify_checkpoint(key, &witnessed)) {
                return Err(VerifyError::Broken {
                    seq: witnessed.seq,
                    problem: Break::WitnessUnsigned,
                });
            }
            holds(store, (witnessed.seq, &witnessed.hash), Named::Witness)?;
            Ok(WitnessCheck::Held { seq: witnessed.seq })
        }
    }
}

/// The verified log holds event `seq` with chain hash `hash`, as
/// `source_of` says it must.
fn holds(
    store: &LedgerStore,
    (seq, hash): (u64, &Hash),
    source_of: Named,
) -> Result<(), VerifyError> {
    let problem = match store.holding(seq, hash)? {
        Holding::Held => return Ok(()),
        Holding::Beyond { head } => {
            return Err(VerifyError::Broken {
                seq: head + 1,
                problem: Break::Truncated {
                    source_of,
                    named: seq,
                    ends_at: head,
                },
            });
        }
        Holding::Other => Break::OtherEvent { source_of },
    };
    Err(VerifyError::Broken { seq, problem })
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
    let broken = |problem: Break| VerifyError::Broken {
        seq: report.events,
        problem,
    };
    let (checkpoint, key) = match (store.checkpoint()?, expect) {
        (None, Expect::Required(_)) if report.events > 0 => {
            return Err(broken(Break::NoSignedHead));
        }
        (None, _) => return Ok(report),
        (Some(_), Expect::Nothing) => {
            return Err(broken(Break::NoKey));
        }
        (Some(checkpoint), Expect::Required(key) | Expect::IfStored(key)) => (checkpoint, key),
    };
    if checkpoint.seq != report.events || checkpoint.hash != report.head_hash {
        return Err(broken(Break::CheckpointNotHead));
    }
    if !efa_trust::verify_checkpoint(&key, &checkpoint) {
        return Err(broken(Break::BadSignature {
            key_id: key.key_id().to_owned(),
        }));
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
                    problem: Break::Undecodable,
                });
            }
            Err(error) => return Err(error.into()),
        };
        if page.is_empty() {
            break;
        }
        for event in page.into_iter().map(|stored| stored.event) {
            let seq = event.record.seq;
            let broken = |problem: Break| VerifyError::Broken {
                seq: expected_seq,
                problem,
            };
            if seq != expected_seq {
                return Err(broken(Break::Missing { continues_at: seq }));
            }
            if event.record.prev_hash != prev_hash {
                return Err(broken(Break::NotLinked));
            }
            if !event.hash_is_valid() {
                return Err(broken(Break::HashMismatch));
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
            problem: Break::HeadDisagrees,
        });
    }
    Ok(ChainReport {
        events,
        head_hash: prev_hash,
        checkpoint_signed: false,
        witness: WitnessCheck::Absent,
    })
}
