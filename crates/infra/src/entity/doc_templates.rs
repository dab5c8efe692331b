use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "doc_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub property_type_id: Option<i64>,
    pub property_subtype_id: Option<i64>,
    pub case_type: Option<String>,
    pub category: String,
    pub required: bool,
    pub notes: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
