//! `efa up` on a clean data dir: it starts, the announce-then-list path
//! works over HTTP, and SIGTERM leaves no process behind.

use crate::{demo_token, start_up, terminate};

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
