//! Planning a rollout file's rows: the adoption commands that bring the
//! registry from where each adoption stands to the row's stage, only
//! forward, and the idempotency keys of those writes.

use std::collections::BTreeMap;

use efa_proto::views::MunicipalityRollout;
use efa_proto::{
    AdoptionStage, Ags, Command, Date, RecordAdoptionStep, RequestAdoption, ServiceId,
    WithdrawAdoption,
};
use sha2::{Digest, Sha256};

use super::Row;

/// Where the adoption that counts for a municipality and service stands
/// in the registry, and what lies beneath it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub stage: AdoptionStage,
    pub since: Date,
    /// The predecessor merged into the municipality whose adoption it is;
    /// `None` for the municipality's own.
    pub predecessor: Option<Ags>,
    /// The other adoptions of the service in the municipality's family
    /// (its own, its predecessors'), which do not count.
    pub beneath: Vec<Beneath>,
}

impl Standing {
    /// The standing of an adoption with nothing beneath it.
    pub fn of(stage: AdoptionStage, since: Date, predecessor: Option<Ags>) -> Self {
        Self {
            stage,
            since,
            predecessor,
            beneath: Vec::new(),
        }
    }
}

/// An adoption of a municipality's family beneath the one that counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beneath {
    /// The municipality whose adoption it is (the row's, or a
    /// predecessor).
    pub adopter: Ags,
    pub stage: AdoptionStage,
    pub since: Date,
}

/// One write that brings a row to its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// The municipality asks to adopt the service.
    Request,
    /// The next stage of a running adoption.
    Step(AdoptionStage),
    /// The adoption ends.
    Withdraw,
    /// The adoption of this predecessor, merged into the row's
    /// municipality, ends (it runs under the predecessor's AGS).
    WithdrawOf(Ags),
}

impl Write {
    /// The write for scripts (and in its idempotency key): `request`,
    /// `step:<stage>`, `withdraw`.
    pub fn key(self) -> String {
        match self {
            Self::Request => "request".to_owned(),
            Self::Step(stage) => format!("step:{}", stage.key()),
            Self::Withdraw => "withdraw".to_owned(),
            Self::WithdrawOf(predecessor) => format!("withdraw:{predecessor}"),
        }
    }

    /// The write in German, as a plan lists it.
    pub fn label_de(self) -> String {
        match self {
            Self::Request => "beantragen".to_owned(),
            Self::Step(stage) => format!("„{}“ festhalten", stage.label_de()),
            Self::Withdraw => "zurückziehen".to_owned(),
            Self::WithdrawOf(predecessor) => {
                format!("die Einführung von {predecessor} zurückziehen")
            }
        }
    }
}

/// What a row needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// These writes, in this order, each dated the row's day.
    Send(Vec<Write>),
    /// The registry stands where the row says.
    Unchanged,
    /// The registry has the row's stage, since another day; that day
    /// stays (a step is not recorded twice).
    OtherDay(Standing),
    /// The registry is further than the row; steps go only forward.
    Behind(Standing),
    /// The row's day lies before the adoption's last step in the registry
    /// (or before its withdrawal, for asking anew): a step cannot be
    /// dated before the one it follows.
    Earlier(Standing),
}

impl Plan {
    /// Whether the row stays short of the file's stage after the plan.
    pub fn falls_short(&self) -> bool {
        matches!(self, Self::Behind(_) | Self::Earlier(_))
    }

    /// The writes it sends.
    pub fn writes(&self) -> &[Write] {
        match self {
            Self::Send(writes) => writes,
            _ => &[],
        }
    }

    /// What it does with a row, for the plan's sums.
    pub fn kind(&self) -> Kind {
        let index = match self {
            Self::Send(writes) => match writes.as_slice() {
                [Write::Request] => 0,
                [Write::Request, _] => 1,
                withdrawals
                    if (withdrawals.iter())
                        .all(|w| matches!(w, Write::Withdraw | Write::WithdrawOf(_))) =>
                {
                    3
                }
                _ => 2,
            },
            Self::Unchanged => 4,
            Self::OtherDay(_) => 5,
            Self::Behind(_) => 6,
            Self::Earlier(_) => 7,
        };
        KINDS[index]
    }

