//! Replacing a small file so that a crash at any moment leaves either the
//! old content or the new, never a torn file: the content goes to a
//! temporary file beside it, is fsynced, renamed over the old one, and the
//! directory is fsynced. For files a service reads again at its next start
//! (a pinned key, a list of trusted signers, the view store's pointer, a
//! NATS configuration); secrets go through `secret_file`, which writes its
//! temporary with owner-only permissions and then replaces the same way.
//! [`Staged`] does the same for content written over time (an export
//! that `efa export` writes page by page).

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
/// as it was, and no temporary.
pub fn replace_by<E: From<std::io::Error>>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), E>,
) -> Result<(), E> {
    let mut staged = Staged::create(path, temporary_beside(path))?;
    write(staged.writer())?;
    staged.commit()?;
    Ok(())
}

/// [`replace_by`]'s steps spread over time, for content that arrives
/// piece by piece while the caller does other things (an export fetched
/// page by page): written into `temporary` beside `path`, put in place by
/// [`Staged::commit`]; dropped without it, the temporary is removed and
/// `path` stays as it was.
#[derive(Debug)]
pub struct Staged {
    file: BufWriter<File>,
    temporary: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Staged {
    /// A new file for `path`, written under `temporary` (on the same file
    /// system, so the rename is atomic); a leftover of an earlier crash
    /// under that name is replaced.
    pub fn create(path: &Path, temporary: PathBuf) -> std::io::Result<Self> {
        let _ = std::fs::remove_file(&temporary);
        let file = BufWriter::new(File::create(&temporary)?);
        Ok(Self {
            file,
            temporary,
            path: path.to_owned(),
            committed: false,
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.file
    }

    /// The name it is written under until committed.
    pub fn temporary(&self) -> &Path {
        &self.temporary
    }

    /// Flushes and fsyncs the content, renames it over `path` and fsyncs
    /// the directory.
    pub fn commit(mut self) -> std::io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_all()?;
        std::fs::rename(&self.temporary, &self.path)?;
        self.committed = true;
        sync_directory_of(&self.path)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
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
    sync_directory_of(path)?;
    Ok(())
}

/// Makes a rename into `path`'s directory durable.
fn sync_directory_of(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
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
    fn a_staged_file_is_put_in_place_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        let mut staged = Staged::create(&path, dir.path().join("export.partial")).unwrap();
        staged.writer().write_all(b"a;b\n").unwrap();
        assert!(!path.exists());
        staged.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a;b\n");
        let mut abandoned = Staged::create(&path, dir.path().join("export.partial")).unwrap();
        abandoned.writer().write_all(b"half").unwrap();
        drop(abandoned);
        assert_eq!(std::fs::read(&path).unwrap(), b"a;b\n");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("export.csv")]);
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("pin.txt");
        assert!(replace(&path, b"x").is_err());
    }
}
