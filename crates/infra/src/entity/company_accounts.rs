use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bank_id: Option<i64>,
    pub account_name: String,
    pub account_number: String,
    pub ifsc_code: Option<String>,
    pub bank_name: String,
    pub branch_name: Option<String>,
    pub upi_id: Option<String>,
    pub is_primary: bool,
    pub is_active: bool,
    pub notes: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
