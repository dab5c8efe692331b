//! The assignment lifecycle: which status changes exist, who may make them and what each
//! records. The table is documented in `docs/assignment-lifecycle.md`.
//!
//! ```text
//! PENDING ──► SITE_VISIT ──► UNDER_PROCESS ──► SUBMITTED ──► COMPLETED
//!    └───────────────────────────►┘    ▲            │              │
//!                                      └── sent back ┘◄── reopened ─┘
//! any open status ──► CANCELLED (with a reason) ──► PENDING (reopened)
//! ```

use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::access::{Actor, Capability};
use crate::error::{DomainError, DomainResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssignmentStatus {
    Pending,
    SiteVisit,
    UnderProcess,
    Submitted,
    Completed,
    Cancelled,
}

impl AssignmentStatus {
    pub const ALL: [AssignmentStatus; 6] = [
        Self::Pending,
        Self::SiteVisit,
        Self::UnderProcess,
        Self::Submitted,
        Self::Completed,
        Self::Cancelled,
    ];

    /// Open work still needs doing; completed and cancelled work is closed.
    pub const OPEN: [AssignmentStatus; 4] = [
        Self::Pending,
        Self::SiteVisit,
        Self::UnderProcess,
        Self::Submitted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::SiteVisit => "SITE_VISIT",
            Self::UnderProcess => "UNDER_PROCESS",
            Self::Submitted => "SUBMITTED",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, Self::Completed | Self::Cancelled)
    }
}

impl fmt::Display for AssignmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AssignmentStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown status '{s}'"))
    }
}

/// Who may make a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Anyone who may work on the assignment (its assignees, its creator, view-all roles).
    Worker,
    /// Someone who directs the work: the `reassign` capability.
    Supervisor,
}

/// The lifecycle timestamps, as a transition leaves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Milestones {
    pub report_submitted_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
    pub cancelled_at: Option<OffsetDateTime>,
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub from: AssignmentStatus,
    pub to: AssignmentStatus,
    pub who: Who,
    /// The activity recorded for it.
    pub activity: &'static str,
}

use AssignmentStatus::*;

/// Every allowed status change. Anything not listed is refused.
pub const TRANSITIONS: [Transition; 12] = [
    Transition {
        from: Pending,
        to: SiteVisit,
        who: Who::Worker,
        activity: "ASSIGNMENT_SITE_VISIT_STARTED",
    },
    Transition {
        from: Pending,
        to: UnderProcess,
        who: Who::Worker,
        activity: "ASSIGNMENT_PROCESSING_STARTED",
    },
    Transition {
        from: SiteVisit,
        to: UnderProcess,
        who: Who::Worker,
        activity: "ASSIGNMENT_PROCESSING_STARTED",
    },
    Transition {
        from: UnderProcess,
        to: Submitted,
        who: Who::Worker,
        activity: "ASSIGNMENT_SUBMITTED",
    },
    Transition {
        from: Submitted,
        to: Completed,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_COMPLETED",
    },
    Transition {
        from: Submitted,
        to: UnderProcess,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_SENT_BACK",
    },
    Transition {
        from: Completed,
        to: UnderProcess,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_REOPENED",
    },
    Transition {
        from: Pending,
        to: Cancelled,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_CANCELLED",
    },
    Transition {
        from: SiteVisit,
        to: Cancelled,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_CANCELLED",
    },
    Transition {
        from: UnderProcess,
        to: Cancelled,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_CANCELLED",
    },
    Transition {
        from: Submitted,
        to: Cancelled,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_CANCELLED",
    },
    Transition {
        from: Cancelled,
        to: Pending,
        who: Who::Supervisor,
        activity: "ASSIGNMENT_REOPENED",
    },
];

