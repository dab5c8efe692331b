//! Invoices: the ledger, drafts, issue, send, void, payments, credits, mark-paid, and the
//! company profile they are billed under.

use actix_web::{HttpResponse, get, patch, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Deserializer, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::DomainError;
use zenops_domain::approval::MarkPaidOutcome;
use zenops_domain::invoice::{
    AdjustmentType, CompanyProfile, CompanyProfileChanges, Invoice, InvoiceDetail, InvoiceDraft,
    InvoiceId, LEDGER_CAP, LEDGER_DEFAULT, LedgerQuery, LedgerRow, LineDraft, NewAdjustment,
    NewPayment, PaymentMode,
};
use zenops_domain::money::Money;
use zenops_domain::page::Page;

use crate::dto::{IdPath, lenient_nullable_id, nullable, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors, WriteErrors};
use crate::routes::approvals::ApprovalRead;
use crate::routes::assignments::{DateOrTime, given, parse_enum, parse_param};
use crate::session::Authenticated;
use crate::state::AppState;

/// `YYYY-MM-DD`, also taken from the front of an RFC 3339 timestamp.
fn parse_day(raw: &str, name: &str) -> ApiResult<Date> {
    zenops_domain::instant::parse_day(raw)
        .map_err(|m| ApiError::from(DomainError::invalid(name, m)))
}

fn day_param(value: &Option<String>, name: &str) -> ApiResult<Option<Date>> {
    given(value).map(|v| parse_day(v, name)).transpose()
}

fn money_param(value: &Option<String>, name: &str) -> ApiResult<Option<Money>> {
    given(value)
        .map(|v| {
            v.parse::<Money>()
                .map_err(|m| DomainError::invalid(name, m).into())
        })
        .transpose()
}

/// An amount that may arrive as a JSON number or a string.
fn amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Amount {
        Number(serde_json::Number),
        Text(String),
    }
    Ok(Option::<Amount>::deserialize(d)?.map(|a| match a {
        Amount::Number(n) => n.to_string(),
        Amount::Text(t) => t,
    }))
}

