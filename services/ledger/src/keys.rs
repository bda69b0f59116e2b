//! The ledger's keys, all in its data dir: its own signing key for
//! checkpoints (`secrets/ledger.key`, created on first start, with the
//! public half beside it in `ledger-public-key.txt` for whoever checks an
//! export), and the list of signers whose commands it takes
//! (`trusted-signers.txt`, followed while it changes).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use efa_trust::{KeyError, SignerSource, SigningKey};

/// The ledger's key id in every checkpoint it signs.
pub const LEDGER_KEY_ID: &str = "ledger";
/// The file with the ledger's public key, `<key-id> <hex>`.
pub const PUBLIC_KEY_FILE: &str = "ledger-public-key.txt";

pub fn ledger_key_path(data_dir: &Path) -> PathBuf {
    efa_trust::secrets_dir(data_dir).join("ledger.key")
}

/// Loads the ledger's signing key, creating it on first start, and keeps
/// the public key file in step with it.
pub fn ledger_key(data_dir: &Path) -> Result<Arc<SigningKey>, KeyError> {
    let key = SigningKey::load_or_create(&ledger_key_path(data_dir), LEDGER_KEY_ID)?;
    let public = format!("{}\n", key.public());
    let path = data_dir.join(PUBLIC_KEY_FILE);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(public.as_str()) {
        efa_runtime::durable_file::replace(&path, public.as_bytes()).map_err(|e| {
            KeyError::Format {
                path,
                reason: e.to_string(),
            }
        })?;
    }
    Ok(Arc::new(key))
}

/// The trusted signers, followed in the data dir's file.
pub fn signers(data_dir: &Path) -> Result<Arc<SignerSource>, KeyError> {
    let source = SignerSource::watching(data_dir.join(efa_trust::TRUSTED_SIGNERS_FILE))?;
    if source.current().is_empty() {
        tracing::warn!(
            file = efa_trust::TRUSTED_SIGNERS_FILE,
            "no trusted signer: every command is refused until one is added"
        );
    }
    Ok(Arc::new(source))
}
