//! The `efa` binary as a user runs it: real child processes, real signals.

#![allow(clippy::unwrap_used)] // test harness code: a failed setup step should fail the test loudly

mod backup;
mod bench;
mod client;
mod cluster_nats;
mod crash;
mod failover;
mod faults;
mod generate;
mod import;
mod nats_auth;
mod projector_crash;
mod ride_through;
mod rollout_import;
mod sessions;
mod up;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const EFA: &str = env!("CARGO_BIN_EXE_efa");

/// A child process killed (SIGKILL) on drop, with the processes it
/// started (the nats-server of `efa up`), so no test leaves one behind.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let grandchildren = children_of(self.0.id());
        let _ = self.0.kill();
        let _ = self.0.wait();
        for pid in grandchildren {
            signal(pid, "KILL");
        }
    }
}

/// Children of `pid`, read from /proc.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut children = Vec::new();
    for entry in entries.flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // Fields after the command name in parentheses: state, ppid, ...
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        if after_name.split_whitespace().nth(1) == Some(&pid.to_string()) {
            children.push(child);
        }
    }
    children
}

pub fn efa(args: &[&str]) -> Command {
    let mut command = Command::new(EFA);
    command
        .args(args)
        .stdin(Stdio::null())
        .env("RUST_LOG", "warn");
    command
}

/// Sends SIGTERM the way an operator's `kill` does.
pub fn terminate(pid: u32) {
    assert!(signal(pid, "TERM"));
}

/// Sends `name` (`TERM`, `KILL`, ...) to `pid` with `kill`; whether it
/// was delivered.
fn signal(pid: u32, name: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Waits until `$SRV.PING.<service>` answers on `client`.
pub async fn wait_for_service(client: &async_nats::Client, service: &str) {
    for _ in 0..500 {
        if client
            .request(format!("$SRV.PING.{service}"), "".into())
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{service} did not come up");
}

/// `efa up` on `data` with free ports (plus `extra` flags), once it is
/// ready: the guarded child and the base URL it printed.
pub async fn start_up(data: &std::path::Path, extra: &[&str]) -> (ChildGuard, String) {
    start_up_on(data, "0", extra).await
}

/// `start_up` with its nats-server on `nats_port`.
pub async fn start_up_on(
    data: &std::path::Path,
    nats_port: &str,
    extra: &[&str],
) -> (ChildGuard, String) {
    let mut args = vec![
        "up",
        "--data-dir",
        data.to_str().unwrap(),
        "--http",
        "127.0.0.1:0",
        "--nats-port",
        nats_port,
    ];
    args.extend_from_slice(extra);
    let mut child = efa(&args).stdout(Stdio::piped()).spawn().unwrap();
    let address = printed_address(&mut child);
    let guard = ChildGuard(child);
    let base = format!(
        "http://{}",
        address.await.expect("efa up prints its address")
    );
    wait_until_answering(&base, "/readyz").await;
    (guard, base)
}

/// The address `child` prints (`... http://ADDR/`). Its stdout is read to
/// the end in the background, so the child never writes into a closed
/// pipe.
fn printed_address(child: &mut Child) -> tokio::sync::oneshot::Receiver<String> {
    use std::io::{BufRead, BufReader};
    let stdout = child.stdout.take().unwrap();
    let (address_tx, address_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut address_tx = Some(address_tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, rest)) = line.split_once("http://")
                && let Some(tx) = address_tx.take()
            {
                let _ = tx.send(rest.trim_end_matches('/').to_owned());
            }
        }
    });
    address_rx
}