fn day_string(day: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    day.format(&format).unwrap_or_default()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemRead {
    pub id: i64,
    pub description: String,
    #[schema(example = "1.00")]
    pub quantity: String,
    pub unit_price: String,
    pub tax_rate: Option<String>,
    pub line_total: String,
    pub order_index: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPreview {
    pub quantity: String,
    pub description: String,
    pub line_total: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaxBreakdownRead {
    pub taxable_value: String,
    pub cgst: String,
    pub sgst: String,
    pub igst: String,
    pub cess: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRead {
    pub id: i64,
    pub amount: String,
    pub mode: String,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub paid_at: OffsetDateTime,
    pub reference_no: Option<String>,
    pub notes: Option<String>,
    pub created_by_user_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentRead {
    pub id: i64,
    pub amount: String,
    pub adjustment_type: String,
    pub reason: Option<String>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    /// `CN/{YYYY}/{NNNN}` for credit notes.
    pub credit_note_number: Option<String>,
    pub created_by_user_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRead {
    pub id: i64,
    pub event_type: String,
    pub actor_user_id: Option<i64>,
    #[schema(value_type = Object)]
    pub diff: serde_json::Value,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// An invoice as the ledger lists it (money as strings with two decimals).
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceRead {
    pub id: i64,
    /// Null until issued; then the assignment's code with the invoice prefix.
    pub invoice_number: Option<String>,
    pub assignment_id: i64,
    pub assignment_code: String,
    /// DRAFT, ISSUED, SENT, PARTIALLY_PAID, PAID or VOID.
    pub status: String,
    /// The invoice date (YYYY-MM-DD).
    pub issued_date: String,
    /// The same date, under the ledger's name for it.
    pub issued_at: String,
    pub due_date: Option<String>,
    pub is_overdue: bool,
    pub party_name: Option<String>,
    pub bank_name: Option<String>,
    pub branch_name: Option<String>,
    pub currency: &'static str,
    pub tax_rate: String,
    pub subtotal: String,
    pub discount_amount: String,
    pub taxable_value: String,
    pub tax_total: String,
    pub tax_amount: String,
    pub grand_total: String,
    pub total_amount: String,
    pub amount_paid: String,
    pub amount_credited: String,
    pub amount_due: String,
    pub is_paid: bool,
    pub items_count: usize,
    pub item_preview: Vec<ItemPreview>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_payment_at: Option<OffsetDateTime>,
    pub last_payment_amount: Option<String>,
    pub company_account_id: Option<i64>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<OffsetDateTime>,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub voided_at: Option<OffsetDateTime>,
    pub void_reason: Option<String>,
    /// Always null: PDFs are made on request, nothing is stored.
    #[schema(value_type = Option<String>)]
    pub pdf_generated_at: Option<String>,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "timestamp")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl InvoiceRead {
    fn new(
        invoice: &Invoice,
        code: &str,
        bank: Option<String>,
        branch: Option<String>,
        last_payment: Option<(OffsetDateTime, Money)>,
        today: Date,
    ) -> ApiResult<Self> {
        let r = invoice.record();
        let totals = invoice.totals()?;
        let balance = invoice.balance()?;
        let status = invoice.status()?;
        let (payable, due) = (status.awaits_payment(), balance.due);
        Ok(Self {
            id: r.id.0,
            invoice_number: r.number.clone(),
            assignment_id: r.assignment_id,
            assignment_code: code.to_owned(),
            status: status.as_str().to_owned(),
            issued_date: day_string(r.issued_date),
            issued_at: day_string(r.issued_date),
            due_date: r.due_date.map(day_string),
            is_overdue: payable && r.due_date.is_some_and(|d| d < today),
            party_name: r.bill_to_name.clone(),
            bank_name: bank,
            branch_name: branch,
            currency: "INR",
            tax_rate: r.tax_rate.to_string(),
            subtotal: totals.subtotal.to_string(),
            discount_amount: totals.discount.to_string(),
            taxable_value: totals.taxable.to_string(),
            tax_total: totals.tax.to_string(),
            tax_amount: totals.tax.to_string(),
            grand_total: totals.total.to_string(),
            total_amount: totals.total.to_string(),
            amount_paid: balance.paid.to_string(),
            amount_credited: balance.credited.to_string(),
            amount_due: due.to_string(),
            is_paid: status == zenops_domain::invoice::InvoiceStatus::Paid,
            items_count: r.lines.len(),
            item_preview: r
                .lines
                .iter()
                .zip(&totals.line_totals)
                .take(3)
                .map(|(l, t)| ItemPreview {
                    quantity: l.priced.quantity.to_string(),
                    description: l.description.clone(),
                    line_total: t.to_string(),
                })
                .collect(),
            last_payment_at: last_payment.map(|p| p.0),
            last_payment_amount: last_payment.map(|p| p.1.to_string()),
            company_account_id: r.company_account_id,
            sent_at: r.sent_at,
            paid_at: r.paid_at,
            voided_at: r.voided_at,
            void_reason: r.void_reason.clone(),
            pdf_generated_at: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn row(row: LedgerRow, today: Date) -> ApiResult<Self> {
        Self::new(
            &row.invoice,
            &row.assignment_code,
            row.bank_name,
            row.branch_name,
            row.last_payment,
            today,
        )
    }
}

/// An invoice with everything the drawer shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDetailRead {
    #[serde(flatten)]
    pub invoice: InvoiceRead,
    pub bill_to_name: Option<String>,
    pub bill_to_address: Option<String>,
    pub bill_to_gstin: Option<String>,
    pub place_of_supply: Option<String>,
    pub terms: Option<String>,
    pub notes: Option<String>,
    /// Taken at issue; null for a draft.
    pub tax_breakdown: Option<TaxBreakdownRead>,
    pub items: Vec<ItemRead>,
    pub payments: Vec<PaymentRead>,
    pub adjustments: Vec<AdjustmentRead>,
    pub audit_trail: Vec<AuditRead>,
    pub attachments: Vec<crate::routes::attachments::AttachmentRead>,
}

impl InvoiceDetailRead {
    fn new(d: InvoiceDetail, today: Date) -> ApiResult<Self> {
        let last = d.payments.last().map(|p| (p.paid_at, p.amount));
        let invoice = InvoiceRead::new(
            &d.invoice,
            &d.assignment_code,
            d.bank_name.clone(),
            d.branch_name.clone(),
            last,
            today,
        )?;
        let r = d.invoice.record();
        let totals = d.invoice.totals()?;
        Ok(Self {
            bill_to_name: r.bill_to_name.clone(),
            bill_to_address: r.bill_to_address.clone(),
            bill_to_gstin: r.bill_to_gstin.clone(),
            place_of_supply: r.place_of_supply.clone(),
            terms: r.terms.clone(),
            notes: r.notes.clone(),
            tax_breakdown: r.split.map(|s| TaxBreakdownRead {
                taxable_value: totals.taxable.to_string(),
                cgst: s.cgst.to_string(),
                sgst: s.sgst.to_string(),
                igst: s.igst.to_string(),
                cess: Money::ZERO.to_string(),
            }),
            items: r
                .lines
                .iter()
                .zip(&totals.line_totals)
                .enumerate()
                .map(|(i, (l, t))| ItemRead {
                    id: i64::try_from(i).unwrap_or(0) + 1,
                    description: l.description.clone(),
                    quantity: l.priced.quantity.to_string(),
                    unit_price: l.priced.unit_price.to_string(),
                    tax_rate: l.priced.tax_rate.map(|r| r.to_string()),
                    line_total: t.to_string(),
                    order_index: l.order_index,
                })
                .collect(),
            payments: d
                .payments
                .iter()
                .map(|p| PaymentRead {
                    id: p.id,
                    amount: p.amount.to_string(),
                    mode: p.mode.as_str().to_owned(),
                    paid_at: p.paid_at,
                    reference_no: p.reference_no.clone(),
                    notes: p.notes.clone(),
                    created_by_user_id: p.created_by.0,
                })
                .collect(),
            adjustments: d
                .adjustments
                .iter()
                .map(|a| AdjustmentRead {
                    id: a.id,
                    amount: a.amount.to_string(),
                    adjustment_type: a.kind.as_str().to_owned(),
                    reason: a.reason.clone(),
                    issued_at: a.issued_at,
                    credit_note_number: a.credit_note_number.clone(),
                    created_by_user_id: a.created_by.0,
                })
                .collect(),
            audit_trail: d
                .audit
                .iter()
                .map(|a| AuditRead {
                    id: a.id,
                    event_type: a.event_type.clone(),
                    actor_user_id: a.actor.map(|u| u.0),
                    diff: serde_json::from_str(&a.diff_json).unwrap_or(serde_json::Value::Null),
                    created_at: a.created_at,
                })
                .collect(),
            attachments: Vec::new(),
            invoice,
        })
    }
}

/// The ledger's envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerRead {
    pub items: Vec<InvoiceRead>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
    pub has_more: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LedgerParams {
    /// 1-based (default 1).
    pub page: Option<String>,
    /// Default 25, at most 200.
    pub page_size: Option<String>,
    /// due_date (default), issued_date, invoice_number, total_amount, amount_due, status, created_at.
    pub sort_by: Option<String>,
    /// asc (default) or desc.
    pub sort_dir: Option<String>,
    pub status: Option<String>,
    /// Text in the number, the assignment code or the party's name.
    pub search: Option<String>,
    pub issued_from: Option<String>,
    pub issued_to: Option<String>,
    pub due_from: Option<String>,
    pub due_to: Option<String>,
    pub bank_id: Option<String>,
    pub branch_id: Option<String>,
    pub client_id: Option<String>,
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    /// Only issued invoices with something still due.
    pub unpaid: Option<String>,
    /// Only those past their due date with something still due.
    pub overdue: Option<String>,
    /// "Sync follow-ups" (`modify_invoice`): first give each invoice overdue by
    /// `overdue_days` or more a follow-up task, once.
    pub create_followups: Option<String>,
    /// 1 to 365 (default 7).
    pub overdue_days: Option<String>,
}

impl LedgerParams {
    fn query(&self, today: Date) -> ApiResult<(LedgerQuery, Page, u64, u64)> {
        let page = parse_param::<u64>(&self.page, "page")?.unwrap_or(1).max(1);
        let size = parse_param::<u64>(&self.page_size, "page_size")?
            .unwrap_or(LEDGER_DEFAULT)
            .clamp(1, LEDGER_CAP);
        let descending = match given(&self.sort_dir).map(str::to_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "sort_dir: '{other}' is not asc or desc"
                )));
            }
        };
        let id = |v: &Option<String>, name: &str| parse_param::<i64>(v, name);
        let query = LedgerQuery {
            status: parse_enum(&self.status, "status", str::parse)?,
            search: given(&self.search)
                .map(zenops_domain::text::parse_filter)
                .transpose()
                .map_err(|m| DomainError::invalid("search", m))?,
            issued_from: day_param(&self.issued_from, "issued_from")?,
            issued_to: day_param(&self.issued_to, "issued_to")?,
            due_from: day_param(&self.due_from, "due_from")?,
            due_to: day_param(&self.due_to, "due_to")?,
            bank_id: id(&self.bank_id, "bank_id")?,
            branch_id: id(&self.branch_id, "branch_id")?,
            client_id: id(&self.client_id, "client_id")?,
            amount_min: money_param(&self.amount_min, "amount_min")?,
            amount_max: money_param(&self.amount_max, "amount_max")?,
            unpaid: parse_param::<bool>(&self.unpaid, "unpaid")?.unwrap_or(false),
            overdue_before: parse_param::<bool>(&self.overdue, "overdue")?
                .unwrap_or(false)
                .then_some(today),
            sort: parse_enum(&self.sort_by, "sort_by", str::parse)?.unwrap_or_default(),
            descending,
        };
        let skip = (page - 1).saturating_mul(size);
        Ok((query, Page { skip, limit: size }, page, size))
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ItemInput {
    pub description: String,
    #[serde(default, deserialize_with = "amount")]
    #[schema(value_type = Option<String>, example = "1.00")]
    pub quantity: Option<String>,
    #[serde(default, deserialize_with = "amount")]
    #[schema(value_type = String, example = "4500.00")]
    pub unit_price: Option<String>,
    #[serde(default, deserialize_with = "amount")]
    #[schema(value_type = Option<String>, example = "18.00")]
    pub tax_rate: Option<String>,
    pub order_index: Option<i32>,
}

/// A new invoice, or changes to a draft (absent fields are kept).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct InvoiceInput {
    pub assignment_id: Option<i64>,
    #[schema(value_type = Option<String>, example = "2026-12-03")]
    pub issued_date: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, example = "2026-12-31")]
    pub due_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "amount")]
    #[schema(value_type = Option<String>, example = "18.00")]
    pub tax_rate: Option<String>,
    /// Before tax.
    #[serde(default, deserialize_with = "amount")]
    #[schema(value_type = Option<String>, example = "0.00")]
    pub discount_amount: Option<String>,
    /// A number or a numeric string; `""` or null for none.
    #[serde(default, deserialize_with = "lenient_nullable_id")]
    #[schema(value_type = Option<i64>)]
    pub company_account_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub bill_to_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub bill_to_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub bill_to_gstin: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub place_of_supply: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    pub items: Option<Vec<ItemInput>>,
}

impl InvoiceInput {
    fn into_draft(self) -> ApiResult<InvoiceDraft> {
        let day = |v: Option<String>, name: &str| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| parse_day(v, name))
                .transpose()
        };
        Ok(InvoiceDraft {
            assignment_id: self.assignment_id,
            issued_date: day(self.issued_date, "issued_date")?,
            due_date: match self.due_date {
                None => None,
                Some(v) => Some(day(v, "due_date")?),
            },
            tax_rate: self.tax_rate,
            discount_amount: self.discount_amount,
            company_account_id: self.company_account_id,
            bill_to_name: self.bill_to_name,
            bill_to_address: self.bill_to_address,
            bill_to_gstin: self.bill_to_gstin,
            place_of_supply: self.place_of_supply,
            terms: self.terms,
            notes: self.notes,
            items: self.items.map(|items| {
                items
                    .into_iter()
                    .map(|i| LineDraft {
                        description: i.description,
                        quantity: i.quantity,
                        unit_price: i.unit_price.unwrap_or_default(),
                        tax_rate: i.tax_rate,
                        order_index: i.order_index,
                    })
                    .collect()
            }),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PaymentInput {
    #[serde(deserialize_with = "amount")]
    #[schema(value_type = String, example = "1000.00")]
    pub amount: Option<String>,
    /// MANUAL (default), CASH, BANK_TRANSFER, UPI, CHEQUE, CARD or OTHER.
    pub mode: Option<String>,
    pub reference_no: Option<String>,
    pub notes: Option<String>,
    /// When it was paid (default: now): RFC 3339, or a date.
    pub paid_at: Option<DateOrTime>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AdjustmentInput {
    #[serde(deserialize_with = "amount")]
    #[schema(value_type = String, example = "500.00")]
    pub amount: Option<String>,
    /// CREDIT_NOTE (default), DISCOUNT, WRITE_OFF or OTHER.
    pub adjustment_type: Option<String>,
    pub reason: Option<String>,
    /// RFC 3339, or a date (default: now).
    pub issued_at: Option<DateOrTime>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VoidInput {
    /// Why (at least 3 characters).
    pub reason: String,
}

fn required_amount(raw: Option<String>) -> ApiResult<Money> {
    let raw = raw.ok_or_else(|| DomainError::invalid("amount", "is required"))?;
    raw.parse::<Money>()
        .map_err(|m| DomainError::invalid("amount", m).into())
}

fn optional_text(raw: Option<String>, name: &str, max: usize) -> ApiResult<Option<String>> {
    zenops_domain::text::parse_optional(raw.as_deref(), max)
        .map_err(|m| DomainError::invalid(name, m).into())
}

/// The company profile: legal name, GSTIN, PAN, address, state and the default GST rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompanyProfileRead {
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
    #[schema(example = "18.00")]
    pub default_gst_rate: String,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
}

impl From<CompanyProfile> for CompanyProfileRead {
    fn from(p: CompanyProfile) -> Self {
        Self {
            legal_name: p.legal_name,
            tagline: p.tagline,
            address: p.address,
            state_name: p.state_name,
            state_code: p.state_code,
            gstin: p.gstin,
            pan: p.pan,
            contact_email: p.contact_email,
            contact_phone: p.contact_phone,
            website: p.website,
            default_gst_rate: p.default_gst_rate.to_string(),
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CompanyProfileInput {
    pub legal_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub tagline: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub state_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub state_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub gstin: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub pan: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub contact_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub contact_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "amount")]
    #[schema(value_type = Option<String>, example = "18.00")]
    pub default_gst_rate: Option<String>,
}

fn today(state: &AppState) -> Date {
    state.assignments.zone().local_date(state.assignments.now())
}

async fn detail(
    state: &AppState,
    caller: &Authenticated,
    id: InvoiceId,
) -> ApiResult<InvoiceDetailRead> {
    let detail = state.invoices.get(&caller.actor, id).await?;
    let attachments = state.attachments.list(&caller.actor, id).await?;
    let mut read = InvoiceDetailRead::new(detail, today(state))?;
    read.attachments = attachments
        .iter()
        .map(crate::routes::attachments::AttachmentRead::from)
        .collect();
    Ok(read)
}

/// The ledger: invoices of the work the caller may see (`view_invoices` or
/// `modify_money`), filtered, sorted and paged in the database.
#[utoipa::path(tag = "invoices", params(LedgerParams), responses((status = 200, body = LedgerRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/invoices")]
async fn ledger(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<LedgerParams>,
) -> ApiResult<web::Json<LedgerRead>> {
    let today = today(&state);
    let (query, page, number, size) = params.query(today)?;
    if parse_param::<bool>(&params.create_followups, "create_followups")?.unwrap_or(false) {
        let days = parse_param::<i64>(&params.overdue_days, "overdue_days")?.unwrap_or(7);
        let follow_ups = state.invoices.follow_ups(&caller.actor, days).await?;
        state
            .tasks
            .ensure_follow_ups(&caller.actor, follow_ups)
            .await?;
    }
    let rows = state.invoices.ledger(&caller.actor, &query, page).await?;
    let total = rows.total;
    let items = rows
        .items
        .into_iter()
        .map(|row| InvoiceRead::row(row, today))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(LedgerRead {
        has_more: number.saturating_mul(size) < total,
        items,
        total,
        page: number,
        page_size: size,
    }))
}

/// What one bank or client owes.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutstandingRead {
    /// The bank's or client's id; null for invoices without one.
    pub id: Option<i64>,
    pub name: Option<String>,
    pub invoices: u64,
    pub billed: String,
    pub paid: String,
    pub credited: String,
    pub outstanding: String,
    pub oldest_due_date: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OutstandingParams {
    /// bank (default) or client.
    pub group_by: Option<String>,
}

/// Outstanding balances per bank or client over issued invoices with something due
/// (ISSUED, SENT, PARTIALLY_PAID), the largest first.
#[utoipa::path(tag = "invoices", params(OutstandingParams), responses((status = 200, body = Vec<OutstandingRead>), WriteErrors), security(("bearer" = [])))]
#[get("/api/invoices/outstanding")]
async fn outstanding(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<OutstandingParams>,
) -> ApiResult<web::Json<Vec<OutstandingRead>>> {
    let group = parse_enum(&params.group_by, "group_by", str::parse)?
        .unwrap_or(zenops_domain::invoice::GroupBy::Bank);
    let rows = state.invoices.outstanding(&caller.actor, group).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| OutstandingRead {
                id: r.id,
                name: r.name,
                invoices: r.invoices,
                billed: r.billed.to_string(),
                paid: r.paid.to_string(),
                credited: r.credited.to_string(),
                outstanding: r.outstanding.to_string(),
                oldest_due_date: r.oldest_due_date.map(day_string),
            })
            .collect(),
    ))
}

/// The ledger's columns in a CSV file.
const CSV_HEADER: [&str; 17] = [
    "invoice_number",
    "assignment_code",
    "status",
    "issued_date",
    "due_date",
    "party_name",
    "bank_name",
    "branch_name",
    "currency",
    "subtotal",
    "discount_amount",
    "taxable_value",
    "tax_total",
    "grand_total",
    "amount_paid",
    "amount_credited",
    "amount_due",
];

/// Rows of the ledger read per query while the file streams.
const CSV_BATCH: u64 = 500;

fn csv_rows(rows: Vec<LedgerRow>, today: Date, header: bool) -> ApiResult<web::Bytes> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fault = |e: csv::Error| ApiError::from(DomainError::unexpected(e));
    if header {
        out.write_record(CSV_HEADER).map_err(fault)?;
    }
    for row in rows {
        let r = InvoiceRead::row(row, today)?;
        out.write_record([
            r.invoice_number.unwrap_or_default(),
            r.assignment_code,
            r.status,
            r.issued_date,
            r.due_date.unwrap_or_default(),
            r.party_name.unwrap_or_default(),
            r.bank_name.unwrap_or_default(),
            r.branch_name.unwrap_or_default(),
            r.currency.to_owned(),
            r.subtotal,
            r.discount_amount,
            r.taxable_value,
            r.tax_total,
            r.grand_total,
            r.amount_paid,
            r.amount_credited,
            r.amount_due,
        ])
        .map_err(fault)?;
    }
    out.into_inner()
        .map(web::Bytes::from)
        .map_err(|e| ApiError::from(DomainError::unexpected(e.to_string())))
}

/// The ledger as CSV, with the same filters and sort, every matching row (not one page),
/// streamed as it is read.
#[utoipa::path(tag = "invoices", params(LedgerParams), responses((status = 200, content_type = "text/csv", body = String), WriteErrors), security(("bearer" = [])))]
#[get("/api/invoices/export.csv")]
async fn export_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<LedgerParams>,
) -> ApiResult<HttpResponse> {
    let today = today(&state);
    let (query, _, _, _) = params.query(today)?;
    let first = Page {
        skip: 0,
        limit: CSV_BATCH,
    };
    // The first batch is read before answering, so a refusal is a proper error status.
    let rows = state.invoices.ledger(&caller.actor, &query, first).await?;
    let more = rows.items.len() as u64 == CSV_BATCH;
    let head = csv_rows(rows.items, today, true)?;
    let actor = caller.actor.clone();
    let rest = futures_util::stream::unfold(
        (state, actor, query, CSV_BATCH, more),
        move |(state, actor, query, skip, more)| async move {
            if !more {
                return None;
            }
            let page = Page {
                skip,
                limit: CSV_BATCH,
            };
            let chunk = match state.invoices.ledger(&actor, &query, page).await {
                Ok(rows) => {
                    let more = rows.items.len() as u64 == CSV_BATCH;
                    let bytes = csv_rows(rows.items, today, false);
                    return Some((
                        bytes.map_err(actix_web::Error::from),
                        (state, actor, query, skip + CSV_BATCH, more),
                    ));
                }
                Err(err) => Err(actix_web::Error::from(ApiError::from(err))),
            };
            Some((chunk, (state, actor, query, skip, false)))
        },
    );
    let body =
        futures_util::stream::once(async move { Ok::<_, actix_web::Error>(head) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"invoices.csv\"",
        ))
        .streaming(body))
}