    /// A sentence on a row that is not sent as the file says or whose
    /// day differs; `None` for the others.
    pub fn remark_de(&self, row: &Row) -> Option<String> {
        let day = |date: Option<Date>| date.map_or_else(|| "heute".to_owned(), Date::de);
        match self {
            Self::Behind(now) => Some(format!(
                "Im Register schon „{}“ seit {}, die Datei sagt „{}“; Schritte gehen nur vorwärts.",
                now.stage.label_de(),
                now.since.de(),
                row.stage.label_de()
            )),
            Self::Earlier(now) => Some(format!(
                "Der Tag der Datei ({}) liegt vor dem letzten Schritt im Register („{}“ seit {}); \
                 ein Schritt folgt dem vorigen.",
                day(row.since),
                now.stage.label_de(),
                now.since.de()
            )),
            Self::OtherDay(now) => Some(format!(
                "„{}“ im Register seit {}, in der Datei seit {}; der Tag bleibt.",
                now.stage.label_de(),
                now.since.de(),
                day(row.since)
            )),
            Self::Send(_) | Self::Unchanged => None,
        }
    }
}

/// Why a row is not planned: what it names is not in the registry, or its
/// service takes no such write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unplanned {
    Gemeinde,
    Service,
    /// A retired service takes no new adoption and no step forward (a
    /// withdrawal, yes).
    RetiredService,
    /// The row's day lies before the service was announced.
    BeforeAnnouncement(Date),
}

impl Unplanned {
    pub fn label_de(self) -> String {
        match self {
            Self::Gemeinde => "Die Gemeinde kennt das Register nicht.".to_owned(),
            Self::Service => "Die Leistung kennt das Register nicht.".to_owned(),
            Self::RetiredService => {
                "Die Leistung ist eingestellt und nimmt keine Einführungen und Schritte mehr an."
                    .to_owned()
            }
            Self::BeforeAnnouncement(day) => format!(
                "Der Tag der Datei liegt vor der Ankündigung der Leistung ({}).",
                day.de()
            ),
        }
    }

    /// The sum's kind it counts in.
    pub fn kind(self) -> Kind {
        match self {
            Self::Gemeinde | Self::Service => KINDS[8],
            Self::RetiredService => KINDS[9],
            Self::BeforeAnnouncement(_) => KINDS[10],
        }
    }
}

/// What the registry says of a row's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Unknown,
    /// Announced on the day, if the registry said it.
    Known {
        announced_on: Option<Date>,
        retired: bool,
    },
}

/// Why `plan` cannot be sent for `row`'s service, if it cannot.
pub fn service_refuses(row: &Row, plan: &Plan, service: Service) -> Option<Unplanned> {
    let (announced_on, retired) = match service {
        Service::Unknown => return Some(Unplanned::Service),
        Service::Known {
            announced_on,
            retired,
        } => (announced_on, retired),
    };
    let writes = plan.writes();
    let forward = writes
        .iter()
        .any(|write| matches!(write, Write::Request | Write::Step(_)));
    if retired && forward {
        return Some(Unplanned::RetiredService);
    }
    let announced_on = announced_on?;
    let early = row.since.is_some_and(|day| day < announced_on);
    (early && !writes.is_empty()).then_some(Unplanned::BeforeAnnouncement(announced_on))
}

/// What a plan makes of a row, as its sums count it: a key for scripts
/// and a few German words for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub key: &'static str,
    pub de: &'static str,
}

const fn kind(key: &'static str, de: &'static str) -> Kind {
    Kind { key, de }
}

/// The kinds of the plan's sums, in the order they are said, with the
/// rows not planned last.
pub const KINDS: [Kind; 11] = [
    kind("request", "beantragen"),
    kind("request-and-step", "beantragen und Schritt festhalten"),
    kind("step", "Schritt festhalten"),
    kind("withdraw", "zurückziehen"),
    kind("unchanged", "unverändert"),
    kind("other-day", "Stufe gleich, Tag anders"),
    kind("behind", "Register weiter als die Datei"),
    kind("earlier", "Tag vor dem letzten Schritt"),
    kind("unknown", "Gemeinde oder Leistung unbekannt"),
    kind("retired-service", "Leistung eingestellt"),
    kind("before-announcement", "Tag vor der Ankündigung"),
];

/// A row with what the plan makes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub row: Row,
    /// Where its adoption stood when it was planned (its writes' keys
    /// depend on it).
    pub standing: Option<Standing>,
    /// What it needs, or why it is not planned.
    pub plan: Result<Plan, Unplanned>,
}

