//! Where the view store lives. Each store is one version in its own
//! directory under the data directory (`views-v1`, `views-v2`, …); the
//! pointer file `views.current` names the version in use and is replaced
//! atomically (write a temporary file, fsync, rename, fsync the
//! directory), so a rebuild switches versions in one step and a crash
//! leaves either the old or the new version in use, never a mix. A plain
//! `views` directory from before versioning is version 0.
//!
//! Directories of other versions are leftovers (a rebuild interrupted
//! before its switch, or an old version not yet removed after it) and are
//! removed when the projector starts.

use std::fs;
use std::path::{Path, PathBuf};

use crate::store::{Store, StoreError};

/// The file naming the version in use, as decimal digits.
const POINTER: &str = "views.current";
/// Version 0: the store's directory before versioning.
const LEGACY_DIR: &str = "views";
/// Version N > 0 lives in `views-v<N>`.
const VERSION_PREFIX: &str = "views-v";
/// The version a fresh data directory starts with.
const FIRST_VERSION: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the pointer file {path} does not name a view store version: {content:?}")]
    BadPointer { path: PathBuf, content: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The view store versions under one data directory.
#[derive(Debug, Clone)]
pub struct Versions {
    data_dir: PathBuf,
}

impl Versions {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
        }
    }

    /// The directory of `version`.
    pub fn dir(&self, version: u64) -> PathBuf {
        if version == 0 {
            self.data_dir.join(LEGACY_DIR)
        } else {
            self.data_dir.join(format!("{VERSION_PREFIX}{version}"))
        }
    }

    /// The version in use: the pointer's; without a pointer, 0 when a
    /// store from before versioning exists, else the first version.
    pub fn current(&self) -> Result<u64, VersionError> {
        let path = self.data_dir.join(POINTER);
        match fs::read_to_string(&path) {
            Ok(content) => content
                .trim()
                .parse()
                .map_err(|_| VersionError::BadPointer { path, content }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(if self.dir(0).is_dir() {
                    0
                } else {
                    FIRST_VERSION
                })
            }
            Err(source) => Err(io("read", path, source)),
        }
    }

    /// Opens the store in use, creating the data directory and the
    /// pointer if needed and removing other versions' leftovers (such as
    /// the half-filled store of a rebuild that was killed: its fill is not
    /// written atomically, see `Store::settle`). Blocking.
    pub fn open_current(&self) -> Result<(u64, Store), VersionError> {
        fs::create_dir_all(&self.data_dir)
            .map_err(|source| io("create", self.data_dir.clone(), source))?;
        let version = self.current()?;
        if !self.data_dir.join(POINTER).exists() {
            self.set_current(version)?;
        }
        for leftover in self.others(version)? {
            tracing::info!(path = %leftover.display(), "removing a leftover view store");
            remove_dir(&leftover)?;
        }
        let store = Store::open(&self.dir(version))?;
        if store.layout_is_current()? {
            return Ok((version, store));
        }
        // Written by an older version of this code: views are derived, so
        // a new, empty store takes its place and is filled from the ledger
        // (the consumer catches up from the read API in pages).
        drop(store);
        let fresh = version + 1;
        tracing::warn!(
            old = version,
            new = fresh,
            "the view store has an older key layout; starting a new one from the ledger"
        );
        self.remove(fresh)?;
        let store = Store::open(&self.dir(fresh))?;
        self.set_current(fresh)?;
        self.remove(version)?;
        Ok((fresh, store))
    }

    /// Makes `version` the one in use, atomically and durably. Blocking.
    pub fn set_current(&self, version: u64) -> Result<(), VersionError> {
        let pointer = self.data_dir.join(POINTER);
        efa_runtime::durable_file::replace(&pointer, format!("{version}\n").as_bytes())
            .map_err(|source| io("replace", pointer, source))
    }

    /// Removes the directory of `version` if it exists. Blocking.
    pub fn remove(&self, version: u64) -> Result<(), VersionError> {
        remove_dir(&self.dir(version))
    }

    /// The store directories of every version but `keep`.
    fn others(&self, keep: u64) -> Result<Vec<PathBuf>, VersionError> {
        let entries = fs::read_dir(&self.data_dir)
            .map_err(|source| io("list", self.data_dir.clone(), source))?;
        let mut others = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| io("list", self.data_dir.clone(), source))?;
            let name = entry.file_name();
            let Some(version) = version_of(&name.to_string_lossy()) else {
                continue;
            };
            if version != keep && entry.path().is_dir() {
                others.push(entry.path());
            }
        }
        others.sort();
        Ok(others)
    }
}

