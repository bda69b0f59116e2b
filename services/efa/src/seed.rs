//! Loading seeds (reference data, the demo) through the ledger, like any
//! other client: each seed is a command with a stable id, so a repeated
//! load is answered from the ledger's memory and writes nothing. Each is
//! signed like every command, by a key the ledger trusts for its actor.

use std::time::Duration;

use anyhow::{Context, Result};
use efa_proto::{CommandReply, Rejection, SignedCommand, subjects};
use efa_reference::Seed;

use crate::signers::KeyRing;

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub written: usize,
    /// Sent before: the ledger answered from its memory.
    pub unchanged: usize,
    /// What the seed would create exists already (made by another
    /// command, possibly with other details, which are kept).
    pub existing: Vec<Refusal>,
    pub rejected: usize,
    /// Why each rejected seed was refused.
    pub refusals: Vec<Refusal>,
}

/// A seed the ledger refused, with the line of the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: Option<usize>,
    pub label: String,
    pub rejection: Rejection,
}

/// How long one seed may take, waiting for the ledger included: each is
/// sent again (the same bytes) while no ledger listens or an attempt goes
/// unanswered (`efa_runtime::request_retrying`).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a seed is sent again after the ledger answered `Unavailable`.
const UNAVAILABLE_ATTEMPTS_MAX: u32 = 50;

/// Sends every seed in order, each signed by the first key of `keys`
/// that may vouch for its actor, sent again while the ledger is not yet
/// there or changes.
pub async fn load(client: &async_nats::Client, seeds: &[Seed], keys: &KeyRing) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for seed in seeds {
        let signed = efa_trust::sign_command(keys.key_for(&seed.actor)?, &seed.envelope());
        let refusal = |rejection| Refusal {
            line: seed.line,
            label: seed.label.clone(),
            rejection,
        };
        match send(client, seed, &signed).await? {
            CommandReply::Accepted(accepted) if accepted.replayed => loaded.unchanged += 1,
            CommandReply::Accepted(_) => loaded.written += 1,
            CommandReply::Rejected(rejection @ Rejection::AlreadyExists { .. }) => {
                loaded.existing.push(refusal(rejection));
            }
            CommandReply::Rejected(rejection) => {
                tracing::warn!(seed = %seed.label, %rejection, "seed rejected");
                loaded.rejected += 1;
                loaded.refusals.push(refusal(rejection));
            }
        }
    }
    Ok(loaded)
}

async fn send(
    client: &async_nats::Client,
    seed: &Seed,
    signed: &SignedCommand,
) -> Result<CommandReply> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match efa_runtime::request_retrying::<_, CommandReply>(
            client,
            subjects::COMMAND,
            signed,
            SEND_TIMEOUT,
        )
        .await
        {
            Ok(CommandReply::Rejected(Rejection::Unavailable { .. }))
                if attempt < UNAVAILABLE_ATTEMPTS_MAX =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            result => {
                return result.with_context(|| format!("Startdatensatz {} senden", seed.label));
            }
        }
    }
}
