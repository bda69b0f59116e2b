//! `efa up` on a clean data dir: it starts, the announce-then-list path
//! works over HTTP, its secrets are owner-only, its nats-server admits no
//! one without a credential, SIGTERM leaves no process behind, and after
//! a SIGKILL the next `efa up` stops the nats-server left running; on a
//! taken HTTP port it fails in German, without a backtrace.

use efa_runtime::nats_server::is_alive;

use crate::{ChildGuard, children_of, demo_token, efa, start_up, start_up_on, terminate};

/// The client port of the nats-server `pid`, from its command line.
fn nats_port(pid: u32) -> u16 {
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    let args: Vec<&str> = cmdline.split('\0').collect();
    let at = args.iter().position(|arg| *arg == "-p").unwrap();
    args[at + 1].parse().unwrap()
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every file holding a token, key or credential is the owner's alone,
/// and the nats-server refuses anyone without one of the credentials.
async fn assert_secrets_kept(data: &std::path::Path, nats_pid: u32) {
    let mut secrets = vec![
        data.join("demo-zugaenge.txt"),
        data.join("tokens.json"),
        data.join("sitzung.key"),
    ];
    for role in efa_runtime::auth::Role::ALL {
        secrets.push(efa_runtime::auth::credential::path_in(data, role));
    }
    for path in &secrets {
        assert_eq!(mode(path), 0o600, "{}", path.display());
    }
    assert_eq!(mode(&data.join("secrets")), 0o700);
    let config = std::fs::read_to_string(data.join("nats/authorization.conf")).unwrap();
    for role in efa_runtime::auth::Role::ALL {
        let seed =
            std::fs::read_to_string(efa_runtime::auth::credential::path_in(data, role)).unwrap();
        assert!(
            !config.contains(seed.trim()),
            "no seed in the server's config"
        );
    }
    let url = format!("nats://127.0.0.1:{}", nats_port(nats_pid));
    let anonymous = async_nats::connect(&url).await;
    assert!(
        anonymous.is_err(),
        "the nats-server of efa up admits anonymous clients"
    );
}

#[tokio::test]
async fn up_serves_the_announce_path_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (guard, base) = start_up(&data, &[]).await;
    let nats_pids = children_of(guard.0.id());
    assert_eq!(nats_pids.len(), 1, "efa up starts one nats-server child");
    assert_secrets_kept(&data, nats_pids[0]).await;
    let token = demo_token(&data, "land:04");
    let http = reqwest::Client::new();
    let body = r#"{"title": "Wohngeld-Antrag", "lead": "04", "themenfeld": "Bauen & Wohnen",
        "provider": "Dataport", "channel": "efa-marktplatz", "cost_model": {"kind": "equal-shares"}}"#;
    let response = http
        .post(format!("{base}/api/v1/services"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "up-test-1")
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let seq = response.json::<serde_json::Value>().await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let catalogue: serde_json::Value = http
        .get(format!("{base}/api/v1/services?min_seq={seq}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = catalogue["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"wohngeld-antrag"), "{ids:?}");
    assert!(
        ids.contains(&"digitale-baugenehmigung"),
        "the demo scenario is loaded on a fresh data dir: {ids:?}"
    );

    stop_cleanly(guard, &nats_pids).await;
}

/// SIGTERM to `efa up`: it exits cleanly, and none of `nats_pids` (its
/// nats-server children) outlives it.
pub async fn stop_cleanly(mut guard: ChildGuard, nats_pids: &[u32]) {
    terminate(guard.0.id());
    let status = tokio::task::spawn_blocking(move || guard.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "efa up exits cleanly on SIGTERM: {status}"
    );
    for &nats_pid in nats_pids {
        assert!(
            !is_alive(nats_pid),
            "nats-server {nats_pid} outlived efa up"
        );
    }
}

/// A throwaway CA and a certificate for 127.0.0.1 signed by it, as PEM
/// files in `dir`: (CA, certificate, key).
fn throwaway_pki(dir: &std::path::Path) -> [std::path::PathBuf; 3] {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let files = [
        ("ca.pem", ca.pem()),
        ("nats.pem", cert.pem()),
        ("nats-key.pem", key.serialize_pem()),
    ];
    files.map(|(name, text)| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    })
}

