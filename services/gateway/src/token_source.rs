//! The token table the gateway authenticates against, kept current: when
//! it was loaded from a file, the file is looked at again (at most once a
//! second) and reloaded when it changed, so `efa token create` and
//! `efa token revoke` take effect without restarting the gateway. A file
//! that cannot be read or parsed keeps the last good table and is logged.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use crate::watched_file::WatchedFile;
use efa_trust::tokens::TokenTable;

#[derive(Debug)]
pub struct TokenSource {
    table: RwLock<Arc<TokenTable>>,
    file: Option<Mutex<WatchedFile>>,
}

impl TokenSource {
    /// A fixed table (tests, or a gateway without a token file).
    pub fn fixed(table: TokenTable) -> Self {
        Self {
            table: RwLock::new(Arc::new(table)),
            file: None,
        }
    }

    /// A table loaded from `path` and reloaded when the file changes.
    pub fn watching(table: TokenTable, path: PathBuf) -> Self {
        Self {
            table: RwLock::new(Arc::new(table)),
            file: Some(Mutex::new(WatchedFile::new(path))),
        }
    }

    /// The current table.
    pub fn current(&self) -> Arc<TokenTable> {
        self.refresh();
        self.table
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn refresh(&self) {
        let Some(file) = &self.file else { return };
        // Only one request looks at the file; the others use the table.
        let Ok(mut file) = file.try_lock() else {
            return;
        };
        let Some(stamp) = file.changed() else { return };
        match TokenTable::load(file.path()) {
            Ok(table) => {
                *self
                    .table
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(table);
                file.taken_in(stamp);
                tracing::info!(path = %file.path().display(), "token table reloaded");
            }
            Err(error) => {
                tracing::error!(%error, "token table changed but cannot be read; keeping the last one")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use efa_proto::Actor;

    use super::*;
    use crate::watched_file::CHECK_INTERVAL;

    #[test]
    fn a_revoked_token_stops_working_without_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let mut table = TokenTable::empty();
        let token = table.issue(Actor::Admin, "Verwaltung");
        table.save(&path).unwrap();
        let source = TokenSource::watching(TokenTable::load(&path).unwrap(), path.clone());
        assert!(source.current().authenticate(&token).is_some());

        let mut changed = TokenTable::load(&path).unwrap();
        changed.revoke("Verwaltung");
        std::thread::sleep(Duration::from_millis(20)); // a later modification time
        changed.save(&path).unwrap();
        std::thread::sleep(CHECK_INTERVAL + Duration::from_millis(50));
        assert!(source.current().authenticate(&token).is_none());
    }
}
