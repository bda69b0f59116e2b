//! NATS subject and stream names: the one place they are spelt.

use crate::command::StreamId;

/// Commands to the ledger (request/reply, `SignedCommand` -> `CommandReply`).
pub const COMMAND: &str = "efa.cmd";
/// The ledger's read API (`ReadEvents` -> `ReadReply`).
pub const LEDGER_READ: &str = "efa.ledger.read";
/// The ledger's public key and latest signed checkpoint
/// (`CheckpointRequest` -> `LedgerCheckpoint`; served by the ledger, asked
/// by the projector, the gateway and the operator).
pub const LEDGER_CHECKPOINT: &str = "efa.ledger.checkpoint";
/// Queries to the projectors (`Query` -> `QueryReply`).
pub const QUERY: &str = "efa.q.views";
/// The same queries, served only by projector replicas whose views are in
/// use: a replica still filling its views from the ledger hands the
/// queries it is given on to these.
pub const QUERY_SERVING: &str = "efa.q.views.serving";
/// Prefix of event subjects; the full subject is `efa.evt.<kind>.<key>`
/// (see `event_subject`).
pub const EVENT_PREFIX: &str = "efa.evt";
/// Every event subject.
pub const EVENT_WILDCARD: &str = "efa.evt.>";
/// The JetStream stream whose sequence N holds ledger event N (on one
/// machine only the newest events, see `efa_runtime::jetstream`).
pub const EVENT_STREAM: &str = "EFA_EVENTS";
/// The key-value bucket whose key names a cluster's active ledger.
pub const LEASE_BUCKET: &str = "EFA_LEDGER_LEASE";

/// Names under which the services register with the NATS service API.
pub const LEDGER_SERVICE: &str = "efa-ledger";
pub const PROJECTOR_SERVICE: &str = "efa-projector";

/// The subject an event is published on: one per service, municipality,
/// Kreis, operator, key year, population date and service's closings, and
/// one per service and Land for the adoptions, not one per adoption.
/// nats-server keeps an entry per subject of a stream in memory and reads
/// them all back when it starts; a history of Germany's size has millions
/// of adoption streams but about ten thousand such subjects. A consumer
/// can still take a service's adoptions in a Land
/// (`efa.evt.adoption.<service>.<land>`).
pub fn event_subject(stream: &StreamId) -> String {
    let key = match stream {
        StreamId::Adoption(id, ags) => format!("adoption.{id}.{}", ags.land()),
        other => other.dotted_name(),
    };
    format!("{EVENT_PREFIX}.{key}")
}

/// Rebuilding a projector's views from the ledger while it keeps serving
/// (`RebuildRequest` -> `RebuildReply`); one replica of the queue group
/// takes each request.
pub const PROJECTOR_REBUILD: &str = "efa.projector.rebuild";
/// A running rebuild's progress (`RebuildProgress`, published every few
/// seconds; core NATS, so a slow or absent reader loses nothing that
/// matters).
pub const PROJECTOR_REBUILD_PROGRESS: &str = "efa.projector.rebuild.progress";

// NATS's own subject spaces, named here because the registry's NATS
// permissions (`efa_runtime::auth`) grant parts of them.

/// Prefix of the JetStream API (`$JS.API.STREAM.INFO.<stream>`, ...).
pub const JS_API_PREFIX: &str = "$JS.API";
/// Prefix of the NATS service API (`$SRV.PING`, `$SRV.INFO.<service>`, ...).
pub const SERVICE_API_PREFIX: &str = "$SRV";
/// Prefix of reply inboxes; each NATS user of the registry has its own
/// below it (`_INBOX.<user>.>`), so no one reads another's replies.
pub const INBOX_PREFIX: &str = "_INBOX";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Ags, ServiceId};

    fn adoption(service: &str, ags: &str) -> StreamId {
        StreamId::Adoption(ServiceId::parse(service).unwrap(), Ags::parse(ags).unwrap())
    }

    #[test]
    fn a_services_adoptions_in_one_land_share_a_subject() {
        let erfurt = event_subject(&adoption("wohngeld", "16051000"));
        assert_eq!(erfurt, "efa.evt.adoption.wohngeld.16");
        assert_eq!(erfurt, event_subject(&adoption("wohngeld", "16055000")));
        assert_ne!(erfurt, event_subject(&adoption("wohngeld", "09162000")));
        assert_ne!(erfurt, event_subject(&adoption("elterngeld", "16051000")));
    }

    #[test]
    fn other_streams_keep_a_subject_of_their_own() {
        let service = StreamId::Service(ServiceId::parse("wohngeld").unwrap());
        assert_eq!(event_subject(&service), "efa.evt.service.wohngeld");
        let gemeinde = StreamId::Gemeinde(Ags::parse("16051000").unwrap());
        assert_eq!(event_subject(&gemeinde), "efa.evt.gemeinde.16051000");
        assert_eq!(
            event_subject(&StreamId::AllocationKey(2024)),
            "efa.evt.key.2024"
        );
    }
}
