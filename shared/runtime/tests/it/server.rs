//! A nats-server configured as `efa` configures it: the four roles'
//! credentials in a data directory and the authorization they grant, plus
//! (for the tests only) an unrestricted observer that sees every subject.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use efa_runtime::auth::{self, Role, ServerTls, User, credential};
use efa_testkit::TestNats;
use tokio::sync::mpsc;

pub const BASE: &str = "max_payload: 1MB\n";

#[derive(Debug)]
pub struct AuthServer {
    pub nats: TestNats,
    pub data: tempfile::TempDir,
    pub observer_seed: String,
}

impl AuthServer {
    pub fn start() -> Self {
        Self::start_with_tls(None)
    }

    pub fn start_with_tls(tls: Option<&ServerTls>) -> Self {
        let data = tempfile::tempdir().unwrap();
        let credentials = credential::ensure_all(data.path()).unwrap();
        let observer = nkeys::KeyPair::new_user();
        let mut users: Vec<User> = credentials
            .iter()
            .map(|c| User::for_role(c.role(), c.public_key()))
            .collect();
        users.push(User {
            comment: "test observer".into(),
            public_key: observer.public_key(),
            permissions: None,
        });
        let config = data.path().join("nats.conf");
        std::fs::write(
            &config,
            auth::server_config::render(BASE, &users, tls).unwrap(),
        )
        .unwrap();
        let nats = TestNats::start_with_config(&config);
        Self {
            nats,
            data,
            observer_seed: observer.seed().unwrap(),
        }
    }

    pub fn seed(&self, role: Role) -> String {
        seed_in(self.data.path(), role)
    }

    /// The observer: may do anything, subscribed nowhere yet.
    pub async fn observer(&self) -> async_nats::Client {
        async_nats::ConnectOptions::with_nkey(self.observer_seed.clone())
            .connect(self.nats.url())
            .await
            .unwrap()
    }

    /// `role`'s connection, as the services make it, and the errors the
    /// server sends it (permission violations name the subject).
    pub async fn connect(
        &self,
        role: Role,
    ) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
        let (errors_tx, errors) = mpsc::unbounded_channel();
        let client = async_nats::ConnectOptions::with_nkey(self.seed(role))
            .custom_inbox_prefix(role.inbox_prefix())
            .event_callback(move |event| {
                let errors_tx = errors_tx.clone();
                async move {
                    if let async_nats::Event::ServerError(error) = event {
                        let _ = errors_tx.send(error.to_string());
                    }
                }
            })
            .connect(self.nats.url())
            .await
            .unwrap_or_else(|error| panic!("{role} cannot connect: {error}\n{}", self.nats.log()));
        (client, errors)
    }
}

pub fn seed_in(data: &Path, role: Role) -> String {
    std::fs::read_to_string(credential::path_in(data, role))
        .unwrap()
        .trim()
        .to_owned()
}

/// Everything in `errors` that arrives within `wait`.
pub async fn drain(errors: &mut mpsc::UnboundedReceiver<String>, wait: Duration) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(error)) = tokio::time::timeout_at(deadline, errors.recv()).await {
        seen.push(error);
    }
    seen
}

/// The credentials by role, for `efa_runtime::connect_with`.
pub fn credentials(data: &Path) -> BTreeMap<Role, auth::Credential> {
    Role::ALL
        .into_iter()
        .map(|role| {
            (
                role,
                auth::Credential::from_data_dir(data, role)
                    .unwrap()
                    .unwrap(),
            )
        })
        .collect()
}
