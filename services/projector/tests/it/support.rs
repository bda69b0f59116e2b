//! The test's side of the world: a ledger that seals events into a
//! correct hash chain, publishes them to the stream and answers the read
//! API from memory, and helpers to run a projector and ask it things.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream;
use efa_projector::{Projector, ProjectorConfig, ProjectorError};
use efa_proto::{
    Actor, Channel, CommandId, CostModel, Date, Event, EventId, EventRecord, EventsPage, LandCode,
    Query, QueryKind, QueryReply, ReadEvents, ReadReply, Reifegrad, SCHEMA_VERSION, SealedEvent,
    ServiceAnnounced, ServiceId, ServiceStatus, Timestamp, subjects,
};
use efa_runtime::Shutdown;
use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a test waits for anything before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub async fn connect(url: &str) -> async_nats::Client {
    efa_runtime::telemetry::init();
    efa_runtime::connect(url, "projector-test")
        .await
        .expect("connect to the test's nats-server")
}

/// The key the test's ledger signs with (one for every test).
pub fn ledger_key() -> &'static efa_trust::SigningKey {
    static KEY: std::sync::OnceLock<efa_trust::SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| efa_trust::SigningKey::generate("ledger").expect("a valid key id"))
}

/// The ledger as the test plays it: events sealed in order, kept in memory.
#[derive(Debug, Clone, Default)]
pub struct FakeLedger {
    events: Arc<Mutex<Vec<SealedEvent>>>,
}

impl FakeLedger {
    /// How many events are sealed.
    pub fn len(&self) -> usize {
        self.events
            .lock()
            .expect("the ledger lock is never poisoned")
            .len()
    }

    /// Seals the announcement of `service` as the next event.
    pub fn announce(&self, service: &str) -> SealedEvent {
        let record = {
            let events = self
                .events
                .lock()
                .expect("the ledger lock is never poisoned");
            let seq = events.len() as u64 + 1;
            let prev_hash = events.last().map_or([0; 32], |previous| previous.hash);
            announcement(seq, prev_hash, service)
        };
        let sealed = SealedEvent::seal(record);
        self.events
            .lock()
            .expect("the ledger lock is never poisoned")
            .push(sealed.clone());
        sealed
    }

    /// Seals `event` as the next event: effective on `effective`, recorded
    /// `late_days` later, by `actor`, with the stream's next version.
    pub fn record(
        &self,
        effective: &str,
        late_days: i64,
        actor: Actor,
        event: Event,
    ) -> SealedEvent {
        let effective = Date::parse(effective).expect("tests use valid dates");
        let mut events = self
            .events
            .lock()
            .expect("the ledger lock is never poisoned");
        let seq = events.len() as u64 + 1;
        let stream = event.stream();
        let stream_version = events.iter().filter(|e| e.record.stream == stream).count() as u64 + 1;
        let day = i64::from(effective.days_since_epoch()) + late_days;
        let sealed = SealedEvent::seal(EventRecord {
            schema_version: SCHEMA_VERSION,
            seq,
            event_id: EventId(id_bytes(seq)),
            stream,
            stream_version,
            recorded_at: Timestamp::from_micros(day * 86_400_000_000 + 36_000_000_000),
            effective,
            actor,
            command_id: CommandId(id_bytes(seq)),
            prev_hash: events.last().map_or([0; 32], |previous| previous.hash),
            event,
        });
        events.push(sealed.clone());
        sealed
    }

    /// Answers `ReadEvents` on the ledger's read subject from memory, and
    /// counts the requests.
    pub async fn serve_reads(&self, client: &async_nats::Client) -> Arc<Mutex<u32>> {
        let (_, open) = watch::channel(true);
        self.serve_reads_gated(client, open).await
    }

    /// Like `serve_reads`, but each answer waits until `open` is true.
    pub async fn serve_reads_gated(
        &self,
        client: &async_nats::Client,
        open: watch::Receiver<bool>,
    ) -> Arc<Mutex<u32>> {
        self.serve_reads_gated_after(client, 0, open).await
    }

