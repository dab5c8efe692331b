//! Which trail entries tell whom about what.
//!
//! | trail entry | notification | to (never the actor) |
//! |---|---|---|
//! | `ASSIGNMENT_CREATED` | ASSIGNMENT_ASSIGNED | everyone on the assignment |
//! | `ASSIGNMENT_REASSIGNED`, `ASSIGNMENT_ASSIGNEES_UPDATED` | ASSIGNMENT_REASSIGNED | everyone on it after the change (one per change) |
//! | `MISSING_DOC_REMINDER` | MISSING_DOC | everyone on the assignment |
//! | `DOCUMENT_UPLOADED` | MISSING_DOC | the primary assignee |
//! | `TASK_CREATED`, `INVOICE_FOLLOWUP_TASK_CREATED` | TASK_ASSIGNED | the task's assignee |
//! | `TASK_UPDATED` | TASK_ASSIGNED (new assignee) or TASK_UPDATED (title, description, status, due) | the task's assignee |
//! | `MESSAGE_CREATED` | MENTION | the people mentioned |
//! | `APPROVAL_REQUESTED` | APPROVAL_PENDING | the named approver, else the active deciders |
//! | `APPROVAL_APPROVED` / `_REJECTED` | APPROVAL_APPROVED / _REJECTED | the requester |
//! | `LEAVE_REQUESTED` | APPROVAL_PENDING | active HR and ADMIN users |
//! | `LEAVE_APPROVED` / `_REJECTED` | LEAVE_APPROVED / _REJECTED | the requester |
//! | `INVOICE_CREATED`, `INVOICE_ISSUED` | PAYMENT_PENDING | everyone on the assignment |
//! | `INVOICE_REMINDER_SENT` | PAYMENT_PENDING | everyone on the assignment, FINANCE and ADMIN |
//! | `INVOICE_MARKED_PAID`, `INVOICE_PAYMENT_RECORDED` leaving it PAID | PAYMENT_RECEIVED | everyone on the assignment and FINANCE |
//!
//! Each notification's key is the entry's (`trail:{id}`), so an entry read twice makes
//! nothing new; the two entries of one reassignment share theirs; a request's
//! APPROVAL_PENDING notifications share `approval:{id}` or `leave:{id}`, and the entry
//! that decides, withdraws or cancels it marks them read for everyone ([`settles`]).

use crate::access::Role;
use crate::approval::{ActionType, EntityType, decider_roles};
use crate::error::DomainResult;
use crate::user::UserId;

use super::{Audience, NotificationDraft, NotificationType as T, TrailEvent, recipients};