/// The version a directory name stands for, if it is a store directory.
fn version_of(name: &str) -> Option<u64> {
    if name == LEGACY_DIR {
        return Some(0);
    }
    let digits = name.strip_prefix(VERSION_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|version| *version > 0)
}

fn remove_dir(path: &Path) -> Result<(), VersionError> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(io("remove", path.to_owned(), source)),
    }
}

fn io(action: &'static str, path: PathBuf, source: std::io::Error) -> VersionError {
    VersionError::Io {
        action,
        path,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_directory_starts_at_version_one() {
        let dir = tempfile::tempdir().unwrap();
        let versions = Versions::new(dir.path());
        let (version, _store) = versions.open_current().unwrap();
        assert_eq!(version, 1);
        assert!(dir.path().join("views-v1").is_dir());
        assert_eq!(fs::read_to_string(dir.path().join(POINTER)).unwrap(), "1\n");
    }

    /// A store written with the older key layout (one key per event and
    /// history entry) is not read: a new, empty version takes its place,
    /// and the consumer fills it from the ledger.
    #[test]
    fn a_store_of_an_older_layout_is_replaced_by_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let versions = Versions::new(dir.path());
        let (version, store) = versions.open_current().unwrap();
        let events = crate::testing::chain(vec![crate::testing::announce("aaa-service")]);
        let (tx, _rx) = tokio::sync::watch::channel(0);
        let mut applier = crate::apply::Applier::new(store.clone(), tx).unwrap();
        applier.apply(&events[0]).unwrap();
        assert!(store.layout_is_current().unwrap());
        store.forget_layout();
        drop((applier, store));
        let (replaced, store) = versions.open_current().unwrap();
        assert_eq!((version, replaced), (1, 2));
        assert_eq!(store.checkpoint().unwrap().seq, 0);
        assert_eq!(versions.current().unwrap(), 2);
        assert!(!versions.dir(1).exists(), "the old version is removed");
    }

    #[test]
    fn a_store_from_before_versioning_is_version_zero() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(&dir.path().join("views")).unwrap());
        let versions = Versions::new(dir.path());
        assert_eq!(versions.current().unwrap(), 0);
        let (version, _store) = versions.open_current().unwrap();
        assert_eq!(version, 0);
        assert!(dir.path().join("views").is_dir());
    }

    #[test]
    fn the_pointer_decides_and_leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let versions = Versions::new(dir.path());
        for version in [1, 2, 3] {
            drop(Store::open(&versions.dir(version)).unwrap());
        }
        fs::create_dir_all(dir.path().join("views-vx")).unwrap();
        versions.set_current(2).unwrap();
        let (version, _store) = versions.open_current().unwrap();
        assert_eq!(version, 2);
        assert!(!versions.dir(1).exists());
        assert!(!versions.dir(3).exists());
        assert!(
            dir.path().join("views-vx").exists(),
            "not a store directory"
        );
    }

    #[test]
    fn a_pointer_that_names_no_version_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(POINTER), "zwei\n").unwrap();
        assert!(matches!(
            Versions::new(dir.path()).current(),
            Err(VersionError::BadPointer { .. })
        ));
    }

    #[test]
    fn only_store_directory_names_are_versions() {
        assert_eq!(version_of("views"), Some(0));
        assert_eq!(version_of("views-v12"), Some(12));
        for name in [
            "views-v",
            "views-v0",
            "views-v1a",
            "views.current",
            "ledger",
        ] {
            assert_eq!(version_of(name), None, "{name}");
        }
    }
}
