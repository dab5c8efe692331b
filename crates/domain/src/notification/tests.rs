//! Notification rules and workers over in-memory fakes: no database.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::email::{
    EmailOutbox, EmailPolicy, EmailSender, MailError, Mailer, OutgoingEmail, Sent, Settlement,
    after_refusal,
};
use super::sweep::{
    DueTask, DueWork, Escalation, SweepSource, digests, sla_reminders, task_reminders,
};
use super::*;
use crate::activity::PayloadValue;
use crate::clock::FixedClock;
use crate::jobs::{Lease, LeaseRow, may_take};
use crate::sla::FirmZone;

const VALUER: UserId = UserId(3);
const HELPER: UserId = UserId(4);
const OPS: UserId = UserId(5);
const ADMIN: UserId = UserId(1);
const HR: UserId = UserId(6);
const FINANCE: UserId = UserId(7);

const NOW: OffsetDateTime = datetime!(2026-03-10 06:00 UTC);

struct FakeAudience;

#[async_trait]
impl Audience for FakeAudience {
    async fn people_on(&self, assignment_id: i64) -> DomainResult<Option<People>> {
        Ok((assignment_id == 10).then(|| People {
            code: "VAL/2026/0010".into(),
            primary: Some(VALUER),
            everyone: vec![VALUER, HELPER],
        }))
    }

    async fn active_with_roles(&self, roles: &[Role]) -> DomainResult<Vec<UserId>> {
        let mut out = Vec::new();
        for role in roles {
            out.extend(match role {
                Role::Admin => vec![ADMIN],
                Role::OpsManager => vec![OPS],
                Role::Hr => vec![HR],
                Role::Finance => vec![FINANCE],
                _ => vec![],
            });
        }
        Ok(out)
    }
}

fn event(id: i64, kind: &str, actor: UserId, fields: &[(&str, PayloadValue)]) -> TrailEvent {
    TrailEvent {
        id,
        kind: kind.into(),
        actor: Some(actor),
        assignment_id: Some(10),
        message: None,
        at: NOW,
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    }
}

async fn planned(e: &TrailEvent) -> Vec<(UserId, NotificationType)> {
    triggers::plan(e, &FakeAudience)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.user, d.kind))
        .collect()
}

