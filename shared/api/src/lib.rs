//! The HTTP API's contract, apart from the server that answers it: the
//! request bodies and the keys of query parameters (`contract`, `keys`),
//! the JSON answers (`dto`), and the OpenAPI schemas of single values
//! (`values`). The gateway reads requests into these types and writes its
//! answers from them; its OpenAPI document is derived from them. Nothing
//! here knows HTTP, NATS or the web pages, so the contract can be read,
//! tested and changed on its own.

pub mod contract;
pub mod csv;
pub mod dto;
pub mod keys;
pub mod query;
pub mod statement_tables;
pub mod tables;
pub mod values;
