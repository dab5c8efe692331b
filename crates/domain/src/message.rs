//! The assignment chat: messages on an assignment, with mentions of colleagues and pinning.
//! Every write is recorded in the activity trail in the same transaction.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::{Actor, Capability};
use crate::activity::{ActivityDraft, PayloadValue};
use crate::assignment::{AssignmentService, Visible};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult};
use crate::user::{UserId, UserRepository};
use crate::work::{self, Change, Transaction, UnitOfWork};

pub const MESSAGE_MAX_CHARS: usize = 10_000;
/// Each mention is checked against the people list; a bound keeps that small.
pub const MAX_MENTIONS: usize = 50;

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: i64,
    pub assignment_id: i64,
    pub sender: UserId,
    pub message: String,
    /// The users mentioned, sorted, each once.
    pub mentions: Vec<UserId>,
    pub pinned: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The ids of the `@[Display Name](<id>)` tokens in `text`, in order of first appearance,
/// each once. Malformed tokens (no name, no closing bracket, no `(`, an id that is not a
/// positive integer) are ignored.
pub fn mentions_in(text: &str) -> Vec<UserId> {
    let mut found: Vec<UserId> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("@[") {
        let after = &rest[start + 2..];
        if let Some(id) = token_id(after)
            && !found.contains(&id)
        {
            found.push(id);
        }
        // Continue right after this `@[`, so a malformed token cannot hide a good one.
        rest = after;
    }
    found
}

/// Parses `Display Name](<id>)` (what follows `@[`) into the id.
fn token_id(after_open: &str) -> Option<UserId> {
    let close = after_open.find(']')?;
    let name = &after_open[..close];
    if name.trim().is_empty() || name.contains('[') || name.contains('\n') {
        return None;
    }
    let tail = after_open[close + 1..].strip_prefix('(')?;
    let end = tail.find(')')?;
    let digits = &tail[..end];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<i64>() {
        Ok(id) if id > 0 => Some(UserId(id)),
        _ => None,
    }
}

#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// The assignment's messages, oldest first.
    async fn list_for_assignment(&self, assignment_id: i64) -> DomainResult<Vec<Message>>;
    /// The message, if it belongs to this assignment; otherwise `NotFound("Message")`.
    async fn get(&self, assignment_id: i64, message_id: i64) -> DomainResult<Message>;
}

/// Message writes inside a [`crate::work::Transaction`].
#[async_trait]
pub trait MessageStore: Send {
    async fn create(
        &mut self,
        assignment_id: i64,
        sender: UserId,
        text: &str,
        mentions: &[UserId],
        pinned: bool,
        at: OffsetDateTime,
    ) -> DomainResult<Message>;
    /// `NotFound("Message")` when the message is gone.
    async fn set_pinned(
        &mut self,
        message_id: i64,
        pinned: bool,
        at: OffsetDateTime,
    ) -> DomainResult<Message>;
    /// `NotFound("Message")` when the message is already gone.
    async fn delete(&mut self, message_id: i64) -> DomainResult<()>;
}

enum MessageOp {
    Post {
        assignment_id: i64,
        sender: UserId,
        text: String,
        mentions: Vec<UserId>,
        pinned: bool,
    },
    Pin {
        message_id: i64,
        pinned: bool,
    },
    Delete {
        message_id: i64,
    },
}

/// A checked change to one message, with its trail entry.
pub struct MessageChange {
    op: MessageOp,
    entry: ActivityDraft,
    at: OffsetDateTime,
}

#[async_trait]
impl Change for MessageChange {
    /// The message as written; `None` once deleted.
    type Output = Option<Message>;

    async fn apply(
        &self,
        tx: &mut dyn Transaction,
    ) -> DomainResult<(Option<Message>, Vec<ActivityDraft>)> {
        let store = tx.messages();
        let (message, entry) = match &self.op {
            MessageOp::Post {
                assignment_id,
                sender,
                text,
                mentions,
                pinned,
            } => {
                let message = store
                    .create(*assignment_id, *sender, text, mentions, *pinned, self.at)
                    .await?;
                // The id exists only now.
                let entry = self.entry.clone().with("message_id", message.id);
                (Some(message), entry)
            }
            MessageOp::Pin { message_id, pinned } => (
                Some(store.set_pinned(*message_id, *pinned, self.at).await?),
                self.entry.clone(),
            ),
            MessageOp::Delete { message_id } => {
                store.delete(*message_id).await?;
                (None, self.entry.clone())
            }
        };
        Ok((message, vec![entry]))
    }

