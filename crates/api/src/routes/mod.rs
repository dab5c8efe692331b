//! HTTP handlers, one module per area. Each registers its routes (and their OpenAPI
//! operations) in `configure`.

pub mod activity;
pub mod approvals;
pub mod assignments;
pub mod attachments;
pub mod auth;
pub mod calendar;
pub mod documents;
pub mod health;
pub mod invoices;
pub mod leave;
pub mod master;
pub mod notifications;
pub mod task_templates;
pub mod users;
pub mod work;