/// Draft an invoice for an assignment (`create_invoice`). Without lines it bills the
/// assignment's fee; the rate defaults to the company profile's. One live invoice per
/// assignment: a second is 409 `live_invoice_exists`.
#[utoipa::path(tag = "invoices", request_body = InvoiceInput, responses((status = 201, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/invoices")]
async fn create_invoice(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<InvoiceInput>,
) -> ApiResult<HttpResponse> {
    let draft = body.into_inner().into_draft()?;
    let invoice = state.invoices.create(&caller.actor, draft).await?;
    Ok(HttpResponse::Created().json(detail(&state, &caller, invoice.id()).await?))
}

/// One invoice with its lines, tax breakdown, payments, credits and audit trail.
#[utoipa::path(tag = "invoices", params(IdPath), responses((status = 200, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/invoices/{id}")]
async fn get_invoice(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<InvoiceDetailRead>> {
    Ok(web::Json(
        detail(&state, &caller, InvoiceId(path.id)).await?,
    ))
}

/// Change a draft (`modify_invoice`); anything but a draft is 409.
#[utoipa::path(tag = "invoices", params(IdPath), request_body = InvoiceInput, responses((status = 200, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[patch("/api/invoices/{id}")]
async fn update_invoice(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<InvoiceInput>,
) -> ApiResult<web::Json<InvoiceDetailRead>> {
    let draft = body.into_inner().into_draft()?;
    let id = InvoiceId(path.id);
    state.invoices.update(&caller.actor, id, draft).await?;
    Ok(web::Json(detail(&state, &caller, id).await?))
}

/// Issue a draft: it is numbered from its assignment's code and its GST split is taken.
#[utoipa::path(tag = "invoices", params(IdPath), responses((status = 200, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/invoices/{id}/issue")]
async fn issue_invoice(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<InvoiceDetailRead>> {
    let id = InvoiceId(path.id);
    state.invoices.issue(&caller.actor, id).await?;
    Ok(web::Json(detail(&state, &caller, id).await?))
}

/// Mark an issued invoice as sent to the client.
#[utoipa::path(tag = "invoices", params(IdPath), responses((status = 200, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/invoices/{id}/send")]
async fn send_invoice(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<InvoiceDetailRead>> {
    let id = InvoiceId(path.id);
    state.invoices.send(&caller.actor, id).await?;
    Ok(web::Json(detail(&state, &caller, id).await?))
}

/// Void an invoice with nothing paid or credited against it (`modify_invoice`).
#[utoipa::path(tag = "invoices", params(IdPath), request_body = VoidInput, responses((status = 200, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/invoices/{id}/void")]
async fn void_invoice(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<VoidInput>,
) -> ApiResult<web::Json<InvoiceDetailRead>> {
    let id = InvoiceId(path.id);
    state.invoices.void(&caller.actor, id, &body.reason).await?;
    Ok(web::Json(detail(&state, &caller, id).await?))
}

/// Record a payment (`modify_money`): on an issued invoice, not more than is due.
#[utoipa::path(tag = "invoices", params(IdPath), request_body = PaymentInput, responses((status = 200, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/invoices/{id}/payments")]
async fn add_payment(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<PaymentInput>,
) -> ApiResult<web::Json<InvoiceDetailRead>> {
    let body = body.into_inner();
    let payment = NewPayment {
        amount: required_amount(body.amount)?,
        mode: parse_enum::<PaymentMode>(&body.mode, "mode", str::parse)?
            .unwrap_or(PaymentMode::Manual),
        paid_at: match &body.paid_at {
            Some(at) => at.resolve(state.assignments.zone(), "paid_at")?.get(),
            None => state.assignments.now(),
        },
        reference_no: optional_text(
            body.reference_no,
            "reference_no",
            zenops_domain::text::limits::SHORT,
        )?,
        notes: optional_text(body.notes, "notes", zenops_domain::text::limits::LONG)?,
    };
    let id = InvoiceId(path.id);
    state
        .invoices
        .add_payment(&caller.actor, id, payment)
        .await?;
    Ok(web::Json(detail(&state, &caller, id).await?))
}

/// Add a credit (`modify_invoice`): a credit note (numbered `CN/{YYYY}/{NNNN}`), a
/// discount, a write-off or other; all credits together never exceed what was due.
#[utoipa::path(tag = "invoices", params(IdPath), request_body = AdjustmentInput, responses((status = 200, body = InvoiceDetailRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/invoices/{id}/adjustments")]
async fn add_adjustment(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<AdjustmentInput>,
) -> ApiResult<web::Json<InvoiceDetailRead>> {
    let body = body.into_inner();
    let adjustment = NewAdjustment {
        amount: required_amount(body.amount)?,
        kind: parse_enum::<AdjustmentType>(&body.adjustment_type, "adjustment_type", str::parse)?
            .unwrap_or(AdjustmentType::CreditNote),
        reason: optional_text(body.reason, "reason", zenops_domain::text::limits::LONG)?,
        issued_at: match &body.issued_at {
            Some(at) => at.resolve(state.assignments.zone(), "issued_at")?.get(),
            None => state.assignments.now(),
        },
    };
    let id = InvoiceId(path.id);
    state
        .invoices
        .add_adjustment(&caller.actor, id, adjustment)
        .await?;
    Ok(web::Json(detail(&state, &caller, id).await?))
}

/// Mark paid: a money role records what is due as one payment (200, the invoice); anyone
/// else with access gets a MARK_PAID request (202, the approval, with `action_type`).
#[utoipa::path(
    tag = "invoices",
    params(IdPath),
    responses(
        (status = 200, body = InvoiceDetailRead, description = "Paid"),
        (status = 202, body = ApprovalRead, description = "Requested"),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/api/invoices/{id}/mark-paid")]
async fn mark_paid(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<HttpResponse> {
    let outcome = state
        .approvals
        .mark_invoice_paid(&caller.actor, path.id)
        .await?;
    Ok(match outcome {
        MarkPaidOutcome::Paid => {
            HttpResponse::Ok().json(detail(&state, &caller, InvoiceId(path.id)).await?)
        }
        MarkPaidOutcome::Requested(approval) => {
            HttpResponse::Accepted().json(ApprovalRead::new(&approval, &caller.actor))
        }
    })
}

/// The assignment an invoice bills, as the drawer shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContextAssignment {
    pub id: i64,
    pub assignment_code: String,
    pub borrower_name: Option<String>,
    pub bank_name: Option<String>,
    pub branch_name: Option<String>,
    pub fees: Option<String>,
}

/// The account payments go to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContextAccount {
    pub id: i64,
    pub bank_id: Option<i64>,
    pub account_name: String,
    pub account_number: String,
    pub ifsc_code: Option<String>,
    pub bank_name: String,
    pub branch_name: Option<String>,
    pub upi_id: Option<String>,
}

/// An invoice with what it is billed under: its assignment, the company profile and the
/// account to pay into. Reading it writes nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceContextRead {
    pub invoice: InvoiceDetailRead,
    pub assignment: ContextAssignment,
    pub company_profile: CompanyProfileRead,
    pub company_account: Option<ContextAccount>,
}

/// The invoice with its assignment, the company profile and the company account.
#[utoipa::path(tag = "invoices", params(IdPath), responses((status = 200, body = InvoiceContextRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/invoices/{id}/context")]
async fn invoice_context(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<InvoiceContextRead>> {
    let invoice = detail(&state, &caller, InvoiceId(path.id)).await?;
    let view = state
        .assignments
        .get(&caller.actor, invoice.invoice.assignment_id)
        .await?;
    let a = &view.assignment;
    let (profile, account) = tokio::join!(
        state.invoices.company_profile(),
        state
            .invoices
            .company_account(invoice.invoice.company_account_id),
    );
    Ok(web::Json(InvoiceContextRead {
        assignment: ContextAssignment {
            id: a.id,
            assignment_code: a.code.clone(),
            borrower_name: a.fields.borrower_name.clone(),
            bank_name: a.fields.bank_name.clone(),
            branch_name: a.fields.branch_name.clone(),
            fees: a.fields.fees.map(|f| f.to_string()),
        },
        company_profile: profile?.into(),
        company_account: account?.map(|r| ContextAccount {
            id: r.id,
            bank_id: r.fields.bank_id,
            account_name: r.fields.account_name,
            account_number: r.fields.account_number,
            ifsc_code: r.fields.ifsc_code,
            bank_name: r.fields.bank_name,
            branch_name: r.fields.branch_name,
            upi_id: r.fields.upi_id,
        }),
        invoice,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PdfParams {
    /// Accepted for the frontend; every copy is made afresh from the invoice anyway.
    pub regenerate: Option<String>,
}

/// The printed invoice as a PDF (issued invoices only): the firm with its GSTIN, the
/// party, the lines, the discount, CGST and SGST or IGST, the total in words, where to
/// pay and the bank's invoice notes. Made on request; the invoice is not changed.
#[utoipa::path(
    tag = "invoices",
    params(IdPath, PdfParams),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), WriteErrors),
    security(("bearer" = []))
)]
#[get("/api/invoices/{id}/pdf")]
async fn invoice_pdf(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    params: web::Query<PdfParams>,
) -> ApiResult<HttpResponse> {
    parse_param::<bool>(&params.regenerate, "regenerate")?;
    let document = state
        .invoices
        .document(&caller.actor, InvoiceId(path.id))
        .await?;
    let renderer = state.invoice_pdf.clone();
    let file_name = document
        .reference
        .first()
        .and_then(|r| r.strip_prefix("Invoice No: "))
        .unwrap_or("invoice")
        .replace(['/', '\\', '"'], "-");
    let bytes = web::block(move || renderer.render(&document))
        .await
        .map_err(|e| ApiError::from(DomainError::unexpected(e.to_string())))??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}.pdf\""),
        ))
        .body(bytes))
}

