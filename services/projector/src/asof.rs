//! Reading the facts of one entity as of a day: the service's details,
//! status and Länder on that day, a municipality's name and whether it
//! still exists, an adoption's current stage. Pure; the views are built
//! from these.

use efa_domain::allocation::Interval;
use efa_proto::{AdoptionStage, Ags, Date, LandCode, Reifegrad, ServiceStatus, ServiceView};

use crate::facts::{
    AdoptionFacts, Details, GemeindeFacts, ServiceFacts, StepFact, in_effect, latest,
};

impl ServiceFacts {
    pub fn announced_on(&self) -> Date {
        self.announced.effective
    }

    /// Whether the announcement takes effect by `day`.
    pub fn announced_by(&self, day: Date) -> bool {
        self.announced.by(day)
    }

    pub fn details_on(&self, day: Date) -> &Details {
        in_effect(&self.detail_updates, day).map_or(&self.details, |(_, details)| details)
    }

    /// The details after the latest update, whatever its date.
    pub fn current_details(&self) -> &Details {
        latest(&self.detail_updates).unwrap_or(&self.details)
    }

    pub fn retired_by(&self, day: Date) -> bool {
        self.retired.as_ref().is_some_and(|(at, _)| at.by(day))
    }

    pub fn status_on(&self, day: Date) -> ServiceStatus {
        if self.retired_by(day) {
            return ServiceStatus::Retired;
        }
        in_effect(&self.status_changes, day).map_or(self.status, |(_, status)| *status)
    }

    pub fn reifegrad_on(&self, day: Date) -> Reifegrad {
        in_effect(&self.assessments, day).map_or(self.reifegrad, |(_, level)| *level)
    }

    pub fn takes_part(&self, land: LandCode, day: Date) -> bool {
        self.participations
            .iter()
            .any(|p| p.land == land && p.covers(day))
    }

    /// The Länder taking part on `day`, the lead included, by code.
    pub fn lands_on(&self, day: Date) -> Vec<LandCode> {
        let mut lands: Vec<LandCode> = self
            .participations
            .iter()
            .filter(|p| p.covers(day))
            .map(|p| p.land)
            .collect();
        lands.sort();
        lands.dedup();
        lands
    }

    /// Every participation, as the cost allocation counts them.
    pub fn intervals(&self) -> Vec<Interval> {
        self.participations
            .iter()
            .map(|p| Interval {
                land: p.land,
                joined: p.joined,
                left: p.left,
            })
            .collect()
    }

    /// The catalogue's view of the service on `day`: details, status and
    /// Reifegrad in effect then; version and sequence of the last of those
    /// changes in effect.
    pub fn view_on(&self, day: Date) -> ServiceView {
        let details = self.details_on(day);
        let last = std::iter::once(&self.announced)
            .chain(self.detail_updates.iter().map(|(at, _)| at))
            .chain(self.status_changes.iter().map(|(at, _)| at))
            .chain(self.assessments.iter().map(|(at, _)| at))
            .chain(self.retired.iter().map(|(at, _)| at))
            .filter(|at| at.by(day))
            .max_by_key(|at| at.seq)
            .copied()
            .unwrap_or(self.announced);
        ServiceView {
            id: self.id.clone(),
            title: details.title.clone(),
            lead: self.lead,
            ozg_id: details.ozg_id.clone(),
            leika: details.leika.clone(),
            themenfeld: details.themenfeld.clone(),
            provider: details.provider.clone(),
            channel: details.channel,
            cost_model: details.cost_model.clone(),
            status: self.status_on(day),
            reifegrad: self.reifegrad_on(day),
            announced_on: self.announced_on(),
            recorded_at: self.recorded_at,
            // What `If-Match` is checked against: the stream's version after
            // its last event of any kind (joins and costs included).
            version: self.stream_version.max(last.version),
            last_seq: last.seq,
        }
    }
}

impl ServiceFacts {
    /// The details as recorded before the event at `seq`: the last update
    /// recorded before it, else the announced ones.
    pub fn details_before(&self, seq: u64) -> &Details {
        (self.detail_updates.iter())
            .rev()
            .find(|(at, _)| at.seq < seq)
            .map_or(&self.details, |(_, details)| details)
    }

