//! Approvals: requests for changes their requester may not make directly, decided by
//! someone else. And the flag that makes a user choose a new password (set when a password
//! reset is approved: the reset itself never carries a password).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index};

#[derive(DeriveIden, Clone, Copy)]
enum Approvals {
    Table,
    Id,
    EntityType,
    EntityId,
    ActionType,
    RequesterUserId,
    ApproverUserId,
    Status,
    Reason,
    PayloadJson,
    DecisionComment,
    DecidedAt,
    DecidedByUserId,
    AssignmentId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    PasswordChangeRequired,
}

#[derive(DeriveIden, Clone, Copy)]
enum Assignments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Restrict;
        m.create_table(
            Table::create()
                .table(Approvals::Table)
                .col(big_pk_auto(Approvals::Id))
                .col(string_len(Approvals::EntityType, 16))
                .col(big_integer(Approvals::EntityId))
                .col(string_len(Approvals::ActionType, 32))
                .col(big_integer(Approvals::RequesterUserId))
                .col(big_integer_null(Approvals::ApproverUserId))
                .col(string_len(Approvals::Status, 16))
                .col(text_null(Approvals::Reason))
                .col(text(Approvals::PayloadJson))
                .col(text_null(Approvals::DecisionComment))
                .col(timestamp_with_time_zone_null(Approvals::DecidedAt))
                .col(big_integer_null(Approvals::DecidedByUserId))
                .col(big_integer_null(Approvals::AssignmentId))
                .col(timestamp_with_time_zone(Approvals::CreatedAt))
                .col(timestamp_with_time_zone(Approvals::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_approvals_requester_user_id_users",
                    Approvals::Table,
                    Approvals::RequesterUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_approvals_approver_user_id_users",
                    Approvals::Table,
                    Approvals::ApproverUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_approvals_decided_by_user_id_users",
                    Approvals::Table,
                    Approvals::DecidedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_approvals_assignment_id_assignments",
                    Approvals::Table,
                    Approvals::AssignmentId,
                    Assignments::Table,
                    Assignments::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        // The inbox (pending, by kind), "mine", a named approver's, an assignment's.
        for (name, cols) in [
            (
                "ix_approvals_status_kind",
                &["status", "entity_type", "action_type"][..],
            ),
            ("ix_approvals_requester", &["requester_user_id", "id"][..]),
            ("ix_approvals_approver", &["approver_user_id", "status"][..]),
            ("ix_approvals_assignment", &["assignment_id", "status"][..]),
        ] {
            m.create_index(index(name, Approvals::Table, cols)).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(boolean(Users::PasswordChangeRequired).default(false))
                .take(),
        )
        .await
    }
}

#[derive(DeriveMigrationName)]
pub struct Migration;