/// The notifications one trail entry calls for.
pub async fn plan(
    event: &TrailEvent,
    audience: &dyn Audience,
) -> DomainResult<Vec<NotificationDraft>> {
    let actor = event.actor;
    let key = format!("trail:{}", event.id);
    let people = match event.assignment_id {
        Some(id) if needs_people(&event.kind) => audience.people_on(id).await?,
        _ => None,
    };
    let code = people.as_ref().map_or("", |p| p.code.as_str()).to_owned();
    let everyone = people
        .as_ref()
        .map(|p| p.everyone.clone())
        .unwrap_or_default();
    let on_assignment = |draft: NotificationDraft| match event.assignment_id {
        Some(id) => draft
            .with("assignment_id", id)
            .with("assignment_code", code.as_str()),
        None => draft,
    };
    let to = |users: Vec<UserId>, kind: T, message: &str, key: &str| -> Vec<NotificationDraft> {
        recipients(users, actor)
            .into_iter()
            .map(|user| on_assignment(NotificationDraft::new(user, kind, message, key)))
            .collect()
    };

    let drafts = match event.kind.as_str() {
        "ASSIGNMENT_CREATED" if people.is_some() => to(
            everyone,
            T::AssignmentAssigned,
            &format!("Assignment {code} was assigned to you"),
            &key,
        ),
        "ASSIGNMENT_REASSIGNED" | "ASSIGNMENT_ASSIGNEES_UPDATED" if people.is_some() => {
            // Both entries of one change share the change's instant: one notification.
            let key = format!(
                "people:{}:{}",
                event.assignment_id.unwrap_or_default(),
                event.at.unix_timestamp_nanos()
            );
            to(
                everyone,
                T::AssignmentReassigned,
                &format!("Assignment {code} was reassigned; you are on it"),
                &key,
            )
        }
        "MISSING_DOC_REMINDER" if people.is_some() => {
            let missing = event.text("missing").unwrap_or_default();
            to(
                everyone,
                T::MissingDoc,
                &format!("Documents missing on {code}: {missing}"),
                &key,
            )
        }
        "DOCUMENT_UPLOADED" => {
            let primary = people
                .as_ref()
                .and_then(|p| p.primary)
                .into_iter()
                .collect();
            let category = event.text("category").unwrap_or("a document");
            carrying(
                to(
                    primary,
                    T::MissingDoc,
                    &format!("New upload on {code}: {category}"),
                    &key,
                ),
                event,
                "document_id",
            )
        }
        "TASK_CREATED" | "INVOICE_FOLLOWUP_TASK_CREATED" => task(event, T::TaskAssigned, &key, &to),
        "TASK_UPDATED" => {
            let changed = event.text("fields").unwrap_or_default();
            let names: Vec<&str> = changed.split(',').collect();
            if names.contains(&"assigned_to_user_id") {
                task(event, T::TaskAssigned, &key, &to)
            } else if names
                .iter()
                .any(|n| matches!(*n, "title" | "description" | "status" | "due_at"))
            {
                task(event, T::TaskUpdated, &key, &to)
            } else {
                Vec::new()
            }
        }
        "MESSAGE_CREATED" => {
            let mentioned = event.ints("mentions").into_iter().map(UserId).collect();
            let code = if code.is_empty() {
                "an assignment".to_owned()
            } else {
                code.clone()
            };
            carrying(
                to(
                    mentioned,
                    T::Mention,
                    &format!("You were mentioned on {code}"),
                    &key,
                ),
                event,
                "message_id",
            )
        }
        "APPROVAL_REQUESTED" => {
            let deciders = match event.int("approver_user_id") {
                Some(named) => vec![UserId(named)],
                None => {
                    let entity = event
                        .text("entity_type")
                        .and_then(|t| t.parse::<EntityType>().ok());
                    let action = event
                        .text("action_type")
                        .and_then(|t| t.parse::<ActionType>().ok());
                    match (entity, action) {
                        (Some(entity), Some(action)) => {
                            audience
                                .active_with_roles(decider_roles(entity, action))
                                .await?
                        }
                        _ => Vec::new(),
                    }
                }
            };
            let action = event.text("action_type").unwrap_or("a change");
            let key = pending_key(event).unwrap_or(key);
            carrying(
                to(
                    deciders,
                    T::ApprovalPending,
                    &format!("Approval requested: {action}"),
                    &key,
                ),
                event,
                "approval_id",
            )
        }
        "APPROVAL_APPROVED" | "APPROVAL_REJECTED" => {
            let (kind, verb) = if event.kind == "APPROVAL_APPROVED" {
                (T::ApprovalApproved, "approved")
            } else {
                (T::ApprovalRejected, "rejected")
            };
            let requester = event
                .int("requester_user_id")
                .map(UserId)
                .into_iter()
                .collect();
            let action = event.text("action_type").unwrap_or("request");
            carrying(
                to(
                    requester,
                    kind,
                    &format!("Your {action} request was {verb}"),
                    &key,
                ),
                event,
                "approval_id",
            )
        }
        "LEAVE_REQUESTED" => {
            let deciders = audience.active_with_roles(&[Role::Hr, Role::Admin]).await?;
            let requester = event.int("requester_user_id").map(UserId).or(actor);
            let deciders = deciders
                .into_iter()
                .filter(|u| Some(*u) != requester)
                .collect();
            let kind = event.text("leave_type").unwrap_or("LEAVE");
            let key = pending_key(event).unwrap_or(key);
            carrying(
                to(
                    deciders,
                    T::ApprovalPending,
                    &format!("Leave request pending: {kind}"),
                    &key,
                ),
                event,
                "leave_request_id",
            )
        }
        "LEAVE_APPROVED" | "LEAVE_REJECTED" => {
            let (kind, verb) = if event.kind == "LEAVE_APPROVED" {
                (T::LeaveApproved, "approved")
            } else {
                (T::LeaveRejected, "rejected")
            };
            let requester = event
                .int("requester_user_id")
                .map(UserId)
                .into_iter()
                .collect();
            carrying(
                to(
                    requester,
                    kind,
                    &format!("Your leave request was {verb}"),
                    &key,
                ),
                event,
                "leave_request_id",
            )
        }
        "INVOICE_CREATED" | "INVOICE_ISSUED" if people.is_some() => {
            let message = match (event.kind.as_str(), event.text("invoice_number")) {
                ("INVOICE_ISSUED", Some(number)) => format!("Invoice issued: {number} ({code})"),
                _ => format!("Invoice created for {code}"),
            };
            carrying(
                to(everyone, T::PaymentPending, &message, &key),
                event,
                "invoice_id",
            )
        }
        "INVOICE_REMINDER_SENT" => {
            let mut people = everyone;
            people.extend(
                audience
                    .active_with_roles(&[Role::Finance, Role::Admin])
                    .await?,
            );
            let number = event.text("invoice_number").unwrap_or("an invoice");
            carrying(
                to(
                    people,
                    T::PaymentPending,
                    &format!("Payment reminder: {number}"),
                    &key,
                ),
                event,
                "invoice_id",
            )
        }
        "INVOICE_MARKED_PAID" | "INVOICE_PAYMENT_RECORDED"
            if event.text("status") == Some("PAID") =>
        {
            let mut people = everyone;
            people.extend(audience.active_with_roles(&[Role::Finance]).await?);
            let number = event.text("invoice_number").unwrap_or("An invoice");
            carrying(
                to(
                    people,
                    T::PaymentReceived,
                    &format!("Invoice paid: {number} ({code})"),
                    &key,
                ),
                event,
                "invoice_id",
            )
        }
        _ => Vec::new(),
    };
    Ok(drafts)
}

