//! Invoices as stored: the aggregate's fields plus its computed amounts and derived status
//! (written from the domain on every change, for the ledger's filters, sorts and sums),
//! lines, payments, adjustments with their credit-note series, and the audit trail.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Expr, Func, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait,
    JoinType, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use time::OffsetDateTime;
use zenops_domain::invoice::{
    Adjustment, AdjustmentType, AuditEntry, Claim, CompanyProfile, CompanyProfileRepository,
    GroupBy, Invoice, InvoiceDetail, InvoiceId, InvoiceRecord, InvoiceRepository, InvoiceScope,
    InvoiceStatus, LedgerQuery, LedgerRow, LedgerSort, Line, NewAdjustment, NewPayment,
    OutstandingRow, Payment, PaymentMode, Priced, Quantity, Rate, Stage, TaxSplit,
    credit_note_number,
};
use zenops_domain::money::Money;
use zenops_domain::page::{Page, Paged};
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::assignments::scoped;
use crate::db::stored_time_on;
use crate::entity::{
    assignments, company_profiles, invoice_adjustments, invoice_audit_logs, invoice_items,
    invoice_payments, invoices,
};
use crate::error::{Violation, unexpected, violation};
use crate::sql::statement_on;

use invoices::Column as I;

pub struct SeaInvoiceRepository {
    db: Database,
}

impl SeaInvoiceRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn corrupt(id: i64, what: &str) -> DomainError {
    DomainError::unexpected(format!("invoice {id}: stored {what} is invalid"))
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Draft => "DRAFT",
        Stage::Issued { sent: false } => "ISSUED",
        Stage::Issued { sent: true } => "SENT",
        Stage::Void => "VOID",
    }
}

fn to_invoice(row: invoices::Model, items: Vec<invoice_items::Model>) -> DomainResult<Invoice> {
    let id = row.id;
    let stage = match row.stage.as_str() {
        "DRAFT" => Stage::Draft,
        "ISSUED" => Stage::Issued { sent: false },
        "SENT" => Stage::Issued { sent: true },
        "VOID" => Stage::Void,
        _ => return Err(corrupt(id, "stage")),
    };
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        lines.push(Line {
            description: item.description,
            priced: Priced {
                quantity: Quantity::from_hundredths(item.quantity)
                    .map_err(|_| corrupt(id, "quantity"))?,
                unit_price: Money::from_paise(item.unit_price_paise),
                tax_rate: item
                    .tax_rate
                    .map(|r| Rate::from_basis_points(i64::from(r)))
                    .transpose()
                    .map_err(|_| corrupt(id, "line rate"))?,
            },
            order_index: item.order_index,
        });
    }
    let split = match (row.cgst_paise, row.sgst_paise, row.igst_paise) {
        (Some(c), Some(s), Some(i)) => Some(TaxSplit {
            cgst: Money::from_paise(c),
            sgst: Money::from_paise(s),
            igst: Money::from_paise(i),
        }),
        _ => None,
    };
    Ok(Invoice::restore(InvoiceRecord {
        id: InvoiceId(id),
        assignment_id: row.assignment_id,
        assignment_code: row.assignment_code,
        number: row.invoice_number,
        stage,
        issued_date: row.issued_date,
        due_date: row.due_date,
        tax_rate: Rate::from_basis_points(i64::from(row.tax_rate))
            .map_err(|_| corrupt(id, "rate"))?,
        discount: Money::from_paise(row.discount_paise),
        lines,
        split,
        paid: Money::from_paise(row.paid_paise),
        credited: Money::from_paise(row.credited_paise),
        bill_to_name: row.bill_to_name,
        bill_to_address: row.bill_to_address,
        bill_to_gstin: row.bill_to_gstin,
        place_of_supply: row.place_of_supply,
        terms: row.terms,
        notes: row.notes,
        company_account_id: row.company_account_id,
        bank_id: row.bank_id,
        branch_id: row.branch_id,
        client_id: row.client_id,
        issued_at: row.issued_at,
        sent_at: row.sent_at,
        paid_at: row.paid_at,
        voided_at: row.voided_at,
        void_reason: row.void_reason,
        created_by: UserId(row.created_by_user_id),
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.row_version,
    }))
}

