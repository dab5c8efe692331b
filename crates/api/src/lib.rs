//! The Zen Ops HTTP API: thin actix-web handlers over the domain services.
#![forbid(unsafe_code)]

pub mod config;
pub mod dto;
pub mod edge;
pub mod error;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod session;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Settings;
pub use startup::Application;
