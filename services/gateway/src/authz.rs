//! The gateway's early "no": before a command goes to the ledger, refuse
//! it when the kind of principal can never issue it (only a Land announces,
//! only the administration registers Gemeinden, Kreise, operators and
//! reference data) or when the rule needs nothing but the command itself
//! (a Land announces only itself as lead and joins or leaves only for
//! itself; a Gemeinde acts only for its own AGS, a Land only for its own
//! municipalities). This is a courtesy to callers, answered with the same
//! `Forbidden` reasons the domain uses: the domain, behind the ledger,
//! still decides everything, including the rules that need state (the
//! lead Land of a service, an operator's region).

use efa_proto::{Actor, Ags, Command, ForbiddenReason, LandCode, Rejection};

/// Which kinds of principal a command is open to, and what the gateway
/// can check of the command's own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Only a Land; whether it is the lead is the domain's question.
    Land,
    /// Only the Land named in the command (announce: the lead; join and
    /// leave: the Land).
    OwnLand(LandCode),
    /// The municipality itself, its Land, or an operator (whose region the
    /// domain checks); not the administration.
    ForGemeinde(Ags),
    /// As `ForGemeinde`, but any municipality: the successor of a merged
    /// one may end the adoptions merged into it, which only the domain
    /// knows (withdrawing an adoption).
    ForGemeindeOrSuccessor(Ags),
    /// Only the administration.
    Admin,
    /// A Land (whether the lead is the domain's question) or the
    /// administration: closing a year, correcting a participation.
    LandOrAdmin,
}

/// The rule of each command kind.
pub fn rule(command: &Command) -> Rule {
    match command {
        Command::AnnounceService(c) => Rule::OwnLand(c.lead),
        Command::JoinService(c) => Rule::OwnLand(c.land),
        Command::LeaveService(c) => Rule::OwnLand(c.land),
        Command::UpdateServiceDetails(_)
        | Command::ChangeServiceStatus(_)
        | Command::AssessReifegrad(_)
        | Command::RetireService(_)
        | Command::ReportCost(_)
        | Command::CorrectCost(_) => Rule::Land,
        Command::RequestAdoption(c) => Rule::ForGemeinde(c.ags),
        Command::RecordAdoptionStep(c) => Rule::ForGemeinde(c.ags),
        Command::WithdrawAdoption(c) => Rule::ForGemeindeOrSuccessor(c.ags),
        Command::RegisterGemeinde(_)
        | Command::RenameGemeinde(_)
        | Command::MergeGemeinde(_)
        | Command::RetireGemeinde(_)
        | Command::RegisterKreis(_)
        | Command::RegisterOperator(_)
        | Command::PublishAllocationKey(_)
        | Command::PublishPopulation(_) => Rule::Admin,
        Command::CloseYear(_) | Command::CorrectParticipation(_) => Rule::LandOrAdmin,
    }
}

/// `Ok` when the ledger may be asked; the `Forbidden` rejection otherwise.
pub fn check(actor: &Actor, command: &Command) -> Result<(), Rejection> {
    allowed(actor, rule(command)).map_err(|reason| Rejection::Forbidden { reason })
}

/// Whether `actor` passes `rule`, with the domain's reason if not.
pub fn allowed(actor: &Actor, rule: Rule) -> Result<(), ForbiddenReason> {
    use ForbiddenReason as Why;
    match (rule, actor) {
        (Rule::Land, Actor::Land(_)) => Ok(()),
        (Rule::Land, _) => Err(Why::LandOnly),
        (Rule::OwnLand(land), Actor::Land(own)) if *own == land => Ok(()),
        (Rule::OwnLand(_), Actor::Land(_)) => Err(Why::NotOwnLand),
        (Rule::OwnLand(_), _) => Err(Why::LandOnly),
        (Rule::ForGemeinde(ags), Actor::Gemeinde(own)) if *own == ags => Ok(()),
        (Rule::ForGemeinde(_), Actor::Gemeinde(_)) => Err(Why::NotOwnMunicipality),
        (Rule::ForGemeinde(ags), Actor::Land(land)) if *land == ags.land() => Ok(()),
        (Rule::ForGemeinde(_), Actor::Land(_)) => Err(Why::NotOwnLand),
        (Rule::ForGemeinde(_), Actor::Operator(_)) => Ok(()),
        (Rule::ForGemeinde(_), Actor::Admin) => Err(Why::NotOwnMunicipality),
        (Rule::ForGemeindeOrSuccessor(_), Actor::Gemeinde(_)) => Ok(()),
        (Rule::ForGemeindeOrSuccessor(ags), actor) => allowed(actor, Rule::ForGemeinde(ags)),
        (Rule::Admin, Actor::Admin) => Ok(()),
        (Rule::Admin, _) => Err(Why::AdminOnly),
        (Rule::LandOrAdmin, Actor::Land(_) | Actor::Admin) => Ok(()),
        (Rule::LandOrAdmin, _) => Err(Why::LeadOrAdmin),
    }
}

