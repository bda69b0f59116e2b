//! `efa verify`: offline checks that change nothing. For a data dir, the
//! ledger's hash chain, the signed checkpoint of its head and its head
//! witness, on a copy of the store; for an exported history (`--export`),
//! every event against the ledger's public key, naming the first event
//! that does not match. Either way, `--contains SEQ:HASH` names states
//! kept from earlier that the chain must hold, which is how a log cut
//! short at its end is found.

use std::path::Path;

use anyhow::{Context, Result, bail};
use efa_proto::Hash;
use efa_trust::PublicKey;

pub fn run(
    data_dir: &Path,
    public_key: Option<&str>,
    exports: &[std::path::PathBuf],
    contains: &[String],
) -> Result<()> {
    let key = public_key.map(read_public_key).transpose()?;
    let kept = contains
        .iter()
        .map(|given| kept_checkpoint(given))
        .collect::<Result<Vec<_>>>()?;
    if exports.is_empty() {
        verify_data_dir(data_dir, key.as_ref(), &kept)
    } else {
        verify_exports(exports, key, &kept)
    }
}

/// `SEQUENZ:KETTENHASH`, e.g. `108:3fa4…` (64 hex digits).
fn kept_checkpoint(given: &str) -> Result<(u64, Hash)> {
    let parsed = given.split_once(':').and_then(|(seq, hash)| {
        let seq: u64 = seq.trim().parse().ok().filter(|seq| *seq > 0)?;
        let hash: Hash = hex::decode(hash.trim()).ok()?.try_into().ok()?;
        Some((seq, hash))
    });
    parsed.with_context(|| {
        format!(
            "--contains „{given}“ ist kein Stand: erwartet SEQUENZ:KETTENHASH, die Sequenz ab 1, \
             der Hash mit 64 Hexadezimalziffern"
        )
    })
}

/// A key given as `<key-id> <hex>` or as a file holding that line.
pub(crate) fn read_public_key(given: &str) -> Result<PublicKey> {
    let text = match std::fs::read_to_string(given) {
        Ok(text) => text,
        Err(_) => given.to_owned(),
    };
    PublicKey::parse(text.trim()).with_context(|| {
        format!(
            "„{given}“ ist kein öffentlicher Schlüssel des Ledgers: erwartet `<Schlüssel-ID> \
             <64 Hexadezimalziffern>` oder eine Datei mit dieser Zeile \
             (`public_key_line` aus GET /api/v1/ledger/checkpoint)"
        )
    })
}

fn verify_data_dir(data_dir: &Path, key: Option<&PublicKey>, kept: &[(u64, Hash)]) -> Result<()> {
    use efa_ledger::WitnessCheck;
    use efa_ledger::store::StoreError;
    match efa_ledger::verify(data_dir, key, kept) {
        Ok(report) => {
            let signed = match (report.checkpoint_signed, key) {
                (false, _) => "ohne signierten Kopf (vor der Signatur geschrieben)",
                (true, Some(_)) => "Kopf vom Ledger signiert",
                // The data dir's own key proves only that whoever holds
                // the dir signed it.
                (true, None) => {
                    "Kopf vom Ledger signiert (geprüft mit dem Schlüssel aus dem \
                     Datenverzeichnis; unabhängig nur mit --public-key und dem anderweitig \
                     hinterlegten Schlüssel)"
                }
            };
            let witness = match report.witness {
                WitnessCheck::Held { seq } => {
                    format!("der festgehaltene Kopf (Ereignis {seq}) ist enthalten")
                }
                WitnessCheck::Absent => "ohne festgehaltenen Kopf (ledger-head.txt fehlt; \
                    ob am Ende Ereignisse fehlen, zeigt nur --contains)"
                    .to_owned(),
                WitnessCheck::Unreadable => "der festgehaltene Kopf (ledger-head.txt) ist \
                    unlesbar; ob am Ende Ereignisse fehlen, zeigt nur --contains"
                    .to_owned(),
            };
            // The witness travels with the dir: a backup put back whole
            // agrees with itself. Only a state kept elsewhere shows that.
            let given = match kept.len() {
                0 => "; eine ältere Sicherung samt ledger-head.txt bestünde diese Prüfung \
                      auch (den Ereignisstrom in NATS liest sie nicht; efa up tut es): \
                      --contains mit einem anderswo festgehaltenen Stand zeigt es"
                    .to_owned(),
                n => format!(", die {n} angegebenen Stände sind enthalten"),
            };
            crate::out::say(&format!(
                "Hash-Kette intakt: {} Ereignisse, Kopf {}, {signed}; {witness}{given}",
                report.events,
                hex::encode(report.head_hash)
            ));
            Ok(())
        }
        Err(efa_ledger::VerifyError::Broken { seq, problem }) => {
            let what = if problem.breaks_the_chain() {
                "Hash-Kette gebrochen"
            } else {
                "Prüfung nicht bestanden"
            };
            bail!("{what} bei Sequenz {seq}: {}", problem.message_de())
        }
        Err(efa_ledger::VerifyError::Store(StoreError::InUse { .. })) => bail!(
            "Der Ledger in {} ist gerade in Gebrauch (läuft `efa up` oder `efa ledger` auf diesem \
             Datenverzeichnis?). `efa verify --data-dir` liest ihn nur, wenn er angehalten ist; im \
             laufenden Betrieb die Historie über die API exportieren (`GET /api/v1/ledger/export`) \
             und mit `efa verify --export DATEI` prüfen.",
            data_dir.display()
        ),
        Err(efa_ledger::VerifyError::Store(StoreError::NoLedger { .. })) => {
            bail!(
                "In {} liegt kein Ledger: `efa verify --data-dir` erwartet das Datenverzeichnis \
                 eines Ledgers (das von `efa up` oder `efa ledger`).",
                data_dir.display()
            )
        }
        Err(efa_ledger::VerifyError::Store(
            error @ (StoreError::Open { .. }
            | StoreError::Sled(_)
            | StoreError::Corrupt { .. }
            | StoreError::CorruptPacking { .. }
            | StoreError::MissingEvent { .. }),
        )) => bail!(
            "Der Ledger in {} ist beschädigt und nicht lesbar ({error}).",
            data_dir.display()
        ),
        Err(error) => Err(error).context("den Ledger lesen"),
    }
}