/// What the ledger's search looks in: the number, the assignment code and the party's
/// name (`text::search_document`).
fn search_text(r: &InvoiceRecord) -> String {
    zenops_domain::text::search_document([
        r.number.as_deref().unwrap_or_default(),
        r.assignment_code.as_str(),
        r.bill_to_name.as_deref().unwrap_or_default(),
    ])
}

/// Every column a write sets from the invoice, its amounts and its status included.
fn columns(
    txn: &DatabaseTransaction,
    invoice: &Invoice,
    at: OffsetDateTime,
) -> DomainResult<invoices::ActiveModel> {
    let backend = txn.get_database_backend();
    let time = |t: Option<OffsetDateTime>| t.map(|t| stored_time_on(backend, t));
    let r = invoice.record();
    let totals = invoice.totals()?;
    let balance = invoice.balance()?;
    let status = invoice.status()?;
    let rate = i32::try_from(r.tax_rate.basis_points()).map_err(DomainError::unexpected)?;
    Ok(invoices::ActiveModel {
        assignment_id: Set(r.assignment_id),
        assignment_code: Set(r.assignment_code.clone()),
        search_text: Set(search_text(r)),
        invoice_number: Set(r.number.clone()),
        status: Set(status.as_str().to_owned()),
        stage: Set(stage_name(r.stage).to_owned()),
        currency: Set("INR".to_owned()),
        issued_date: Set(r.issued_date),
        due_date: Set(r.due_date),
        tax_rate: Set(rate),
        discount_paise: Set(r.discount.paise()),
        subtotal_paise: Set(totals.subtotal.paise()),
        taxable_paise: Set(totals.taxable.paise()),
        tax_paise: Set(totals.tax.paise()),
        total_paise: Set(totals.total.paise()),
        paid_paise: Set(balance.paid.paise()),
        credited_paise: Set(balance.credited.paise()),
        due_paise: Set(balance.due.paise()),
        is_paid: Set(status == InvoiceStatus::Paid),
        cgst_paise: Set(r.split.map(|s| s.cgst.paise())),
        sgst_paise: Set(r.split.map(|s| s.sgst.paise())),
        igst_paise: Set(r.split.map(|s| s.igst.paise())),
        bill_to_name: Set(r.bill_to_name.clone()),
        bill_to_address: Set(r.bill_to_address.clone()),
        bill_to_gstin: Set(r.bill_to_gstin.clone()),
        place_of_supply: Set(r.place_of_supply.clone()),
        terms: Set(r.terms.clone()),
        notes: Set(r.notes.clone()),
        company_account_id: Set(r.company_account_id),
        bank_id: Set(r.bank_id),
        branch_id: Set(r.branch_id),
        client_id: Set(r.client_id),
        issued_at: Set(time(r.issued_at)),
        sent_at: Set(time(r.sent_at)),
        paid_at: Set(time(r.paid_at)),
        voided_at: Set(time(r.voided_at)),
        void_reason: Set(r.void_reason.clone()),
        voided_by_user_id: Set(None),
        created_by_user_id: Set(r.created_by.0),
        created_at: Set(stored_time_on(backend, r.created_at)),
        updated_at: Set(stored_time_on(backend, at)),
        row_version: Set(r.version + 1),
        ..Default::default()
    })
}

