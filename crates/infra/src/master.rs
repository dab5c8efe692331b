//! One generic SeaORM repository serves every kind of master data; each kind says how its
//! fields map to its table and which constraints guard it.

use std::marker::PhantomData;

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue, ColumnTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use time::OffsetDateTime;
use zenops_domain::master::{
    BankFields, Banks, BranchFields, Branches, CalendarLabelFields, CalendarLabels, ClientFields,
    Clients, CompanyAccountFields, CompanyAccounts, DocTemplateFields, DocTemplates, HolidayFields,
    Holidays, MasterFilter, MasterKind, MasterRepository, PropertySubtypeFields, PropertySubtypes,
    PropertyTypeFields, PropertyTypes, Record,
};
use zenops_domain::page::{Page, Paged};
use zenops_domain::{DomainError, DomainResult, FieldErrors};

use crate::entity::{
    banks, branches, calendar_labels, clients, company_accounts, doc_templates, holidays,
    property_subtypes, property_types,
};
use crate::error::{UniqueRule, Violation, duplicate, unexpected, violation};
use crate::{Database, SharedClock};

/// When a row is written: the id to update (none on insert) and the time.
#[derive(Clone, Copy)]
pub(crate) struct Stamp {
    id: Option<i64>,
    now: OffsetDateTime,
}

impl Stamp {
    /// For a new row.
    pub(crate) fn new(now: OffsetDateTime) -> Self {
        Self { id: None, now }
    }

    /// The year the row is written in (UTC).
    pub(crate) fn year(self) -> i32 {
        self.now.year()
    }

    fn id(self) -> ActiveValue<i64> {
        self.id.map_or(ActiveValue::NotSet, ActiveValue::Unchanged)
    }

    fn created_at(self) -> ActiveValue<OffsetDateTime> {
        match self.id {
            None => Set(self.now),
            Some(_) => ActiveValue::NotSet,
        }
    }

    fn updated_at(self) -> ActiveValue<OffsetDateTime> {
        Set(self.now)
    }
}

/// How one kind of master data is stored.
pub(crate) trait MasterTable: MasterKind {
    type Entity: EntityTrait<Model = Self::Model, ActiveModel = Self::Active>;
    type Model: IntoActiveModel<Self::Active> + sea_orm::FromQueryResult + Send + Sync;
    type Active: ActiveModelTrait<Entity = Self::Entity> + ActiveModelBehavior + Send + Sync;

    const UNIQUE: &'static [UniqueRule];
    /// The field whose reference failed when a write breaks a foreign key.
    const REFERENCE: Option<(&'static str, &'static str)> = None;
    /// What deleting a referenced row says.
    const IN_USE: &'static str;

    fn active(fields: &Self::Fields, stamp: Stamp) -> Self::Active;
    fn record(model: Self::Model) -> Record<Self::Fields>;
    fn narrow(query: Select<Self::Entity>, filter: MasterFilter) -> Select<Self::Entity>;

    /// Keeps invariants that span rows after a write, inside its transaction.
    #[allow(unused_variables)]
    fn after_write(id: i64, fields: &Self::Fields) -> Option<sea_orm::UpdateMany<Self::Entity>> {
        None
    }
}

pub(crate) struct SeaMasterRepository<K> {
    db: Database,
    clock: SharedClock,
    kind: PhantomData<K>,
}

impl<K> SeaMasterRepository<K> {
    pub(crate) fn new(db: Database, clock: SharedClock) -> Self {
        Self {
            db,
            clock,
            kind: PhantomData,
        }
    }
}

