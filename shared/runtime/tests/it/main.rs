//! The NATS trust boundary against a real nats-server: the permission
//! matrix row by row, refused connections, and TLS.

#![allow(clippy::unwrap_used)] // test code: a failed setup step should fail the test loudly

mod matrix;
mod request_id;
mod server;
mod tls;
