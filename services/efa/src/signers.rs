//! `efa signer ...`: the keys that sign commands, and the ledger's list of
//! signers it trusts. `efa up` creates a gateway key (trusted for any
//! principal: the gateway vouches for whoever it authenticated by token)
//! and an operator key for the administration's tools (trusted for
//! `admin` and `land:*`: imports record services under their lead Land).
//! Rotating a key is: create a new one, trust it, switch the service to
//! it, revoke the old one; the ledger follows its list without a restart.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use efa_proto::Actor;
use efa_trust::{Scope, SigningKey, TrustedSigner, TrustedSigners};

/// The gateway's key file in a data dir and its key id.
pub const GATEWAY_KEY_FILE: &str = "gateway.key";
/// The administration's key file in a data dir (imports, seeds).
pub const OPERATOR_KEY_FILE: &str = "operator.key";
pub const OPERATOR_SCOPE: &str = "admin,land:*";

#[derive(Debug, Subcommand)]
pub enum SignerCmd {
    /// Einen neuen geheimen Signaturschlüssel anlegen (Modus 0600) und seinen
    /// öffentlichen Schlüssel ausgeben.
    Create {
        /// Die Schlüsselkennung, z. B. gateway-2027.
        #[arg(long)]
        key_id: String,
        /// Wohin der geheime Schlüssel geschrieben wird; eine vorhandene Datei
        /// wird nicht ersetzt.
        #[arg(long)]
        out: PathBuf,
    },
    /// Einen öffentlichen Schlüssel in die Liste des Ledgers aufnehmen:
    /// `--public-key "<id> <hex>"`, wie `create` ihn ausgegeben hat, oder
    /// `--key FILE` (eine geheime Schlüsseldatei).
    Trust {
        /// Das Datenverzeichnis des Ledgers mit der Liste der Unterzeichner (`trusted-signers.txt`).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Der öffentliche Schlüssel `<key-id> <hex>`, wie `efa signer create` ihn ausgibt.
        #[arg(long, conflicts_with = "key")]
        public_key: Option<String>,
        /// Eine geheime Schlüsseldatei, deren öffentlicher Teil aufgenommen wird.
        #[arg(long)]
        key: Option<PathBuf>,
        /// `*` (jeder Prinzipal) oder eine Liste wie `admin,land:*`.
        #[arg(long)]
        scope: String,
    },
    /// Eine Schlüsselkennung aus der Liste des Ledgers entfernen.
    Revoke {
        /// Das Datenverzeichnis des Ledgers mit der Liste der Unterzeichner (`trusted-signers.txt`).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Die Kennung des Schlüssels (siehe `efa signer list`).
        #[arg(long)]
        key_id: String,
    },
    /// Die Unterzeichner auflisten, denen der Ledger vertraut.
    List {
        /// Das Datenverzeichnis des Ledgers mit der Liste der Unterzeichner (`trusted-signers.txt`).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
}

fn list_path(data_dir: &Path) -> PathBuf {
    data_dir.join(efa_trust::TRUSTED_SIGNERS_FILE)
}

pub fn run(command: SignerCmd) -> Result<()> {
    match command {
        SignerCmd::Create { key_id, out } => {
            let key = SigningKey::generate(&key_id)?;
            if !key.save_new(&out)? {
                bail!("{} existiert bereits; nichts geändert", out.display());
            }
            crate::out::say(&key.public().to_string());
        }
        SignerCmd::Trust {
            data_dir,
            public_key,
            key,
            scope,
        } => {
            let public = match (public_key, key) {
                (Some(text), _) => efa_trust::PublicKey::parse(&text)?,
                (None, Some(path)) => SigningKey::load(&path)?.public(),
                (None, None) => bail!("--public-key oder --key angeben"),
            };
            let scope = Scope::parse(&scope)?;
            let mut list = TrustedSigners::load(&list_path(&data_dir))?;
            crate::out::say(&format!("Vertraut: {public} für {scope}"));
            list.put(TrustedSigner { key: public, scope });
            list.save(&list_path(&data_dir))?;
        }
        SignerCmd::Revoke { data_dir, key_id } => {
            let mut list = TrustedSigners::load(&list_path(&data_dir))?;
            if !list.remove(&key_id) {
                bail!("kein Unterzeichner mit der Kennung {key_id}");
            }
            list.save(&list_path(&data_dir))?;
            crate::out::say(&format!("Widerrufen: {key_id}"));
        }
        SignerCmd::List { data_dir } => {
            for signer in TrustedSigners::load(&list_path(&data_dir))?.iter() {
                crate::out::say(&format!("{}\t{}", signer.key, signer.scope));
            }
        }
    }
    Ok(())
}

/// The gateway's key of `data_dir`, created and trusted on first use.
pub fn gateway_key(data_dir: &Path) -> Result<SigningKey> {
    efa_trust::ensure_trusted_signer(data_dir, GATEWAY_KEY_FILE, "gateway", Scope::Any)
        .context("Signaturschlüssel des Gateways laden")
}

/// The administration's key of `data_dir`, created and trusted on first use.
pub fn operator_key(data_dir: &Path) -> Result<SigningKey> {
    let scope = Scope::parse(OPERATOR_SCOPE).context("Geltungsbereich der Administration lesen")?;
    efa_trust::ensure_trusted_signer(data_dir, OPERATOR_KEY_FILE, "operator", scope)
        .context("Signaturschlüssel der Administration laden")
}

/// Keys a tool signs with, each for the principals its scope names: the
/// first that may vouch for a command's actor signs it.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<(SigningKey, Scope)>,
}

impl KeyRing {
    pub fn new(keys: Vec<(SigningKey, Scope)>) -> Self {
        Self { keys }
    }

    /// Only the administration's key.
    pub fn operator(key: SigningKey) -> Result<Self> {
        Ok(Self::new(vec![(key, Scope::parse(OPERATOR_SCOPE)?)]))
    }

    pub fn key_for(&self, actor: &Actor) -> Result<&SigningKey> {
        self.keys
            .iter()
            .find(|(_, scope)| scope.allows(actor))
            .map(|(key, _)| key)
            .with_context(|| format!("kein Signaturschlüssel darf für {actor} unterschreiben"))
    }
}