#[tokio::test]
async fn each_trail_entry_tells_the_right_people_and_never_the_actor() {
    use NotificationType as T;
    use PayloadValue::{Int, Ints, Text};
    let cases: Vec<(TrailEvent, Vec<(UserId, T)>)> = vec![
        (
            event(1, "ASSIGNMENT_CREATED", OPS, &[]),
            vec![
                (VALUER, T::AssignmentAssigned),
                (HELPER, T::AssignmentAssigned),
            ],
        ),
        (
            event(2, "ASSIGNMENT_CREATED", VALUER, &[]),
            vec![(HELPER, T::AssignmentAssigned)],
        ),
        (
            event(3, "ASSIGNMENT_REASSIGNED", OPS, &[]),
            vec![
                (VALUER, T::AssignmentReassigned),
                (HELPER, T::AssignmentReassigned),
            ],
        ),
        (
            event(
                4,
                "MISSING_DOC_REMINDER",
                HELPER,
                &[("missing", Text("Sale deed".into()))],
            ),
            vec![(VALUER, T::MissingDoc)],
        ),
        (
            event(
                5,
                "DOCUMENT_UPLOADED",
                HELPER,
                &[("category", Text("Photos".into()))],
            ),
            vec![(VALUER, T::MissingDoc)],
        ),
        // The uploader is the primary assignee: nobody to tell (v1 told the uploader).
        (
            event(
                6,
                "DOCUMENT_UPLOADED",
                VALUER,
                &[("category", Text("Photos".into()))],
            ),
            vec![],
        ),
        (
            event(
                7,
                "TASK_CREATED",
                OPS,
                &[("assigned_to_user_id", Int(4)), ("task_id", Int(9))],
            ),
            vec![(HELPER, T::TaskAssigned)],
        ),
        (
            event(
                8,
                "TASK_CREATED",
                HELPER,
                &[("assigned_to_user_id", Int(4))],
            ),
            vec![],
        ),
        (
            event(
                9,
                "TASK_UPDATED",
                OPS,
                &[
                    ("assigned_to_user_id", Int(4)),
                    ("fields", Text("status".into())),
                ],
            ),
            vec![(HELPER, T::TaskUpdated)],
        ),
        (
            event(
                10,
                "TASK_UPDATED",
                OPS,
                &[
                    ("assigned_to_user_id", Int(3)),
                    ("fields", Text("title,assigned_to_user_id".into())),
                ],
            ),
            vec![(VALUER, T::TaskAssigned)],
        ),
        (
            event(
                11,
                "TASK_UPDATED",
                OPS,
                &[
                    ("assigned_to_user_id", Int(3)),
                    ("fields", Text("template_type".into())),
                ],
            ),
            vec![],
        ),
        (
            event(
                12,
                "MESSAGE_CREATED",
                VALUER,
                &[("mentions", Ints(vec![3, 5]))],
            ),
            vec![(OPS, T::Mention)],
        ),
        (
            event(
                13,
                "APPROVAL_REQUESTED",
                VALUER,
                &[
                    ("entity_type", Text("ASSIGNMENT".into())),
                    ("action_type", Text("DELETE_ASSIGNMENT".into())),
                    ("approval_id", Int(2)),
                ],
            ),
            vec![(OPS, T::ApprovalPending), (ADMIN, T::ApprovalPending)],
        ),
        (
            event(
                14,
                "APPROVAL_REQUESTED",
                VALUER,
                &[
                    ("entity_type", Text("ASSIGNMENT".into())),
                    ("action_type", Text("DELETE_ASSIGNMENT".into())),
                    ("approver_user_id", Int(1)),
                ],
            ),
            vec![(ADMIN, T::ApprovalPending)],
        ),
        (
            event(
                15,
                "APPROVAL_APPROVED",
                OPS,
                &[("requester_user_id", Int(3))],
            ),
            vec![(VALUER, T::ApprovalApproved)],
        ),
        (
            event(
                16,
                "APPROVAL_REJECTED",
                OPS,
                &[("requester_user_id", Int(3))],
            ),
            vec![(VALUER, T::ApprovalRejected)],
        ),
        (
            event(17, "LEAVE_REQUESTED", HR, &[("leave_request_id", Int(4))]),
            vec![(ADMIN, T::ApprovalPending)],
        ),
        (
            event(
                18,
                "LEAVE_REQUESTED",
                VALUER,
                &[("leave_request_id", Int(4))],
            ),
            vec![(HR, T::ApprovalPending), (ADMIN, T::ApprovalPending)],
        ),
        (
            event(19, "LEAVE_APPROVED", HR, &[("requester_user_id", Int(3))]),
            vec![(VALUER, T::LeaveApproved)],
        ),
        (
            event(20, "LEAVE_REJECTED", HR, &[("requester_user_id", Int(3))]),
            vec![(VALUER, T::LeaveRejected)],
        ),
        (
            event(
                21,
                "INVOICE_ISSUED",
                FINANCE,
                &[("invoice_number", Text("INV-1".into()))],
            ),
            vec![(VALUER, T::PaymentPending), (HELPER, T::PaymentPending)],
        ),
        (
            event(
                22,
                "INVOICE_REMINDER_SENT",
                FINANCE,
                &[("invoice_number", Text("INV-1".into()))],
            ),
            vec![
                (VALUER, T::PaymentPending),
                (HELPER, T::PaymentPending),
                (ADMIN, T::PaymentPending),
            ],
        ),
        (
            event(
                23,
                "INVOICE_PAYMENT_RECORDED",
                ADMIN,
                &[("status", Text("PARTIALLY_PAID".into()))],
            ),
            vec![],
        ),
        (
            event(
                24,
                "INVOICE_PAYMENT_RECORDED",
                ADMIN,
                &[("status", Text("PAID".into()))],
            ),
            vec![
                (VALUER, T::PaymentReceived),
                (HELPER, T::PaymentReceived),
                (FINANCE, T::PaymentReceived),
            ],
        ),
        (event(25, "ASSIGNMENT_UPDATED", OPS, &[]), vec![]),
        (event(26, "USER_LOGOUT", OPS, &[]), vec![]),
    ];
    for (e, expected) in cases {
        assert_eq!(planned(&e).await, expected, "{} (#{})", e.kind, e.id);
    }
}

