//! Commands in, replies out: acceptance, idempotency, rejections.

use efa_proto::*;

use crate::{Harness, announce, envelope};

#[tokio::test]
async fn an_announcement_is_stored_relayed_and_replayed_not_repeated() {
    let mut h = Harness::start().await;
    let first = h
        .send(&envelope(
            1,
            "land:04",
            announce("elterngeld-digital", "04"),
        ))
        .await;
    let CommandReply::Accepted(accepted) = first else {
        panic!("rejected: {first:?}")
    };
    assert_eq!(
        (
            accepted.first_seq,
            accepted.last_seq,
            accepted.stream_version
        ),
        (1, 1, 1)
    );
    assert!(!accepted.replayed);

    let again = h
        .send(&envelope(
            1,
            "land:04",
            announce("elterngeld-digital", "04"),
        ))
        .await;
    assert_eq!(
        again,
        CommandReply::Accepted(Accepted {
            replayed: true,
            ..accepted.clone()
        })
    );

    let reused = h
        .send(&envelope(1, "land:04", announce("wohngeld", "04")))
        .await;
    assert_eq!(
        reused,
        CommandReply::Rejected(Rejection::IdempotencyKeyReused)
    );

    let page = h.read(1, 100).await;
    assert_eq!(page.head_seq, 1);
    assert_eq!(page.events.len(), 1);
    let stream = h.stream_messages(1).await;
    assert_eq!(stream, page.events);

    // Idempotency survives a restart.
    h.stop_ledger().await;
    h.start_ledger().await;
    let after_restart = h
        .send(&envelope(
            1,
            "land:04",
            announce("elterngeld-digital", "04"),
        ))
        .await;
    assert_eq!(
        after_restart,
        CommandReply::Accepted(Accepted {
            replayed: true,
            ..accepted
        })
    );
    assert_eq!(h.read(1, 100).await.events.len(), 1);
}

#[tokio::test]
async fn the_ledger_itself_enforces_who_may_announce() {
    let h = Harness::start().await;
    let reply = h
        .send(&envelope(
            2,
            "land:16",
            announce("elterngeld-digital", "04"),
        ))
        .await;
    assert_eq!(
        reply,
        CommandReply::Rejected(Rejection::Forbidden {
            reason: ForbiddenReason::NotOwnLand
        })
    );
    let reply = h
        .send(&envelope(
            3,
            "gemeinde:16051000",
            announce("elterngeld-digital", "04"),
        ))
        .await;
    assert_eq!(
        reply,
        CommandReply::Rejected(Rejection::Forbidden {
            reason: ForbiddenReason::LandOnly
        })
    );
    assert_eq!(
        h.read(1, 100).await.head_seq,
        0,
        "a rejection writes nothing"
    );
}

#[tokio::test]
async fn bad_bytes_get_typed_rejections_and_write_nothing() {
    let h = Harness::start().await;
    let ask = |payload: Vec<u8>| {
        let client = h.client.clone();
        async move {
            let answer = client
                .request(subjects::COMMAND, payload.into())
                .await
                .unwrap();
            decode::<CommandReply>(&answer.payload).unwrap()
        }
    };
    assert!(matches!(
        ask(vec![1, 0xff, 0xff, 0xff]).await,
        CommandReply::Rejected(Rejection::Malformed { .. })
    ));
    assert!(matches!(
        ask(vec![]).await,
        CommandReply::Rejected(Rejection::Malformed { .. })
    ));
    let mut future_schema = encode(&envelope(4, "land:04", announce("abc", "04")));
    future_schema[0] = 9;
    assert_eq!(
        ask(future_schema).await,
        CommandReply::Rejected(Rejection::UnsupportedSchema {
            got: 9,
            supported: SCHEMA_VERSION
        })
    );
    // An id that fails validation inside otherwise well-formed bytes.
    let mut bad_land = encode(&envelope(5, "land:04", announce("abc", "04")));
    let lead_index = find_lead_byte(&bad_land);
    bad_land[lead_index] = 17;
    assert!(matches!(
        ask(bad_land).await,
        CommandReply::Rejected(Rejection::Malformed { .. })
    ));
    assert_eq!(h.read(1, 100).await.head_seq, 0);
}

/// Finds the byte holding the lead Land code in an encoded envelope by
/// encoding the same envelope with two different leads.
fn find_lead_byte(encoded: &[u8]) -> usize {
    let other = encode(&envelope(5, "land:04", announce("abc", "05")));
    encoded
        .iter()
        .zip(&other)
        .position(|(a, b)| a != b)
        .unwrap()
}