/// The answer to a reminder.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderRead {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub invoice_id: i64,
    #[schema(example = "Reminder sent for INV/2026/0012")]
    pub message: String,
}

/// Remind the client of what is due (`modify_money`); recorded in the invoice's audit
/// trail and the activity trail. Send an `Idempotency-Key` header to make retries safe:
/// the same key for the same invoice answers as the first time; for another request it
/// is 409. At most 10 reminders per sender in 10 minutes and one per invoice a day
/// (429 with `Retry-After`).
#[utoipa::path(
    tag = "invoices",
    params(IdPath, ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    responses(
        (status = 200, body = ReminderRead),
        (status = 429, body = crate::error::ErrorBody, description = "Too many reminders"),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/api/invoices/{id}/remind")]
async fn remind(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    request: actix_web::HttpRequest,
) -> ApiResult<web::Json<ReminderRead>> {
    let key = match request.headers().get("idempotency-key") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            DomainError::invalid("Idempotency-Key", "must be visible ASCII characters")
        })?),
    };
    let message = state
        .invoices
        .remind(&caller.actor, InvoiceId(path.id), key)
        .await?;
    Ok(web::Json(ReminderRead {
        status: "ok",
        invoice_id: path.id,
        message,
    }))
}

/// The company profile (its defaults until one is saved; reading writes nothing).
#[utoipa::path(tag = "invoices", responses((status = 200, body = CompanyProfileRead), AuthErrors), security(("bearer" = [])))]
#[get("/api/master/company-profile")]
async fn get_company_profile(
    state: web::Data<AppState>,
    _caller: Authenticated,
) -> ApiResult<web::Json<CompanyProfileRead>> {
    Ok(web::Json(state.invoices.company_profile().await?.into()))
}

