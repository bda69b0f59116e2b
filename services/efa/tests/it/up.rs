//! `efa up` on a clean data dir: it starts, the announce-then-list path
//! works over HTTP, and SIGTERM leaves no process behind.

use crate::{demo_token, efa, start_up, terminate};

/// Children of `pid`, read from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
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

fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn up_serves_the_announce_path_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut guard, base) = start_up(&data, &[]).await;
    let pid = guard.0.id();
    let nats_pids = children_of(pid);
    assert_eq!(nats_pids.len(), 1, "efa up starts one nats-server child");
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

    terminate(pid);
    let status = tokio::task::spawn_blocking(move || guard.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "efa up exits cleanly on SIGTERM: {status}"
    );
    for nats_pid in nats_pids {
        assert!(
            !is_running(nats_pid),
            "nats-server {nats_pid} outlived efa up"
        );
    }
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

    let at = export.find("event 17 ").unwrap() + "event 17 ".len() + 30;
    let mut bytes = export.into_bytes();
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    let changed = dir.path().join("changed.txt");
    std::fs::write(&changed, bytes).unwrap();
    let output = verify(&changed, &key_line);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bei Ereignis 17"), "{stderr}");
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
    assert!(String::from_utf8_lossy(&output.stderr).contains("signature"));
}
