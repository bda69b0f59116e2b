//! Typed rejections: why the registry said no, in a form a client can act
//! on. Three kinds stay apart all the way to the edge: the rules said no,
//! a conflict worth retrying, and the system being unavailable.

use serde::{Deserialize, Serialize};

/// Which rule about who may do what was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ForbiddenReason {
    /// Only a Land may do this (e.g. announce a service).
    LandOnly,
    /// A Land acts only for itself (e.g. announces itself as lead).
    NotOwnLand,
    /// Only the service's lead Land may do this.
    NotLeadLand,
    /// A municipality acts only for itself.
    NotOwnMunicipality,
    /// An operator acts only inside its region.
    OutsideRegion,
    /// Only an administrator may do this.
    AdminOnly,
    /// Only the service's lead Land or an administrator may do this
    /// (closing a year, correcting a participation).
    LeadOrAdmin,
}

impl ForbiddenReason {
    pub fn key(self) -> &'static str {
        match self {
            Self::LandOnly => "land-only",
            Self::NotOwnLand => "not-own-land",
            Self::NotLeadLand => "not-lead-land",
            Self::NotOwnMunicipality => "not-own-municipality",
            Self::OutsideRegion => "outside-region",
            Self::AdminOnly => "admin-only",
            Self::LeadOrAdmin => "lead-or-admin",
        }
    }

    pub fn message_de(self) -> &'static str {
        match self {
            Self::LandOnly => "Nur ein Land darf diese Aktion ausführen.",
            Self::NotOwnLand => "Ein Land handelt nur für sich selbst.",
            Self::NotLeadLand => "Nur das federführende Land darf diese Aktion ausführen.",
            // Also said to the administration, which records no adoption:
            // the sentence names who may, not the caller's kind.
            Self::NotOwnMunicipality => {
                "Für eine Kommune handeln nur die Kommune selbst, ihr Land und die Betreiber ihrer Region."
            }
            Self::OutsideRegion => "Der Betreiber handelt nur innerhalb seiner Region.",
            Self::AdminOnly => "Nur die Administration darf diese Aktion ausführen.",
            Self::LeadOrAdmin => {
                "Nur das federführende Land der Leistung oder die Administration darf dies."
            }
        }
    }
}

/// What a busy service says: try again in a moment.
pub const BUSY_DE: &str =
    "Das Register ist gerade ausgelastet. Bitte versuchen Sie es in einer Sekunde erneut.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Rejection {
    /// The bytes are not a valid message.
    #[error("malformed message: {reason}")]
    Malformed { reason: String },
    /// The message was written with a schema this side does not know.
    #[error("unsupported schema version {got} (supported: {supported})")]
    UnsupportedSchema { got: u16, supported: u16 },
    /// The message is larger than the limit.
    #[error("message of {bytes} bytes exceeds the limit of {max}")]
    TooLarge { bytes: u64, max: u64 },
    /// A field holds a value the rules do not allow.
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The actor may not do this.
    #[error("forbidden: {}", reason.key())]
    Forbidden { reason: ForbiddenReason },
    /// The addressed thing does not exist.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The thing to create exists already.
    #[error("already exists: {what}")]
    AlreadyExists { what: String },
    /// The stream moved on since the caller read it; re-read and retry.
    #[error("version conflict: expected {expected}, actual {actual}")]
    Conflict { expected: u64, actual: u64 },
    /// The command id was used before for a different command.
    #[error("idempotency key reused for a different command")]
    IdempotencyKeyReused,
    /// The system cannot answer now (storage failure, not fresh enough in
    /// time); the same request may succeed later.
    #[error("unavailable: {reason}")]
    Unavailable { reason: String },
    /// The command does not fit the current state (a step backwards, a
    /// retired service, a Land that has not joined); it will not succeed
    /// by retrying.
    #[error("not possible now: {reason}")]
    InvalidState { reason: String },
    /// The service has as many requests in hand as it takes; it refused
    /// this one at once instead of queueing it. Try again after
    /// `retry_after_ms`, or elsewhere.
    #[error("busy; retry after {retry_after_ms} ms")]
    Busy { retry_after_ms: u32 },
    /// The answer would be larger than one message may be (`max` bytes,
    /// the server's `max_payload`); ask for a smaller page.
    #[error("answer of {bytes} bytes exceeds the message limit of {max}")]
    AnswerTooLarge { bytes: u64, max: u64 },
    /// A command without a signature: the ledger takes only commands
    /// signed by a gateway or operator tool it trusts.
    #[error("unsigned command")]
    Unsigned,
    /// The command is signed with a key the ledger does not trust.
    #[error("unknown signer key {key_id}")]
    UnknownSigner { key_id: String },
    /// The signature does not match the envelope and the named key.
    #[error("bad signature by key {key_id}")]
    BadSignature { key_id: String },
    /// The signer may not vouch for this principal.
    #[error("signer key {key_id} may not vouch for {principal}")]
    SignerNotAllowed { key_id: String, principal: String },
    /// The change would alter a year that is closed (Jahresabrechnung);
    /// only an explicit correction by the lead Land or the administration
    /// may, where the rules allow it.
    #[error("year {year} is closed")]
    YearClosed { year: u16 },
    /// The effective date lies further back than the actor may date this
    /// change itself; `earliest` is the first day it may name.
    #[error("effective date before {earliest}")]
    TooFarBack { earliest: crate::time::Date },
}

