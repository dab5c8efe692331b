//! Zen Ops domain: the firm's rules, free of IO. Adapters implement the ports defined here.
#![forbid(unsafe_code)]

pub mod access;
pub mod activity;
pub mod approval;
pub mod assignment;
pub mod auth;
pub mod calendar;
pub mod clock;
pub mod document;
pub mod error;
pub mod instant;
pub mod invoice;
pub mod jobs;
pub mod leave;
pub mod master;
pub mod message;
pub mod money;
mod named;
pub mod notification;
pub mod page;
pub mod sla;
pub mod task;
pub mod task_template;
#[cfg(test)]
mod testing;
pub mod text;
pub mod user;
pub mod work;
pub mod workdays;

pub use access::{Actor, Capability, Role, Roles};
pub use error::{DomainError, DomainResult, FieldErrors};
