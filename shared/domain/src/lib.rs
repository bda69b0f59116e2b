//! The pure EfA domain: given the state of a stream and a command, decide
//! which events happen or why not (`decide`); given a state and an event,
//! compute the next state (`evolve`). No I/O, no clock, no randomness, no
//! async: time comes in through `Ctx`, so every decision is a function of
//! its inputs and can be replayed and tested as data.

mod service;
mod state;
mod validate;

pub use state::{ServiceState, StreamState};

use efa_proto::{CommandEnvelope, Date, Event, Rejection, Timestamp};

/// What the domain may know about the moment of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// The ledger's clock when the command is decided.
    pub now: Timestamp,
}

impl Ctx {
    /// The effective date of a command: the one it states, else today.
    pub fn effective(&self, envelope: &CommandEnvelope) -> Date {
        envelope.effective.unwrap_or_else(|| self.now.date())
    }
}

/// Decides a command against the current state of its stream.
pub fn decide(
    state: &StreamState,
    envelope: &CommandEnvelope,
    ctx: &Ctx,
) -> Result<Vec<Event>, Rejection> {
    match &envelope.command {
        efa_proto::Command::AnnounceService(cmd) => {
            service::announce(state, &envelope.actor, cmd, ctx)
        }
    }
}

/// Applies one event to a stream's state.
pub fn evolve(state: StreamState, event: &Event) -> StreamState {
    match event {
        Event::ServiceAnnounced(announced) => service::evolve_announced(state, announced),
    }
}