/// Waits (bounded) until `base` answers 200 on `path`.
async fn wait_until_answering(base: &str, path: &str) {
    let http = reqwest::Client::new();
    for _ in 0..500 {
        if http
            .get(format!("{base}{path}"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `efa gateway --nats-url URL --data-dir DATA --http 127.0.0.1:0` (plus
/// `extra` flags) as a guarded child, once it is ready: the child and the
/// base URL it printed. It signs with the key it creates and trusts in
/// `data` on its first start; its tokens are those of `data`.
pub async fn spawn_gateway(
    url: &str,
    data: &std::path::Path,
    extra: &[&str],
) -> (ChildGuard, String) {
    let mut args = vec![
        "gateway",
        "--nats-url",
        url,
        "--data-dir",
        data.to_str().unwrap(),
        "--http",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let mut child = efa(&args).stdout(Stdio::piped()).spawn().unwrap();
    let address = printed_address(&mut child);
    let guard = ChildGuard(child);
    let base = format!(
        "http://{}",
        address.await.expect("efa gateway prints its address")
    );
    wait_until_answering(&base, "/healthz").await;
    (guard, base)
}

/// A running registry's signed ledger head: sequence and chain hash (hex).
pub async fn ledger_head(api: &str) -> (u64, String) {
    let checkpoint: serde_json::Value = reqwest::get(format!("{api}/api/v1/ledger/checkpoint"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let checkpoint = &checkpoint["checkpoint"];
    let hash = checkpoint["hash"].as_str().unwrap().to_owned();
    (checkpoint["seq"].as_u64().unwrap(), hash)
}

/// The token of a demo principal from `DATA/demo-zugaenge.txt`.
pub fn demo_token(data: &std::path::Path, principal: &str) -> String {
    let logins = std::fs::read_to_string(data.join("demo-zugaenge.txt")).unwrap();
    let line = logins
        .lines()
        .find(|line| line.starts_with(&format!("{principal}\t")))
        .unwrap();
    line.rsplit('\t').next().unwrap().to_owned()
}

/// `efa nats init` on `data`: the services' credentials and the
/// nats-server's configuration, which also makes `data` an efa data
/// directory before `efa up` first runs on it.
pub fn nats_init(data: &std::path::Path) {
    let init = efa(&["nats", "init", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "efa nats init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
}

/// A nats-server configured as `efa up` configures its own: `efa nats
/// init` on `data` creates the services' credentials and the server's
/// configuration, so only those credentials get in, each with its
/// permissions. The services started with `spawn_service` on `data` find
/// their credentials there.
pub fn authenticated_nats(data: &std::path::Path) -> efa_testkit::TestNats {
    nats_init(data);
    efa_testkit::TestNats::start_with_config(&data.join("nats").join("nats.conf"))
}

/// A client with the operator's credential from `data`.
pub async fn operator_client(url: &str, data: &std::path::Path) -> async_nats::Client {
    use efa_runtime::auth::{Credential, Role};
    let operator = Credential::from_data_dir(data, Role::Operator)
        .unwrap()
        .expect("efa nats init wrote the operator's credential");
    efa_runtime::connect_with(
        url,
        "test-operator",
        &efa_runtime::NatsAccess::as_role(operator),
    )
    .await
    .unwrap()
}

/// The key this test binary signs its own commands with, as a gateway.
pub fn test_signer() -> &'static efa_trust::SigningKey {
    static KEY: std::sync::OnceLock<efa_trust::SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| efa_trust::SigningKey::generate("test-client").unwrap())
}

/// `envelope`, signed by the test's key.
pub fn signed(envelope: &efa_proto::CommandEnvelope) -> efa_proto::SignedCommand {
    efa_trust::sign_command(test_signer(), envelope)
}

/// Makes the ledger of `data` trust the test's key (for any principal)
/// and the administration's key `efa up` would create (for imports).
pub fn trust_test_signers(data: &std::path::Path) {
    let path = data.join(efa_trust::TRUSTED_SIGNERS_FILE);
    let mut list = efa_trust::TrustedSigners::load(&path).unwrap();
    list.put(efa_trust::TrustedSigner {
        key: test_signer().public(),
        scope: efa_trust::Scope::Any,
    });
    std::fs::create_dir_all(data).unwrap();
    list.save(&path).unwrap();
    efa_trust::ensure_trusted_signer(
        data,
        "operator.key",
        "operator",
        efa_trust::Scope::parse("admin,land:*").unwrap(),
    )
    .unwrap();
}

/// `efa <service> --nats-url URL --data-dir DATA` as a guarded child. Its
/// logs are discarded unless `EFA_TEST_CHILD_LOGS` is set; then they go to
/// the test's stdout (run with `--nocapture`), to diagnose a failure.
pub fn spawn_service(service: &str, url: &str, data: &std::path::Path) -> ChildGuard {
    spawn_service_with(service, url, data, &[])
}

/// `spawn_service` with `env` set for the child (such as
/// `EFA_STREAM_REPLICAS` or `EFA_NATS_NKEY_FILE`).
pub fn spawn_service_with(
    service: &str,
    url: &str,
    data: &std::path::Path,
    env: &[(&str, &std::ffi::OsStr)],
) -> ChildGuard {
    if service == "ledger" {
        trust_test_signers(data);
    }
    let data = data.to_str().unwrap();
    let logs = if std::env::var_os("EFA_TEST_CHILD_LOGS").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    };
    ChildGuard(
        efa(&[service, "--nats-url", url, "--data-dir", data])
            .envs(env.iter().copied())
            .stdout(logs)
            .spawn()
            .unwrap(),
    )
}
