//! Leave rules and use cases over in-memory fakes: no database.

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

use super::*;
use crate::access::{CapabilityOverrides, Roles};
use crate::activity::ActivityDraft;
use crate::approval::ApprovalStore;
use crate::assignment::AssignmentStore;
use crate::calendar::CalendarStore;
use crate::clock::FixedClock;
use crate::invoice::InvoiceStore;
use crate::message::MessageStore;
use crate::task::TaskStore;
use crate::user::UserStore;
use crate::work::{Transaction, UnitOfWork};
use crate::workdays::{Holiday, HolidayCalendar, WeeklyOffs, WorkingCalendar, WorkingDays};

const HR: UserId = UserId(1);
const ADMIN: UserId = UserId(2);
const VALUER: UserId = UserId(3);
const OTHER_HR: UserId = UserId(4);

fn actor(id: UserId, role: Role) -> Actor {
    Actor::new(id, Roles::single(role), &CapabilityOverrides::none())
}

fn hr() -> Actor {
    actor(HR, Role::Hr)
}

fn valuer() -> Actor {
    actor(VALUER, Role::FieldValuer)
}

/// Thursday 2026-01-22; Sunday the 25th; Republic Day Monday the 26th.
const NOW: OffsetDateTime = datetime!(2026-01-22 05:00 UTC);

fn calendar() -> WorkingCalendar {
    WorkingCalendar::new(WeeklyOffs::default(), [date!(2026 - 01 - 26)])
}

fn days(start: Date, end: Date) -> LeaveSpan {
    LeaveSpan::Days { start, end }
}

fn half(day: Date, session: HalfDaySession) -> LeaveSpan {
    LeaveSpan::Half { day, session }
}

fn hours(day: Date, hours: f64) -> LeaveSpan {
    LeaveSpan::Hours { day, hours }
}

// ---------------------------------------------------------------------------------------
// Rules

#[test]
fn ranges_that_share_a_day_overlap_and_neighbours_do_not() {
    let a = days(date!(2026 - 01 - 20), date!(2026 - 01 - 22));
    assert!(a.overlaps(&days(date!(2026 - 01 - 22), date!(2026 - 01 - 24))));
    assert!(a.overlaps(&days(date!(2026 - 01 - 18), date!(2026 - 01 - 30))));
    assert!(!a.overlaps(&days(date!(2026 - 01 - 23), date!(2026 - 01 - 24))));
    assert!(!a.overlaps(&days(date!(2026 - 01 - 10), date!(2026 - 01 - 19))));
}

#[test]
fn the_two_halves_of_a_day_do_not_overlap_but_anything_else_on_it_does() {
    let day = date!(2026 - 01 - 21);
    let first = half(day, HalfDaySession::FirstHalf);
    let second = half(day, HalfDaySession::SecondHalf);
    assert!(!first.overlaps(&second));
    assert!(!second.overlaps(&first));
    assert!(first.overlaps(&first));
    assert!(first.overlaps(&days(day, day)));
    assert!(days(date!(2026 - 01 - 20), day).overlaps(&second));
    assert!(first.overlaps(&hours(day, 2.0)));
    assert!(hours(day, 1.0).overlaps(&hours(day, 2.0)));
    assert!(!first.overlaps(&half(date!(2026 - 01 - 22), HalfDaySession::FirstHalf)));
}

#[test]
fn working_days_leave_out_weekly_offs_and_holidays_and_a_half_is_half() {
    let c = calendar();
    // Fri 23 .. Tue 27: Fri, Sat, Tue (Sunday off, Monday Republic Day).
    let span = days(date!(2026 - 01 - 23), date!(2026 - 01 - 27));
    assert_eq!(span.working_half_days(&c), 6);
    assert_eq!(
        half(date!(2026 - 01 - 23), HalfDaySession::SecondHalf).working_half_days(&c),
        1
    );
    assert_eq!(
        half(date!(2026 - 01 - 26), HalfDaySession::FirstHalf).working_half_days(&c),
        0
    );
    assert_eq!(hours(date!(2026 - 01 - 23), 2.0).working_half_days(&c), 0);
    assert_eq!(
        days(date!(2026 - 01 - 25), date!(2026 - 01 - 26)).working_half_days(&c),
        0
    );
}

