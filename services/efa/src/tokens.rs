//! `efa token ...`: issue, list and revoke API tokens offline, in the token
//! table the gateway reads at start. Only hashes are stored; a new token is
//! printed once.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use efa_proto::Actor;

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Einen Token für einen Prinzipal ausstellen (land:NN, gemeinde:AGS,
    /// operator:ID, admin).
    Create {
        /// Das Datenverzeichnis des Gateways mit der Tokentabelle (`tokens.json`).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Für wen der Token gilt: land:NN (01 bis 16), gemeinde:AGS (8 Ziffern), operator:KENNUNG oder admin.
        #[arg(long, value_parser = parse_principal)]
        principal: Actor,
        /// Ein Name für den Token, etwa die Stelle, die ihn erhält; mit ihm wird er widerrufen.
        #[arg(long)]
        name: String,
    },
    /// Die Tokens auflisten: Name und Prinzipal (die Tokens selbst sind nicht
    /// gespeichert und lassen sich nicht anzeigen).
    List {
        /// Das Datenverzeichnis des Gateways mit der Tokentabelle (`tokens.json`).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
    },
    /// Alle Tokens mit diesem Namen widerrufen. Laufende Gateways lesen die
    /// Tabelle binnen einer Sekunde neu; dann enden der Token und seine Sitzungen.
    Revoke {
        /// Das Datenverzeichnis des Gateways mit der Tokentabelle (`tokens.json`).
        #[arg(long, env = "EFA_DATA_DIR", default_value = crate::cli::DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// Der Name der Tokens, die widerrufen werden (siehe `efa token list`).
        #[arg(long)]
        name: String,
    },
}

/// `--principal`, with a German message that names the part that is wrong
/// (the proto's own errors are English, for logs).
fn parse_principal(text: &str) -> Result<Actor, String> {
    Actor::parse(text).map_err(|_| {
        let wrong = match text.split_once(':') {
            Some(("land", _)) => "der Ländercode nach „land:“ muss 01 bis 16 sein",
            Some(("gemeinde", _)) => {
                "nach „gemeinde:“ steht ein Gemeindeschlüssel aus 8 Ziffern, dessen erste \
                 zwei ein Ländercode von 01 bis 16 sind"
            }
            Some(("operator", _)) => {
                "die Kennung nach „operator:“ besteht aus 3 bis 64 Kleinbuchstaben, Ziffern \
                 und einzelnen Bindestrichen und beginnt mit einem Buchstaben"
            }
            _ => "erwartet land:NN, gemeinde:AGS, operator:KENNUNG oder admin",
        };
        format!("kein Prinzipal: {wrong}")
    })
}

pub fn table_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tokens.json")
}

pub fn run(command: TokenCmd) -> Result<()> {
    match command {
        TokenCmd::Create {
            data_dir,
            principal,
            name,
        } => {
            require_data_dir(&data_dir)?;
            let path = table_path(&data_dir);
            let mut table =
                efa_trust::tokens::TokenTable::load(&path).context("Token-Tabelle laden")?;
            let token = table.issue(principal.clone(), &name);
            table.save(&path).context("Token-Tabelle speichern")?;
            println!("{token}");
            eprintln!(
                "Token für {principal} ({name}) angelegt. Er wird nur dieses eine Mal angezeigt."
            );
            Ok(())
        }
        TokenCmd::List { data_dir } => {
            let table = efa_trust::tokens::TokenTable::load(&table_path(&data_dir))
                .context("Token-Tabelle laden")?;
            print!("{}", listing(&table));
            Ok(())
        }
        TokenCmd::Revoke { data_dir, name } => revoke(&data_dir, &name),
    }
}

/// Refuses a directory that is no efa data directory: one holds the
/// secrets (written by `efa up`, `efa nats init` or `efa signer create`)
/// or a token table already. A table written anywhere else, under a
/// mistyped path, would be read by no gateway.
fn require_data_dir(data_dir: &Path) -> Result<()> {
    if efa_trust::secrets_dir(data_dir).is_dir() || table_path(data_dir).is_file() {
        return Ok(());
    }
    anyhow::bail!(
        "{dir} ist kein Datenverzeichnis von efa (darin fehlen secrets/ und tokens.json). \
         Mit --data-dir das Datenverzeichnis des Gateways angeben; ein neues legt \
         `efa up --data-dir {dir}` oder `efa nats init --data-dir {dir}` an.",
        dir = data_dir.display()
    )
}

