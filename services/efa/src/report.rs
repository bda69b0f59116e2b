//! How `main` reports an error that is not a client command's `Failure`:
//! in German, one line with the chain of causes (outermost first, as
//! anyhow's `{:#}` writes it), then a hint for each well-known cause;
//! never with a backtrace. The English `Display` of the library errors a
//! user meets at startup is replaced here by German text.

use std::error::Error;
use std::io::ErrorKind;

use efa_gateway::GatewayError;
use efa_runtime::nats_server::{BINARY_ENV, NatsServerError, VERSION_MIN};

/// `Fehler: …` and a `Hinweis: …` line for each well-known cause.
pub fn german(error: &anyhow::Error) -> String {
    let mut text = format!("Fehler: {}", chain(error));
    for hint in hints(error) {
        text.push_str("\nHinweis: ");
        text.push_str(&hint);
    }
    text
}

/// The messages of the chain joined by ": ". A cause whose text the
/// message before it already ends with (a library's `"…: {source}"`) is
/// not repeated.
fn chain(error: &anyhow::Error) -> String {
    let mut messages: Vec<String> = Vec::new();
    for cause in error.chain() {
        if messages
            .last()
            .is_some_and(|last| last.ends_with(&cause.to_string()))
        {
            continue;
        }
        messages.push(german_cause(cause).unwrap_or_else(|| cause.to_string()));
    }
    messages.join(": ")
}

/// German text for a library error or an operating system error the
/// user meets at startup; `None` keeps the cause's own text.
fn german_cause(cause: &(dyn Error + 'static)) -> Option<String> {
    if let Some(error) = cause.downcast_ref::<NatsServerError>() {
        return Some(nats_server(error));
    }
    if let Some(GatewayError::Bind { addr, .. }) = cause.downcast_ref::<GatewayError>() {
        return Some(format!("Adresse {addr} für HTTP öffnen"));
    }
    if let Some(text) = ledger_cause(cause) {
        return Some(text);
    }
    // Only the operating system's own errors: another io::Error of these
    // kinds carries a message of its own.
    let io = cause.downcast_ref::<std::io::Error>()?;
    let code = io.raw_os_error()?;
    let text = match io.kind() {
        ErrorKind::AddrInUse => "Adresse wird bereits verwendet",
        ErrorKind::PermissionDenied => "keine Berechtigung",
        ErrorKind::NotFound => "Datei oder Verzeichnis nicht gefunden",
        _ => return None,
    };
    Some(format!("{text} (OS-Fehler {code})"))
}

/// German text for a ledger that lost acknowledged events.
fn ledger_cause(cause: &(dyn Error + 'static)) -> Option<String> {
    use efa_ledger::store::StoreError;
    if let Some(efa_ledger::LedgerError::StreamAhead(ahead)) = cause.downcast_ref() {
        return Some(format!(
            "Der Ledger-Speicher endet bei Ereignis {}, der Ereignisstrom in NATS hält vom \
             Ledger signierte Ereignisse bis {}",
            ahead.head, ahead.signed
        ));
    }
    match ledger_store_error(cause)? {
        StoreError::BehindWitness {
            head, witnessed, ..
        } => Some(format!(
            "Der Ledger-Speicher endet bei Ereignis {head}, sein festgehaltener Kopf \
             (ledger-head.txt) nennt Ereignis {witnessed}"
        )),
        StoreError::WitnessMismatch { seq, .. } => Some(format!(
            "Ereignis {seq} im Ledger-Speicher ist nicht das, das sein festgehaltener Kopf \
             (ledger-head.txt) nennt"
        )),
        _ => None,
    }
}

/// The German text of `error`, without its source (the chain names it).
fn nats_server(error: &NatsServerError) -> String {
    let (major, minor) = VERSION_MIN;
    match error {
        NatsServerError::NotFound => format!(
            "kein nats-server ab Version {major}.{minor} gefunden (gesucht in ${BINARY_ENV}, \
             .tools/bin und PATH); ops/install-nats.sh ausführen"
        ),
        NatsServerError::TooOld { path, found } => format!(
            "{}: Version {found} ist älter als {major}.{minor}",
            path.display()
        ),
        NatsServerError::Spawn { path, .. } => format!("{} starten", path.display()),
        NatsServerError::Port(_) => "einen freien Port wählen".to_owned(),
        NatsServerError::NotReady { port, waited_ms } => {
            format!("nats-server auf Port {port} hat nicht binnen {waited_ms} ms geantwortet")
        }
        NatsServerError::StopTimedOut { pid, waited_ms } => format!(
            "nats-server (Prozess {pid}) hat sich nicht binnen {waited_ms} ms beendet und \
             wurde abgebrochen"
        ),
        NatsServerError::Exited { status } => {
            format!("nats-server hat sich vorzeitig beendet ({status})")
        }
        NatsServerError::PortInUse { port } => {
            format!("Port {port} auf 127.0.0.1 ist von einem anderen Prozess belegt")
        }
    }
}

/// A hint for each well-known cause anywhere in the chain, each once.
fn hints(error: &anyhow::Error) -> Vec<String> {
    let option = if error.chain().any(|cause| cause.is::<GatewayError>()) {
        "mit --http"
    } else {
        "mit der Option, die ihn festlegt (etwa --http oder --nats-port),"
    };
    let mut hints = Vec::new();
    for cause in error.chain() {
        let hint = if let Some(NatsServerError::PortInUse { .. }) = cause.downcast_ref() {
            Some(
                "Ein anderer Prozess belegt den Port des nats-server bereits (etwa ein \
                 anderes efa up). Ihn beenden oder mit --nats-port einen anderen Port wählen."
                    .to_owned(),
            )
        } else if let Some(hint) = ledger_hint(cause) {
            Some(hint)
        } else {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io_hint(io.kind(), option))
        };
        if let Some(hint) = hint
            && !hints.contains(&hint)
        {
            hints.push(hint);
        }
    }
    hints
}

/// The ledger store's error behind `cause`, if that is one (the ledger's
/// own error forwards it transparently).
fn ledger_store_error<'a>(
    cause: &'a (dyn Error + 'static),
) -> Option<&'a efa_ledger::store::StoreError> {
    match cause.downcast_ref::<efa_ledger::LedgerError>() {
        Some(efa_ledger::LedgerError::Store(store)) => Some(store),
        _ => cause.downcast_ref(),
    }
}

