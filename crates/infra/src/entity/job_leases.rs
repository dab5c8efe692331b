use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub job: String,
    pub holder: Option<String>,
    pub lease_until: Option<TimeDateTimeWithTimeZone>,
    pub cursor: i64,
    pub last_started_at: Option<TimeDateTimeWithTimeZone>,
    pub last_finished_at: Option<TimeDateTimeWithTimeZone>,
    pub last_result: Option<String>,
    pub last_ok: Option<bool>,
    pub runs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