#[tokio::test]
async fn expected_versions_detect_conflicts() {
    let h = Harness::start().await;
    let mut stale = envelope(6, "land:04", announce("elterngeld-digital", "04"));
    stale.expected_version = Some(3);
    assert_eq!(
        h.send(&stale).await,
        CommandReply::Rejected(Rejection::Conflict {
            expected: 3,
            actual: 0
        })
    );
    let mut fresh = envelope(7, "land:04", announce("elterngeld-digital", "04"));
    fresh.expected_version = Some(0);
    assert!(matches!(h.send(&fresh).await, CommandReply::Accepted(_)));
}

#[tokio::test]
async fn concurrent_commands_share_commits_and_get_contiguous_sequences() {
    let h = Harness::start().await;
    let sends = (0..200u32).map(|i| {
        let client = h.client.clone();
        let signer = h.signer.clone();
        async move {
            let mut env = envelope(0, "land:16", announce(&format!("dienst-{i}"), "16"));
            env.command_id = CommandId(
                [i.to_be_bytes(), [1; 4], [2; 4], [3; 4]]
                    .concat()
                    .try_into()
                    .unwrap(),
            );
            let reply: CommandReply = efa_runtime::request(
                &client,
                subjects::COMMAND,
                &efa_trust::sign_command(&signer, &env),
                std::time::Duration::from_secs(20),
            )
            .await
            .unwrap();
            reply
        }
    });
    let replies = futures::future::join_all(sends).await;
    let mut seqs: Vec<u64> = replies
        .iter()
        .map(|r| match r {
            CommandReply::Accepted(a) => a.last_seq,
            other => panic!("{other:?}"),
        })
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
    let stream = h.stream_messages(200).await;
    for (i, event) in stream.iter().enumerate() {
        assert_eq!(event.record.seq, i as u64 + 1);
    }
}

/// The trust boundary: a command without a signature, with a signature
/// that does not match, by an unknown key, or by a signer not trusted for
/// its actor is refused with its typed rejection, and nothing is written.
#[tokio::test]
async fn forged_command_envelopes_are_refused_and_write_nothing() {
    let h = Harness::start().await;
    let claim = envelope(1, "land:04", announce("elterngeld", "04"));
    assert_eq!(
        h.send_raw(&claim).await,
        CommandReply::Rejected(Rejection::Unsigned)
    );
    let mut tampered = h.signed(&envelope(2, "land:05", announce("wohngeld", "05")));
    tampered.envelope = encode(&claim);
    assert_eq!(
        h.send_raw(&tampered).await,
        CommandReply::Rejected(Rejection::BadSignature {
            key_id: "gateway".into()
        })
    );
    let mut cut = h.signed(&claim);
    cut.signature.truncate(10);
    assert!(matches!(
        h.send_raw(&cut).await,
        CommandReply::Rejected(Rejection::BadSignature { .. })
    ));
    let stranger = efa_trust::SigningKey::generate("gateway").unwrap();
    assert!(matches!(
        h.send_raw(&efa_trust::sign_command(&stranger, &claim))
            .await,
        CommandReply::Rejected(Rejection::BadSignature { .. })
    ));
    let unknown = efa_trust::SigningKey::generate("intruder").unwrap();
    assert_eq!(
        h.send_raw(&efa_trust::sign_command(&unknown, &claim)).await,
        CommandReply::Rejected(Rejection::UnknownSigner {
            key_id: "intruder".into()
        })
    );
    // An operator key trusted for admin only cannot vouch for a Land; the
    // ledger reads the changed signer list without a restart.
    let operator = efa_trust::ensure_trusted_signer(
        &h.data_dir,
        "operator.key",
        "operator",
        efa_trust::Scope::parse("admin").unwrap(),
    )
    .unwrap();
    let mut reply = CommandReply::Rejected(Rejection::Unsigned);
    for _ in 0..40 {
        reply = h
            .send_raw(&efa_trust::sign_command(&operator, &claim))
            .await;
        if !matches!(
            reply,
            CommandReply::Rejected(Rejection::UnknownSigner { .. })
        ) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        reply,
        CommandReply::Rejected(Rejection::SignerNotAllowed {
            key_id: "operator".into(),
            principal: "land:04".into()
        })
    );
    assert_eq!(h.read(1, 100).await.head_seq, 0, "nothing was written");

    // The gateway's correct signature passes.
    let reply = h.send(&claim).await;
    assert!(matches!(reply, CommandReply::Accepted(_)), "{reply:?}");
    assert_eq!(h.read(1, 100).await.head_seq, 1);
}
