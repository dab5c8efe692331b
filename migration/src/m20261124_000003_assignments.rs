//! Assignments and what hangs off them: assignees, floors, the yearly code counter, tasks,
//! messages, the activity trail and calendar events.
//!
//! Amounts (fees, areas) are stored as integers in hundredths so that SQLite is as exact
//! as PostgreSQL. `due_at` is the SLA due time computed by the domain on every write, kept
//! so that overdue and due-soon counts are index lookups rather than table scans.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Assignments {
    Table,
    Id,
    AssignmentCode,
    CodeYear,
    CodeNumber,
    CaseType,
    ServiceLine,
    BankId,
    BranchId,
    ClientId,
    PropertyTypeId,
    PropertySubtypeId,
    BankName,
    BranchName,
    ValuerClientName,
    PropertyTypeName,
    PropertySubtypeName,
    BorrowerName,
    Phone,
    Address,
    LandArea,
    BuiltupArea,
    Status,
    CreatedByUserId,
    AssignedToUserId,
    AssignedAt,
    SiteVisitAt,
    ReportDueAt,
    ReportSubmittedAt,
    CompletedAt,
    CancelledAt,
    CancelReason,
    FeesPaise,
    IsPaid,
    Notes,
    DueAt,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    DeletedByUserId,
    RowVersion,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssignmentAssignees {
    Table,
    AssignmentId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssignmentFloors {
    Table,
    Id,
    AssignmentId,
    FloorName,
    Area,
    OrderIndex,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssignmentCodeCounters {
    Table,
    Year,
    LastNumber,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssignmentTasks {
    Table,
    Id,
    AssignmentId,
    Title,
    Description,
    Status,
    AssignedToUserId,
    DueAt,
    TemplateType,
    CreatedByUserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssignmentMessages {
    Table,
    Id,
    AssignmentId,
    SenderUserId,
    Message,
    Mentions,
    Pinned,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ActivityLogs {
    Table,
    Id,
    Type,
    ActorUserId,
    AssignmentId,
    Message,
    PayloadJson,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarEvents {
    Table,
    Id,
    EventType,
    Title,
    Description,
    StartAt,
    EndAt,
    AllDay,
    AssignmentId,
    CreatedByUserId,
    AssignedToUserId,
    AssignedUserIds,
    AssignedToAll,
    EventLabelId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Banks {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Branches {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PropertyTypes {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PropertySubtypes {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarLabels {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Assignments as A;
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        m.create_table(
            Table::create()
                .table(A::Table)
                .col(big_pk_auto(A::Id))
                .col(string_len(A::AssignmentCode, 50))
                .col(integer(A::CodeYear))
                .col(big_integer(A::CodeNumber))
                .col(string_len(A::CaseType, 32))
                .col(string_len(A::ServiceLine, 32))
                .col(big_integer_null(A::BankId))
                .col(big_integer_null(A::BranchId))
                .col(big_integer_null(A::ClientId))
                .col(big_integer_null(A::PropertyTypeId))
                .col(big_integer_null(A::PropertySubtypeId))
                .col(string_len_null(A::BankName, 255))
                .col(string_len_null(A::BranchName, 255))
                .col(string_len_null(A::ValuerClientName, 255))
                .col(string_len_null(A::PropertyTypeName, 255))
                .col(string_len_null(A::PropertySubtypeName, 255))
                .col(string_len_null(A::BorrowerName, 255))
                .col(string_len_null(A::Phone, 50))
                .col(text_null(A::Address))
                .col(big_integer_null(A::LandArea))
                .col(big_integer_null(A::BuiltupArea))
                .col(string_len(A::Status, 32))
                .col(big_integer(A::CreatedByUserId))
                .col(big_integer_null(A::AssignedToUserId))
                .col(timestamp_with_time_zone_null(A::AssignedAt))
                .col(timestamp_with_time_zone_null(A::SiteVisitAt))
                .col(timestamp_with_time_zone_null(A::ReportDueAt))
                .col(timestamp_with_time_zone_null(A::ReportSubmittedAt))
                .col(timestamp_with_time_zone_null(A::CompletedAt))
                .col(timestamp_with_time_zone_null(A::CancelledAt))
                .col(text_null(A::CancelReason))
                .col(big_integer_null(A::FeesPaise))
                .col(boolean(A::IsPaid).default(false))
                .col(text_null(A::Notes))
                .col(timestamp_with_time_zone(A::DueAt))
                .col(timestamp_with_time_zone(A::CreatedAt))
                .col(timestamp_with_time_zone(A::UpdatedAt))
                .col(timestamp_with_time_zone_null(A::DeletedAt))
                .col(big_integer_null(A::DeletedByUserId))
                // Bumped on every write; an update names the version it read (optimistic locking).
                .col(big_integer(A::RowVersion).default(1))
                .foreign_key(&mut fk(
                    "fk_assignments_bank_id_banks",
                    A::Table,
                    A::BankId,
                    Banks::Table,
                    Banks::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignments_branch_id_branches",
                    A::Table,
                    A::BranchId,
                    Branches::Table,
                    Branches::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignments_client_id_clients",
                    A::Table,
                    A::ClientId,
                    Clients::Table,
                    Clients::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignments_property_type_id_property_types",
                    A::Table,
                    A::PropertyTypeId,
                    PropertyTypes::Table,
                    PropertyTypes::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignments_property_subtype_id_property_subtypes",
                    A::Table,
                    A::PropertySubtypeId,
                    PropertySubtypes::Table,
                    PropertySubtypes::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignments_created_by_user_id_users",
                    A::Table,
                    A::CreatedByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_assignments_assigned_to_user_id_users",
                    A::Table,
                    A::AssignedToUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_assignments_assignment_code",
            A::Table,
            &["assignment_code"],
        ))
        .await?;
        m.create_index(unique_index(
            "uq_assignments_code_year_code_number",
            A::Table,
            &["code_year", "code_number"],
        ))
        .await?;
        for (name, cols) in [
            (
                "ix_assignments_deleted_at_created_at",
                &["deleted_at", "created_at"][..],
            ),
            (
                "ix_assignments_status_created_at",
                &["status", "created_at"][..],
            ),
            (
                "ix_assignments_bank_id_created_at",
                &["bank_id", "created_at"][..],
            ),
            (
                "ix_assignments_branch_id_created_at",
                &["branch_id", "created_at"][..],
            ),
            ("ix_assignments_client_id", &["client_id"][..]),
            ("ix_assignments_property_type_id", &["property_type_id"][..]),
            (
                "ix_assignments_assigned_to_user_id_created_at",
                &["assigned_to_user_id", "created_at"][..],
            ),
            (
                "ix_assignments_created_by_user_id_created_at",
                &["created_by_user_id", "created_at"][..],
            ),
            ("ix_assignments_due_at", &["due_at"][..]),
            ("ix_assignments_borrower_name", &["borrower_name"][..]),
        ] {
            m.create_index(index(name, A::Table, cols)).await?;
        }

        m.create_table(
            Table::create()
                .table(AssignmentAssignees::Table)
                .col(big_integer(AssignmentAssignees::AssignmentId))
                .col(big_integer(AssignmentAssignees::UserId))
                .primary_key(
                    Index::create()
                        .col(AssignmentAssignees::AssignmentId)
                        .col(AssignmentAssignees::UserId),
                )
                .foreign_key(&mut fk(
                    "fk_assignment_assignees_assignment_id_assignments",
                    AssignmentAssignees::Table,
                    AssignmentAssignees::AssignmentId,
                    A::Table,
                    A::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_assignment_assignees_user_id_users",
                    AssignmentAssignees::Table,
                    AssignmentAssignees::UserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_assignment_assignees_user_id",
            AssignmentAssignees::Table,
            &["user_id", "assignment_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AssignmentFloors::Table)
                .col(big_pk_auto(AssignmentFloors::Id))
                .col(big_integer(AssignmentFloors::AssignmentId))
                .col(string_len(AssignmentFloors::FloorName, 100))
                .col(big_integer(AssignmentFloors::Area))
                .col(integer(AssignmentFloors::OrderIndex).default(0))
                .foreign_key(&mut fk(
                    "fk_assignment_floors_assignment_id_assignments",
                    AssignmentFloors::Table,
                    AssignmentFloors::AssignmentId,
                    A::Table,
                    A::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_assignment_floors_assignment_id",
            AssignmentFloors::Table,
            &["assignment_id", "order_index"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AssignmentCodeCounters::Table)
                .col(integer(AssignmentCodeCounters::Year).primary_key())
                .col(big_integer(AssignmentCodeCounters::LastNumber))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AssignmentTasks::Table)
                .col(big_pk_auto(AssignmentTasks::Id))
                .col(big_integer(AssignmentTasks::AssignmentId))
                .col(string_len(AssignmentTasks::Title, 255))
                .col(text_null(AssignmentTasks::Description))
                .col(string_len(AssignmentTasks::Status, 16))
                .col(big_integer_null(AssignmentTasks::AssignedToUserId))
                .col(timestamp_with_time_zone_null(AssignmentTasks::DueAt))
                .col(string_len_null(AssignmentTasks::TemplateType, 100))
                .col(big_integer(AssignmentTasks::CreatedByUserId))
                .col(timestamp_with_time_zone(AssignmentTasks::CreatedAt))
                .col(timestamp_with_time_zone(AssignmentTasks::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_assignment_tasks_assignment_id_assignments",
                    AssignmentTasks::Table,
                    AssignmentTasks::AssignmentId,
                    A::Table,
                    A::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_assignment_tasks_assigned_to_user_id_users",
                    AssignmentTasks::Table,
                    AssignmentTasks::AssignedToUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_assignment_tasks_assignment_id",
            AssignmentTasks::Table,
            &["assignment_id", "created_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_assignment_tasks_assigned_to_user_id",
            AssignmentTasks::Table,
            &["assigned_to_user_id", "status"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AssignmentMessages::Table)
                .col(big_pk_auto(AssignmentMessages::Id))
                .col(big_integer(AssignmentMessages::AssignmentId))
                .col(big_integer(AssignmentMessages::SenderUserId))
                .col(text(AssignmentMessages::Message))
                // JSON text: [user ids] mentioned, for notifications.
                .col(text(AssignmentMessages::Mentions))
                .col(boolean(AssignmentMessages::Pinned).default(false))
                .col(timestamp_with_time_zone(AssignmentMessages::CreatedAt))
                .col(timestamp_with_time_zone(AssignmentMessages::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_assignment_messages_assignment_id_assignments",
                    AssignmentMessages::Table,
                    AssignmentMessages::AssignmentId,
                    A::Table,
                    A::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_assignment_messages_assignment_id",
            AssignmentMessages::Table,
            &["assignment_id", "created_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(ActivityLogs::Table)
                .col(big_pk_auto(ActivityLogs::Id))
                .col(string_len(ActivityLogs::Type, 100))
                .col(big_integer_null(ActivityLogs::ActorUserId))
                .col(big_integer_null(ActivityLogs::AssignmentId))
                .col(text_null(ActivityLogs::Message))
                .col(text(ActivityLogs::PayloadJson))
                .col(timestamp_with_time_zone(ActivityLogs::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_activity_logs_assignment_id_assignments",
                    ActivityLogs::Table,
                    ActivityLogs::AssignmentId,
                    A::Table,
                    A::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        for (name, cols) in [
            ("ix_activity_logs_created_at", &["created_at"][..]),
            (
                "ix_activity_logs_assignment_id_created_at",
                &["assignment_id", "created_at"][..],
            ),
            (
                "ix_activity_logs_actor_user_id_created_at",
                &["actor_user_id", "created_at"][..],
            ),
            (
                "ix_activity_logs_type_created_at",
                &["type", "created_at"][..],
            ),
        ] {
            m.create_index(index(name, ActivityLogs::Table, cols))
                .await?;
        }

        m.create_table(
            Table::create()
                .table(CalendarEvents::Table)
                .col(big_pk_auto(CalendarEvents::Id))
                .col(string_len(CalendarEvents::EventType, 32))
                .col(string_len(CalendarEvents::Title, 255))
                .col(text_null(CalendarEvents::Description))
                .col(timestamp_with_time_zone(CalendarEvents::StartAt))
                .col(timestamp_with_time_zone(CalendarEvents::EndAt))
                .col(boolean(CalendarEvents::AllDay).default(false))
                .col(big_integer_null(CalendarEvents::AssignmentId))
                .col(big_integer(CalendarEvents::CreatedByUserId))
                .col(big_integer_null(CalendarEvents::AssignedToUserId))
                // JSON text: [user ids] the event is for.
                .col(text(CalendarEvents::AssignedUserIds))
                .col(boolean(CalendarEvents::AssignedToAll).default(false))
                .col(big_integer_null(CalendarEvents::EventLabelId))
                .col(timestamp_with_time_zone(CalendarEvents::CreatedAt))
                .col(timestamp_with_time_zone(CalendarEvents::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_calendar_events_assignment_id_assignments",
                    CalendarEvents::Table,
                    CalendarEvents::AssignmentId,
                    A::Table,
                    A::Id,
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_calendar_events_event_label_id_calendar_labels",
                    CalendarEvents::Table,
                    CalendarEvents::EventLabelId,
                    CalendarLabels::Table,
                    CalendarLabels::Id,
                    SetNull,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_calendar_events_start_at",
            CalendarEvents::Table,
            &["start_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_calendar_events_assignment_id",
            CalendarEvents::Table,
            &["assignment_id", "event_type"],
        ))
        .await?;
        Ok(())
    }
}
