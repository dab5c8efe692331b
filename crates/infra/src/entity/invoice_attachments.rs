use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub invoice_id: i64,
    pub uploaded_by_user_id: i64,
    pub original_name: String,
    pub object_key: String,
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
    pub category: Option<String>,
    pub deleted_at: Option<TimeDateTimeWithTimeZone>,
    pub deleted_by_user_id: Option<i64>,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
