//! The HTTP API's contract, apart from the server that answers it: the
//! request bodies, the query strings and the keys their parameters take
//! (`contract`, `query`, `keys`), the JSON answers (`dto`), the same
//! answers as tables with German headers (`tables`, `statement_tables`)
//! written as CSV or as Excel workbooks (`csv`, `xlsx`), the problem
//! documents of failures (`problem`), the OpenAPI schemas of single
//! values (`values`), and numbers as German readers write them (`de`).
//! The gateway reads requests into these types and writes its answers
//! from them; its OpenAPI document is derived from them. Nothing here
//! knows HTTP, NATS or the web pages, so the contract can be read, tested
//! and changed on its own.

pub mod contract;
pub mod csv;
pub mod de;
pub mod dto;
pub mod keys;
pub mod problem;
pub mod query;
pub mod statement_tables;
pub mod tables;
pub mod values;
pub mod xlsx;
