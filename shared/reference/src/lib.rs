//! Reference data and the demo scenario, as commands for the ledger. The
//! sourced facts (Länder, Königsteiner Schlüssel, Thüringen's Kreise, real
//! EfA services) are compiled in from `data/`; each is turned into the
//! command an administrator or a Land would send, with a command id derived
//! from a stable label, so that loading twice changes nothing.

pub mod csv;
pub mod demo;
pub mod encoding;
pub mod generate;
pub mod gv100ad;
pub mod rollout;
pub mod seed;
pub mod tables;
pub mod tabular;

pub use seed::{Seed, reference_seeds};