    fn at(&self) -> OffsetDateTime {
        self.at
    }
}

impl MessageService {
    async fn commit(&self, change: MessageChange) -> DomainResult<Message> {
        work::commit(self.work.as_ref(), &change)
            .await?
            .ok_or_else(|| DomainError::unexpected("a written message came back empty"))
    }
}

/// Who may pin, unpin or delete a message: its sender, or anyone who sees all assignments.
pub fn may_moderate(actor: &Actor, message: &Message) -> bool {
    message.sender == actor.user_id || actor.can(Capability::ViewAllAssignments)
}

/// A message body as stored: trimmed, 1 to 10,000 characters.
pub fn validate_text(raw: &str) -> Result<String, String> {
    let text = crate::text::parse(raw, MESSAGE_MAX_CHARS)?;
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(text)
}

/// The union of the listed ids and the ids mentioned in the text, sorted, each once.
pub fn all_mentions(listed: &[i64], text: &str) -> Vec<UserId> {
    let set: BTreeSet<UserId> = listed
        .iter()
        .map(|id| UserId(*id))
        .chain(mentions_in(text))
        .collect();
    set.into_iter().collect()
}

#[derive(Clone)]
pub struct MessageService {
    messages: Arc<dyn MessageRepository>,
    work: Arc<dyn UnitOfWork>,
    assignments: AssignmentService,
    users: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
}