impl Planned {
    /// The writes it sends; none for a row not planned.
    pub fn writes(&self) -> &[Write] {
        self.plan.as_ref().map_or(&[], Plan::writes)
    }

    /// Whether the row stays short of the file's stage.
    pub fn falls_short(&self) -> bool {
        self.plan.as_ref().map_or(true, Plan::falls_short)
    }

    /// The kind its plan's sum counts it in.
    pub fn kind(&self) -> Kind {
        match &self.plan {
            Ok(plan) => plan.kind(),
            Err(unplanned) => unplanned.kind(),
        }
    }

    /// A sentence on a row not planned, not sent as the file says, whose
    /// day differs, or whose writes concern a predecessor's adoption;
    /// `None` for the others.
    pub fn remark_de(&self) -> Option<String> {
        match &self.plan {
            Ok(plan) => plan.remark_de(&self.row).or_else(|| self.inherited_de()),
            Err(unplanned) => Some(unplanned.label_de()),
        }
    }

    /// What its writes mean where a predecessor's adoption counts or lies
    /// beneath.
    fn inherited_de(&self) -> Option<String> {
        let standing = self.standing.as_ref()?;
        let writes = self.writes();
        let of: Vec<String> = (writes.iter())
            .filter_map(|w| match w {
                Write::WithdrawOf(predecessor) => Some(predecessor.to_string()),
                _ => None,
            })
            .collect();
        if !of.is_empty() {
            let own = writes.contains(&Write::Withdraw);
            return Some(format!(
                "Zurückgezogen {} der Vorgängergemeinde{} {}{}.",
                if of.len() == 1 {
                    "wird die Einführung"
                } else {
                    "werden die Einführungen"
                },
                if of.len() == 1 { "" } else { "n" },
                of.join(", "),
                if own { " und die eigene" } else { "" }
            ));
        }
        let predecessor = standing.predecessor?;
        match writes {
            [Write::Request, ..] => Some(format!(
                "Bisher zählt die Einführung der Vorgängergemeinde {predecessor}; \
                 die Gemeinde beantragt die Leistung selbst."
            )),
            [Write::Step(_)] => Some(format!(
                "Bisher zählt die Einführung der Vorgängergemeinde {predecessor}; \
                 die eigene Einführung der Gemeinde geht weiter."
            )),
            _ => None,
        }
    }

    /// What it does, in words: its writes, and its remark.
    pub fn text_de(&self) -> String {
        let steps: Vec<String> = self.writes().iter().map(|w| w.label_de()).collect();
        match (steps.is_empty(), self.remark_de()) {
            (true, Some(remark)) => remark,
            (true, None) => "unverändert".to_owned(),
            (false, None) => steps.join(", dann "),
            (false, Some(remark)) => format!("{}: {remark}", steps.join(", dann ")),
        }
    }

    /// The municipality a write names: the row's, or for a withdrawal of a
    /// predecessor's adoption the predecessor, under whose AGS it runs.
    pub fn addressee(&self, write: Write) -> Ags {
        match write {
            Write::WithdrawOf(predecessor) => predecessor,
            _ => self.row.ags,
        }
    }

    /// The idempotency key of one of its writes ([`write_key`]).
    pub fn key(&self, write: Write) -> String {
        write_key(&self.row, self.standing.clone(), write)
    }

    /// The command of one of its writes, with the row's remark as its
    /// note; it takes effect on the row's day (`row.since`).
    pub fn command(&self, write: Write) -> Command {
        let (service, ags) = (self.row.service.clone(), self.addressee(write));
        let note = self.row.note.clone().unwrap_or_default();
        match write {
            Write::Request => Command::RequestAdoption(RequestAdoption { service, ags, note }),
            Write::Step(stage) => Command::RecordAdoptionStep(RecordAdoptionStep {
                service,
                ags,
                stage,
                note,
            }),
            Write::Withdraw | Write::WithdrawOf(_) => {
                Command::WithdrawAdoption(WithdrawAdoption { service, ags, note })
            }
        }
    }
}

/// The adoptions of each named Gemeinde, by service: where each stands.
pub type Standings = BTreeMap<Ags, BTreeMap<ServiceId, Standing>>;

