//! The unit of work: one transaction that a use case opens and every store it writes
//! through takes part in, so a change to several aggregates (an approval and the
//! assignment it deletes; later a payment, its invoice and the assignment) commits or
//! vanishes as one.
//!
//! A service reads and checks through its repositories first, then opens a
//! [`Transaction`], writes each [`Change`] with [`write`] (the change and its trail entries
//! together) and commits. Dropping a transaction without committing rolls it back.
//! Nothing is read from the pool while a transaction is open: on SQLite a read first would
//! make the transaction's later write fail against a concurrent writer, and on either
//! database a pool read inside a transaction could wait for a connection that the waiting
//! transactions hold.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::activity::{ActivityDraft, PayloadValue};
use crate::approval::{ApprovalId, ApprovalStore};
use crate::assignment::AssignmentStore;
use crate::calendar::CalendarStore;
use crate::document::DocumentStore;
use crate::error::DomainResult;
use crate::invoice::InvoiceStore;
use crate::leave::LeaveStore;
use crate::message::MessageStore;
use crate::task::TaskStore;
use crate::user::UserStore;

/// Opens transactions.
#[async_trait]
pub trait UnitOfWork: Send + Sync {
    async fn begin(&self) -> DomainResult<Box<dyn Transaction>>;
}

/// An open transaction and the stores that write inside it.
#[async_trait]
pub trait Transaction: Send {
    fn assignments(&mut self) -> &mut dyn AssignmentStore;
    fn tasks(&mut self) -> &mut dyn TaskStore;
    fn messages(&mut self) -> &mut dyn MessageStore;
    fn approvals(&mut self) -> &mut dyn ApprovalStore;
    fn users(&mut self) -> &mut dyn UserStore;
    fn invoices(&mut self) -> &mut dyn InvoiceStore;
    fn leave(&mut self) -> &mut dyn LeaveStore;
    fn calendar(&mut self) -> &mut dyn CalendarStore;
    fn documents(&mut self) -> &mut dyn DocumentStore;
    /// Appends entries to the activity trail, stamped `at`.
    async fn record(&mut self, entries: &[ActivityDraft], at: OffsetDateTime) -> DomainResult<()>;
    /// Makes every write of the transaction durable and visible at once.
    async fn commit(self: Box<Self>) -> DomainResult<()>;
}

/// A checked change to one aggregate, ready to be written. Services build changes from
/// what they read and the rules they apply; [`write`] stores one with its trail.
#[async_trait]
pub trait Change: Send + Sync {
    type Output: Send;
    /// Writes the change inside `tx` and says what the trail records about it (entries
    /// may need the ids the write produced).
    async fn apply(
        &self,
        tx: &mut dyn Transaction,
    ) -> DomainResult<(Self::Output, Vec<ActivityDraft>)>;
    /// When the change happens.
    fn at(&self) -> OffsetDateTime;
}

/// Why a change is being made, beyond who asked: recorded on its trail entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// Someone made the change directly.
    #[default]
    Direct,
    /// An approval's decision made it.
    Approval(ApprovalId),
}

/// Writes the change and its trail entries inside `tx`: the one way a change and the
/// record of it reach the database together.
pub async fn write<C: Change + ?Sized>(
    tx: &mut dyn Transaction,
    change: &C,
    cause: Cause,
) -> DomainResult<C::Output> {
    let (output, mut entries) = change.apply(tx).await?;
    if let Cause::Approval(id) = cause {
        for entry in &mut entries {
            entry.payload.push(("approval_id", PayloadValue::Int(id.0)));
        }
    }
    tx.record(&entries, change.at()).await?;
    Ok(output)
}

/// Opens a transaction, writes one change with its trail, and commits.
pub async fn commit<C: Change + ?Sized>(
    work: &dyn UnitOfWork,
    change: &C,
) -> DomainResult<C::Output> {
    let mut tx = work.begin().await?;
    let output = write(&mut *tx, change, Cause::Direct).await?;
    tx.commit().await?;
    Ok(output)
}
