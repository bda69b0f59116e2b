//! The NATS trust boundary against a real nats-server: the permission
//! matrix row by row, refused connections, and TLS; requests sent again
//! across a failover.

#![allow(clippy::unwrap_used)] // test code: a failed setup step should fail the test loudly

mod matrix;
mod request_id;
mod retry;
mod server;
mod spawn;
mod tls;