/// Where the adoptions of the municipality `ags` stand, from the rows of
/// its page: those that count, and the family's adoptions beneath them.
pub fn standings_of(
    ags: Ags,
    counted: &[MunicipalityRollout],
    beneath: &[MunicipalityRollout],
) -> BTreeMap<ServiceId, Standing> {
    let mut standings: BTreeMap<ServiceId, Standing> = (counted.iter())
        .map(|row| {
            let predecessor = (row.adopter != ags).then_some(row.adopter);
            let standing = Standing::of(row.stage, row.since, predecessor);
            (row.service.clone(), standing)
        })
        .collect();
    for row in beneath {
        if let Some(standing) = standings.get_mut(&row.service) {
            standing.beneath.push(Beneath {
                adopter: row.adopter,
                stage: row.stage,
                since: row.since,
            });
        }
    }
    standings
}

/// Every row planned against `standings` (a Gemeinde not there is not
/// in the registry) and what `service` says of its service.
pub fn plan_all(
    rows: Vec<Row>,
    standings: &Standings,
    service: impl Fn(&ServiceId) -> Service,
) -> Vec<Planned> {
    rows.into_iter()
        .map(|row| {
            let Some(adoptions) = standings.get(&row.ags) else {
                return Planned {
                    row,
                    standing: None,
                    plan: Err(Unplanned::Gemeinde),
                };
            };
            let standing = adoptions.get(&row.service).cloned();
            let plan = plan(&row, standing.clone());
            let plan = match service_refuses(&row, &plan, service(&row.service)) {
                Some(unplanned) => Err(unplanned),
                None => Ok(plan),
            };
            Planned {
                row,
                standing,
                plan,
            }
        })
        .collect()
}

/// The day the registry is asked about: `today`, or the file's latest day
/// if that lies ahead (a step dated ahead shows only from its day).
pub fn as_of(rows: &[Row], today: Date) -> Date {
    rows.iter()
        .filter_map(|row| row.since)
        .fold(today, Date::max)
}

/// What `row` needs, given where its adoption stands (`None`: the
/// municipality never asked to adopt the service).
pub fn plan(row: &Row, standing: Option<Standing>) -> Plan {
    if let Some(family) = standing
        .as_ref()
        .filter(|s| s.predecessor.is_some() || !s.beneath.is_empty())
    {
        return plan_family(row, family);
    }
    let before = |now: &Standing| row.since.is_some_and(|day| day < now.since);
    let running = standing
        .clone()
        .filter(|s| s.stage != AdoptionStage::Withdrawn);
    match (row.stage, running) {
        (AdoptionStage::Withdrawn, None) => match (row.since, standing) {
            (Some(day), Some(now)) if day != now.since => Plan::OtherDay(now),
            _ => Plan::Unchanged,
        },
        (stage, Some(now)) if stage != now.stage && before(&now) => {
            let forward = stage > now.stage || stage == AdoptionStage::Withdrawn;
            if forward {
                Plan::Earlier(now)
            } else {
                Plan::Behind(now)
            }
        }
        (AdoptionStage::Withdrawn, Some(_)) => Plan::Send(vec![Write::Withdraw]),
        (_, None) if standing.as_ref().is_some_and(before) => {
            standing.map_or(Plan::Unchanged, Plan::Earlier)
        }
        (AdoptionStage::Requested, None) => Plan::Send(vec![Write::Request]),
        (stage, None) => Plan::Send(vec![Write::Request, Write::Step(stage)]),
        (stage, Some(now)) if stage == now.stage => match row.since {
            Some(day) if day != now.since => Plan::OtherDay(now),
            _ => Plan::Unchanged,
        },
        (stage, Some(now)) if stage > now.stage => Plan::Send(vec![Write::Step(stage)]),
        (_, Some(now)) => Plan::Behind(now),
    }
}