/// One line per token: principal, a tab, the name; sorted.
pub fn listing(table: &efa_trust::tokens::TokenTable) -> String {
    let mut lines: Vec<String> = table
        .holders()
        .map(|(name, actor)| format!("{actor}\t{name}\n"))
        .collect();
    lines.sort();
    lines.concat()
}

fn revoke(data_dir: &Path, name: &str) -> Result<()> {
    let path = table_path(data_dir);
    let mut table = efa_trust::tokens::TokenTable::load(&path).context("Token-Tabelle laden")?;
    let removed = table.revoke(name);
    if removed == 0 {
        anyhow::bail!("Kein Token mit dem Namen „{name}“ gefunden (siehe efa token list).");
    }
    table.save(&path).context("Token-Tabelle speichern")?;
    eprintln!("{}", revoked_note(removed, name));
    Ok(())
}

/// What `efa token revoke` tells: the gateways reread the table within a
/// second (`efa_gateway::Gateway::with_token_file`), no restart needed.
fn revoked_note(removed: usize, name: &str) -> String {
    format!(
        "{removed} Token „{name}“ widerrufen. Laufende Gateways lesen die Tabelle binnen einer \
         Sekunde neu; ab dann gilt es nicht mehr, auch nicht seine Sitzungen."
    )
}

/// The demo principals `efa up` creates tokens for on a fresh data dir.
pub const DEMO_PRINCIPALS: [(&str, &str); 5] = [
    ("land:04", "Freie Hansestadt Bremen (Demo)"),
    ("land:16", "Freistaat Thüringen (Demo)"),
    ("gemeinde:16051000", "Stadt Erfurt (Demo)"),
    ("operator:kiv-thueringen", "KIV Thüringen (Demo)"),
    ("admin", "Registeradministration (Demo)"),
];

/// The file with the demo logins in `data_dir`.
pub fn demo_logins_path(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-zugaenge.txt")
}

/// When `efa up` loads the demo into a fresh data dir: issues the demo
/// tokens and writes them, in plain text, to `demo-zugaenge.txt` (a demo
/// convenience; real tokens are only ever shown once), a secret file of
/// mode 0600 from the first byte. A data dir with a token table already
/// gets no demo tokens. Returns the file, if there is one.
pub fn ensure_demo_tokens(data_dir: &Path) -> Result<Option<PathBuf>> {
    let table_path = table_path(data_dir);
    if table_path.exists() {
        return existing_demo_logins(data_dir);
    }
    let mut table = efa_trust::tokens::TokenTable::empty();
    let mut text = String::from("# Demo-Zugänge (nur für die lokale Demo)\n");
    for (principal, name) in DEMO_PRINCIPALS {
        let actor = Actor::parse(principal).context("Demo-Prinzipal lesen")?;
        let token = table.issue(actor, name);
        text.push_str(&format!("{principal}\t{name}\t{token}\n"));
    }
    let demo_path = demo_logins_path(data_dir);
    efa_runtime::secret_file::write(&demo_path, text.as_bytes())
        .context("Demo-Zugänge schreiben")?;
    table.save(&table_path).context("Token-Tabelle speichern")?;
    Ok(Some(demo_path))
}

/// The demo logins an earlier `efa up` wrote, if any.
pub fn existing_demo_logins(data_dir: &Path) -> Result<Option<PathBuf>> {
    let path = demo_logins_path(data_dir);
    Ok(path.exists().then_some(path))
}