#[tokio::test]
async fn keys_follow_the_source_entry_and_one_reassignment_makes_one_each() {
    let created = triggers::plan(&event(41, "ASSIGNMENT_CREATED", OPS, &[]), &FakeAudience)
        .await
        .unwrap();
    assert!(created.iter().all(|d| d.key == "trail:41"));
    assert!(created.iter().all(|d| {
        d.payload
            .contains(&("assignment_id", PayloadValue::Int(10)))
    }));
    // Both entries of one change (one instant) share a key.
    let a = triggers::plan(&event(42, "ASSIGNMENT_REASSIGNED", OPS, &[]), &FakeAudience)
        .await
        .unwrap();
    let b = triggers::plan(
        &event(43, "ASSIGNMENT_ASSIGNEES_UPDATED", OPS, &[]),
        &FakeAudience,
    )
    .await
    .unwrap();
    assert_eq!(a[0].key, b[0].key);
    assert_ne!(a[0].key, created[0].key);
}

#[tokio::test]
async fn a_request_is_asked_under_its_own_key_and_its_decision_settles_it() {
    use PayloadValue::{Int, Text};
    let asked = event(
        50,
        "APPROVAL_REQUESTED",
        VALUER,
        &[
            ("entity_type", Text("ASSIGNMENT".into())),
            ("action_type", Text("DELETE_ASSIGNMENT".into())),
            ("approval_id", Int(7)),
        ],
    );
    let drafts = triggers::plan(&asked, &FakeAudience).await.unwrap();
    assert!(drafts.iter().all(|d| d.key == "approval:7"));
    assert_eq!(triggers::settles(&asked), None);
    for kind in [
        "APPROVAL_APPROVED",
        "APPROVAL_REJECTED",
        "APPROVAL_WITHDRAWN",
    ] {
        let decided = event(51, kind, OPS, &[("approval_id", Int(7))]);
        assert_eq!(
            triggers::settles(&decided).as_deref(),
            Some("approval:7"),
            "{kind}"
        );
    }
    let leave = event(
        52,
        "LEAVE_REQUESTED",
        VALUER,
        &[("leave_request_id", Int(4))],
    );
    assert!(
        triggers::plan(&leave, &FakeAudience)
            .await
            .unwrap()
            .iter()
            .all(|d| d.key == "leave:4")
    );
    for kind in ["LEAVE_APPROVED", "LEAVE_REJECTED", "LEAVE_CANCELLED"] {
        let decided = event(53, kind, HR, &[("leave_request_id", Int(4))]);
        assert_eq!(
            triggers::settles(&decided).as_deref(),
            Some("leave:4"),
            "{kind}"
        );
    }
    assert_eq!(
        triggers::settles(&event(54, "ASSIGNMENT_CREATED", OPS, &[])),
        None
    );
    // The notifier hands the keys to the store with the batch.
    let outbox = FakeOutbox::default();
    outbox.0.lock().unwrap().trail = vec![
        event(
            1,
            "APPROVAL_REQUESTED",
            VALUER,
            &[("approval_id", Int(7)), ("approver_user_id", Int(1))],
        ),
        event(2, "APPROVAL_WITHDRAWN", VALUER, &[("approval_id", Int(7))]),
    ];
    let n = notifier_on(&outbox, Arc::new(FixedClock(NOW)));
    n.drain_trail(&lease(0)).await.unwrap();
    assert_eq!(outbox.0.lock().unwrap().settled_keys, ["approval:7"]);
}

#[test]
fn preferences_turn_email_off_overall_or_per_type() {
    use NotificationType as T;
    let default = Preferences::default();
    assert!(default.emails(T::ApprovalPending));
    assert!(!default.emails(T::TaskUpdated));
    let off = Preferences {
        email_enabled: false,
        per_type: vec![(T::ApprovalPending, true)],
    };
    assert!(!off.emails(T::ApprovalPending));
    let picky = Preferences {
        email_enabled: true,
        per_type: vec![(T::ApprovalPending, false), (T::TaskUpdated, true)],
    };
    assert!(!picky.emails(T::ApprovalPending));
    assert!(picky.emails(T::TaskUpdated));
    assert!(picky.emails(T::SlaOverdue));
}

