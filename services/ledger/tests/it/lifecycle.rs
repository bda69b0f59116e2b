//! The domain through the real ledger: participants, Beitritt, adoption
//! steps with effective dates, costs, and the rules enforced on the way.

use efa_proto::*;

use crate::Harness;

struct Script<'a> {
    h: &'a Harness,
    next_id: u8,
}

impl Script<'_> {
    async fn send(
        &mut self,
        actor: &str,
        effective: Option<&str>,
        command: Command,
    ) -> CommandReply {
        self.next_id += 1;
        let envelope = CommandEnvelope {
            command_id: CommandId([self.next_id; 16]),
            actor: Actor::parse(actor).unwrap(),
            expected_version: None,
            effective: effective.map(|d| Date::parse(d).unwrap()),
            command,
        };
        self.h.send(&envelope).await
    }

    async fn ok(&mut self, actor: &str, effective: Option<&str>, command: Command) -> Accepted {
        match self.send(actor, effective, command).await {
            CommandReply::Accepted(accepted) => accepted,
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_service_is_joined_adopted_and_costed_through_the_ledger() {
    let h = Harness::start().await;
    let mut s = Script {
        h: &h,
        next_id: 100,
    };
    let service = ServiceId::parse("wohngeld-antrag").unwrap();
    let erfurt = Ags::parse("16051000").unwrap();
    let bremen_city = Ags::parse("04011000").unwrap();
    let kiv = OperatorId::parse("kiv-thueringen").unwrap();

    s.ok(
        "admin",
        None,
        Command::RegisterOperator(RegisterOperator {
            operator: kiv,
            name: "KIV Thüringen".into(),
            region: Region::Land(LandCode::new(16).unwrap()),
        }),
    )
    .await;
    for (ags, name) in [(erfurt, "Erfurt"), (bremen_city, "Bremen")] {
        s.ok(
            "admin",
            None,
            Command::RegisterGemeinde(RegisterGemeinde {
                ags,
                name: name.into(),
                population: None,
            }),
        )
        .await;
    }
    s.ok(
        "land:01",
        Some("2019-12-01"),
        Command::AnnounceService(AnnounceService {
            service: service.clone(),
            title: "Online-Wohngeldantrag".into(),
            lead: LandCode::new(1).unwrap(),
            ozg_id: None,
            leika: vec![],
            themenfeld: "Bauen & Wohnen".into(),
            provider: "Dataport".into(),
            channel: Channel::EfaMarktplatz,
            cost_model: CostModel::KoenigsteinerSchluessel { year: None },
            status: ServiceStatus::Pilot,
            reifegrad: Reifegrad::new(3).unwrap(),
        }),
    )
    .await;
    let joined = s
        .ok(
            "land:16",
            Some("2023-03-01"),
            Command::JoinService(JoinService {
                service: service.clone(),
                land: LandCode::new(16).unwrap(),
            }),
        )
        .await;
    assert_eq!(joined.stream_version, 2);

    s.ok(
        "operator:kiv-thueringen",
        Some("2023-04-01"),
        Command::RequestAdoption(RequestAdoption {
            service: service.clone(),
            ags: erfurt,
            note: String::new(),
        }),
    )
    .await;
    let outside = s
        .send(
            "operator:kiv-thueringen",
            None,
            Command::RequestAdoption(RequestAdoption {
                service: service.clone(),
                ags: bremen_city,
                note: String::new(),
            }),
        )
        .await;
    assert_eq!(
        outside,
        CommandReply::Rejected(Rejection::Forbidden {
            reason: ForbiddenReason::OutsideRegion
        })
    );
    s.ok(
        "gemeinde:16051000",
        Some("2023-09-15"),
        Command::RecordAdoptionStep(RecordAdoptionStep {
            service: service.clone(),
            ags: erfurt,
            stage: AdoptionStage::Live,
            note: "Go-live".into(),
        }),
    )
    .await;
    let back = s
        .send(
            "gemeinde:16051000",
            None,
            Command::RecordAdoptionStep(RecordAdoptionStep {
                service: service.clone(),
                ags: erfurt,
                stage: AdoptionStage::Onboarding,
                note: String::new(),
            }),
        )
        .await;
    assert!(
        matches!(back, CommandReply::Rejected(Rejection::InvalidState { .. })),
        "{back:?}"
    );

    s.ok(
        "land:01",
        None,
        Command::ReportCost(ReportCost {
            service: service.clone(),
            year: 2023,
            category: CostCategory::Operation,
            amount: Cents(48_000_000),
            note: String::new(),
        }),
    )
    .await;
    let not_lead = s
        .send(
            "land:16",
            None,
            Command::ReportCost(ReportCost {
                service: service.clone(),
                year: 2023,
                category: CostCategory::Operation,
                amount: Cents(1),
                note: String::new(),
            }),
        )
        .await;
    assert_eq!(
        not_lead,
        CommandReply::Rejected(Rejection::Forbidden {
            reason: ForbiddenReason::NotLeadLand
        })
    );

    let events = h.read(1, 100).await.events;
    let names: Vec<&str> = events.iter().map(|e| e.record.event.name()).collect();
    assert_eq!(
        names,
        [
            "OperatorRegistered",
            "GemeindeRegistered",
            "GemeindeRegistered",
            "ServiceAnnounced",
            "LandJoined",
            "AdoptionRequested",
            "AdoptionStepRecorded",
            "CostReported"
        ]
    );
    let live = &events[6].record;
    assert_eq!(
        live.effective,
        Date::parse("2023-09-15").unwrap(),
        "the go-live takes effect when it happened"
    );
    assert_eq!(live.stream, StreamId::Adoption(service, erfurt));
    assert_eq!(live.actor, Actor::Gemeinde(erfurt));
    assert!(
        live.recorded_at.date() > live.effective,
        "recorded later than effective"
    );
}
