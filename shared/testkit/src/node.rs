//! One nats-server process owned by a test: its options (port, store,
//! configuration, log file) kept, so that it can be killed and started
//! again as the same server. `TestNats` is one such node, `TestCluster`
//! three of them.

use std::path::{Path, PathBuf};

use efa_runtime::nats_server::{NatsServerError, NatsServerProcess, ServerOptions};

#[derive(Debug)]
pub(crate) struct Node {
    server: Option<NatsServerProcess>,
    binary: PathBuf,
    options: ServerOptions,
}

impl Node {
    /// Starts the server and waits until it greets clients.
    pub(crate) fn start(binary: &Path, options: ServerOptions) -> Result<Self, NatsServerError> {
        let server = NatsServerProcess::spawn(binary, &options)?;
        // A port of 0 was picked by `spawn`; a restart uses the same.
        let options = ServerOptions {
            port: server.port(),
            ..options
        };
        Ok(Self {
            server: Some(server),
            binary: binary.to_owned(),
            options,
        })
    }

    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.options.port)
    }

    pub(crate) fn port(&self) -> u16 {
        self.options.port
    }

    pub(crate) fn store_dir(&self) -> &Path {
        &self.options.store_dir
    }

    /// Kills the server (SIGKILL) and reaps it; nothing if it is not running.
    pub(crate) fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill();
        }
    }

    /// Starts the server again on the same port with the same store and
    /// configuration (killing it first if it still runs).
    pub(crate) fn restart(&mut self) -> Result<(), NatsServerError> {
        self.kill();
        self.server = Some(NatsServerProcess::spawn(&self.binary, &self.options)?);
        Ok(())
    }

    /// Whether the server was started and has ended since.
    pub(crate) fn has_exited(&mut self) -> bool {
        self.server
            .as_mut()
            .is_some_and(NatsServerProcess::has_exited)
    }

    /// The server's log so far (for a test's failure message).
    pub(crate) fn log(&self) -> String {
        self.options
            .log_file
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(NatsServerProcess::pid)
    }
}
