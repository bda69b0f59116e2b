//! The index's slow part in a file, so that a projector opening a large
//! store reads it instead of recounting every adoption fact (tens of
//! seconds at the size of Germany). Written when the projector stops,
//! into the store's directory, beside sled's own files.
//!
//! The file is a cache, never a source: it holds the checkpoint (sequence
//! and chain hash) it was written at and a SHA-256 of its body, and it is
//! used only when both match the store being opened. The index is a
//! function of the history up to the checkpoint, so a matching file is
//! exactly the index a build would make. Anything else (no file, another
//! checkpoint because events were applied after it was written, a torn or
//! damaged file) makes the store build the index from its facts, as
//! before; a crash therefore costs start-up time, not correctness.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use efa_proto::Hash;

use crate::index::{Cells, Index};
use crate::store::{Checkpoint, LAYOUT, StoreError};

/// The file's name in the store's directory (sled ignores files it does
/// not know).
const FILE_NAME: &str = "efa-index";
/// The first bytes of the file: its kind and format version. The version
/// changes whenever what the index holds changes meaning (the counting
/// rule, the pieces and how they are packed), so that no file of older
/// code is read.
const MAGIC: &[u8; 8] = b"EFAIDX04";

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    /// The store layout it was written beside.
    layout: u16,
    seq: u64,
    hash: Hash,
    body_len: u64,
    body_sha256: [u8; 32],
}

fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Writes `index`, which stands at `checkpoint`, into `dir` (whole or
/// not at all: through `efa_runtime::durable_file`, a temporary file
/// fsynced and renamed over the old one, the directory fsynced).
pub fn save(dir: &Path, checkpoint: &Checkpoint, index: &Index) -> Result<(), StoreError> {
    // Encoded twice rather than held: first only counted and hashed for
    // the header, then written after it (at Germany's size the body is
    // about 110 MB, which the projector would otherwise hold on top of
    // its index while it stops).
    let cells = index.cells();
    let measured = postcard::to_io(&cells, Summing::new(std::io::sink())).map_err(encode_error)?;
    let (body_len, body_sha256) = measured.sum();
    let header = Header {
        layout: LAYOUT,
        seq: checkpoint.seq,
        hash: checkpoint.hash,
        body_len,
        body_sha256,
    };
    let header = postcard::to_stdvec(&header).map_err(|error| StoreError::Corrupt {
        key: FILE_NAME.to_owned(),
        reason: format!("could not encode the header: {error}"),
    })?;
    let path = path_in(dir);
    efa_runtime::durable_file::replace_by(&path, |file| {
        file.write_all(MAGIC)?;
        file.write_all(&header)?;
        let written = postcard::to_io(&cells, Summing::new(file)).map_err(encode_error)?;
        if written.sum() != (body_len, body_sha256) {
            // The encoding is deterministic; should it not be, no file.
            return Err(SaveError::Store(StoreError::Corrupt {
                key: FILE_NAME.to_owned(),
                reason: "the index encoded differently the second time".to_owned(),
            }));
        }
        Ok(())
    })
    .map_err(|error| match error {
        SaveError::Store(error) => error,
        SaveError::File(source) => StoreError::File { path, source },
    })
}

/// Why writing the file failed: the file system, or the index itself.
enum SaveError {
    File(std::io::Error),
    Store(StoreError),
}

impl From<std::io::Error> for SaveError {
    fn from(error: std::io::Error) -> Self {
        Self::File(error)
    }
}

impl From<StoreError> for SaveError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

fn encode_error(error: postcard::Error) -> StoreError {
    StoreError::Corrupt {
        key: FILE_NAME.to_owned(),
        reason: format!("could not encode the index: {error}"),
    }
}

/// A writer that counts and hashes what it passes on to `inner`.
struct Summing<W> {
    inner: W,
    len: u64,
    sha256: Sha256,
}

impl<W> Summing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            len: 0,
            sha256: Sha256::new(),
        }
    }

    /// The bytes passed on: how many, and their SHA-256.
    fn sum(&self) -> (u64, [u8; 32]) {
        (self.len, self.sha256.clone().finalize().into())
    }
}