async fn write_lines(
    txn: &DatabaseTransaction,
    id: i64,
    invoice: &Invoice,
) -> Result<(), sea_orm::DbErr> {
    invoice_items::Entity::delete_many()
        .filter(invoice_items::Column::InvoiceId.eq(id))
        .exec(txn)
        .await?;
    let r = invoice.record();
    if r.lines.is_empty() {
        return Ok(());
    }
    let totals = invoice
        .totals()
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let rows =
        r.lines
            .iter()
            .zip(totals.line_totals)
            .map(|(line, total)| invoice_items::ActiveModel {
                invoice_id: Set(id),
                description: Set(line.description.clone()),
                quantity: Set(line.priced.quantity.hundredths()),
                unit_price_paise: Set(line.priced.unit_price.paise()),
                tax_rate: Set(line
                    .priced
                    .tax_rate
                    .and_then(|r| i32::try_from(r.basis_points()).ok())),
                line_total_paise: Set(total.paise()),
                order_index: Set(line.order_index),
                ..Default::default()
            });
    invoice_items::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

fn write_error(err: sea_orm::DbErr) -> DomainError {
    match violation(&err) {
        // PostgreSQL names the index, SQLite the column.
        Some(Violation::Unique(message))
            if message.contains("ux_invoices_one_live_per_assignment")
                || message.contains("invoices.assignment_id") =>
        {
            zenops_domain::invoice::live_invoice_exists()
        }
        Some(Violation::Unique(_)) => {
            DomainError::conflict("duplicate", "Another invoice already has this number")
        }
        Some(Violation::ForeignKey) => DomainError::invalid(
            "invoice",
            "refers to an assignment or account that no longer exists",
        ),
        _ => unexpected(err),
    }
}

async fn items_of(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> DomainResult<HashMap<i64, Vec<invoice_items::Model>>> {
    let mut by_invoice: HashMap<i64, Vec<invoice_items::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_invoice);
    }
    for item in invoice_items::Entity::find()
        .filter(invoice_items::Column::InvoiceId.is_in(ids.iter().copied()))
        .order_by_asc(invoice_items::Column::OrderIndex)
        .order_by_asc(invoice_items::Column::Id)
        .all(conn)
        .await
        .map_err(unexpected)?
    {
        by_invoice.entry(item.invoice_id).or_default().push(item);
    }
    Ok(by_invoice)
}

async fn read_back(txn: &DatabaseTransaction, id: i64) -> DomainResult<Invoice> {
    let row = invoices::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(unexpected)?
        .ok_or(DomainError::NotFound("Invoice"))?;
    let mut items = items_of(txn, &[id]).await?;
    to_invoice(row, items.remove(&id).unwrap_or_default())
}

/// [`zenops_domain::invoice::InvoiceStore::insert`] inside `txn`.
pub(crate) async fn insert_in(
    txn: &DatabaseTransaction,
    invoice: &Invoice,
    at: OffsetDateTime,
) -> DomainResult<Invoice> {
    let mut row = columns(txn, invoice, at)?;
    row.row_version = Set(1);
    let saved = row.insert(txn).await.map_err(write_error)?;
    write_lines(txn, saved.id, invoice)
        .await
        .map_err(write_error)?;
    read_back(txn, saved.id).await
}

/// [`zenops_domain::invoice::InvoiceStore::save`] inside `txn`.
pub(crate) async fn save_in(
    txn: &DatabaseTransaction,
    invoice: &Invoice,
    at: OffsetDateTime,
) -> DomainResult<Invoice> {
    let r = invoice.record();
    let row = columns(txn, invoice, at)?;
    let written = invoices::Entity::update_many()
        .set(row)
        .filter(I::Id.eq(r.id.0))
        .filter(I::RowVersion.eq(r.version))
        .exec(txn)
        .await
        .map_err(write_error)?;
    if written.rows_affected == 0 {
        return Err(DomainError::conflict(
            "stale",
            "The invoice was changed by someone else meanwhile; reload it and try again",
        ));
    }
    write_lines(txn, r.id.0, invoice)
        .await
        .map_err(write_error)?;
    read_back(txn, r.id.0).await
}