    /// Like `serve_reads_gated`, but the first `free` requests are
    /// answered whatever the gate says.
    pub async fn serve_reads_gated_after(
        &self,
        client: &async_nats::Client,
        free: u32,
        mut open: watch::Receiver<bool>,
    ) -> Arc<Mutex<u32>> {
        let mut requests = client
            .subscribe(subjects::LEDGER_READ)
            .await
            .expect("subscribe to the read subject");
        client.flush().await.expect("flush the subscription");
        let (client, events, count) =
            (client.clone(), self.events.clone(), Arc::new(Mutex::new(0)));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Some(request) = requests.next().await {
                let number = {
                    let mut counter = counter.lock().expect("the counter lock is never poisoned");
                    *counter += 1;
                    *counter
                };
                if number > free && open.wait_for(|open| *open).await.is_err() {
                    return;
                }
                let read: ReadEvents =
                    efa_proto::decode(&request.payload).expect("the projector sends ReadEvents");
                let reply = {
                    let events = events.lock().expect("the ledger lock is never poisoned");
                    let page: Vec<SealedEvent> = events
                        .iter()
                        .filter(|event| event.record.seq >= read.from_seq)
                        .take(read.limit as usize)
                        .cloned()
                        .collect();
                    let checkpoint = page.last().map(|last| {
                        efa_trust::sign_checkpoint(ledger_key(), last.record.seq, &last.hash)
                    });
                    ReadReply::SignedEvents(efa_proto::SignedEventsPage {
                        page: EventsPage {
                            events: page,
                            head_seq: events.len() as u64,
                        },
                        checkpoint,
                    })
                };
                if let Some(inbox) = request.reply {
                    client
                        .publish(inbox, efa_proto::encode(&reply).into())
                        .await
                        .expect("answer the read request");
                }
            }
        });
        count
    }
}

/// `count` events of several kinds, sealed as the next ones: services
/// announced, municipalities registered, Länder joining, adoptions
/// requested and agreed.
pub fn varied_history(ledger: &FakeLedger, count: usize) -> Vec<SealedEvent> {
    let land = |i: usize| LandCode::new(1 + (i % 16) as u8).expect("1 to 16 are Länder");
    let (mut service, mut ags) = (None::<ServiceId>, None::<efa_proto::Ags>);
    let mut events = Vec::with_capacity(count);
    let first = ledger.len();
    for i in first..first + count {
        let event = match (i % 5, service.clone(), ags) {
            (1, _, _) => {
                let next = efa_proto::Ags::try_from(16_000_000 + i as u32).expect("an AGS");
                ags = Some(next);
                Event::GemeindeRegistered {
                    ags: next,
                    name: format!("Gemeinde {i}"),
                    population: None,
                }
            }
            (2, Some(service), _) => Event::LandJoined {
                service,
                land: land(i + 1),
            },
            (3, Some(service), Some(ags)) => Event::AdoptionRequested {
                service,
                ags,
                adoption_no: 1,
                note: String::new(),
            },
            (4, Some(service), Some(ags)) => Event::AdoptionStepRecorded {
                service,
                ags,
                adoption_no: 1,
                stage: efa_proto::AdoptionStage::Agreed,
                note: String::new(),
            },
            _ => {
                let id = format!("dienst-{i}");
                service = Some(ServiceId::parse(&id).expect("a valid slug"));
                announcement_event(&id, land(i))
            }
        };
        events.push(ledger.record("2024-03-01", 0, Actor::Admin, event));
    }
    events
}

/// Publishes every event in order, without waiting for a projector.
pub async fn publish_each(js: &jetstream::Context, events: &[SealedEvent]) {
    for event in events {
        publish(js, event).await;
    }
}

/// Unique 16 bytes per sequence (beyond 255 events too).
fn id_bytes(seq: u64) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&seq.to_be_bytes());
    bytes[15] = 0xee;
    bytes
}

/// Publishes every event in order and waits until `projector` applied
/// the last one.
pub async fn publish_all(js: &jetstream::Context, projector: &mut Running, events: &[SealedEvent]) {
    for event in events {
        publish(js, event).await;
    }
    if let Some(last) = events.last() {
        projector.applied(last.record.seq).await;
    }
}

pub fn announcement(seq: u64, prev_hash: [u8; 32], service: &str) -> EventRecord {
    let lead = LandCode::new(16).expect("16 is Thüringen");
    let event = announcement_event(service, lead);
    EventRecord {
        schema_version: SCHEMA_VERSION,
        seq,
        event_id: EventId([seq as u8; 16]),
        stream: event.stream(),
        stream_version: 1,
        recorded_at: Timestamp::from_micros(1_700_000_000_000_000 + seq as i64),
        effective: Date::from_ymd(2024, 3, 1).expect("a valid date"),
        actor: Actor::Land(lead),
        command_id: CommandId([seq as u8; 16]),
        prev_hash,
        event,
    }
}

/// The announcement of `service` led by `lead`, with equal shares.
pub fn announcement_event(service: &str, lead: LandCode) -> Event {
    let service = ServiceId::parse(service).expect("tests use valid service ids");
    Event::ServiceAnnounced(ServiceAnnounced {
        title: format!("Titel von {service}"),
        service,
        lead,
        ozg_id: None,
        leika: Vec::new(),
        themenfeld: "Familie & Kind".to_owned(),
        provider: "KIV Thüringen".to_owned(),
        channel: Channel::FitStore,
        cost_model: CostModel::EqualShares,
        status: ServiceStatus::Available,
        reifegrad: Reifegrad::new(4).expect("4 is a Reifegrad"),
    })
}

/// Ensures the event stream and returns a JetStream context.
pub async fn event_stream(client: &async_nats::Client) -> jetstream::Context {
    let js = jetstream::new(client.clone());
    efa_runtime::jetstream::ensure_event_stream(&js)
        .await
        .expect("create the event stream");
    js
}