#[test]
fn permission_hours_are_not_absence_but_days_and_halves_are() {
    let day = date!(2026 - 01 - 21);
    assert!(days(day, day).absent_on(day));
    assert!(half(day, HalfDaySession::SecondHalf).absent_on(day));
    assert!(!hours(day, 3.0).absent_on(day));
    assert!(!days(day, day).absent_on(date!(2026 - 01 - 22)));
}

fn draft(kind: &str, start: &str, end: Option<&str>) -> LeaveDraft {
    LeaveDraft {
        leave_type: Some(kind.into()),
        start_date: Some(start.into()),
        end_date: end.map(Into::into),
        ..LeaveDraft::default()
    }
}

fn fields(result: Result<LeaveCommand, FieldErrors>) -> Vec<String> {
    result
        .err()
        .map(|e| e.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn a_draft_is_parsed_into_its_span() {
    let full = draft("FULL_DAY", "2026-01-20", Some("2026-01-22"))
        .parse()
        .unwrap();
    assert_eq!(
        full.span,
        days(date!(2026 - 01 - 20), date!(2026 - 01 - 22))
    );
    let single = draft("full_day", "2026-01-20", None).parse().unwrap();
    assert_eq!(
        single.span,
        days(date!(2026 - 01 - 20), date!(2026 - 01 - 20))
    );
    let half_default = draft("HALF_DAY", "2026-01-20", Some("2026-01-20"))
        .parse()
        .unwrap();
    assert_eq!(
        half_default.span,
        half(date!(2026 - 01 - 20), HalfDaySession::FirstHalf)
    );
    let second = LeaveDraft {
        half_day_session: Some("SECOND_HALF".into()),
        ..draft("HALF_DAY", "2026-01-20", None)
    }
    .parse()
    .unwrap();
    assert_eq!(
        second.span,
        half(date!(2026 - 01 - 20), HalfDaySession::SecondHalf)
    );
    let permission = LeaveDraft {
        hours: Some(2.5),
        ..draft("PERMISSION_HOURS", "2026-01-20", Some("2026-01-20"))
    }
    .parse()
    .unwrap();
    assert_eq!(permission.span, hours(date!(2026 - 01 - 20), 2.5));
}

#[test]
fn a_bad_draft_names_each_bad_field() {
    assert_eq!(
        fields(draft("FULL_DAY", "2026-01-22", Some("2026-01-20")).parse()),
        ["end_date"]
    );
    assert_eq!(
        fields(draft("NAP", "someday", None).parse()),
        ["leave_type", "start_date"]
    );
    assert_eq!(
        fields(draft("PERMISSION_HOURS", "2026-01-20", None).parse()),
        ["hours"]
    );
    for bad in [0.0, -1.0, 9.5, f64::NAN] {
        let d = LeaveDraft {
            hours: Some(bad),
            ..draft("PERMISSION_HOURS", "2026-01-20", None)
        };
        assert_eq!(fields(d.parse()), ["hours"], "{bad}");
    }
    assert_eq!(
        fields(draft("HALF_DAY", "2026-01-20", Some("2026-01-21")).parse()),
        ["end_date"]
    );
    // Fields of other kinds are ignored (the form sends them all), but must be valid.
    let extras_on_full = LeaveDraft {
        half_day_session: Some("FIRST_HALF".into()),
        hours: Some(8.0),
        ..draft("FULL_DAY", "2026-01-20", None)
    };
    assert_eq!(
        extras_on_full.parse().unwrap().span,
        days(date!(2026 - 01 - 20), date!(2026 - 01 - 20))
    );
    let bad_session = LeaveDraft {
        half_day_session: Some("EVENING".into()),
        ..draft("HALF_DAY", "2026-01-20", None)
    };
    assert_eq!(fields(bad_session.parse()), ["half_day_session"]);
    assert_eq!(
        fields(draft("FULL_DAY", "2026-01-01", Some("2027-06-01")).parse()),
        ["end_date"]
    );
}

// ---------------------------------------------------------------------------------------
// Fakes

#[derive(Default, Clone)]
struct World {
    requests: Vec<LeaveRecord>,
    /// (event id, leave it shows)
    events: Vec<(i64, Option<LeaveId>, NewEvent)>,
    trail: Vec<ActivityDraft>,
    next_event: i64,
}

#[derive(Clone, Default)]
struct Fakes {
    world: Arc<Mutex<World>>,
}

impl Fakes {
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn unused<T>() -> T {
    unreachable!("not used by leave")
}

#[async_trait]
impl LeaveRepository for Fakes {
    async fn get(&self, id: LeaveId) -> DomainResult<LeaveRequest> {
        self.world()
            .requests
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .map(LeaveRequest::from)
            .ok_or(DomainError::NotFound("Leave request"))
    }

    async fn list(&self, filter: &LeaveFilter, page: Page) -> DomainResult<Paged<LeaveRequest>> {
        let mut rows: Vec<LeaveRequest> = self
            .world()
            .requests
            .iter()
            .filter(|r| match filter.scope {
                LeaveScope::Everyone => true,
                LeaveScope::Involving(u) => r.requester == u || r.approver == Some(u),
                LeaveScope::RequestedBy(u) => r.requester == u,
            })
            .filter(|r| filter.status.is_none_or(|s| s == r.status))
            .filter(|r| filter.exclude_requester != Some(r.requester))
            .cloned()
            .map(LeaveRequest::from)
            .collect();
        if !filter.oldest_first {
            rows.reverse();
        }
        let total = rows.len() as u64;
        let _ = page;
        Ok(Paged { items: rows, total })
    }

    async fn approved_between(
        &self,
        users: Option<&[UserId]>,
        from: Date,
        to: Date,
    ) -> DomainResult<Vec<LeaveRequest>> {
        Ok(self
            .world()
            .requests
            .iter()
            .filter(|r| r.status == LeaveStatus::Approved)
            .filter(|r| users.is_none_or(|u| u.contains(&r.requester)))
            .filter(|r| r.span.start() <= to && from <= r.span.end())
            .cloned()
            .map(LeaveRequest::from)
            .collect())
    }
}

struct FixedHolidays(Vec<Date>);

#[async_trait]
impl HolidayCalendar for FixedHolidays {
    async fn between(&self, from: Date, to: Date) -> DomainResult<Vec<Holiday>> {
        Ok(self
            .0
            .iter()
            .filter(|d| (from..=to).contains(*d))
            .map(|d| Holiday {
                date: *d,
                name: "Holiday".into(),
            })
            .collect())
    }
}

#[async_trait]
impl UnitOfWork for Fakes {
    async fn begin(&self) -> DomainResult<Box<dyn Transaction>> {
        let staged = self.world().clone();
        Ok(Box::new(FakeTx {
            fakes: self.clone(),
            staged,
        }))
    }
}

struct FakeTx {
    fakes: Fakes,
    staged: World,
}

#[async_trait]
impl Transaction for FakeTx {
    fn assignments(&mut self) -> &mut dyn AssignmentStore {
        unused()
    }
    fn tasks(&mut self) -> &mut dyn TaskStore {
        unused()
    }
    fn messages(&mut self) -> &mut dyn MessageStore {
        unused()
    }
    fn approvals(&mut self) -> &mut dyn ApprovalStore {
        unused()
    }
    fn users(&mut self) -> &mut dyn UserStore {
        unused()
    }
    fn invoices(&mut self) -> &mut dyn InvoiceStore {
        unused()
    }
    fn leave(&mut self) -> &mut dyn LeaveStore {
        self
    }
    fn calendar(&mut self) -> &mut dyn CalendarStore {
        self
    }
    fn documents(&mut self) -> &mut dyn crate::document::DocumentStore {
        unused()
    }
    async fn record(&mut self, entries: &[ActivityDraft], _at: OffsetDateTime) -> DomainResult<()> {
        self.staged.trail.extend(entries.iter().cloned());
        Ok(())
    }
    async fn commit(self: Box<Self>) -> DomainResult<()> {
        *self.fakes.world() = self.staged;
        Ok(())
    }
}

#[async_trait]
impl LeaveStore for FakeTx {
    async fn lock_requester(&mut self, _user: UserId, _at: OffsetDateTime) -> DomainResult<()> {
        Ok(())
    }

    async fn holding(
        &mut self,
        user: UserId,
        from: Date,
        to: Date,
    ) -> DomainResult<Vec<LeaveRequest>> {
        Ok(self
            .staged
            .requests
            .iter()
            .filter(|r| r.requester == user && r.status.holds_days())
            .filter(|r| r.span.start() <= to && from <= r.span.end())
            .cloned()
            .map(LeaveRequest::from)
            .collect())
    }

    async fn insert(&mut self, new: &NewLeave, at: OffsetDateTime) -> DomainResult<LeaveRequest> {
        let record = LeaveRecord {
            id: LeaveId(self.staged.requests.len() as i64 + 1),
            requester: new.requester,
            span: new.span,
            working_half_days: new.working_half_days,
            reason: new.reason.clone(),
            status: LeaveStatus::Pending,
            approver: None,
            decided_at: None,
            decision_comment: None,
            cancelled_by: None,
            cancelled_at: None,
            calendar_event_id: None,
            created_at: at,
            updated_at: at,
        };
        self.staged.requests.push(record.clone());
        Ok(record.into())
    }

    async fn transition(&mut self, next: &LeaveRequest, from: LeaveStatus) -> DomainResult<()> {
        let row = self
            .staged
            .requests
            .iter_mut()
            .find(|r| r.id == next.id())
            .ok_or(DomainError::NotFound("Leave request"))?;
        if row.status != from {
            return Err(DomainError::conflict(
                "already_decided",
                "Leave already decided",
            ));
        }
        *row = next.record().clone();
        Ok(())
    }
}

#[async_trait]
impl CalendarStore for FakeTx {
    async fn insert(
        &mut self,
        event: &NewEvent,
        _created_by: UserId,
        _at: OffsetDateTime,
    ) -> DomainResult<i64> {
        self.staged.next_event += 1;
        let id = self.staged.next_event;
        self.staged
            .events
            .push((id, event.related_leave_request_id, event.clone()));
        Ok(id)
    }

    async fn update(
        &mut self,
        _id: i64,
        _event: &NewEvent,
        _at: OffsetDateTime,
    ) -> DomainResult<()> {
        unused()
    }

    async fn delete(&mut self, _id: i64) -> DomainResult<()> {
        unused()
    }

    async fn delete_for_leave(&mut self, leave: LeaveId) -> DomainResult<()> {
        self.staged.events.retain(|(_, l, _)| *l != Some(leave));
        Ok(())
    }
}

fn service(fakes: &Fakes) -> LeaveService {
    LeaveService::new(
        Arc::new(fakes.clone()),
        Arc::new(fakes.clone()),
        WorkingDays::new(
            WeeklyOffs::default(),
            Arc::new(FixedHolidays(vec![date!(2026 - 01 - 26)])),
        ),
        Arc::new(FixedClock(NOW)),
        FirmZone::default(),
    )
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn code(err: DomainError) -> String {
    match err {
        DomainError::Conflict { code, .. } | DomainError::Rejected { code, .. } => code.into(),
        DomainError::Forbidden(_) => "forbidden".into(),
        DomainError::Validation(e) => format!(
            "invalid:{}",
            e.iter()
                .map(|f| f.field.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ),
        DomainError::NotFound(_) => "not_found".into(),
        other => format!("{other}"),
    }
}

// ---------------------------------------------------------------------------------------
// Use cases

#[test]
fn a_request_counts_its_working_days_and_is_recorded() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let request = block_on(leave.request(
        &valuer(),
        draft("FULL_DAY", "2026-01-23", Some("2026-01-27")),
    ))
    .unwrap();
    assert_eq!(request.status(), LeaveStatus::Pending);
    assert_eq!(request.working_days(), 3.0);
    let world = fakes.world();
    assert_eq!(world.trail.len(), 1);
    assert_eq!(world.trail[0].kind, "LEAVE_REQUESTED");
}

#[test]
fn a_request_on_days_the_firm_does_not_work_is_refused() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let err = block_on(leave.request(
        &valuer(),
        draft("FULL_DAY", "2026-01-25", Some("2026-01-26")),
    ))
    .unwrap_err();
    assert_eq!(code(err), "invalid:start_date");
    let err = block_on(leave.request(
        &valuer(),
        LeaveDraft {
            hours: Some(2.0),
            ..draft("PERMISSION_HOURS", "2026-01-25", None)
        },
    ))
    .unwrap_err();
    assert_eq!(code(err), "invalid:start_date");
    assert!(fakes.world().requests.is_empty());
}

#[test]
fn overlapping_requests_are_refused_naming_the_other_and_halves_fit_together() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    block_on(leave.request(
        &valuer(),
        draft("FULL_DAY", "2026-01-20", Some("2026-01-21")),
    ))
    .unwrap();
    let err =
        block_on(leave.request(&valuer(), draft("FULL_DAY", "2026-01-21", None))).unwrap_err();
    match &err {
        DomainError::Conflict { code, detail } => {
            assert_eq!(*code, "leave_overlap");
            assert!(detail.contains("request 1"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    // Someone else may take the same days.
    block_on(leave.request(&hr(), draft("FULL_DAY", "2026-01-21", None))).unwrap();
    // The two halves of one day fit; a third half does not.
    let first = LeaveDraft {
        half_day_session: Some("FIRST_HALF".into()),
        ..draft("HALF_DAY", "2026-01-23", None)
    };
    let second = LeaveDraft {
        half_day_session: Some("SECOND_HALF".into()),
        ..draft("HALF_DAY", "2026-01-23", None)
    };
    block_on(leave.request(&valuer(), first.clone())).unwrap();
    block_on(leave.request(&valuer(), second)).unwrap();
    assert_eq!(
        code(block_on(leave.request(&valuer(), first)).unwrap_err()),
        "leave_overlap"
    );
    // Permission hours on a day with a half day overlap.
    let permission = LeaveDraft {
        hours: Some(1.0),
        ..draft("PERMISSION_HOURS", "2026-01-23", None)
    };
    assert_eq!(
        code(block_on(leave.request(&valuer(), permission)).unwrap_err()),
        "leave_overlap"
    );
}

#[test]
fn rejected_and_cancelled_requests_free_their_days() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let a = block_on(leave.request(&valuer(), draft("FULL_DAY", "2026-01-20", None))).unwrap();
    block_on(leave.reject(&hr(), a.id(), Some("Busy week".into()))).unwrap();
    let b = block_on(leave.request(&valuer(), draft("FULL_DAY", "2026-01-20", None))).unwrap();
    block_on(leave.cancel(&valuer(), b.id())).unwrap();
    block_on(leave.request(&valuer(), draft("FULL_DAY", "2026-01-20", None))).unwrap();
}

#[test]
fn approval_adds_one_leave_event_on_the_local_days_and_cancel_removes_it() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let request = block_on(leave.request(
        &valuer(),
        draft("FULL_DAY", "2026-01-20", Some("2026-01-21")),
    ))
    .unwrap();
    let approved = block_on(leave.approve(&hr(), request.id(), None)).unwrap();
    assert_eq!(approved.status(), LeaveStatus::Approved);
    assert_eq!(approved.approver(), Some(HR));
    assert_eq!(approved.decided_at(), Some(NOW));
    {
        let world = fakes.world();
        assert_eq!(world.events.len(), 1);
        let (id, linked, event) = &world.events[0];
        assert_eq!(approved.calendar_event_id(), Some(*id));
        assert_eq!(*linked, Some(request.id()));
        assert_eq!(event.event_type, CalendarEventType::Leave);
        assert!(event.all_day);
        // Midnight in Kolkata, not UTC.
        assert_eq!(event.start_at, datetime!(2026-01-20 00:00 +05:30));
        assert_eq!(event.end_at, datetime!(2026-01-21 23:59:59 +05:30));
        assert_eq!(event.assigned_to, Some(VALUER));
        assert_eq!(world.requests[0].status, LeaveStatus::Approved);
        assert_eq!(world.trail.last().map(|t| t.kind), Some("LEAVE_APPROVED"));
    }
    // The requester may not cancel approved leave; HR may.
    assert_eq!(
        code(block_on(leave.cancel(&valuer(), request.id())).unwrap_err()),
        "forbidden"
    );
    let cancelled = block_on(leave.cancel(&hr(), request.id())).unwrap();
    assert_eq!(cancelled.status(), LeaveStatus::Cancelled);
    assert_eq!(cancelled.cancelled_by(), Some(HR));
    let world = fakes.world();
    assert!(world.events.is_empty());
    assert_eq!(world.trail.last().map(|t| t.kind), Some("LEAVE_CANCELLED"));
}

#[test]
fn a_half_day_event_covers_its_half_in_local_time() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let request = block_on(leave.request(
        &valuer(),
        LeaveDraft {
            half_day_session: Some("SECOND_HALF".into()),
            ..draft("HALF_DAY", "2026-01-23", None)
        },
    ))
    .unwrap();
    assert_eq!(request.working_days(), 0.5);
    block_on(leave.approve(&hr(), request.id(), None)).unwrap();
    let world = fakes.world();
    let event = &world.events[0].2;
    assert!(!event.all_day);
    assert_eq!(event.start_at, datetime!(2026-01-23 13:30 +05:30));
    assert_eq!(event.end_at, datetime!(2026-01-23 18:00 +05:30));
}

#[test]
fn nobody_decides_their_own_leave_and_only_hr_or_admin_decide() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let own = block_on(leave.request(&hr(), draft("FULL_DAY", "2026-01-20", None))).unwrap();
    assert_eq!(
        code(block_on(leave.approve(&hr(), own.id(), None)).unwrap_err()),
        "forbidden"
    );
    let theirs = block_on(leave.request(&valuer(), draft("FULL_DAY", "2026-01-21", None))).unwrap();
    let ops = actor(UserId(9), Role::OpsManager);
    assert_eq!(
        code(block_on(leave.approve(&ops, theirs.id(), None)).unwrap_err()),
        "forbidden"
    );
    assert_eq!(
        code(block_on(leave.reject(&ops, LeaveId(999), None)).unwrap_err()),
        "forbidden"
    );
    // A second role of HR is enough.
    let hr_too = Actor::new(
        OTHER_HR,
        Roles::new(Some(Role::FieldValuer), &[Role::Hr]).unwrap(),
        &CapabilityOverrides::none(),
    );
    block_on(leave.approve(&hr_too, own.id(), None)).unwrap();
    block_on(leave.approve(&actor(ADMIN, Role::Admin), theirs.id(), None)).unwrap();
}

#[test]
fn a_decided_request_cannot_be_decided_again() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let r = block_on(leave.request(&valuer(), draft("FULL_DAY", "2026-01-20", None))).unwrap();
    block_on(leave.reject(&hr(), r.id(), None)).unwrap();
    assert_eq!(
        code(block_on(leave.approve(&hr(), r.id(), None)).unwrap_err()),
        "already_decided"
    );
    assert_eq!(
        code(block_on(leave.cancel(&valuer(), r.id())).unwrap_err()),
        "already_decided"
    );
    assert!(fakes.world().events.is_empty());
}

#[test]
fn lists_show_everything_to_hr_and_their_own_to_others() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    block_on(leave.request(&valuer(), draft("FULL_DAY", "2026-01-20", None))).unwrap();
    block_on(leave.request(&hr(), draft("FULL_DAY", "2026-01-21", None))).unwrap();
    let page = Page::first(LIST_CAP);
    assert_eq!(block_on(leave.list(&hr(), None, page)).unwrap().total, 2);
    assert_eq!(
        block_on(leave.list(&valuer(), None, page)).unwrap().total,
        1
    );
    // HR's inbox leaves out HR's own request.
    let inbox = block_on(leave.inbox(&hr(), page)).unwrap();
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0].requester(), VALUER);
    assert_eq!(
        code(block_on(leave.inbox(&valuer(), page)).unwrap_err()),
        "forbidden"
    );
}

