//! Invoicing use cases: drafts, issue, send, payments, credits, void and mark-paid, each
//! checked by the aggregate and written with its audit entry, its trail entry and the
//! assignment's paid flag in one transaction.

use std::sync::Arc;

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use super::arithmetic::{Priced, Quantity, Rate, split};
use super::document::{DocumentLine, InvoiceDocument, rupees_in_words, tax_label};
use super::model::*;
use super::ports::*;
use crate::access::{Actor, Capability};
use crate::activity::{ActivityDraft, PayloadValue};
use crate::assignment::{Assignment, AssignmentScope, AssignmentService, Visible, sees_money};
use crate::clock::Clock;
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::master::{
    Banks, Branches, CompanyAccountFields, CompanyAccounts, MasterFilter, MasterRepository, Record,
};
use crate::money::Money;
use crate::page::{Page, Paged};
use crate::text::{self, limits};
use crate::work::{self, Change, Transaction, UnitOfWork};

/// How often reminders may go out: per sender, and per invoice.
pub mod reminders {
    use time::Duration;

    /// A sender sends at most this many reminders in [`WINDOW`].
    pub const PER_SENDER: u64 = 10;
    pub const WINDOW: Duration = Duration::minutes(10);
    /// One reminder per invoice in this long.
    pub const COOLDOWN: Duration = Duration::hours(24);
    /// The idempotency scope of reminders.
    pub const SCOPE: &str = "invoice_remind";
    pub const EVENT: &str = "reminder_sent";
}

/// At most this many lines on one invoice.
pub const MAX_LINES: usize = 100;
pub const LEDGER_DEFAULT: u64 = 25;
pub const LEDGER_CAP: u64 = 200;

/// A line as received.
#[derive(Debug, Clone, Default)]
pub struct LineDraft {
    pub description: String,
    pub quantity: Option<String>,
    pub unit_price: String,
    pub tax_rate: Option<String>,
    pub order_index: Option<i32>,
}

/// A create or edit as received: `None` keeps a field (or takes its default on create);
/// for nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct InvoiceDraft {
    pub assignment_id: Option<i64>,
    pub issued_date: Option<Date>,
    pub due_date: Option<Option<Date>>,
    pub tax_rate: Option<String>,
    pub discount_amount: Option<String>,
    pub company_account_id: Option<Option<i64>>,
    pub bill_to_name: Option<Option<String>>,
    pub bill_to_address: Option<Option<String>>,
    pub bill_to_gstin: Option<Option<String>>,
    pub place_of_supply: Option<Option<String>>,
    pub terms: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub items: Option<Vec<LineDraft>>,
}

/// Picks the account payments go to (v1 §6.13): the one named (which must be active),
/// else an active one at the assignment's bank (primary first, then the lowest id), else
/// the active primary, else any active one.
pub fn select_account(
    accounts: &[Record<CompanyAccountFields>],
    named: Option<i64>,
    bank_id: Option<i64>,
) -> DomainResult<Option<i64>> {
    if let Some(id) = named {
        return match accounts.iter().find(|a| a.id == id) {
            Some(a) if a.fields.is_active => Ok(Some(id)),
            _ => Err(DomainError::invalid(
                "company_account_id",
                "no active company account has this id",
            )),
        };
    }
    let mut active: Vec<&Record<CompanyAccountFields>> =
        accounts.iter().filter(|a| a.fields.is_active).collect();
    active.sort_by_key(|a| (!a.fields.is_primary, a.id));
    let at_bank = bank_id.and_then(|bank| active.iter().find(|a| a.fields.bank_id == Some(bank)));
    Ok(at_bank
        .or_else(|| active.iter().find(|a| a.fields.is_primary))
        .or_else(|| active.first())
        .map(|a| a.id))
}

/// One write of an invoice: the invoice as it now is, what is added with it, and how it
/// is recorded.
struct InvoiceWrite {
    after: Invoice,
    new: bool,
    assignment_code: String,
    payment: Option<NewPayment>,
    adjustment: Option<NewAdjustment>,
    year: i32,
    event: &'static str,
    kind: &'static str,
    message: String,
    by: crate::user::UserId,
    at: OffsetDateTime,
}

#[async_trait]
impl Change for InvoiceWrite {
    type Output = Invoice;

