//! What one event does to the facts of its stream: given the facts before
//! (`None` for a stream not seen yet) and the event's record, the facts
//! after. Pure, so the rules of the read model are tested as data; the
//! applier reads the facts before and writes the facts after in one batch.
//!
//! Nothing is overwritten that a date in the past could still need: every
//! change is appended with its effective date and sequence.

use efa_proto::{
    AdoptionStage, Ags, Event, EventRecord, ParticipationChange, ServiceAnnounced, ServiceId,
};

use crate::facts::{
    AdoptionFacts, At, ClosingFact, CorrectionFact, CostLineFact, Details, Facts, GemeindeFacts,
    KeyFacts, KreisFacts, OperatorFacts, ParticipationCorrectionFact, ParticipationFact,
    PopulationFacts, ServiceFacts, StepFact,
};

/// The stream whose facts an event of `stream` changes: a service's
/// closed years are kept with the service's facts, under one key, so that
/// a batch holding both sees one entry.
pub fn facts_stream(stream: efa_proto::StreamId) -> efa_proto::StreamId {
    match stream {
        efa_proto::StreamId::Settlement(id) => efa_proto::StreamId::Service(id),
        other => other,
    }
}

/// The facts of the event's stream after `record`; `None` when the stream
/// has no facts (an event about something never announced or registered).
pub fn evolve(before: Option<Facts>, record: &EventRecord) -> Option<Facts> {
    if let Some(mut created) = created(record) {
        // An announcement of a service the stream already has (which the
        // domain refuses) replaces its facts, but not the events they
        // came from: the facts as recorded before it evolve from those.
        if let (Facts::Service(service), Some(Facts::Service(before))) = (&mut created, before) {
            service.event_seqs =
                [before.event_seqs, std::mem::take(&mut service.event_seqs)].concat();
        }
        return Some(created);
    }
    match (&record.event, before) {
        (_, Some(Facts::Service(mut service))) => {
            service_event(&mut service, record);
            service.event_seqs.push(record.seq);
            Some(Facts::Service(service))
        }
        (_, Some(Facts::Gemeinde(mut gemeinde))) => {
            gemeinde_event(&mut gemeinde, record);
            Some(Facts::Gemeinde(gemeinde))
        }
        (event, Some(Facts::Adoption(adoption))) => {
            Some(Facts::Adoption(adoption_step(adoption, event, record)))
        }
        (
            event @ (Event::AdoptionRequested { service, ags, .. }
            | Event::AdoptionStepRecorded { service, ags, .. }
            | Event::AdoptionWithdrawn { service, ags, .. }),
            None,
        ) => {
            let empty = AdoptionFacts {
                service: service.clone(),
                ags: *ags,
                steps: Vec::new(),
            };
            Some(Facts::Adoption(adoption_step(empty, event, record)))
        }
        (_, before) => before,
    }
}

/// The facts an announcement, registration or publication starts (they
/// replace whatever the stream had).
fn created(record: &EventRecord) -> Option<Facts> {
    let at = At::of(record);
    Some(match &record.event {
        Event::ServiceAnnounced(announced) => Facts::Service(Box::new(announce(announced, record))),
        Event::GemeindeRegistered {
            ags,
            name,
            population,
        } => Facts::Gemeinde(GemeindeFacts {
            ags: *ags,
            registered: at,
            name: name.clone(),
            population: *population,
            renames: Vec::new(),
            merged: None,
            retired: None,
        }),
        Event::KreisRegistered {
            key,
            name,
            population,
        } => Facts::Kreis(KreisFacts {
            key: *key,
            registered: at,
            name: name.clone(),
            population: *population,
        }),
        Event::OperatorRegistered {
            operator,
            name,
            region,
        } => Facts::Operator(OperatorFacts {
            id: operator.clone(),
            registered: at,
            name: name.clone(),
            region: region.clone(),
        }),
        Event::AllocationKeyPublished { year, shares } => Facts::Key(KeyFacts {
            year: *year,
            at,
            shares: shares.clone(),
        }),
        Event::PopulationPublished {
            reference_date,
            figures,
        } => Facts::Population(PopulationFacts {
            reference_date: *reference_date,
            at,
            figures: figures.clone(),
        }),
        _ => return None,
    })
}