fn work(id: i64, due_at: OffsetDateTime) -> DueWork {
    DueWork {
        assignment_id: id,
        code: format!("VAL/{id}"),
        due_at,
        people: vec![VALUER, HELPER, VALUER],
    }
}

fn escalation() -> Escalation {
    Escalation {
        ops_managers: vec![OPS],
        admins: vec![ADMIN],
    }
}

#[test]
fn sla_reminders_escalate_step_by_step_and_key_by_due_time() {
    let r = sla_reminders(
        &[
            work(1, NOW + Duration::hours(2)),
            work(2, NOW - Duration::hours(1)),
            work(3, NOW - Duration::hours(73)),
            work(4, NOW - Duration::days(6)),
            work(5, NOW + Duration::hours(5)),
        ],
        &escalation(),
        NOW,
    );
    let soon: Vec<(i64, UserId)> = r
        .due_soon
        .iter()
        .map(|d| (d.payload_int("assignment_id"), d.user))
        .collect();
    assert_eq!(soon, vec![(1, VALUER), (1, HELPER)]);
    let over: Vec<(i64, UserId)> = r
        .overdue
        .iter()
        .map(|d| (d.payload_int("assignment_id"), d.user))
        .collect();
    assert_eq!(
        over,
        vec![
            (2, VALUER),
            (2, HELPER),
            (3, VALUER),
            (3, HELPER),
            (3, OPS),
            (4, VALUER),
            (4, HELPER),
            (4, OPS),
            (4, ADMIN),
        ]
    );
    // One key per step: the same sweep later makes nothing new, a moved due time does.
    let keys: Vec<&str> = r
        .overdue
        .iter()
        .filter(|d| d.payload_int("assignment_id") == 4)
        .map(|d| d.key.as_str())
        .collect();
    let due = (NOW - Duration::days(6)).unix_timestamp();
    assert_eq!(keys[0], format!("sla-over:4:{due}"));
    assert_eq!(keys[2], format!("sla-over:4:{due}:OPS_MANAGER"));
    assert_eq!(keys[3], format!("sla-over:4:{due}:ADMIN"));
    let later = sla_reminders(
        &[work(2, NOW - Duration::hours(1))],
        &escalation(),
        NOW + Duration::hours(1),
    );
    assert_eq!(later.overdue[0].key, r.overdue[0].key);
}

#[test]
fn task_reminders_go_to_the_assignee_then_escalate() {
    let task = |id, due_at| DueTask {
        task_id: id,
        assignment_id: 10,
        code: "VAL/10".into(),
        title: "Draft report".into(),
        due_at,
        assignee: HELPER,
    };
    let r = task_reminders(
        &[
            task(1, NOW + Duration::minutes(30)),
            task(2, NOW - Duration::hours(80)),
            task(3, NOW + Duration::days(1)),
        ],
        &escalation(),
        NOW,
    );
    assert_eq!(
        r.due_soon.iter().map(|d| d.user).collect::<Vec<_>>(),
        vec![HELPER]
    );
    assert_eq!(
        r.overdue.iter().map(|d| d.user).collect::<Vec<_>>(),
        vec![HELPER, OPS]
    );
    assert!(
        r.overdue
            .iter()
            .all(|d| d.kind == NotificationType::TaskOverdue)
    );
}

#[test]
fn the_digest_sums_up_each_persons_day_once() {
    let today = FirmZone::parse("Asia/Kolkata").unwrap().local_date(NOW);
    let drafts = digests(
        &[
            work(1, NOW + Duration::hours(3)),
            work(2, NOW - Duration::days(2)),
        ],
        &[DueTask {
            task_id: 1,
            assignment_id: 1,
            code: "VAL/1".into(),
            title: "t".into(),
            due_at: NOW - Duration::hours(1),
            assignee: OPS,
        }],
        today,
        NOW,
    );
    let users: Vec<UserId> = drafts.iter().map(|d| d.user).collect();
    assert_eq!(users, vec![VALUER, HELPER, OPS]);
    assert!(drafts.iter().all(|d| d.key == format!("digest:{today}")));
    assert!(
        drafts[0].message.contains("due today: VAL/1"),
        "{}",
        drafts[0].message
    );
    assert!(drafts[0].message.contains("overdue: VAL/2"));
    assert!(drafts[2].message.contains("tasks: 0 due today, 1 overdue"));
}

