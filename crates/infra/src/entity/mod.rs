//! SeaORM entities: the rows as stored. They never leave the infra crate.

pub mod activity_logs;
pub mod approvals;
pub mod assignment_assignees;
pub mod assignment_floors;
pub mod assignment_messages;
pub mod assignment_tasks;
pub mod assignments;
pub mod banks;
pub mod branches;
pub mod calendar_events;
pub mod calendar_labels;
pub mod clients;
pub mod company_accounts;
pub mod company_profiles;
pub mod doc_templates;
pub mod idempotency_keys;
pub mod invoice_adjustments;
pub mod invoice_audit_logs;
pub mod invoice_items;
pub mod invoice_payments;
pub mod invoices;
pub mod login_failures;
pub mod property_subtypes;
pub mod property_types;
pub mod revoked_sessions;
pub mod users;
