//! The test kit: real nats-servers for tests, on free ports, with store
//! directories of their own, killed and removed when the test drops them:
//! `TestNats` (one server) and `TestCluster` (three in one cluster).
//! There is no mock of NATS anywhere in the project; tests talk to these.
//! Only ever a dev-dependency.

pub mod cluster;
mod node;
mod secrets;
mod single;

use std::path::{Path, PathBuf};

pub use cluster::TestCluster;
pub use single::TestNats;

/// `root/name`, created: a scratch directory inside a test's temp dir.
fn scratch_dir(root: &Path, name: &str) -> PathBuf {
    let path = root.join(name);
    std::fs::create_dir_all(&path).expect("create a scratch dir in the test's temp dir");
    path
}

/// Copies the directory `from`, with everything below it, to `to`: a
/// store as it stood, to be put back or started from elsewhere.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy's directory");
    for entry in std::fs::read_dir(from).expect("read the directory to copy") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("its type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
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
    use efa_runtime::auth::Role;

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