/// Change the company profile (`manage_company_accounts`).
#[utoipa::path(tag = "invoices", request_body = CompanyProfileInput, responses((status = 200, body = CompanyProfileRead), WriteErrors), security(("bearer" = [])))]
#[patch("/api/master/company-profile")]
async fn update_company_profile(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<CompanyProfileInput>,
) -> ApiResult<web::Json<CompanyProfileRead>> {
    let b = body.into_inner();
    let changes = CompanyProfileChanges {
        legal_name: b.legal_name,
        tagline: b.tagline,
        address: b.address,
        state_name: b.state_name,
        state_code: b.state_code,
        gstin: b.gstin,
        pan: b.pan,
        contact_email: b.contact_email,
        contact_phone: b.contact_phone,
        website: b.website,
        default_gst_rate: b.default_gst_rate,
    };
    Ok(web::Json(
        state
            .invoices
            .update_company_profile(&caller.actor, changes)
            .await?
            .into(),
    ))
}

/// An assignment's invoice as its page lists it; amounts only for those who may see
/// money.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentInvoiceRead {
    pub id: i64,
    pub invoice_number: Option<String>,
    pub assignment_code: String,
    pub status: String,
    pub issued_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub total_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, required = false)]
    pub amount_due: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = bool, required = false)]
    pub is_paid: Option<bool>,
    #[schema(value_type = Option<String>)]
    pub pdf_generated_at: Option<String>,
}

impl AssignmentInvoiceRead {
    pub fn new(invoice: &Invoice, code: &str, money: bool) -> ApiResult<Self> {
        let r = invoice.record();
        let status = invoice.status()?;
        let show = |v: String| money.then_some(v);
        Ok(Self {
            id: r.id.0,
            invoice_number: r.number.clone(),
            assignment_code: code.to_owned(),
            status: status.as_str().to_owned(),
            issued_date: day_string(r.issued_date),
            total_amount: show(invoice.totals()?.total.to_string()),
            amount_due: show(invoice.balance()?.due.to_string()),
            is_paid: money.then_some(status == zenops_domain::invoice::InvoiceStatus::Paid),
            pdf_generated_at: None,
        })
    }
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    // The fixed paths come before `/{id}`.
    cfg.service(ledger)
        .service(outstanding)
        .service(export_csv)
        .service(create_invoice)
        .service(get_invoice)
        .service(update_invoice)
        .service(issue_invoice)
        .service(send_invoice)
        .service(void_invoice)
        .service(add_payment)
        .service(add_adjustment)
        .service(mark_paid)
        .service(remind)
        .service(invoice_pdf)
        .service(invoice_context)
        .service(get_company_profile)
        .service(update_company_profile);
}
