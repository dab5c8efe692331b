//! Zen Ops domain: the firm's rules, free of IO. Adapters implement the ports defined here.
#![forbid(unsafe_code)]

pub mod access;
pub mod auth;
pub mod clock;
pub mod error;
pub mod master;
pub mod money;
pub mod page;
pub mod user;

pub use access::{Actor, Capability, Role, Roles};
pub use error::{DomainError, DomainResult, FieldErrors};
