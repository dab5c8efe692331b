use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub assignment_code: String,
    pub code_year: i32,
    pub code_number: i64,
    pub case_type: String,
    pub service_line: String,
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub property_type_id: Option<i64>,
    pub property_subtype_id: Option<i64>,
    pub bank_name: Option<String>,
    pub branch_name: Option<String>,
    pub valuer_client_name: Option<String>,
    pub property_type_name: Option<String>,
    pub property_subtype_name: Option<String>,
    pub borrower_name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub land_area: Option<i64>,
    pub builtup_area: Option<i64>,
    pub status: String,
    pub created_by_user_id: i64,
    pub assigned_to_user_id: Option<i64>,
    pub assigned_at: Option<TimeDateTimeWithTimeZone>,
    pub site_visit_at: Option<TimeDateTimeWithTimeZone>,
    pub report_due_at: Option<TimeDateTimeWithTimeZone>,
    pub report_submitted_at: Option<TimeDateTimeWithTimeZone>,
    pub completed_at: Option<TimeDateTimeWithTimeZone>,
    pub cancelled_at: Option<TimeDateTimeWithTimeZone>,
    pub cancel_reason: Option<String>,
    pub fees_paise: Option<i64>,
    pub is_paid: bool,
    pub notes: Option<String>,
    pub due_at: TimeDateTimeWithTimeZone,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub deleted_at: Option<TimeDateTimeWithTimeZone>,
    pub deleted_by_user_id: Option<i64>,
    pub row_version: i64,
    /// What the list's `q` looks in (`text::search_document`), indexed by trigrams.
    pub search_text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
