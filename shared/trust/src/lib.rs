//! The trust boundary's keys, signatures and credentials. A gateway or
//! operator tool signs each command it sends for a principal it
//! authenticated; the ledger opens a command only with a valid signature
//! by a signer it trusts for that principal. The ledger signs checkpoints of its hash
//! chain; whoever holds its public key checks a page, a stream window or
//! an exported history with one signature. The gateway knows a caller by
//! an API token of the token table (`tokens`). No NATS, no async: the
//! services call in here from wherever they send or receive.

pub mod chain;
pub mod command;
pub mod export;
pub mod keys;
pub mod signers;
pub mod tokens;

pub use chain::{ChainBreak, ChainProblem, sign_checkpoint, verify_chain, verify_checkpoint};
pub use command::{open_command, open_commands, sign_command};
pub use export::{
    CheckedExport, ExportReport, checkpoint_line, parse_checkpoint_line, read_export,
    verify_export, write_export,
};
pub use keys::{KeyError, PublicKey, SigningKey};
pub use signers::{
    Scope, SignerSource, TRUSTED_SIGNERS_FILE, TrustedSigner, TrustedSigners,
    ensure_trusted_signer, secrets_dir,
};
