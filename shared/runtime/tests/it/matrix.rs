//! The permission matrix row by row: every role publishes to and
//! subscribes to every subject any role is granted (and a few nobody is),
//! and an observer that sees everything tells which arrived. What the
//! matrix grants must work, everything else must be refused by the
//! server with a permission violation naming the subject.

use std::collections::BTreeSet;
use std::time::Duration;

use async_nats::jetstream;
use efa_proto::subjects;
use efa_runtime::NatsAccess;
use efa_runtime::auth::{Role, matrix_markdown, permissions};
use futures::StreamExt;

use crate::server::{AuthServer, credentials, drain};

const ARRIVAL_WAIT: Duration = Duration::from_secs(5);
const REFUSAL_WAIT: Duration = Duration::from_millis(500);

/// A concrete subject for a granted pattern.
fn instance(pattern: &str) -> String {
    pattern
        .split('.')
        .map(|token| match token {
            "*" => "probe",
            ">" => "probe.deep",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether the concrete `subject` matches the NATS `pattern`.
fn matches(pattern: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for token in pattern.split('.') {
        match (token, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (wanted, Some(got)) if wanted == got => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

fn granted(patterns: &[String], subject: &str) -> bool {
    patterns.iter().any(|pattern| matches(pattern, subject))
}

/// Every subject any role is granted, and some nobody is.
fn probes() -> BTreeSet<String> {
    let mut all: BTreeSet<String> = Role::ALL
        .into_iter()
        .flat_map(|role| {
            let granted = permissions(role);
            granted.publish.into_iter().chain(granted.subscribe)
        })
        .map(|pattern| instance(&pattern))
        .collect();
    for nobody in [
        "efa.anything",
        "efa.evt",
        "$JS.API.STREAM.DELETE.EFA_EVENTS",
        "$JS.API.STREAM.PURGE.EFA_EVENTS",
        "$JS.API.STREAM.UPDATE.EFA_EVENTS",
        "$JS.API.STREAM.MSG.DELETE.EFA_EVENTS",
        "$JS.API.STREAM.INFO.OTHER",
        "$SRV.PING.other",
        "_INBOX.probe",
        "$SYS.REQ.SERVER.PING",
    ] {
        all.insert(nobody.to_owned());
    }
    all
}

#[test]
fn the_architecture_document_shows_the_matrix_in_force() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ARCHITECTURE.md");
    let document = std::fs::read_to_string(path).unwrap();
    let table = matrix_markdown();
    assert!(
        document.contains(&table),
        "ARCHITECTURE.md must contain the permission matrix as it is:\n{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_matrix_holds_on_a_real_server() {
    let server = AuthServer::start();
    let observer = server.observer().await;
    let probes = probes();
    let mut failures = Vec::new();
    for role in Role::ALL {
        failures.extend(check_publish(&server, &observer, role, &probes).await);
        failures.extend(check_subscribe(&server, &observer, role, &probes).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn check_publish(
    server: &AuthServer,
    observer: &async_nats::Client,
    role: Role,
    probes: &BTreeSet<String>,
) -> Vec<String> {
    let patterns = permissions(role).publish;
    let mut seen = observer.subscribe(">").await.unwrap();
    // In place once the observer sees its own message (one connection's
    // subscribe and publish are handled in order).
    let ready = format!("observer-ready-{role}");
    observer
        .publish("probe.ready", ready.clone().into())
        .await
        .unwrap();
    tokio::time::timeout(ARRIVAL_WAIT, async {
        while let Some(message) = seen.next().await {
            if message.payload == ready.as_bytes() {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{role}: the observer's subscription never came into place"));
    let (client, mut errors) = server.connect(role).await;
    let marker = format!("publish-probe-{role}");
    for subject in probes {
        client
            .publish(subject.clone(), marker.clone().into())
            .await
            .unwrap();
    }
    // Messages of one connection arrive in order: once the sentinel (on a
    // subject the role may use) is there, every allowed probe is too.
    let sentinel = instance(&patterns[0]);
    let end = format!("{marker}-end");
    client
        .publish(sentinel.clone(), end.clone().into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    let mut arrived = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + ARRIVAL_WAIT;
    loop {
        let message = tokio::time::timeout_at(deadline, seen.next())
            .await
            .unwrap_or_else(|_| panic!("{role}: the sentinel on {sentinel} never arrived"))
            .unwrap();
        if message.payload == end.as_bytes() {
            break;
        }
        if message.payload == marker.as_bytes() {
            arrived.insert(message.subject.to_string());
        }
    }
    let refusals = drain(&mut errors, REFUSAL_WAIT).await.join("\n");
    let mut failures = Vec::new();
    for subject in probes {
        let allowed = granted(&patterns, subject);
        if allowed != arrived.contains(subject) {
            failures.push(format!(
                "{role} publish {subject}: granted {allowed}, arrived {}",
                arrived.contains(subject)
            ));
        }
        let refused = refusals.contains(&format!("Publish to \"{subject}\""));
        if !allowed && !refused {
            failures.push(format!("{role} publish {subject}: no permission violation"));
        }
    }
    failures
}

async fn check_subscribe(
    server: &AuthServer,
    observer: &async_nats::Client,
    role: Role,
    probes: &BTreeSet<String>,
) -> Vec<String> {
    let patterns = permissions(role).subscribe;
    let (client, mut errors) = server.connect(role).await;
    let mut subscriptions = Vec::new();
    for subject in probes {
        subscriptions.push((subject, client.subscribe(subject.clone()).await.unwrap()));
    }
    // Wildcard subscriptions that would read everyone's traffic.
    let sniffers = [">", "efa.>", "_INBOX.>", "$SRV.>", "$JS.API.>", "efa.evt.>"];
    for sniffer in sniffers {
        subscriptions.push((
            probes.iter().next().unwrap(),
            client.subscribe(sniffer).await.unwrap(),
        ));
    }
    let sentinel = format!("{}.sentinel", role.inbox_prefix());
    let mut end = client.subscribe(sentinel.clone()).await.unwrap();
    client.flush().await.unwrap();
    // A flush only writes to the socket. The server handles one
    // connection's subscriptions in order, so once the last one (the
    // sentinel) receives, all the others are in place.
    let mut ready = false;
    for _ in 0..50 {
        observer
            .publish(sentinel.clone(), "ready".into())
            .await
            .unwrap();
        observer.flush().await.unwrap();
        if tokio::time::timeout(Duration::from_millis(100), end.next())
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
    }
    assert!(ready, "{role}: the subscriptions were never in place");
    let marker = format!("subscribe-probe-{role}");
    for subject in probes {
        observer
            .publish(subject.clone(), marker.clone().into())
            .await
            .unwrap();
    }
    observer.publish(sentinel, "end".into()).await.unwrap();
    observer.flush().await.unwrap();
    tokio::time::timeout(ARRIVAL_WAIT, async {
        while let Some(message) = end.next().await {
            if message.payload == "end".as_bytes() {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{role}: the sentinel never arrived"));
    let refusals = drain(&mut errors, REFUSAL_WAIT).await.join("\n");
    let mut failures = Vec::new();
    let probe_count = probes.len();
    for (index, (subject, subscription)) in subscriptions.iter_mut().enumerate() {
        let mut received = Vec::new();
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_millis(20), subscription.next()).await
        {
            received.push(message);
        }
        if index >= probe_count {
            let sniffer = sniffers[index - probe_count];
            if !received.is_empty() {
                failures.push(format!(
                    "{role} read {} messages on {sniffer}",
                    received.len()
                ));
            }
            if !refusals.contains(&format!("Subscription to \"{sniffer}\"")) {
                failures.push(format!(
                    "{role} subscribe {sniffer}: no permission violation"
                ));
            }
            continue;
        }
        let allowed = granted(&patterns, subject);
        let arrived = !received.is_empty();
        if allowed != arrived {
            failures.push(format!(
                "{role} subscribe {subject}: granted {allowed}, received {}",
                received.len()
            ));
        }
        let refused = refusals.contains(&format!("Subscription to \"{subject}\""));
        if !allowed && !refused {
            failures.push(format!(
                "{role} subscribe {subject}: no permission violation"
            ));
        }
    }
    failures
}

#[tokio::test]
async fn a_client_without_a_known_key_is_refused_at_connect() {
    let server = AuthServer::start();
    let anonymous = async_nats::connect(server.nats.url()).await;
    let error = anonymous.expect_err("an anonymous client must be refused");
    assert_eq!(
        error.kind(),
        async_nats::ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
    let stranger = nkeys::KeyPair::new_user();
    let wrong = async_nats::ConnectOptions::with_nkey(stranger.seed().unwrap())
        .connect(server.nats.url())
        .await;
    let error = wrong.expect_err("a key the server does not know must be refused");
    assert_eq!(
        error.kind(),
        async_nats::ConnectErrorKind::AuthorizationViolation,
        "{error}"
    );
    let password = async_nats::ConnectOptions::with_user_and_password("ledger".into(), "x".into())
        .connect(server.nats.url())
        .await;
    assert!(password.is_err(), "a user name and password are refused");
    // A known key still gets in.
    let (client, _) = server.connect(Role::Gateway).await;
    client.flush().await.unwrap();
}

/// A JetStream context whose requests give up soon (a denied request is
/// never answered).
fn js(client: &async_nats::Client) -> jetstream::Context {
    jetstream::context::ContextBuilder::new()
        .timeout(Duration::from_millis(700))
        .build(client.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_is_written_by_the_ledger_read_by_the_projector_and_purged_by_the_operator()
 {
    let server = AuthServer::start();
    let url = server.nats.url();
    let credentials = credentials(server.data.path());
    let mut connections = std::collections::BTreeMap::new();
    for (role, credential) in &credentials {
        let client =
            efa_runtime::connect_with(&url, role.name(), &NatsAccess::as_role(credential.clone()))
                .await
                .unwrap();
        connections.insert(*role, js(&client));
    }
    let [ledger, projector, gateway, operator] =
        [Role::Ledger, Role::Projector, Role::Gateway, Role::Operator]
            .map(|r| connections[&r].clone());

    let mut stream = efa_runtime::jetstream::ensure_event_stream(&ledger)
        .await
        .unwrap();
    ledger
        .publish("efa.evt.service.probe", "event 1".into())
        .await
        .unwrap()
        .await
        .expect("the ledger writes the stream");
    assert!(
        projector
            .publish("efa.evt.service.probe", "forged".into())
            .await
            .unwrap()
            .await
            .is_err(),
        "the projector must not write the stream"
    );
    assert!(gateway.get_stream(subjects::EVENT_STREAM).await.is_err());

    efa_runtime::jetstream::ensure_event_stream(&projector)
        .await
        .expect("the projector reads the stream's state");
    let consumer = projector
        .create_consumer_on_stream(
            jetstream::consumer::pull::OrderedConfig {
                filter_subject: subjects::EVENT_WILDCARD.to_owned(),
                ..Default::default()
            },
            subjects::EVENT_STREAM,
        )
        .await
        .expect("the projector creates its ordered consumer");
    let mut messages = consumer.messages().await.unwrap();
    let first = tokio::time::timeout(ARRIVAL_WAIT, messages.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(&first.payload[..], b"event 1");

    for (role, context) in [
        ("ledger", &ledger),
        ("projector", &projector),
        ("gateway", &gateway),
    ] {
        if role != "ledger" {
            // The ledger deletes the stream only to repair it (see the
            // relay's test under these permissions).
            assert!(
                context.delete_stream(subjects::EVENT_STREAM).await.is_err(),
                "{role} must not delete the stream"
            );
        }
        let purge_attempt = context
            .get_stream_no_info(subjects::EVENT_STREAM)
            .await
            .unwrap();
        assert!(
            purge_attempt.purge().await.is_err(),
            "{role} must not purge the stream"
        );
    }
    assert_eq!(stream.info().await.unwrap().state.messages, 1);

    let mut administered = operator.get_stream(subjects::EVENT_STREAM).await.unwrap();
    administered.purge().await.expect("the operator purges");
    assert_eq!(administered.info().await.unwrap().state.messages, 0);
    operator
        .delete_stream(subjects::EVENT_STREAM)
        .await
        .expect("the operator deletes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_answer_the_roles_that_may_ask_them_and_no_one_else() {
    use async_nats::service::ServiceExt;
    let server = AuthServer::start();
    let connect = |role: Role| client_as(&server, role);
    let ledger = connect(Role::Ledger).await;
    let service = ledger
        .service_builder()
        .start(subjects::LEDGER_SERVICE, "0.0.0")
        .await
        .unwrap();
    let mut reads = service.endpoint(subjects::LEDGER_READ).await.unwrap();
    tokio::spawn(async move {
        while let Some(request) = reads.next().await {
            let _ = request.respond(Ok("page".into())).await;
        }
    });
    ledger.flush().await.unwrap();

    let ask = |client: async_nats::Client, subject: String| async move {
        let request = async_nats::Request::new().timeout(Some(Duration::from_millis(700)));
        client.send_request(subject, request).await
    };
    let projector = connect(Role::Projector).await;
    // The first answer also shows that the endpoint's subscription is in
    // place (it was sent on another connection); the refusals below count
    // only after it.
    let mut answer = None;
    for _ in 0..50 {
        if let Ok(message) = ask(projector.clone(), subjects::LEDGER_READ.into()).await {
            answer = Some(message);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = answer.expect("the projector reads the ledger's log");
    assert_eq!(&answer.payload[..], b"page");
    let operator = connect(Role::Operator).await;
    assert!(
        ask(operator.clone(), subjects::LEDGER_READ.into())
            .await
            .is_ok()
    );
    assert!(
        ask(operator, format!("$SRV.INFO.{}", subjects::LEDGER_SERVICE))
            .await
            .is_ok()
    );

    let gateway = connect(Role::Gateway).await;
    assert!(
        ask(gateway.clone(), subjects::LEDGER_READ.into())
            .await
            .is_ok(),
        "the gateway reads the ledger's log for the verifiable history export"
    );
    assert!(
        ask(
            gateway.clone(),
            format!("$SRV.PING.{}", subjects::LEDGER_SERVICE)
        )
        .await
        .is_err(),
        "the client library answers a ping into any subject: the gateway may not ping"
    );
    assert!(
        ask(gateway, format!("$SRV.INFO.{}", subjects::LEDGER_SERVICE))
            .await
            .is_err()
    );
}

/// A caller names the subject an answer goes to. A service of the
/// registry cannot be made to answer into the event stream or the
/// JetStream API: it refuses a reply subject that is no inbox. Even a
/// bare responder on the ledger's account cannot purge the stream that
/// way: the server lets the ledger publish only where its own
/// permissions allow (deleting the stream for the relay's repair among
/// them, which is why its endpoints check).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_caller_directs_an_answer_into_the_stream_or_its_api() {
    use async_nats::service::ServiceExt;
    let server = AuthServer::start();
    let connect = |role: Role| client_as(&server, role);
    let ledger = connect(Role::Ledger).await;
    let mut stream = efa_runtime::jetstream::ensure_event_stream(&js(&ledger))
        .await
        .unwrap();
    js(&ledger)
        .publish("efa.evt.service.probe", "event 1".into())
        .await
        .unwrap()
        .await
        .unwrap();
    // A registry endpoint (the ledger's read API) ...
    let service = ledger
        .service_builder()
        .start(subjects::LEDGER_SERVICE, "0.0.0")
        .await
        .unwrap();
    let reads = service.endpoint(subjects::LEDGER_READ).await.unwrap();
    let shutdown = efa_runtime::Shutdown::new();
    tokio::spawn(efa_runtime::endpoint::serve(
        reads,
        4,
        shutdown.clone(),
        |_| async { b"page".to_vec() },
    ));
    // ... and a bare responder that answers wherever it is told.
    let mut checkpoints = ledger.subscribe(subjects::LEDGER_CHECKPOINT).await.unwrap();
    let bare = ledger.clone();
    tokio::spawn(async move {
        while let Some(request) = checkpoints.next().await {
            if let Some(reply) = request.reply {
                let _ = bare.publish(reply, "{}".into()).await;
            }
        }
    });
    ledger.flush().await.unwrap();

    let gateway = connect(Role::Gateway).await;
    let mut answered = None;
    for _ in 0..50 {
        let request = async_nats::Request::new().timeout(Some(Duration::from_millis(700)));
        if let Ok(message) = gateway.send_request(subjects::LEDGER_READ, request).await {
            answered = Some(message.payload);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        answered.as_deref(),
        Some(&b"page"[..]),
        "a request from an inbox is answered"
    );
    let purge = "$JS.API.STREAM.PURGE.EFA_EVENTS";
    for (subject, reply) in [
        (subjects::LEDGER_READ, "efa.evt.service.forged"),
        (subjects::LEDGER_READ, purge),
        (subjects::LEDGER_READ, "$JS.API.STREAM.DELETE.EFA_EVENTS"),
        (subjects::LEDGER_CHECKPOINT, purge),
    ] {
        gateway
            .publish_with_reply(subject, reply, "x".into())
            .await
            .unwrap();
    }
    gateway.flush().await.unwrap();
    // The bare responder's answers come back over its own connection in
    // order: one more round trip through it, then the stream is looked at.
    let settle = async_nats::Request::new().timeout(Some(Duration::from_secs(2)));
    let _ = gateway
        .send_request(subjects::LEDGER_CHECKPOINT, settle)
        .await;
    let state = stream.info().await.unwrap().state.clone();
    assert_eq!(
        state.messages, 1,
        "the stream keeps its one event and nothing else"
    );
    shutdown.cancel();
}

/// A client of `server` with `role`'s credential.
async fn client_as(server: &AuthServer, role: Role) -> async_nats::Client {
    let access = NatsAccess::as_role(credentials(server.data.path())[&role].clone());
    efa_runtime::connect_with(&server.nats.url(), role.name(), &access)
        .await
        .unwrap()
}
