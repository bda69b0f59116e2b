//! Replacing a small file so that a crash at any moment leaves either the
//! old content or the new, never a torn file: the content goes to a
//! temporary file beside it, is fsynced, renamed over the old one, and the
//! directory is fsynced. For files a service reads again at its next start
//! (a pinned key, a list of trusted signers, the view store's pointer, a
//! NATS configuration); secrets go through `secret_file`, which writes its
//! temporary with owner-only permissions and then replaces the same way.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes` atomically and durably.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace_with(path, |temporary| {
        let mut file = File::create(temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })
}

/// [`replace`] for content too large to hold at once: `write` writes it,
/// buffered, into the temporary file. An error of `write` leaves `path`
/// as it was (the temporary is removed at the next replace).
pub fn replace_by<E: From<std::io::Error>>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), E>,
) -> Result<(), E> {
    replace_with(path, |temporary| {
        let mut file = BufWriter::new(File::create(temporary)?);
        write(&mut file)?;
        let file = file
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        file.sync_all()?;
        Ok(())
    })
}

/// [`replace`], with `write_temporary` creating, writing and fsyncing the
/// temporary file (a leftover of an earlier crash is removed first).
pub(crate) fn replace_with<E: From<std::io::Error>>(
    path: &Path,
    write_temporary: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let temporary = temporary_beside(path);
    let _ = std::fs::remove_file(&temporary);
    write_temporary(&temporary)?;
    std::fs::rename(&temporary, path)?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// `<path>.tmp`: beside the file, on the same file system, so the rename
/// is atomic.
fn temporary_beside(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_written_then_replaced_whole_with_no_temporary_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pin.txt");
        replace(&path, b"first\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first\n");
        // A temporary left by an earlier crash is overwritten, not appended to.
        std::fs::write(temporary_beside(&path), b"torn").unwrap();
        replace(&path, b"second\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("pin.txt")]);
    }

    #[test]
    fn content_written_in_pieces_replaces_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.bin");
        replace(&path, b"old").unwrap();
        let failed = replace_by(&path, |file| {
            file.write_all(b"half of the ")?;
            Err(std::io::Error::other("the writer gave up"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        replace_by(&path, |file| {
            file.write_all(b"new, ")?;
            file.write_all(b"in pieces")
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new, in pieces");
        assert!(!temporary_beside(&path).exists());
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("pin.txt");
        assert!(replace(&path, b"x").is_err());
    }
}
