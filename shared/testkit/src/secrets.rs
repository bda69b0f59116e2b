//! The four roles' NATS credentials of one test, in a data directory's
//! layout (`secrets/nats/<role>.nk`), and the server configuration that
//! admits exactly them with their permissions, as `efa up` writes it.
//! Shared by `TestNats::start_authenticated` and `TestCluster`, so both
//! admit the same users with the same rights.

use std::path::Path;

use efa_runtime::auth::{self, Credential, Role, User};
use efa_runtime::{NatsAccess, connect_with};

/// The base configuration `efa up` starts its nats-server with.
pub(crate) const BASE_CONFIG: &str = include_str!("../../../ops/nats/nats.conf");

#[derive(Debug)]
pub(crate) struct Secrets {
    dir: tempfile::TempDir,
    users: Vec<User>,
}

impl Secrets {
    /// Fresh credentials for the four roles in a temp dir of their own.
    pub(crate) fn create() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("efa-test-secrets-")
            .tempdir()
            .expect("create a temp dir for the test's NATS credentials");
        let credentials = auth::credential::ensure_all(dir.path())
            .unwrap_or_else(|error| panic!("create the test's NATS credentials: {error}"));
        let users = credentials
            .iter()
            .map(|c| User::for_role(c.role(), c.public_key()))
            .collect();
        Self { dir, users }
    }

    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `base` followed by the `authorization` block of the four roles.
    pub(crate) fn config(&self, base: &str) -> String {
        auth::server_config::render(base, &self.users, None)
            .expect("the test's configuration has no paths to quote")
    }

    /// Writes `text` as the configuration file `name` beside the secrets.
    pub(crate) fn write_config(&self, name: &str, text: &str) -> std::path::PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, text).expect("write the test's NATS config");
        path
    }

    pub(crate) fn credential(&self, role: Role) -> Credential {
        Credential::from_data_dir(self.dir(), role)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no credential of the {role} in {}", self.dir().display()))
    }

    /// A client connected as `role` to `url` (one URL or a comma-separated
    /// list).
    pub(crate) async fn connect_as(&self, url: &str, role: Role) -> async_nats::Client {
        let access = NatsAccess::as_role(self.credential(role));
        connect_with(url, &format!("test-{role}"), &access)
            .await
            .unwrap_or_else(|error| panic!("connect as the {role}: {error}"))
    }
}
