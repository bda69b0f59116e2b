//! The wire contract of efa-registry: what every service says to every
//! other over NATS, and what the ledger stores. Identifiers are validated
//! newtypes, money is integer cents, every event carries two times. This
//! crate only grows: postcard numbers fields and variants by position, so
//! nothing is ever reordered or removed, and golden-byte tests pin the
//! encoding.

pub mod actor;
pub mod codec;
pub mod command;
pub mod event;
pub mod ids;
pub mod money;
pub mod pages;
pub mod participant;
pub mod query;
pub mod rejection;
pub mod reply;
pub mod service;
pub mod settlement;
pub mod statement;
pub mod subjects;
pub mod text;
pub mod time;
pub mod trust;
pub mod views;

pub use actor::Actor;
pub use codec::{
    DecodeError, SCHEMA_VERSION, decode, encode, encode_sealed, encode_sealed_if_valid, encoded_len,
};
pub use command::*;
pub use event::{
    CostReported, Event, EventRecord, Hash, SealedEvent, ServiceAnnounced, ServiceDetailsUpdated,
};
pub use ids::{Ags, CommandId, EventId, IdError, KreisKey, LandCode, OperatorId, ServiceId};
pub use money::{AMOUNT_MAX, Cents, plain_euros};
pub use participant::{AdoptionStage, CostCategory, KEY_UNITS_TOTAL, Population, Region};
pub use query::{
    AnswerStamp, CatalogueView, GemeindeView, Query, QueryKind, QueryReply, RebuildProgress,
    RebuildReply, RebuildRequest, ServiceView,
};
pub use rejection::{ForbiddenReason, Rejection};
pub use reply::{Accepted, CommandReply, EventsPage, ReadEvents, ReadReply};
pub use service::{Channel, CostModel, Reifegrad, ServiceStatus};
pub use settlement::{CloseYear, CorrectParticipation, ParticipationChange, Settlement};
pub use time::{DATE_YEARS, Date, REGISTER_YEARS, Timestamp};
pub use trust::{
    CheckpointRequest, LedgerCheckpoint, SignedCheckpoint, SignedCommand, SignedEventsPage,
};