#[test]
fn invoices_a_month_late_go_to_admin_once_per_due_date() {
    let follow_up = |id: i64, days_late: i64| crate::task::FollowUp {
        assignment_id: 10,
        title: String::new(),
        description: String::new(),
        invoice_id: id,
        invoice_number: format!("INV/2026/{id:04}"),
        days_late,
        due_date: time::macros::date!(2026 - 01 - 05),
    };
    let drafts = super::sweep::invoices_overdue(
        &[follow_up(1, 29), follow_up(2, 30), follow_up(3, 90)],
        &[ADMIN, OPS],
    );
    let got: Vec<(UserId, i64)> = drafts
        .iter()
        .map(|d| (d.user, d.payload_int("invoice_id")))
        .collect();
    assert_eq!(got, vec![(ADMIN, 2), (OPS, 2), (ADMIN, 3), (OPS, 3)]);
    assert_eq!(drafts[0].key, "invoice-overdue:2:2026-01-05");
    assert_eq!(drafts[0].kind, NotificationType::PaymentPending);
    assert!(
        drafts[0]
            .message
            .contains("INV/2026/0002 is 30 days overdue")
    );
}

impl NotificationDraft {
    fn payload_int(&self, key: &str) -> i64 {
        self.payload
            .iter()
            .find_map(|(k, v)| match v {
                PayloadValue::Int(n) if *k == key => Some(*n),
                _ => None,
            })
            .unwrap_or_default()
    }
}

#[test]
fn a_lease_is_taken_when_free_expired_or_already_held() {
    let free = LeaseRow {
        holder: None,
        until: None,
    };
    let held = LeaseRow {
        holder: Some("a".into()),
        until: Some(NOW + Duration::seconds(30)),
    };
    assert!(may_take(&free, "b", NOW));
    assert!(may_take(&held, "a", NOW));
    assert!(!may_take(&held, "b", NOW));
    assert!(may_take(&held, "b", NOW + Duration::seconds(30)));
}

#[test]
fn refusals_back_off_fivefold_then_fail() {
    let policy = EmailPolicy::default();
    let refused = |permanent| MailError {
        permanent,
        reason: "450 busy".into(),
    };
    assert_eq!(
        after_refusal(&policy, 0, refused(false), NOW),
        Settlement::Retry {
            at: NOW + Duration::minutes(1),
            error: "450 busy".into()
        }
    );
    assert_eq!(
        after_refusal(&policy, 1, refused(false), NOW),
        Settlement::Retry {
            at: NOW + Duration::minutes(5),
            error: "450 busy".into()
        }
    );
    assert_eq!(
        after_refusal(&policy, 2, refused(false), NOW),
        Settlement::Failed("450 busy".into())
    );
    assert_eq!(
        after_refusal(&policy, 0, refused(true), NOW),
        Settlement::Failed("450 busy".into())
    );
}

// ---------------------------------------------------------------------------------------
// Workers over fakes
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct World {
    trail: Vec<TrailEvent>,
    stored: BTreeMap<(UserId, String), NotificationDraft>,
    cursor: i64,
    preferences: HashMap<UserId, Preferences>,
    emails: Vec<(i64, UserId, String)>,
    settled_keys: Vec<String>,
    settled: Vec<(i64, Settlement)>,
    sent_before: HashMap<UserId, u64>,
}

#[derive(Clone, Default)]
struct FakeOutbox(Arc<Mutex<World>>);

#[async_trait]
impl NotificationOutbox for FakeOutbox {
    async fn trail_after(&self, cursor: i64, limit: u64) -> DomainResult<Vec<TrailEvent>> {
        let w = self.0.lock().unwrap();
        Ok(w.trail
            .iter()
            .filter(|e| e.id > cursor)
            .take(usize::try_from(limit).unwrap())
            .cloned()
            .collect())
    }

    async fn preferences_of(&self, users: &[UserId]) -> DomainResult<HashMap<UserId, Preferences>> {
        let w = self.0.lock().unwrap();
        Ok(users
            .iter()
            .filter_map(|u| w.preferences.get(u).map(|p| (*u, p.clone())))
            .collect())
    }