    async fn apply(&self, tx: &mut dyn Transaction) -> DomainResult<(Invoice, Vec<ActivityDraft>)> {
        let store = tx.invoices();
        let mut detail: Vec<(&'static str, PayloadValue)> = Vec::new();
        let invoice = if self.new {
            store.insert(&self.after, self.at).await?
        } else {
            if let Some(p) = &self.payment {
                let paid = store
                    .add_payment(self.after.id(), p, self.by, self.at)
                    .await?;
                detail = vec![
                    ("amount", paid.amount.to_string().into()),
                    ("mode", paid.mode.to_string().into()),
                ];
            }
            if let Some(a) = &self.adjustment {
                let added = store
                    .add_adjustment(self.after.id(), a, self.year, self.by, self.at)
                    .await?;
                detail = vec![
                    ("amount", added.amount.to_string().into()),
                    ("adjustment_type", added.kind.to_string().into()),
                    (
                        "credit_note_number",
                        added.credit_note_number.clone().into(),
                    ),
                ];
            }
            store.save(&self.after, self.at).await?
        };
        let status = invoice.status()?;
        if detail.is_empty() {
            detail = vec![("status", status.to_string().into())];
        }
        tx.invoices()
            .audit(invoice.id(), self.event, self.by, &detail, self.at)
            .await?;
        // The assignment is paid exactly when its live invoice is.
        let r = invoice.record();
        tx.assignments()
            .set_paid(r.assignment_id, status == InvoiceStatus::Paid, self.at)
            .await?;
        let entry = ActivityDraft {
            kind: self.kind,
            actor: Some(self.by),
            assignment_id: Some(r.assignment_id),
            message: self.message.clone(),
            payload: Vec::new(),
        }
        .with("invoice_id", r.id.0)
        .with("invoice_number", r.number.clone())
        .with("status", status.as_str())
        .with("assignment_code", self.assignment_code.as_str());
        Ok((invoice, vec![entry]))
    }

    fn at(&self) -> OffsetDateTime {
        self.at
    }
}

#[derive(Clone)]
pub struct InvoiceService {
    repo: Arc<dyn InvoiceRepository>,
    work: Arc<dyn UnitOfWork>,
    assignments: AssignmentService,
    profile: Arc<dyn CompanyProfileRepository>,
    accounts: Arc<dyn MasterRepository<CompanyAccounts>>,
    branches: Arc<dyn MasterRepository<Branches>>,
    banks: Arc<dyn MasterRepository<Banks>>,
    clock: Arc<dyn Clock>,
    number_prefix: String,
}

fn require_money_view(actor: &Actor) -> DomainResult<()> {
    if sees_money(actor) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "Invoices need the view_invoices or modify_money capability".into(),
        ))
    }
}

fn scope(actor: &Actor) -> InvoiceScope {
    if actor.can(Capability::ViewAllAssignments) {
        AssignmentScope::Everything
    } else {
        AssignmentScope::Involving(actor.user_id)
    }
}

