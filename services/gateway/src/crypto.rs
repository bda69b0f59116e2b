//! The gateway's secrets and randomness, on well-kept crates. The session
//! key, session ids and form keys are random bytes from `rand`'s thread
//! generator (a ChaCha12 CSPRNG seeded from the operating system; API
//! tokens are drawn the same way, in `efa_trust::tokens`). `cookie`'s
//! signing key is derived from the session key (HKDF, through axum-extra's
//! signed cookies), and CSRF tokens are made with it (HMAC-SHA256 from
//! `hmac` + `sha2`, compared in constant time with `subtle`).

use axum_extra::extract::cookie::Key;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The gateway's secret for web sessions and CSRF tokens. Its `Debug`
/// hides it.
#[derive(Clone)]
pub struct SessionKey {
    bytes: [u8; 32],
    cookies: Key,
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

impl PartialEq for SessionKey {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.bytes.ct_eq(&other.bytes))
    }
}

impl Eq for SessionKey {}

impl SessionKey {
    /// A fresh random key.
    pub fn random() -> Self {
        Self::from_bytes(random_bytes())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self {
            bytes,
            cookies: Key::derive_from(&bytes),
        }
    }

    /// The key in `path` (64 hex digits), or a new random one written
    /// there (readable by the owner only), so sessions survive a restart
    /// and gateways sharing the file accept each other's sessions.
    pub fn load_or_create(path: &std::path::Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut key = [0u8; 32];
                hex::decode_to_slice(text.trim(), &mut key)
                    .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))?;
                Ok(Self::from_bytes(key))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                // Owner-only from the first byte; if another gateway wrote
                // one meanwhile, that one counts.
                let written = efa_runtime::secret_file::write_if_missing(
                    path,
                    hex::encode(key.bytes).as_bytes(),
                )
                .map_err(std::io::Error::other)?;
                if !written {
                    return Self::load_or_create(path);
                }
                Ok(key)
            }
            Err(error) => Err(error),
        }
    }

    /// The key that signs the gateway's cookies.
    pub fn cookie_key(&self) -> &Key {
        &self.cookies
    }

    /// HMAC-SHA256 of `message` under this key, as lowercase hex.
    pub fn sign(&self, message: &str) -> String {
        hex::encode(self.mac(message).finalize().into_bytes())
    }

    /// Whether `mac_hex` is the signature of `message`, compared in
    /// constant time.
    pub fn verify(&self, message: &str, mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|mac| self.mac(message).verify_slice(&mac).is_ok())
    }

    fn mac(&self, message: &str) -> HmacSha256 {
        // HMAC takes a key of any length.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.bytes)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(message.as_bytes());
        mac
    }
}

/// 32 random bytes.
fn random_bytes() -> [u8; 32] {
    rand::random()
}

/// 32 random hex digits (128 random bits).
pub fn random_hex() -> String {
    hex::encode(&random_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let key = SessionKey::random();
        let mac = key.sign("land:04");
        assert!(key.verify("land:04", &mac));
        assert!(!key.verify("land:16", &mac));
        assert!(!SessionKey::random().verify("land:04", &mac));
        assert!(!key.verify("land:04", &mac[..10]));
        assert!(!key.verify("land:04", "kein hex"));
    }

    #[test]
    fn a_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sitzung.key");
        let key = SessionKey::load_or_create(&path).unwrap();
        assert_eq!(SessionKey::load_or_create(&path).unwrap(), key);
        assert_eq!(std::fs::read_to_string(&path).unwrap().len(), 64);
        std::fs::write(&path, "kein hex").unwrap();
        assert!(SessionKey::load_or_create(&path).is_err());
    }

    #[test]
    fn random_hex_is_fresh() {
        assert_ne!(random_hex(), random_hex());
        assert_eq!(random_hex().len(), 32);
    }
}
