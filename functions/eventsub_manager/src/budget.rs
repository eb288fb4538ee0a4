//! The account's EventSub cost budget as Twitch's answers report it
//! (`total_cost` against `max_total_cost`, never guessed from a status):
//! what a create may cost, the share kept for streamers already tracked, and
//! the words a type's state gives when the budget is full.

use shared::eventsub::catalog::Kind;
use shared::helix::eventsub::Totals;

/// What creating `kind` about a broadcaster who granted our client `scopes`
/// costs: 0 for a type that needs the user's authorization, or for a user
/// who authorized our client at all; else 1 (Twitch's rule).
pub fn cost(kind: &Kind, scopes: &[String]) -> u64 {
    u64::from(!kind.needs_authorization() && scopes.is_empty())
}

/// The points of `totals.max_total_cost` kept for streamers already tracked.
pub fn reserve(totals: &Totals, reserve_percent: u32) -> u64 {
    totals.max_total_cost * u64::from(reserve_percent.min(100)) / 100
}

/// Whether a subscription costing `cost` fits, leaving `kept` points free.
/// A free one always fits; a maximum of 0 is Twitch not saying: it fits.
pub fn fits(totals: &Totals, cost: u64, kept: u64) -> bool {
    cost == 0
        || totals.max_total_cost == 0
        || totals.total_cost.saturating_add(cost).saturating_add(kept) <= totals.max_total_cost
}

/// The state's reason when a newly tracked streamer would eat into the reserve.
pub fn reserved(totals: &Totals, kept: u64) -> String {
    format!(
        "this deployment's EventSub budget is full: {} of {} used, and the last {kept} are \
         kept for streamers already tracked; tried again later",
        totals.total_cost, totals.max_total_cost
    )
}

/// The state's reason when Twitch refused a create and its totals say the
/// cost does not fit (whatever status it answered).
pub fn refused(totals: &Totals, twitch: &str) -> String {
    format!(
        "this deployment's EventSub budget is full: {} of {} used (Twitch: {twitch}); \
         tried again later",
        totals.total_cost, totals.max_total_cost
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(total_cost: u64, max_total_cost: u64) -> Totals {
        Totals {
            total: 0,
            total_cost,
            max_total_cost,
        }
    }

    #[test]
    fn the_reserve_is_kept_from_new_streamers_only() {
        let t = totals(94, 100);
        let kept = reserve(&t, 5);
        assert_eq!(kept, 5);
        assert!(fits(&t, 1, kept), "leaves exactly the reserve");
        assert!(!fits(&totals(95, 100), 1, kept));
        assert!(fits(&totals(95, 100), 1, 0), "already tracked");
        assert!(!fits(&totals(100, 100), 1, 0));
        assert!(fits(&totals(100, 100), 0, kept), "a free one always fits");
        assert!(fits(&totals(7, 0), 1, 0), "no maximum reported");
    }
}