#[tokio::test]
async fn up_speaks_tls_with_its_nats_server_when_given_a_certificate() {
    use efa_runtime::auth::{Credential, Role};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let [ca, cert, key] = throwaway_pki(dir.path());
    let (ca, cert, key) = (
        ca.to_str().unwrap(),
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
    );
    let (mut guard, base) = start_up(
        &data,
        &[
            "--no-demo",
            "--nats-server-cert",
            cert,
            "--nats-server-key",
            key,
            "--nats-tls-ca",
            ca,
        ],
    )
    .await;
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "the services reach NATS over TLS");
    let config = std::fs::read_to_string(data.join("nats/nats.conf")).unwrap();
    assert!(config.contains("tls {"), "{config}");

    let nats_pid = children_of(guard.0.id())[0];
    let url = format!("nats://127.0.0.1:{}", nats_port(nats_pid));
    let operator = Credential::from_data_dir(&data, Role::Operator)
        .unwrap()
        .unwrap();
    let seed = std::fs::read_to_string(efa_runtime::auth::credential::path_in(
        &data,
        Role::Operator,
    ))
    .unwrap();
    let untrusting = async_nats::ConnectOptions::with_nkey(seed.trim().to_owned())
        .connect(&url)
        .await;
    assert!(untrusting.is_err(), "a client that does not know the CA");
    let access = efa_runtime::NatsAccess {
        credential: Some(operator),
        tls: Some(efa_runtime::ClientTls::new(ca.into(), None).unwrap()),
    };
    let client = efa_runtime::connect_with(&url, "tls-test", &access)
        .await
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), client.flush())
        .await
        .expect("the operator gets in over TLS")
        .unwrap();

    terminate(guard.0.id());
    let status = tokio::task::spawn_blocking(move || guard.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

/// `efa up` signs its seeds (reference data and demo) through the ledger's
/// check; a Land then takes the ledger's public key and an export from
/// the API and checks it with `efa verify --export`, which names the event
/// of a changed byte. `efa verify` on the data dir checks the stored
/// signed checkpoint, and refuses a wrong key.
#[tokio::test]
async fn an_export_is_verified_offline_with_the_ledgers_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut guard, base) = start_up(&data, &[]).await;
    let http = reqwest::Client::new();
    let published: serde_json::Value = http
        .get(format!("{base}/api/v1/ledger/checkpoint"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let head = published["checkpoint"]["seq"].as_u64().unwrap();
    assert!(head > 100, "the seeds were accepted: {published}");
    let key_line = published["public_key_line"].as_str().unwrap().to_owned();
    let export = http
        .get(format!("{base}/api/v1/ledger/export?from_seq=1&limit=50"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let file = dir.path().join("export.txt");
    std::fs::write(&file, &export).unwrap();
    let verify = |file: &std::path::Path, key: &str| {
        efa(&[
            "verify",
            "--export",
            file.to_str().unwrap(),
            "--public-key",
            key,
        ])
        .output()
        .unwrap()
    };
    let output = verify(&file, &key_line);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Ereignisse 1 bis 50"));

    // The same range in two parts, checked as one; a part left out or a
    // checkpoint the chain does not hold is refused.
    let part = |from: u64, limit: u64| {
        let http = http.clone();
        let url = format!("{base}/api/v1/ledger/export?from_seq={from}&limit={limit}");
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let (first, second, third) = (part(1, 20).await, part(21, 30).await, part(51, 5).await);
    let files: Vec<std::path::PathBuf> = [first, second, third]
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let file = dir.path().join(format!("part-{i}.txt"));
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect();
    let hash_of_50 = (export.lines())
        .find_map(|line| line.strip_prefix("event 50 "))
        .map(|hex| {
            let bytes = hex::decode(hex).unwrap();
            let event: efa_proto::SealedEvent = efa_proto::codec::decode(&bytes).unwrap();
            hex::encode(event.hash)
        })
        .unwrap();
    let verify_parts = |parts: &[&std::path::PathBuf], contains: &str| {
        let mut args = vec!["verify".to_owned()];
        for part in parts {
            args.extend(["--export".to_owned(), part.to_str().unwrap().to_owned()]);
        }
        args.extend(["--public-key".to_owned(), key_line.clone()]);
        args.extend(["--contains".to_owned(), contains.to_owned()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        efa(&args).output().unwrap()
    };
    let joined = verify_parts(
        &[&files[0], &files[1], &files[2]],
        &format!("50:{hash_of_50}"),
    );
    let stdout = String::from_utf8_lossy(&joined.stdout);
    assert!(
        joined.status.success() && stdout.contains("Ereignisse 1 bis 55 in 3 lückenlos"),
        "{stdout}{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    let gap = verify_parts(&[&files[0], &files[2]], &format!("50:{hash_of_50}"));
    let stderr = String::from_utf8_lossy(&gap.stderr);
    assert!(
        !gap.status.success() && stderr.contains("schließt nicht an"),
        "{stderr}"
    );
    let other = verify_parts(&[&files[0], &files[1]], &format!("49:{hash_of_50}"));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(
        !other.status.success() && stderr.contains("bei Ereignis 49"),
        "{stderr}"
    );

    let at = export.find("event 17 ").unwrap() + "event 17 ".len() + 30;
    let mut bytes = export.into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    let changed = dir.path().join("changed.txt");
    std::fs::write(&changed, bytes).unwrap();
    let output = verify(&changed, &key_line);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bei Ereignis 17"), "{stderr}");
    assert!(
        stderr.contains("sein Hash passt nicht zu seinem Inhalt"),
        "why, in German: {stderr}"
    );
    // The data dir itself is read only while nothing runs on it; meanwhile
    // the refusal says so and names the way that works.
    let output = efa(&["verify", "--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ist gerade in Gebrauch") && stderr.contains("efa verify --export"),
        "{stderr}"
    );
    // Stopped cleanly, so its nats-server child goes with it.
    terminate(guard.0.id());
    let status = tokio::task::spawn_blocking(move || guard.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "efa up exits cleanly on SIGTERM: {status}"
    );

    // The data dir: its checkpoint verifies with the ledger's key, not another.
    let data_arg = data.to_str().unwrap();
    let output = efa(&["verify", "--data-dir", data_arg]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Kopf vom Ledger signiert"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stranger = efa_trust::SigningKey::generate("ledger")
        .unwrap()
        .public()
        .to_string();
    let output = efa(&["verify", "--data-dir", data_arg, "--public-key", &stranger])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("die Signatur des Kopfes passt nicht zum Schlüssel"),
        "{stderr}"
    );
}

/// `efa up` killed with SIGKILL cannot stop its nats-server, which keeps
/// the port and the JetStream store. The next `efa up` on the data dir
/// stops that server and starts its own; before, it took the old
/// server's greeting for its own child's, ran on a server it did not
/// own, and left it running when it stopped.
#[tokio::test]
async fn up_after_a_kill_stops_the_nats_server_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = efa_runtime::nats_server::free_port().unwrap().to_string();
    let (mut killed, _) = start_up_on(&data, &port, &["--no-demo"]).await;
    let left = children_of(killed.0.id());
    assert_eq!(left.len(), 1, "efa up starts one nats-server child");
    killed.0.kill().unwrap();
    killed.0.wait().unwrap();
    assert!(is_alive(left[0]), "SIGKILL leaves the nats-server running");

    let (again, base) = start_up_on(&data, &port, &["--no-demo"]).await;
    assert!(!is_alive(left[0]), "the server left behind was stopped");
    let own = children_of(again.0.id());
    assert_eq!(own.len(), 1, "the new efa up runs its own nats-server");
    assert_eq!(nats_port(own[0]).to_string(), port);
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);

    stop_cleanly(again, &own).await;
}

/// With its HTTP port taken, `efa up` fails in German: the chain of
/// causes on one line, a hint naming --http, no backtrace even where one
/// is asked for, exit code 1, and no nats-server left running.
#[test]
fn up_on_a_taken_http_port_fails_in_german_with_a_hint() {
    use std::io::Read;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http = taken.local_addr().unwrap().to_string();
    let args = [
        "up",
        "--data-dir",
        data.to_str().unwrap(),
        "--http",
        &http,
        "--nats-port",
        "0",
        "--no-demo",
    ];
    let mut guard = ChildGuard(
        efa(&args)
            .env("RUST_BACKTRACE", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = guard.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // The children seen while it runs (its nats-server); once it has
    // exited, they can no longer be found as its children.
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        for pid in children_of(guard.0.id()) {
            if !seen.contains(&pid) {
                seen.push(pid);
            }
        }
        if let Some(status) = guard.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "efa up did not end");
        std::thread::sleep(Duration::from_millis(10));
    };
    let left: Vec<u32> = seen.into_iter().filter(|&pid| is_alive(pid)).collect();
    for &pid in &left {
        crate::signal(pid, "KILL");
    }
    let stderr = reader.join().unwrap();
    drop(taken);

    assert!(left.is_empty(), "children {left:?} outlived efa up");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("Fehler: "), "{stderr}");
    assert!(
        stderr.lines().any(|line| line.starts_with("Hinweis: ")
            && line.contains("Port bereits")
            && line.contains("--http")),
        "{stderr}"
    );
    assert!(!stderr.contains("Caused by"), "{stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
    assert!(!stderr.contains("Error"), "{stderr}");
}