#[test]
fn recorded_leave_reports_absence_on_the_days_it_covers() {
    let fakes = Fakes::default();
    let leave = service(&fakes);
    let r = block_on(leave.request(
        &valuer(),
        draft("FULL_DAY", "2026-01-20", Some("2026-01-21")),
    ))
    .unwrap();
    let calendar = RecordedLeave::new(Arc::new(fakes.clone()));
    // Pending leave is not absence.
    assert!(
        block_on(calendar.on_leave(&[VALUER], date!(2026 - 01 - 20)))
            .unwrap()
            .is_empty()
    );
    block_on(leave.approve(&hr(), r.id(), None)).unwrap();
    assert_eq!(
        block_on(calendar.on_leave(&[VALUER, HR], date!(2026 - 01 - 21))).unwrap(),
        vec![VALUER]
    );
    let conflict = block_on(calendar.first_on_leave(&[HR, VALUER], date!(2026 - 01 - 20)))
        .unwrap()
        .unwrap();
    assert_eq!(conflict.user_id, VALUER);
    assert_eq!(conflict.leave_start, date!(2026 - 01 - 20));
    assert_eq!(conflict.leave_end, date!(2026 - 01 - 21));
    assert!(
        block_on(calendar.first_on_leave(&[VALUER], date!(2026 - 01 - 22)))
            .unwrap()
            .is_none()
    );
    let absences =
        block_on(calendar.absences(&[VALUER], date!(2026 - 01 - 21), date!(2026 - 01 - 27)))
            .unwrap();
    assert_eq!(absences.len(), 1);
    assert_eq!(absences[0].date, date!(2026 - 01 - 21));
}
