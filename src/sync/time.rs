//! Times of sync plans (workflows spec §1.7): Python's `datetime.isoformat()` of a time given
//! in milliseconds since the epoch, to the microsecond and with Python's rounding.
//!
//! ```
//! use hf_buckets::sync::iso_from_ms;
//! assert_eq!(iso_from_ms(1_771_408_800_900.0), "2026-02-18T10:00:00.900000+00:00");
//! assert_eq!(iso_from_ms(0.0), "1970-01-01T00:00:00+00:00");
//! ```

use std::fmt::Write as _;

/// Python's `datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat()`: seconds split
/// with `modf`, microseconds rounded half to even, then `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`.
/// A non-finite time is shown as the epoch.
pub fn iso_from_ms(ms: f64) -> String {
    let t = ms / 1000.0;
    let t = if t.is_finite() { t } else { 0.0 };
    let mut int = t.trunc();
    let mut frac = round_half_even((t - int) * 1e6);
    if frac >= 1e6 {
        frac -= 1e6;
        int += 1.0;
    } else if frac < 0.0 {
        frac += 1e6;
        int -= 1.0;
    }
    let secs = int as i64;
    let micros = frac as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if micros != 0 {
        let _ = write!(s, ".{micros:06}");
    }
    s.push_str("+00:00");
    s
}

/// C's `round` with ties to even, as CPython's `_PyTime_ROUND_HALF_EVEN`.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() == 0.5 {
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_like_python_isoformat() {
        // Each expected value printed by Python 3.11:
        // datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat()
        let table: &[(f64, &str)] = &[
            (0.0, "1970-01-01T00:00:00+00:00"),
            (1_771_408_800_000.0, "2026-02-18T10:00:00+00:00"),
            (1_771_408_800_900.0, "2026-02-18T10:00:00.900000+00:00"),
            (1_771_338_543_512.0, "2026-02-17T14:29:03.512000+00:00"),
            (1_700_000_000_123.456_8, "2023-11-14T22:13:20.123457+00:00"),
            (1_700_000_000_000.000_5, "2023-11-14T22:13:20+00:00"),
            (951_782_400_000.0, "2000-02-29T00:00:00+00:00"),
            (-1.0, "1969-12-31T23:59:59.999000+00:00"),
            (253_402_300_799_000.0, "9999-12-31T23:59:59+00:00"),
        ];
        for &(ms, want) in table {
            assert_eq!(iso_from_ms(ms), want, "{ms}");
        }
    }
}
