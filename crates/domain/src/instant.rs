//! Points in time that came from outside: bounded, in UTC, at microsecond precision.
//!
//! Every date and timestamp a caller sends is parsed into an [`Instant`] at the edge, so
//! nothing stored can fall outside what both databases, JSON and the firm's calendar can
//! hold. The range is **1900-01-01T00:00:00Z up to (not including) 2201-01-01T00:00:00Z**:
//! wide enough for any valuation's history and plans, narrow enough that converting to any
//! offset, adding the SLA's days or formatting as RFC 3339 can never fail.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset, macros::datetime};

/// The first instant accepted.
pub const EARLIEST: OffsetDateTime = datetime!(1900-01-01 00:00:00 UTC);
/// The first instant no longer accepted.
pub const END: OffsetDateTime = datetime!(2201-01-01 00:00:00 UTC);

/// A timestamp inside [`EARLIEST`, `END`), normalised to UTC and truncated to microseconds
/// (what both databases keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(OffsetDateTime);

impl Instant {
    /// Accepts a point in time inside the range, in any offset.
    pub fn new(at: OffsetDateTime) -> Result<Self, String> {
        // Years far from the range are refused before any offset arithmetic, which would
        // overflow near the ends of `time`'s own range.
        if !(EARLIEST.year() - 1..=END.year() + 1).contains(&at.year()) {
            return Err(out_of_range());
        }
        let utc = at.to_offset(UtcOffset::UTC);
        if utc < EARLIEST || utc >= END {
            return Err(out_of_range());
        }
        let micros = utc.microsecond();
        Ok(Self(utc.replace_nanosecond(micros * 1_000).unwrap_or(utc)))
    }

    /// Parses an RFC 3339 timestamp (`2026-05-04T10:30:00+05:30`).
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        let at = OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map_err(|_| format!("'{}' is not an RFC 3339 timestamp", shorten(text)))?;
        Self::new(at)
    }

    /// The instant, in UTC.
    pub fn get(self) -> OffsetDateTime {
        self.0
    }
}

impl From<Instant> for OffsetDateTime {
    fn from(at: Instant) -> Self {
        at.0
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{:?}", self.0),
        }
    }
}

/// A calendar date as `YYYY-MM-DD` (also the front of an RFC 3339 timestamp), inside the
/// accepted years.
pub fn parse_day(raw: &str) -> Result<Date, String> {
    let raw = raw.trim();
    let day = raw
        .get(..10)
        .filter(|_| raw.len() == 10 || raw[10..].starts_with(['T', ' ']));
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = day
        .and_then(|d| Date::parse(d, &format).ok())
        .ok_or_else(|| format!("'{raw}' is not a date (YYYY-MM-DD)"))?;
    check_date(date)
}

/// Checks that a calendar date lies inside the accepted years.
pub fn check_date(date: Date) -> Result<Date, String> {
    if (EARLIEST.year()..END.year()).contains(&date.year()) {
        Ok(date)
    } else {
        Err(out_of_range())
    }
}

fn out_of_range() -> String {
    format!(
        "must lie between {}-01-01 and {}-12-31",
        EARLIEST.year(),
        END.year() - 1
    )
}

/// The start of a long input, for error messages.
fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn the_ends_of_the_range() {
        assert!(Instant::new(EARLIEST).is_ok());
        assert!(Instant::new(END - time::Duration::microseconds(1)).is_ok());
        assert!(Instant::new(END).is_err());
        assert!(Instant::new(EARLIEST - time::Duration::microseconds(1)).is_err());
        // 1900-01-01T00:30+01:00 is still 1899 in UTC.
        assert!(Instant::new(datetime!(1900-01-01 00:30 +01:00)).is_err());
        assert!(Instant::new(datetime!(2200-12-31 23:30 -01:00)).is_err());
    }

    #[test]
    fn hostile_timestamps_are_refused_not_panicking() {
        for text in [
            "9999-12-31T23:59:59-01:00",
            "0000-01-01T00:00:00+23:59",
            "0000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "1899-12-31T23:59:59Z",
            "2201-01-01T00:00:00Z",
            "not a time",
            "",
        ] {
            assert!(Instant::parse_rfc3339(text).is_err(), "{text}");
        }
        assert!(Instant::new(OffsetDateTime::new_utc(Date::MIN, time::Time::MIDNIGHT)).is_err());
        assert!(Instant::new(OffsetDateTime::new_utc(Date::MAX, time::Time::MIDNIGHT)).is_err());
    }

    #[test]
    fn normalises_to_utc_microseconds() {
        let at = Instant::parse_rfc3339("2026-05-04T10:30:00.123456789+05:30").unwrap();
        assert_eq!(at.get(), datetime!(2026-05-04 05:00:00.123456 UTC));
        assert_eq!(at.get().offset(), UtcOffset::UTC);
    }

    #[test]
    fn dates_are_checked_by_year() {
        assert!(check_date(date!(1900 - 01 - 01)).is_ok());
        assert!(check_date(date!(2200 - 12 - 31)).is_ok());
        assert!(check_date(date!(1899 - 12 - 31)).is_err());
        assert!(check_date(date!(2201 - 01 - 01)).is_err());
        assert!(check_date(date!(-0001 - 01 - 01)).is_err());
    }

    proptest! {
        /// Any offset and any time `time` can represent: either accepted inside the range,
        /// in UTC and formattable as RFC 3339, or refused — never a panic.
        #[test]
        fn every_input_is_bounded_or_refused(
            julian in Date::MIN.to_julian_day()..=Date::MAX.to_julian_day(),
            seconds in 0u32..86_400,
            nanos in 0u32..1_000_000_000,
            offset in -86_399i32..=86_399,
        ) {
            let day = Date::from_julian_day(julian).unwrap();
            let time = time::Time::from_hms_nano(
                (seconds / 3600) as u8, (seconds / 60 % 60) as u8, (seconds % 60) as u8, nanos,
            ).unwrap();
            let offset = UtcOffset::from_whole_seconds(offset).unwrap();
            let at = time::PrimitiveDateTime::new(day, time).assume_offset(offset);
            if let Ok(instant) = Instant::new(at) {
                prop_assert!(instant.get() >= EARLIEST && instant.get() < END);
                prop_assert_eq!(instant.get().offset(), UtcOffset::UTC);
                prop_assert_eq!(instant.get().nanosecond() % 1_000, 0);
                let text = instant.get().format(&Rfc3339).unwrap();
                prop_assert_eq!(Instant::parse_rfc3339(&text).unwrap(), instant);
            }
        }
    }
}
