use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_type: String,
    pub title: String,
    pub description: Option<String>,
    pub start_at: TimeDateTimeWithTimeZone,
    pub end_at: TimeDateTimeWithTimeZone,
    pub all_day: bool,
    pub assignment_id: Option<i64>,
    pub created_by_user_id: i64,
    pub assigned_to_user_id: Option<i64>,
    pub assigned_user_ids: String,
    pub assigned_to_all: bool,
    pub event_label_id: Option<i64>,
    pub related_leave_request_id: Option<i64>,
    pub task_id: Option<i64>,
    pub payload_json: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
