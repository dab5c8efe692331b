use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approvals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entity_type: String,
    pub entity_id: i64,
    pub action_type: String,
    pub requester_user_id: i64,
    pub approver_user_id: Option<i64>,
    pub status: String,
    pub reason: Option<String>,
    pub payload_json: String,
    pub decision_comment: Option<String>,
    pub decided_at: Option<TimeDateTimeWithTimeZone>,
    pub decided_by_user_id: Option<i64>,
    pub assignment_id: Option<i64>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
