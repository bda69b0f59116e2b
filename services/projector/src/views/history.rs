//! The audit history: the events behind a service, a municipality or the
//! whole registry, in ledger order, each with a German one-line summary and
//! its chain hash. A change says what it changed from: a rename the old
//! name, a details update each field with its old and new value, a cost
//! correction the amount before.

use efa_proto::views::{HistoryEntry, HistorySubject, HistoryView};
use efa_proto::{Ags, Cents, Event, SealedEvent};

use crate::facts::Details;

/// Names of municipalities for a summary (`None`: show the AGS).
pub type Names<'a> = dyn Fn(Ags) -> Option<String> + 'a;

/// Names of municipalities for the summary of the event at a sequence
/// (a rename's summary names the municipality as it was called before).
pub type NamesAt<'a> = dyn Fn(Ags, u64) -> Option<String> + 'a;

/// What stood before an event, as recorded before it in the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Before {
    /// A service's details, before an update of them.
    pub details: Option<Details>,
    /// A cost line's amount, before a correction of it.
    pub amount: Option<Cents>,
}

/// What stood before the event at a sequence.
pub type BeforeAt<'a> = dyn Fn(&Event, u64) -> Before + 'a;

/// The history page of `subject`: `events` in ledger order, `more` if
/// further events follow, verified up to `chain_verified_to`.
pub fn history(
    subject: HistorySubject,
    events: &[SealedEvent],
    more: bool,
    (names, before): (&NamesAt, &BeforeAt),
    chain_verified_to: u64,
) -> HistoryView {
    let with_service = !matches!(subject, HistorySubject::Service(_));
    let entries = events
        .iter()
        .map(|sealed| {
            let record = &sealed.record;
            let names_then = |ags: Ags| names(ags, record.seq);
            let before = before(&record.event, record.seq);
            let mut summary = summary_de(&record.event, &names_then, &before);
            if with_service && let Some(service) = adoption_service(&record.event) {
                summary = format!("{summary} ({service})");
            }
            HistoryEntry {
                seq: record.seq,
                recorded_at: record.recorded_at,
                effective: record.effective,
                actor: record.actor.clone(),
                event_name: record.event.name().to_owned(),
                summary_de: summary,
                hash_hex: hex::encode(sealed.hash),
            }
        })
        .collect();
    HistoryView {
        subject,
        entries,
        more,
        chain_verified_to,
    }
}

/// The service of an adoption event, which its summary does not name.
fn adoption_service(event: &Event) -> Option<&efa_proto::ServiceId> {
    match event {
        Event::AdoptionRequested { service, .. }
        | Event::AdoptionStepRecorded { service, .. }
        | Event::AdoptionWithdrawn { service, .. } => Some(service),
        _ => None,
    }
}

/// Euros the German way: `1.000.000,00 €`.
pub fn euros_de(amount: Cents) -> String {
    let sign = if amount.0 < 0 { "-" } else { "" };
    let abs = amount.0.unsigned_abs();
    let euros = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02} €", abs % 100)
}