impl InvoiceService {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        repo: Arc<dyn InvoiceRepository>,
        work: Arc<dyn UnitOfWork>,
        assignments: AssignmentService,
        profile: Arc<dyn CompanyProfileRepository>,
        accounts: Arc<dyn MasterRepository<CompanyAccounts>>,
        branches: Arc<dyn MasterRepository<Branches>>,
        banks: Arc<dyn MasterRepository<Banks>>,
        clock: Arc<dyn Clock>,
        number_prefix: String,
    ) -> Self {
        Self {
            repo,
            work,
            assignments,
            profile,
            accounts,
            branches,
            banks,
            clock,
            number_prefix,
        }
    }

    // ----- the company profile -----

    /// The profile, or the defaults if none was saved (nothing is written).
    pub async fn company_profile(&self) -> DomainResult<CompanyProfile> {
        Ok(self.profile.get().await?.unwrap_or_default())
    }

    pub async fn update_company_profile(
        &self,
        actor: &Actor,
        changes: CompanyProfileChanges,
    ) -> DomainResult<CompanyProfile> {
        actor.require(Capability::ManageCompanyAccounts)?;
        let mut p = self.company_profile().await?;
        let mut e = FieldErrors::new();
        if let Some(name) = changes.legal_name {
            match text::parse(&name, limits::NAME) {
                Ok(name) if name.is_empty() => e.add("legal_name", "must not be empty"),
                Ok(name) => p.legal_name = name,
                Err(m) => e.add("legal_name", m),
            }
        }
        let mut field =
            |value: Option<Option<String>>, name: &str, max: usize, slot: &mut Option<String>| {
                if let Some(v) = value {
                    *slot = text::optional_field(v, name, max, &mut e);
                }
            };
        field(changes.tagline, "tagline", limits::NAME, &mut p.tagline);
        field(changes.address, "address", limits::ADDRESS, &mut p.address);
        field(
            changes.state_name,
            "state_name",
            limits::SHORT,
            &mut p.state_name,
        );
        field(
            changes.state_code,
            "state_code",
            limits::CODE,
            &mut p.state_code,
        );
        field(changes.gstin, "gstin", limits::CODE, &mut p.gstin);
        field(changes.pan, "pan", limits::CODE, &mut p.pan);
        field(
            changes.contact_email,
            "contact_email",
            limits::NAME,
            &mut p.contact_email,
        );
        field(
            changes.contact_phone,
            "contact_phone",
            limits::CODE,
            &mut p.contact_phone,
        );
        field(changes.website, "website", limits::NAME, &mut p.website);
        if let Some(rate) = changes.default_gst_rate
            && let Some(rate) = e.check("default_gst_rate", Rate::parse(&rate))
        {
            p.default_gst_rate = rate;
        }
        if p.legal_name.is_empty() {
            e.add("legal_name", "is required");
        }
        e.into_result()?;
        self.profile.save(&p, self.clock.now()).await
    }

    // ----- reading -----

    /// The ledger: invoices of work the caller may see (money roles only).
    pub async fn ledger(
        &self,
        actor: &Actor,
        query: &LedgerQuery,
        page: Page,
    ) -> DomainResult<Paged<LedgerRow>> {
        require_money_view(actor)?;
        self.repo.list(query, scope(actor), page).await
    }

    pub async fn get(&self, actor: &Actor, id: InvoiceId) -> DomainResult<InvoiceDetail> {
        require_money_view(actor)?;
        let detail = self.repo.get(id).await?;
        // Row access follows the assignment: outside it, the invoice does not exist.
        self.assignments
            .load(actor, detail.invoice.record().assignment_id)
            .await
            .map_err(|_| DomainError::NotFound("Invoice"))?;
        Ok(detail)
    }

    /// The invoices of an assignment already shown to be visible.
    pub async fn of_visible(&self, seen: Visible<'_>) -> DomainResult<Vec<Invoice>> {
        self.repo.of_assignment(seen.id()).await
    }

    /// The invoices of an assignment the actor may see (amounts are for the caller to
    /// hide from those who may not see money).
    pub async fn of_assignment(
        &self,
        actor: &Actor,
        assignment: i64,
    ) -> DomainResult<Vec<Invoice>> {
        let view = self.assignments.get(actor, assignment).await?;
        self.of_visible(view.visible()).await
    }

    /// Issued invoices with something due, in the caller's scope; none for those who may
    /// not see money.
    pub async fn awaiting_payment(&self, actor: &Actor) -> DomainResult<u64> {
        if !sees_money(actor) {
            return Ok(0);
        }
        self.repo.awaiting_payment(scope(actor)).await
    }

    /// Invoices awaiting payment per assignment, for rows the caller already sees; `None`
    /// for those who may not see money.
    pub async fn awaiting_by_assignment(
        &self,
        actor: &Actor,
        assignments: &[i64],
    ) -> DomainResult<Option<std::collections::HashMap<i64, u64>>> {
        if !sees_money(actor) {
            return Ok(None);
        }
        if assignments.is_empty() {
            return Ok(Some(std::collections::HashMap::new()));
        }
        Ok(Some(
            self.repo
                .awaiting_by_assignment(assignments)
                .await?
                .into_iter()
                .collect(),
        ))
    }

    /// What each bank or client owes, over the work the caller may see.
    pub async fn outstanding(
        &self,
        actor: &Actor,
        group: GroupBy,
    ) -> DomainResult<Vec<OutstandingRow>> {
        require_money_view(actor)?;
        self.repo.outstanding(group, scope(actor)).await
    }

    /// The follow-ups that overdue invoices call for (`modify_invoice`): one per issued
    /// invoice of the caller's scope with something due and a due date at least
    /// `overdue_days` (1 to 365) ago.
    pub async fn follow_ups(
        &self,
        actor: &Actor,
        overdue_days: i64,
    ) -> DomainResult<Vec<crate::task::FollowUp>> {
        actor.require(Capability::ModifyInvoice)?;
        if !(1..=365).contains(&overdue_days) {
            return Err(DomainError::invalid(
                "overdue_days",
                "must be between 1 and 365",
            ));
        }
        let today = self.assignments.zone().local_date(self.clock.now());
        let query = LedgerQuery {
            overdue_before: Some(today - time::Duration::days(overdue_days - 1)),
            ..LedgerQuery::default()
        };
        let rows = self
            .repo
            .list(&query, scope(actor), Page::first(LEDGER_CAP))
            .await?;
        let mut out = Vec::with_capacity(rows.items.len());
        for row in rows.items {
            let r = row.invoice.record();
            let (Some(number), Some(due_date)) = (r.number.clone(), r.due_date) else {
                continue;
            };
            let late = (today - due_date).whole_days();
            out.push(crate::task::FollowUp {
                invoice_id: r.id.0,
                invoice_number: number.clone(),
                days_late: late,
                due_date,
                assignment_id: r.assignment_id,
                title: format!("Follow up: {number} overdue"),
                description: format!(
                    "Invoice {number} was due on {due_date} and is {late} days overdue."
                ),
            });
        }
        Ok(out)
    }

    /// The company account an invoice names, if it still exists.
    pub async fn company_account(
        &self,
        id: Option<i64>,
    ) -> DomainResult<Option<Record<CompanyAccountFields>>> {
        match id {
            None => Ok(None),
            Some(id) => match self.accounts.get(id).await {
                Ok(account) => Ok(Some(account)),
                Err(DomainError::NotFound(_)) => Ok(None),
                Err(other) => Err(other),
            },
        }
    }

    // ----- the printed copy -----

    /// What the invoice's printed copy says: the firm, the party, the lines, the totals
    /// with the GST split, the amount in words, where to pay and the bank's notes. Only an
    /// issued invoice has one; making it changes nothing.
    pub async fn document(&self, actor: &Actor, id: InvoiceId) -> DomainResult<InvoiceDocument> {
        let detail = self.get(actor, id).await?;
        let invoice = &detail.invoice;
        let r = invoice.record();
        let Some(number) = r.number.clone() else {
            return Err(DomainError::conflict(
                "invalid_invoice_state",
                "A DRAFT invoice has no printed copy: issue it first",
            ));
        };
        let profile = self.company_profile().await?;
        let totals = invoice.totals()?;
        let balance = invoice.balance()?;
        let day = |d: Date| {
            let format = time::macros::format_description!("[day]-[month]-[year]");
            d.format(&format).unwrap_or_default()
        };
        let some = |label: &str, v: &Option<String>| v.as_ref().map(|v| format!("{label}{v}"));
        let mut firm = vec![profile.legal_name.clone()];
        firm.extend(profile.tagline.clone());
        firm.extend(profile.address.clone());
        firm.extend(some("GSTIN: ", &profile.gstin));
        firm.extend(some("PAN: ", &profile.pan));
        let contact: Vec<String> = [
            &profile.contact_email,
            &profile.contact_phone,
            &profile.website,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        if !contact.is_empty() {
            firm.push(contact.join("  |  "));
        }
        let mut reference = vec![
            format!("Invoice No: {number}"),
            format!("Date: {}", day(r.issued_date)),
        ];
        reference.extend(r.due_date.map(|d| format!("Due: {}", day(d))));
        reference.push(format!("Assignment: {}", detail.assignment_code));
        let mut bill_to = Vec::new();
        bill_to.extend(r.bill_to_name.clone());
        bill_to.extend(r.bill_to_address.clone());
        bill_to.extend(some("GSTIN: ", &r.bill_to_gstin));
        bill_to.extend(some("Place of supply: ", &r.place_of_supply));
        let lines = r
            .lines
            .iter()
            .zip(&totals.line_totals)
            .map(|(l, t)| DocumentLine {
                description: l.description.clone(),
                quantity: l.priced.quantity.to_string(),
                unit_price: l.priced.unit_price.to_string(),
                rate: l.priced.tax_rate.map(|r| format!("{r}%")),
                amount: t.to_string(),
            })
            .collect();
        let own_rates = r.lines.iter().any(|l| l.priced.tax_rate.is_some());
        let rate = (!own_rates).then_some(r.tax_rate);
        let half =
            rate.and_then(|rate| Rate::new(rate.to_decimal() / rust_decimal::Decimal::TWO).ok());
        let mut sums = vec![("Subtotal".to_owned(), totals.subtotal.to_string())];
        if totals.discount > Money::ZERO {
            sums.push(("Discount".to_owned(), format!("-{}", totals.discount)));
        }
        sums.push(("Taxable value".to_owned(), totals.taxable.to_string()));
        match r.split {
            Some(s) if s.igst > Money::ZERO || (s.cgst == Money::ZERO && s.sgst == Money::ZERO) => {
                sums.push((tax_label("IGST", rate), s.igst.to_string()));
            }
            Some(s) => {
                sums.push((tax_label("CGST", half), s.cgst.to_string()));
                sums.push((tax_label("SGST", half), s.sgst.to_string()));
            }
            None => sums.push((tax_label("GST", rate), totals.tax.to_string())),
        }
        sums.push(("Total".to_owned(), totals.total.to_string()));
        if balance.paid > Money::ZERO {
            sums.push(("Paid".to_owned(), balance.paid.to_string()));
        }
        if balance.credited > Money::ZERO {
            sums.push(("Credited".to_owned(), balance.credited.to_string()));
        }
        sums.push(("Amount due".to_owned(), balance.due.to_string()));
        let mut payment = Vec::new();
        if let Some(account) = r.company_account_id
            && let Ok(a) = self.accounts.get(account).await
        {
            let f = a.fields;
            payment.push(format!("Account name: {}", f.account_name));
            payment.push(format!("Account no: {}", f.account_number));
            payment.extend(some("IFSC: ", &f.ifsc_code));
            let bank = match &f.branch_name {
                Some(branch) => format!("Bank: {}, {branch}", f.bank_name),
                None => format!("Bank: {}", f.bank_name),
            };
            payment.push(bank);
            payment.extend(some("UPI: ", &f.upi_id));
        }
        if let Some(bank) = r.bank_id
            && let Ok(b) = self.banks.get(bank).await
        {
            payment.extend(b.fields.invoice_notes);
        }
        let mut notes = Vec::new();
        notes.extend(r.terms.clone());
        notes.extend(r.notes.clone());
        Ok(InvoiceDocument {
            firm,
            title: "TAX INVOICE".to_owned(),
            reference,
            bill_to,
            lines,
            totals: sums,
            amount_in_words: rupees_in_words(totals.total),
            payment,
            notes,
        })
    }

    // ----- reminders -----

    /// Reminds the client of what is due (`modify_money`). At most
    /// [`reminders::PER_SENDER`] per sender in [`reminders::WINDOW`] and one per invoice in
    /// [`reminders::COOLDOWN`] (429 otherwise). With an idempotency key, a retry of the
    /// same request gets the first answer again, and the key used for another request is
    /// 409. Returns the message told to the caller.
    pub async fn remind(
        &self,
        actor: &Actor,
        id: InvoiceId,
        key: Option<&str>,
    ) -> DomainResult<String> {
        actor.require(Capability::ModifyMoney)?;
        let detail = self.get(actor, id).await?;
        let key = key
            .map(|k| {
                let k = k.trim();
                if k.is_empty() || k.len() > 128 || !k.chars().all(|c| c.is_ascii_graphic()) {
                    Err(DomainError::invalid(
                        "Idempotency-Key",
                        "must be 1 to 128 visible ASCII characters",
                    ))
                } else {
                    Ok(k.to_owned())
                }
            })
            .transpose()?;
        let now = self.clock.now();
        let fingerprint = format!("invoice:{}", id.0);
        let mut tx = self.work.begin().await?;
        if let Some(key) = &key {
            match tx
                .invoices()
                .claim_key(key, reminders::SCOPE, actor.user_id, &fingerprint, now)
                .await?
            {
                Claim::Claimed => {}
                Claim::Replay(answer) => return Ok(answer),
                Claim::Mismatch => {
                    return Err(DomainError::conflict(
                        "idempotency_key_reused",
                        "This Idempotency-Key was used for another request",
                    ));
                }
            }
        }
        let status = detail.invoice.status()?;
        if !status.awaits_payment() {
            return Err(DomainError::conflict(
                "invalid_invoice_state",
                format!("A {status} invoice needs no reminder"),
            ));
        }
        let store = tx.invoices();
        let sent = store
            .count_events_by(reminders::EVENT, actor.user_id, now - reminders::WINDOW)
            .await?;
        if sent >= reminders::PER_SENDER {
            return Err(DomainError::Throttled {
                retry_after_secs: reminders::WINDOW.whole_seconds().unsigned_abs(),
            });
        }
        if let Some(last) = store.last_event(id, reminders::EVENT).await?
            && last > now - reminders::COOLDOWN
        {
            let wait = (last + reminders::COOLDOWN - now).whole_seconds().max(1);
            return Err(DomainError::Throttled {
                retry_after_secs: wait.unsigned_abs(),
            });
        }
        let number = detail.invoice.record().number.clone().unwrap_or_default();
        let due = detail.invoice.balance()?.due;
        let diff = [("amount_due", PayloadValue::from(due.to_string()))];
        store
            .audit(id, reminders::EVENT, actor.user_id, &diff, now)
            .await?;
        let answer = format!("Reminder sent for {number}");
        if let Some(key) = &key {
            tx.invoices()
                .complete_key(key, reminders::SCOPE, actor.user_id, &answer)
                .await?;
        }
        let entry = ActivityDraft::new("INVOICE_REMINDER_SENT", actor, answer.clone())
            .on(detail.invoice.record().assignment_id)
            .with("invoice_id", id.0)
            .with("invoice_number", number.as_str());
        tx.record(&[entry], now).await?;
        tx.commit().await?;
        Ok(answer)
    }

    // ----- writing -----

    pub async fn create(&self, actor: &Actor, draft: InvoiceDraft) -> DomainResult<Invoice> {
        actor.require(Capability::CreateInvoice)?;
        let Some(assignment_id) = draft.assignment_id else {
            return Err(DomainError::invalid("assignment_id", "is required"));
        };
        let assignment = self.assignments.load(actor, assignment_id).await?;
        if self
            .repo
            .of_assignment(assignment.id)
            .await?
            .iter()
            .any(Invoice::is_live)
        {
            return Err(live_invoice_exists());
        }
        let now = self.clock.now();
        let profile = self.company_profile().await?;
        let f = &assignment.fields;
        let mut record = InvoiceRecord {
            id: InvoiceId(0),
            assignment_id: assignment.id,
            assignment_code: assignment.code.clone(),
            number: None,
            stage: Stage::Draft,
            issued_date: self.assignments.zone().local_date(now),
            due_date: None,
            tax_rate: profile.default_gst_rate,
            discount: Money::ZERO,
            lines: Vec::new(),
            split: None,
            paid: Money::ZERO,
            credited: Money::ZERO,
            bill_to_name: f
                .borrower_name
                .clone()
                .or_else(|| f.valuer_client_name.clone())
                .or_else(|| f.bank_name.clone()),
            bill_to_address: f.address.clone(),
            bill_to_gstin: None,
            place_of_supply: None,
            terms: None,
            notes: None,
            company_account_id: None,
            bank_id: f.bank_id,
            branch_id: f.branch_id,
            client_id: f.client_id,
            issued_at: None,
            sent_at: None,
            paid_at: None,
            voided_at: None,
            void_reason: None,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let named_account = draft.company_account_id.flatten();
        self.merge(&mut record, draft)?;
        if record.lines.is_empty() {
            record.lines = fee_line(&assignment);
        }
        record.company_account_id = select_account(
            &self
                .accounts
                .list(MasterFilter::default(), Page::first(1000))
                .await?
                .items,
            named_account,
            f.bank_id,
        )?;
        let invoice = Invoice::restore(record);
        invoice.totals()?;
        let write = InvoiceWrite {
            after: invoice,
            new: true,
            assignment_code: assignment.code.clone(),
            payment: None,
            adjustment: None,
            year: 0,
            event: "created",
            kind: "INVOICE_CREATED",
            message: format!("Invoice drafted for {}", assignment.code),
            by: actor.user_id,
            at: now,
        };
        work::commit(self.work.as_ref(), &write).await
    }

    /// Changes a draft.
    pub async fn update(
        &self,
        actor: &Actor,
        id: InvoiceId,
        draft: InvoiceDraft,
    ) -> DomainResult<Invoice> {
        actor.require(Capability::ModifyInvoice)?;
        let detail = self.get(actor, id).await?;
        detail.invoice.check_editable()?;
        if draft
            .assignment_id
            .is_some_and(|a| a != detail.invoice.record().assignment_id)
        {
            return Err(DomainError::invalid(
                "assignment_id",
                "an invoice stays with its assignment",
            ));
        }
        let mut record = detail.invoice.record().clone();
        let named_account = draft.company_account_id;
        self.merge(&mut record, draft)?;
        if let Some(named) = named_account {
            record.company_account_id = match named {
                None => None,
                Some(id) => select_account(
                    &self
                        .accounts
                        .list(MasterFilter::default(), Page::first(1000))
                        .await?
                        .items,
                    Some(id),
                    None,
                )?,
            };
        }
        let after = Invoice::restore(record);
        after.totals()?;
        self.write(
            actor,
            &detail,
            after,
            "edited",
            "INVOICE_UPDATED",
            "Invoice draft changed",
            None,
            None,
        )
        .await
    }

    /// Numbers the draft from its assignment's code and takes the GST split.
    pub async fn issue(&self, actor: &Actor, id: InvoiceId) -> DomainResult<Invoice> {
        actor.require(Capability::CreateInvoice)?;
        let detail = self.get(actor, id).await?;
        detail.invoice.check_issuable()?;
        let now = self.clock.now();
        let mut record = detail.invoice.record().clone();
        let profile = self.company_profile().await?;
        let place = match record.place_of_supply.clone() {
            Some(place) => Some(place),
            None => match record.branch_id {
                Some(branch) => self
                    .branches
                    .get(branch)
                    .await
                    .ok()
                    .and_then(|b| b.fields.state),
                None => None,
            },
        };
        let within = place.as_deref().is_some_and(|p| profile.is_home_state(p));
        let tax = detail.invoice.totals()?.tax;
        record.split = Some(split(tax, within).map_err(DomainError::unexpected)?);
        record.number = Some(invoice_number(
            &detail.assignment_code,
            &self.number_prefix,
        )?);
        record.stage = Stage::Issued { sent: false };
        record.issued_at = Some(now);
        record.issued_date = self.assignments.zone().local_date(now);
        let message = format!(
            "Invoice {} issued",
            record.number.as_deref().unwrap_or_default()
        );
        self.write(
            actor,
            &detail,
            Invoice::restore(record),
            "issued",
            "INVOICE_ISSUED",
            &message,
            None,
            None,
        )
        .await
    }

    pub async fn send(&self, actor: &Actor, id: InvoiceId) -> DomainResult<Invoice> {
        actor.require(Capability::CreateInvoice)?;
        let detail = self.get(actor, id).await?;
        detail.invoice.check_sendable()?;
        let mut record = detail.invoice.record().clone();
        record.stage = Stage::Issued { sent: true };
        record.sent_at = Some(self.clock.now());
        self.write(
            actor,
            &detail,
            Invoice::restore(record),
            "sent",
            "INVOICE_SENT",
            "Invoice sent",
            None,
            None,
        )
        .await
    }

    pub async fn void(&self, actor: &Actor, id: InvoiceId, reason: &str) -> DomainResult<Invoice> {
        actor.require(Capability::ModifyInvoice)?;
        let detail = self.get(actor, id).await?;
        detail.invoice.check_voidable()?;
        let reason =
            text::parse(reason, limits::LONG).map_err(|m| DomainError::invalid("reason", m))?;
        if reason.chars().count() < 3 {
            return Err(DomainError::invalid(
                "reason",
                "must be at least 3 characters",
            ));
        }
        let mut record = detail.invoice.record().clone();
        record.stage = Stage::Void;
        record.voided_at = Some(self.clock.now());
        record.void_reason = Some(reason);
        self.write(
            actor,
            &detail,
            Invoice::restore(record),
            "voided",
            "INVOICE_VOIDED",
            "Invoice voided",
            None,
            None,
        )
        .await
    }

    pub async fn add_payment(
        &self,
        actor: &Actor,
        id: InvoiceId,
        payment: NewPayment,
    ) -> DomainResult<Invoice> {
        actor.require(Capability::ModifyMoney)?;
        let detail = self.get(actor, id).await?;
        self.record_payment(
            actor,
            &detail,
            payment,
            "payment_recorded",
            "INVOICE_PAYMENT_RECORDED",
        )
        .await
    }

    /// A money role settles what is still due with one payment.
    pub async fn mark_paid(&self, actor: &Actor, id: InvoiceId) -> DomainResult<Invoice> {
        actor.require(Capability::ModifyMoney)?;
        let detail = self.get(actor, id).await?;
        let change = self.plan_settle(actor, &detail)?;
        work::commit(self.work.as_ref(), &change).await
    }

    fn plan_settle(&self, actor: &Actor, detail: &InvoiceDetail) -> DomainResult<InvoiceWrite> {
        detail.invoice.check_settleable()?;
        let due = detail.invoice.balance()?.due;
        let payment = NewPayment {
            amount: due,
            mode: PaymentMode::Manual,
            paid_at: self.clock.now(),
            reference_no: None,
            notes: Some("Marked paid".into()),
        };
        self.plan_payment(
            actor,
            detail,
            payment,
            "payment_recorded",
            "INVOICE_MARKED_PAID",
        )
    }

    async fn record_payment(
        &self,
        actor: &Actor,
        detail: &InvoiceDetail,
        payment: NewPayment,
        event: &'static str,
        kind: &'static str,
    ) -> DomainResult<Invoice> {
        let change = self.plan_payment(actor, detail, payment, event, kind)?;
        work::commit(self.work.as_ref(), &change).await
    }

    fn plan_payment(
        &self,
        actor: &Actor,
        detail: &InvoiceDetail,
        payment: NewPayment,
        event: &'static str,
        kind: &'static str,
    ) -> DomainResult<InvoiceWrite> {
        detail.invoice.check_payment(payment.amount)?;
        let mut record = detail.invoice.record().clone();
        record.paid = Money::from_paise(record.paid.paise() + payment.amount.paise());
        let after = Invoice::restore(record.clone());
        if after.status()? == InvoiceStatus::Paid {
            record.paid_at = Some(payment.paid_at);
        }
        // Amounts stay out of the trail's text: it is read by people who may not see money.
        let message = "Payment recorded".to_owned();
        Ok(self.plan(
            actor,
            detail,
            Invoice::restore(record),
            event,
            kind,
            message,
            Some(payment),
            None,
        ))
    }

    pub async fn add_adjustment(
        &self,
        actor: &Actor,
        id: InvoiceId,
        adjustment: NewAdjustment,
    ) -> DomainResult<Invoice> {
        actor.require(Capability::ModifyInvoice)?;
        let detail = self.get(actor, id).await?;
        detail.invoice.check_adjustment(adjustment.amount)?;
        let mut record = detail.invoice.record().clone();
        record.credited = Money::from_paise(record.credited.paise() + adjustment.amount.paise());
        let message = format!("{} added", adjustment.kind);
        self.write(
            actor,
            &detail,
            Invoice::restore(record),
            "adjustment_added",
            "INVOICE_ADJUSTMENT_ADDED",
            &message,
            None,
            Some(adjustment),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        actor: &Actor,
        detail: &InvoiceDetail,
        after: Invoice,
        event: &'static str,
        kind: &'static str,
        message: &str,
        payment: Option<NewPayment>,
        adjustment: Option<NewAdjustment>,
    ) -> DomainResult<Invoice> {
        let change = self.plan(
            actor,
            detail,
            after,
            event,
            kind,
            message.to_owned(),
            payment,
            adjustment,
        );
        work::commit(self.work.as_ref(), &change).await
    }

    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        actor: &Actor,
        detail: &InvoiceDetail,
        after: Invoice,
        event: &'static str,
        kind: &'static str,
        message: String,
        payment: Option<NewPayment>,
        adjustment: Option<NewAdjustment>,
    ) -> InvoiceWrite {
        let at = self.clock.now();
        InvoiceWrite {
            after,
            new: false,
            assignment_code: detail.assignment_code.clone(),
            payment,
            adjustment,
            year: self.assignments.zone().local_date(at).year(),
            event,
            kind,
            message,
            by: actor.user_id,
            at,
        }
    }

    /// Applies a draft's fields to a record, checking each.
    fn merge(&self, r: &mut InvoiceRecord, d: InvoiceDraft) -> DomainResult<()> {
        let mut e = FieldErrors::new();
        if let Some(date) = d.issued_date {
            r.issued_date = date;
        }
        if let Some(due) = d.due_date {
            r.due_date = due;
        }
        if let (Some(due), issued) = (r.due_date, r.issued_date)
            && due < issued
        {
            e.add("due_date", "must not be before the issue date");
        }
        // A blank rate (an empty form field) keeps the current one.
        if let Some(rate) = d.tax_rate.filter(|r| !r.trim().is_empty())
            && let Some(rate) = e.check("tax_rate", Rate::parse(&rate))
        {
            r.tax_rate = rate;
        }
        if let Some(discount) = d.discount_amount {
            match discount.trim() {
                "" => r.discount = Money::ZERO,
                raw => {
                    if let Some(amount) = e.check("discount_amount", raw.parse::<Money>()) {
                        r.discount = amount;
                    }
                }
            }
        }
        let mut text_field =
            |value: Option<Option<String>>, name: &str, max: usize, slot: &mut Option<String>| {
                if let Some(v) = value {
                    *slot = text::optional_field(v, name, max, &mut e);
                }
            };
        text_field(
            d.bill_to_name,
            "bill_to_name",
            limits::NAME,
            &mut r.bill_to_name,
        );
        text_field(
            d.bill_to_address,
            "bill_to_address",
            limits::ADDRESS,
            &mut r.bill_to_address,
        );
        text_field(
            d.bill_to_gstin,
            "bill_to_gstin",
            limits::CODE,
            &mut r.bill_to_gstin,
        );
        text_field(
            d.place_of_supply,
            "place_of_supply",
            limits::SHORT,
            &mut r.place_of_supply,
        );
        text_field(d.terms, "terms", limits::LONG, &mut r.terms);
        text_field(d.notes, "notes", limits::LONG, &mut r.notes);
        if let Some(items) = d.items {
            if items.len() > MAX_LINES {
                e.add("items", format!("at most {MAX_LINES} lines"));
            } else {
                let mut lines = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let at = |f: &str| format!("items[{i}].{f}");
                    let description = match text::parse(&item.description, limits::NAME) {
                        Ok(d) if d.is_empty() => {
                            e.add(&at("description"), "must not be empty");
                            None
                        }
                        Ok(d) => Some(d),
                        Err(m) => {
                            e.add(&at("description"), m);
                            None
                        }
                    };
                    let quantity = match item.quantity.as_deref().map(str::trim) {
                        None | Some("") => Some(Quantity::ONE),
                        Some(q) => e.check(&at("quantity"), Quantity::parse(q)),
                    };
                    let unit_price = e.check(
                        &at("unit_price"),
                        item.unit_price.parse::<Money>().and_then(|m| {
                            if m < Money::ZERO {
                                Err("must not be negative".to_owned())
                            } else {
                                Ok(m)
                            }
                        }),
                    );
                    let tax_rate = match item.tax_rate.as_deref().map(str::trim) {
                        None | Some("") => Some(None),
                        Some(rate) => e.check(&at("tax_rate"), Rate::parse(rate)).map(Some),
                    };
                    if let (Some(description), Some(quantity), Some(unit_price), Some(tax_rate)) =
                        (description, quantity, unit_price, tax_rate)
                    {
                        lines.push(Line {
                            description,
                            priced: Priced {
                                quantity,
                                unit_price,
                                tax_rate,
                            },
                            order_index: item
                                .order_index
                                .unwrap_or(i32::try_from(i).unwrap_or(i32::MAX)),
                        });
                    }
                }
                lines.sort_by_key(|l| l.order_index);
                r.lines = lines;
            }
        }
        e.into_result()?;
        let priced: Vec<Priced> = r.lines.iter().map(|l| l.priced).collect();
        super::arithmetic::compute(&priced, r.tax_rate, r.discount)
            .map_err(|m| DomainError::invalid("discount_amount", m))?;
        Ok(())
    }
}

