//! Invoices: what the firm bills for an assignment, its tax, and what has been paid or
//! credited against it.

pub mod arithmetic;
mod document;
mod model;
mod ports;
mod service;

pub use arithmetic::{DEFAULT_GST_RATE, Priced, Quantity, Rate, TaxSplit, Totals, compute, split};
pub use document::{DocumentLine, InvoiceDocument, number_in_words, rupees_in_words};
pub use model::{
    AdjustmentType, Balance, Invoice, InvoiceId, InvoiceRecord, InvoiceStatus, Line, PaymentMode,
    Stage, credit_note_number, derive_status, invoice_number,
};
pub use ports::*;
pub use service::{
    CompanyProfileChanges, InvoiceDraft, InvoiceService, LEDGER_CAP, LEDGER_DEFAULT, LineDraft,
    MAX_LINES, live_invoice_exists, reminders, select_account,
};
