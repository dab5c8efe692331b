//! The unit of work over SeaORM: a [`Transaction`] holds one database transaction, and
//! each store it hands out writes through it. Dropping it uncommitted rolls back.

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use time::Date;
use time::OffsetDateTime;
use zenops_domain::DomainResult;
use zenops_domain::activity::ActivityDraft;
use zenops_domain::approval::{Approval, ApprovalRequest, ApprovalStore, Decision};
use zenops_domain::assignment::{Assignment, AssignmentStore, AssignmentWrite, CodeSeries};
use zenops_domain::calendar::{CalendarStore, NewEvent};
use zenops_domain::document::{Document, DocumentId, DocumentStore, NewDocument, Review};
use zenops_domain::invoice::{
    Adjustment, Claim, Invoice, InvoiceId, InvoiceStore, NewAdjustment, NewPayment, Payment,
};
use zenops_domain::leave::{LeaveId, LeaveRequest, LeaveStatus, LeaveStore, NewLeave};
use zenops_domain::message::{Message, MessageStore};
use zenops_domain::task::{Task, TaskFields, TaskStore};
use zenops_domain::user::{PasswordHash, SessionsAfter, User, UserId, UserProfile, UserStore};
use zenops_domain::work::{Transaction, UnitOfWork};

use crate::error::unexpected;
use crate::{
    Database, activities, approvals, assignments, calendar, documents, invoices, leave, messages,
    tasks, users,
};

pub struct SeaUnitOfWork {
    db: Database,
}

impl SeaUnitOfWork {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UnitOfWork for SeaUnitOfWork {
    async fn begin(&self) -> DomainResult<Box<dyn Transaction>> {
        let (txn, turn) = self.db.begin_write().await.map_err(unexpected)?;
        Ok(Box::new(SeaTransaction { txn, _turn: turn }))
    }
}

pub struct SeaTransaction {
    txn: DatabaseTransaction,
    /// This process's turn to write, given back when the transaction ends.
    _turn: crate::db::WriteTurn,
}

#[async_trait]
impl Transaction for SeaTransaction {
    fn assignments(&mut self) -> &mut dyn AssignmentStore {
        self
    }

    fn tasks(&mut self) -> &mut dyn TaskStore {
        self
    }

    fn messages(&mut self) -> &mut dyn MessageStore {
        self
    }

    fn approvals(&mut self) -> &mut dyn ApprovalStore {
        self
    }

    fn users(&mut self) -> &mut dyn UserStore {
        self
    }

    fn invoices(&mut self) -> &mut dyn InvoiceStore {
        self
    }

    fn leave(&mut self) -> &mut dyn LeaveStore {
        self
    }

    fn calendar(&mut self) -> &mut dyn CalendarStore {
        self
    }

    fn documents(&mut self) -> &mut dyn DocumentStore {
        self
    }

    async fn record(&mut self, entries: &[ActivityDraft], at: OffsetDateTime) -> DomainResult<()> {
        activities::record_all(&self.txn, entries, at)
            .await
            .map_err(unexpected)
    }

    async fn commit(self: Box<Self>) -> DomainResult<()> {
        self.txn.commit().await.map_err(unexpected)
    }
}

#[async_trait]
impl AssignmentStore for SeaTransaction {
    async fn create(
        &mut self,
        series: &CodeSeries,
        created_by: UserId,
        write: &AssignmentWrite,
        at: OffsetDateTime,
    ) -> DomainResult<Assignment> {
        assignments::create_in(&self.txn, series, created_by, write, at).await
    }

    async fn update(
        &mut self,
        id: i64,
        version: i64,
        write: &AssignmentWrite,
        at: OffsetDateTime,
    ) -> DomainResult<Assignment> {
        assignments::update_in(&self.txn, id, version, write, at).await
    }

