use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub assignment_id: i64,
    pub assignment_code: String,
    pub search_text: String,
    pub invoice_number: Option<String>,
    pub status: String,
    pub stage: String,
    pub currency: String,
    pub issued_date: TimeDate,
    pub due_date: Option<TimeDate>,
    pub tax_rate: i32,
    pub discount_paise: i64,
    pub subtotal_paise: i64,
    pub taxable_paise: i64,
    pub tax_paise: i64,
    pub total_paise: i64,
    pub paid_paise: i64,
    pub credited_paise: i64,
    pub due_paise: i64,
    pub is_paid: bool,
    pub cgst_paise: Option<i64>,
    pub sgst_paise: Option<i64>,
    pub igst_paise: Option<i64>,
    pub bill_to_name: Option<String>,
    pub bill_to_address: Option<String>,
    pub bill_to_gstin: Option<String>,
    pub place_of_supply: Option<String>,
    pub terms: Option<String>,
    pub notes: Option<String>,
    pub company_account_id: Option<i64>,
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub issued_at: Option<TimeDateTimeWithTimeZone>,
    pub sent_at: Option<TimeDateTimeWithTimeZone>,
    pub paid_at: Option<TimeDateTimeWithTimeZone>,
    pub voided_at: Option<TimeDateTimeWithTimeZone>,
    pub void_reason: Option<String>,
    pub voided_by_user_id: Option<i64>,
    pub created_by_user_id: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub row_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