/// The key of the APPROVAL_PENDING notifications about the request this entry is about:
/// `approval:{id}` or `leave:{id}`.
fn pending_key(event: &TrailEvent) -> Option<String> {
    match event.kind.as_str() {
        "APPROVAL_REQUESTED" | "APPROVAL_APPROVED" | "APPROVAL_REJECTED" | "APPROVAL_WITHDRAWN" => {
            event.int("approval_id").map(|id| format!("approval:{id}"))
        }
        "LEAVE_REQUESTED" | "LEAVE_APPROVED" | "LEAVE_REJECTED" | "LEAVE_CANCELLED" => event
            .int("leave_request_id")
            .map(|id| format!("leave:{id}")),
        _ => None,
    }
}

/// The key of the APPROVAL_PENDING notifications this entry settles: a request decided,
/// withdrawn or cancelled is no longer waiting for anyone, so what asked them to decide
/// it is marked read for everyone it went to.
pub fn settles(event: &TrailEvent) -> Option<String> {
    match event.kind.as_str() {
        "APPROVAL_REQUESTED" | "LEAVE_REQUESTED" => None,
        _ => pending_key(event),
    }
}

/// Makes one notification of a kind for each of the people (without the actor).
type Addresser<'a> = dyn Fn(Vec<UserId>, T, &str, &str) -> Vec<NotificationDraft> + 'a;

/// Entries whose recipients or message need the assignment's people and code.
fn needs_people(kind: &str) -> bool {
    !matches!(
        kind,
        "APPROVAL_APPROVED"
            | "APPROVAL_REJECTED"
            | "LEAVE_REQUESTED"
            | "LEAVE_APPROVED"
            | "LEAVE_REJECTED"
    )
}

/// Copies the entry's id named `key` (if it has one) onto each draft's payload.
fn carrying(
    drafts: Vec<NotificationDraft>,
    event: &TrailEvent,
    key: &'static str,
) -> Vec<NotificationDraft> {
    match event.int(key) {
        Some(id) => drafts.into_iter().map(|d| d.with(key, id)).collect(),
        None => drafts,
    }
}

fn task(event: &TrailEvent, kind: T, key: &str, to: &Addresser<'_>) -> Vec<NotificationDraft> {
    let assignee = event
        .int("assigned_to_user_id")
        .map(UserId)
        .into_iter()
        .collect();
    let title = event.text("title").unwrap_or("a task");
    let message = match kind {
        T::TaskAssigned => format!("Task assigned to you: {title}"),
        _ => format!("Task updated: {title}"),
    };
    carrying(to(assignee, kind, &message, key), event, "task_id")
}