impl Rejection {
    /// A stable machine-readable code, used as the problem type.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::UnsupportedSchema { .. } => "unsupported-schema",
            Self::TooLarge { .. } => "too-large",
            Self::Invalid { .. } => "invalid",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not-found",
            Self::AlreadyExists { .. } => "already-exists",
            Self::Conflict { .. } => "conflict",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::Unavailable { .. } => "unavailable",
            Self::InvalidState { .. } => "invalid-state",
            Self::Busy { .. } => "busy",
            Self::AnswerTooLarge { .. } => "answer-too-large",
            Self::Unsigned => "unsigned",
            Self::UnknownSigner { .. } => "unknown-signer",
            Self::BadSignature { .. } => "bad-signature",
            Self::SignerNotAllowed { .. } => "signer-not-allowed",
            Self::YearClosed { .. } => "year-closed",
            Self::TooFarBack { .. } => "too-far-back",
        }
    }

    /// A German sentence explaining the rejection to the person who sent
    /// the request; the reasons the services give are German already.
    pub fn message_de(&self) -> String {
        match self {
            Self::Malformed { reason } => format!("Die Nachricht ist fehlerhaft: {reason}."),
            Self::UnsupportedSchema { got, supported } => format!(
                "Die Schema-Version {got} wird nicht unterstützt (unterstützt: {supported})."
            ),
            Self::TooLarge { bytes, max } => {
                format!("Die Nachricht ist mit {bytes} Bytes größer als erlaubt ({max} Bytes).")
            }
            Self::Invalid { field, reason } => {
                format!("Das Feld „{field}“ ist ungültig: {reason}.")
            }
            Self::Forbidden { reason } => reason.message_de().to_owned(),
            Self::NotFound { what } => format!("Nicht gefunden: {what}."),
            Self::AlreadyExists { what } => format!("Bereits vorhanden: {what}."),
            Self::Conflict { expected, actual } => format!(
                "Der Datensatz wurde inzwischen geändert (erwartet Version {expected}, aktuell \
                 {actual}). Bitte neu laden und erneut versuchen."
            ),
            Self::IdempotencyKeyReused => {
                "Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet.".to_owned()
            }
            Self::InvalidState { reason } => {
                format!("Das ist im aktuellen Zustand nicht möglich: {reason}.")
            }
            Self::Unavailable { reason } => format!(
                "Der Dienst ist gerade nicht verfügbar ({reason}). Bitte später erneut versuchen."
            ),
            Self::Busy { .. } => BUSY_DE.to_owned(),
            Self::YearClosed { year } => format!(
                "Das Jahr {year} ist abgerechnet (Jahresabrechnung). Beitritte, Austritte und \
                 Kosten, die es berühren, erfasst nur noch das federführende Land oder die \
                 Administration als Berichtigung; Kostenmodell und Einstellung wirken erst ab \
                 einem offenen Jahr."
            ),
            Self::TooFarBack { earliest } => format!(
                "So weit zurück kann das Land dies nicht selbst datieren; frühestens {earliest}. \
                 Weiter zurück berichtigt das federführende Land oder die Administration."
            ),
            Self::AnswerTooLarge { bytes, max } => format!(
                "Die Antwort wäre mit {bytes} Bytes größer, als eine Nachricht sein darf ({max} \
                 Bytes). Bitte eine kleinere Seite abfragen (Parameter „limit“)."
            ),
            Self::Unsigned
            | Self::UnknownSigner { .. }
            | Self::BadSignature { .. }
            | Self::SignerNotAllowed { .. } => {
                format!("Das Ledger hat die Signatur nicht angenommen ({self}).")
            }
        }
    }

    pub fn invalid_state(reason: impl Into<String>) -> Self {
        Self::InvalidState {
            reason: reason.into(),
        }
    }

    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}
