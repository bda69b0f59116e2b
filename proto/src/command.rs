//! Commands: what a caller asks the ledger to do. A command may be
//! rejected; an event may not. Variants are only ever appended.

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::ids::{CommandId, LandCode, ServiceId};
use crate::service::{Channel, CostModel, Reifegrad, ServiceStatus};
use crate::time::Date;

/// A command with everything the ledger needs to decide and to record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandEnvelope {
    /// The client's idempotency key.
    pub command_id: CommandId,
    /// Who asks; authenticated by the gateway, authorised by the domain.
    pub actor: Actor,
    /// Optimistic concurrency: the version of the stream the caller saw.
    pub expected_version: Option<u64>,
    /// When the change takes effect in the world; the day it is recorded
    /// when absent.
    pub effective: Option<Date>,
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    AnnounceService(AnnounceService),
}

impl Command {
    /// The stream (aggregate) this command addresses.
    pub fn stream(&self) -> StreamId {
        match self {
            Self::AnnounceService(cmd) => StreamId::Service(cmd.service.clone()),
        }
    }

    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AnnounceService(_) => "announce_service",
        }
    }
}

/// A Land announces an EfA service that it builds as lead Land.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnounceService {
    pub service: ServiceId,
    pub title: String,
    pub lead: LandCode,
    pub ozg_id: Option<String>,
    pub leika: Vec<String>,
    pub themenfeld: String,
    pub provider: String,
    pub channel: Channel,
    pub cost_model: CostModel,
    pub status: ServiceStatus,
    pub reifegrad: Reifegrad,
}

/// An event stream: the unit of consistency (one version counter each).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StreamId {
    Service(ServiceId),
}

impl StreamId {
    /// The key under which the ledger stores this stream's state.
    pub fn storage_key(&self) -> Vec<u8> {
        match self {
            Self::Service(id) => format!("service/{id}").into_bytes(),
        }
    }

    /// The NATS subject token path, e.g. `service.digitale-baugenehmigung`.
    pub fn subject_suffix(&self) -> String {
        match self {
            Self::Service(id) => format!("service.{id}"),
        }
    }
}
