//! What invoicing reads and writes, as ports: the company profile, invoices with their
//! payments, adjustments and audit trail, and the ledger's query.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use super::arithmetic::Rate;
use super::model::{AdjustmentType, Invoice, InvoiceId, InvoiceStatus, PaymentMode};
use crate::activity::PayloadValue;
use crate::error::DomainResult;
use crate::money::Money;
use crate::page::{Page, Paged};
use crate::user::UserId;

/// The firm as its invoices name it: one per installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyProfile {
    pub legal_name: String,
    pub tagline: Option<String>,
    pub address: Option<String>,
    pub state_name: Option<String>,
    pub state_code: Option<String>,
    pub gstin: Option<String>,
    pub pan: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub website: Option<String>,
    pub default_gst_rate: Rate,
    pub updated_at: Option<OffsetDateTime>,
}

impl Default for CompanyProfile {
    /// What a firm that has not filled in its profile gets: no names, the default rate.
    fn default() -> Self {
        Self {
            legal_name: String::new(),
            tagline: None,
            address: None,
            state_name: None,
            state_code: None,
            gstin: None,
            pan: None,
            contact_email: None,
            contact_phone: None,
            website: None,
            default_gst_rate: Rate::default_gst(),
            updated_at: None,
        }
    }
}

impl CompanyProfile {
    /// Whether a place of supply is the firm's own state, by name or code, ignoring case:
    /// then GST splits into CGST and SGST.
    pub fn is_home_state(&self, place: &str) -> bool {
        let place = place.trim();
        !place.is_empty()
            && [&self.state_name, &self.state_code]
                .into_iter()
                .flatten()
                .any(|own| own.trim().eq_ignore_ascii_case(place))
    }
}

#[async_trait]
pub trait CompanyProfileRepository: Send + Sync {
    /// The profile, if one was ever saved.
    async fn get(&self) -> DomainResult<Option<CompanyProfile>>;
    async fn save(
        &self,
        profile: &CompanyProfile,
        at: OffsetDateTime,
    ) -> DomainResult<CompanyProfile>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub amount: Money,
    pub mode: PaymentMode,
    pub paid_at: OffsetDateTime,
    pub reference_no: Option<String>,
    pub notes: Option<String>,
    pub created_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub amount: Money,
    pub mode: PaymentMode,
    pub paid_at: OffsetDateTime,
    pub reference_no: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub id: i64,
    pub amount: Money,
    pub kind: AdjustmentType,
    pub reason: Option<String>,
    pub issued_at: OffsetDateTime,
    /// `CN/{YYYY}/{NNNN}` for credit notes.
    pub credit_note_number: Option<String>,
    pub created_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdjustment {
    pub amount: Money,
    pub kind: AdjustmentType,
    pub reason: Option<String>,
    pub issued_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub event_type: String,
    pub actor: Option<UserId>,
    pub diff_json: String,
    pub created_at: OffsetDateTime,
}

/// An invoice with what the drawer shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceDetail {
    pub invoice: Invoice,
    pub assignment_code: String,
    pub bank_name: Option<String>,
    pub branch_name: Option<String>,
    pub payments: Vec<Payment>,
    pub adjustments: Vec<Adjustment>,
    pub audit: Vec<AuditEntry>,
}

/// An invoice as a ledger row.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    pub invoice: Invoice,
    pub assignment_code: String,
    pub bank_name: Option<String>,
    pub branch_name: Option<String>,
    pub last_payment: Option<(OffsetDateTime, Money)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LedgerSort {
    #[default]
    DueDate,
    IssuedDate,
    InvoiceNumber,
    Total,
    Due,
    Status,
    CreatedAt,
}

impl std::str::FromStr for LedgerSort {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "due_date" => Self::DueDate,
            "issued_date" | "issued_at" => Self::IssuedDate,
            "invoice_number" => Self::InvoiceNumber,
            "total_amount" | "grand_total" => Self::Total,
            "amount_due" => Self::Due,
            "status" => Self::Status,
            "created_at" => Self::CreatedAt,
            other => return Err(format!("cannot sort by '{other}'")),
        })
    }
}

/// The ledger's filters; every one is applied in the database.
#[derive(Debug, Clone, Default)]
pub struct LedgerQuery {
    pub status: Option<InvoiceStatus>,
    /// Case-insensitive text in the number, the assignment code or the party's name.
    pub search: Option<String>,
    pub issued_from: Option<Date>,
    pub issued_to: Option<Date>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub amount_min: Option<Money>,
    pub amount_max: Option<Money>,
    /// Something is still due (voids and drafts excluded).
    pub unpaid: bool,
    /// Due before this day with something still due.
    pub overdue_before: Option<Date>,
    pub sort: LedgerSort,
    pub descending: bool,
}