/// One export, or consecutive parts of one: each checked on its own, each
/// part's first event linked to the last of the part before.
fn verify_exports(
    files: &[std::path::PathBuf],
    key: Option<PublicKey>,
    kept: &[(u64, Hash)],
) -> Result<()> {
    let Some(key) = key else {
        bail!("--public-key angeben: den öffentlichen Schlüssel des Ledgers");
    };
    let mut reports: Vec<efa_trust::ExportReport> = Vec::new();
    for file in files {
        let report = verify_export(file, &key)?;
        if let Some(before) = reports.last() {
            let joined = report.first_seq == before.last_seq + 1
                && before.hash_of(before.last_seq) == Some(&report.prev_hash);
            if !joined {
                bail!(
                    "{} schließt nicht an den Teil davor an: der endet bei Ereignis {}, dieser \
                     beginnt bei Ereignis {}{}",
                    file.display(),
                    before.last_seq,
                    report.first_seq,
                    if report.first_seq == before.last_seq + 1 {
                        " und verweist auf einen anderen Kettenhash"
                    } else {
                        ""
                    }
                );
            }
        }
        reports.push(report);
    }
    for (seq, hash) in kept {
        match reports.iter().find_map(|report| report.hash_of(*seq)) {
            Some(found) if found == hash => {}
            Some(_) => bail!(
                "Export stimmt nicht bei Ereignis {seq}: nicht das Ereignis, das der angegebene \
                 Stand (--contains) nennt (anderer Kettenhash)"
            ),
            None => bail!(
                "Der Export enthält Ereignis {seq} nicht, das der angegebene Stand (--contains) \
                 nennt."
            ),
        }
    }
    let (Some(first), Some(last)) = (reports.first(), reports.last()) else {
        bail!("keine Exportdatei angegeben");
    };
    let head = last
        .hash_of(last.last_seq)
        .map(hex::encode)
        .unwrap_or_default();
    let start = if first.first_seq == 1 {
        String::new()
    } else {
        format!(
            " (nicht ab Ereignis 1: die Verbindung zu Ereignis {} prüft diese Datei nicht)",
            first.first_seq - 1
        )
    };
    let parts = match reports.len() {
        1 => String::new(),
        n => format!(" in {n} lückenlos verbundenen Teilen"),
    };
    let end = match kept.len() {
        0 => "; ob nach dem Ende Ereignisse fehlen, zeigt nur --contains mit einem früher \
              festgehaltenen Stand"
            .to_owned(),
        n => format!("; die {n} angegebenen Stände sind enthalten"),
    };
    crate::out::say(&format!(
        "Export geprüft: Ereignisse {} bis {}{parts}{start}, vom Ledger ({}) signiert, \
         Kettenhash von Ereignis {}: {head}{end}",
        first.first_seq,
        last.last_seq,
        key.key_id(),
        last.last_seq
    ));
    Ok(())
}

/// One export file, checked against `key`.
fn verify_export(file: &Path, key: &PublicKey) -> Result<efa_trust::ExportReport> {
    let bytes = std::fs::read(file).with_context(|| format!("{} lesen", file.display()))?;
    let Ok(text) = String::from_utf8(bytes) else {
        bail!(
            "{} ist kein lesbarer Export: die Datei ist kein UTF-8-Text",
            file.display()
        );
    };
    efa_trust::verify_export(&text, key)
        .map_err(|broken| anyhow::anyhow!(export_break_de(&file.display().to_string(), &broken)))
}

/// What is wrong with the export `what` (a file, an answer), in German.
pub(crate) fn export_break_de(what: &str, broken: &efa_trust::ChainBreak) -> String {
    if broken.seq == 0 {
        format!(
            "{what} ist kein lesbarer Export: {}",
            broken.problem.message_de()
        )
    } else {
        format!(
            "Export {what} stimmt nicht bei Ereignis {}: {}",
            broken.seq,
            broken.problem.message_de()
        )
    }
}