impl MessageService {
    pub fn new(
        messages: Arc<dyn MessageRepository>,
        work: Arc<dyn UnitOfWork>,
        assignments: AssignmentService,
        users: Arc<dyn UserRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            messages,
            work,
            assignments,
            users,
            clock,
        }
    }

    /// The assignment's messages, oldest first, if the actor may see the assignment.
    pub async fn list(&self, actor: &Actor, assignment_id: i64) -> DomainResult<Vec<Message>> {
        let view = self.assignments.get(actor, assignment_id).await?;
        self.list_visible(view.visible()).await
    }

    /// The messages of an assignment already shown to be visible.
    pub async fn list_visible(&self, seen: Visible<'_>) -> DomainResult<Vec<Message>> {
        self.messages.list_for_assignment(seen.id()).await
    }

    /// Posts a message. Mentions are the given ids plus those of the `@[Name](id)` tokens
    /// in the text; each must be an existing, active user.
    pub async fn post(
        &self,
        actor: &Actor,
        assignment_id: i64,
        text: &str,
        mentions: Vec<i64>,
        pinned: bool,
    ) -> DomainResult<Message> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        let text = validate_text(text).map_err(|m| DomainError::invalid("message", m))?;
        let mentions = all_mentions(&mentions, &text);
        if mentions.len() > MAX_MENTIONS {
            return Err(DomainError::invalid(
                "mentions",
                format!("at most {MAX_MENTIONS} people can be mentioned"),
            ));
        }
        let mut unknown: Vec<String> = Vec::new();
        for user in &mentions {
            let active = match self.users.get(*user).await {
                Ok(found) => found.is_active,
                Err(DomainError::NotFound(_)) => false,
                Err(other) => return Err(other),
            };
            if !active {
                unknown.push(user.to_string());
            }
        }
        if !unknown.is_empty() {
            return Err(DomainError::invalid(
                "mentions",
                format!("unknown or inactive user ids: {}", unknown.join(", ")),
            ));
        }
        let activity = ActivityDraft::new("MESSAGE_CREATED", actor, "Message posted")
            .on(assignment.id)
            .with(
                "mentions",
                PayloadValue::Ints(mentions.iter().map(|u| u.0).collect()),
            );
        self.commit(MessageChange {
            op: MessageOp::Post {
                assignment_id: assignment.id,
                sender: actor.user_id,
                text,
                mentions,
                pinned,
            },
            entry: activity,
            at: self.clock.now(),
        })
        .await
    }

    /// Pins a message (a message already pinned is returned as it is, without a write).
    pub async fn pin(
        &self,
        actor: &Actor,
        assignment_id: i64,
        message_id: i64,
    ) -> DomainResult<Message> {
        self.set_pinned(actor, assignment_id, message_id, true)
            .await
    }

    /// Unpins a message (a message not pinned is returned as it is, without a write).
    pub async fn unpin(
        &self,
        actor: &Actor,
        assignment_id: i64,
        message_id: i64,
    ) -> DomainResult<Message> {
        self.set_pinned(actor, assignment_id, message_id, false)
            .await
    }

    pub async fn delete(
        &self,
        actor: &Actor,
        assignment_id: i64,
        message_id: i64,
    ) -> DomainResult<()> {
        let message = self.moderated(actor, assignment_id, message_id).await?;
        let activity = ActivityDraft::new("MESSAGE_DELETED", actor, "Message deleted")
            .on(message.assignment_id)
            .with("message_id", message.id);
        let change = MessageChange {
            op: MessageOp::Delete {
                message_id: message.id,
            },
            entry: activity,
            at: self.clock.now(),
        };
        work::commit(self.work.as_ref(), &change).await.map(drop)
    }

    async fn set_pinned(
        &self,
        actor: &Actor,
        assignment_id: i64,
        message_id: i64,
        pinned: bool,
    ) -> DomainResult<Message> {
        let message = self.moderated(actor, assignment_id, message_id).await?;
        if message.pinned == pinned {
            return Ok(message);
        }
        let (kind, text) = if pinned {
            ("MESSAGE_PINNED", "Message pinned")
        } else {
            ("MESSAGE_UNPINNED", "Message unpinned")
        };
        let activity = ActivityDraft::new(kind, actor, text)
            .on(message.assignment_id)
            .with("message_id", message.id);
        self.commit(MessageChange {
            op: MessageOp::Pin {
                message_id: message.id,
                pinned,
            },
            entry: activity,
            at: self.clock.now(),
        })
        .await
    }

    /// The message, if the actor may see its assignment and may moderate it.
    async fn moderated(
        &self,
        actor: &Actor,
        assignment_id: i64,
        message_id: i64,
    ) -> DomainResult<Message> {
        let assignment = self.assignments.load(actor, assignment_id).await?;
        let message = self.messages.get(assignment.id, message_id).await?;
        if !may_moderate(actor, &message) {
            return Err(DomainError::Forbidden(
                "Not permitted to modify this message".into(),
            ));
        }
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{CapabilityOverrides, Role, Roles};

    fn ids(text: &str) -> Vec<i64> {
        mentions_in(text).into_iter().map(|u| u.0).collect()
    }

    #[test]
    fn mention_tokens_are_found_in_order_once() {
        assert_eq!(ids("Hi @[Asha Rao](12), see @[Vikram](3)."), [12, 3]);
        assert_eq!(ids("@[A](5) @[A again](5) @[B](2)"), [5, 2]);
        assert_eq!(ids("@[Nāme with ünïcode](7)"), [7]);
        assert!(ids("no mentions here, mail a@b.c").is_empty());
    }

    #[test]
    fn malformed_mentions_are_ignored() {
        for bad in [
            "@[](5)",
            "@[   ](5)",
            "@[Name] (5)",
            "@[Name](abc)",
            "@[Name](5",
            "@[Name](-5)",
            "@[Name](0)",
            "@[Name](+5)",
            "@[Name](5 )",
            "@[Name(5)",
            "@Name(5)",
            "[Name](5)",
            "@[Name](99999999999999999999999)",
            "@[Line\nbreak](5)",
        ] {
            assert!(ids(bad).is_empty(), "{bad:?} should be ignored");
        }
    }

    #[test]
    fn a_malformed_token_does_not_hide_a_good_one() {
        assert_eq!(ids("@[broken @[Ravi](4)"), [4]);
        assert_eq!(ids("@[x] and @[Y](3)"), [3]);
        assert_eq!(ids("@[@[Z](8)"), [8]);
    }

    #[test]
    fn mentions_are_the_sorted_union() {
        let all: Vec<i64> = all_mentions(&[9, 2, 9], "cc @[Five](5) @[Two](2)")
            .into_iter()
            .map(|u| u.0)
            .collect();
        assert_eq!(all, [2, 5, 9]);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(validate_text("  hello ").unwrap(), "hello");
        assert!(validate_text(" \n ").is_err());
        assert!(validate_text(&"x".repeat(10_000)).is_ok());
        assert!(validate_text(&"x".repeat(10_001)).is_err());
    }

    #[test]
    fn sender_or_view_all_may_moderate() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let message = Message {
            id: 1,
            assignment_id: 2,
            sender: UserId(3),
            message: "hi".into(),
            mentions: vec![],
            pinned: false,
            created_at: at,
            updated_at: at,
        };
        let actor = |id, role| {
            Actor::new(
                UserId(id),
                Roles::single(role),
                &CapabilityOverrides::none(),
            )
        };
        assert!(may_moderate(&actor(3, Role::Employee), &message));
        assert!(!may_moderate(&actor(4, Role::Employee), &message));
        assert!(may_moderate(&actor(4, Role::OpsManager), &message));
    }
}