/// What outstanding balances are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Bank,
    Client,
}

impl std::str::FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bank" => Ok(Self::Bank),
            "client" => Ok(Self::Client),
            other => Err(format!("cannot group by '{other}' (bank or client)")),
        }
    }
}

/// What one bank or client owes: over issued invoices with something still due (ISSUED,
/// SENT, PARTIALLY_PAID). `id` and `name` are `None` for invoices without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutstandingRow {
    pub id: Option<i64>,
    pub name: Option<String>,
    pub invoices: u64,
    pub billed: Money,
    pub paid: Money,
    pub credited: Money,
    pub outstanding: Money,
    pub oldest_due_date: Option<Date>,
}

/// Which invoices a caller may see: those of the assignments they may see.
pub type InvoiceScope = crate::assignment::AssignmentScope;

#[async_trait]
pub trait InvoiceRepository: Send + Sync {
    async fn get(&self, id: InvoiceId) -> DomainResult<InvoiceDetail>;
    async fn list(
        &self,
        query: &LedgerQuery,
        scope: InvoiceScope,
        page: Page,
    ) -> DomainResult<Paged<LedgerRow>>;
    /// The assignment's invoices, newest first.
    async fn of_assignment(&self, assignment_id: i64) -> DomainResult<Vec<Invoice>>;
    /// Issued invoices with something still due, in scope.
    async fn awaiting_payment(&self, scope: InvoiceScope) -> DomainResult<u64>;
    /// Issued invoices with something still due, per assignment, for those of
    /// `assignments` that have any.
    async fn awaiting_by_assignment(&self, assignments: &[i64]) -> DomainResult<Vec<(i64, u64)>>;
    /// Outstanding balances per bank or client, in scope, the largest first.
    async fn outstanding(
        &self,
        group: GroupBy,
        scope: InvoiceScope,
    ) -> DomainResult<Vec<OutstandingRow>>;
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: go ahead, then record the answer with it.
    Claimed,
    /// The same request was answered before under this key: this was the answer.
    Replay(String),
    /// The key was used for a different request.
    Mismatch,
}

/// Invoice writes inside a [`crate::work::Transaction`]. Each write of the invoice itself
/// stores its computed amounts and derived status beside it.
#[async_trait]
pub trait InvoiceStore: Send {
    /// Stores a new draft; `Conflict("live_invoice_exists")` if the assignment already has
    /// an invoice that is not void.
    async fn insert(&mut self, invoice: &Invoice, at: OffsetDateTime) -> DomainResult<Invoice>;
    /// Writes the invoice as it now is, if it is still at the version it was read at
    /// (`Conflict("stale")` otherwise).
    async fn save(&mut self, invoice: &Invoice, at: OffsetDateTime) -> DomainResult<Invoice>;
    async fn add_payment(
        &mut self,
        invoice: InvoiceId,
        payment: &NewPayment,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<Payment>;
    /// Credit notes draw the next number of `year`'s series, gap-free.
    async fn add_adjustment(
        &mut self,
        invoice: InvoiceId,
        adjustment: &NewAdjustment,
        year: i32,
        by: UserId,
        at: OffsetDateTime,
    ) -> DomainResult<Adjustment>;
    /// Appends to the invoice's audit trail; `diff` is what changed, stored as a JSON
    /// object.
    async fn audit(
        &mut self,
        invoice: InvoiceId,
        event_type: &str,
        actor: UserId,
        diff: &[(&'static str, PayloadValue)],
        at: OffsetDateTime,
    ) -> DomainResult<()>;
    /// Claims `key` for `user`'s request `fingerprint` in `scope`, as the transaction's
    /// first write: a concurrent claim of the same key waits for this one to commit.
    async fn claim_key(
        &mut self,
        key: &str,
        scope: &str,
        user: UserId,
        fingerprint: &str,
        at: OffsetDateTime,
    ) -> DomainResult<Claim>;
    /// Records the answer given under a claimed key.
    async fn complete_key(
        &mut self,
        key: &str,
        scope: &str,
        user: UserId,
        response: &str,
    ) -> DomainResult<()>;
    /// Audit entries of `event_type` written by `user` since `since`.
    async fn count_events_by(
        &mut self,
        event_type: &str,
        user: UserId,
        since: OffsetDateTime,
    ) -> DomainResult<u64>;
    /// When the invoice last had an audit entry of `event_type`.
    async fn last_event(
        &mut self,
        invoice: InvoiceId,
        event_type: &str,
    ) -> DomainResult<Option<OffsetDateTime>>;
}

/// Lays an invoice's printed copy out as a file (a PDF).
pub trait InvoiceRenderer: Send + Sync {
    fn render(&self, document: &super::document::InvoiceDocument) -> DomainResult<Vec<u8>>;
}