    async fn set_due_at(
        &mut self,
        id: i64,
        version: i64,
        due_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> DomainResult<bool> {
        assignments::set_due_at_in(&self.txn, id, version, due_at, at).await
    }

    async fn set_paid(&mut self, id: i64, paid: bool, at: OffsetDateTime) -> DomainResult<()> {
        invoices::set_assignment_paid_in(&self.txn, id, paid, at).await
    }

    async fn delete(
        &mut self,
        id: i64,
        version: i64,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<()> {
        assignments::delete_in(&self.txn, id, version, by, at).await
    }
}

#[async_trait]
impl TaskStore for SeaTransaction {
    async fn create(
        &mut self,
        assignment_id: i64,
        created_by: UserId,
        fields: &TaskFields,
        at: OffsetDateTime,
    ) -> DomainResult<Task> {
        tasks::create_in(&self.txn, assignment_id, created_by, fields, at).await
    }

    async fn update(
        &mut self,
        task_id: i64,
        fields: &TaskFields,
        at: OffsetDateTime,
    ) -> DomainResult<Task> {
        tasks::update_in(&self.txn, task_id, fields, at).await
    }

    async fn delete(&mut self, task_id: i64) -> DomainResult<()> {
        tasks::delete_in(&self.txn, task_id).await
    }

    async fn claim_template_run(
        &mut self,
        assignment_id: i64,
        template_id: i64,
        key: &str,
        at: OffsetDateTime,
    ) -> DomainResult<bool> {
        crate::task_templates::claim_run_in(&self.txn, assignment_id, template_id, key, at).await
    }

    async fn open_of_type(
        &mut self,
        assignment_id: i64,
        template_type: &str,
    ) -> DomainResult<Option<Task>> {
        tasks::open_of_type_in(&self.txn, assignment_id, template_type).await
    }
}

#[async_trait]
impl MessageStore for SeaTransaction {
    async fn create(
        &mut self,
        assignment_id: i64,
        sender: UserId,
        text: &str,
        mentions: &[UserId],
        pinned: bool,
        at: OffsetDateTime,
    ) -> DomainResult<Message> {
        messages::create_in(&self.txn, assignment_id, sender, text, mentions, pinned, at).await
    }

    async fn set_pinned(
        &mut self,
        message_id: i64,
        pinned: bool,
        at: OffsetDateTime,
    ) -> DomainResult<Message> {
        messages::set_pinned_in(&self.txn, message_id, pinned, at).await
    }

    async fn delete(&mut self, message_id: i64) -> DomainResult<()> {
        messages::delete_in(&self.txn, message_id).await
    }
}

#[async_trait]
impl ApprovalStore for SeaTransaction {
    async fn insert(
        &mut self,
        request: &ApprovalRequest,
        at: OffsetDateTime,
    ) -> DomainResult<Approval> {
        approvals::insert_in(&self.txn, request, at).await
    }

    async fn decide(&mut self, decision: &Decision) -> DomainResult<Approval> {
        approvals::decide_in(&self.txn, decision).await
    }

    async fn cancel_pending_of_assignment(
        &mut self,
        assignment_id: i64,
        why: &str,
        at: OffsetDateTime,
    ) -> DomainResult<u64> {
        approvals::cancel_pending_in(&self.txn, assignment_id, why, at).await
    }
}

#[async_trait]
impl UserStore for SeaTransaction {
    async fn update(
        &mut self,
        id: UserId,
        read_at: OffsetDateTime,
        profile: &UserProfile,
        hash: Option<&PasswordHash>,
        keep_an_active_admin: bool,
        sessions: &SessionsAfter,
        at: OffsetDateTime,
    ) -> DomainResult<User> {
        let write = users::UserWrite {
            profile,
            hash,
            keep_an_active_admin,
            sessions,
        };
        users::update_in(&self.txn, id, read_at, &write, at).await
    }

    async fn require_new_password(
        &mut self,
        id: UserId,
        read_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> DomainResult<User> {
        users::require_new_password_in(&self.txn, id, read_at, at).await
    }
}

#[async_trait]
impl InvoiceStore for SeaTransaction {
    async fn insert(&mut self, invoice: &Invoice, at: OffsetDateTime) -> DomainResult<Invoice> {
        invoices::insert_in(&self.txn, invoice, at).await
    }

    async fn save(&mut self, invoice: &Invoice, at: OffsetDateTime) -> DomainResult<Invoice> {
        invoices::save_in(&self.txn, invoice, at).await
    }

    async fn add_payment(
        &mut self,
        invoice: InvoiceId,
        payment: &NewPayment,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<Payment> {
        invoices::add_payment_in(&self.txn, invoice, payment, by, at).await
    }

    async fn add_adjustment(
        &mut self,
        invoice: InvoiceId,
        adjustment: &NewAdjustment,
        year: i32,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<Adjustment> {
        invoices::add_adjustment_in(&self.txn, invoice, adjustment, year, by, at).await
    }

    async fn audit(
        &mut self,
        invoice: InvoiceId,
        event_type: &str,
        actor: UserId,
        diff: &[(&'static str, zenops_domain::activity::PayloadValue)],
        at: OffsetDateTime,
    ) -> DomainResult<()> {
        let diff_json = activities::payload_json(diff);
        invoices::audit_in(&self.txn, invoice, event_type, actor, &diff_json, at).await
    }

    async fn claim_key(
        &mut self,
        key: &str,
        scope: &str,
        user: UserId,
        fingerprint: &str,
        at: OffsetDateTime,
    ) -> DomainResult<Claim> {
        invoices::claim_key_in(&self.txn, key, scope, user, fingerprint, at).await
    }

    async fn complete_key(
        &mut self,
        key: &str,
        scope: &str,
        user: UserId,
        response: &str,
    ) -> DomainResult<()> {
        invoices::complete_key_in(&self.txn, key, scope, user, response).await
    }

    async fn count_events_by(
        &mut self,
        event_type: &str,
        user: UserId,
        since: OffsetDateTime,
    ) -> DomainResult<u64> {
        invoices::count_events_in(&self.txn, event_type, user, since).await
    }

    async fn last_event(
        &mut self,
        invoice: InvoiceId,
        event_type: &str,
    ) -> DomainResult<Option<OffsetDateTime>> {
        invoices::last_event_in(&self.txn, invoice, event_type).await
    }
}

#[async_trait]
impl LeaveStore for SeaTransaction {
    async fn lock_requester(&mut self, user: UserId, _at: OffsetDateTime) -> DomainResult<()> {
        leave::lock_requester_in(&self.txn, user).await
    }

    async fn holding(
        &mut self,
        user: UserId,
        from: Date,
        to: Date,
    ) -> DomainResult<Vec<LeaveRequest>> {
        leave::holding_in(&self.txn, user, from, to).await
    }

    async fn insert(&mut self, new: &NewLeave, at: OffsetDateTime) -> DomainResult<LeaveRequest> {
        leave::insert_in(&self.txn, new, at).await
    }

    async fn transition(&mut self, next: &LeaveRequest, from: LeaveStatus) -> DomainResult<()> {
        leave::transition_in(&self.txn, next, from).await
    }
}

#[async_trait]
impl CalendarStore for SeaTransaction {
    async fn insert(
        &mut self,
        event: &NewEvent,
        created_by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<i64> {
        calendar::insert_in(&self.txn, event, created_by, at).await
    }

    async fn update(&mut self, id: i64, event: &NewEvent, at: OffsetDateTime) -> DomainResult<()> {
        calendar::update_in(&self.txn, id, event, at).await
    }

    async fn delete(&mut self, id: i64) -> DomainResult<()> {
        calendar::delete_in(&self.txn, id).await
    }

    async fn delete_for_leave(&mut self, leave: LeaveId) -> DomainResult<()> {
        calendar::delete_for_leave_in(&self.txn, leave).await
    }
}

#[async_trait]
impl DocumentStore for SeaTransaction {
    async fn next_version(
        &mut self,
        assignment_id: i64,
        category: Option<&str>,
        _at: OffsetDateTime,
    ) -> DomainResult<u32> {
        documents::next_version_in(&self.txn, assignment_id, category).await
    }

    async fn insert(
        &mut self,
        new: &NewDocument,
        version: u32,
        at: OffsetDateTime,
    ) -> DomainResult<Document> {
        documents::insert_in(&self.txn, new, version, at).await
    }

    async fn set_final(
        &mut self,
        document: &Document,
        is_final: bool,
        at: OffsetDateTime,
    ) -> DomainResult<()> {
        documents::set_final_in(&self.txn, document, is_final, at).await
    }

    async fn review(&mut self, id: DocumentId, review: &Review) -> DomainResult<()> {
        documents::review_in(&self.txn, id, review).await
    }

    async fn insert_attachment(
        &mut self,
        new: &zenops_domain::document::attachments::NewAttachment,
        at: OffsetDateTime,
    ) -> DomainResult<zenops_domain::document::attachments::Attachment> {
        documents::insert_attachment_in(&self.txn, new, at).await
    }

    async fn delete_attachment(
        &mut self,
        id: i64,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<()> {
        documents::delete_attachment_in(&self.txn, id, by, at).await
    }

    async fn delete(&mut self, id: DocumentId, by: UserId, at: OffsetDateTime) -> DomainResult<()> {
        documents::delete_in(&self.txn, id, by, at).await
    }
}
