//! Queries to the projector and the views they return.

use serde::{Deserialize, Serialize};

use crate::ids::{LandCode, ServiceId};
use crate::rejection::Rejection;
use crate::service::{Channel, CostModel, Reifegrad, ServiceStatus};
use crate::time::{Date, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Read-your-writes: answer only from a view that has applied at least
    /// this ledger sequence, waiting (bounded) until it has.
    pub min_seq: u64,
    pub kind: QueryKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryKind {
    /// All services, ordered by id.
    Catalogue,
    /// One service.
    Service(ServiceId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryReply {
    Catalogue(CatalogueView),
    Service(Option<ServiceView>),
    Rejected(Rejection),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueView {
    pub services: Vec<ServiceView>,
    /// The last ledger sequence applied to the view.
    pub as_of_seq: u64,
}

/// One EfA service as the catalogue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub id: ServiceId,
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
    pub announced_on: Date,
    pub recorded_at: Timestamp,
    /// The stream version and ledger sequence of the last change.
    pub version: u64,
    pub last_seq: u64,
}