/// The refusal of a second live invoice for an assignment (the service checks first; the
/// store reports the same when the database's unique index catches a concurrent one).
pub fn live_invoice_exists() -> DomainError {
    DomainError::conflict(
        "live_invoice_exists",
        "This assignment already has an invoice; void it before making another",
    )
}

/// The line an invoice starts with when none is given: the assignment's fee.
fn fee_line(assignment: &Assignment) -> Vec<Line> {
    match assignment.fields.fees {
        Some(fees) if fees > Money::ZERO => vec![Line {
            description: format!("Valuation Fees ({})", assignment.code),
            priced: Priced {
                quantity: Quantity::ONE,
                unit_price: fees,
                tax_rate: None,
            },
            order_index: 0,
        }],
        _ => Vec::new(),
    }
}

/// A change to the company profile as received.
#[derive(Debug, Clone, Default)]
pub struct CompanyProfileChanges {
    pub legal_name: Option<String>,
    pub tagline: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub state_name: Option<Option<String>>,
    pub state_code: Option<Option<String>>,
    pub gstin: Option<Option<String>>,
    pub pan: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub default_gst_rate: Option<String>,
}

/// The approval engine reaches invoices through this.
#[async_trait]
impl crate::approval::InvoiceLedger for InvoiceService {
    async fn assignment_of(&self, actor: &Actor, invoice_id: i64) -> DomainResult<i64> {
        let detail = self.repo.get(InvoiceId(invoice_id)).await?;
        let assignment = detail.invoice.record().assignment_id;
        self.assignments
            .load(actor, assignment)
            .await
            .map_err(|_| DomainError::NotFound("Invoice"))?;
        Ok(assignment)
    }

    async fn mark_paid(&self, actor: &Actor, invoice_id: i64) -> DomainResult<()> {
        InvoiceService::mark_paid(self, actor, InvoiceId(invoice_id))
            .await
            .map(drop)
    }

    async fn check_payable(&self, invoice_id: i64) -> DomainResult<()> {
        self.repo
            .get(InvoiceId(invoice_id))
            .await?
            .invoice
            .check_settleable()
    }

    async fn plan_mark_paid(
        &self,
        approver: &Actor,
        invoice_id: i64,
    ) -> DomainResult<Box<dyn Change<Output = ()>>> {
        approver.require(Capability::ModifyMoney)?;
        let detail = self.get(approver, InvoiceId(invoice_id)).await?;
        Ok(Box::new(Settle(self.plan_settle(approver, &detail)?)))
    }
}

/// Settling an invoice, as the approval engine writes it.
struct Settle(InvoiceWrite);

#[async_trait]
impl Change for Settle {
    type Output = ();

    async fn apply(&self, tx: &mut dyn Transaction) -> DomainResult<((), Vec<ActivityDraft>)> {
        let (_, entries) = self.0.apply(tx).await?;
        Ok(((), entries))
    }

    fn at(&self) -> OffsetDateTime {
        self.0.at
    }
}
