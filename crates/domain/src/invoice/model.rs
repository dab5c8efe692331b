//! The invoice aggregate: its lines and amounts, its lifecycle, and what may be paid or
//! credited against it. Status is never stored on its own authority: it is derived from
//! the stage (draft, issued, sent, void) and the amounts after every change.

use time::{Date, OffsetDateTime};

use super::arithmetic::{Priced, Rate, TaxSplit, Totals, compute};
use crate::error::{DomainError, DomainResult};
use crate::money::Money;
use crate::named::named_enum;
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvoiceId(pub i64);

named_enum!(
    InvoiceStatus, "invoice status" {
        Draft => "DRAFT",
        Issued => "ISSUED",
        Sent => "SENT",
        PartiallyPaid => "PARTIALLY_PAID",
        Paid => "PAID",
        Void => "VOID",
    }
);

named_enum!(
    PaymentMode, "payment mode" {
        Manual => "MANUAL",
        Cash => "CASH",
        BankTransfer => "BANK_TRANSFER",
        Upi => "UPI",
        Cheque => "CHEQUE",
        Card => "CARD",
        Other => "OTHER",
    }
);

named_enum!(
    AdjustmentType, "adjustment type" {
        CreditNote => "CREDIT_NOTE",
        Discount => "DISCOUNT",
        WriteOff => "WRITE_OFF",
        Other => "OTHER",
    }
);

impl InvoiceStatus {
    /// Issued, and something is still due: what counts as awaiting payment (the ledger's
    /// `unpaid`, `payments_pending`, what may be sent or reminded of).
    pub fn awaits_payment(self) -> bool {
        matches!(self, Self::Issued | Self::Sent | Self::PartiallyPaid)
    }

    /// Every status that [awaits payment](Self::awaits_payment).
    pub fn awaiting_payment() -> impl Iterator<Item = InvoiceStatus> {
        Self::ALL.iter().copied().filter(|s| s.awaits_payment())
    }
}

/// Where an invoice is in its life, apart from what has been paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Editable; no number yet.
    Draft,
    /// Numbered and final; `sent` once it went to the client.
    Issued { sent: bool },
    /// Cancelled; nothing is due.
    Void,
}

/// What has been paid and credited against a total, and what is still due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    pub paid: Money,
    pub credited: Money,
    pub due: Money,
}

impl Balance {
    /// `due` = total − paid − credited, never below zero.
    pub fn of(total: Money, paid: Money, credited: Money) -> Self {
        let due = (total.paise() - paid.paise() - credited.paise()).max(0);
        Self {
            paid,
            credited,
            due: Money::from_paise(due),
        }
    }
}

/// The status a stage and a balance make: a draft is a draft and a void invoice void;
/// an issued one is PAID when nothing is due, PARTIALLY_PAID when something was paid or
/// credited, else SENT or ISSUED.
pub fn derive_status(stage: Stage, total: Money, balance: Balance) -> InvoiceStatus {
    match stage {
        Stage::Draft => InvoiceStatus::Draft,
        Stage::Void => InvoiceStatus::Void,
        Stage::Issued { .. } if balance.due == Money::ZERO => InvoiceStatus::Paid,
        Stage::Issued { .. } if balance.paid > Money::ZERO || balance.credited > Money::ZERO => {
            InvoiceStatus::PartiallyPaid
        }
        Stage::Issued { sent: true } if total > Money::ZERO => InvoiceStatus::Sent,
        Stage::Issued { .. } => InvoiceStatus::Issued,
    }
}

/// One line as billed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub priced: Priced,
    pub order_index: i32,
}

/// An invoice as stored; [`Invoice`] guards what may happen to it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceRecord {
    pub id: InvoiceId,
    pub assignment_id: i64,
    /// The assignment's code, copied when drafted (codes never change).
    pub assignment_code: String,
    pub number: Option<String>,
    pub stage: Stage,
    pub issued_date: Date,
    pub due_date: Option<Date>,
    pub tax_rate: Rate,
    pub discount: Money,
    pub lines: Vec<Line>,
    pub split: Option<TaxSplit>,
    pub paid: Money,
    pub credited: Money,
    pub bill_to_name: Option<String>,
    pub bill_to_address: Option<String>,
    pub bill_to_gstin: Option<String>,
    pub place_of_supply: Option<String>,
    pub terms: Option<String>,
    pub notes: Option<String>,
    pub company_account_id: Option<i64>,
    /// Copied from the assignment when drafted.
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub issued_at: Option<OffsetDateTime>,
    pub sent_at: Option<OffsetDateTime>,
    pub paid_at: Option<OffsetDateTime>,
    pub voided_at: Option<OffsetDateTime>,
    pub void_reason: Option<String>,
    pub created_by: UserId,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped on every write; writes name the version they read.
    pub version: i64,
}

