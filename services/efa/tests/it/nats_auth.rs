//! The services run alone against a nats-server that admits only the
//! registry's credentials: each takes its seed by flag, by environment
//! variable or from its data directory, refuses a seed file others may
//! read, and the administration tools (`efa rebuild`, `efa import`) get
//! in only as the operator.

use std::path::Path;
use std::process::Stdio;

use efa_runtime::auth::{Role, credential};

use crate::{ChildGuard, authenticated_nats, efa, operator_client, wait_for_service};

fn seed_file(data: &Path, role: Role) -> String {
    credential::path_in(data, role).to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_alone_takes_its_credential_by_flag_environment_or_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nats = authenticated_nats(&data);
    let url = nats.url();
    let client = operator_client(&url, &data).await;
    let elsewhere = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    // The administration's signing key for the import below (`efa up`
    // makes it; here the test does), trusted by the ledger on its host.
    crate::trust_test_signers(&data);
    let ledger_host = dir.path().join("ledger-host");
    std::fs::create_dir_all(&ledger_host).unwrap();
    std::fs::copy(
        data.join(efa_trust::TRUSTED_SIGNERS_FILE),
        ledger_host.join(efa_trust::TRUSTED_SIGNERS_FILE),
    )
    .unwrap();

    let by_flag = ChildGuard(
        efa(&[
            "projector",
            "--nats-url",
            &url,
            "--data-dir",
            &elsewhere("projector-host"),
            "--nats-nkey-file",
            &seed_file(&data, Role::Projector),
        ])
        .spawn()
        .unwrap(),
    );
    wait_for_service(&client, "efa-projector").await;
    drop(by_flag);

    let seed = std::fs::read_to_string(credential::path_in(&data, Role::Ledger)).unwrap();
    let _by_environment = ChildGuard(
        efa(&[
            "ledger",
            "--nats-url",
            &url,
            "--data-dir",
            &elsewhere("ledger-host"),
        ])
        .env("EFA_NATS_NKEY", seed.trim())
        .spawn()
        .unwrap(),
    );
    wait_for_service(&client, "efa-ledger").await;

    // From the data directory, as `efa up` and the systemd units find it.
    let _from_data_dir = ChildGuard(
        efa(&[
            "projector",
            "--nats-url",
            &url,
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .spawn()
        .unwrap(),
    );
    wait_for_service(&client, "efa-projector").await;

    let rebuilt = efa(&[
        "rebuild",
        "--nats-url",
        &url,
        "--data-dir",
        data.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        rebuilt.status.success(),
        "the operator rebuilds: {}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    let anonymous = efa(&[
        "rebuild",
        "--nats-url",
        &url,
        "--data-dir",
        &elsewhere("nobody"),
    ])
    .env("RUST_LOG", "off")
    .output()
    .unwrap();
    assert!(
        !anonymous.status.success(),
        "an anonymous rebuild is refused"
    );
    assert!(
        String::from_utf8_lossy(&anonymous.stderr).contains("Zugang wurde abgewiesen"),
        "{}",
        String::from_utf8_lossy(&anonymous.stderr)
    );

    let participants = dir.path().join("teilnehmer.csv");
    std::fs::write(
        &participants,
        "schluessel;name;einwohner;stichtag\n16068;Sömmerda;69655;2018-12-31\n",
    )
    .unwrap();
    let import = |data_dir: &str| {
        efa(&[
            "import",
            "participants",
            participants.to_str().unwrap(),
            "--nats-url",
            &url,
            "--data-dir",
            data_dir,
        ])
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
    };
    let refused = import(&elsewhere("nobody"));
    assert!(!refused.status.success(), "an anonymous import is refused");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Zugang wurde abgewiesen"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let imported = import(data.to_str().unwrap());
    assert!(
        imported.status.success(),
        "the operator imports: {}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(String::from_utf8_lossy(&imported.stdout).contains("1 geschrieben"));
}

#[test]
fn a_seed_file_others_may_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("ledger.nk");
    let init = efa(&["nats", "init", "--data-dir", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(init.status.success());
    std::fs::copy(credential::path_in(dir.path(), Role::Ledger), &seed).unwrap();
    std::fs::set_permissions(&seed, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = efa(&[
        "ledger",
        "--nats-url",
        "nats://127.0.0.1:1",
        "--data-dir",
        dir.path().join("ledger").to_str().unwrap(),
        "--nats-nkey-file",
        seed.to_str().unwrap(),
    ])
    .stdout(Stdio::null())
    .output()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

/// An announcement of service `name` under command id `n`.
fn announcement(n: u8, name: &str) -> efa_proto::CommandEnvelope {
    use efa_proto::*;
    CommandEnvelope {
        command_id: CommandId([n; 16]),
        actor: Actor::parse("land:09").unwrap(),
        expected_version: None,
        effective: None,
        command: Command::AnnounceService(AnnounceService {
            service: ServiceId::parse(name).unwrap(),
            title: format!("Dienst {n}"),
            lead: LandCode::parse("09").unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Test".into(),
            provider: "AKDB".into(),
            channel: Channel::FitStore,
            cost_model: CostModel::Population,
            status: ServiceStatus::Pilot,
            reifegrad: Reifegrad::new(3).unwrap(),
        }),
    }
}

/// Under the permissions `efa nats init` writes, the relay repairs an
/// event stream that disagrees with the ledger: a message the ledger did
/// not relay at the sequence of its next event (published here with the
/// ledger's credential, as a second ledger process on a stale copy of its
/// data would) is found, the stream is recreated from there, and the
/// ledger's own event takes that sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_repairs_a_disagreeing_stream_under_the_ledgers_permissions() {
    use efa_proto::{CommandReply, SealedEvent, subjects};
    use efa_runtime::auth::Credential;
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let nats = authenticated_nats(&data);
    let url = nats.url();
    crate::trust_test_signers(&data);
    let operator = operator_client(&url, &data).await;
    let _ledger = crate::spawn_service("ledger", &url, &data);
    wait_for_service(&operator, "efa-ledger").await;
    let send = |n: u8, name: &'static str| {
        let operator = operator.clone();
        async move {
            let reply: CommandReply = efa_runtime::request(
                &operator,
                subjects::COMMAND,
                &crate::signed(&announcement(n, name)),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
            assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
        }
    };
    send(1, "dienst-eins").await;
    let js = async_nats::jetstream::new(operator.clone());
    let at = |seq: u64| {
        let js = js.clone();
        async move {
            let stream = js.get_stream(subjects::EVENT_STREAM).await.ok()?;
            let message = stream.get_raw_message(seq).await.ok()?;
            Some(message.payload)
        }
    };
    for _ in 0..500 {
        if at(1).await.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let credential = Credential::from_data_dir(&data, Role::Ledger)
        .unwrap()
        .unwrap();
    let stale = efa_runtime::connect_with(
        &url,
        "stale-ledger",
        &efa_runtime::NatsAccess::as_role(credential),
    )
    .await
    .unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "fremd");
    async_nats::jetstream::new(stale)
        .publish_with_headers("efa.evt.service.dienst-zwei", headers, "fremd".into())
        .await
        .unwrap()
        .await
        .expect("the stale process writes at sequence 2");

    send(2, "dienst-zwei").await;
    for _ in 0..500 {
        let own = at(2)
            .await
            .and_then(|payload| efa_proto::decode::<SealedEvent>(&payload).ok());
        if own.is_some_and(|event| event.record.seq == 2) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the stream still holds the foreign message at sequence 2");
}
