//! Telemetry, set up once per process: structured logs through `tracing`,
//! human-readable by default, JSON with `EFA_LOG_FORMAT=json`, filtered by
//! `RUST_LOG` (default `info`).

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber. Calling it twice is harmless (the
/// second call keeps the first subscriber), which tests rely on.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sled=warn,async_nats=warn"));
    let json = std::env::var("EFA_LOG_FORMAT").is_ok_and(|v| v == "json");
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry
            .with(fmt::layer().json().with_current_span(true))
            .try_init()
    } else {
        registry.with(fmt::layer().with_target(true)).try_init()
    };
}