impl<W: Write> Write for Summing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.len += written as u64;
        self.sha256.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The cells written in `dir` at `checkpoint`, if a whole and matching
/// file is there; says in the log why one there is not used.
pub fn load(dir: &Path, checkpoint: &Checkpoint) -> Option<Cells> {
    let path = path_in(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "index file not readable; building the index");
            return None;
        }
    };
    let started = std::time::Instant::now();
    match decode(&bytes, checkpoint) {
        Ok(cells) => {
            let decode_ms = started.elapsed().as_millis() as u64;
            tracing::debug!(bytes = bytes.len(), decode_ms, "index file read");
            Some(cells)
        }
        Err(reason) => {
            tracing::info!(path = %path.display(), reason, "index file not used; building the index");
            None
        }
    }
}

fn decode(bytes: &[u8], checkpoint: &Checkpoint) -> Result<Cells, &'static str> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or("not an index file of this version")?;
    let (header, body) =
        postcard::take_from_bytes::<Header>(rest).map_err(|_| "its header is damaged")?;
    if header.layout != LAYOUT {
        return Err("written beside another store layout");
    }
    if (header.seq, header.hash) != (checkpoint.seq, checkpoint.hash) {
        return Err("written at another checkpoint");
    }
    if body.len() as u64 != header.body_len {
        return Err("its body is cut short");
    }
    if <[u8; 32]>::from(Sha256::digest(body)) != header.body_sha256 {
        return Err("its body does not match its checksum");
    }
    postcard::from_bytes(body).map_err(|_| "its body does not decode")
}

#[cfg(test)]
mod tests {
    use efa_proto::Event;

    use super::*;
    use crate::store::Store;
    use crate::testing::{Ledger, ags, announce_by};

    /// A service and an adoption of it.
    fn history() -> Ledger {
        let mut ledger = Ledger::default();
        ledger.push("2020-01-01", announce_by("aaa-service", 16));
        ledger.push(
            "2021-01-01",
            Event::AdoptionRequested {
                service: crate::testing::service_id("aaa-service"),
                ags: ags("16051000"),
                adoption_no: 1,
                note: String::new(),
            },
        );
        ledger
    }

    /// A store with [`history`], its index written out.
    fn written(dir: &Path) -> Checkpoint {
        crate::rebuild::apply_all(dir, history().events(), 1);
        let store = Store::open(dir).unwrap();
        store.save_index().unwrap();
        store.checkpoint().unwrap()
    }

    #[test]
    fn a_file_is_used_only_at_its_checkpoint_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoint = written(dir.path());
        assert!(load(dir.path(), &checkpoint).is_some());
        let later = Checkpoint {
            seq: checkpoint.seq + 1,
            ..checkpoint
        };
        assert!(load(dir.path(), &later).is_none());
        let other_history = Checkpoint {
            hash: [7; 32],
            ..checkpoint
        };
        assert!(load(dir.path(), &other_history).is_none());

        let path = path_in(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        assert!(load(dir.path(), &checkpoint).is_none(), "a flipped bit");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(load(dir.path(), &checkpoint).is_none(), "cut short");
        // The store opens all the same, building its index.
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.index().seq(), checkpoint.seq);
    }

    #[test]
    fn a_filled_store_reopened_reads_its_index_back_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.defer_index();
        let (applied, _) = tokio::sync::watch::channel(0);
        let mut applier =
            crate::apply::Applier::keeping(store, applied, crate::apply::Keep::REBUILD).unwrap();
        applier.apply_all(history().events()).unwrap();
        let store = applier.into_store().unwrap();
        store.index_all().unwrap();
        let checkpoint = store.checkpoint().unwrap();
        let built: Vec<_> = store.index().services().cloned().collect();

        let store = store.reopen().unwrap();
        assert!(
            load(dir.path(), &checkpoint).is_some(),
            "written before closing"
        );
        let index = store.index();
        assert_eq!(index.seq(), checkpoint.seq);
        assert_eq!(index.services().cloned().collect::<Vec<_>>(), built);
        assert_eq!(built.len(), 1);
    }
}