    async fn store(
        &self,
        drafts: &[NotificationDraft],
        settled: &[String],
        cursor: Option<&CursorMove>,
        _now: OffsetDateTime,
    ) -> DomainResult<u64> {
        let mut w = self.0.lock().unwrap();
        w.settled_keys.extend(settled.iter().cloned());
        let mut new = 0;
        for d in drafts {
            if let std::collections::btree_map::Entry::Vacant(slot) =
                w.stored.entry((d.user, d.key.clone()))
            {
                slot.insert(d.clone());
                new += 1;
            }
        }
        if let Some(c) = cursor {
            w.cursor = c.to;
        }
        Ok(new)
    }
}

/// A clock the test moves.
struct MovingClock(Mutex<OffsetDateTime>);

impl crate::clock::Clock for MovingClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

fn notifier_on(outbox: &FakeOutbox, clock: Arc<dyn crate::clock::Clock>) -> Notifier {
    struct NoWork;
    #[async_trait]
    impl SweepSource for NoWork {
        async fn work_due_before(&self, _: OffsetDateTime) -> DomainResult<Vec<DueWork>> {
            Ok(vec![])
        }
        async fn tasks_due_before(&self, _: OffsetDateTime) -> DomainResult<Vec<DueTask>> {
            Ok(vec![])
        }
    }
    Notifier::new(
        Arc::new(outbox.clone()),
        Arc::new(FakeAudience),
        Arc::new(NoWork),
        clock,
        FirmZone::parse("Asia/Kolkata").unwrap(),
        8,
    )
}

fn lease(cursor: i64) -> Lease {
    Lease {
        job: crate::jobs::NOTIFY,
        holder: "test".into(),
        until: NOW + Duration::minutes(2),
        cursor,
    }
}

#[tokio::test]
async fn the_notifier_moves_its_cursor_over_what_it_has_seen_and_waits_at_a_young_hole() {
    let outbox = FakeOutbox::default();
    {
        let mut w = outbox.0.lock().unwrap();
        w.trail.push(event(1, "ASSIGNMENT_CREATED", OPS, &[]));
        w.trail.push(event(2, "USER_LOGOUT", OPS, &[]));
        // 3 is not visible yet (its transaction is open).
        w.trail.push(event(
            4,
            "APPROVAL_APPROVED",
            OPS,
            &[("requester_user_id", PayloadValue::Int(3))],
        ));
        w.preferences.insert(
            HELPER,
            Preferences {
                email_enabled: false,
                per_type: vec![],
            },
        );
    }
    let clock = Arc::new(MovingClock(Mutex::new(NOW)));
    let n = notifier_on(&outbox, clock.clone());
    assert_eq!(n.drain_trail(&lease(0)).await.unwrap().made, 3);
    {
        let w = outbox.0.lock().unwrap();
        assert_eq!(w.cursor, 2, "stops before the hole");
        assert!(w.stored[&(VALUER, "trail:1".into())].email);
        assert!(
            !w.stored[&(HELPER, "trail:1".into())].email,
            "preferences apply"
        );
    }
    // Read again: nothing new. Then 3 commits and is picked up; the cursor passes 4.
    assert_eq!(n.drain_trail(&lease(2)).await.unwrap().made, 0);
    outbox.0.lock().unwrap().trail.insert(
        2,
        event(
            3,
            "LEAVE_APPROVED",
            HR,
            &[("requester_user_id", PayloadValue::Int(3))],
        ),
    );
    assert_eq!(n.drain_trail(&lease(2)).await.unwrap().made, 1);
    assert_eq!(outbox.0.lock().unwrap().cursor, 4);
    // A hole older than the wait is a rolled-back transaction: passed over.
    outbox
        .0
        .lock()
        .unwrap()
        .trail
        .push(event(6, "ASSIGNMENT_CREATED", OPS, &[]));
    // Past a young hole (5): handled now, the cursor waits at 4.
    assert_eq!(n.drain_trail(&lease(4)).await.unwrap().made, 2);
    assert_eq!(outbox.0.lock().unwrap().cursor, 4);
    // The hole's age is what this process has seen: an entry's own (old) time does not
    // count, so another instance's clock cannot cut the wait short.
    *clock.0.lock().unwrap() = NOW + super::service::TRAIL_GAP_WAIT - Duration::seconds(1);
    n.drain_trail(&lease(4)).await.unwrap();
    assert_eq!(outbox.0.lock().unwrap().cursor, 4);
    *clock.0.lock().unwrap() = NOW + super::service::TRAIL_GAP_WAIT;
    assert_eq!(n.drain_trail(&lease(4)).await.unwrap().made, 0, "made once");
    assert_eq!(outbox.0.lock().unwrap().cursor, 6);
}