/// An invoice. Amounts are computed from its lines, never taken as given; its status
/// follows from its stage and balance; each change is a method that checks it may happen.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoice(InvoiceRecord);

fn not_in(status: InvoiceStatus, what: &str) -> DomainError {
    DomainError::conflict(
        "invalid_invoice_state",
        format!("A {status} invoice cannot be {what}"),
    )
}

impl Invoice {
    pub fn restore(record: InvoiceRecord) -> Self {
        Self(record)
    }

    pub fn record(&self) -> &InvoiceRecord {
        &self.0
    }

    pub fn id(&self) -> InvoiceId {
        self.0.id
    }

    /// The amounts its lines, rate and discount come to.
    pub fn totals(&self) -> DomainResult<Totals> {
        let priced: Vec<Priced> = self.0.lines.iter().map(|l| l.priced).collect();
        compute(&priced, self.0.tax_rate, self.0.discount).map_err(DomainError::unexpected)
    }

    /// What has been paid and credited, and what is still due: nothing on a void invoice.
    pub fn balance(&self) -> DomainResult<Balance> {
        let mut balance = Balance::of(self.totals()?.total, self.0.paid, self.0.credited);
        if self.0.stage == Stage::Void {
            balance.due = Money::ZERO;
        }
        Ok(balance)
    }

    pub fn status(&self) -> DomainResult<InvoiceStatus> {
        let totals = self.totals()?;
        Ok(derive_status(
            self.0.stage,
            totals.total,
            Balance::of(totals.total, self.0.paid, self.0.credited),
        ))
    }

    /// Whether it still counts as the assignment's invoice (anything but VOID).
    pub fn is_live(&self) -> bool {
        self.0.stage != Stage::Void
    }

    /// Only a draft may be edited.
    pub fn check_editable(&self) -> DomainResult<()> {
        match self.0.stage {
            Stage::Draft => Ok(()),
            _ => Err(not_in(self.status()?, "edited")),
        }
    }

    /// A draft with at least one line and something to bill becomes final.
    pub fn check_issuable(&self) -> DomainResult<()> {
        self.check_editable()
            .map_err(|_| not_in(self.status().unwrap_or(InvoiceStatus::Void), "issued again"))?;
        if self.0.lines.is_empty() || self.totals()?.total <= Money::ZERO {
            return Err(DomainError::invalid(
                "items",
                "an invoice needs at least one line with an amount before it is issued",
            ));
        }
        Ok(())
    }

    /// Issued and not yet sent, partly paid or settled.
    pub fn check_sendable(&self) -> DomainResult<()> {
        match self.status()? {
            status if status.awaits_payment() => Ok(()),
            other => Err(not_in(other, "sent")),
        }
    }

    /// A payment: only on an issued invoice, more than zero, not more than is due.
    pub fn check_payment(&self, amount: Money) -> DomainResult<()> {
        self.check_against_due(amount, "paid")
    }

    /// Marking paid: an issued invoice with something still due.
    pub fn check_settleable(&self) -> DomainResult<()> {
        let status = self.status()?;
        match status {
            InvoiceStatus::Draft | InvoiceStatus::Void => Err(not_in(status, "paid")),
            InvoiceStatus::Paid => Err(DomainError::conflict(
                "already_settled",
                "Nothing is due on this invoice",
            )),
            _ => Ok(()),
        }
    }

    /// A credit of any kind: like a payment, so that payments and credits together never
    /// exceed the total.
    pub fn check_adjustment(&self, amount: Money) -> DomainResult<()> {
        self.check_against_due(amount, "credited")
    }

    fn check_against_due(&self, amount: Money, what: &str) -> DomainResult<()> {
        let status = self.status()?;
        if matches!(status, InvoiceStatus::Draft | InvoiceStatus::Void) {
            return Err(not_in(status, what));
        }
        if amount <= Money::ZERO {
            return Err(DomainError::invalid("amount", "must be greater than zero"));
        }
        let due = self.balance()?.due;
        if amount > due {
            return Err(DomainError::invalid(
                "amount",
                format!("must not be more than the {due} still due"),
            ));
        }
        Ok(())
    }

