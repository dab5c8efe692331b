//! API tests: every test runs the real server on a random port over its own database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod approvals;
mod assignments;
mod auth;
mod calendar;
mod documents;
mod edge;
mod hardening;
mod invoices;
mod leave;
mod master;
mod notifications;
mod openapi;
mod performance;
mod rbac;
mod smtp;
mod users;
