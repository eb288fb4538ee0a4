//! When a recovering gap is tried again after a failed run: at once the
//! first time, then after a wait that doubles per failure, capped.

use crate::store::coverage::Gap;

/// The first retry's wait after a failed run; it doubles per failure.
const FIRST_RETRY_MS: i64 = 30_000;
/// The longest wait between tries.
const LONGEST_RETRY_MS: i64 = 3_600_000;

/// True when `gap` may be tried at `now_ms`: at once the first time, then
/// after a wait that doubles with each failed run.
pub fn due(gap: &Gap, now_ms: i64) -> bool {
    let failed = gap.recovered.attempts;
    if failed == 0 {
        return true;
    }
    let wait = (FIRST_RETRY_MS << (failed - 1).min(16)).min(LONGEST_RETRY_MS);
    now_ms >= gap.updated_at_ms + wait
}