/// What `row` needs where its municipality's family (the municipality
/// and the predecessors merged into it) holds more than one adoption of
/// the service, or a predecessor's counts. The same stage leaves them.
/// Withdrawing ends every one still running, each under its adopter's
/// AGS, so that none takes the place of the one withdrawn. A stage beyond
/// the one that counts is the municipality's own adoption: its next step
/// where it runs, else asked for anew from the row's day (the
/// predecessors' steps set that no bound).
fn plan_family(row: &Row, counted: &Standing) -> Plan {
    use AdoptionStage::Withdrawn;
    let before = |since: Date| row.since.is_some_and(|day| day < since);
    let adopter = counted.predecessor.unwrap_or(row.ags);
    let first = Beneath {
        adopter,
        stage: counted.stage,
        since: counted.since,
    };
    let family: Vec<Beneath> = std::iter::once(first)
        .chain(counted.beneath.iter().copied())
        .collect();
    let own = family.iter().find(|a| a.adopter == row.ags).copied();
    let standing_of = |a: Beneath| Standing::of(a.stage, a.since, None);
    match row.stage {
        stage if stage == counted.stage => match row.since {
            Some(day) if day != counted.since => Plan::OtherDay(counted.clone()),
            _ => Plan::Unchanged,
        },
        Withdrawn => {
            let running: Vec<&Beneath> = family.iter().filter(|a| a.stage != Withdrawn).collect();
            if running.iter().any(|a| before(a.since)) {
                return Plan::Earlier(counted.clone());
            }
            let writes = running.iter().map(|a| match a.adopter == row.ags {
                true => Write::Withdraw,
                false => Write::WithdrawOf(a.adopter),
            });
            Plan::Send(writes.collect())
        }
        stage if counted.stage == Withdrawn || stage > counted.stage => match own {
            Some(own) if own.stage != Withdrawn && before(own.since) => {
                Plan::Earlier(standing_of(own))
            }
            Some(own) if own.stage != Withdrawn => Plan::Send(vec![Write::Step(stage)]),
            Some(own) if before(own.since) => Plan::Earlier(standing_of(own)),
            _ if stage == AdoptionStage::Requested => Plan::Send(vec![Write::Request]),
            _ => Plan::Send(vec![Write::Request, Write::Step(stage)]),
        },
        _ => Plan::Behind(counted.clone()),
    }
}

