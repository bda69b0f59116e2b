//! Seeds: commands with a stable label from which their command id is
//! derived, so that sending the same seeds again is answered from the
//! ledger's memory of command ids and writes nothing.

use efa_proto::{
    Actor, Ags, Command, CommandEnvelope, CommandId, Date, OperatorId, Population,
    PublishAllocationKey, PublishPopulation, Region, RegisterGemeinde, RegisterKreis,
    RegisterOperator,
};
use sha2::{Digest, Sha256};

use crate::csv::CsvError;
use crate::tables;

/// A command to send, and why it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    /// Stable across releases: the command id is derived from it.
    pub label: String,
    pub actor: Actor,
    pub effective: Option<Date>,
    pub command: Command,
    /// The line of the file it was read from, if it was read from one.
    pub line: Option<usize>,
}

impl Seed {
    pub fn new(
        label: impl Into<String>,
        actor: Actor,
        effective: Option<Date>,
        command: Command,
    ) -> Self {
        Self {
            label: label.into(),
            actor,
            effective,
            command,
            line: None,
        }
    }

    /// The same seed, read from line `line` of a file.
    pub fn from_line(self, line: usize) -> Self {
        Self {
            line: Some(line),
            ..self
        }
    }

    pub fn command_id(&self) -> CommandId {
        let digest = Sha256::digest(format!("efa-registry seed v1\n{}", self.label));
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        CommandId(id)
    }

    pub fn envelope(&self) -> CommandEnvelope {
        CommandEnvelope {
            command_id: self.command_id(),
            actor: self.actor.clone(),
            expected_version: None,
            effective: self.effective,
            command: self.command.clone(),
        }
    }
}

/// The day the shipped population figures refer to.
pub fn population_date() -> Date {
    Date::from_ymd(2018, 12, 31).expect("a valid date")
}

/// The day a published allocation key takes effect: the first of its
/// year. Cost views as of a date read only the keys in effect then, so a
/// key loaded from the tables (for years long past) counts from its year
/// on, not from the day it was loaded.
pub fn key_effective(year: u16) -> Date {
    Date::from_ymd(i32::from(year), 1, 1).unwrap_or_else(|_| population_date())
}

/// KIV Thüringen, the operator for Thuringian municipalities.
pub fn kiv() -> OperatorId {
    OperatorId::parse("kiv-thueringen").expect("a valid operator id")
}

/// The sourced facts: population of the Länder, the Königsteiner
/// Schlüssel years, Thüringen's Kreise, its kreisfreie Städte as
/// municipalities, and KIV Thüringen for Land 16.
pub fn reference_seeds() -> Result<Vec<Seed>, CsvError> {
    let mut seeds = Vec::new();
    let figures = tables::laender()?
        .into_iter()
        .map(|l| (l.code, l.population))
        .collect();
    let date = population_date();
    // In effect from the day they describe, as the keys from their year.
    seeds.push(Seed::new(
        "population/2018-12-31",
        Actor::Admin,
        Some(date),
        Command::PublishPopulation(PublishPopulation {
            reference_date: date,
            figures,
        }),
    ));
    for (year, shares) in tables::koenigsteiner()? {
        let command = Command::PublishAllocationKey(PublishAllocationKey { year, shares });
        seeds.push(Seed::new(
            format!("koenigsteiner/{year}"),
            Actor::Admin,
            Some(key_effective(year)),
            command,
        ));
    }
    for kreis in tables::thueringen_kreise()?
        .into_iter()
        .filter(|k| !k.historic)
    {
        let population = Some(Population {
            count: kreis.population,
            reference_date: date,
        });
        let command = Command::RegisterKreis(RegisterKreis {
            key: kreis.key,
            name: kreis.name.clone(),
            population,
        });
        seeds.push(Seed::new(
            format!("kreis/{}", kreis.key),
            Actor::Admin,
            None,
            command,
        ));
        if kreis.kreisfrei {
            let ags =
                Ags::parse(&format!("{}000", kreis.key)).expect("a Kreis key with 000 is an AGS");
            let command = Command::RegisterGemeinde(RegisterGemeinde {
                ags,
                name: kreis.name,
                population,
            });
            seeds.push(Seed::new(
                format!("gemeinde/{ags}"),
                Actor::Admin,
                None,
                command,
            ));
        }
    }
    let region = Region::Land(efa_proto::LandCode::new(16).expect("16 is Thüringen"));
    let command = Command::RegisterOperator(RegisterOperator {
        operator: kiv(),
        name: "KIV Thüringen".into(),
        region,
    });
    seeds.push(Seed::new(
        "operator/kiv-thueringen",
        Actor::Admin,
        None,
        command,
    ));
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_seeds_have_distinct_stable_ids() {
        let seeds = reference_seeds().unwrap();
        let mut ids: Vec<_> = seeds.iter().map(Seed::command_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), seeds.len());
        assert_eq!(
            reference_seeds().unwrap()[0].command_id(),
            seeds[0].command_id()
        );
        // 1 population + 3 keys + 22 Kreise + 5 kreisfreie Städte + KIV.
        assert_eq!(seeds.len(), 32);
    }
}
