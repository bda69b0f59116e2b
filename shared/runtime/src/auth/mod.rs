//! Who may connect to NATS, and what each connection may do there. Every
//! service connects as its own NATS user, authenticated by an nkey (an
//! Ed25519 key pair: the server's configuration holds only the public
//! key, the seed stays with the service), and the server lets each user
//! publish and subscribe only the subjects its job needs. This module
//! holds the roles, the permission matrix, the credentials on disk and the
//! server configuration that grants the matrix, so that all of it is
//! spelt once.

pub mod credential;
pub mod permissions;
pub mod server_config;

pub use credential::{Credential, CredentialError};
pub use permissions::{Permissions, matrix_markdown, permissions};
pub use server_config::{ServerTls, User};

/// A NATS user of the registry: one per service, and one for the people
/// who run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Receives commands, serves the read API, writes the event stream.
    Ledger,
    /// Reads the event stream and the ledger, serves queries and rebuilds.
    Projector,
    /// Sends commands and queries for the HTTP API.
    Gateway,
    /// Administration: `efa rebuild`, `efa import`, seeding, stream admin.
    Operator,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Ledger, Role::Projector, Role::Gateway, Role::Operator];

    /// The role's name in file names, flags and the server configuration.
    pub fn name(self) -> &'static str {
        match self {
            Role::Ledger => "ledger",
            Role::Projector => "projector",
            Role::Gateway => "gateway",
            Role::Operator => "operator",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == text)
    }

    /// The prefix of this role's reply inboxes (`_INBOX.ledger`); only this
    /// role may subscribe below it.
    pub fn inbox_prefix(self) -> String {
        format!("{}.{}", efa_proto::subjects::INBOX_PREFIX, self.name())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
