//! Ed25519 keys with a name (the key id). A secret key file holds one
//! line, `<key-id> <hex of the 32-byte secret>`, and is a secret file
//! (0600 from the first byte, refused when others may read it). A public
//! key is written as `<key-id> <hex of the 32-byte public key>`.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, Verifier};
use efa_runtime::secret_file::{self, SecretFileError};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    File(#[from] SecretFileError),
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{0}")]
    Parse(String),
}

/// A key id: letters, digits, `-`, `_` and `.`, 1 to 64 of them.
pub fn check_key_id(id: &str) -> Result<(), KeyError> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(KeyError::Parse(format!(
            "invalid key id {id:?} (1 to 64 of a-z, A-Z, 0-9, -, _, .)"
        )))
    }
}

/// A secret signing key and its id.
pub struct SigningKey {
    key_id: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate(key_id: &str) -> Result<Self, KeyError> {
        check_key_id(key_id)?;
        let secret: [u8; 32] = rand::random();
        Ok(Self {
            key_id: key_id.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(&secret),
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            key_id: self.key_id.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// Ed25519 over `bytes` (64 bytes).
    pub fn sign(&self, bytes: &[u8]) -> Vec<u8> {
        self.key.sign(bytes).to_bytes().to_vec()
    }

    fn to_line(&self) -> String {
        format!("{} {}\n", self.key_id, hex::encode(self.key.to_bytes()))
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.split_whitespace();
        let (Some(id), Some(secret), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err("expected one line: <key-id> <hex secret key>".into());
        };
        check_key_id(id).map_err(|e| e.to_string())?;
        let secret: [u8; 32] = hex::decode(secret)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or("the secret key is not 64 hex digits")?;
        Ok(Self {
            key_id: id.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(&secret),
        })
    }

    /// Reads a secret key file.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let bytes = secret_file::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        Self::parse(&text).map_err(|reason| KeyError::Format {
            path: path.to_owned(),
            reason,
        })
    }

    /// Writes this key as a new secret file; refuses to replace one.
    pub fn save_new(&self, path: &Path) -> Result<bool, KeyError> {
        Ok(secret_file::write_if_missing(
            path,
            self.to_line().as_bytes(),
        )?)
    }

    /// Reads the key at `path`, or creates one named `key_id` there.
    pub fn load_or_create(path: &Path, key_id: &str) -> Result<Self, KeyError> {
        if !path.exists() {
            let key = Self::generate(key_id)?;
            if key.save_new(path)? {
                return Ok(key);
            }
        }
        Self::load(path)
    }
}

/// A public key and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key_id: String,
    key: ed25519_dalek::VerifyingKey,
}

impl PublicKey {
    pub fn from_bytes(key_id: &str, bytes: &[u8]) -> Result<Self, KeyError> {
        check_key_id(key_id)?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::Parse("a public key has 32 bytes".into()))?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|e| KeyError::Parse(format!("not an Ed25519 public key: {e}")))?;
        Ok(Self {
            key_id: key_id.to_owned(),
            key,
        })
    }

    /// Parses `<key-id> <hex>` (the form `Display` writes).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let mut parts = text.split_whitespace();
        let (Some(id), Some(hex_key), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyError::Parse("expected <key-id> <hex public key>".into()));
        };
        let bytes = hex::decode(hex_key)
            .map_err(|_| KeyError::Parse("the public key is not hex".into()))?;
        Self::from_bytes(id, &bytes)
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Whether `signature` is this key's Ed25519 signature of `bytes`.
    pub fn verifies(&self, bytes: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify(bytes, &signature).is_ok()
    }

    /// Whether every `(bytes, signature, key)` holds, checked as one
    /// Ed25519 batch; `false` if any fails (then check them one by one to
    /// know which). True for an empty list.
    pub fn all_verify(items: &[(&[u8], &[u8], &PublicKey)]) -> bool {
        match items {
            [] => return true,
            // A batch's random scalars and multi-scalar product cost more
            // than one plain check (BENCHMARKS.md, "one command at a time").
            [(bytes, signature, key)] => return key.verifies(bytes, signature),
            _ => {}
        }
        let mut messages = Vec::with_capacity(items.len());
        let mut signatures = Vec::with_capacity(items.len());
        let mut keys = Vec::with_capacity(items.len());
        for (bytes, signature, key) in items {
            let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
                return false;
            };
            messages.push(*bytes);
            signatures.push(signature);
            keys.push(key.key);
        }
        ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.key_id, hex::encode(self.key.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_key_file_is_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets/gateway.key");
        let key = SigningKey::load_or_create(&path, "gateway").unwrap();
        let again = SigningKey::load_or_create(&path, "other").unwrap();
        assert_eq!(again.key_id(), "gateway");
        assert_eq!(again.public(), key.public());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let public = PublicKey::parse(&key.public().to_string()).unwrap();
        let signature = key.sign(b"bytes");
        assert!(public.verifies(b"bytes", &signature));
        assert!(!public.verifies(b"bytez", &signature));
        assert!(!public.verifies(b"bytes", &signature[..63]));
    }
}
