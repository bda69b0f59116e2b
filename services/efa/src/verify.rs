//! `efa verify`: offline checks that change nothing. For a data dir, the
//! ledger's hash chain and the signed checkpoint of its head; for an
//! exported history (`--export`), every event against the ledger's public
//! key, naming the first event that does not match.

use std::path::Path;

use anyhow::{Context, Result, bail};
use efa_trust::PublicKey;

pub fn run(data_dir: &Path, public_key: Option<&str>, export: Option<&Path>) -> Result<()> {
    let key = public_key.map(read_public_key).transpose()?;
    match export {
        Some(file) => verify_export(file, key),
        None => verify_data_dir(data_dir, key.as_ref()),
    }
}

/// A key given as `<key-id> <hex>` or as a file holding that line.
fn read_public_key(given: &str) -> Result<PublicKey> {
    let text = match std::fs::read_to_string(given) {
        Ok(text) => text,
        Err(_) => given.to_owned(),
    };
    PublicKey::parse(text.trim()).context("read the ledger's public key")
}

fn verify_data_dir(data_dir: &Path, key: Option<&PublicKey>) -> Result<()> {
    match efa_ledger::verify(data_dir, key) {
        Ok(report) => {
            let signed = if report.checkpoint_signed {
                "Kopf vom Ledger signiert"
            } else {
                "ohne signierten Kopf (vor der Signatur geschrieben)"
            };
            crate::out::say(&format!(
                "Hash-Kette intakt: {} Ereignisse, Kopf {}, {signed}",
                report.events,
                hex::encode(report.head_hash)
            ));
            Ok(())
        }
        Err(efa_ledger::VerifyError::Broken { seq, problem }) => {
            bail!("Hash-Kette gebrochen bei Sequenz {seq}: {problem}")
        }
        Err(efa_ledger::VerifyError::Store(efa_ledger::store::StoreError::InUse { .. })) => bail!(
            "Der Ledger in {} ist gerade in Gebrauch (läuft `efa up` oder `efa ledger` auf diesem \
             Datenverzeichnis?). `efa verify --data-dir` liest ihn nur, wenn er angehalten ist; im \
             laufenden Betrieb die Historie über die API exportieren (`GET /api/v1/ledger/export`) \
             und mit `efa verify --export DATEI` prüfen.",
            data_dir.display()
        ),
        Err(efa_ledger::VerifyError::Store(efa_ledger::store::StoreError::NoLedger { .. })) => {
            bail!(
                "In {} liegt kein Ledger: `efa verify --data-dir` erwartet das Datenverzeichnis \
                 eines Ledgers (das von `efa up` oder `efa ledger`).",
                data_dir.display()
            )
        }
        Err(error) => Err(error).context("read the ledger"),
    }
}

fn verify_export(file: &Path, key: Option<PublicKey>) -> Result<()> {
    let Some(key) = key else {
        bail!("--public-key angeben: den öffentlichen Schlüssel des Ledgers");
    };
    let text = std::fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
    match efa_trust::verify_export(&text, &key) {
        Ok(report) => {
            crate::out::say(&format!(
                "Export geprüft: Ereignisse {} bis {}, vom Ledger ({}) signiert",
                report.first_seq,
                report.last_seq,
                key.key_id()
            ));
            Ok(())
        }
        Err(broken) => bail!(
            "Export stimmt nicht bei Ereignis {}: {}",
            broken.seq,
            broken.problem.message_de()
        ),
    }
}