/// What to do about a ledger store that lost acknowledged events, by
/// what showed it: its head witness or the event stream.
fn ledger_hint(cause: &(dyn Error + 'static)) -> Option<String> {
    use efa_ledger::store::StoreError;
    let (named, witness) = match (cause.downcast_ref(), ledger_store_error(cause)) {
        (Some(efa_ledger::LedgerError::StreamAhead(ahead)), _) => (ahead.signed, false),
        (
            _,
            Some(
                StoreError::BehindWitness { witnessed, .. }
                | StoreError::WitnessMismatch { seq: witnessed, .. },
            ),
        ) => (*witnessed, true),
        _ => return None,
    };
    let shown = if witness {
        format!("ledger-head.txt im Datenverzeichnis nennt Ereignis {named}")
    } else {
        format!("der Ereignisstrom hält sie noch, bis Ereignis {named}")
    };
    let or_accept = if witness {
        "; nur wer den Verlust bewusst hinnimmt, entfernt ledger-head.txt"
    } else {
        ""
    };
    Some(format!(
        "Der Ledger-Speicher hat bestätigte Ereignisse verloren (beschädigt oder eine ältere \
         Kopie): {shown}. So weiterzuschreiben hieße, deren Sequenznummern neu zu vergeben. \
         Den Speicher aus einer Sicherung wiederherstellen, die Ereignis {named} enthält \
         (efa verify --data-dir --contains prüft sie){or_accept}."
    ))
}

fn io_hint(kind: ErrorKind, option: &str) -> Option<String> {
    match kind {
        ErrorKind::AddrInUse => Some(format!(
            "Ein anderer Prozess verwendet diese Adresse bzw. diesen Port bereits. Ihn \
             beenden oder {option} einen anderen Port wählen."
        )),
        ErrorKind::PermissionDenied => Some(
            "Keine Berechtigung für die oben genannte Datei, das Verzeichnis oder den Port \
             (Ports unter 1024 erfordern besondere Rechte)."
                .to_owned(),
        ),
        ErrorKind::NotFound => Some(
            "Die oben genannte Datei oder das Verzeichnis gibt es nicht; den Pfad prüfen \
             (etwa --data-dir)."
                .to_owned(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    fn bind_failure(source: io::Error) -> anyhow::Error {
        let addr = "127.0.0.1:8080".parse().unwrap();
        anyhow::Error::new(GatewayError::Bind { addr, source }).context("Gateway starten")
    }

    #[test]
    fn a_taken_http_port_reads_german_with_a_hint_naming_http() {
        let text = german(&bind_failure(io::Error::from_raw_os_error(98)));
        assert_eq!(
            text,
            "Fehler: Gateway starten: Adresse 127.0.0.1:8080 für HTTP öffnen: Adresse wird \
             bereits verwendet (OS-Fehler 98)\n\
             Hinweis: Ein anderer Prozess verwendet diese Adresse bzw. diesen Port bereits. \
             Ihn beenden oder mit --http einen anderen Port wählen."
        );
    }

    #[test]
    fn a_taken_nats_port_reads_german_with_a_hint_naming_nats_port() {
        let error = anyhow::Error::new(NatsServerError::PortInUse { port: 19222 })
            .context("/opt/nats-server starten");
        let text = german(&error);
        assert!(
            text.starts_with(
                "Fehler: /opt/nats-server starten: Port 19222 auf 127.0.0.1 ist von einem \
                 anderen Prozess belegt"
            ),
            "{text}"
        );
        assert!(!text.contains("taken"), "{text}");
        assert!(
            text.contains("\nHinweis: ") && text.contains("--nats-port"),
            "{text}"
        );
    }

    #[test]
    fn a_cause_spelled_out_by_the_message_before_it_is_not_repeated() {
        /// A library error that writes its source into its own text.
        #[derive(Debug)]
        struct Outer(io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "read the thing: {}", self.0)
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = anyhow::Error::new(Outer(io::Error::other("broken"))).context("Ding laden");
        assert_eq!(german(&error), "Fehler: Ding laden: read the thing: broken");
    }

    #[test]
    fn a_missing_file_and_a_denied_one_get_their_hints_and_others_none() {
        let missing = anyhow::Error::new(io::Error::from(ErrorKind::NotFound)).context("x lesen");
        assert!(german(&missing).contains("Hinweis: Die oben genannte Datei"));
        let denied =
            anyhow::Error::new(io::Error::from(ErrorKind::PermissionDenied)).context("x lesen");
        assert!(german(&denied).contains("Hinweis: Keine Berechtigung"));
        let other = anyhow::anyhow!("kaputt").context("x lesen");
        assert_eq!(german(&other), "Fehler: x lesen: kaputt");
    }
}
