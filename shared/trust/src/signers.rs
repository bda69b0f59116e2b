//! Whom the ledger trusts to vouch for which principals. The list lives
//! in a plain file in the ledger's data dir (public keys only), one
//! signer a line: `<key-id> <hex public key> <scope>`, where the scope is
//! `*` (any principal, for a gateway that authenticates callers by
//! token) or a comma-separated list of principals and kinds: `admin`,
//! `land:*`, `land:04`, `gemeinde:*`, `gemeinde:16051000`, `operator:*`,
//! `operator:kiv-thueringen`. `#` starts a comment. The ledger reads the
//! file again when it changes, so adding or removing a signer needs no
//! restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use efa_proto::Actor;

use crate::keys::{KeyError, PublicKey};

/// The file name of the trusted signer list in a data dir.
pub const TRUSTED_SIGNERS_FILE: &str = "trusted-signers.txt";
/// How often the list's file is looked at for changes, at most.
const RELOAD_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Which principals a signer may vouch for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Any,
    Only(Vec<String>),
}

impl Scope {
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text == "*" {
            return Ok(Self::Any);
        }
        let mut patterns = Vec::new();
        for pattern in text.split(',') {
            let valid = match pattern.split_once(':') {
                None => pattern == "admin",
                Some((kind, "*")) => matches!(kind, "land" | "gemeinde" | "operator"),
                Some(_) => Actor::parse(pattern).is_ok(),
            };
            if !valid {
                return Err(KeyError::Parse(format!(
                    "invalid scope entry {pattern:?} (admin, land:*, land:04, gemeinde:*, operator:*, ...)"
                )));
            }
            patterns.push(pattern.to_owned());
        }
        Ok(Self::Only(patterns))
    }

    pub fn allows(&self, actor: &Actor) -> bool {
        let principal = actor.to_string();
        let kind = principal.split(':').next().unwrap_or_default();
        match self {
            Self::Any => true,
            Self::Only(patterns) => patterns
                .iter()
                .any(|pattern| *pattern == principal || pattern.strip_suffix(":*") == Some(kind)),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Only(patterns) => f.write_str(&patterns.join(",")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedSigner {
    pub key: PublicKey,
    pub scope: Scope,
}

/// The list of trusted signers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedSigners {
    signers: Vec<TrustedSigner>,
}

impl TrustedSigners {
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut signers = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let at_line = |e: KeyError| KeyError::Parse(format!("line {}: {e}", index + 1));
            let mut parts = line.split_whitespace();
            let (Some(id), Some(key), Some(scope), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(at_line(KeyError::Parse(
                    "expected <key-id> <hex public key> <scope>".into(),
                )));
            };
            let key = PublicKey::parse(&format!("{id} {key}")).map_err(at_line)?;
            let scope = Scope::parse(scope).map_err(at_line)?;
            signers.push(TrustedSigner { key, scope });
        }
        Ok(Self { signers })
    }

    /// Reads the list; a missing file is an empty list (nobody trusted).
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| KeyError::Format {
                path: path.to_owned(),
                reason: e.to_string(),
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(KeyError::Format {
                path: path.to_owned(),
                reason: error.to_string(),
            }),
        }
    }

    /// Writes the list atomically and durably (`durable_file`).
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        let error = |e: std::io::Error| KeyError::Format {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let mut text = String::from(
            "# Signers the ledger trusts: <key-id> <hex public key> <scope>\n\
             # scope: * (any principal) or a list such as admin,land:*\n",
        );
        for signer in &self.signers {
            text.push_str(&format!("{} {}\n", signer.key, signer.scope));
        }
        efa_runtime::durable_file::replace(path, text.as_bytes()).map_err(error)
    }

    pub fn get(&self, key_id: &str) -> Option<&TrustedSigner> {
        self.signers.iter().find(|s| s.key.key_id() == key_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &TrustedSigner> {
        self.signers.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.signers.is_empty()
    }

    /// Adds a signer, replacing one with the same key id.
    pub fn put(&mut self, signer: TrustedSigner) {
        self.remove(signer.key.key_id());
        self.signers.push(signer);
    }

    /// Removes the signer with this key id; whether there was one.
    pub fn remove(&mut self, key_id: &str) -> bool {
        let before = self.signers.len();
        self.signers.retain(|s| s.key.key_id() != key_id);
        self.signers.len() != before
    }
}

/// The trusted signer list as its file says now: read again when the
/// file changes (checked at most once a second). A file that no longer
/// parses keeps the last good list, with an error logged once.
#[derive(Debug)]
pub struct SignerSource {
    path: Option<PathBuf>,
    state: Mutex<SourceState>,
}

#[derive(Debug)]
struct SourceState {
    signers: Arc<TrustedSigners>,
    modified: Option<SystemTime>,
    checked: Instant,
}

impl SignerSource {
    /// Reads the list from `path` and follows its changes.
    pub fn watching(path: PathBuf) -> Result<Self, KeyError> {
        let signers = TrustedSigners::load(&path)?;
        let modified = modified(&path);
        Ok(Self {
            path: Some(path),
            state: Mutex::new(SourceState {
                signers: Arc::new(signers),
                modified,
                checked: Instant::now(),
            }),
        })
    }

    /// A fixed list (tests, embedded use).
    pub fn fixed(signers: TrustedSigners) -> Self {
        Self {
            path: None,
            state: Mutex::new(SourceState {
                signers: Arc::new(signers),
                modified: None,
                checked: Instant::now(),
            }),
        }
    }

    pub fn current(&self) -> Arc<TrustedSigners> {
        let mut state = match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(path) = &self.path
            && state.checked.elapsed() >= RELOAD_CHECK_EVERY
        {
            state.checked = Instant::now();
            let now = modified(path);
            if now != state.modified {
                state.modified = now;
                match TrustedSigners::load(path) {
                    Ok(signers) => {
                        tracing::info!(
                            signers = signers.iter().count(),
                            "trusted signer list reloaded"
                        );
                        state.signers = Arc::new(signers);
                    }
                    Err(error) => {
                        tracing::error!(%error, "trusted signer list unreadable; keeping the previous one")
                    }
                }
            }
        }
        state.signers.clone()
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Where a data dir keeps its secret keys.
pub fn secrets_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("secrets")
}

/// Loads (or creates) the secret key `secrets/<file>` of `data_dir` and
/// adds its public key with `scope` to the data dir's trusted signer list
/// unless that list names the key id already (an administrator's change
/// to the list stays): how `efa up` sets up its gateway and operator keys.
pub fn ensure_trusted_signer(
    data_dir: &Path,
    file: &str,
    key_id: &str,
    scope: Scope,
) -> Result<crate::keys::SigningKey, KeyError> {
    let key = crate::keys::SigningKey::load_or_create(&secrets_dir(data_dir).join(file), key_id)?;
    let path = data_dir.join(TRUSTED_SIGNERS_FILE);
    let mut list = TrustedSigners::load(&path)?;
    if list.get(key.key_id()).is_none() {
        list.put(TrustedSigner {
            key: key.public(),
            scope,
        });
        list.save(&path)?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::keys::SigningKey;

    #[test]
    fn scopes_allow_what_they_name() {
        let admin = Actor::Admin;
        let bremen = Actor::parse("land:04").unwrap();
        let erfurt = Actor::parse("gemeinde:16051000").unwrap();
        assert!(Scope::parse("*").unwrap().allows(&erfurt));
        let operator = Scope::parse("admin,land:*").unwrap();
        assert!(operator.allows(&admin));
        assert!(operator.allows(&bremen));
        assert!(!operator.allows(&erfurt));
        let one = Scope::parse("gemeinde:16051000").unwrap();
        assert!(one.allows(&erfurt));
        assert!(!one.allows(&admin));
        assert!(Scope::parse("root").is_err());
        assert!(Scope::parse("land:99").is_err());
        assert!(Scope::parse("").is_err());
    }

    #[test]
    fn the_list_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TRUSTED_SIGNERS_FILE);
        assert!(TrustedSigners::load(&path).unwrap().is_empty());
        let mut list = TrustedSigners::default();
        let gateway = SigningKey::generate("gateway").unwrap().public();
        list.put(TrustedSigner {
            key: gateway.clone(),
            scope: Scope::Any,
        });
        list.put(TrustedSigner {
            key: SigningKey::generate("operator").unwrap().public(),
            scope: Scope::parse("admin").unwrap(),
        });
        list.save(&path).unwrap();
        let read = TrustedSigners::load(&path).unwrap();
        assert_eq!(read, list);
        assert_eq!(read.get("gateway").unwrap().key, gateway);
        assert!(TrustedSigners::parse("gateway 00 *").is_err());
    }
}