impl<K: MasterTable> SeaMasterRepository<K>
where
    <K::Entity as EntityTrait>::PrimaryKey: PrimaryKeyTrait<ValueType = i64>,
{
    fn write_error(err: sea_orm::DbErr) -> DomainError {
        match violation(&err) {
            Some(Violation::Unique(message)) => duplicate(&message, K::UNIQUE),
            Some(Violation::ForeignKey) => match K::REFERENCE {
                Some((field, message)) => {
                    DomainError::Validation(FieldErrors::single(field, message))
                }
                None => unexpected(err),
            },
            None => unexpected(err),
        }
    }

    async fn save(&self, fields: &K::Fields, id: Option<i64>) -> DomainResult<Record<K::Fields>> {
        let stamp = Stamp {
            id,
            now: self.db.stored_time(self.clock.now()),
        };
        let (txn, _turn) = self.db.begin_write().await.map_err(unexpected)?;
        let active = K::active(fields, stamp);
        let saved = match id {
            None => active.insert(&txn).await,
            Some(_) => active.update(&txn).await,
        };
        let saved = match saved {
            Ok(model) => K::record(model),
            Err(sea_orm::DbErr::RecordNotUpdated) => return Err(DomainError::NotFound(K::NOUN)),
            Err(err) => return Err(Self::write_error(err)),
        };
        if let Some(update) = K::after_write(saved.id, &saved.fields) {
            update.exec(&txn).await.map_err(unexpected)?;
        }
        txn.commit().await.map_err(unexpected)?;
        Ok(saved)
    }
}