/// [`zenops_domain::invoice::InvoiceStore::add_payment`] inside `txn`.
pub(crate) async fn add_payment_in(
    txn: &DatabaseTransaction,
    invoice: InvoiceId,
    p: &NewPayment,
    by: UserId,
    at: OffsetDateTime,
) -> DomainResult<Payment> {
    let backend = txn.get_database_backend();
    let row = invoice_payments::ActiveModel {
        invoice_id: Set(invoice.0),
        amount_paise: Set(p.amount.paise()),
        mode: Set(p.mode.as_str().to_owned()),
        paid_at: Set(stored_time_on(backend, p.paid_at)),
        reference_no: Set(p.reference_no.clone()),
        notes: Set(p.notes.clone()),
        created_by_user_id: Set(by.0),
        created_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(unexpected)?;
    to_payment(row)
}

/// [`zenops_domain::invoice::InvoiceStore::add_adjustment`] inside `txn`; a credit note
/// draws its number from the year's counter in the same transaction (gap-free).
pub(crate) async fn add_adjustment_in(
    txn: &DatabaseTransaction,
    invoice: InvoiceId,
    a: &NewAdjustment,
    year: i32,
    by: UserId,
    at: OffsetDateTime,
) -> DomainResult<Adjustment> {
    let backend = txn.get_database_backend();
    let number = if a.kind == AdjustmentType::CreditNote {
        let counter = statement_on(
            backend,
            "INSERT INTO credit_note_counters (year, last_number) VALUES (?, 1) \
             ON CONFLICT (year) DO UPDATE SET last_number = credit_note_counters.last_number + 1 \
             RETURNING last_number",
            vec![year.into()],
        );
        let n: i64 = txn
            .query_one_raw(counter)
            .await
            .map_err(unexpected)?
            .ok_or_else(|| DomainError::unexpected("credit note counter returned nothing"))?
            .try_get("", "last_number")
            .map_err(unexpected)?;
        Some(credit_note_number(year, u64::try_from(n).unwrap_or(0)))
    } else {
        None
    };
    let row = invoice_adjustments::ActiveModel {
        invoice_id: Set(invoice.0),
        amount_paise: Set(a.amount.paise()),
        adjustment_type: Set(a.kind.as_str().to_owned()),
        reason: Set(a.reason.clone()),
        issued_at: Set(stored_time_on(backend, a.issued_at)),
        credit_note_number: Set(number),
        created_by_user_id: Set(by.0),
        created_at: Set(stored_time_on(backend, at)),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(unexpected)?;
    to_adjustment(row)
}

/// [`zenops_domain::invoice::InvoiceStore::audit`] inside `txn`.
pub(crate) async fn audit_in(
    txn: &DatabaseTransaction,
    invoice: InvoiceId,
    event_type: &str,
    actor: UserId,
    diff_json: &str,
    at: OffsetDateTime,
) -> DomainResult<()> {
    invoice_audit_logs::ActiveModel {
        invoice_id: Set(invoice.0),
        event_type: Set(event_type.to_owned()),
        actor_user_id: Set(Some(actor.0)),
        diff_json: Set(diff_json.to_owned()),
        created_at: Set(stored_time_on(txn.get_database_backend(), at)),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(unexpected)?;
    Ok(())
}

fn to_payment(row: invoice_payments::Model) -> DomainResult<Payment> {
    Ok(Payment {
        id: row.id,
        amount: Money::from_paise(row.amount_paise),
        mode: row
            .mode
            .parse::<PaymentMode>()
            .map_err(|_| corrupt(row.invoice_id, "payment mode"))?,
        paid_at: row.paid_at,
        reference_no: row.reference_no,
        notes: row.notes,
        created_by: UserId(row.created_by_user_id),
    })
}

fn to_adjustment(row: invoice_adjustments::Model) -> DomainResult<Adjustment> {
    Ok(Adjustment {
        id: row.id,
        amount: Money::from_paise(row.amount_paise),
        kind: row
            .adjustment_type
            .parse::<AdjustmentType>()
            .map_err(|_| corrupt(row.invoice_id, "adjustment type"))?,
        reason: row.reason,
        issued_at: row.issued_at,
        credit_note_number: row.credit_note_number,
        created_by: UserId(row.created_by_user_id),
    })
}

fn to_assignment() -> sea_orm::RelationDef {
    invoices::Entity::belongs_to(assignments::Entity)
        .from(I::AssignmentId)
        .to(assignments::Column::Id)
        .into()
}

/// The assignment's code, bank and branch names, per assignment id.
async fn assignment_names(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> DomainResult<HashMap<i64, (String, Option<String>, Option<String>)>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = assignments::Entity::find()
        .select_only()
        .column(assignments::Column::Id)
        .column(assignments::Column::AssignmentCode)
        .column(assignments::Column::BankName)
        .column(assignments::Column::BranchName)
        .filter(assignments::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await
        .map_err(unexpected)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, bank, branch)| (id, (code, bank, branch)))
        .collect())
}

impl SeaInvoiceRepository {
    fn filtered(&self, q: &LedgerQuery, scope: InvoiceScope) -> sea_orm::Select<invoices::Entity> {
        // Those who see every assignment see every invoice (financial records outlive the
        // work they bill); for anyone else, row access goes through the assignment.
        let mut select = match scope {
            InvoiceScope::Everything => invoices::Entity::find(),
            InvoiceScope::Involving(_) => invoices::Entity::find()
                .join(JoinType::InnerJoin, to_assignment())
                .filter(scoped(scope)),
        };
        if let Some(status) = q.status {
            select = select.filter(I::Status.eq(status.as_str()));
        }
        if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            select = select.filter(crate::sql::substring_search(
                self.db.kind,
                "invoices",
                search,
            ));
        }
        let date_bounds = [
            (I::IssuedDate, q.issued_from, true),
            (I::IssuedDate, q.issued_to, false),
            (I::DueDate, q.due_from, true),
            (I::DueDate, q.due_to, false),
        ];
        for (column, value, from) in date_bounds {
            if let Some(day) = value {
                let col = Expr::col((invoices::Entity, column));
                select = select.filter(if from { col.gte(day) } else { col.lte(day) });
            }
        }
        for (column, value) in [
            (I::BankId, q.bank_id),
            (I::BranchId, q.branch_id),
            (I::ClientId, q.client_id),
        ] {
            if let Some(id) = value {
                select = select.filter(Expr::col((invoices::Entity, column)).eq(id));
            }
        }
        if let Some(min) = q.amount_min {
            select = select.filter(Expr::col((invoices::Entity, I::TotalPaise)).gte(min.paise()));
        }
        if let Some(max) = q.amount_max {
            select = select.filter(Expr::col((invoices::Entity, I::TotalPaise)).lte(max.paise()));
        }
        let payable: Vec<&str> = InvoiceStatus::awaiting_payment()
            .map(InvoiceStatus::as_str)
            .collect();
        if q.unpaid {
            select = select.filter(I::Status.is_in(payable.clone()));
        }
        if let Some(today) = q.overdue_before {
            select = select
                .filter(I::Status.is_in(payable))
                .filter(Expr::col((invoices::Entity, I::DueDate)).lt(today));
        }
        select
    }
}

