//! Kill the ledger with SIGKILL right after it acknowledged a command:
//! the event is on disk, the chain verifies, the projector shows it.

use std::time::Duration;

use efa_proto::*;
use efa_testkit::TestNats;

use crate::{efa, spawn_service, wait_for_service};

fn announcement() -> CommandEnvelope {
    CommandEnvelope {
        command_id: CommandId([42; 16]),
        actor: Actor::parse("land:09").unwrap(),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(AnnounceService {
            service: ServiceId::parse("ummeldung-digital").unwrap(),
            title: "Ummeldung digital".into(),
            lead: LandCode::parse("09").unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Ein- & Auswanderung".into(),
            provider: "AKDB".into(),
            channel: Channel::FitStore,
            cost_model: CostModel::Population,
            status: ServiceStatus::Pilot,
            reifegrad: Reifegrad::new(3).unwrap(),
        }),
    }
}

#[tokio::test]
async fn an_acknowledged_event_survives_sigkill_of_the_ledger() {
    let nats = TestNats::start();
    let data_dir = nats.scratch_dir("data");
    let data = data_dir.to_str().unwrap();
    let url = nats.url();
    let client = async_nats::connect(&url).await.unwrap();

    let mut ledger = spawn_service("ledger", &url, &data_dir);
    wait_for_service(&client, "efa-ledger").await;
    let reply: CommandReply = efa_runtime::request(
        &client,
        subjects::COMMAND,
        &crate::signed(&announcement()),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    ledger.0.kill().unwrap(); // SIGKILL, the moment the answer is in
    ledger.0.wait().unwrap();
    let CommandReply::Accepted(accepted) = reply else {
        panic!("{reply:?}")
    };

    let verify = efa(&["verify", "--data-dir", data]).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("1 Ereignisse"));

    let _ledger = spawn_service("ledger", &url, &data_dir);
    wait_for_service(&client, "efa-ledger").await;
    let again: CommandReply = efa_runtime::request(
        &client,
        subjects::COMMAND,
        &crate::signed(&announcement()),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!(
        again,
        CommandReply::Accepted(Accepted {
            replayed: true,
            ..accepted.clone()
        })
    );

    let _projector = spawn_service("projector", &url, &data_dir);
    wait_for_service(&client, "efa-projector").await;
    let query = Query {
        min_seq: accepted.last_seq,
        kind: QueryKind::Catalogue,
    };
    let reply: QueryReply =
        efa_runtime::request(&client, subjects::QUERY, &query, Duration::from_secs(10))
            .await
            .unwrap();
    let QueryReply::Catalogue(view) = reply else {
        panic!("{reply:?}")
    };
    let ids: Vec<&str> = view.services.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["ummeldung-digital"]);
}

#[tokio::test]
async fn verify_passes_a_healthy_chain_and_refuses_a_directory_without_a_ledger() {
    let nats = TestNats::start();
    let data_dir = nats.scratch_dir("data");
    let data = data_dir.to_str().unwrap();
    let url = nats.url();
    let client = async_nats::connect(&url).await.unwrap();
    {
        let _ledger = spawn_service("ledger", &url, &data_dir);
        wait_for_service(&client, "efa-ledger").await;
        let reply: CommandReply = efa_runtime::request(
            &client,
            subjects::COMMAND,
            &crate::signed(&announcement()),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert!(matches!(reply, CommandReply::Accepted(_)));
    }
    let db_file = data_dir.join("ledger/db");
    assert!(db_file.exists());
    let healthy = efa(&["verify", "--data-dir", data]).output().unwrap();
    assert!(healthy.status.success());

    let nowhere = nats.scratch_dir("empty").join("nonexistent");
    let missing = efa(&["verify", "--data-dir", nowhere.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        !missing.status.success(),
        "a directory without a ledger is no chain to verify"
    );
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("kein Ledger") && stderr.contains(nowhere.to_str().unwrap()),
        "{stderr}"
    );
    assert!(!nowhere.exists(), "verify created {}", nowhere.display());
}

#[tokio::test]
async fn verify_passes_a_ledger_without_events() {
    let nats = TestNats::start();
    let data_dir = nats.scratch_dir("data");
    let url = nats.url();
    let client = async_nats::connect(&url).await.unwrap();
    {
        let _ledger = spawn_service("ledger", &url, &data_dir);
        wait_for_service(&client, "efa-ledger").await;
    }
    let empty = efa(&["verify", "--data-dir", data_dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        empty.status.success(),
        "an empty ledger is a valid, empty chain: {}",
        String::from_utf8_lossy(&empty.stderr)
    );
    assert!(String::from_utf8_lossy(&empty.stdout).contains("0 Ereignisse"));
}
