//! The permission matrix: which subjects each role may publish to and
//! subscribe to. Anything not listed is denied. A service answers into
//! the reply inboxes of the roles that may ask it, and nowhere else: no
//! role has the server's response permission, which would let a caller
//! direct an answer to any subject (the JetStream API's purge of the
//! event stream included). ARCHITECTURE.md shows this matrix; a test
//! compares the two and checks every row against a real server.

use efa_proto::subjects::{
    COMMAND, EVENT_STREAM, EVENT_WILDCARD, JS_API_PREFIX, LEASE_BUCKET, LEDGER_CHECKPOINT,
    LEDGER_READ, LEDGER_SERVICE, PROJECTOR_REBUILD, PROJECTOR_REBUILD_PROGRESS, PROJECTOR_SERVICE,
    QUERY, QUERY_SERVING, SERVICE_API_PREFIX,
};

use super::Role;

/// What one role may do on NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    /// Subjects (with wildcards) it may publish to, the inboxes of the
    /// roles it answers included.
    pub publish: Vec<String>,
    /// Subjects (with wildcards) it may subscribe to.
    pub subscribe: Vec<String>,
    /// The roles whose requests it answers, into their inboxes.
    pub answers: Vec<Role>,
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
    let mut granted = requests(role);
    (granted.publish).extend(granted.answers.iter().map(|asker| inbox(*asker)));
    granted
}

/// What `role` may do besides answering into inboxes.
fn requests(role: Role) -> Permissions {
    match role {
        Role::Ledger => Permissions {
            publish: [
                vec![EVENT_WILDCARD.to_owned()],
                // Create the stream if missing, read its state and single
                // messages (to compare them with the log), and delete it to
                // recreate it from the first message that disagrees with
                // the log (the relay's repair; the stream is the ledger's
                // outbox, refilled from the log).
                vec![
                    js_api("STREAM.INFO", None),
                    js_api("STREAM.CREATE", None),
                    js_api("STREAM.DELETE", None),
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
            // Commands and reads of the gateway, reads of the projectors,
            // administration.
            answers: vec![Role::Gateway, Role::Projector, Role::Operator],
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
            // Queries of the gateway, queries handed on by a projector
            // filling its views, rebuilds and queries of the operator.
            answers: vec![Role::Gateway, Role::Projector, Role::Operator],
        },
        Role::Gateway => Permissions {
            // The ledger's read API for the verifiable history export.
            // No service-API ping: the client library answers it to
            // whatever reply subject the asker names, past the services'
            // check of reply inboxes; `/readyz` asks the ledger's
            // checkpoint and a query instead.
            publish: strings(&[COMMAND, QUERY, LEDGER_READ, LEDGER_CHECKPOINT]),
            subscribe: vec![inbox(role)],
            answers: Vec::new(),
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
            answers: Vec::new(),
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
        "| NATS user | may publish | may subscribe | answers the requests of |\n|---|---|---|---|\n",
    );
    for role in Role::ALL {
        let granted = permissions(role);
        table.push_str(&format!(
            "| `{role}` | {} | {} | {} |\n",
            code(&granted.publish),
            code(&granted.subscribe),
            answered(&granted.answers)
        ));
    }
    table
}

fn answered(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "nobody".to_owned();
    }
    let names: Vec<String> = roles.iter().map(|role| format!("`{role}`")).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_operator_purges_the_stream_and_only_it_and_the_ledger_delete_it() {
        let deletes = |subject: &String| subject.contains("STREAM.DELETE.");
        let purges = |subject: &String| subject.contains("PURGE") || subject.ends_with("$JS.API.>");
        for role in [Role::Ledger, Role::Projector, Role::Gateway] {
            let granted = permissions(role).publish;
            assert!(!granted.iter().any(purges), "{role}: {granted:?}");
            assert_eq!(
                granted.iter().any(deletes),
                role == Role::Ledger,
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
