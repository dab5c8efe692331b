//! Working days: which calendar days the firm works, given its weekly off days (Sunday
//! unless configured otherwise) and its holidays.
//!
//! Leave counts the working days a request takes, the SLA moves work due on a day off to
//! the next working day, and task templates count offsets in working days. The rules are
//! here, over a [`WorkingCalendar`] that holds the holidays of the period in question; the
//! [`HolidayCalendar`] port reads them.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use time::{Date, Duration, Weekday};

use crate::error::DomainResult;

/// How far ahead of a date the next working day is looked for. A firm closed for longer
/// than this has bigger problems; past it the date itself is taken.
pub const SEARCH_HORIZON_DAYS: i64 = 62;

/// The days of the week the firm does not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyOffs(BTreeSet<u8>);

impl WeeklyOffs {
    pub fn new(days: impl IntoIterator<Item = Weekday>) -> Self {
        Self(
            days.into_iter()
                .map(|d| d.number_days_from_monday())
                .collect(),
        )
    }

    pub fn contains(&self, day: Weekday) -> bool {
        self.0.contains(&day.number_days_from_monday())
    }

    /// The days, Monday first.
    pub fn days(&self) -> Vec<Weekday> {
        let mut day = Weekday::Monday;
        let mut days = Vec::new();
        for _ in 0..7 {
            if self.contains(day) {
                days.push(day);
            }
            day = day.next();
        }
        days
    }

    /// Parses a comma-separated list of English day names or their first three letters
    /// (`"SUN"`, `"saturday,sunday"`). An empty list means the firm works every day; all
    /// seven days off is refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut days = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let lower = part.to_ascii_lowercase();
            let day = [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
                Weekday::Saturday,
                Weekday::Sunday,
            ]
            .into_iter()
            .find(|d| {
                let name = d.to_string().to_ascii_lowercase();
                name == lower || (lower.len() == 3 && name.starts_with(&lower))
            })
            .ok_or_else(|| format!("unknown day of the week '{part}'"))?;
            days.push(day);
        }
        let offs = Self::new(days);
        if offs.0.len() == 7 {
            return Err("every day of the week cannot be off".to_owned());
        }
        Ok(offs)
    }
}

impl Default for WeeklyOffs {
    /// Sunday.
    fn default() -> Self {
        Self::new([Weekday::Sunday])
    }
}

/// The firm's working days over a period: weekly offs and the holidays that fall in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkingCalendar {
    offs: WeeklyOffs,
    holidays: BTreeSet<Date>,
}

impl WorkingCalendar {
    pub fn new(offs: WeeklyOffs, holidays: impl IntoIterator<Item = Date>) -> Self {
        Self {
            offs,
            holidays: holidays.into_iter().collect(),
        }
    }

    pub fn is_holiday(&self, day: Date) -> bool {
        self.holidays.contains(&day)
    }

    pub fn is_working_day(&self, day: Date) -> bool {
        !self.offs.contains(day.weekday()) && !self.is_holiday(day)
    }

    /// `day` if the firm works on it, else the first working day after it (within
    /// [`SEARCH_HORIZON_DAYS`]; past that, `day` itself).
    pub fn working_day_on_or_after(&self, day: Date) -> Date {
        let mut candidate = day;
        for _ in 0..=SEARCH_HORIZON_DAYS {
            if self.is_working_day(candidate) {
                return candidate;
            }
            match candidate.next_day() {
                Some(next) => candidate = next,
                None => break,
            }
        }
        day
    }

    /// The first working day strictly after `day`.
    pub fn next_working_day(&self, day: Date) -> Date {
        match day.next_day() {
            Some(next) => self.working_day_on_or_after(next),
            None => day,
        }
    }

    /// How many working days `start ..= end` holds (0 when `end < start`).
    pub fn working_days(&self, start: Date, end: Date) -> u32 {
        days(start, end)
            .filter(|d| self.is_working_day(*d))
            .count()
            .try_into()
            .unwrap_or(u32::MAX)
    }