#[tokio::test]
async fn a_notifier_run_is_bounded_and_says_when_there_is_more() {
    let outbox = FakeOutbox::default();
    let per_run = i64::try_from(super::service::TRAIL_BATCH).unwrap()
        * i64::try_from(super::service::TRAIL_BATCHES_PER_RUN).unwrap();
    outbox.0.lock().unwrap().trail = (1..=per_run + 1)
        .map(|id| event(id, "USER_LOGOUT", OPS, &[]))
        .collect();
    let n = notifier_on(&outbox, Arc::new(FixedClock(NOW)));
    let first = n.drain_trail(&lease(0)).await.unwrap();
    assert!(first.more);
    assert_eq!(outbox.0.lock().unwrap().cursor, per_run);
    let second = n.drain_trail(&lease(per_run)).await.unwrap();
    assert!(!second.more);
    assert_eq!(outbox.0.lock().unwrap().cursor, per_run + 1);
}

struct FakeMailer {
    refuse_first: Mutex<u32>,
    sent: Mutex<Vec<String>>,
}

#[async_trait]
impl Mailer for FakeMailer {
    async fn send(&self, email: &super::email::Email) -> Result<Sent, MailError> {
        let mut refuse = self.refuse_first.lock().unwrap();
        if *refuse > 0 {
            *refuse -= 1;
            return Err(MailError {
                permanent: false,
                reason: "421 try later".into(),
            });
        }
        self.sent.lock().unwrap().push(email.to.clone());
        Ok(Sent::Delivered(None))
    }
}

#[async_trait]
impl EmailOutbox for FakeOutbox {
    async fn claim(
        &self,
        _now: OffsetDateTime,
        _until: OffsetDateTime,
        limit: u64,
    ) -> DomainResult<Vec<OutgoingEmail>> {
        let w = self.0.lock().unwrap();
        Ok(w.emails
            .iter()
            .take(usize::try_from(limit).unwrap())
            .map(|(id, user, to)| OutgoingEmail {
                delivery_id: *id,
                user_id: *user,
                to: to.clone(),
                name: "N".into(),
                kind: NotificationType::ApprovalPending,
                message: "Approval requested".into(),
                attempts: 0,
            })
            .collect())
    }

    async fn sent_since(
        &self,
        users: &[UserId],
        _since: OffsetDateTime,
    ) -> DomainResult<HashMap<UserId, u64>> {
        let w = self.0.lock().unwrap();
        Ok(users
            .iter()
            .filter_map(|u| w.sent_before.get(u).map(|n| (*u, *n)))
            .collect())
    }

    async fn settle(
        &self,
        delivery_id: i64,
        _claimed_until: OffsetDateTime,
        settlement: &Settlement,
        _now: OffsetDateTime,
    ) -> DomainResult<bool> {
        self.0
            .lock()
            .unwrap()
            .settled
            .push((delivery_id, settlement.clone()));
        Ok(true)
    }
}

