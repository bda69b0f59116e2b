//! Idempotency keys: the client names each write, and a repeat of the same
//! name is answered from the ledger's memory instead of being done twice.
//! The gateway turns the client's key into the ledger's `CommandId`,
//! scoped per principal so two callers can never collide on a key.

use efa_proto::{Actor, CommandId};
use sha2::{Digest, Sha256};

/// The longest key accepted.
pub const KEY_CHARS_MAX: usize = 200;

/// Checks a key: 1 to 200 visible ASCII characters (no spaces, no control
/// characters), so it can be logged and shown without surprises.
pub fn valid_key(key: &str) -> bool {
    (1..=KEY_CHARS_MAX).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The command id: the first 16 bytes of SHA-256(principal + "\n" + key).
pub fn command_id(actor: &Actor, key: &str) -> CommandId {
    let digest = Sha256::digest(format!("{actor}\n{key}").as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    CommandId(id)
}

#[cfg(test)]
mod tests {
    use efa_proto::LandCode;

    use super::*;

    #[test]
    fn command_ids_are_stable_and_scoped_per_principal() {
        let bremen = Actor::Land(LandCode::new(4).unwrap());
        let hamburg = Actor::Land(LandCode::new(2).unwrap());
        let id = command_id(&bremen, "key-1");
        assert_eq!(id, command_id(&bremen, "key-1"));
        assert_ne!(id, command_id(&bremen, "key-2"));
        assert_ne!(id, command_id(&hamburg, "key-1"));
        // Pinned: SHA-256("land:04\nkey-1"), first 16 bytes. Changing the
        // derivation would make the ledger forget every earlier key.
        assert_eq!(id.to_string(), "88db29e466b6d484268a67e0e2910af5");
    }

    #[test]
    fn keys_are_visible_ascii_up_to_200_chars() {
        assert!(valid_key("a"));
        assert!(valid_key("0b5e2f3a-1c4d-4e5f-8a9b-0c1d2e3f4a5b"));
        assert!(valid_key(&"k".repeat(200)));
        for bad in [
            "",
            "mit leerzeichen",
            "tab\there",
            "ümlaut",
            &"k".repeat(201),
        ] {
            assert!(!valid_key(bad), "{bad:?} must be refused");
        }
    }
}