/// Publishes `event` as the ledger does: its subject, `Nats-Msg-Id`, acked.
pub async fn publish(js: &jetstream::Context, event: &SealedEvent) {
    publish_bytes(js, event, efa_proto::encode(event)).await;
}

/// The headers the ledger's relay puts on `event` when it ends a window
/// by itself: its id, and the signed checkpoint of it.
pub fn relay_headers(event: &SealedEvent) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event.record.event_id.to_string().as_str());
    let checkpoint = efa_trust::sign_checkpoint(ledger_key(), event.record.seq, &event.hash);
    headers.insert(
        efa_proto::trust::CHECKPOINT_HEADER,
        checkpoint.to_header_value().as_str(),
    );
    headers
}

/// Publishes `payload` in place of `event` (to put garbage on the stream).
pub async fn publish_bytes(js: &jetstream::Context, event: &SealedEvent, payload: Vec<u8>) {
    let headers = relay_headers(event);
    let subject = subjects::event_subject(&event.record.stream);
    js.publish_with_headers(subject, headers, payload.into())
        .await
        .expect("publish the event")
        .await
        .expect("the stream acknowledges the event");
}

/// A projector running in the background.
pub struct Running {
    pub applied: watch::Receiver<u64>,
    shutdown: Shutdown,
    task: JoinHandle<Result<(), ProjectorError>>,
}

impl Running {
    pub async fn start(
        client: &async_nats::Client,
        data_dir: &Path,
        query_wait_max: Duration,
    ) -> Running {
        let config = ProjectorConfig {
            query_wait_max,
            ..ProjectorConfig::new(data_dir)
        };
        Self::start_with(client, config).await
    }

    /// A projector that fills an empty store `fill_empty_min` or more
    /// events behind the ledger as a rebuild fills one.
    pub async fn start_filling(
        client: &async_nats::Client,
        data_dir: &Path,
        fill_empty_min: u64,
    ) -> Running {
        let config = ProjectorConfig {
            fill_empty_min,
            ..ProjectorConfig::new(data_dir)
        };
        Self::start_with(client, config).await
    }

    pub async fn start_with(client: &async_nats::Client, config: ProjectorConfig) -> Running {
        let data_dir = config.data_dir.clone();
        // The projector pins the test ledger's key, as it would the real
        // ledger's in a shared data dir.
        std::fs::create_dir_all(&data_dir).expect("create the data dir");
        std::fs::write(
            data_dir.join("ledger-public-key.txt"),
            format!("{}\n", ledger_key().public()),
        )
        .expect("pin the test ledger's key");
        let projector = Projector::start(config, client.clone())
            .await
            .expect("start the projector");
        let applied = projector.applied_seq();
        let shutdown = Shutdown::new();
        let task = tokio::spawn(projector.run(shutdown.clone()));
        Running {
            applied,
            shutdown,
            task,
        }
    }

    /// Waits until the projector has applied `seq`.
    pub async fn applied(&mut self, seq: u64) {
        let reached = matches!(
            tokio::time::timeout(PATIENCE, self.applied.wait_for(|applied| *applied >= seq)).await,
            Ok(Ok(_))
        );
        assert!(
            reached,
            "the projector did not reach {seq} (at {})",
            *self.applied.borrow()
        );
    }

    /// Stops the projector and returns what `run` returned.
    pub async fn stop(self) -> Result<(), ProjectorError> {
        self.shutdown.cancel();
        self.finished().await
    }

    /// Waits for `run` to return by itself.
    pub async fn finished(self) -> Result<(), ProjectorError> {
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("run returns in time")
            .expect("run does not panic")
    }
}

pub async fn query(client: &async_nats::Client, min_seq: u64, kind: QueryKind) -> QueryReply {
    efa_runtime::request(client, subjects::QUERY, &Query { min_seq, kind }, PATIENCE)
        .await
        .expect("the projector answers the query")
}

pub async fn catalogue(client: &async_nats::Client, min_seq: u64) -> efa_proto::CatalogueView {
    match query(client, min_seq, QueryKind::Catalogue).await {
        QueryReply::Catalogue(view) => view,
        other => panic!("expected the catalogue, got {other:?}"),
    }
}

pub fn ids(view: &efa_proto::CatalogueView) -> Vec<&str> {
    view.services
        .iter()
        .map(|service| service.id.as_str())
        .collect()
}

/// Publishes `event` once, for callers that retry (a server restarting).
pub async fn try_publish(js: &jetstream::Context, event: &SealedEvent) -> Result<(), String> {
    let headers = relay_headers(event);
    let subject = subjects::event_subject(&event.record.stream);
    let ack = js
        .publish_with_headers(subject, headers, efa_proto::encode(event).into())
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map(drop).map_err(|e| e.to_string())
}
