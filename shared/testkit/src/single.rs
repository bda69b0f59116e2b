//! `TestNats`: one real nats-server for one test, on a free port, with a
//! store directory of its own, killed and removed when the test drops it.

use std::path::{Path, PathBuf};

use efa_runtime::auth::{Credential, Role};
use efa_runtime::nats_server::{self, ServerOptions};

use crate::node::Node;
use crate::secrets::{BASE_CONFIG, Secrets};

/// A nats-server owned by one test.
#[derive(Debug)]
pub struct TestNats {
    // Declared before `dir` so the server dies before its files are removed.
    node: Node,
    dir: tempfile::TempDir,
    /// The roles' credentials of a server from `start_authenticated`.
    secrets: Option<Secrets>,
}

impl TestNats {
    /// Starts a server with JetStream on a free loopback port. Panics with
    /// the reason when no server can be started: a test without its
    /// server cannot say anything.
    pub fn start() -> Self {
        match Self::try_start() {
            Ok(nats) => nats,
            Err(error) => panic!("cannot start a nats-server for this test: {error}"),
        }
    }

    pub fn try_start() -> Result<Self, nats_server::NatsServerError> {
        Self::try_start_with(None)
    }

    /// Starts a server with the configuration file `config` (users and
    /// their permissions, TLS, ...); port, store directory and log file
    /// still come from the kit. A restart uses the same file.
    pub fn start_with_config(config: &Path) -> Self {
        match Self::try_start_with(Some(config.to_owned())) {
            Ok(nats) => nats,
            Err(error) => panic!(
                "cannot start a nats-server with {} for this test: {error}",
                config.display()
            ),
        }
    }

    /// Starts a server that admits only the registry's four roles, each
    /// with its permissions, as `efa up` configures its own. Their
    /// credentials lie in `secrets_dir()` (`credential`, `connect_as`).
    pub fn start_authenticated() -> Self {
        let secrets = Secrets::create();
        let config_file = secrets.write_config("nats.conf", &secrets.config(BASE_CONFIG));
        let mut nats = Self::start_with_config(&config_file);
        nats.secrets = Some(secrets);
        nats
    }

    /// Where the credentials of an authenticated server lie (a data
    /// directory's layout: `secrets/nats/<role>.nk`).
    pub fn secrets_dir(&self) -> Option<&Path> {
        self.secrets.as_ref().map(Secrets::dir)
    }

    fn secrets(&self) -> &Secrets {
        self.secrets
            .as_ref()
            .expect("only a server from start_authenticated has credentials")
    }

    /// `role`'s credential on a server from `start_authenticated`.
    pub fn credential(&self, role: Role) -> Credential {
        self.secrets().credential(role)
    }

    /// A client connected as `role` to a server from `start_authenticated`.
    pub async fn connect_as(&self, role: Role) -> async_nats::Client {
        self.secrets().connect_as(&self.url(), role).await
    }

    fn try_start_with(config_file: Option<PathBuf>) -> Result<Self, nats_server::NatsServerError> {
        let binary = nats_server::locate()?;
        let dir = tempfile::Builder::new()
            .prefix("efa-test-nats-")
            .tempdir()
            .map_err(nats_server::NatsServerError::Port)?;
        let options = ServerOptions {
            // Picked by `spawn`, again if another process took it first.
            port: 0,
            store_dir: dir.path().join("jetstream"),
            config_file,
            log_file: Some(dir.path().join("nats-server.log")),
            pid_file: None,
        };
        Ok(Self {
            node: Node::start(&binary, options)?,
            dir,
            secrets: None,
        })
    }

    pub fn url(&self) -> String {
        self.node.url()
    }

    pub fn port(&self) -> u16 {
        self.node.port()
    }

    /// The server's JetStream store directory.
    pub fn store_dir(&self) -> &Path {
        self.node.store_dir()
    }

    /// A scratch directory that lives as long as this server (for sled
    /// files of the services under test).
    pub fn scratch_dir(&self, name: &str) -> PathBuf {
        crate::scratch_dir(self.dir.path(), name)
    }

    /// Kills the server (SIGKILL): the harshest stop.
    pub fn kill(&mut self) {
        self.node.kill();
    }

    /// Starts the server again on the same port with the same store.
    pub fn restart(&mut self) {
        self.node
            .restart()
            .unwrap_or_else(|error| panic!("cannot restart the nats-server: {error}"));
    }

    /// The server's log so far (for a test's failure message).
    pub fn log(&self) -> String {
        self.node.log()
    }

    pub fn pid(&self) -> Option<u32> {
        self.node.pid()
    }
}
