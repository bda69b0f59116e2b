//! The test kit: a real nats-server for each test, on a free port, with a
//! store directory of its own, killed and removed when the test drops it.
//! There is no mock of NATS anywhere in the project; tests talk to this.
//! Only ever a dev-dependency.

use std::path::{Path, PathBuf};

use efa_runtime::auth::{self, Credential, Role, User};
use efa_runtime::nats_server::{self, NatsServerProcess, ServerOptions};
use efa_runtime::{NatsAccess, connect_with};

/// The base configuration `efa up` starts its nats-server with.
const BASE_CONFIG: &str = include_str!("../../../ops/nats/nats.conf");

/// A nats-server owned by one test.
#[derive(Debug)]
pub struct TestNats {
    // Declared before `dir` so the server dies before its files are removed.
    server: Option<NatsServerProcess>,
    binary: PathBuf,
    options: ServerOptions,
    dir: tempfile::TempDir,
    /// The roles' credentials of a server from `start_authenticated`.
    secrets: Option<tempfile::TempDir>,
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
        let secrets = tempfile::Builder::new()
            .prefix("efa-test-secrets-")
            .tempdir()
            .expect("create a temp dir for the test's NATS credentials");
        let credentials = auth::credential::ensure_all(secrets.path())
            .unwrap_or_else(|error| panic!("create the test's NATS credentials: {error}"));
        let users: Vec<User> = credentials
            .iter()
            .map(|c| User::for_role(c.role(), c.public_key()))
            .collect();
        let config = auth::server_config::render(BASE_CONFIG, &users, None)
            .expect("the test's configuration has no paths to quote");
        let config_file = secrets.path().join("nats.conf");
        std::fs::write(&config_file, config).expect("write the test's NATS config");
        let mut nats = Self::start_with_config(&config_file);
        nats.secrets = Some(secrets);
        nats
    }

    /// Where the credentials of an authenticated server lie (a data
    /// directory's layout: `secrets/nats/<role>.nk`).
    pub fn secrets_dir(&self) -> Option<&Path> {
        self.secrets.as_ref().map(tempfile::TempDir::path)
    }

    /// `role`'s credential on a server from `start_authenticated`.
    pub fn credential(&self, role: Role) -> Credential {
        let dir = self
            .secrets_dir()
            .expect("only a server from start_authenticated has credentials");
        Credential::from_data_dir(dir, role)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no credential of the {role} in {}", dir.display()))
    }

    /// A client connected as `role` to a server from `start_authenticated`.
    pub async fn connect_as(&self, role: Role) -> async_nats::Client {
        let access = NatsAccess::as_role(self.credential(role));
        connect_with(&self.url(), &format!("test-{role}"), &access)
            .await
            .unwrap_or_else(|error| panic!("connect as the {role}: {error}"))
    }

    fn try_start_with(config_file: Option<PathBuf>) -> Result<Self, nats_server::NatsServerError> {
        let binary = nats_server::locate()?;
        let dir = tempfile::Builder::new()
            .prefix("efa-test-nats-")
            .tempdir()
            .map_err(nats_server::NatsServerError::Port)?;
        let options = ServerOptions {
            port: nats_server::free_port()?,
            store_dir: dir.path().join("jetstream"),
            config_file,
            log_file: Some(dir.path().join("nats-server.log")),
        };
        let server = NatsServerProcess::spawn(&binary, &options)?;
        Ok(Self {
            server: Some(server),
            binary,
            options,
            dir,
            secrets: None,
        })
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.options.port)
    }

    pub fn port(&self) -> u16 {
        self.options.port
    }

    /// The server's JetStream store directory.
    pub fn store_dir(&self) -> &Path {
        &self.options.store_dir
    }

    /// A scratch directory that lives as long as this server (for sled
    /// files of the services under test).
    pub fn scratch_dir(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).expect("create a scratch dir in the test's temp dir");
        path
    }

    /// Kills the server (SIGKILL): the harshest stop.
    pub fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.kill();
        }
    }

    /// Starts the server again on the same port with the same store.
    pub fn restart(&mut self) {
        self.kill();
        let server = NatsServerProcess::spawn(&self.binary, &self.options)
            .unwrap_or_else(|error| panic!("cannot restart the nats-server: {error}"));
        self.server = Some(server);
    }

    /// The server's log so far (for a test's failure message).
    pub fn log(&self) -> String {
        self.options
            .log_file
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    }

    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(NatsServerProcess::pid)
    }
}

/// sled releases a database's file lock from a background thread after the
/// last handle is dropped, so a test that reopens a store at once may find
/// it still locked. Calls `attempt` again while it fails with an error that
/// `is_lock` recognises, every 20 ms for at most 5 s, and returns the last
/// result.
pub fn retry_while_locked<T, E>(
    mut attempt: impl FnMut() -> Result<T, E>,
    is_lock: impl Fn(&E) -> bool,
) -> Result<T, E> {
    let mut result = attempt();
    for _ in 0..250 {
        match &result {
            Err(error) if is_lock(error) => {}
            _ => return result,
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        result = attempt();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_real_server_answers_and_keeps_jetstream_data_across_restart() {
        let mut nats = TestNats::start();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = async_nats::jetstream::new(client.clone());
        js.get_or_create_stream(async_nats::jetstream::stream::Config {
            name: "T".into(),
            subjects: vec!["t.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
        js.publish("t.a", "hello".into())
            .await
            .unwrap()
            .await
            .unwrap();
        drop(client);

        nats.restart();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream("T").await.unwrap();
        assert_eq!(stream.info().await.unwrap().state.messages, 1);
    }

    #[tokio::test]
    async fn an_authenticated_server_admits_the_roles_only() {
        let nats = TestNats::start_authenticated();
        assert!(async_nats::connect(nats.url()).await.is_err());
        let gateway = nats.connect_as(Role::Gateway).await;
        tokio::time::timeout(std::time::Duration::from_secs(5), gateway.flush())
            .await
            .unwrap()
            .unwrap();
    }

    #[test]
    fn dropping_the_server_ends_its_process() {
        let nats = TestNats::start();
        let pid = nats.pid().unwrap();
        assert!(Path::new(&format!("/proc/{pid}")).exists());
        drop(nats);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        assert!(
            status.is_empty() || status.contains("zombie"),
            "server {pid} still runs"
        );
    }
}
