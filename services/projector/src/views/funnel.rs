//! The adoption funnel of a service: how many adoptions reached each stage
//! by a day, and how long they took from request to live. Every adoption
//! counts (each `adoption_no` of each municipality), whatever became of the
//! municipality later: the funnel describes what happened. The counts are
//! kept at apply time (`index/funnels.rs`); this module makes the view of
//! them and keeps the rules both share.

use efa_proto::pages::FunnelOrder;
use efa_proto::views::FunnelView;
use efa_proto::{AdoptionStage, Date, LandCode, ServiceId};

use crate::facts::StepFact;
use crate::index::funnels::FunnelCounts;
use crate::views::days_between;
#[cfg(test)]
use crate::{asof::stage_index, facts::AdoptionFacts};

/// The funnel of `service` (in `land`, or everywhere) on `day` from the
/// `counts` of its adoptions by then.
///
/// `reached[i]` counts the adoptions with a step at stage i or later by
/// `day` (a skipped stage counts as reached when a later one is reached);
/// `reached[4]` counts withdrawals. Lead times run from the request to the
/// go-live of every adoption live by `day` (also if withdrawn later). The
/// median and the 90th percentile are by nearest rank: the `ceil(p * n)`-th
/// smallest of the n lead times (1-based), so the median of 4 values is the
/// 2nd smallest.
pub fn view(
    service: &ServiceId,
    land: Option<LandCode>,
    day: Date,
    counts: &FunnelCounts,
) -> FunnelView {
    FunnelView {
        service: service.clone(),
        land,
        as_of: day,
        reached: counts.reached,
        days_to_live_median: nearest_rank(&counts.lead_times, 50),
        days_to_live_p90: nearest_rank(&counts.lead_times, 90),
        live_count: u32::try_from(counts.lead_times.len()).unwrap_or(u32::MAX),
    }
}

/// Puts a Land's funnels in `order`, each order's ties by service id: by
/// the adoptions that reached live (the number the overview shows), or
/// by the median days to live, those without any live adoption last.
pub fn in_order(funnels: &mut [FunnelView], order: FunnelOrder) {
    use std::cmp::Reverse;
    // By id first: the sorts below are stable, so ties stay by id.
    funnels.sort_by(|a, b| a.service.cmp(&b.service));
    match order {
        FunnelOrder::Service => {}
        FunnelOrder::FewestLive => funnels.sort_by_key(|f| f.reached[3]),
        FunnelOrder::MostLive => funnels.sort_by_key(|f| Reverse(f.reached[3])),
        FunnelOrder::SlowestToLive => funnels.sort_by_key(|f| {
            (
                f.days_to_live_median.is_none(),
                Reverse(f.days_to_live_median),
            )
        }),
    }
}

/// The funnel computed from the service's adoption facts, as the views
/// first did: the oracle the kept courses (`index/funnels.rs`) are
/// checked against.
#[cfg(test)]
pub fn funnel(
    service: &ServiceId,
    land: Option<LandCode>,
    adoptions: &[AdoptionFacts],
    day: Date,
) -> FunnelView {
    let mut counts = FunnelCounts {
        reached: [0; 5],
        lead_times: Vec::new(),
    };
    let relevant = adoptions
        .iter()
        .filter(|a| a.service == *service && land.is_none_or(|land| a.ags.land() == land));
    for adoption in relevant {
        for (_, steps) in adoption.adoptions_by(day) {
            let furthest = steps
                .iter()
                .filter(|s| s.stage != AdoptionStage::Withdrawn)
                .map(|s| stage_index(s.stage))
                .max();
            if let Some(furthest) = furthest {
                counts.reached[..=furthest]
                    .iter_mut()
                    .for_each(|count| *count += 1);
            }
            if steps.iter().any(|s| s.stage == AdoptionStage::Withdrawn) {
                counts.reached[stage_index(AdoptionStage::Withdrawn)] += 1;
            }
            if let Some(days) = lead_time(&steps) {
                counts.lead_times.push(days);
            }
        }
    }
    counts.lead_times.sort_unstable();
    view(service, land, day, &counts)
}

/// Days from the request (or the first step) to the go-live, if live.
pub fn lead_time(steps: &[&StepFact]) -> Option<u32> {
    let live = steps.iter().find(|s| s.stage == AdoptionStage::Live)?;
    let start = steps
        .iter()
        .find(|s| s.stage == AdoptionStage::Requested)
        .or_else(|| steps.iter().min_by_key(|s| (s.at.effective, s.at.seq)))?;
    Some(days_between(start.at.effective, live.at.effective))
}

