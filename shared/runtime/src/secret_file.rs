//! Files that hold a secret (a token table, a signing key, a NATS
//! credential): created readable by their owner only from the first byte
//! on, never widened afterwards, and refused when someone else could read
//! them. Every service writes and reads its secrets through here, so that
//! no secret file is ever briefly world-readable.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The permission bits every secret file has (owner read and write).
pub const SECRET_FILE_MODE: u32 = 0o600;
/// The permission bits of a directory created to hold secret files.
pub const SECRET_DIR_MODE: u32 = 0o700;

#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("write the secret file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("read the secret file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the secret file {path} may be read by others (mode {mode:o}); \
         allow its owner only: chmod 600 {path}"
    )]
    TooOpen { path: PathBuf, mode: u32 },
}

/// Writes `bytes` to `path` as a secret file, replacing any previous one
/// atomically (a temporary file of mode 0600 beside it, fsynced, then
/// renamed). Missing parent directories are created with mode 0700.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), SecretFileError> {
    let error = |source| SecretFileError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(error)?;
    }
    crate::durable_file::replace_with(path, |temporary| write_new(temporary, bytes)).map_err(error)
}

/// Writes `bytes` to `path` only if no file is there yet; `Ok(false)`
/// when one is (it is left as it is).
pub fn write_if_missing(path: &Path, bytes: &[u8]) -> Result<bool, SecretFileError> {
    let error = |source| SecretFileError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(error)?;
    }
    match write_new(path, bytes) {
        Ok(()) => Ok(true),
        Err(source) if source.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(source) => Err(error(source)),
    }
}

/// Reads a secret file, refusing one that its group or others may read.
pub fn read(path: &Path) -> Result<Vec<u8>, SecretFileError> {
    check_private(path)?;
    std::fs::read(path).map_err(|source| SecretFileError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Refuses a file that its group or others may read or write.
pub fn check_private(path: &Path) -> Result<(), SecretFileError> {
    let metadata = std::fs::metadata(path).map_err(|source| SecretFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mode = permission_bits(&metadata);
    if mode & 0o077 != 0 {
        return Err(SecretFileError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Creates `dir` (and its parents) if missing; a directory created here
/// gets mode 0700, an existing one is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(SECRET_DIR_MODE);
    }
    builder.create(dir)
}

/// Creates `path` with mode 0600 (failing if it exists), writes and
/// fsyncs it.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(SECRET_FILE_MODE);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(unix)]
fn permission_bits(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn permission_bits(_metadata: &std::fs::Metadata) -> u32 {
    SECRET_FILE_MODE
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)] // test code: a failed step should fail loudly
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn secrets_are_owner_only_from_the_start_and_replaced_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets/nested/key");
        write(&path, b"one").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("secrets")), 0o700);
        write(&path, b"two").unwrap();
        assert_eq!(read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o600);
        assert!(!write_if_missing(&path, b"three").unwrap());
        assert_eq!(read(&path).unwrap(), b"two");
        let fresh = dir.path().join("secrets/fresh");
        assert!(write_if_missing(&fresh, b"four").unwrap());
        assert_eq!(mode(&fresh), 0o600);
    }

    #[test]
    fn a_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, b"secret").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = read(&path).unwrap_err();
        assert!(
            matches!(refused, SecretFileError::TooOpen { mode: 0o644, .. }),
            "{refused}"
        );
        assert!(refused.to_string().contains("chmod 600"));
    }
}
