//! Clock and the two date formats local-hub writes: ISO-8601 with milliseconds and a `Z`
//! suffix for JSON (buckets-api.md §3.4) and the HTTP-date for `Last-Modified`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Microseconds since the Unix epoch, now.
pub(crate) fn now_us() -> i64 {
    Utc::now().timestamp_micros()
}

/// Whole seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// Years 0000–9999 only, so every date keeps the fixed-width format.
const MAX_MS: i64 = 253_402_300_799_999;

fn to_datetime(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms.clamp(0, MAX_MS)).unwrap_or(DateTime::UNIX_EPOCH)
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ` (JavaScript `toISOString()` style).
pub(crate) fn iso(ms: i64) -> String {
    to_datetime(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An RFC 3339 / ISO-8601 instant (`2026-03-01T09:00:00.000Z`, any offset) → Unix ms.
pub(crate) fn parse_iso(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// RFC 9110 HTTP-date, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(ms: i64) -> String {
    to_datetime(ms)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_millis_and_z() {
        assert_eq!(iso(1_767_225_600_123), "2026-01-01T00:00:00.123Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(-5), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(i64::MAX), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn http_date_format() {
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