    /// Cost line `cost_no`'s amount before the event at `seq`: the last
    /// correction recorded before it, else the amount reported.
    pub fn cost_before(&self, cost_no: u32, seq: u64) -> Option<efa_proto::Cents> {
        let line = self.costs.iter().find(|line| line.cost_no == cost_no)?;
        let corrected = (line.corrections.iter())
            .rev()
            .find(|correction| correction.at.seq < seq);
        Some(corrected.map_or(line.reported, |correction| correction.amount))
    }
}

impl GemeindeFacts {
    /// The name on `day` (the registered name before any renaming).
    pub fn name_on(&self, day: Date) -> &str {
        in_effect(&self.renames, day).map_or(&self.name, |(_, name)| name)
    }

    /// The name it had when the event at `seq` was recorded: the last
    /// rename recorded before it, else the registered name.
    pub fn name_before(&self, seq: u64) -> &str {
        (self.renames.iter())
            .rev()
            .find(|(at, _)| at.seq < seq)
            .map_or(&self.name, |(_, name)| name)
    }

    /// The municipality it merged into, if the merger takes effect by `day`.
    pub fn successor_on(&self, day: Date) -> Option<Ags> {
        self.merged
            .as_ref()
            .filter(|(at, _)| at.by(day))
            .map(|(_, successor)| *successor)
    }

    pub fn retired_by(&self, day: Date) -> bool {
        self.retired.as_ref().is_some_and(|at| at.by(day))
    }

    /// Neither merged nor retired by `day`. The registration's date does
    /// not limit it: registering records reference data (imports carry the
    /// Gebietsstand, seeds today's date), not when the municipality came to
    /// be, and adoptions recorded with earlier dates must find it.
    pub fn active_on(&self, day: Date) -> bool {
        self.successor_on(day).is_none() && !self.retired_by(day)
    }

    pub fn population_count(&self) -> u64 {
        self.population.map_or(0, |p| p.count)
    }
}

/// Where an adoption stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    pub adoption_no: u32,
    pub stage: AdoptionStage,
    /// The effective date of its last step.
    pub since: Date,
}

impl AdoptionFacts {
    /// The municipality's current adoption on `day`: the one with the
    /// highest number that has a step by then, at its latest step.
    pub fn current_on(&self, day: Date) -> Option<Current> {
        let steps = self.steps.iter().filter(|step| step.at.by(day));
        let adoption_no = steps.clone().map(|step| step.adoption_no).max()?;
        let last = steps
            .filter(|step| step.adoption_no == adoption_no)
            .max_by_key(|step| (step.at.effective, step.at.seq))?;
        Some(Current {
            adoption_no,
            stage: last.stage,
            since: last.at.effective,
        })
    }

    /// Each adoption (by number, ascending) with its steps, in ledger
    /// order.
    pub fn by_number(&self) -> Vec<(u32, Vec<&StepFact>)> {
        let mut numbers: Vec<u32> = self.steps.iter().map(|s| s.adoption_no).collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
            .into_iter()
            .map(|no| {
                let steps = self.steps.iter().filter(|s| s.adoption_no == no);
                (no, steps.collect())
            })
            .collect()
    }

    /// Each adoption (by number) with its steps that take effect by `day`
    /// (for the funnel's oracle).
    #[cfg(test)]
    pub fn adoptions_by(&self, day: Date) -> Vec<(u32, Vec<&StepFact>)> {
        self.by_number()
            .into_iter()
            .map(|(no, steps)| {
                (
                    no,
                    steps
                        .into_iter()
                        .filter(|s| s.at.by(day))
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, steps)| !steps.is_empty())
            .collect()
    }
}

/// Index of a stage in the per-stage arrays of the views (requested,
/// agreed, onboarding, live, withdrawn).
pub fn stage_index(stage: AdoptionStage) -> usize {
    match stage {
        AdoptionStage::Requested => 0,
        AdoptionStage::Agreed => 1,
        AdoptionStage::Onboarding => 2,
        AdoptionStage::Live => 3,
        AdoptionStage::Withdrawn => 4,
    }
}

/// How far an adoption got: a withdrawn one least, a live one most.
pub fn advancement(stage: AdoptionStage) -> u8 {
    match stage {
        AdoptionStage::Withdrawn => 0,
        AdoptionStage::Requested => 1,
        AdoptionStage::Agreed => 2,
        AdoptionStage::Onboarding => 3,
        AdoptionStage::Live => 4,
    }
}
