//! Notifications (one row per recipient, unique per recipient and source key), their email
//! deliveries, people's email preferences, the leases of the background jobs, and task
//! templates with the record of where each was applied.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    Id,
    UserId,
    Type,
    Message,
    PayloadJson,
    DedupKey,
    ReadAt,
    SnoozedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum NotificationDeliveries {
    Table,
    Id,
    NotificationId,
    UserId,
    Type,
    Channel,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastAttemptAt,
    SentAt,
    ProviderMessageId,
    Error,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserNotificationPrefs {
    Table,
    UserId,
    EmailEnabled,
    PerTypeJson,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum JobLeases {
    Table,
    Job,
    Holder,
    LeaseUntil,
    Cursor,
    LastStartedAt,
    LastFinishedAt,
    LastResult,
    LastOk,
    Runs,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskTemplates {
    Table,
    Id,
    Name,
    TriggerEvent,
    TriggerStatus,
    CaseType,
    BankId,
    ServiceLine,
    TasksJson,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TaskTemplateRuns {
    Table,
    Id,
    AssignmentId,
    TemplateId,
    TriggerKey,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Assignments {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Banks {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(big_pk_auto(Notifications::Id))
                .col(big_integer(Notifications::UserId))
                .col(string_len(Notifications::Type, 40))
                .col(text(Notifications::Message))
                .col(text(Notifications::PayloadJson))
                .col(string_len(Notifications::DedupKey, 200))
                .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                .col(timestamp_with_time_zone_null(Notifications::SnoozedUntil))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone(Notifications::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_notifications_user_id_users",
                    Notifications::Table,
                    Notifications::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_notifications_user_id_dedup_key",
            Notifications::Table,
            &["user_id", "dedup_key"],
        ))
        .await?;
        m.create_index(index(
            "ix_notifications_user_id_created_at",
            Notifications::Table,
            &["user_id", "created_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_notifications_user_id_read_at",
            Notifications::Table,
            &["user_id", "read_at"],
        ))
        .await?;
        // A decided request marks read what asked everyone to decide it, by key.
        m.create_index(index(
            "ix_notifications_dedup_key",
            Notifications::Table,
            &["dedup_key"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(NotificationDeliveries::Table)
                .col(big_pk_auto(NotificationDeliveries::Id))
                .col(big_integer(NotificationDeliveries::NotificationId))
                .col(big_integer(NotificationDeliveries::UserId))
                .col(string_len(NotificationDeliveries::Type, 40))
                .col(string_len(NotificationDeliveries::Channel, 16))
                .col(string_len(NotificationDeliveries::Status, 16))
                .col(integer(NotificationDeliveries::Attempts).default(0))
                .col(timestamp_with_time_zone(
                    NotificationDeliveries::NextAttemptAt,
                ))
                .col(timestamp_with_time_zone_null(
                    NotificationDeliveries::ClaimedUntil,
                ))
                .col(timestamp_with_time_zone_null(
                    NotificationDeliveries::LastAttemptAt,
                ))
                .col(timestamp_with_time_zone_null(
                    NotificationDeliveries::SentAt,
                ))
                .col(string_len_null(
                    NotificationDeliveries::ProviderMessageId,
                    255,
                ))
                .col(text_null(NotificationDeliveries::Error))
                .col(timestamp_with_time_zone(NotificationDeliveries::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_notification_deliveries_notification_id_notifications",
                    NotificationDeliveries::Table,
                    NotificationDeliveries::NotificationId,
                    Notifications::Table,
                    Notifications::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_notification_deliveries_user_id_users",
                    NotificationDeliveries::Table,
                    NotificationDeliveries::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        for (name, cols) in [(
            "uq_notification_deliveries_notification_id_channel",
            &["notification_id", "channel"][..],
        )] {
            m.create_index(unique_index(name, NotificationDeliveries::Table, cols))
                .await?;
        }
        for (name, cols) in [
            (
                "ix_notification_deliveries_status_next_attempt_at",
                &["status", "next_attempt_at"][..],
            ),
            (
                "ix_notification_deliveries_user_id_sent_at",
                &["user_id", "sent_at"][..],
            ),
            ("ix_notification_deliveries_created_at", &["created_at"][..]),
        ] {
            m.create_index(index(name, NotificationDeliveries::Table, cols))
                .await?;
        }

        m.create_table(
            Table::create()
                .table(UserNotificationPrefs::Table)
                .col(big_integer(UserNotificationPrefs::UserId).primary_key())
                .col(boolean(UserNotificationPrefs::EmailEnabled).default(true))
                .col(text(UserNotificationPrefs::PerTypeJson))
                .col(timestamp_with_time_zone(UserNotificationPrefs::CreatedAt))
                .col(timestamp_with_time_zone(UserNotificationPrefs::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_user_notification_prefs_user_id_users",
                    UserNotificationPrefs::Table,
                    UserNotificationPrefs::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobLeases::Table)
                .col(string_len(JobLeases::Job, 40).primary_key())
                .col(string_len_null(JobLeases::Holder, 120))
                .col(timestamp_with_time_zone_null(JobLeases::LeaseUntil))
                .col(big_integer(JobLeases::Cursor).default(0))
                .col(timestamp_with_time_zone_null(JobLeases::LastStartedAt))
                .col(timestamp_with_time_zone_null(JobLeases::LastFinishedAt))
                .col(text_null(JobLeases::LastResult))
                .col(boolean_null(JobLeases::LastOk))
                .col(big_integer(JobLeases::Runs).default(0))
                .take(),
        )
        .await?;

        // A database that already has a trail starts the notifier at its end: the past
        // is not news. (A new database's trail is empty here; the demo seed comes after.)
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO job_leases (job, cursor, runs) \
                 SELECT 'notify', COALESCE(MAX(id), 0), 0 FROM activity_logs",
            )
            .await?;

        m.create_table(
            Table::create()
                .table(TaskTemplates::Table)
                .col(big_pk_auto(TaskTemplates::Id))
                .col(string_len(TaskTemplates::Name, 255))
                .col(string_len(TaskTemplates::TriggerEvent, 40))
                .col(string_len_null(TaskTemplates::TriggerStatus, 40))
                .col(string_len_null(TaskTemplates::CaseType, 40))
                .col(big_integer_null(TaskTemplates::BankId))
                .col(string_len_null(TaskTemplates::ServiceLine, 100))
                .col(text(TaskTemplates::TasksJson))
                .col(boolean(TaskTemplates::IsActive).default(true))
                .col(timestamp_with_time_zone(TaskTemplates::CreatedAt))
                .col(timestamp_with_time_zone(TaskTemplates::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_task_templates_bank_id_banks",
                    TaskTemplates::Table,
                    TaskTemplates::BankId,
                    Banks::Table,
                    Banks::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_task_templates_name",
            TaskTemplates::Table,
            &["name"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(TaskTemplateRuns::Table)
                .col(big_pk_auto(TaskTemplateRuns::Id))
                .col(big_integer(TaskTemplateRuns::AssignmentId))
                .col(big_integer(TaskTemplateRuns::TemplateId))
                .col(string_len(TaskTemplateRuns::TriggerKey, 60))
                .col(timestamp_with_time_zone(TaskTemplateRuns::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_task_template_runs_assignment_id_assignments",
                    TaskTemplateRuns::Table,
                    TaskTemplateRuns::AssignmentId,
                    Assignments::Table,
                    Assignments::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_task_template_runs_template_id_task_templates",
                    TaskTemplateRuns::Table,
                    TaskTemplateRuns::TemplateId,
                    TaskTemplates::Table,
                    TaskTemplates::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_task_template_runs_assignment_template_trigger",
            TaskTemplateRuns::Table,
            &["assignment_id", "template_id", "trigger_key"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TaskTemplateRuns::Table.into_iden(),
            TaskTemplates::Table.into_iden(),
            JobLeases::Table.into_iden(),
            UserNotificationPrefs::Table.into_iden(),
            NotificationDeliveries::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
