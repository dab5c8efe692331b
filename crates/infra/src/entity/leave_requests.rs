use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub requester_user_id: i64,
    pub leave_type: String,
    pub half_day_session: Option<String>,
    pub start_date: TimeDate,
    pub end_date: TimeDate,
    pub hours: Option<f64>,
    pub working_half_days: i32,
    pub reason: Option<String>,
    pub status: String,
    pub approver_user_id: Option<i64>,
    pub decided_at: Option<TimeDateTimeWithTimeZone>,
    pub decision_comment: Option<String>,
    pub cancelled_by_user_id: Option<i64>,
    pub cancelled_at: Option<TimeDateTimeWithTimeZone>,
    pub calendar_event_id: Option<i64>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