    /// Voiding: only with nothing paid or credited against it (a paid invoice is credited,
    /// not voided).
    pub fn check_voidable(&self) -> DomainResult<()> {
        let status = self.status()?;
        if status == InvoiceStatus::Void {
            return Err(not_in(status, "voided again"));
        }
        if self.0.paid > Money::ZERO || self.0.credited > Money::ZERO {
            return Err(DomainError::conflict(
                "invoice_has_payments",
                "An invoice with payments or credits against it cannot be voided: credit what is left instead",
            ));
        }
        Ok(())
    }
}

/// The number an invoice gets at issue: its assignment's code with the prefix swapped
/// (`VAL/2025/0012` → `INV/2025/0012`).
pub fn invoice_number(assignment_code: &str, prefix: &str) -> DomainResult<String> {
    let code: crate::assignment::AssignmentCode =
        assignment_code.parse().map_err(DomainError::unexpected)?;
    Ok(code.invoice_number(prefix))
}

/// A credit note's number: `CN/2026/0001`, one gap-free series per year.
pub fn credit_note_number(year: i32, number: u64) -> String {
    format!("CN/{year}/{number:04}")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    use super::*;
    use crate::invoice::Quantity;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn invoice(stage: Stage, price: &str, paid: &str, credited: &str) -> Invoice {
        let at = datetime!(2026-12-01 10:00 UTC);
        Invoice::restore(InvoiceRecord {
            id: InvoiceId(1),
            assignment_id: 1,
            assignment_code: "VAL/2026/0001".into(),
            number: None,
            stage,
            issued_date: date!(2026 - 12 - 01),
            due_date: None,
            tax_rate: Rate::default_gst(),
            discount: Money::ZERO,
            lines: vec![Line {
                description: "Valuation fees".into(),
                priced: Priced {
                    quantity: Quantity::ONE,
                    unit_price: m(price),
                    tax_rate: None,
                },
                order_index: 0,
            }],
            split: None,
            paid: m(paid),
            credited: m(credited),
            bill_to_name: None,
            bill_to_address: None,
            bill_to_gstin: None,
            place_of_supply: None,
            terms: None,
            notes: None,
            company_account_id: None,
            bank_id: None,
            branch_id: None,
            client_id: None,
            issued_at: None,
            sent_at: None,
            paid_at: None,
            voided_at: None,
            void_reason: None,
            created_by: UserId(1),
            created_at: at,
            updated_at: at,
            version: 1,
        })
    }

    fn code(result: DomainResult<()>) -> &'static str {
        match result {
            Err(DomainError::Conflict { code, .. }) => code,
            Err(DomainError::Validation(_)) => "validation",
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    const ISSUED: Stage = Stage::Issued { sent: false };

    #[test]
    fn status_follows_the_stage_and_the_amounts() {
        // 1000.00 + 18% = 1180.00
        assert_eq!(
            invoice(Stage::Draft, "1000", "0", "0").status().unwrap(),
            InvoiceStatus::Draft
        );
        assert_eq!(
            invoice(ISSUED, "1000", "0", "0").status().unwrap(),
            InvoiceStatus::Issued
        );
        let sent = Stage::Issued { sent: true };
        assert_eq!(
            invoice(sent, "1000", "0", "0").status().unwrap(),
            InvoiceStatus::Sent
        );
        assert_eq!(
            invoice(sent, "1000", "100", "0").status().unwrap(),
            InvoiceStatus::PartiallyPaid
        );
        assert_eq!(
            invoice(ISSUED, "1000", "0", "80").status().unwrap(),
            InvoiceStatus::PartiallyPaid
        );
        assert_eq!(
            invoice(ISSUED, "1000", "1100", "80").status().unwrap(),
            InvoiceStatus::Paid
        );
        assert_eq!(
            invoice(Stage::Void, "1000", "0", "0").status().unwrap(),
            InvoiceStatus::Void
        );
        assert_eq!(
            invoice(ISSUED, "1000", "100", "80").balance().unwrap().due,
            m("1000.00")
        );
        // A void invoice owes nothing.
        assert_eq!(
            invoice(Stage::Void, "1000", "0", "0")
                .balance()
                .unwrap()
                .due,
            Money::ZERO
        );
        let awaiting: Vec<InvoiceStatus> = InvoiceStatus::awaiting_payment().collect();
        assert_eq!(
            awaiting,
            [
                InvoiceStatus::Issued,
                InvoiceStatus::Sent,
                InvoiceStatus::PartiallyPaid
            ]
        );
    }

    #[test]
    fn payments_and_credits_never_exceed_what_is_due() {
        let inv = invoice(ISSUED, "1000", "1000", "100");
        assert!(inv.check_payment(m("80")).is_ok());
        assert_eq!(code(inv.check_payment(m("80.01"))), "validation");
        assert_eq!(code(inv.check_adjustment(m("80.01"))), "validation");
        assert_eq!(code(inv.check_payment(m("0"))), "validation");
        assert_eq!(code(inv.check_payment(m("-5"))), "validation");
        // Not before issue, not on a void invoice.
        assert_eq!(
            code(invoice(Stage::Draft, "1000", "0", "0").check_payment(m("1"))),
            "invalid_invoice_state"
        );
        assert_eq!(
            code(invoice(Stage::Void, "1000", "0", "0").check_adjustment(m("1"))),
            "invalid_invoice_state"
        );
    }

    #[test]
    fn only_drafts_change_and_only_unpaid_invoices_are_voided() {
        assert!(
            invoice(Stage::Draft, "1000", "0", "0")
                .check_editable()
                .is_ok()
        );
        assert_eq!(
            code(invoice(ISSUED, "1000", "0", "0").check_editable()),
            "invalid_invoice_state"
        );
        assert_eq!(
            code(invoice(ISSUED, "1000", "0", "0").check_issuable()),
            "invalid_invoice_state"
        );
        assert_eq!(
            code(invoice(Stage::Draft, "0", "0", "0").check_issuable()),
            "validation"
        );
        assert!(invoice(ISSUED, "1000", "0", "0").check_voidable().is_ok());
        assert!(
            invoice(Stage::Draft, "1000", "0", "0")
                .check_voidable()
                .is_ok()
        );
        assert_eq!(
            code(invoice(ISSUED, "1000", "10", "0").check_voidable()),
            "invoice_has_payments"
        );
        assert_eq!(
            code(invoice(ISSUED, "1000", "0", "10").check_voidable()),
            "invoice_has_payments"
        );
        assert_eq!(
            code(invoice(Stage::Void, "1000", "0", "0").check_voidable()),
            "invalid_invoice_state"
        );
        assert!(invoice(ISSUED, "1000", "10", "0").check_sendable().is_ok());
        assert_eq!(
            code(invoice(ISSUED, "1000", "1180", "0").check_sendable()),
            "invalid_invoice_state"
        );
    }

    #[test]
    fn only_an_issued_invoice_with_something_due_is_marked_paid() {
        assert!(
            invoice(ISSUED, "1000", "100", "0")
                .check_settleable()
                .is_ok()
        );
        assert_eq!(
            code(invoice(ISSUED, "1000", "1180", "0").check_settleable()),
            "already_settled"
        );
        assert_eq!(
            code(invoice(Stage::Draft, "1000", "0", "0").check_settleable()),
            "invalid_invoice_state"
        );
    }

    #[test]
    fn numbers_come_from_the_assignment_code() {
        assert_eq!(
            invoice_number("VAL/2025/0012", "INV").unwrap(),
            "INV/2025/0012"
        );
        assert_eq!(
            invoice_number("VAL/2026/12345", "BILL").unwrap(),
            "BILL/2026/12345"
        );
        assert_eq!(credit_note_number(2026, 7), "CN/2026/0007");
    }

    proptest! {
        #[test]
        fn due_is_never_negative_and_status_matches_the_amounts(
            total in 0i64..10_000_000,
            paid in 0i64..10_000_000,
            credited in 0i64..10_000_000,
            sent in any::<bool>(),
        ) {
            let (total, paid, credited) =
                (Money::from_paise(total), Money::from_paise(paid), Money::from_paise(credited));
            let balance = Balance::of(total, paid, credited);
            prop_assert!(balance.due >= Money::ZERO);
            prop_assert!(balance.due <= total);
            let status = derive_status(Stage::Issued { sent }, total, balance);
            match status {
                InvoiceStatus::Paid => prop_assert_eq!(balance.due, Money::ZERO),
                InvoiceStatus::PartiallyPaid => {
                    prop_assert!(balance.due > Money::ZERO);
                    prop_assert!(paid > Money::ZERO || credited > Money::ZERO);
                }
                InvoiceStatus::Issued | InvoiceStatus::Sent => {
                    prop_assert_eq!(balance.due, total);
                    prop_assert_eq!(paid.paise() + credited.paise(), 0);
                }
                other => prop_assert!(false, "an issued invoice cannot be {}", other),
            }
        }
    }
}
