//! `efa bench` against a whole system started with `efa up`: a few rounds
//! of every kind of write and the read-your-writes query, over NATS and
//! through the gateway, all accepted, and the report of both parts
//! printed beside the no-op baseline.

use crate::{efa, start_up_on, terminate};

#[tokio::test(flavor = "multi_thread")]
async fn the_load_generator_drives_nats_and_http_without_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nats_port = efa_runtime::nats_server::free_port().unwrap().to_string();
    let (mut guard, api) = start_up_on(&data, &nats_port, &["--api-rate-limit", "1000000"]).await;
    let mut command = efa(&[
        "bench",
        "--data-dir",
        data.to_str().unwrap(),
        "--nats-url",
        &format!("nats://127.0.0.1:{nats_port}"),
        "--http",
        &api,
        "--clients",
        "3",
        "--rounds",
        "2",
    ]);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
