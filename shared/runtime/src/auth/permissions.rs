//! The permission matrix: which subjects each role may publish to and
//! subscribe to. Anything not listed is denied. Services answer requests
//! through the server's response permission (a responder may publish one
//! reply to the reply subject of a request it received), so no role needs
//! to publish into another's inbox. ARCHITECTURE.md shows this matrix; a
//! test compares the two and checks every row against a real server.

use efa_proto::subjects::{
    COMMAND, EVENT_STREAM, EVENT_WILDCARD, JS_API_PREFIX, LEASE_BUCKET, LEDGER_CHECKPOINT,
    LEDGER_READ, LEDGER_SERVICE, PROJECTOR_REBUILD, PROJECTOR_REBUILD_PROGRESS, PROJECTOR_SERVICE,
    QUERY, QUERY_SERVING, SERVICE_API_PREFIX,
};

use super::Role;

/// What one role may do on NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    /// Subjects (with wildcards) it may publish to.
    pub publish: Vec<String>,
    /// Subjects (with wildcards) it may subscribe to.
    pub subscribe: Vec<String>,
    /// Whether it may answer requests it received (one reply each).
    pub responds: bool,
}

/// The JetStream API subject for `operation` (`STREAM.INFO`) on the event
/// stream, with an optional tail (`>` for the consumer's name).
fn js_api(operation: &str, tail: Option<&str>) -> String {
    match tail {
        Some(tail) => format!("{JS_API_PREFIX}.{operation}.{EVENT_STREAM}.{tail}"),
        None => format!("{JS_API_PREFIX}.{operation}.{EVENT_STREAM}"),
    }
}

/// What a ledger node needs of the lease bucket (`KV_<bucket>` is the
/// stream behind a key-value bucket): create it, read its state and its
/// key, and write the key. `$JS.API.INFO` is asked when a bucket is
/// created.
fn lease_api() -> Vec<String> {
    let stream = format!("KV_{LEASE_BUCKET}");
    vec![
        format!("{JS_API_PREFIX}.INFO"),
        format!("{JS_API_PREFIX}.STREAM.INFO.{stream}"),
        format!("{JS_API_PREFIX}.STREAM.CREATE.{stream}"),
        format!("{JS_API_PREFIX}.STREAM.MSG.GET.{stream}"),
        format!("{JS_API_PREFIX}.DIRECT.GET.{stream}"),
        format!("{JS_API_PREFIX}.DIRECT.GET.{stream}.>"),
        format!("$KV.{LEASE_BUCKET}.>"),
    ]
}

/// The service API subjects a service named `service` answers: the
/// discovery of all services (`$SRV.PING`) and its own
/// (`$SRV.PING.<service>`, `$SRV.PING.<service>.<id>`), for PING, INFO and
/// STATS.
fn service_api(service: &str) -> Vec<String> {
    let mut subjects = Vec::new();
    for verb in ["PING", "INFO", "STATS"] {
        subjects.push(format!("{SERVICE_API_PREFIX}.{verb}"));
        subjects.push(format!("{SERVICE_API_PREFIX}.{verb}.{service}"));
        subjects.push(format!("{SERVICE_API_PREFIX}.{verb}.{service}.*"));
    }
    subjects
}

fn inbox(role: Role) -> String {
    format!("{}.>", role.inbox_prefix())
}

fn strings(subjects: &[&str]) -> Vec<String> {
    subjects.iter().map(|s| (*s).to_owned()).collect()
}

