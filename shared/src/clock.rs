//! Wall-clock time as the system stores it: Unix milliseconds.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    unix_ms(OffsetDateTime::now_utc())
}

/// An instant in Unix milliseconds.
pub fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// An RFC 3339 time (as Twitch sends them) in Unix milliseconds.
pub fn rfc3339_ms(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(unix_ms)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_with_and_without_fractions() {
        assert_eq!(super::rfc3339_ms("1970-01-01T00:00:01Z"), Some(1_000));
        assert_eq!(super::rfc3339_ms("1970-01-01T00:00:00.1Z"), Some(100));
        assert_eq!(super::rfc3339_ms("yesterday"), None);
    }
}