fn announce(announced: &ServiceAnnounced, record: &EventRecord) -> ServiceFacts {
    let at = At::of(record);
    ServiceFacts {
        id: announced.service.clone(),
        lead: announced.lead,
        announced: at,
        recorded_at: record.recorded_at,
        details: Details {
            title: announced.title.clone(),
            ozg_id: announced.ozg_id.clone(),
            leika: announced.leika.clone(),
            themenfeld: announced.themenfeld.clone(),
            provider: announced.provider.clone(),
            channel: announced.channel,
            cost_model: announced.cost_model.clone(),
        },
        status: announced.status,
        reifegrad: announced.reifegrad,
        detail_updates: Vec::new(),
        status_changes: Vec::new(),
        assessments: Vec::new(),
        retired: None,
        participations: vec![ParticipationFact {
            land: announced.lead,
            joined: record.effective,
            left: None,
            joined_seq: record.seq,
        }],
        costs: Vec::new(),
        closings: Vec::new(),
        participation_corrections: Vec::new(),
        stream_version: record.stream_version,
        event_seqs: vec![record.seq],
    }
}

fn service_event(service: &mut ServiceFacts, record: &EventRecord) {
    let at = At::of(record);
    if let efa_proto::StreamId::Service(_) = record.stream {
        service.stream_version = record.stream_version;
    }
    match &record.event {
        Event::YearClosed {
            year, settlement, ..
        } => service.closings.push(ClosingFact {
            year: *year,
            settlement: settlement.clone(),
            at,
            recorded_at: record.recorded_at,
            actor: record.actor.clone(),
        }),
        Event::ParticipationCorrected {
            land,
            change,
            reason,
            ..
        } => {
            match change {
                ParticipationChange::Join => join(service, *land, record),
                ParticipationChange::Leave => leave(service, *land, record),
            }
            let correction = (*land, *change, reason.clone());
            push_correction(service, correction, at, None);
        }
        Event::ParticipationMoved {
            land,
            change,
            from,
            reason,
            ..
        } => {
            match change {
                ParticipationChange::Join => move_join(service, *land, record),
                ParticipationChange::Leave => move_leave(service, *land, record),
            }
            let correction = (*land, *change, reason.clone());
            push_correction(service, correction, at, Some(*from));
        }
        Event::ServiceDetailsUpdated(u) => service.detail_updates.push((
            at,
            Details {
                title: u.title.clone(),
                ozg_id: u.ozg_id.clone(),
                leika: u.leika.clone(),
                themenfeld: u.themenfeld.clone(),
                provider: u.provider.clone(),
                channel: u.channel,
                cost_model: u.cost_model.clone(),
            },
        )),
        Event::ServiceStatusChanged { to, .. } => service.status_changes.push((at, *to)),
        Event::ReifegradAssessed { reifegrad, .. } => service.assessments.push((at, *reifegrad)),
        Event::ServiceRetired { reason, .. } => {
            // As the domain does: retiring ends every open participation.
            for open in service
                .participations
                .iter_mut()
                .filter(|p| p.left.is_none())
            {
                open.left = Some(record.effective.max(open.joined));
            }
            service.retired = Some((at, reason.clone()));
        }
        Event::LandJoined { land, .. } => join(service, *land, record),
        Event::LandLeft { land, .. } => leave(service, *land, record),
        Event::CostReported(_) | Event::CostCorrected { .. } => cost_event(service, record),
        _ => {}
    }
}

fn join(service: &mut ServiceFacts, land: efa_proto::LandCode, record: &EventRecord) {
    service.participations.push(ParticipationFact {
        land,
        joined: record.effective,
        left: None,
        joined_seq: record.seq,
    });
}

/// Keeps a participation correction: its Land, change and reason, when,
/// and the date it moved, if it moved one.
fn push_correction(
    service: &mut ServiceFacts,
    (land, change, reason): (efa_proto::LandCode, ParticipationChange, String),
    at: At,
    previous: Option<efa_proto::Date>,
) {
    service
        .participation_corrections
        .push(ParticipationCorrectionFact {
            land,
            change,
            reason,
            at,
            previous,
        });
}

/// A moved Beitritt: the last participation of `land` (open, or ended by
/// the service's retirement) begins on the effective date.
fn move_join(service: &mut ServiceFacts, land: efa_proto::LandCode, record: &EventRecord) {
    let last = service
        .participations
        .iter_mut()
        .rev()
        .find(|p| p.land == land);
    if let Some(last) = last {
        last.joined = record.effective;
        if let Some(left) = last.left {
            last.left = Some(left.max(last.joined));
        }
    }
}

