//! Starting a nats-server child: a port another process listens on is
//! refused before anything starts, so another server's greeting is never
//! taken for the new one's; a server an earlier owner left running is
//! found by its pid file and stopped.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use efa_runtime::nats_server::{
    NatsServerError, NatsServerProcess, ServerOptions, locate, stop_leftover,
};

fn options(port: u16, dir: &std::path::Path) -> ServerOptions {
    ServerOptions {
        port,
        store_dir: dir.to_owned(),
        config_file: None,
        log_file: None,
        pid_file: None,
    }
}

#[test]
fn a_port_taken_by_another_server_is_not_taken_for_the_new_one() {
    let binary = locate().unwrap();
    let dirs = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let mut first = NatsServerProcess::spawn(&binary, &options(0, dirs[0].path())).unwrap();
    let second = NatsServerProcess::spawn(&binary, &options(first.port(), dirs[1].path()));
    assert!(
        matches!(second, Err(NatsServerError::PortInUse { port }) if port == first.port()),
        "{second:?}"
    );
    // A configured server greets under its configuration's name, which
    // another server may share: before, the first one's greeting made it
    // look ready while it could not listen.
    let config = dirs[2].path().join("nats.conf");
    std::fs::write(&config, "server_name: efa-local\n").unwrap();
    let configured = NatsServerProcess::spawn(
        &binary,
        &ServerOptions {
            config_file: Some(config),
            ..options(first.port(), dirs[2].path())
        },
    );
    assert!(
        matches!(configured, Err(NatsServerError::PortInUse { .. })),
        "{configured:?}"
    );
    let _ = first.terminate(Duration::from_secs(5));
}

/// Whether a server on `port` greets.
fn greets(port: u16) -> bool {
    use std::io::Read;
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut stream| {
        let mut info = [0u8; 4];
        stream.read_exact(&mut info).is_ok() && &info == b"INFO"
    })
}

#[test]
fn a_server_left_running_by_its_owner_is_stopped_and_no_other_process() {
    let binary = locate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (config, pid_file) = (dir.path().join("nats.conf"), dir.path().join("nats.pid"));
    std::fs::write(&config, "server_name: left-behind\n").unwrap();
    let port = efa_runtime::nats_server::free_port().unwrap();
    // Started as a dead owner's server would have been: with the config
    // and the pid file, not held by a `NatsServerProcess`.
    let mut left = Command::new(&binary)
        .arg("-c")
        .arg(&config)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(dir.path().join("jetstream"))
        .arg("-P")
        .arg(&pid_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !(greets(port) && pid_file.exists()) {
        assert!(started.elapsed() < Duration::from_secs(15), "not started");
        std::thread::sleep(Duration::from_millis(20));
    }

    // A pid file naming a process that is no nats-server with this
    // configuration (here: this test) touches nothing.
    let other_pid_file = dir.path().join("other.pid");
    std::fs::write(&other_pid_file, std::process::id().to_string()).unwrap();
    assert_eq!(
        stop_leftover(&binary, &other_pid_file, &config, Duration::from_secs(5)),
        None
    );
    let other_config = dir.path().join("other.conf");
    assert_eq!(
        stop_leftover(&binary, &pid_file, &other_config, Duration::from_secs(5)),
        None
    );
    assert!(greets(port), "the server runs on");

    let stopped = stop_leftover(&binary, &pid_file, &config, Duration::from_secs(10));
    assert_eq!(stopped, Some(left.id()));
    let status = left.wait().unwrap();
    assert!(!greets(port), "the port is free again ({status})");
    let mut next = NatsServerProcess::spawn(
        &binary,
        &ServerOptions {
            config_file: Some(config),
            ..options(port, &dir.path().join("jetstream"))
        },
    )
    .unwrap();
    let _ = next.terminate(Duration::from_secs(5));
}
