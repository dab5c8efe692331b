//! Invoices: what the firm bills for an assignment, its tax, and what has been paid or
//! credited against it.

pub mod arithmetic;

pub use arithmetic::{DEFAULT_GST_RATE, Priced, Quantity, Rate, TaxSplit, Totals, compute, split};
