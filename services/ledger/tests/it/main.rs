//! The ledger over a real nats-server with real sled files.

#![allow(clippy::unwrap_used)] // test harness code: a failed setup step should fail the test loudly

mod cluster;
mod commands;
mod durability;
mod lifecycle;
mod packing;

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::stream::{self, Stream};
use efa_ledger::{Ledger, LedgerConfig};
use efa_proto::*;
use efa_runtime::Shutdown;
use efa_testkit::TestNats;

#[derive(Debug)]
pub struct Harness {
    pub nats: TestNats,
    pub client: async_nats::Client,
    pub data_dir: PathBuf,
    /// A signer the ledger trusts for any principal, as a gateway.
    pub signer: std::sync::Arc<efa_trust::SigningKey>,
    running: Option<(Shutdown, tokio::task::JoinHandle<()>)>,
}

impl Harness {
    pub async fn start() -> Self {
        efa_runtime::telemetry::init();
        let nats = TestNats::start();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let data_dir = nats.scratch_dir("ledger-data");
        let signer = efa_trust::ensure_trusted_signer(
            &data_dir,
            "gateway.key",
            "gateway",
            efa_trust::Scope::Any,
        )
        .unwrap();
        let mut harness = Self {
            nats,
            client,
            data_dir,
            signer: std::sync::Arc::new(signer),
            running: None,
        };
        harness.start_ledger().await;
        harness
    }

    pub async fn start_ledger(&mut self) {
        let client = async_nats::connect(self.nats.url()).await.unwrap();
        let ledger = Ledger::start(
            LedgerConfig {
                data_dir: self.data_dir.clone(),
                cluster: None,
            },
            client,
        )
        .await
        .unwrap();
        let shutdown = Shutdown::new();
        let task = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { ledger.run(shutdown).await.unwrap() }
        });
        self.running = Some((shutdown, task));
        // The endpoints subscribe inside `run`; wait until they answer.
        for _ in 0..100 {
            if self
                .client
                .request("$SRV.PING.efa-ledger", "".into())
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("ledger did not come up");
    }

    pub async fn stop_ledger(&mut self) {
        if let Some((shutdown, task)) = self.running.take() {
            shutdown.cancel();
            task.await.unwrap();
        }
    }

    pub fn signed(&self, envelope: &CommandEnvelope) -> SignedCommand {
        efa_trust::sign_command(&self.signer, envelope)
    }

    pub async fn send(&self, envelope: &CommandEnvelope) -> CommandReply {
        self.send_raw(&self.signed(envelope)).await
    }

    /// Sends any message on the command subject.
    pub async fn send_raw<T: serde::Serialize>(&self, message: &T) -> CommandReply {
        efa_runtime::request(
            &self.client,
            subjects::COMMAND,
            message,
            Duration::from_secs(10),
        )
        .await
        .unwrap()
    }

    pub async fn read(&self, from_seq: u64, limit: u32) -> EventsPage {
        let reply: ReadReply = efa_runtime::request(
            &self.client,
            subjects::LEDGER_READ,
            &ReadEvents { from_seq, limit },
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        match reply {
            ReadReply::SignedEvents(signed) => {
                let key = efa_trust::PublicKey::parse(
                    &std::fs::read_to_string(self.data_dir.join("ledger-public-key.txt")).unwrap(),
                )
                .unwrap();
                let first = signed.page.events.first();
                let prev = first.map_or(0, |e| e.record.seq - 1);
                let prev_hash = first.map_or([0; 32], |e| e.record.prev_hash);
                efa_trust::verify_chain(
                    &key,
                    prev,
                    &prev_hash,
                    &signed.page.events,
                    signed.checkpoint.as_ref(),
                )
                .unwrap();
                signed.page
            }
            other => panic!("read answered {other:?}"),
        }
    }

    /// Announces services `dienst-<n>` for each `n`, by Land 04, each
    /// accepted.
    pub async fn announce_services(&self, numbers: std::ops::RangeInclusive<u64>) {
        for n in numbers {
            let id = u8::try_from(n).expect("a command id byte");
            let reply = self
                .send(&envelope(
                    id,
                    "land:04",
                    announce(&format!("dienst-{n}"), "04"),
                ))
                .await;
            assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
        }
    }

    /// The event stream and its state, if it can be read (the relay may be
    /// deleting and creating it meanwhile).
    pub async fn stream_info(&self) -> Option<(Stream, stream::Info)> {
        let js = async_nats::jetstream::new(self.client.clone());
        let mut stream = js.get_stream(subjects::EVENT_STREAM).await.ok()?;
        let info = stream.info().await.ok()?.clone();
        Some((stream, info))
    }

    /// Waits until the stream's last message is ledger event `last_seq`.
    pub async fn stream_reaching(&self, last_seq: u64) -> (Stream, stream::Info) {
        for _ in 0..1_500 {
            if let Some((stream, info)) = self.stream_info().await
                && info.state.last_sequence == last_seq
            {
                return (stream, info);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the stream never reached ledger event {last_seq}");
    }

    /// Puts a stream of `config` in place of the event stream (with the
    /// ledger stopped, as an operator or an earlier version would).
    pub async fn replace_stream(&self, config: stream::Config) {
        let js = async_nats::jetstream::new(self.client.clone());
        js.delete_stream(subjects::EVENT_STREAM).await.unwrap();
        js.create_stream(config).await.unwrap();
    }

    /// Waits until the JetStream stream holds `count` messages.
    pub async fn stream_messages(&self, count: u64) -> Vec<SealedEvent> {
        let js = async_nats::jetstream::new(self.client.clone());
        for _ in 0..500 {
            if let Ok(mut stream) = js.get_stream(subjects::EVENT_STREAM).await
                && stream.info().await.unwrap().state.messages >= count
            {
                let mut events = Vec::new();
                for seq in 1..=count {
                    let message = stream.get_raw_message(seq).await.unwrap();
                    events.push(decode::<SealedEvent>(&message.payload).unwrap());
                }
                return events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the stream never reached {count} messages");
    }
}

/// A ledger key for tests that run a writer without a data dir's key.
pub fn test_key() -> std::sync::Arc<efa_trust::SigningKey> {
    std::sync::Arc::new(efa_trust::SigningKey::generate("ledger").unwrap())
}

pub fn announce(id: &str, lead: &str) -> AnnounceService {
    AnnounceService {
        service: ServiceId::parse(id).unwrap(),
        title: format!("Dienst {id}"),
        lead: LandCode::parse(lead).unwrap(),
        ozg_id: None,
        leika: vec![],
        themenfeld: "Familie & Kind".into(),
        provider: "Dataport".into(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::EqualShares,
        status: ServiceStatus::Planned,
        reifegrad: Reifegrad::new(1).unwrap(),
    }
}

/// Land 04's announcement of `dienst-<n>`, under a command id of its own
/// for every `n` (for histories longer than `envelope`'s 256 ids).
pub fn numbered_announcement(n: u32) -> CommandEnvelope {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    CommandEnvelope {
        command_id: CommandId(id),
        actor: Actor::parse("land:04").unwrap(),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(announce(&format!("dienst-{n}"), "04")),
    }
}

pub fn envelope(n: u8, actor: &str, cmd: AnnounceService) -> CommandEnvelope {
    CommandEnvelope {
        command_id: CommandId([n; 16]),
        actor: Actor::parse(actor).unwrap(),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(cmd),
    }
}