#[async_trait]
impl InvoiceRepository for SeaInvoiceRepository {
    async fn get(&self, id: InvoiceId) -> DomainResult<InvoiceDetail> {
        let conn = &self.db.conn;
        let row = invoices::Entity::find_by_id(id.0)
            .one(conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Invoice"))?;
        let assignment = row.assignment_id;
        let mut items = items_of(conn, &[id.0]).await?;
        let invoice = to_invoice(row, items.remove(&id.0).unwrap_or_default())?;
        let payments = invoice_payments::Entity::find()
            .filter(invoice_payments::Column::InvoiceId.eq(id.0))
            .order_by_asc(invoice_payments::Column::PaidAt)
            .order_by_asc(invoice_payments::Column::Id)
            .all(conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_payment)
            .collect::<DomainResult<Vec<_>>>()?;
        let adjustments = invoice_adjustments::Entity::find()
            .filter(invoice_adjustments::Column::InvoiceId.eq(id.0))
            .order_by_asc(invoice_adjustments::Column::Id)
            .all(conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(to_adjustment)
            .collect::<DomainResult<Vec<_>>>()?;
        let audit = invoice_audit_logs::Entity::find()
            .filter(invoice_audit_logs::Column::InvoiceId.eq(id.0))
            .order_by_asc(invoice_audit_logs::Column::Id)
            .all(conn)
            .await
            .map_err(unexpected)?
            .into_iter()
            .map(|a| AuditEntry {
                id: a.id,
                event_type: a.event_type,
                actor: a.actor_user_id.map(UserId),
                diff_json: a.diff_json,
                created_at: a.created_at,
            })
            .collect();
        let (code, bank_name, branch_name) = assignment_names(conn, &[assignment])
            .await?
            .remove(&assignment)
            .ok_or(DomainError::NotFound("Invoice"))?;
        Ok(InvoiceDetail {
            invoice,
            assignment_code: code,
            bank_name,
            branch_name,
            payments,
            adjustments,
            audit,
        })
    }

    async fn list(
        &self,
        query: &LedgerQuery,
        scope: InvoiceScope,
        page: Page,
    ) -> DomainResult<Paged<LedgerRow>> {
        let conn = &self.db.conn;
        let select = self.filtered(query, scope);
        // Counted on its own: no ordering and no columns, so the database only counts.
        let total: Option<i64> = select
            .clone()
            .select_only()
            .column_as(Expr::col((invoices::Entity, I::Id)).count(), "n")
            .into_tuple()
            .one(conn)
            .await
            .map_err(unexpected)?;
        let total = u64::try_from(total.unwrap_or(0)).unwrap_or(0);
        let order = if query.descending {
            Order::Desc
        } else {
            Order::Asc
        };
        let column = match query.sort {
            LedgerSort::DueDate => I::DueDate,
            LedgerSort::IssuedDate => I::IssuedDate,
            LedgerSort::InvoiceNumber => I::InvoiceNumber,
            LedgerSort::Total => I::TotalPaise,
            LedgerSort::Due => I::DuePaise,
            LedgerSort::Status => I::Status,
            LedgerSort::CreatedAt => I::CreatedAt,
        };
        let rows = select
            .order_by(Expr::col((invoices::Entity, column)), order.clone())
            .order_by(Expr::col((invoices::Entity, I::Id)), order)
            .offset(page.skip)
            .limit(page.limit)
            .all(conn)
            .await
            .map_err(unexpected)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let assignment_ids: Vec<i64> = rows.iter().map(|r| r.assignment_id).collect();
        let mut items = items_of(conn, &ids).await?;
        let names = assignment_names(conn, &assignment_ids).await?;
        let mut last_payment: HashMap<i64, (OffsetDateTime, Money)> = HashMap::new();
        if !ids.is_empty() {
            for p in invoice_payments::Entity::find()
                .filter(invoice_payments::Column::InvoiceId.is_in(ids.iter().copied()))
                .order_by_asc(invoice_payments::Column::PaidAt)
                .order_by_asc(invoice_payments::Column::Id)
                .all(conn)
                .await
                .map_err(unexpected)?
            {
                last_payment.insert(p.invoice_id, (p.paid_at, Money::from_paise(p.amount_paise)));
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id;
            let (code, bank_name, branch_name) =
                names.get(&row.assignment_id).cloned().unwrap_or_default();
            out.push(LedgerRow {
                invoice: to_invoice(row, items.remove(&id).unwrap_or_default())?,
                assignment_code: code,
                bank_name,
                branch_name,
                last_payment: last_payment.remove(&id),
            });
        }
        Ok(Paged { items: out, total })
    }

    async fn of_assignment(&self, assignment_id: i64) -> DomainResult<Vec<Invoice>> {
        let conn = &self.db.conn;
        let rows = invoices::Entity::find()
            .filter(I::AssignmentId.eq(assignment_id))
            .order_by_desc(I::Id)
            .all(conn)
            .await
            .map_err(unexpected)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut items = items_of(conn, &ids).await?;
        rows.into_iter()
            .map(|row| {
                let id = row.id;
                to_invoice(row, items.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    async fn outstanding(
        &self,
        group: GroupBy,
        scope: InvoiceScope,
    ) -> DomainResult<Vec<OutstandingRow>> {
        let conn = &self.db.conn;
        let key = match group {
            GroupBy::Bank => I::BankId,
            GroupBy::Client => I::ClientId,
        };
        let query = LedgerQuery {
            unpaid: true,
            ..LedgerQuery::default()
        };
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back to read whole paise.
        let sum = |col: I| -> SimpleExpr {
            Func::cast_as(
                Func::sum(Expr::col((invoices::Entity, col))),
                Alias::new("BIGINT"),
            )
            .into()
        };
        let rows: Vec<(
            Option<i64>,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<time::Date>,
        )> = self
            .filtered(&query, scope)
            .select_only()
            .column_as(Expr::col((invoices::Entity, key)), "key")
            .column_as(Expr::col((invoices::Entity, I::Id)).count(), "invoices")
            .column_as(sum(I::TotalPaise), "billed")
            .column_as(sum(I::PaidPaise), "paid")
            .column_as(sum(I::CreditedPaise), "credited")
            .column_as(sum(I::DuePaise), "outstanding")
            .column_as(
                SimpleExpr::from(Func::min(Expr::col((invoices::Entity, I::DueDate)))),
                "oldest",
            )
            .group_by(Expr::col((invoices::Entity, key)))
            .into_tuple()
            .all(conn)
            .await
            .map_err(unexpected)?;
        let ids: Vec<i64> = rows.iter().filter_map(|r| r.0).collect();
        let names: HashMap<i64, String> = if ids.is_empty() {
            HashMap::new()
        } else {
            match group {
                GroupBy::Bank => crate::entity::banks::Entity::find()
                    .filter(crate::entity::banks::Column::Id.is_in(ids))
                    .all(conn)
                    .await
                    .map_err(unexpected)?
                    .into_iter()
                    .map(|b| (b.id, b.name))
                    .collect(),
                GroupBy::Client => crate::entity::clients::Entity::find()
                    .filter(crate::entity::clients::Column::Id.is_in(ids))
                    .all(conn)
                    .await
                    .map_err(unexpected)?
                    .into_iter()
                    .map(|c| (c.id, c.name))
                    .collect(),
            }
        };
        let money = |v: Option<i64>| Money::from_paise(v.unwrap_or(0));
        let mut out: Vec<OutstandingRow> = rows
            .into_iter()
            .map(
                |(id, n, billed, paid, credited, due, oldest)| OutstandingRow {
                    id,
                    name: id.and_then(|id| names.get(&id).cloned()),
                    invoices: u64::try_from(n).unwrap_or(0),
                    billed: money(billed),
                    paid: money(paid),
                    credited: money(credited),
                    outstanding: money(due),
                    oldest_due_date: oldest,
                },
            )
            .collect();
        out.sort_by(|a, b| b.outstanding.cmp(&a.outstanding).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn awaiting_by_assignment(&self, assignments: &[i64]) -> DomainResult<Vec<(i64, u64)>> {
        let payable: Vec<&str> = InvoiceStatus::awaiting_payment()
            .map(InvoiceStatus::as_str)
            .collect();
        let rows: Vec<(i64, i64)> = invoices::Entity::find()
            .select_only()
            .column(I::AssignmentId)
            .column_as(Expr::col(I::Id).count(), "n")
            .filter(I::AssignmentId.is_in(assignments.iter().copied()))
            .filter(I::Status.is_in(payable))
            .group_by(I::AssignmentId)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    async fn awaiting_payment(&self, scope: InvoiceScope) -> DomainResult<u64> {
        let query = LedgerQuery {
            unpaid: true,
            ..LedgerQuery::default()
        };
        self.filtered(&query, scope)
            .count(&self.db.conn)
            .await
            .map_err(unexpected)
    }
}

pub struct SeaCompanyProfileRepository {
    db: Database,
}

impl SeaCompanyProfileRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CompanyProfileRepository for SeaCompanyProfileRepository {
    async fn get(&self) -> DomainResult<Option<CompanyProfile>> {
        let Some(row) = company_profiles::Entity::find()
            .order_by_asc(company_profiles::Column::Id)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
        else {
            return Ok(None);
        };
        Ok(Some(CompanyProfile {
            legal_name: row.legal_name,
            tagline: row.tagline,
            address: row.address,
            state_name: row.state_name,
            state_code: row.state_code,
            gstin: row.gstin,
            pan: row.pan,
            contact_email: row.contact_email,
            contact_phone: row.contact_phone,
            website: row.website,
            default_gst_rate: Rate::from_basis_points(i64::from(row.default_gst_rate))
                .map_err(DomainError::unexpected)?,
            updated_at: Some(row.updated_at),
        }))
    }

    async fn save(&self, p: &CompanyProfile, at: OffsetDateTime) -> DomainResult<CompanyProfile> {
        let rate =
            i32::try_from(p.default_gst_rate.basis_points()).map_err(DomainError::unexpected)?;
        let row = company_profiles::ActiveModel {
            id: Set(1),
            legal_name: Set(p.legal_name.clone()),
            tagline: Set(p.tagline.clone()),
            address: Set(p.address.clone()),
            state_name: Set(p.state_name.clone()),
            state_code: Set(p.state_code.clone()),
            gstin: Set(p.gstin.clone()),
            pan: Set(p.pan.clone()),
            contact_email: Set(p.contact_email.clone()),
            contact_phone: Set(p.contact_phone.clone()),
            website: Set(p.website.clone()),
            default_gst_rate: Set(rate),
            updated_at: Set(self.db.stored_time(at)),
        };
        // One row, id 1: written over if it is there.
        company_profiles::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(company_profiles::Column::Id)
                    .update_columns([
                        company_profiles::Column::LegalName,
                        company_profiles::Column::Tagline,
                        company_profiles::Column::Address,
                        company_profiles::Column::StateName,
                        company_profiles::Column::StateCode,
                        company_profiles::Column::Gstin,
                        company_profiles::Column::Pan,
                        company_profiles::Column::ContactEmail,
                        company_profiles::Column::ContactPhone,
                        company_profiles::Column::Website,
                        company_profiles::Column::DefaultGstRate,
                        company_profiles::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db.conn)
            .await
            .map_err(unexpected)?;
        self.get()
            .await?
            .ok_or_else(|| DomainError::unexpected("company profile missing after save"))
    }
}

/// [`zenops_domain::assignment::AssignmentStore::set_paid`] inside `txn`.
pub(crate) async fn set_assignment_paid_in(
    txn: &DatabaseTransaction,
    id: i64,
    paid: bool,
    at: OffsetDateTime,
) -> DomainResult<()> {
    use assignments::Column as A;
    assignments::Entity::update_many()
        .col_expr(A::IsPaid, Expr::value(paid))
        .col_expr(A::RowVersion, Expr::col(A::RowVersion).add(1))
        .col_expr(
            A::UpdatedAt,
            Expr::value(stored_time_on(txn.get_database_backend(), at)),
        )
        .filter(A::Id.eq(id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// [`zenops_domain::invoice::InvoiceStore::claim_key`] inside `txn`: an insert that does
/// nothing on a taken key (PostgreSQL waits for a concurrent claim to commit first), then
/// the key's row if it was taken.
pub(crate) async fn claim_key_in(
    txn: &DatabaseTransaction,
    key: &str,
    scope: &str,
    user: UserId,
    fingerprint: &str,
    at: OffsetDateTime,
) -> DomainResult<Claim> {
    use crate::entity::idempotency_keys as K;
    let backend = txn.get_database_backend();
    let inserted = txn
        .execute_raw(statement_on(
            backend,
            "INSERT INTO idempotency_keys (key, scope, user_id, fingerprint, response, created_at) \
             VALUES (?, ?, ?, ?, '', ?) ON CONFLICT (key, scope, user_id) DO NOTHING",
            vec![
                key.into(),
                scope.into(),
                user.0.into(),
                fingerprint.into(),
                stored_time_on(backend, at).into(),
            ],
        ))
        .await
        .map_err(unexpected)?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Claimed);
    }
    let row = K::Entity::find()
        .filter(K::Column::Key.eq(key))
        .filter(K::Column::Scope.eq(scope))
        .filter(K::Column::UserId.eq(user.0))
        .one(txn)
        .await
        .map_err(unexpected)?
        .ok_or_else(|| DomainError::unexpected("a taken idempotency key has no row"))?;
    Ok(if row.fingerprint != fingerprint {
        Claim::Mismatch
    } else {
        Claim::Replay(row.response)
    })
}

/// [`zenops_domain::invoice::InvoiceStore::complete_key`] inside `txn`.
pub(crate) async fn complete_key_in(
    txn: &DatabaseTransaction,
    key: &str,
    scope: &str,
    user: UserId,
    response: &str,
) -> DomainResult<()> {
    use crate::entity::idempotency_keys as K;
    K::Entity::update_many()
        .col_expr(K::Column::Response, Expr::value(response))
        .filter(K::Column::Key.eq(key))
        .filter(K::Column::Scope.eq(scope))
        .filter(K::Column::UserId.eq(user.0))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// [`zenops_domain::invoice::InvoiceStore::count_events_by`] inside `txn`.
pub(crate) async fn count_events_in(
    txn: &DatabaseTransaction,
    event_type: &str,
    user: UserId,
    since: OffsetDateTime,
) -> DomainResult<u64> {
    use invoice_audit_logs::Column as L;
    invoice_audit_logs::Entity::find()
        .filter(L::EventType.eq(event_type))
        .filter(L::ActorUserId.eq(user.0))
        .filter(L::CreatedAt.gte(stored_time_on(txn.get_database_backend(), since)))
        .count(txn)
        .await
        .map_err(unexpected)
}

/// [`zenops_domain::invoice::InvoiceStore::last_event`] inside `txn`.
pub(crate) async fn last_event_in(
    txn: &DatabaseTransaction,
    invoice: InvoiceId,
    event_type: &str,
) -> DomainResult<Option<OffsetDateTime>> {
    use invoice_audit_logs::Column as L;
    Ok(invoice_audit_logs::Entity::find()
        .filter(L::InvoiceId.eq(invoice.0))
        .filter(L::EventType.eq(event_type))
        .order_by_desc(L::Id)
        .one(txn)
        .await
        .map_err(unexpected)?
        .map(|row| row.created_at))
}
