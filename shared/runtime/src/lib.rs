//! Runtime glue shared by the services: connecting to NATS (authenticated
//! as one of the registry's roles, see `auth`), typed
//! request/reply over the `proto` codec (and the same, sent again
//! across a failover, in `retry`), serving NATS service endpoints,
//! setting up the JetStream event stream, finding and starting a
//! nats-server, telemetry, and the watch that ends a process whose
//! store has stopped inside a write (`stall`). It knows NATS but no
//! domain rule.

pub mod auth;
pub mod connect;
pub mod durable_file;
pub mod endpoint;
pub mod jetstream;
pub mod nats_server;
pub mod request_id;
pub mod retry;
pub mod rpc;
pub mod secret_file;
pub mod stall;
pub mod store_lock;
pub mod telemetry;

pub use connect::{ClientTls, NatsAccess, connect, connect_with};
pub use retry::request as request_retrying;
pub use rpc::{RpcError, request};
pub use tokio_util::sync::CancellationToken as Shutdown;
