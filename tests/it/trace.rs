//! One request followed end to end by its id: the gateway, the ledger and
//! the projector each log under the id the caller sent in `X-Request-Id`
//! (carried over NATS in `Efa-Request-Id`). The logs of this test's thread
//! are caught in memory; the whole system runs on it (a current-thread
//! runtime), so every line the request causes is caught.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::system::System;

/// An in-memory log.
#[derive(Debug, Clone, Default)]
struct Caught(Arc<Mutex<Vec<u8>>>);

impl Write for Caught {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Caught {
    /// The caught lines that name `id` as their request id, as
    /// `(target, line)`.
    fn lines_of(&self, id: &str) -> Vec<(String, String)> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        let needle = format!("request_id=\"{id}\"");
        text.lines()
            .filter(|line| line.contains(&needle))
            .map(|line| {
                let target = line
                    .split_whitespace()
                    .find(|word| word.starts_with("efa_"))
                    .unwrap_or_default()
                    .split("::")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                (target, line.to_owned())
            })
            .collect()
    }
}

#[tokio::test]
async fn one_request_is_followed_through_gateway_ledger_and_projector_by_its_id() {
    let caught = Caught::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let caught = caught.clone();
            move || caught.clone()
        })
        .finish();
    let _on_this_thread = tracing::subscriber::set_default(subscriber);
    let system = System::start().await;

    let body = r#"{"title": "Verfolgte Leistung", "lead": "04", "themenfeld": "Bauen & Wohnen",
        "provider": "Dataport", "channel": "efa-marktplatz", "cost_model": {"kind": "equal-shares"}}"#;
    let written = system
        .http
        .post(format!("{}/api/v1/services", system.base))
        .bearer_auth(&system.bremen)
        .header("Idempotency-Key", "verfolgt-1")
        .header("Content-Type", "application/json")
        .header("X-Request-Id", "schreiben-1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 201);
    assert_eq!(written.headers()["x-request-id"], "schreiben-1");
    let seq = written.json::<Value>().await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let read = system
        .http
        .get(format!("{}/api/v1/services?min_seq={seq}", system.base))
        .header("X-Request-Id", "lesen-1")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);

    let write_lines = caught.lines_of("schreiben-1");
    let targets: Vec<&str> = write_lines.iter().map(|(t, _)| t.as_str()).collect();
    assert!(targets.contains(&"efa_gateway"), "{write_lines:#?}");
    assert!(
        write_lines
            .iter()
            .any(|(target, line)| target == "efa_ledger"
                && line.contains("command accepted")
                && line.contains("actor=land:04")),
        "{write_lines:#?}"
    );
    assert!(
        write_lines
            .iter()
            .any(|(target, line)| target == "efa_gateway"
                && line.contains("principal=land:04")
                && line.contains("command_id=")
                && line.contains("status=201")),
        "{write_lines:#?}"
    );
    let read_lines = caught.lines_of("lesen-1");
    assert!(
        read_lines
            .iter()
            .any(|(target, line)| target == "efa_projector" && line.contains("query answered")),
        "{read_lines:#?}"
    );
    assert!(
        read_lines
            .iter()
            .any(|(target, line)| target == "efa_gateway" && line.contains("status=200")),
        "{read_lines:#?}"
    );
    system.stop().await;
}