/// The idempotency key of `write` for `row`, planned on `standing`: the
/// same file on the same registry sends the same keys, so a run cut short
/// and started again is answered from the ledger's memory for what it had
/// sent; once the registry has moved on, a new plan has new keys (a
/// municipality that withdrew and asks again is asked anew, not answered
/// from its first request).
pub fn write_key(row: &Row, standing: Option<Standing>, write: Write) -> String {
    let standing = standing.map_or_else(
        || "-".to_owned(),
        |s| {
            let mut text = format!("{}@{}", s.stage.key(), s.since);
            if let Some(predecessor) = s.predecessor {
                text.push_str(&format!("<{predecessor}"));
            }
            for a in &s.beneath {
                text.push_str(&format!(";{}:{}@{}", a.adopter, a.stage.key(), a.since));
            }
            text
        },
    );
    let since = row.since.map(|d| d.to_string()).unwrap_or_default();
    let write = write.key();
    let fields = [
        &row.ags.to_string(),
        row.service.as_str(),
        &standing,
        &write,
        row.stage.key(),
        &since,
        row.note.as_deref().unwrap_or(""),
    ];
    let digest = Sha256::digest(fields.join("\u{1f}"));
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("rollout-import-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use AdoptionStage::{Agreed, Live, Onboarding, Requested, Withdrawn};

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn row(stage: AdoptionStage, since: Option<&str>) -> Row {
        Row {
            line: 2,
            ags: Ags::parse("16051000").unwrap(),
            service: ServiceId::parse("wohngeld").unwrap(),
            stage,
            since: since.map(day),
            note: None,
            predecessor: None,
        }
    }

    fn at(stage: AdoptionStage, since: &str) -> Option<Standing> {
        Some(Standing::of(stage, day(since), None))
    }

    /// A standing of the adoption of Kranichfeld, merged into the row's
    /// municipality.
    fn inherited(stage: AdoptionStage, since: &str) -> Option<Standing> {
        let predecessor = Some(Ags::parse("16071001").unwrap());
        at(stage, since).map(|standing| Standing {
            predecessor,
            ..standing
        })
    }

    #[test]
    fn a_retired_or_later_service_refuses_only_what_it_cannot_take() {
        let announced_on = day("2024-01-01");
        let active = Service::Known {
            announced_on: Some(announced_on),
            retired: false,
        };
        let retired = Service::Known {
            announced_on: Some(announced_on),
            retired: true,
        };
        let ask = row(Requested, Some("2024-06-01"));
        let asked = plan(&ask, None);
        assert_eq!(service_refuses(&ask, &asked, active), None);
        assert_eq!(
            service_refuses(&ask, &asked, retired),
            Some(Unplanned::RetiredService)
        );
        assert_eq!(
            service_refuses(&ask, &asked, Service::Unknown),
            Some(Unplanned::Service)
        );
        let early = row(Requested, Some("2023-06-01"));
        assert_eq!(
            service_refuses(&early, &plan(&early, None), active),
            Some(Unplanned::BeforeAnnouncement(announced_on))
        );
        // A retired service's adoptions as they stand, or withdrawn: fine.
        let standing = at(Agreed, "2024-03-01");
        let same = row(Agreed, Some("2024-03-01"));
        assert_eq!(
            service_refuses(&same, &plan(&same, standing.clone()), retired),
            None
        );
        let end = row(Withdrawn, Some("2025-02-01"));
        let ending = plan(&end, standing);
        assert_eq!(ending, Plan::Send(vec![Write::Withdraw]));
        assert_eq!(service_refuses(&end, &ending, retired), None);
    }

    #[test]
    fn rows_are_planned_against_their_gemeinde_and_service() {
        let known = Service::Known {
            announced_on: None,
            retired: false,
        };
        let erfurt = Ags::parse("16051000").unwrap();
        let standings: Standings = BTreeMap::from([(
            erfurt,
            BTreeMap::from([(
                ServiceId::parse("wohngeld").unwrap(),
                at(Agreed, "2025-01-01").unwrap(),
            )]),
        )]);
        let mut elsewhere = row(Live, None);
        elsewhere.ags = Ags::parse("16052000").unwrap();
        let mut other_service = row(Live, None);
        other_service.service = ServiceId::parse("elterngeld").unwrap();
        let rows = vec![row(Live, None), elsewhere, other_service];
        let planned = plan_all(rows, &standings, |id| match id.as_str() {
            "wohngeld" => known,
            _ => Service::Unknown,
        });
        assert_eq!(planned[0].writes(), [Write::Step(Live)]);
        assert_eq!(planned[0].standing, at(Agreed, "2025-01-01"));
        assert_eq!(
            planned[0].key(Write::Step(Live)),
            write_key(
                &planned[0].row,
                planned[0].standing.clone(),
                Write::Step(Live)
            )
        );
        assert_eq!(planned[1].plan, Err(Unplanned::Gemeinde));
        assert_eq!(planned[2].plan, Err(Unplanned::Service));
        assert!(!planned[0].falls_short() && planned[1].falls_short() && planned[2].falls_short());
        assert_eq!(planned[0].text_de(), "„in Betrieb“ festhalten");
        assert_eq!(planned[1].kind().de, "Gemeinde oder Leistung unbekannt");
        assert_eq!(
            as_of(&[row(Live, Some("2099-01-01"))], day("2026-12-05")),
            day("2099-01-01")
        );
    }

    #[test]
    fn keys_repeat_for_the_same_plan_and_change_with_the_standing() {
        let live = row(Live, Some("2025-03-01"));
        let key = write_key(&live, None, Write::Request);
        assert_eq!(key, write_key(&live.clone(), None, Write::Request));
        assert!(
            key.len() <= 64 && key.starts_with("rollout-import-"),
            "{key}"
        );
        assert_ne!(key, write_key(&live, None, Write::Step(Live)));
        assert_ne!(
            key,
            write_key(&live, at(Withdrawn, "2025-01-01"), Write::Request),
            "asked anew after a withdrawal"
        );
        assert_ne!(
            write_key(&live, at(Agreed, "2025-01-01"), Write::Request),
            write_key(&live, inherited(Agreed, "2025-01-01"), Write::Request),
            "a predecessor's adoption is another standing"
        );
    }

    #[test]
    fn a_predecessors_adoption_is_withdrawn_under_its_ags_or_followed_by_the_own() {
        let kranichfeld = Ags::parse("16071001").unwrap();
        let planned = |row: Row, standing: Option<Standing>| Planned {
            plan: Ok(plan(&row, standing.clone())),
            row,
            standing,
        };

        let end = planned(
            row(Withdrawn, Some("2025-05-01")),
            inherited(Agreed, "2025-01-01"),
        );
        assert_eq!(end.writes(), [Write::WithdrawOf(kranichfeld)]);
        assert_eq!(end.addressee(Write::WithdrawOf(kranichfeld)), kranichfeld);
        let withdrawal = WithdrawAdoption {
            service: ServiceId::parse("wohngeld").unwrap(),
            ags: kranichfeld,
            note: String::new(),
        };
        assert_eq!(
            end.command(Write::WithdrawOf(kranichfeld)),
            Command::WithdrawAdoption(withdrawal),
            "sent under the predecessor's AGS"
        );
        assert_eq!(
            end.text_de(),
            "die Einführung von 16071001 zurückziehen: Zurückgezogen wird die Einführung der \
             Vorgängergemeinde 16071001."
        );

        // Forward: the successor's own adoption, whatever the
        // predecessor's last step's day.
        let live = planned(
            row(Live, Some("2024-06-01")),
            inherited(Agreed, "2025-01-01"),
        );
        assert_eq!(live.writes(), [Write::Request, Write::Step(Live)]);
        assert_eq!(live.addressee(Write::Request), live.row.ags);
        assert_eq!(live.addressee(Write::Step(Live)), live.row.ags);
        assert!(
            live.text_de()
                .ends_with("die Gemeinde beantragt die Leistung selbst."),
            "{}",
            live.text_de()
        );
        assert_eq!(
            plan(&row(Requested, None), inherited(Withdrawn, "2025-01-01")),
            Plan::Send(vec![Write::Request])
        );
        assert_eq!(
            plan(&row(Agreed, None), inherited(Withdrawn, "2025-01-01")),
            Plan::Send(vec![Write::Request, Write::Step(Agreed)])
        );

        // The same stage, behind it, a withdrawal before its last step.
        assert_eq!(
            plan(&row(Agreed, None), inherited(Agreed, "2025-01-01")),
            Plan::Unchanged
        );
        assert_eq!(
            plan(
                &row(Agreed, Some("2025-02-01")),
                inherited(Agreed, "2025-01-01")
            ),
            Plan::OtherDay(inherited(Agreed, "2025-01-01").unwrap())
        );
        assert_eq!(
            plan(&row(Requested, None), inherited(Onboarding, "2025-01-01")),
            Plan::Behind(inherited(Onboarding, "2025-01-01").unwrap())
        );
        assert_eq!(
            plan(
                &row(Withdrawn, Some("2024-12-01")),
                inherited(Agreed, "2025-01-01")
            ),
            Plan::Earlier(inherited(Agreed, "2025-01-01").unwrap())
        );
        let own = planned(row(Withdrawn, None), at(Agreed, "2025-01-01"));
        assert_eq!(own.addressee(Write::Withdraw), own.row.ags);
        assert_eq!(own.text_de(), "zurückziehen");
    }

    /// The family holds more than one adoption of the service: the
    /// successor's own beneath a predecessor's, or a second predecessor's.
    #[test]
    fn a_familys_adoptions_are_withdrawn_together_and_the_own_goes_on() {
        let (kranichfeld, erfurt) = (
            Ags::parse("16071001").unwrap(),
            Ags::parse("16051000").unwrap(),
        );
        let other = Ags::parse("16071002").unwrap();
        let beneath = |adopter, stage, since: &str| Beneath {
            adopter,
            stage,
            since: day(since),
        };
        // Kranichfeld's adoption counts (Anbindung), Erfurt's own is only
        // requested, another predecessor's withdrawn.
        let family = inherited(Onboarding, "2025-01-01").map(|s| Standing {
            beneath: vec![
                beneath(erfurt, Requested, "2024-09-01"),
                beneath(other, Withdrawn, "2024-10-01"),
            ],
            ..s
        });
        assert_eq!(
            plan(&row(Live, Some("2025-03-01")), family.clone()),
            Plan::Send(vec![Write::Step(Live)]),
            "the own adoption takes the step; no new request"
        );
        assert_eq!(
            plan(&row(Withdrawn, Some("2025-03-01")), family.clone()),
            Plan::Send(vec![Write::WithdrawOf(kranichfeld), Write::Withdraw]),
            "every running adoption withdrawn, none takes the place of another"
        );
        assert_eq!(
            plan(&row(Withdrawn, Some("2024-12-01")), family.clone()),
            Plan::Earlier(family.clone().unwrap()),
            "a withdrawal before a running adoption's last step"
        );
        assert_eq!(
            plan(&row(Live, Some("2024-08-01")), family.clone()),
            Plan::Earlier(Standing::of(Requested, day("2024-09-01"), None)),
            "a step of the own adoption before its last step"
        );
        assert_eq!(
            plan(&row(Agreed, None), family.clone()),
            Plan::Behind(family.clone().unwrap())
        );
        let withdrawn = planned_text(&row(Withdrawn, Some("2025-03-01")), family.clone());
        assert!(
            withdrawn.ends_with(
                "Zurückgezogen wird die Einführung der Vorgängergemeinde 16071001 und die eigene."
            ),
            "{withdrawn}"
        );
        let stepped = planned_text(&row(Live, Some("2025-03-01")), family.clone());
        assert!(
            stepped.ends_with("die eigene Einführung der Gemeinde geht weiter."),
            "{stepped}"
        );

        // The own counts, a predecessor's runs beneath: withdrawing ends both.
        let own_counts = at(Live, "2025-01-01").map(|s| Standing {
            beneath: vec![beneath(kranichfeld, Agreed, "2024-05-01")],
            ..s
        });
        assert_eq!(
            plan(&row(Withdrawn, None), own_counts.clone()),
            Plan::Send(vec![Write::Withdraw, Write::WithdrawOf(kranichfeld)])
        );
        assert_eq!(plan(&row(Live, None), own_counts.clone()), Plan::Unchanged);
        // Keys tell the family's states apart.
        let one = write_key(&row(Live, None), own_counts.clone(), Write::Withdraw);
        let two = write_key(&row(Live, None), at(Live, "2025-01-01"), Write::Withdraw);
        assert_ne!(one, two);
        assert_eq!(Write::WithdrawOf(kranichfeld).key(), "withdraw:16071001");
    }

    fn planned_text(row: &Row, standing: Option<Standing>) -> String {
        Planned {
            plan: Ok(plan(row, standing.clone())),
            row: row.clone(),
            standing,
        }
        .text_de()
    }

    #[test]
    fn plans_go_only_forward() {
        let live = row(Live, Some("2025-03-01"));
        assert_eq!(
            plan(&live, None),
            Plan::Send(vec![Write::Request, Write::Step(Live)])
        );
        assert_eq!(
            plan(&live, at(Withdrawn, "2024-01-01")),
            Plan::Send(vec![Write::Request, Write::Step(Live)]),
            "a withdrawn adoption is asked for again"
        );
        assert_eq!(
            plan(&live, at(Agreed, "2025-01-01")),
            Plan::Send(vec![Write::Step(Live)])
        );
        assert_eq!(plan(&live, at(Live, "2025-03-01")), Plan::Unchanged);
        assert_eq!(
            plan(&live, at(Live, "2025-02-01")),
            Plan::OtherDay(at(Live, "2025-02-01").unwrap())
        );
        assert_eq!(
            plan(&row(Live, None), at(Live, "2025-02-01")),
            Plan::Unchanged
        );
        assert_eq!(
            plan(&row(Agreed, None), at(Onboarding, "2025-02-01")),
            Plan::Behind(at(Onboarding, "2025-02-01").unwrap())
        );
        assert_eq!(
            plan(&row(Requested, None), None),
            Plan::Send(vec![Write::Request])
        );
        assert_eq!(plan(&row(Withdrawn, None), None), Plan::Unchanged);
        assert_eq!(
            plan(&row(Withdrawn, None), at(Withdrawn, "2025-01-01")),
            Plan::Unchanged
        );
        assert_eq!(
            plan(&row(Withdrawn, None), at(Onboarding, "2025-01-01")),
            Plan::Send(vec![Write::Withdraw])
        );
        assert_eq!(
            plan(&live, at(Agreed, "2025-04-01")),
            Plan::Earlier(at(Agreed, "2025-04-01").unwrap()),
            "a step dated before the last one"
        );
        assert_eq!(
            plan(
                &row(Withdrawn, Some("2025-01-01")),
                at(Agreed, "2025-04-01")
            ),
            Plan::Earlier(at(Agreed, "2025-04-01").unwrap()),
            "a withdrawal dated before the last step"
        );
        assert_eq!(
            plan(&live, at(Withdrawn, "2025-06-01")),
            Plan::Earlier(at(Withdrawn, "2025-06-01").unwrap()),
            "asked anew before the withdrawal"
        );
        assert_eq!(
            plan(&row(Agreed, Some("2024-01-01")), at(Live, "2025-02-01")),
            Plan::Behind(at(Live, "2025-02-01").unwrap()),
            "behind stays behind, whatever its day"
        );
        assert_eq!(
            plan(
                &row(Withdrawn, Some("2025-01-05")),
                at(Withdrawn, "2024-12-31")
            ),
            Plan::OtherDay(at(Withdrawn, "2024-12-31").unwrap()),
            "a withdrawal on another day is said"
        );
    }
}
