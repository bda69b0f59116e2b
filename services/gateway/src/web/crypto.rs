//! The few cryptographic pieces the web pages need, on top of `sha2`:
//! HMAC-SHA256 (RFC 2104) to sign cookies, a comparison that takes the
//! same time wherever two byte strings differ, and random hex strings from
//! the operating system's generator (through `uuid`'s v4, 122 random bits
//! each).

use sha2::{Digest, Sha256};

const BLOCK_BYTES: usize = 64;

/// A secret key for HMAC-SHA256, 32 random bytes. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

impl SessionKey {
    /// A fresh random key.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(key)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
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
                Ok(Self(key))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::random();
                // Owner-only from the first byte; if another gateway wrote
                // one meanwhile, that one counts.
                let written =
                    efa_runtime::secret_file::write_if_missing(path, hex::encode(key.0).as_bytes())
                        .map_err(std::io::Error::other)?;
                if !written {
                    return Self::load_or_create(path);
                }
                Ok(key)
            }
            Err(error) => Err(error),
        }
    }

    /// HMAC-SHA256 of `message` under this key, as lowercase hex.
    pub fn sign(&self, message: &str) -> String {
        hex::encode(hmac_sha256(&self.0, message.as_bytes()))
    }

    /// Whether `mac_hex` is the signature of `message`, compared in
    /// constant time.
    pub fn verify(&self, message: &str, mac_hex: &str) -> bool {
        constant_time_eq(self.sign(message).as_bytes(), mac_hex.as_bytes())
    }
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK_BYTES];
    if key.len() > BLOCK_BYTES {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Equality of two byte strings whose time depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random hex digits (122 random bits).
pub fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2: a short key.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signatures_verify_only_for_their_message_and_key() {
        let key = SessionKey::random();
        let mac = key.sign("land:04");
        assert!(key.verify("land:04", &mac));
        assert!(!key.verify("land:16", &mac));
        assert!(!SessionKey::random().verify("land:04", &mac));
        assert!(!key.verify("land:04", &mac[..10]));
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
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
        assert_ne!(random_hex(), random_hex());
        assert_eq!(random_hex().len(), 32);
    }
}
