//! `request_retrying` against a real nats-server: nobody listening at
//! first, a responder that swallows a request (as a process killed while
//! holding it would), one that never answers. Each attempt carries the
//! same bytes and its own timeout; an answer ends the retries.

use std::time::{Duration, Instant};

use futures::StreamExt;

/// One request as a responder saw it: payload and `Efa-Timeout-Ms`.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    payload: Vec<u8>,
    timeout_ms: Option<String>,
    request_id: Option<String>,
}

/// Answers the requests on `subject` with `answer`, after swallowing the
/// first `swallow` of them (`usize::MAX`: never answers); returns what it
/// saw once `stop` fires.
fn responder(
    client: async_nats::Client,
    mut requests: async_nats::Subscriber,
    swallow: usize,
    answer: u64,
) -> tokio::task::JoinHandle<Vec<Seen>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(3), requests.next()).await
        {
            let header = |name: &str| {
                message
                    .headers
                    .as_ref()
                    .and_then(|h| h.get(name))
                    .map(|v| v.as_str().to_owned())
            };
            seen.push(Seen {
                payload: message.payload.to_vec(),
                timeout_ms: header(efa_runtime::rpc::TIMEOUT_HEADER),
                request_id: header(efa_runtime::request_id::HEADER),
            });
            if seen.len() > swallow
                && let Some(reply) = message.reply
            {
                client
                    .publish(reply, efa_proto::encode(&answer).into())
                    .await
                    .unwrap();
                break;
            }
        }
        seen
    })
}

#[tokio::test]
async fn a_request_nobody_hears_at_first_is_answered_once_someone_subscribes() {
    let nats = efa_testkit::TestNats::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let late = async_nats::connect(nats.url()).await.unwrap();
    let started = Instant::now();
    let asking = tokio::spawn({
        let client = client.clone();
        async move {
            efa_runtime::request_retrying::<_, u64>(
                &client,
                "efa.probe",
                &7u64,
                Duration::from_secs(5),
            )
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let requests = late.subscribe("efa.probe").await.unwrap();
    late.flush().await.unwrap();
    let seen = responder(late.clone(), requests, 0, 42);
    let answer = asking.await.unwrap().unwrap();
    assert_eq!(answer, 42);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1_200),
        "a pause of at most 500 ms after the responder came: {elapsed:?}"
    );
    let seen = seen.await.unwrap();
    assert_eq!(seen.len(), 1, "answered requests are not sent again");
    assert_eq!(seen[0].payload, efa_proto::encode(&7u64));
}

#[tokio::test]
async fn a_swallowed_request_is_sent_again_byte_for_byte_with_a_longer_timeout() {
    let nats = efa_testkit::TestNats::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let service = async_nats::connect(nats.url()).await.unwrap();
    let requests = service.subscribe("efa.probe").await.unwrap();
    service.flush().await.unwrap();
    let seen = responder(service.clone(), requests, 1, 42);
    let envelope = (String::from("Befehl"), 99u64);
    let started = Instant::now();
    let answer: u64 = efa_runtime::request_id::scope(
        "anfrage-7".to_owned(),
        efa_runtime::request_retrying(&client, "efa.probe", &envelope, Duration::from_secs(8)),
    )
    .await
    .unwrap();
    assert_eq!(answer, 42);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(3),
        "the first attempt (a quarter of 8 s) timed out, the second was answered: {elapsed:?}"
    );
    let seen = seen.await.unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].payload, efa_proto::encode(&envelope));
    assert_eq!(seen[1].payload, seen[0].payload, "the same bytes again");
    assert_eq!(seen[0].timeout_ms.as_deref(), Some("2000"));
    assert_eq!(seen[1].timeout_ms.as_deref(), Some("4000"), "twice as long");
    assert!(
        seen.iter()
            .all(|s| s.request_id.as_deref() == Some("anfrage-7")),
        "every attempt keeps the request id: {seen:?}"
    );
}

#[tokio::test]
async fn a_request_never_answered_fails_at_the_callers_deadline() {
    let nats = efa_testkit::TestNats::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let service = async_nats::connect(nats.url()).await.unwrap();
    let requests = service.subscribe("efa.probe").await.unwrap();
    service.flush().await.unwrap();
    let seen = responder(service.clone(), requests, usize::MAX, 0);
    let started = Instant::now();
    let answer = efa_runtime::request_retrying::<_, u64>(
        &client,
        "efa.probe",
        &1u64,
        Duration::from_millis(2_500),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(
        matches!(
            answer,
            Err(efa_runtime::RpcError::TimedOut {
                timeout_ms: 2_500,
                ..
            })
        ),
        "{answer:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(2_500) && elapsed < Duration::from_millis(3_000),
        "{elapsed:?}"
    );
    let timeouts: Vec<u64> = seen
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.timeout_ms.unwrap().parse().unwrap())
        .collect();
    assert_eq!(timeouts.len(), 2, "{timeouts:?}");
    assert_eq!(timeouts[0], 1_000, "the floor of a first attempt");
    assert!(
        (1_400..=1_500).contains(&timeouts[1]),
        "then the rest: {timeouts:?}"
    );
}
