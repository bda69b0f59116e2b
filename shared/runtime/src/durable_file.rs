//! Replacing a small file so that a crash at any moment leaves either the
//! old content or the new, never a torn file: the content goes to a
//! temporary file beside it, is fsynced, renamed over the old one, and the
//! directory is fsynced. For files a service reads again at its next start
//! (a pinned key, a list of trusted signers, the view store's pointer, a
//! NATS configuration); secrets go through `secret_file`, which writes its
//! temporary with owner-only permissions and then replaces the same way.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes` atomically and durably.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace_with(path, bytes, |temporary, bytes| {
        let mut file = std::fs::File::create(temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })
}

/// [`replace`], with `write_temporary` creating, writing and fsyncing the
/// temporary file (a leftover of an earlier crash is removed first).
pub(crate) fn replace_with(
    path: &Path,
    bytes: &[u8],
    write_temporary: impl FnOnce(&Path, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let temporary = temporary_beside(path);
    let _ = std::fs::remove_file(&temporary);
    write_temporary(&temporary, bytes)?;
    std::fs::rename(&temporary, path)?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
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
    fn a_missing_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("pin.txt");
        assert!(replace(&path, b"x").is_err());
    }
}