/// Finds the transition, checks who may make it, and returns it with the timestamps it
/// leaves behind. `reason` is required to cancel.
pub fn transition(
    actor: &Actor,
    from: AssignmentStatus,
    to: AssignmentStatus,
    current: Milestones,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> DomainResult<(Transition, Milestones)> {
    let Some(step) = TRANSITIONS
        .iter()
        .find(|t| t.from == from && t.to == to)
        .copied()
    else {
        return Err(DomainError::conflict(
            "invalid_transition",
            format!("An assignment cannot move from {from} to {to}"),
        ));
    };
    if step.who == Who::Supervisor && !actor.can(Capability::Reassign) {
        return Err(DomainError::Forbidden(format!(
            "Moving an assignment from {from} to {to} needs the reassign capability"
        )));
    }
    if to == Cancelled && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(DomainError::invalid(
            "cancel_reason",
            "a reason is required to cancel",
        ));
    }
    let mut after = current;
    match to {
        Submitted => after.report_submitted_at = Some(now),
        Completed => after.completed_at = Some(now),
        Cancelled => after.cancelled_at = Some(now),
        UnderProcess if from == Submitted => after.report_submitted_at = None,
        UnderProcess if from == Completed => {
            after.completed_at = None;
            after.report_submitted_at = None;
        }
        Pending if from == Cancelled => after = Milestones::default(),
        _ => {}
    }
    Ok((step, after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{CapabilityOverrides, Role, Roles};
    use crate::user::UserId;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn actor(role: Role) -> Actor {
        Actor::new(UserId(1), Roles::single(role), &CapabilityOverrides::none())
    }

    const NOW: OffsetDateTime = datetime!(2026-03-01 10:00 UTC);

    #[test]
    fn the_happy_path_sets_its_timestamps() {
        let ops = actor(Role::OpsManager);
        let mut at = Milestones::default();
        for (from, to) in [
            (Pending, SiteVisit),
            (SiteVisit, UnderProcess),
            (UnderProcess, Submitted),
            (Submitted, Completed),
        ] {
            at = transition(&ops, from, to, at, None, NOW).unwrap().1;
        }
        assert_eq!(at.report_submitted_at, Some(NOW));
        assert_eq!(at.completed_at, Some(NOW));
        assert_eq!(at.cancelled_at, None);
    }

    #[test]
    fn workers_do_the_work_and_supervisors_close_it() {
        let field = actor(Role::FieldValuer);
        assert!(transition(&field, Pending, SiteVisit, Milestones::default(), None, NOW).is_ok());
        assert!(
            transition(
                &field,
                UnderProcess,
                Submitted,
                Milestones::default(),
                None,
                NOW
            )
            .is_ok()
        );
        let err = transition(
            &field,
            Submitted,
            Completed,
            Milestones::default(),
            None,
            NOW,
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)));
        let err = transition(
            &field,
            Pending,
            Cancelled,
            Milestones::default(),
            Some("dup"),
            NOW,
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)));
    }

    #[test]
    fn illegal_moves_name_both_statuses() {
        let admin = actor(Role::Admin);
        let err =
            transition(&admin, Pending, Completed, Milestones::default(), None, NOW).unwrap_err();
        assert!(matches!(
            &err,
            DomainError::Conflict {
                code: "invalid_transition",
                ..
            }
        ));
        let text = err.to_string();
        assert!(
            text.contains("PENDING") && text.contains("COMPLETED"),
            "{text}"
        );
        assert!(
            transition(
                &admin,
                Completed,
                Cancelled,
                Milestones::default(),
                Some("x"),
                NOW
            )
            .is_err()
        );
        assert!(transition(&admin, Pending, Pending, Milestones::default(), None, NOW).is_err());
    }

    #[test]
    fn cancelling_needs_a_reason_and_reopening_clears_what_it_undoes() {
        let admin = actor(Role::Admin);
        let err = transition(
            &admin,
            UnderProcess,
            Cancelled,
            Milestones::default(),
            Some("  "),
            NOW,
        )
        .unwrap_err();
        assert!(matches!(err, DomainError::Validation(_)));
        let (_, cancelled) = transition(
            &admin,
            UnderProcess,
            Cancelled,
            Milestones::default(),
            Some("Client withdrew"),
            NOW,
        )
        .unwrap();
        assert_eq!(cancelled.cancelled_at, Some(NOW));
        let (_, reopened) = transition(&admin, Cancelled, Pending, cancelled, None, NOW).unwrap();
        assert_eq!(reopened.cancelled_at, None);

        let done = Milestones {
            report_submitted_at: Some(NOW),
            completed_at: Some(NOW),
            cancelled_at: None,
        };
        let (step, back) = transition(&admin, Completed, UnderProcess, done, None, NOW).unwrap();
        assert_eq!(step.activity, "ASSIGNMENT_REOPENED");
        assert_eq!(back, Milestones::default());
    }

    fn any_status() -> impl Strategy<Value = AssignmentStatus> {
        prop::sample::select(AssignmentStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn only_listed_transitions_are_allowed(from in any_status(), to in any_status()) {
            let listed = TRANSITIONS.iter().any(|t| t.from == from && t.to == to);
            let result = transition(&actor(Role::Admin), from, to, Milestones::default(), Some("reason"), NOW);
            prop_assert_eq!(result.is_ok(), listed);
        }

        #[test]
        fn closed_work_carries_exactly_its_closing_timestamp(
            path in prop::collection::vec(any_status(), 1..12)
        ) {
            // Walk any sequence of requested statuses, applying the allowed ones.
            let admin = actor(Role::Admin);
            let (mut status, mut at) = (Pending, Milestones::default());
            for to in path {
                if let Ok((_, next)) = transition(&admin, status, to, at, Some("r"), NOW) {
                    status = to;
                    at = next;
                }
                prop_assert_eq!(at.completed_at.is_some(), status == Completed);
                prop_assert_eq!(at.cancelled_at.is_some(), status == Cancelled);
                if matches!(status, Pending | SiteVisit | UnderProcess) {
                    prop_assert!(at.report_submitted_at.is_none());
                }
                if matches!(status, Submitted | Completed) {
                    prop_assert!(at.report_submitted_at.is_some());
                }
            }
        }
    }
}
