//! The bodies of the write requests, read into `Command`s. One function
//! per request: it takes what the path names (a service, a municipality)
//! and the JSON body, checks every field's type and format, and returns
//! the command with its optional `effective` date. Each refusal names its
//! field (422). What the caller may do, and whether the command fits the
//! state, is the domain's decision, behind the ledger.

pub mod adoptions;
pub mod participants;
pub mod reference;
pub mod services;

use efa_proto::{Command, Date};

/// A write request read into a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub command: Command,
    /// When the change takes effect; the day it is recorded when absent.
    pub effective: Option<Date>,
}

impl Parsed {
    pub fn new(command: Command, effective: Option<Date>) -> Self {
        Self { command, effective }
    }
}