/// A moved Austritt: the last participation of `land`, which has ended,
/// ends on the effective date.
fn move_leave(service: &mut ServiceFacts, land: efa_proto::LandCode, record: &EventRecord) {
    let last = service
        .participations
        .iter_mut()
        .rev()
        .find(|p| p.land == land);
    if let Some(last) = last.filter(|last| last.left.is_some()) {
        last.left = Some(record.effective.max(last.joined));
    }
}

/// The participation of `land` that has not ended, if any.
fn open_of(
    service: &mut ServiceFacts,
    land: efa_proto::LandCode,
) -> Option<&mut ParticipationFact> {
    service
        .participations
        .iter_mut()
        .rev()
        .find(|p| p.land == land && p.left.is_none())
}

fn leave(service: &mut ServiceFacts, land: efa_proto::LandCode, record: &EventRecord) {
    if let Some(open) = open_of(service, land) {
        open.left = Some(record.effective.max(open.joined));
    }
}

/// A cost line reported (replacing a line of the same number) or corrected.
fn cost_event(service: &mut ServiceFacts, record: &EventRecord) {
    let at = At::of(record);
    match &record.event {
        Event::CostReported(reported) => {
            service
                .costs
                .retain(|line| line.cost_no != reported.cost_no);
            service.costs.push(CostLineFact {
                cost_no: reported.cost_no,
                year: reported.year,
                category: reported.category,
                reported: reported.amount,
                note: reported.note.clone(),
                at,
                corrections: Vec::new(),
            });
            service.costs.sort_by_key(|line| line.cost_no);
        }
        Event::CostCorrected {
            cost_no,
            amount,
            reason,
            ..
        } => {
            if let Some(line) = service.costs.iter_mut().find(|l| l.cost_no == *cost_no) {
                line.corrections.push(CorrectionFact {
                    amount: *amount,
                    at,
                    reason: reason.clone(),
                });
            }
        }
        _ => {}
    }
}

fn gemeinde_event(gemeinde: &mut GemeindeFacts, record: &EventRecord) {
    let at = At::of(record);
    match &record.event {
        Event::GemeindeRenamed { name, .. } => gemeinde.renames.push((at, name.clone())),
        Event::GemeindeMerged { successor, .. } => gemeinde.merged = Some((at, *successor)),
        Event::GemeindeRetired { .. } => gemeinde.retired = Some(at),
        _ => {}
    }
}

fn adoption_step(
    mut adoption: AdoptionFacts,
    event: &Event,
    record: &EventRecord,
) -> AdoptionFacts {
    let step = |adoption_no: &u32, stage: AdoptionStage, note: &String| StepFact {
        adoption_no: *adoption_no,
        stage,
        at: At::of(record),
        recorded_at: record.recorded_at,
        actor: record.actor.clone(),
        note: note.clone(),
    };
    let new = match event {
        Event::AdoptionRequested {
            adoption_no, note, ..
        } => step(adoption_no, AdoptionStage::Requested, note),
        Event::AdoptionStepRecorded {
            adoption_no,
            stage,
            note,
            ..
        } => step(adoption_no, *stage, note),
        Event::AdoptionWithdrawn {
            adoption_no, note, ..
        } => step(adoption_no, AdoptionStage::Withdrawn, note),
        _ => return adoption,
    };
    adoption.steps.push(new);
    adoption
}

/// Where an event shows in the history of services and municipalities
/// (besides the list of all events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLinks {
    pub services: Vec<ServiceId>,
    pub gemeinden: Vec<Ags>,
    /// An adoption of this service by this municipality (for lookups by AGS).
    pub adoption: Option<(Ags, ServiceId)>,
}

/// The services and municipalities whose history `event` belongs to: its
/// own stream, both sides of an adoption, and the successor of a merger.
pub fn history_links(event: &Event) -> HistoryLinks {
    let mut links = HistoryLinks {
        services: Vec::new(),
        gemeinden: Vec::new(),
        adoption: None,
    };
    match event.stream() {
        efa_proto::StreamId::Service(id) | efa_proto::StreamId::Settlement(id) => {
            links.services.push(id)
        }
        efa_proto::StreamId::Gemeinde(ags) => links.gemeinden.push(ags),
        efa_proto::StreamId::Adoption(service, ags) => {
            links.services.push(service.clone());
            links.gemeinden.push(ags);
            links.adoption = Some((ags, service));
        }
        _ => {}
    }
    if let Event::GemeindeMerged { successor, .. } = event {
        links.gemeinden.push(*successor);
    }
    links
}

#[cfg(test)]
mod tests {
    use efa_proto::{Cents, CostCategory, CostReported, LandCode, ServiceStatus};