/// A German one-line description of `event`, saying what it changed
/// from where `before` knows.
pub fn summary_de(event: &Event, names: &Names, before: &Before) -> String {
    let name = |ags: &Ags| names(*ags).unwrap_or_else(|| ags.to_string());
    match event {
        Event::YearClosed {
            year, settlement, ..
        } => format!(
            "Jahr {year} abgerechnet: {} verteilt auf {} Länder",
            euros_de(settlement.total),
            settlement.shares.len()
        ),
        Event::ParticipationCorrected {
            land,
            change,
            reason,
            ..
        } => format!(
            "Berichtigung: {} von {}: {reason}",
            change.label_de(),
            land.name()
        ),
        Event::ParticipationMoved {
            land,
            change,
            from,
            reason,
            ..
        } => format!(
            "Berichtigung: {} von {} verlegt (bisher wirksam ab {}): {reason}",
            change.label_de(),
            land.name(),
            from.de()
        ),
        Event::ServiceAnnounced(a) => {
            format!("„{}“ angekündigt, federführend {}", a.title, a.lead.name())
        }
        Event::ServiceDetailsUpdated(u) => {
            let changes = before.details.as_ref().map(|old| changed_details(old, u));
            match changes {
                None => format!("Angaben zu „{}“ geändert", u.title),
                Some(changes) if changes.is_empty() => {
                    format!("Angaben zu „{}“ erneut erfasst, unverändert", u.title)
                }
                Some(changes) => {
                    format!("Angaben zu „{}“ geändert: {}", u.title, changes.join("; "))
                }
            }
        }
        Event::ServiceStatusChanged { from, to, .. } => {
            format!("Status: {} → {}", from.label_de(), to.label_de())
        }
        Event::ReifegradAssessed { reifegrad, .. } => format!("Reifegrad {}", reifegrad.get()),
        Event::ServiceRetired { reason, .. } => format!("eingestellt: {reason}"),
        Event::LandJoined { land, .. } => format!("{} tritt bei", land.name()),
        Event::LandLeft { land, .. } => format!("{} tritt aus", land.name()),
        Event::CostReported(c) => format!(
            "Kosten {} ({}): {} gemeldet (Position {})",
            c.year,
            c.category.label_de(),
            euros_de(c.amount),
            c.cost_no
        ),
        Event::CostCorrected {
            cost_no,
            amount,
            reason,
            ..
        } => match before.amount {
            Some(old) => format!(
                "Position {cost_no} berichtigt von {} auf {}: {reason}",
                euros_de(old),
                euros_de(*amount)
            ),
            None => format!(
                "Position {cost_no} berichtigt auf {}: {reason}",
                euros_de(*amount)
            ),
        },
        Event::GemeindeRegistered { ags, name, .. } => format!("{name} ({ags}) registriert"),
        Event::GemeindeRenamed { ags, name: new } => format!("{} heißt jetzt {new}", name(ags)),
        Event::GemeindeMerged { ags, successor } => format!(
            "{} geht in {} ({successor}) auf",
            name(ags),
            name(successor)
        ),
        Event::GemeindeRetired { ags } => format!("{} aufgelöst", name(ags)),
        Event::KreisRegistered { key, name, .. } => format!("Kreis {name} ({key}) registriert"),
        Event::OperatorRegistered { name, .. } => format!("Betreiber {name} registriert"),
        Event::AdoptionRequested { ags, .. } => {
            format!(
                "{}: {}",
                name(ags),
                efa_proto::AdoptionStage::Requested.label_de()
            )
        }
        Event::AdoptionStepRecorded { ags, stage, .. } => {
            format!("{}: {}", name(ags), stage.label_de())
        }
        Event::AdoptionWithdrawn { ags, .. } => {
            format!(
                "{}: {}",
                name(ags),
                efa_proto::AdoptionStage::Withdrawn.label_de()
            )
        }
        Event::AllocationKeyPublished { year, .. } => {
            format!("Königsteiner Schlüssel {year} veröffentlicht")
        }
        Event::PopulationPublished { reference_date, .. } => {
            format!("Einwohnerzahlen zum {reference_date} veröffentlicht")
        }
    }
}

