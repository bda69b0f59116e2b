//! Starting a nats-server child: a server started without a configuration
//! is ready only once it greets under its own name, so a port another
//! server took first is not mistaken for it.

use std::time::Duration;

use efa_runtime::nats_server::{NatsServerError, NatsServerProcess, ServerOptions, locate};

fn options(port: u16, dir: &std::path::Path) -> ServerOptions {
    ServerOptions {
        port,
        store_dir: dir.to_owned(),
        config_file: None,
        log_file: None,
    }
}

#[test]
fn a_port_taken_by_another_server_is_not_taken_for_the_new_one() {
    let binary = locate().unwrap();
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut first = NatsServerProcess::spawn(&binary, &options(0, first_dir.path())).unwrap();
    // The second server cannot listen on the first one's port and ends;
    // before, the first one's greeting made it look ready.
    let second = NatsServerProcess::spawn(&binary, &options(first.port(), second_dir.path()));
    assert!(
        matches!(second, Err(NatsServerError::Exited { .. })),
        "{second:?}"
    );
    let _ = first.terminate(Duration::from_secs(5));
}
