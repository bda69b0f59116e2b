//! End-to-end tests of the whole registry: a real nats-server, the ledger,
//! the projector and the gateway in this process on free ports with fresh
//! sled directories, driven over HTTP like a user would.

#![allow(clippy::unwrap_used)] // test harness code: a failed setup step should fail the test loudly

mod accessibility;
mod announce;
mod browser;
mod gemeinden;
mod kept_answers;
mod land_funnels;
mod not_adopted;
mod pages;
mod settlement;
mod system;
mod trace;
mod trust;
mod views;
mod webdriver;
