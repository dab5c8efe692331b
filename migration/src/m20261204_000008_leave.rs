//! Leave, holidays and the calendar's links: leave requests and their decisions, the firm's
//! holidays (working days), secret iCal feed links, and the columns that tie a calendar
//! event to the leave or task it stands for.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveIden, Clone, Copy)]
enum LeaveRequests {
    Table,
    Id,
    RequesterUserId,
    LeaveType,
    HalfDaySession,
    StartDate,
    EndDate,
    Hours,
    WorkingHalfDays,
    Reason,
    Status,
    ApproverUserId,
    DecidedAt,
    DecisionComment,
    CancelledByUserId,
    CancelledAt,
    CalendarEventId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Holidays {
    Table,
    Id,
    HolidayDate,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarFeedTokens {
    Table,
    UserId,
    TokenHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarEvents {
    Table,
    RelatedLeaveRequestId,
    TaskId,
    PayloadJson,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};
        m.create_table(
            Table::create()
                .table(LeaveRequests::Table)
                .col(big_pk_auto(LeaveRequests::Id))
                .col(big_integer(LeaveRequests::RequesterUserId))
                .col(string_len(LeaveRequests::LeaveType, 16))
                .col(string_len_null(LeaveRequests::HalfDaySession, 16))
                .col(date(LeaveRequests::StartDate))
                .col(date(LeaveRequests::EndDate))
                .col(double_null(LeaveRequests::Hours))
                .col(integer(LeaveRequests::WorkingHalfDays))
                .col(text_null(LeaveRequests::Reason))
                .col(string_len(LeaveRequests::Status, 16))
                .col(big_integer_null(LeaveRequests::ApproverUserId))
                .col(timestamp_with_time_zone_null(LeaveRequests::DecidedAt))
                .col(text_null(LeaveRequests::DecisionComment))
                .col(big_integer_null(LeaveRequests::CancelledByUserId))
                .col(timestamp_with_time_zone_null(LeaveRequests::CancelledAt))
                .col(big_integer_null(LeaveRequests::CalendarEventId))
                .col(timestamp_with_time_zone(LeaveRequests::CreatedAt))
                .col(timestamp_with_time_zone(LeaveRequests::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_leave_requests_requester_user_id_users",
                    LeaveRequests::Table,
                    LeaveRequests::RequesterUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_leave_requests_approver_user_id_users",
                    LeaveRequests::Table,
                    LeaveRequests::ApproverUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_leave_requests_cancelled_by_user_id_users",
                    LeaveRequests::Table,
                    LeaveRequests::CancelledByUserId,
                    Users::Table,
                    Users::Id,
                    Restrict,
                ))
                .take(),
        )
        .await?;
        // Someone's leave by date (overlap, "on leave on"), the inbox, the list by status.
        for (name, cols) in [
            (
                "ix_leave_requests_requester_dates",
                &["requester_user_id", "start_date", "end_date"][..],
            ),
            (
                "ix_leave_requests_status_dates",
                &["status", "start_date"][..],
            ),
        ] {
            m.create_index(index(name, LeaveRequests::Table, cols))
                .await?;
        }

        m.create_table(
            Table::create()
                .table(Holidays::Table)
                .col(big_pk_auto(Holidays::Id))
                .col(date(Holidays::HolidayDate))
                .col(string_len(Holidays::Name, 255))
                .col(timestamp_with_time_zone(Holidays::CreatedAt))
                .col(timestamp_with_time_zone(Holidays::UpdatedAt))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_holidays_holiday_date",
            Holidays::Table,
            &["holiday_date"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(CalendarFeedTokens::Table)
                .col(big_integer(CalendarFeedTokens::UserId).primary_key())
                .col(string_len(CalendarFeedTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(CalendarFeedTokens::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_calendar_feed_tokens_user_id_users",
                    CalendarFeedTokens::Table,
                    CalendarFeedTokens::UserId,
                    Users::Table,
                    Users::Id,
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(unique_index(
            "uq_calendar_feed_tokens_token_hash",
            CalendarFeedTokens::Table,
            &["token_hash"],
        ))
        .await?;

        // SQLite cannot add a column with a foreign key to an existing table; the owning
        // leave request and task remove their events in the same transaction instead.
        for column in [
            ColumnDef::new(CalendarEvents::RelatedLeaveRequestId)
                .big_integer()
                .null()
                .take(),
            ColumnDef::new(CalendarEvents::TaskId)
                .big_integer()
                .null()
                .take(),
            ColumnDef::new(CalendarEvents::PayloadJson)
                .text()
                .null()
                .take(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(CalendarEvents::Table)
                    .add_column(column)
                    .take(),
            )
            .await?;
        }
        for (name, col) in [
            (
                "ix_calendar_events_related_leave",
                "related_leave_request_id",
            ),
            ("ix_calendar_events_task_id", "task_id"),
        ] {
            m.create_index(index(name, CalendarEvents::Table, &[col]))
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveMigrationName)]
pub struct Migration;
