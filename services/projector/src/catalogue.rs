//! The catalogue view: what one event does to the view of one service.
//! Pure functions, no I/O, so the rules of the read model can be tested
//! without a store or a server. A new event variant gets one arm in each
//! match below.

use efa_proto::{Event, SealedEvent, ServiceAnnounced, ServiceId, ServiceView};

/// The service whose view `event` changes, if it touches the catalogue.
pub fn service_of(event: &Event) -> Option<&ServiceId> {
    match event {
        Event::ServiceAnnounced(announced) => Some(&announced.service),
        Event::ServiceDetailsUpdated(updated) => Some(&updated.service),
        Event::ServiceStatusChanged { service, .. }
        | Event::ReifegradAssessed { service, .. }
        | Event::ServiceRetired { service, .. } => Some(service),
        // Participation and costs feed other views, but move the service
        // stream's version, which the view carries as its ETag.
        Event::LandJoined { service, .. }
        | Event::LandLeft { service, .. }
        | Event::CostCorrected { service, .. }
        | Event::ParticipationCorrected { service, .. }
        | Event::ParticipationMoved { service, .. } => Some(service),
        Event::CostReported(reported) => Some(&reported.service),
        // Participants, adoptions, reference data and closed years (their
        // own stream) feed other views.
        _ => None,
    }
}

/// The view of the service after `sealed`, given its view before (`None`
/// when the catalogue does not know the service yet). `None` as the result
/// means the service is not (or no longer) in the catalogue. An event the
/// view already reflects leaves it as it is.
pub fn apply(current: Option<ServiceView>, sealed: &SealedEvent) -> Option<ServiceView> {
    if current
        .as_ref()
        .is_some_and(|view| view.last_seq >= sealed.record.seq)
    {
        return current;
    }
    let record = &sealed.record;
    let touched = |mut view: ServiceView| {
        view.version = record.stream_version;
        view.last_seq = record.seq;
        Some(view)
    };
    match (&record.event, current) {
        // Events are facts: an announcement sets every field of the view.
        (Event::ServiceAnnounced(announced), _) => Some(announce(announced, sealed)),
        (Event::ServiceDetailsUpdated(updated), Some(mut view)) => {
            view.title = updated.title.clone();
            view.ozg_id = updated.ozg_id.clone();
            view.leika = updated.leika.clone();
            view.themenfeld = updated.themenfeld.clone();
            view.provider = updated.provider.clone();
            view.channel = updated.channel;
            view.cost_model = updated.cost_model.clone();
            touched(view)
        }
        (Event::ServiceStatusChanged { to, .. }, Some(mut view)) => {
            view.status = *to;
            touched(view)
        }
        (Event::ReifegradAssessed { reifegrad, .. }, Some(mut view)) => {
            view.reifegrad = *reifegrad;
            touched(view)
        }
        (Event::ServiceRetired { .. }, Some(mut view)) => {
            view.status = efa_proto::ServiceStatus::Retired;
            touched(view)
        }
        (
            Event::LandJoined { .. }
            | Event::LandLeft { .. }
            | Event::CostReported(_)
            | Event::CostCorrected { .. }
            | Event::ParticipationCorrected { .. }
            | Event::ParticipationMoved { .. },
            Some(view),
        ) => touched(view),
        (_, current) => current,
    }
}

fn announce(announced: &ServiceAnnounced, sealed: &SealedEvent) -> ServiceView {
    let record = &sealed.record;
    ServiceView {
        id: announced.service.clone(),
        title: announced.title.clone(),
        lead: announced.lead,
        ozg_id: announced.ozg_id.clone(),
        leika: announced.leika.clone(),
        themenfeld: announced.themenfeld.clone(),
        provider: announced.provider.clone(),
        channel: announced.channel,
        cost_model: announced.cost_model.clone(),
        status: announced.status,
        reifegrad: announced.reifegrad,
        announced_on: record.effective,
        recorded_at: record.recorded_at,
        version: record.stream_version,
        last_seq: record.seq,
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::{Channel, CostModel, Date, LandCode, Reifegrad, ServiceStatus, Timestamp};

    use super::*;
    use crate::testing::{announce, chain};

    #[test]
    fn an_announcement_creates_the_view_with_every_field() {
        let events = chain(vec![announce("digitale-baugenehmigung")]);
        let view = apply(None, &events[0]).expect("an announcement creates a view");
        assert_eq!(view.id.as_str(), "digitale-baugenehmigung");
        assert_eq!(view.title, "Titel von digitale-baugenehmigung");
        assert_eq!(view.lead, LandCode::new(16).unwrap());
        assert_eq!(view.ozg_id.as_deref(), Some("OZG-1234"));
        assert_eq!(view.leika, ["99012345000000"]);
        assert_eq!(view.themenfeld, "Bauen & Wohnen");
        assert_eq!(view.provider, "KIV Thüringen");
        assert_eq!(view.channel, Channel::EfaMarktplatz);
        assert_eq!(
            view.cost_model,
            CostModel::KoenigsteinerSchluessel { year: Some(2024) }
        );
        assert_eq!(view.status, ServiceStatus::Pilot);
        assert_eq!(view.reifegrad, Reifegrad::new(3).unwrap());
        assert_eq!(view.announced_on, Date::from_ymd(2024, 3, 1).unwrap());
        assert_eq!(
            view.recorded_at,
            Timestamp::from_micros(1_700_000_000_000_001)
        );
        assert_eq!((view.version, view.last_seq), (1, 1));
    }

    #[test]
    fn an_event_the_view_reflects_already_changes_nothing() {
        let events = chain(vec![announce("aaa-service"), announce("aaa-service")]);
        let second = apply(None, &events[1]).expect("an announcement creates a view");
        assert_eq!(
            apply(Some(second.clone()), &events[0]),
            Some(second.clone())
        );
        assert_eq!(apply(Some(second.clone()), &events[1]), Some(second));
    }

    #[test]
    fn every_event_names_the_service_it_changes() {
        let event = announce("wohngeld-antrag");
        assert_eq!(
            service_of(&event).map(ServiceId::as_str),
            Some("wohngeld-antrag")
        );
    }
}