/// Makes the token table, the session key and the demo logins owner-only
/// where an older version left one readable by others, and says so: their
/// contents may have been read.
pub fn close_open_secret_files(data_dir: &Path) -> Result<()> {
    let files = [
        table_path(data_dir),
        data_dir.join(crate::cli::SESSION_KEY_FILE),
        demo_logins_path(data_dir),
    ];
    for path in files.iter().filter(|path| path.exists()) {
        if efa_runtime::secret_file::check_private(path).is_ok() {
            continue;
        }
        restrict_to_owner(path)
            .with_context(|| format!("{} nur für den Eigentümer lesbar machen", path.display()))?;
        crate::out::say(&format!(
            "{} war für andere lesbar und ist jetzt nur noch für den Eigentümer lesbar \
             (Modus 600). Was darin steht, kann gelesen worden sein: Tokens widerrufen \
             (efa token revoke), einen Sitzungsschlüssel löschen (er entsteht neu).",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        path,
        std::fs::Permissions::from_mode(efa_runtime::secret_file::SECRET_FILE_MODE),
    )
}

#[cfg(not(unix))]
fn restrict_to_owner(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn demo_logins_are_owner_only_and_an_old_open_file_is_closed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(existing_demo_logins(dir.path()).unwrap(), None);
        let path = ensure_demo_tokens(dir.path()).unwrap().unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&table_path(dir.path())), 0o600);
        assert_eq!(
            ensure_demo_tokens(dir.path()).unwrap(),
            Some(path.clone()),
            "a second start issues no new tokens"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let table = table_path(dir.path());
        std::fs::set_permissions(&table, std::fs::Permissions::from_mode(0o640)).unwrap();
        close_open_secret_files(dir.path()).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&table), 0o600);
    }

    #[test]
    fn a_wrong_principal_is_refused_in_german_naming_the_wrong_part() {
        use clap::Parser;
        let refusal = |principal: &str| {
            let args = [
                "efa",
                "token",
                "create",
                "--principal",
                principal,
                "--name",
                "Y",
            ];
            let error = crate::cli::Cli::try_parse_from(args).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
            error.to_string()
        };
        let land = refusal("land:17");
        assert!(
            land.contains("Ländercode nach „land:“ muss 01 bis 16 sein"),
            "{land}"
        );
        assert!(!land.contains("LandCode"), "{land}");
        assert!(refusal("gemeinde:1605100").contains("Gemeindeschlüssel aus 8 Ziffern"));
        assert!(refusal("operator:X").contains("Kennung nach „operator:“"));
        assert!(
            refusal("kommune:1").contains("land:NN, gemeinde:AGS, operator:KENNUNG oder admin")
        );
        assert_eq!(parse_principal("admin"), Ok(Actor::Admin));
    }

    #[test]
    fn a_token_is_created_only_in_an_efa_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let create = |data_dir: PathBuf| {
            run(TokenCmd::Create {
                data_dir,
                principal: Actor::parse("land:16").unwrap(),
                name: "Thüringen".to_owned(),
            })
        };
        let missing = dir.path().join("nonexistent");
        let refused = create(missing.clone()).unwrap_err().to_string();
        assert!(
            refused.contains("kein Datenverzeichnis")
                && refused.contains(&missing.display().to_string()),
            "{refused}"
        );
        assert!(!missing.exists());
        assert!(create(dir.path().to_owned()).is_err(), "an empty directory");
        assert!(!table_path(dir.path()).exists());

        std::fs::create_dir(efa_trust::secrets_dir(dir.path())).unwrap();
        create(dir.path().to_owned()).unwrap();
        assert_eq!(
            efa_trust::tokens::TokenTable::load(&table_path(dir.path()))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn the_revocation_note_says_it_takes_effect_within_a_second() {
        let note = revoked_note(1, "Stadt Erfurt (Demo)");
        assert!(
            note.starts_with("1 Token „Stadt Erfurt (Demo)“ widerrufen."),
            "{note}"
        );
        assert!(note.contains("binnen einer Sekunde"), "{note}");
        assert!(!note.contains("neu starten"), "{note}");
    }

    #[test]
    fn tokens_are_listed_and_revoked_by_name() {
        let dir = tempfile::tempdir().unwrap();
        ensure_demo_tokens(dir.path()).unwrap();
        let path = table_path(dir.path());
        let table = efa_trust::tokens::TokenTable::load(&path).unwrap();
        let text = listing(&table);
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("land:04\tFreie Hansestadt Bremen (Demo)\n"));
        assert!(!text.contains("efa_"), "no token is shown");
        revoke(dir.path(), "Stadt Erfurt (Demo)").unwrap();
        let table = efa_trust::tokens::TokenTable::load(&path).unwrap();
        assert_eq!(table.len(), 4);
        assert!(!listing(&table).contains("gemeinde:16051000"));
        assert!(revoke(dir.path(), "Stadt Erfurt (Demo)").is_err());
    }
}