/// Each field of a details update that differs from `old`, as
/// `Feld „alt“ → „neu“`.
fn changed_details(old: &Details, new: &efa_proto::ServiceDetailsUpdated) -> Vec<String> {
    let quoted = |text: &str| {
        if text.is_empty() {
            "–".to_owned()
        } else {
            format!("„{text}“")
        }
    };
    let fields = [
        ("Titel", old.title.clone(), new.title.clone()),
        (
            "OZG-ID",
            old.ozg_id.clone().unwrap_or_default(),
            new.ozg_id.clone().unwrap_or_default(),
        ),
        ("LeiKa", old.leika.join(", "), new.leika.join(", ")),
        ("Themenfeld", old.themenfeld.clone(), new.themenfeld.clone()),
        ("Anbieter", old.provider.clone(), new.provider.clone()),
        (
            "Bezugsweg",
            old.channel.label_de().to_owned(),
            new.channel.label_de().to_owned(),
        ),
        (
            "Kostenmodell",
            old.cost_model.label_de(),
            new.cost_model.label_de(),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| format!("{field} {} → {}", quoted(&old), quoted(&new)))
        .collect()
}

#[cfg(test)]
mod tests {
    use efa_proto::AdoptionStage;

    use super::*;
    use crate::testing::{Ledger, ags, land, service_id};

    #[test]
    fn summaries_in_german() {
        let names = |ags: Ags| (ags.to_string() == "16051000").then(|| "Erfurt".to_owned());
        let joined = Event::LandJoined {
            service: service_id("aaa-service"),
            land: land(16),
        };
        let nothing = Before::default();
        assert_eq!(summary_de(&joined, &names, &nothing), "Thüringen tritt bei");
        let live = Event::AdoptionStepRecorded {
            service: service_id("aaa-service"),
            ags: ags("16051000"),
            adoption_no: 1,
            stage: AdoptionStage::Live,
            note: String::new(),
        };
        assert_eq!(summary_de(&live, &names, &nothing), "Erfurt: in Betrieb");
        assert_eq!(euros_de(Cents(100_000_000)), "1.000.000,00 €");
        assert_eq!(euros_de(Cents(-5)), "-0,05 €");
        assert_eq!(euros_de(Cents(12_345)), "123,45 €");

        let mut ledger = Ledger::default();
        ledger.push("2024-01-01", live);
        let names_at = |ags: Ags, _: u64| names(ags);
        let before = |_: &Event, _: u64| Before::default();
        let view = history(
            HistorySubject::All,
            ledger.events(),
            false,
            (&names_at, &before),
            1,
        );
        assert_eq!(
            view.entries[0].summary_de,
            "Erfurt: in Betrieb (aaa-service)"
        );
        assert_eq!(
            view.entries[0].hash_hex,
            hex::encode(ledger.events()[0].hash)
        );
    }

    #[test]
    fn a_change_says_what_it_changed_from() {
        let names = |_: Ags| None;
        let old = Details {
            title: "Wohngeld".into(),
            ozg_id: None,
            leika: vec!["99001001000000".into()],
            themenfeld: "Familie & Kind".into(),
            provider: "Freie Hansestadt Bremen".into(),
            channel: efa_proto::Channel::EfaMarktplatz,
            cost_model: efa_proto::CostModel::KoenigsteinerSchluessel { year: Some(2016) },
        };
        let mut update = efa_proto::ServiceDetailsUpdated {
            service: service_id("wohngeld"),
            title: old.title.clone(),
            ozg_id: Some("10001".into()),
            leika: old.leika.clone(),
            themenfeld: old.themenfeld.clone(),
            provider: "Dataport".into(),
            channel: old.channel,
            cost_model: old.cost_model.clone(),
        };
        let before = Before {
            details: Some(old.clone()),
            amount: None,
        };
        let event = Event::ServiceDetailsUpdated(update.clone());
        assert_eq!(
            summary_de(&event, &names, &before),
            "Angaben zu „Wohngeld“ geändert: OZG-ID – → „10001“; \
             Anbieter „Freie Hansestadt Bremen“ → „Dataport“"
        );
        update.ozg_id = None;
        update.provider = old.provider.clone();
        let event = Event::ServiceDetailsUpdated(update);
        assert_eq!(
            summary_de(&event, &names, &before),
            "Angaben zu „Wohngeld“ erneut erfasst, unverändert"
        );
        let corrected = Event::CostCorrected {
            service: service_id("wohngeld"),
            cost_no: 2,
            amount: Cents(1_300_000),
            reason: "Rechnung nachgeprüft".into(),
        };
        let before = Before {
            details: None,
            amount: Some(Cents(1_250_000)),
        };
        assert_eq!(
            summary_de(&corrected, &names, &before),
            "Position 2 berichtigt von 12.500,00 € auf 13.000,00 €: Rechnung nachgeprüft"
        );
    }
}