#[async_trait]
impl<K: MasterTable> MasterRepository<K> for SeaMasterRepository<K>
where
    <K::Entity as EntityTrait>::PrimaryKey: PrimaryKeyTrait<ValueType = i64>,
{
    async fn list(
        &self,
        filter: MasterFilter,
        page: Page,
    ) -> DomainResult<Paged<Record<K::Fields>>> {
        let query = K::narrow(K::Entity::find(), filter);
        let total = query
            .clone()
            .count(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let rows = query
            .offset(page.skip)
            .limit(page.limit)
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(Paged {
            items: rows.into_iter().map(K::record).collect(),
            total,
        })
    }

    async fn get(&self, id: i64) -> DomainResult<Record<K::Fields>> {
        K::Entity::find_by_id(id)
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .map(K::record)
            .ok_or(DomainError::NotFound(K::NOUN))
    }

    async fn insert(&self, fields: &K::Fields) -> DomainResult<Record<K::Fields>> {
        self.save(fields, None).await
    }

    async fn update(&self, id: i64, fields: &K::Fields) -> DomainResult<Record<K::Fields>> {
        self.save(fields, Some(id)).await
    }

    async fn delete(&self, id: i64) -> DomainResult<()> {
        match K::Entity::delete_by_id(id).exec(&self.db.conn).await {
            Ok(result) if result.rows_affected == 0 => Err(DomainError::NotFound(K::NOUN)),
            Ok(_) => Ok(()),
            Err(err) => match violation(&err) {
                Some(Violation::ForeignKey) => Err(DomainError::conflict("referenced", K::IN_USE)),
                _ => Err(unexpected(err)),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------

impl MasterTable for Banks {
    type Entity = banks::Entity;
    type Model = banks::Model;
    type Active = banks::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[
        UniqueRule {
            constraint: "uq_banks_name",
            sqlite_columns: "banks.name",
            detail: "A bank with this name already exists",
        },
        UniqueRule {
            constraint: "uq_banks_code",
            sqlite_columns: "banks.code",
            detail: "A bank with this code already exists",
        },
    ];
    const IN_USE: &'static str =
        "This bank still has branches or other records that refer to it; deactivate it instead";

    fn active(f: &BankFields, at: Stamp) -> banks::ActiveModel {
        banks::ActiveModel {
            id: at.id(),
            name: Set(f.name.clone()),
            code: Set(f.code.clone()),
            is_active: Set(f.is_active),
            account_name: Set(f.account_name.clone()),
            account_number: Set(f.account_number.clone()),
            ifsc: Set(f.ifsc.clone()),
            account_bank_name: Set(f.account_bank_name.clone()),
            account_branch_name: Set(f.account_branch_name.clone()),
            upi_id: Set(f.upi_id.clone()),
            invoice_notes: Set(f.invoice_notes.clone()),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: banks::Model) -> Record<BankFields> {
        Record {
            id: m.id,
            fields: BankFields {
                name: m.name,
                code: m.code,
                is_active: m.is_active,
                account_name: m.account_name,
                account_number: m.account_number,
                ifsc: m.ifsc,
                account_bank_name: m.account_bank_name,
                account_branch_name: m.account_branch_name,
                upi_id: m.upi_id,
                invoice_notes: m.invoice_notes,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(query: Select<banks::Entity>, _: MasterFilter) -> Select<banks::Entity> {
        query.order_by_asc(banks::Column::Name)
    }
}

impl MasterTable for Branches {
    type Entity = branches::Entity;
    type Model = branches::Model;
    type Active = branches::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[UniqueRule {
        constraint: "uq_branches_bank_id_name",
        sqlite_columns: "branches.bank_id, branches.name",
        detail: "This bank already has a branch with this name",
    }];
    const REFERENCE: Option<(&'static str, &'static str)> =
        Some(("bank_id", "no bank has this id"));
    const IN_USE: &'static str =
        "This branch is referred to by other records; deactivate it instead";

    fn active(f: &BranchFields, at: Stamp) -> branches::ActiveModel {
        branches::ActiveModel {
            id: at.id(),
            bank_id: Set(f.bank_id),
            name: Set(f.name.clone()),
            code: Set(f.code.clone()),
            city: Set(f.city.clone()),
            state: Set(f.state.clone()),
            is_active: Set(f.is_active),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: branches::Model) -> Record<BranchFields> {
        Record {
            id: m.id,
            fields: BranchFields {
                bank_id: m.bank_id,
                name: m.name,
                code: m.code,
                city: m.city,
                state: m.state,
                is_active: m.is_active,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(
        mut query: Select<branches::Entity>,
        filter: MasterFilter,
    ) -> Select<branches::Entity> {
        if let Some(bank_id) = filter.parent_id {
            query = query.filter(branches::Column::BankId.eq(bank_id));
        }
        query
            .order_by_asc(branches::Column::Name)
            .order_by_asc(branches::Column::Id)
    }
}

impl MasterTable for Clients {
    type Entity = clients::Entity;
    type Model = clients::Model;
    type Active = clients::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[UniqueRule {
        constraint: "uq_clients_name",
        sqlite_columns: "clients.name",
        detail: "A client with this name already exists",
    }];
    const IN_USE: &'static str =
        "This client is referred to by other records; deactivate it instead";

    fn active(f: &ClientFields, at: Stamp) -> clients::ActiveModel {
        clients::ActiveModel {
            id: at.id(),
            name: Set(f.name.clone()),
            client_type: Set(f.client_type.clone()),
            contact_name: Set(f.contact_name.clone()),
            contact_phone: Set(f.contact_phone.clone()),
            contact_email: Set(f.contact_email.clone()),
            is_active: Set(f.is_active),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: clients::Model) -> Record<ClientFields> {
        Record {
            id: m.id,
            fields: ClientFields {
                name: m.name,
                client_type: m.client_type,
                contact_name: m.contact_name,
                contact_phone: m.contact_phone,
                contact_email: m.contact_email,
                is_active: m.is_active,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(query: Select<clients::Entity>, _: MasterFilter) -> Select<clients::Entity> {
        query.order_by_asc(clients::Column::Name)
    }
}

impl MasterTable for PropertyTypes {
    type Entity = property_types::Entity;
    type Model = property_types::Model;
    type Active = property_types::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[UniqueRule {
        constraint: "uq_property_types_name",
        sqlite_columns: "property_types.name",
        detail: "A property type with this name already exists",
    }];
    const IN_USE: &'static str = "This property type still has subtypes or other records that refer to it; deactivate it instead";

    fn active(f: &PropertyTypeFields, at: Stamp) -> property_types::ActiveModel {
        property_types::ActiveModel {
            id: at.id(),
            name: Set(f.name.clone()),
            description: Set(f.description.clone()),
            is_active: Set(f.is_active),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: property_types::Model) -> Record<PropertyTypeFields> {
        Record {
            id: m.id,
            fields: PropertyTypeFields {
                name: m.name,
                description: m.description,
                is_active: m.is_active,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(
        query: Select<property_types::Entity>,
        _: MasterFilter,
    ) -> Select<property_types::Entity> {
        query.order_by_asc(property_types::Column::Name)
    }
}

impl MasterTable for PropertySubtypes {
    type Entity = property_subtypes::Entity;
    type Model = property_subtypes::Model;
    type Active = property_subtypes::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[UniqueRule {
        constraint: "uq_property_subtypes_property_type_id_name",
        sqlite_columns: "property_subtypes.property_type_id, property_subtypes.name",
        detail: "This property type already has a subtype with this name",
    }];
    const REFERENCE: Option<(&'static str, &'static str)> =
        Some(("property_type_id", "no property type has this id"));
    const IN_USE: &'static str =
        "This property subtype is referred to by other records; deactivate it instead";

    fn active(f: &PropertySubtypeFields, at: Stamp) -> property_subtypes::ActiveModel {
        property_subtypes::ActiveModel {
            id: at.id(),
            property_type_id: Set(f.property_type_id),
            name: Set(f.name.clone()),
            description: Set(f.description.clone()),
            is_active: Set(f.is_active),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: property_subtypes::Model) -> Record<PropertySubtypeFields> {
        Record {
            id: m.id,
            fields: PropertySubtypeFields {
                property_type_id: m.property_type_id,
                name: m.name,
                description: m.description,
                is_active: m.is_active,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(
        mut query: Select<property_subtypes::Entity>,
        filter: MasterFilter,
    ) -> Select<property_subtypes::Entity> {
        if let Some(type_id) = filter.parent_id {
            query = query.filter(property_subtypes::Column::PropertyTypeId.eq(type_id));
        }
        query
            .order_by_asc(property_subtypes::Column::PropertyTypeId)
            .order_by_asc(property_subtypes::Column::Name)
    }
}

impl MasterTable for CompanyAccounts {
    type Entity = company_accounts::Entity;
    type Model = company_accounts::Model;
    type Active = company_accounts::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[UniqueRule {
        constraint: "uq_company_accounts_account_number",
        sqlite_columns: "company_accounts.account_number",
        detail: "A company account with this account number already exists",
    }];
    const REFERENCE: Option<(&'static str, &'static str)> =
        Some(("bank_id", "no bank has this id"));
    const IN_USE: &'static str =
        "This account is referred to by other records; deactivate it instead";

    fn active(f: &CompanyAccountFields, at: Stamp) -> company_accounts::ActiveModel {
        company_accounts::ActiveModel {
            id: at.id(),
            bank_id: Set(f.bank_id),
            account_name: Set(f.account_name.clone()),
            account_number: Set(f.account_number.clone()),
            ifsc_code: Set(f.ifsc_code.clone()),
            bank_name: Set(f.bank_name.clone()),
            branch_name: Set(f.branch_name.clone()),
            upi_id: Set(f.upi_id.clone()),
            is_primary: Set(f.is_primary),
            is_active: Set(f.is_active),
            notes: Set(f.notes.clone()),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: company_accounts::Model) -> Record<CompanyAccountFields> {
        Record {
            id: m.id,
            fields: CompanyAccountFields {
                bank_id: m.bank_id,
                account_name: m.account_name,
                account_number: m.account_number,
                ifsc_code: m.ifsc_code,
                bank_name: m.bank_name,
                branch_name: m.branch_name,
                upi_id: m.upi_id,
                is_primary: m.is_primary,
                is_active: m.is_active,
                notes: m.notes,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(
        mut query: Select<company_accounts::Entity>,
        filter: MasterFilter,
    ) -> Select<company_accounts::Entity> {
        if let Some(bank_id) = filter.parent_id {
            query = query.filter(company_accounts::Column::BankId.eq(bank_id));
        }
        query
            .order_by_desc(company_accounts::Column::IsPrimary)
            .order_by_asc(company_accounts::Column::Id)
    }

    /// At most one account is primary: making one primary clears the rest.
    fn after_write(
        id: i64,
        fields: &CompanyAccountFields,
    ) -> Option<sea_orm::UpdateMany<company_accounts::Entity>> {
        fields.is_primary.then(|| {
            company_accounts::Entity::update_many()
                .col_expr(company_accounts::Column::IsPrimary, Expr::value(false))
                .filter(company_accounts::Column::Id.ne(id))
                .filter(company_accounts::Column::IsPrimary.eq(true))
        })
    }
}

impl MasterTable for CalendarLabels {
    type Entity = calendar_labels::Entity;
    type Model = calendar_labels::Model;
    type Active = calendar_labels::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[UniqueRule {
        constraint: "uq_calendar_labels_name",
        sqlite_columns: "calendar_labels.name",
        detail: "A calendar label with this name already exists",
    }];
    const IN_USE: &'static str =
        "This label is referred to by calendar events; deactivate it instead";

    fn active(f: &CalendarLabelFields, at: Stamp) -> calendar_labels::ActiveModel {
        calendar_labels::ActiveModel {
            id: at.id(),
            name: Set(f.name.clone()),
            description: Set(f.description.clone()),
            default_event_type: Set(f.default_event_type.as_str().to_owned()),
            is_active: Set(f.is_active),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: calendar_labels::Model) -> Record<CalendarLabelFields> {
        Record {
            id: m.id,
            fields: CalendarLabelFields {
                name: m.name,
                description: m.description,
                // Only valid values are ever written; an unknown one reads as a meeting.
                default_event_type: m
                    .default_event_type
                    .parse()
                    .unwrap_or(zenops_domain::master::CalendarEventType::InternalMeeting),
                is_active: m.is_active,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(
        query: Select<calendar_labels::Entity>,
        _: MasterFilter,
    ) -> Select<calendar_labels::Entity> {
        query.order_by_asc(calendar_labels::Column::Name)
    }
}

impl MasterTable for Holidays {
    type Entity = holidays::Entity;
    type Model = holidays::Model;
    type Active = holidays::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[UniqueRule {
        constraint: "uq_holidays_holiday_date",
        sqlite_columns: "holidays.holiday_date",
        detail: "There is already a holiday on this date",
    }];
    const IN_USE: &'static str = "This holiday is in use";

    fn active(f: &HolidayFields, at: Stamp) -> holidays::ActiveModel {
        holidays::ActiveModel {
            id: at.id(),
            holiday_date: Set(f.date),
            name: Set(f.name.clone()),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: holidays::Model) -> Record<HolidayFields> {
        Record {
            id: m.id,
            fields: HolidayFields {
                date: m.holiday_date,
                name: m.name,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(query: Select<holidays::Entity>, _: MasterFilter) -> Select<holidays::Entity> {
        query.order_by_asc(holidays::Column::HolidayDate)
    }
}

impl MasterTable for DocTemplates {
    type Entity = doc_templates::Entity;
    type Model = doc_templates::Model;
    type Active = doc_templates::ActiveModel;
    const UNIQUE: &'static [UniqueRule] = &[];
    const REFERENCE: Option<(&'static str, &'static str)> = Some((
        "bank_id",
        "bank_id, branch_id, property_type_id or property_subtype_id names a record that does not exist",
    ));
    const IN_USE: &'static str = "This checklist rule is referred to by other records";

    fn active(f: &DocTemplateFields, at: Stamp) -> doc_templates::ActiveModel {
        doc_templates::ActiveModel {
            id: at.id(),
            bank_id: Set(f.bank_id),
            branch_id: Set(f.branch_id),
            property_type_id: Set(f.property_type_id),
            property_subtype_id: Set(f.property_subtype_id),
            case_type: Set(f.case_type.map(|t| t.as_str().to_owned())),
            category: Set(f.category.clone()),
            required: Set(f.required),
            notes: Set(f.notes.clone()),
            created_at: at.created_at(),
            updated_at: at.updated_at(),
        }
    }

    fn record(m: doc_templates::Model) -> Record<DocTemplateFields> {
        Record {
            id: m.id,
            fields: DocTemplateFields {
                bank_id: m.bank_id,
                branch_id: m.branch_id,
                property_type_id: m.property_type_id,
                property_subtype_id: m.property_subtype_id,
                // Only valid values are ever written.
                case_type: m.case_type.and_then(|t| t.parse().ok()),
                category: m.category,
                required: m.required,
                notes: m.notes,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    fn narrow(
        query: Select<doc_templates::Entity>,
        _: MasterFilter,
    ) -> Select<doc_templates::Entity> {
        query
            .order_by_asc(doc_templates::Column::Category)
            .order_by_asc(doc_templates::Column::Id)
    }
}
