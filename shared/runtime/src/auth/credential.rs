//! A role's NATS credential: an nkey seed. On one machine the seeds live in
//! the data directory, one file per role under `secrets/nats/`, written
//! and read only through `secret_file` (mode 0600 from the first byte).
//! A seed is never printed: `Debug` shows the role and the public key.

use std::path::{Path, PathBuf};

use crate::secret_file::{self, SecretFileError};

use super::Role;

/// The folder below the data directory that holds the NATS seeds.
pub const SECRETS_SUBDIR: &str = "secrets/nats";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(transparent)]
    File(#[from] SecretFileError),
    #[error("{origin} holds no NATS user seed (an nkey seed starting with SU)")]
    NotASeed { origin: String },
    #[error("generate an nkey for {role}: {reason}")]
    Generate { role: Role, reason: String },
}

/// The seed of one role's nkey.
#[derive(Clone)]
pub struct Credential {
    role: Role,
    seed: String,
    public_key: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("role", &self.role)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl Credential {
    /// A new random key pair for `role`.
    pub fn generate(role: Role) -> Result<Self, CredentialError> {
        let pair = nkeys::KeyPair::new_user();
        let seed = pair.seed().map_err(|e| CredentialError::Generate {
            role,
            reason: e.to_string(),
        })?;
        Ok(Self {
            role,
            seed,
            public_key: pair.public_key(),
        })
    }

    /// A credential from a seed's text; `origin` names where it came from
    /// in the error (never the seed itself).
    pub fn from_seed(role: Role, text: &str, origin: &str) -> Result<Self, CredentialError> {
        let seed = text.trim();
        let not_a_seed = || CredentialError::NotASeed {
            origin: origin.to_owned(),
        };
        if !seed.starts_with("SU") {
            return Err(not_a_seed());
        }
        let pair = nkeys::KeyPair::from_seed(seed).map_err(|_| not_a_seed())?;
        Ok(Self {
            role,
            seed: seed.to_owned(),
            public_key: pair.public_key(),
        })
    }

    /// Reads a seed file, refusing one that others may read.
    pub fn from_file(role: Role, path: &Path) -> Result<Self, CredentialError> {
        let bytes = secret_file::read(path)?;
        let text = String::from_utf8_lossy(&bytes);
        Self::from_seed(role, &text, &path.display().to_string())
    }

    /// The role's seed file in `data_dir`, if there is one.
    pub fn from_data_dir(data_dir: &Path, role: Role) -> Result<Option<Self>, CredentialError> {
        let path = path_in(data_dir, role);
        if !path.exists() {
            return Ok(None);
        }
        Self::from_file(role, &path).map(Some)
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The public key (`U...`), the user's name in the server's
    /// configuration; not a secret.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The seed, for the NATS client only.
    pub(crate) fn seed(&self) -> &str {
        &self.seed
    }

    /// Writes the seed to `path` as a secret file (replacing one there).
    pub fn save(&self, path: &Path) -> Result<(), CredentialError> {
        secret_file::write(path, format!("{}\n", self.seed).as_bytes())?;
        Ok(())
    }
}

/// Where `role`'s seed lives in `data_dir`.
pub fn path_in(data_dir: &Path, role: Role) -> PathBuf {
    data_dir
        .join(SECRETS_SUBDIR)
        .join(format!("{}.nk", role.name()))
}

/// Every role's credential in `data_dir`, generating those that are
/// missing (existing ones are kept as they are).
pub fn ensure_all(data_dir: &Path) -> Result<Vec<Credential>, CredentialError> {
    Role::ALL
        .into_iter()
        .map(|role| {
            let path = path_in(data_dir, role);
            let fresh = Credential::generate(role)?;
            secret_file::write_if_missing(&path, format!("{}\n", fresh.seed).as_bytes())?;
            Credential::from_file(role, &path)
        })
        .collect()
}

/// Replaces `role`'s credential in `data_dir` with a new one.
pub fn rotate(data_dir: &Path, role: Role) -> Result<Credential, CredentialError> {
    let fresh = Credential::generate(role)?;
    fresh.save(&path_in(data_dir, role))?;
    Ok(fresh)
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)] // test code: a failed step should fail loudly
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn seeds_are_created_once_owner_only_and_rotated_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure_all(dir.path()).unwrap();
        assert_eq!(first.len(), 4);
        for credential in &first {
            let path = path_in(dir.path(), credential.role());
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
            assert!(credential.public_key().starts_with('U'));
        }
        let again = ensure_all(dir.path()).unwrap();
        let keys = |list: &[Credential]| -> Vec<String> {
            list.iter().map(|c| c.public_key().to_owned()).collect()
        };
        assert_eq!(keys(&first), keys(&again), "existing seeds are kept");
        let rotated = rotate(dir.path(), Role::Gateway).unwrap();
        assert_ne!(rotated.public_key(), first[2].public_key());
        let loaded = Credential::from_data_dir(dir.path(), Role::Gateway)
            .unwrap()
            .unwrap();
        assert_eq!(loaded.public_key(), rotated.public_key());
    }

    #[test]
    fn debug_never_shows_the_seed_and_junk_is_refused() {
        let credential = Credential::generate(Role::Ledger).unwrap();
        let shown = format!("{credential:?}");
        assert!(!shown.contains(credential.seed()), "{shown}");
        assert!(shown.contains(credential.public_key()));
        let refused = Credential::from_seed(Role::Ledger, "SUnot-a-seed", "test").unwrap_err();
        assert!(matches!(refused, CredentialError::NotASeed { .. }));
        let public = credential.public_key().to_owned();
        assert!(Credential::from_seed(Role::Ledger, &public, "test").is_err());
    }
}
