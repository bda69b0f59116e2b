//! The request id crosses NATS: a request sent inside a request id's
//! scope carries it in its header, and the serving endpoint hands it to
//! the handler (and runs the handler in a span carrying it).

use std::time::Duration;

use async_nats::service::ServiceExt;
use efa_runtime::request_id;

#[tokio::test]
async fn a_request_id_set_by_the_caller_reaches_the_handler() {
    let nats = efa_testkit::TestNats::start();
    let client = async_nats::connect(nats.url()).await.unwrap();
    let service = client
        .service_builder()
        .start("efa-probe", "0.0.0")
        .await
        .unwrap();
    let endpoint = service.endpoint("efa.probe").await.unwrap();
    let shutdown = efa_runtime::Shutdown::new();
    let serving = tokio::spawn(efa_runtime::endpoint::serve_or_refuse(
        endpoint,
        std::sync::Arc::new(tokio::sync::Semaphore::new(4)),
        shutdown.clone(),
        |call: efa_runtime::endpoint::Call| async move {
            efa_proto::encode(&call.request_id.unwrap_or_else(|| "keine".to_owned()))
        },
        Vec::new,
    ));
    let timeout = Duration::from_secs(5);
    let seen: String = request_id::scope(
        "anfrage-42".to_owned(),
        efa_runtime::request(&client, "efa.probe", &(), timeout),
    )
    .await
    .unwrap();
    assert_eq!(seen, "anfrage-42");
    let without: String = efa_runtime::request(&client, "efa.probe", &(), timeout)
        .await
        .unwrap();
    assert_eq!(without, "keine", "outside a scope no id is sent");
    shutdown.cancel();
    serving.await.unwrap();
}
