//! The gateway over HTTP against a real nats-server. The ledger and the
//! projector are stood in for by tiny responders on their subjects, so
//! these tests pin the gateway's own mapping: authentication, the commands
//! built from request bodies, problem documents, status codes and headers,
//! the JSON, CSV and XLSX of the views, and the OpenAPI document.

// Clippy allows unwrap in #[test] functions only; the helpers here are test
// code too, where a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod authz;
mod basics;
mod csv;
mod harness;
mod kept;
mod openapi;
mod overload;
mod reads;
mod samples;
mod schema;
mod web;
mod writes;
mod xlsx;
