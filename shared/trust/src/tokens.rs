//! Who may write: the table of API tokens. Each token maps to a name (for
//! people) and a principal (`Actor`). Only the SHA-256 of a token is kept,
//! in memory and on disk, so a leaked table grants nothing; the plaintext
//! is shown once, when the token is issued.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use efa_proto::{Actor, IdError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Every token starts with this, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "efa_";

/// Why the token table could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("read token table {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("token table {path} is not a JSON array of tokens: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("token {name:?} in {path}: {source}")]
    Principal {
        path: PathBuf,
        name: String,
        source: IdError,
    },
    #[error("token {name:?} in {path}: sha256 must be 64 hex digits")]
    Hash { path: PathBuf, name: String },
    #[error("write token table {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(efa_runtime::secret_file::SecretFileError),
}

/// One line of the file: `{"name": ..., "principal": "land:04", "sha256": ...}`.
#[derive(Debug, Serialize, Deserialize)]
struct TokenRecord {
    name: String,
    principal: String,
    sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    name: String,
    actor: Actor,
}

/// Token hash -> (name, principal).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TokenTable {
    by_hash: BTreeMap<String, Holder>,
}

impl fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenTable")
            .field("tokens", &self.by_hash.len())
            .finish()
    }
}

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl TokenTable {
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads a table written by [`TokenTable::save`]; a missing file is an
    /// empty table (no one may write yet).
    pub fn load(path: &Path) -> Result<Self, TokenError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Self::empty()),
            Err(source) => {
                return Err(TokenError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let records: Vec<TokenRecord> =
            serde_json::from_str(&text).map_err(|source| TokenError::Parse {
                path: path.to_owned(),
                source,
            })?;
        let mut table = Self::empty();
        for record in records {
            let actor =
                Actor::parse(&record.principal).map_err(|source| TokenError::Principal {
                    path: path.to_owned(),
                    name: record.name.clone(),
                    source,
                })?;
            let hash = record.sha256.to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(TokenError::Hash {
                    path: path.to_owned(),
                    name: record.name,
                });
            }
            table.by_hash.insert(
                hash,
                Holder {
                    name: record.name,
                    actor,
                },
            );
        }
        Ok(table)
    }

    /// Writes the table atomically: a temporary file beside it, then a rename.
    pub fn save(&self, path: &Path) -> Result<(), TokenError> {
        let write_error = |source| TokenError::Write {
            path: path.to_owned(),
            source,
        };
        let mut records: Vec<TokenRecord> = self
            .by_hash
            .iter()
            .map(|(hash, holder)| TokenRecord {
                name: holder.name.clone(),
                principal: holder.actor.to_string(),
                sha256: hash.clone(),
            })
            .collect();
        records.sort_by(|a, b| (&a.name, &a.sha256).cmp(&(&b.name, &b.sha256)));
        let mut text = serde_json::to_string_pretty(&records)
            .map_err(|e| write_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        text.push('\n');
        // Mode 0600 from the first byte, replaced atomically, so a gateway
        // reloading the table never reads half of it.
        efa_runtime::secret_file::write(path, text.as_bytes()).map_err(TokenError::Store)
    }

    /// Creates a new token for `actor`, keeps only its hash and returns the
    /// plaintext, which cannot be recovered later.
    pub fn issue(&mut self, actor: Actor, name: &str) -> String {
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
        self.by_hash.insert(
            sha256_hex(&token),
            Holder {
                name: name.to_owned(),
                actor,
            },
        );
        token
    }

    /// The principal a token stands for. The lookup is by hash, so timing
    /// tells an attacker nothing about the plaintext of a valid token.
    pub fn authenticate(&self, token: &str) -> Option<&Actor> {
        self.by_hash
            .get(&sha256_hex(token))
            .map(|holder| &holder.actor)
    }

    /// The SHA-256 (hex) a token is kept under, if the token is valid:
    /// what a web session remembers instead of the token.
    pub fn hash_of_valid(&self, token: &str) -> Option<String> {
        let hash = sha256_hex(token);
        self.by_hash.contains_key(&hash).then_some(hash)
    }

    /// The name and principal of the token with this hash.
    pub fn holder(&self, hash: &str) -> Option<(&str, &Actor)> {
        self.by_hash
            .get(hash)
            .map(|holder| (holder.name.as_str(), &holder.actor))
    }

    /// Removes every token with this name; returns how many were removed.
    pub fn revoke(&mut self, name: &str) -> usize {
        let before = self.by_hash.len();
        self.by_hash.retain(|_, holder| holder.name != name);
        before - self.by_hash.len()
    }

    /// The tokens as (name, principal), for listing.
    pub fn holders(&self) -> impl Iterator<Item = (&str, &Actor)> {
        self.by_hash
            .values()
            .map(|holder| (holder.name.as_str(), &holder.actor))
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::LandCode;

    use super::*;

    fn bremen() -> Actor {
        Actor::Land(LandCode::new(4).unwrap())
    }

    #[test]
    fn issued_tokens_authenticate_and_others_do_not() {
        let mut table = TokenTable::empty();
        let token = table.issue(bremen(), "Bremen Fachverfahren");
        assert!(token.starts_with("efa_"));
        assert_eq!(token.len(), 4 + 64);
        assert!(token[4..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(table.authenticate(&token), Some(&bremen()));
        assert_eq!(table.authenticate("efa_wrong"), None);
        assert_eq!(table.authenticate(""), None);
        let other = table.issue(Actor::Admin, "admin");
        assert_ne!(token, other);
        assert_eq!(table.authenticate(&other), Some(&Actor::Admin));
    }

    #[test]
    fn the_table_keeps_no_plaintext_and_round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("tokens.json");
        let mut table = TokenTable::empty();
        let land = table.issue(bremen(), "Bremen");
        let admin = table.issue(Actor::Admin, "Administration");
        table.save(&path).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&land[4..]),
            "the plaintext must not be stored"
        );
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json[0]["name"], "Administration");
        assert_eq!(json[0]["principal"], "admin");
        assert_eq!(json[1]["principal"], "land:04");
        assert_eq!(json[1]["sha256"].as_str().unwrap().len(), 64);

        let loaded = TokenTable::load(&path).unwrap();
        assert_eq!(loaded, table);
        assert_eq!(loaded.authenticate(&land), Some(&bremen()));
        assert_eq!(loaded.authenticate(&admin), Some(&Actor::Admin));
        assert!(!dir.path().join("nested").join("tokens.json.tmp").exists());
    }

    #[test]
    fn a_missing_file_is_an_empty_table_and_a_bad_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            TokenTable::load(&dir.path().join("absent.json"))
                .unwrap()
                .is_empty()
        );

        let path = dir.path().join("tokens.json");
        let bad = [
            ("{not json", "parse"),
            (
                r#"[{"name":"x","principal":"land:17","sha256":"00"}]"#,
                "principal",
            ),
            (
                r#"[{"name":"x","principal":"land:16","sha256":"00"}]"#,
                "hash",
            ),
        ];
        for (text, expected) in bad {
            std::fs::write(&path, text).unwrap();
            let refused = match TokenTable::load(&path) {
                Err(TokenError::Parse { .. }) => "parse",
                Err(TokenError::Principal { .. }) => "principal",
                Err(TokenError::Hash { .. }) => "hash",
                other => panic!("{text}: {other:?}"),
            };
            assert_eq!(refused, expected, "{text}");
        }
    }

    #[test]
    fn revoking_by_name_removes_the_token() {
        let mut table = TokenTable::empty();
        let token = table.issue(bremen(), "Bremen");
        assert_eq!(table.revoke("Bremen"), 1);
        assert_eq!(table.authenticate(&token), None);
        assert_eq!(table.revoke("Bremen"), 0);
    }
}
