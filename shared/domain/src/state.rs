//! The state the ledger keeps per stream in order to decide: only what the
//! rules need, not the views. Stored by the ledger, so it is serialisable.

use efa_proto::{LandCode, ServiceId, ServiceStatus};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StreamState {
    /// No event yet.
    #[default]
    Empty,
    Service(ServiceState),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceState {
    pub id: ServiceId,
    pub lead: LandCode,
    pub status: ServiceStatus,
}
