//! The Zen Ops schema. Migrations are append-only: a change to the schema is a new file,
//! never an edit of one that has shipped. They run at every start of the server.
#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261124_000001_foundation;
mod m20261124_000002_doc_templates;
mod m20261124_000003_assignments;
mod m20261124_000004_assignment_count_indexes;
mod m20261201_000005_user_session_generation;
mod m20261203_000006_approvals;
mod m20261203_000007_invoices;
mod m20261204_000008_leave;
mod m20261204_000009_documents;
mod m20261204_000010_notifications;
mod m20261205_000011_search;
mod m20261205_000012_assignment_tallies;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_foundation::Migration),
            Box::new(m20261124_000002_doc_templates::Migration),
            Box::new(m20261124_000003_assignments::Migration),
            Box::new(m20261124_000004_assignment_count_indexes::Migration),
            Box::new(m20261201_000005_user_session_generation::Migration),
            Box::new(m20261203_000006_approvals::Migration),
            Box::new(m20261203_000007_invoices::Migration),
            Box::new(m20261204_000008_leave::Migration),
            Box::new(m20261204_000009_documents::Migration),
            Box::new(m20261204_000010_notifications::Migration),
            Box::new(m20261205_000011_search::Migration),
            Box::new(m20261205_000012_assignment_tallies::Migration),
        ]
    }
}