    /// The working day `n` working days after `day` (`n = 0`: `day` or the next working
    /// day).
    pub fn add_working_days(&self, day: Date, n: u32) -> Date {
        let mut at = self.working_day_on_or_after(day);
        for _ in 0..n {
            at = self.next_working_day(at);
        }
        at
    }
}

/// Every date of `start ..= end`, in order.
pub fn days(start: Date, end: Date) -> impl Iterator<Item = Date> {
    let mut next = (start <= end).then_some(start);
    std::iter::from_fn(move || {
        let day = next?;
        next = day.next_day().filter(|d| *d <= end);
        Some(day)
    })
}

/// A holiday of the firm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
}

/// Reads the firm's holidays.
#[async_trait]
pub trait HolidayCalendar: Send + Sync {
    /// The holidays on `from ..= to`.
    async fn between(&self, from: Date, to: Date) -> DomainResult<Vec<Holiday>>;
}

/// No holidays at all; for tests and tools that do not need them.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHolidays;

#[async_trait]
impl HolidayCalendar for NoHolidays {
    async fn between(&self, _from: Date, _to: Date) -> DomainResult<Vec<Holiday>> {
        Ok(Vec::new())
    }
}

/// The firm's working days as configured: weekly offs, and holidays read when needed.
#[derive(Clone)]
pub struct WorkingDays {
    offs: WeeklyOffs,
    holidays: Arc<dyn HolidayCalendar>,
}

impl WorkingDays {
    pub fn new(offs: WeeklyOffs, holidays: Arc<dyn HolidayCalendar>) -> Self {
        Self { offs, holidays }
    }

    pub fn offs(&self) -> &WeeklyOffs {
        &self.offs
    }

    /// The calendar for `from ..= to`, plus enough days after `to` to find the next
    /// working day of any date in it.
    pub async fn calendar(&self, from: Date, to: Date) -> DomainResult<WorkingCalendar> {
        let until = to
            .checked_add(Duration::days(SEARCH_HORIZON_DAYS))
            .unwrap_or(to);
        let holidays = self.holidays.between(from, until).await?;
        Ok(WorkingCalendar::new(
            self.offs.clone(),
            holidays.into_iter().map(|h| h.date),
        ))
    }

    /// The calendar around the given days (none: an empty calendar of weekly offs).
    pub async fn around(&self, days: &[Date]) -> DomainResult<WorkingCalendar> {
        match (days.iter().min(), days.iter().max()) {
            (Some(from), Some(to)) => self.calendar(*from, *to).await,
            _ => Ok(WorkingCalendar::new(self.offs.clone(), [])),
        }
    }
}

/// The holidays as master data, kept in step with the SLA: adding, moving or removing one
/// works out again the due time of open work around its date.
#[derive(Clone)]
pub struct HolidayService {
    master: crate::master::MasterService<crate::master::Holidays>,
    assignments: crate::assignment::AssignmentService,
}

type HolidayRecord = crate::master::Record<crate::master::HolidayFields>;

impl HolidayService {
    pub fn new(
        master: crate::master::MasterService<crate::master::Holidays>,
        assignments: crate::assignment::AssignmentService,
    ) -> Self {
        Self {
            master,
            assignments,
        }
    }

    pub async fn list(
        &self,
        actor: &crate::access::Actor,
        filter: crate::master::MasterFilter,
        page: crate::page::Page,
    ) -> DomainResult<crate::page::Paged<HolidayRecord>> {
        self.master.list(actor, filter, page).await
    }

    pub async fn get(&self, actor: &crate::access::Actor, id: i64) -> DomainResult<HolidayRecord> {
        self.master.get(actor, id).await
    }

