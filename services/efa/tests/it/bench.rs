//! `efa bench` against a whole system started with `efa up`: a few rounds
//! of every kind of write and the read-your-writes query, over NATS and
//! through the gateway, all accepted, and the report of both parts
//! printed beside the no-op baseline; and with the adopting municipalities
//! spread over two Länder, as on a generated history.

use crate::{demo_token, efa, start_up_on, terminate};

/// `efa bench` with `args` after the connection to `efa up` on `data`; its
/// standard output, once it exited successfully.
async fn bench(data: &std::path::Path, nats_port: &str, api: &str, args: &[&str]) -> String {
    let mut all = vec!["bench", "--data-dir", data.to_str().unwrap(), "--http", api];
    let url = format!("nats://127.0.0.1:{nats_port}");
    all.extend_from_slice(&["--nats-url", &url]);
    all.extend_from_slice(args);
    let mut command = efa(&all);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn the_load_generator_drives_nats_and_http_without_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nats_port = efa_runtime::nats_server::free_port().unwrap().to_string();
    let (mut guard, api) = start_up_on(&data, &nats_port, &["--api-rate-limit", "1000000"]).await;
    let stdout = bench(
        &data,
        &nats_port,
        &api,
        &["--clients", "3", "--rounds", "2"],
    )
    .await;
    assert!(stdout.contains("no-op NATS responder"), "{stdout}");
    // Three clients, two rounds, six writes a round, on each transport.
    assert!(stdout.contains("NATS: 36 Schreibvorgänge"), "{stdout}");
    assert!(
        stdout.contains("HTTP (Gateway): 36 Schreibvorgänge"),
        "{stdout}"
    );
    assert!(!stdout.contains("nicht ausgeführt"), "{stdout}");
    terminate(guard.0.id());
    let _ = guard.0.wait();
}

/// A municipality of another Land than the lead's (registered here, as a
/// generated history holds them) makes its Land join the service before
/// it asks to adopt it; each client takes the next municipality named.
#[tokio::test(flavor = "multi_thread")]
async fn the_load_generator_spreads_adoptions_over_the_municipalities_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nats_port = efa_runtime::nats_server::free_port().unwrap().to_string();
    let (mut guard, api) = start_up_on(&data, &nats_port, &["--api-rate-limit", "1000000"]).await;
    let registered = reqwest::Client::new()
        .post(format!("{api}/api/v1/gemeinden"))
        .bearer_auth(demo_token(&data, "admin"))
        .header("Idempotency-Key", "bench-muenchen")
        .json(&serde_json::json!({"ags": "09162000", "name": "München"}))
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success(), "{registered:?}");

    let stdout = bench(
        &data,
        &nats_port,
        &api,
        &[
            "--over",
            "nats",
            "--clients",
            "4",
            "--rounds",
            "2",
            "--gemeinden",
            "16051000,09162000",
        ],
    )
    .await;
    // Four clients, two rounds, six writes a round.
    assert!(stdout.contains("NATS: 48 Schreibvorgänge"), "{stdout}");
    assert!(!stdout.contains("nicht ausgeführt"), "{stdout}");
    assert!(!stdout.contains("HTTP (Gateway)"), "{stdout}");
    let munich: serde_json::Value = reqwest::get(format!("{api}/api/v1/gemeinden/09162000"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let adoptions = munich["adoptions"].as_array().unwrap();
    // Clients 1 and 3 of four adopt in München, two rounds each.
    assert_eq!(adoptions.len(), 4, "{munich}");
    terminate(guard.0.id());
    let _ = guard.0.wait();
}