/// The `percent`-th percentile of ascending `sorted` by nearest rank:
/// the `ceil(percent / 100 * n)`-th smallest (1-based); `None` if empty.
pub fn nearest_rank(sorted: &[u32], percent: usize) -> Option<u32> {
    let n = sorted.len();
    let rank = (percent * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use efa_proto::Event;

    use super::*;
    use crate::testing::{Ledger, World, ags, date, land, service_id};

    #[test]
    fn a_lands_funnels_in_each_order() {
        let funnel = |id: &str, live: u32, median: Option<u32>| FunnelView {
            service: service_id(id),
            land: Some(land(16)),
            as_of: date("2024-06-30"),
            reached: [9, 8, 7, live, 0],
            days_to_live_median: median,
            days_to_live_p90: median,
            live_count: live,
        };
        let mut funnels = vec![
            funnel("svc-d", 2, Some(30)),
            funnel("svc-a", 5, Some(90)),
            funnel("svc-c", 0, None),
            funnel("svc-b", 2, Some(90)),
        ];
        let ids = |funnels: &[FunnelView]| -> Vec<String> {
            funnels.iter().map(|f| f.service.to_string()).collect()
        };
        in_order(&mut funnels, FunnelOrder::FewestLive);
        assert_eq!(ids(&funnels), ["svc-c", "svc-b", "svc-d", "svc-a"]);
        in_order(&mut funnels, FunnelOrder::MostLive);
        assert_eq!(ids(&funnels), ["svc-a", "svc-b", "svc-d", "svc-c"]);
        in_order(&mut funnels, FunnelOrder::SlowestToLive);
        assert_eq!(ids(&funnels), ["svc-a", "svc-b", "svc-d", "svc-c"]);
        in_order(&mut funnels, FunnelOrder::Service);
        assert_eq!(ids(&funnels), ["svc-a", "svc-b", "svc-c", "svc-d"]);
    }

    #[test]
    fn nearest_rank_by_hand() {
        let ten: Vec<u32> = (1..=10).map(|d| d * 10).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(50)); // ceil(5.0) = 5th
        assert_eq!(nearest_rank(&ten, 90), Some(90)); // ceil(9.0) = 9th
        let five = [3, 7, 20, 41, 100];
        assert_eq!(nearest_rank(&five, 50), Some(20)); // ceil(2.5) = 3rd
        assert_eq!(nearest_rank(&five, 90), Some(100)); // ceil(4.5) = 5th
        assert_eq!(nearest_rank(&[12], 90), Some(12));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    fn push(ledger: &mut Ledger, day: &str, code: &str, no: u32, stage: AdoptionStage) {
        let (service, ags) = (service_id("aaa-service"), ags(code));
        let note = String::new();
        let event = match stage {
            AdoptionStage::Requested => Event::AdoptionRequested {
                service,
                ags,
                adoption_no: no,
                note,
            },
            AdoptionStage::Withdrawn => Event::AdoptionWithdrawn {
                service,
                ags,
                adoption_no: no,
                note,
            },
            stage => Event::AdoptionStepRecorded {
                service,
                ags,
                adoption_no: no,
                stage,
                note,
            },
        };
        ledger.push(day, event);
    }

    #[test]
    fn skipped_stages_withdrawals_and_lead_times() {
        use AdoptionStage::*;
        let mut ledger = Ledger::default();
        // Erfurt: requested, then straight to live after 30 days.
        push(&mut ledger, "2024-01-01", "16051000", 1, Requested);
        push(&mut ledger, "2024-01-31", "16051000", 1, Live);
        // Weimar: requested, agreed, withdrawn; then a second adoption live after 10 days.
        push(&mut ledger, "2024-01-01", "16055000", 1, Requested);
        push(&mut ledger, "2024-02-01", "16055000", 1, Agreed);
        push(&mut ledger, "2024-03-01", "16055000", 1, Withdrawn);
        push(&mut ledger, "2024-04-01", "16055000", 2, Requested);
        push(&mut ledger, "2024-04-11", "16055000", 2, Live);
        // Kiel (Land 01): requested, onboarding after 90 days, live after 100.
        push(&mut ledger, "2024-01-01", "01002000", 1, Requested);
        push(&mut ledger, "2024-03-31", "01002000", 1, Onboarding);
        push(&mut ledger, "2024-04-10", "01002000", 1, Live);
        let world = World::replay(&ledger);
        let id = service_id("aaa-service");
        let all = funnel(&id, None, &world.adoptions, date("2024-12-31"));
        assert_eq!(all.reached, [4, 4, 3, 3, 1]);
        assert_eq!(all.live_count, 3);
        // Lead times 10, 30, 100: median the 2nd (ceil 1.5), p90 the 3rd (ceil 2.7).
        assert_eq!(
            (all.days_to_live_median, all.days_to_live_p90),
            (Some(30), Some(100))
        );
        let th = funnel(&id, Some(land(16)), &world.adoptions, date("2024-03-15"));
        assert_eq!(th.reached, [2, 2, 1, 1, 1]);
        assert_eq!((th.days_to_live_median, th.live_count), (Some(30), 1));
    }
}