/// The permissions of `role`.
pub fn permissions(role: Role) -> Permissions {
    match role {
        Role::Ledger => Permissions {
            publish: [
                vec![EVENT_WILDCARD.to_owned()],
                // Create the stream if missing, read its state and single
                // messages (to compare them with the log).
                vec![
                    js_api("STREAM.INFO", None),
                    js_api("STREAM.CREATE", None),
                    js_api("STREAM.MSG.GET", None),
                    js_api("DIRECT.GET", None),
                    js_api("DIRECT.GET", Some(">")),
                ],
                // A cluster's standby follows the stream with an ordered
                // consumer, as a projector does.
                vec![
                    js_api("CONSUMER.CREATE", None),
                    js_api("CONSUMER.CREATE", Some(">")),
                    js_api("CONSUMER.INFO", Some("*")),
                    js_api("CONSUMER.DELETE", Some("*")),
                    js_api("CONSUMER.MSG.NEXT", Some("*")),
                ],
                // The lease of a cluster's active ledger: its bucket
                // (created by the first node) and its key.
                lease_api(),
            ]
            .concat(),
            subscribe: [
                strings(&[COMMAND, LEDGER_READ, LEDGER_CHECKPOINT]),
                service_api(LEDGER_SERVICE),
                vec![inbox(role)],
            ]
            .concat(),
            responds: true,
        },
        Role::Projector => Permissions {
            publish: [
                // Queries handed on while its views are being filled.
                strings(&[
                    LEDGER_READ,
                    LEDGER_CHECKPOINT,
                    PROJECTOR_REBUILD_PROGRESS,
                    QUERY_SERVING,
                ]),
                // An ordered consumer on the event stream: created again
                // from the checkpoint after every interruption.
                vec![
                    js_api("STREAM.INFO", None),
                    js_api("STREAM.CREATE", None),
                    js_api("CONSUMER.CREATE", None),
                    js_api("CONSUMER.CREATE", Some(">")),
                    js_api("CONSUMER.INFO", Some("*")),
                    js_api("CONSUMER.DELETE", Some("*")),
                    js_api("CONSUMER.MSG.NEXT", Some("*")),
                ],
            ]
            .concat(),
            subscribe: [
                strings(&[QUERY, QUERY_SERVING, PROJECTOR_REBUILD]),
                service_api(PROJECTOR_SERVICE),
                vec![inbox(role)],
            ]
            .concat(),
            responds: true,
        },
        Role::Gateway => Permissions {
            // The ledger's read API for the verifiable history export.
            publish: strings(&[COMMAND, QUERY, LEDGER_READ, LEDGER_CHECKPOINT])
                .into_iter()
                // `/readyz` pings the ledger and the projectors.
                .chain([
                    format!("{SERVICE_API_PREFIX}.PING.{LEDGER_SERVICE}"),
                    format!("{SERVICE_API_PREFIX}.PING.{PROJECTOR_SERVICE}"),
                ])
                .collect(),
            subscribe: vec![inbox(role)],
            responds: false,
        },
        Role::Operator => Permissions {
            publish: strings(&[
                COMMAND,
                LEDGER_READ,
                LEDGER_CHECKPOINT,
                QUERY,
                PROJECTOR_REBUILD,
            ])
            .into_iter()
            .chain([
                // Stream administration, deleting and purging included.
                format!("{JS_API_PREFIX}.>"),
                // Watching the services.
                format!("{SERVICE_API_PREFIX}.>"),
            ])
            .collect(),
            // A rebuild's progress, for `efa rebuild`.
            subscribe: vec![PROJECTOR_REBUILD_PROGRESS.to_owned(), inbox(role)],
            responds: false,
        },
    }
}

/// The matrix as the Markdown table in ARCHITECTURE.md (a test keeps the
/// two equal).
pub fn matrix_markdown() -> String {
    let code = |subjects: &[String]| -> String {
        let items: Vec<String> = subjects.iter().map(|s| format!("`{s}`")).collect();
        items.join(", ")
    };
    let mut table = String::from(
        "| NATS user | may publish | may subscribe | may answer requests |\n|---|---|---|---|\n",
    );
    for role in Role::ALL {
        let granted = permissions(role);
        table.push_str(&format!(
            "| `{role}` | {} | {} | {} |\n",
            code(&granted.publish),
            code(&granted.subscribe),
            if granted.responds { "yes" } else { "no" }
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_operator_may_delete_or_purge_the_stream() {
        for role in [Role::Ledger, Role::Projector, Role::Gateway] {
            let granted = permissions(role).publish;
            assert!(
                !granted.iter().any(|subject| subject.contains("DELETE.")
                    && !subject.contains("CONSUMER")
                    || subject.contains("PURGE")
                    || subject.ends_with("$JS.API.>")),
                "{role}: {granted:?}"
            );
        }
        assert!(
            permissions(Role::Operator)
                .publish
                .contains(&"$JS.API.>".to_owned())
        );
    }

    #[test]
    fn only_the_ledger_writes_events_and_receives_commands() {
        for role in Role::ALL {
            let granted = permissions(role);
            assert_eq!(
                granted.publish.iter().any(|s| s.starts_with("efa.evt")),
                role == Role::Ledger,
                "{role}"
            );
            assert_eq!(
                granted.subscribe.contains(&COMMAND.to_owned()),
                role == Role::Ledger,
                "{role}"
            );
        }
    }
}