    pub async fn create(
        &self,
        actor: &crate::access::Actor,
        draft: crate::master::HolidayDraft,
    ) -> DomainResult<HolidayRecord> {
        let created = self.master.create(actor, draft).await?;
        self.assignments
            .replan_due_times(created.fields.date)
            .await?;
        Ok(created)
    }

    pub async fn update(
        &self,
        actor: &crate::access::Actor,
        id: i64,
        draft: crate::master::HolidayDraft,
    ) -> DomainResult<HolidayRecord> {
        // Permission before existence: a caller who may not write learns nothing.
        actor.require(<crate::master::Holidays as crate::master::MasterKind>::MANAGE)?;
        let before = self.master.get(actor, id).await?;
        let updated = self.master.update(actor, id, draft).await?;
        if before.fields.date != updated.fields.date {
            self.assignments
                .replan_due_times(before.fields.date)
                .await?;
            self.assignments
                .replan_due_times(updated.fields.date)
                .await?;
        }
        Ok(updated)
    }

    pub async fn delete(&self, actor: &crate::access::Actor, id: i64) -> DomainResult<()> {
        actor.require(<crate::master::Holidays as crate::master::MasterKind>::MANAGE)?;
        let before = self.master.get(actor, id).await?;
        self.master.delete(actor, id).await?;
        self.assignments
            .replan_due_times(before.fields.date)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn firm() -> WorkingCalendar {
        // 2026-01-26 (Monday) is Republic Day.
        WorkingCalendar::new(WeeklyOffs::default(), [date!(2026 - 01 - 26)])
    }

    #[test]
    fn sundays_and_holidays_are_not_worked() {
        let c = firm();
        assert!(!c.is_working_day(date!(2026 - 01 - 25))); // Sunday
        assert!(!c.is_working_day(date!(2026 - 01 - 26))); // holiday
        assert!(c.is_working_day(date!(2026 - 01 - 24))); // Saturday
        assert!(c.is_working_day(date!(2026 - 01 - 27)));
    }

    #[test]
    fn a_range_counts_only_working_days() {
        let c = firm();
        // Sat 24 .. Wed 28: Sat, Tue, Wed (Sunday and the holiday are free).
        assert_eq!(
            c.working_days(date!(2026 - 01 - 24), date!(2026 - 01 - 28)),
            3
        );
        assert_eq!(
            c.working_days(date!(2026 - 01 - 25), date!(2026 - 01 - 26)),
            0
        );
        assert_eq!(
            c.working_days(date!(2026 - 01 - 28), date!(2026 - 01 - 27)),
            0
        );
        let two_offs = WorkingCalendar::new(
            WeeklyOffs::parse("sat, SUNDAY").unwrap(),
            [date!(2026 - 01 - 26)],
        );
        assert_eq!(
            two_offs.working_days(date!(2026 - 01 - 19), date!(2026 - 02 - 01)),
            9
        );
    }

    #[test]
    fn the_next_working_day_skips_every_day_off() {
        let c = firm();
        assert_eq!(
            c.working_day_on_or_after(date!(2026 - 01 - 25)),
            date!(2026 - 01 - 27)
        );
        assert_eq!(
            c.working_day_on_or_after(date!(2026 - 01 - 27)),
            date!(2026 - 01 - 27)
        );
        assert_eq!(
            c.next_working_day(date!(2026 - 01 - 24)),
            date!(2026 - 01 - 27)
        );
        assert_eq!(
            c.add_working_days(date!(2026 - 01 - 23), 2),
            date!(2026 - 01 - 27)
        );
    }

    #[test]
    fn weekly_offs_parse_names_and_refuse_garbage() {
        assert_eq!(
            WeeklyOffs::parse("Fri,sat").unwrap().days(),
            vec![Weekday::Friday, Weekday::Saturday]
        );
        assert!(WeeklyOffs::parse("").unwrap().days().is_empty());
        assert!(WeeklyOffs::parse("funday").is_err());
        assert!(WeeklyOffs::parse("mon,tue,wed,thu,fri,sat,sun").is_err());
    }
}