    use super::*;
    use crate::testing::{Ledger, ags, announce_by, date, land, service_id};

    fn replay(ledger: &Ledger) -> Vec<Option<Facts>> {
        // One slot per stream, in order of appearance: enough for tests.
        let mut streams: Vec<(efa_proto::StreamId, Option<Facts>)> = Vec::new();
        for sealed in ledger.events() {
            let stream = sealed.record.event.stream();
            let slot = match streams.iter().position(|(s, _)| *s == stream) {
                Some(index) => index,
                None => {
                    streams.push((stream, None));
                    streams.len() - 1
                }
            };
            let before = streams[slot].1.take();
            streams[slot].1 = evolve(before, &sealed.record);
        }
        streams.into_iter().map(|(_, facts)| facts).collect()
    }

    #[test]
    fn a_service_keeps_every_change_with_its_date() {
        let mut ledger = Ledger::default();
        ledger.push("2019-12-01", announce_by("aaa-service", 1));
        ledger.push(
            "2023-07-01",
            Event::LandJoined {
                service: service_id("aaa-service"),
                land: land(16),
            },
        );
        ledger.push(
            "2023-03-01",
            Event::ServiceStatusChanged {
                service: service_id("aaa-service"),
                from: ServiceStatus::Pilot,
                to: ServiceStatus::Available,
            },
        );
        ledger.push(
            "2024-01-01",
            Event::CostReported(CostReported {
                service: service_id("aaa-service"),
                cost_no: 1,
                year: 2023,
                category: CostCategory::Development,
                amount: Cents(100),
                note: String::new(),
            }),
        );
        ledger.push(
            "2024-02-01",
            Event::CostCorrected {
                service: service_id("aaa-service"),
                cost_no: 1,
                amount: Cents(90),
                reason: "Tippfehler".to_owned(),
            },
        );
        ledger.push(
            "2025-01-01",
            Event::ServiceRetired {
                service: service_id("aaa-service"),
                reason: "ersetzt".to_owned(),
            },
        );
        let Some(Some(Facts::Service(service))) = replay(&ledger).pop() else {
            panic!("expected service facts");
        };
        assert_eq!(service.announced.effective, date("2019-12-01"));
        assert_eq!(service.status_changes.len(), 1);
        assert_eq!(service.costs[0].amount(), Cents(90));
        assert_eq!(service.costs[0].reported, Cents(100));
        let lands: Vec<(LandCode, Option<efa_proto::Date>)> = service
            .participations
            .iter()
            .map(|p| (p.land, p.left))
            .collect();
        let retired = Some(date("2025-01-01"));
        assert_eq!(lands, [(land(1), retired), (land(16), retired)]);
        assert_eq!(service.retired.map(|(at, _)| at.seq), Some(6));
    }

    #[test]
    fn adoptions_collect_their_steps_and_merges_link_both_sides() {
        let mut ledger = Ledger::default();
        let (service, erfurt) = (service_id("aaa-service"), ags("16051000"));
        ledger.push(
            "2024-01-10",
            Event::AdoptionRequested {
                service: service.clone(),
                ags: erfurt,
                adoption_no: 1,
                note: String::new(),
            },
        );
        ledger.push(
            "2024-03-01",
            Event::AdoptionStepRecorded {
                service: service.clone(),
                ags: erfurt,
                adoption_no: 1,
                stage: AdoptionStage::Live,
                note: String::new(),
            },
        );
        let Some(Some(Facts::Adoption(adoption))) = replay(&ledger).pop() else {
            panic!("expected adoption facts");
        };
        let stages: Vec<AdoptionStage> = adoption.steps.iter().map(|s| s.stage).collect();
        assert_eq!(stages, [AdoptionStage::Requested, AdoptionStage::Live]);
        let links = history_links(&ledger.events()[0].record.event);
        assert_eq!(links.services, std::slice::from_ref(&service));
        assert_eq!(links.adoption, Some((erfurt, service)));
        let merged = Event::GemeindeMerged {
            ags: ags("16051001"),
            successor: erfurt,
        };
        assert_eq!(history_links(&merged).gemeinden, [ags("16051001"), erfurt]);
    }

    #[test]
    fn an_event_about_an_unknown_stream_leaves_no_facts() {
        let mut ledger = Ledger::default();
        ledger.push(
            "2024-01-01",
            Event::LandJoined {
                service: service_id("aaa-service"),
                land: land(2),
            },
        );
        assert_eq!(replay(&ledger), [None]);
    }
}