#[tokio::test]
async fn the_sender_caps_each_persons_day_retries_refusals_and_skips_the_addressless() {
    let outbox = FakeOutbox::default();
    {
        let mut w = outbox.0.lock().unwrap();
        w.emails = vec![
            (1, VALUER, "valuer@firm.test".into()),
            (2, VALUER, "valuer@firm.test".into()),
            (3, VALUER, "valuer@firm.test".into()),
            (4, HELPER, "helper@firm.test".into()),
            (5, OPS, " ".into()),
        ];
        w.sent_before.insert(VALUER, 18);
    }
    let mailer = Arc::new(FakeMailer {
        refuse_first: Mutex::new(1),
        sent: Mutex::new(vec![]),
    });
    let sender = EmailSender::new(
        Arc::new(outbox.clone()),
        mailer.clone(),
        EmailPolicy {
            daily_cap: 20,
            ..EmailPolicy::default()
        },
        Arc::new(FixedClock(NOW)),
        FirmZone::parse("Asia/Kolkata").unwrap(),
    );
    let run = sender.run(NOW + Duration::minutes(1)).await.unwrap();
    // 1: refused once → retry; 2, 3: sent (18 → 20); HELPER: sent; OPS: no address.
    let settled = outbox.0.lock().unwrap().settled.clone();
    assert!(matches!(settled[0], (1, Settlement::Retry { .. })));
    assert!(matches!(settled[1], (2, Settlement::Sent(_))));
    assert!(matches!(settled[2], (3, Settlement::Sent(_))));
    assert!(matches!(settled[3], (4, Settlement::Sent(_))));
    assert!(matches!(&settled[4], (5, Settlement::Skipped(r)) if r.contains("address")));
    assert_eq!((run.sent, run.retrying, run.skipped), (3, 1, 1));
    // A run with too little of its lease left sends nothing (its claims run out for the
    // next run).
    outbox.0.lock().unwrap().settled.clear();
    let run = sender.run(NOW + Duration::seconds(10)).await.unwrap();
    assert_eq!(run, Default::default());
    assert_eq!(mailer.sent.lock().unwrap().len(), 3);
    // The next run finds VALUER at the cap.
    outbox.0.lock().unwrap().settled.clear();
    outbox.0.lock().unwrap().emails.truncate(1);
    outbox.0.lock().unwrap().sent_before.insert(VALUER, 20);
    sender.run(NOW + Duration::minutes(1)).await.unwrap();
    assert!(
        matches!(&outbox.0.lock().unwrap().settled[0], (1, Settlement::Skipped(r)) if r.contains("daily limit"))
    );
}

/// Due work the sweeps and the digest read: everything due before the asked instant.
struct DueBefore(Vec<DueWork>, Vec<DueTask>);

#[async_trait]
impl SweepSource for DueBefore {
    async fn work_due_before(&self, before: OffsetDateTime) -> DomainResult<Vec<DueWork>> {
        Ok(self
            .0
            .iter()
            .filter(|w| w.due_at < before)
            .cloned()
            .collect())
    }
    async fn tasks_due_before(&self, before: OffsetDateTime) -> DomainResult<Vec<DueTask>> {
        Ok(self
            .1
            .iter()
            .filter(|t| t.due_at < before)
            .cloned()
            .collect())
    }
}

#[tokio::test]
async fn the_digest_waits_for_the_morning_covers_today_and_comes_once_a_day() {
    let outbox = FakeOutbox::default();
    // 2026-03-10 in Kolkata: 07:00 local is 01:30 UTC, 09:00 local is 03:30 UTC.
    let clock = Arc::new(MovingClock(Mutex::new(datetime!(2026-03-10 01:30 UTC))));
    let source = DueBefore(
        vec![
            work(1, datetime!(2026-03-09 12:30 UTC)),
            work(2, datetime!(2026-03-10 12:30 UTC)),
            // Tomorrow: not in today's digest.
            work(3, datetime!(2026-03-11 12:30 UTC)),
        ],
        vec![],
    );
    let n = Notifier::new(
        Arc::new(outbox.clone()),
        Arc::new(FakeAudience),
        Arc::new(source),
        clock.clone(),
        FirmZone::parse("Asia/Kolkata").unwrap(),
        8,
    );
    assert_eq!(n.digest().await.unwrap(), 0, "before the digest hour");
    *clock.0.lock().unwrap() = datetime!(2026-03-10 03:30 UTC);
    assert_eq!(n.digest().await.unwrap(), 2, "the two people on the work");
    let stored = outbox.0.lock().unwrap().stored.clone();
    let valuer = &stored[&(VALUER, "digest:2026-03-10".to_owned())];
    assert!(
        valuer.message.contains("due today: VAL/2"),
        "{}",
        valuer.message
    );
    assert!(
        valuer.message.contains("overdue: VAL/1"),
        "{}",
        valuer.message
    );
    assert!(!valuer.message.contains("VAL/3"), "{}", valuer.message);
    assert!(valuer.email, "emailed by default");
    *clock.0.lock().unwrap() = datetime!(2026-03-10 09:30 UTC);
    assert_eq!(n.digest().await.unwrap(), 0, "once a day");
}
