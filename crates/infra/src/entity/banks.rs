use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "banks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
    pub is_active: bool,
    pub account_name: Option<String>,
    pub account_number: Option<String>,
    pub ifsc: Option<String>,
    pub account_bank_name: Option<String>,
    pub account_branch_name: Option<String>,
    pub upi_id: Option<String>,
    pub invoice_notes: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