#[cfg(test)]
mod tests {
    use efa_proto::{JoinService, OperatorId, RequestAdoption, RetireGemeinde, ServiceId};

    use super::*;

    fn land(code: u8) -> LandCode {
        LandCode::new(code).unwrap()
    }

    fn ags(text: &str) -> Ags {
        Ags::parse(text).unwrap()
    }

    #[test]
    fn the_table_mirrors_the_domain_for_each_kind_of_principal() {
        let erfurt = ags("16051000");
        let actors = [
            Actor::Land(land(4)),
            Actor::Land(land(16)),
            Actor::Gemeinde(erfurt),
            Actor::Gemeinde(ags("04011000")),
            Actor::Operator(OperatorId::parse("kiv-thueringen").unwrap()),
            Actor::Admin,
        ];
        let outcome = |rule: Rule| actors.iter().map(|a| allowed(a, rule)).collect::<Vec<_>>();
        use ForbiddenReason as Why;
        assert_eq!(
            outcome(Rule::OwnLand(land(16))),
            [
                Err(Why::NotOwnLand),
                Ok(()),
                Err(Why::LandOnly),
                Err(Why::LandOnly),
                Err(Why::LandOnly),
                Err(Why::LandOnly)
            ]
        );
        assert_eq!(
            outcome(Rule::ForGemeinde(erfurt)),
            [
                Err(Why::NotOwnLand),
                Ok(()),
                Ok(()),
                Err(Why::NotOwnMunicipality),
                Ok(()),
                Err(Why::NotOwnMunicipality)
            ]
        );
        assert_eq!(outcome(Rule::Admin)[5], Ok(()));
        assert!(
            outcome(Rule::Admin)[..5]
                .iter()
                .all(|r| *r == Err(Why::AdminOnly))
        );
        assert_eq!(
            outcome(Rule::LandOrAdmin),
            [
                Ok(()),
                Ok(()),
                Err(Why::LeadOrAdmin),
                Err(Why::LeadOrAdmin),
                Err(Why::LeadOrAdmin),
                Ok(())
            ]
        );
        assert_eq!(outcome(Rule::Land)[..2], [Ok(()), Ok(())]);
        assert!(
            outcome(Rule::Land)[2..]
                .iter()
                .all(|r| *r == Err(Why::LandOnly))
        );
    }

    #[test]
    fn commands_are_checked_with_their_own_fields() {
        let service = ServiceId::parse("wohngeld").unwrap();
        let join = Command::JoinService(JoinService {
            service: service.clone(),
            land: land(16),
        });
        assert!(check(&Actor::Land(land(16)), &join).is_ok());
        assert_eq!(
            check(&Actor::Land(land(4)), &join),
            Err(Rejection::Forbidden {
                reason: ForbiddenReason::NotOwnLand
            })
        );
        let request = Command::RequestAdoption(RequestAdoption {
            service,
            ags: ags("16051000"),
            note: String::new(),
        });
        assert!(check(&Actor::Gemeinde(ags("16051000")), &request).is_ok());
        let retire = Command::RetireGemeinde(RetireGemeinde {
            ags: ags("16051000"),
        });
        assert!(check(&Actor::Admin, &retire).is_ok());
        assert!(check(&Actor::Land(land(16)), &retire).is_err());
    }
}
