//! HTTP handlers, one module per area. Each registers its routes (and their OpenAPI
//! operations) in `configure`.

pub mod auth;
pub mod health;
pub mod master;
pub mod users;
