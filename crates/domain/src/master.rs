//! Master data: the reference lists the firm's work points at (banks and their branches,
//! clients, property types, the firm's own bank accounts, calendar labels).
//!
//! Every kind follows one pattern: a validated field set, a draft that creates or patches
//! it, and the capability that guards writes. [`MasterService`] applies the pattern.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::access::{Actor, Capability};
use crate::error::{DomainError, DomainResult, FieldErrors};
use crate::page::{Page, Paged};
use crate::text::limits;
use crate::user::Email;

/// A stored master row: its id, its fields and when it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<F> {
    pub id: i64,
    pub fields: F,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One kind of master data.
pub trait MasterKind: Send + Sync + 'static {
    /// The complete, valid field set.
    type Fields: Clone + fmt::Debug + Send + Sync;
    /// A create or patch request: `None` keeps the current value (or the default on create).
    type Draft: Send;
    /// The singular name used in messages ("Bank").
    const NOUN: &'static str;
    /// What a writer must be allowed to do.
    const MANAGE: Capability;

    /// Applies a draft to the current fields (`None` on create) and validates the result.
    fn merge(
        current: Option<&Self::Fields>,
        draft: Self::Draft,
    ) -> Result<Self::Fields, FieldErrors>;
}

/// Master lists are short; one page holds them all unless the caller asks for less.
pub const LIST_CAP: u64 = 1000;

/// Narrows a list; `parent_id` is the owning bank or property type where a kind has one.
#[derive(Debug, Clone, Copy, Default)]
pub struct MasterFilter {
    pub parent_id: Option<i64>,
}

#[async_trait]
pub trait MasterRepository<K: MasterKind>: Send + Sync {
    async fn list(
        &self,
        filter: MasterFilter,
        page: Page,
    ) -> DomainResult<Paged<Record<K::Fields>>>;
    async fn get(&self, id: i64) -> DomainResult<Record<K::Fields>>;
    /// Fails with `Conflict("duplicate")` on a taken name or code and with a validation
    /// error when a referenced row does not exist.
    async fn insert(&self, fields: &K::Fields) -> DomainResult<Record<K::Fields>>;
    async fn update(&self, id: i64, fields: &K::Fields) -> DomainResult<Record<K::Fields>>;
    /// Fails with `Conflict("referenced")` while other rows point at it.
    async fn delete(&self, id: i64) -> DomainResult<()>;
}

pub struct MasterService<K: MasterKind> {
    repo: Arc<dyn MasterRepository<K>>,
    kind: PhantomData<K>,
}

impl<K: MasterKind> Clone for MasterService<K> {
    fn clone(&self) -> Self {
        Self {
            repo: Arc::clone(&self.repo),
            kind: PhantomData,
        }
    }
}

impl<K: MasterKind> MasterService<K> {
    pub fn new(repo: Arc<dyn MasterRepository<K>>) -> Self {
        Self {
            repo,
            kind: PhantomData,
        }
    }

    /// Every signed-in user may read master data: forms need it.
    pub async fn list(
        &self,
        _actor: &Actor,
        filter: MasterFilter,
        page: Page,
    ) -> DomainResult<Paged<Record<K::Fields>>> {
        self.repo.list(filter, page).await
    }

    pub async fn get(&self, _actor: &Actor, id: i64) -> DomainResult<Record<K::Fields>> {
        self.repo.get(id).await
    }

    pub async fn create(&self, actor: &Actor, draft: K::Draft) -> DomainResult<Record<K::Fields>> {
        actor.require(K::MANAGE)?;
        let fields = K::merge(None, draft).map_err(DomainError::Validation)?;
        self.repo.insert(&fields).await
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: i64,
        draft: K::Draft,
    ) -> DomainResult<Record<K::Fields>> {
        actor.require(K::MANAGE)?;
        let current = self.repo.get(id).await?;
        let fields = K::merge(Some(&current.fields), draft).map_err(DomainError::Validation)?;
        self.repo.update(id, &fields).await
    }

    pub async fn delete(&self, actor: &Actor, id: i64) -> DomainResult<()> {
        actor.require(K::MANAGE)?;
        self.repo.delete(id).await
    }
}

/// Collects field errors while a draft is merged into a field set.
#[derive(Default)]
struct Merge {
    errors: FieldErrors,
}

impl Merge {
    fn required(
        &mut self,
        field: &str,
        new: Option<String>,
        old: Option<&String>,
        max: usize,
    ) -> String {
        match new.map(|v| self.limit(field, &v, max)) {
            Some(value) if value.is_empty() => {
                self.errors.add(field, "must not be empty");
                value
            }
            Some(value) => value,
            None => match old {
                Some(old) => old.clone(),
                None => {
                    self.errors.add(field, "is required");
                    String::new()
                }
            },
        }
    }

    fn optional(
        &mut self,
        field: &str,
        new: Option<Option<String>>,
        old: Option<&Option<String>>,
        max: usize,
    ) -> Option<String> {
        match new {
            Some(value) => value
                .map(|v| self.limit(field, &v, max))
                .filter(|v| !v.is_empty()),
            None => old.cloned().flatten(),
        }
    }

    /// Trimmed, free of control characters and at most `max` characters (the error is
    /// recorded and the text returned as it is, so merging can go on).
    fn limit(&mut self, field: &str, value: &str, max: usize) -> String {
        match crate::text::parse(value, max) {
            Ok(text) => text,
            Err(message) => {
                self.errors.add(field, message);
                value.trim().to_owned()
            }
        }
    }

    fn parsed<T>(
        &mut self,
        field: &str,
        value: Option<String>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        value.and_then(|v| self.errors.check(field, parse(&v)))
    }

    fn reference(&mut self, field: &str, new: Option<i64>, old: Option<i64>) -> i64 {
        match new.or(old) {
            Some(id) if id > 0 => id,
            Some(_) => {
                self.errors.add(field, "must be a positive id");
                0
            }
            None => {
                self.errors.add(field, "is required");
                0
            }
        }
    }

    fn finish<F>(self, fields: F) -> Result<F, FieldErrors> {
        if self.errors.is_empty() {
            Ok(fields)
        } else {
            Err(self.errors)
        }
    }
}

fn flag(new: Option<bool>, old: Option<bool>, default: bool) -> bool {
    new.or(old).unwrap_or(default)
}

/// Indian Financial System Code: four letters, a zero, six letters or digits.
pub fn parse_ifsc(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_uppercase();
    let bytes = code.as_bytes();
    let valid = bytes.len() == 11
        && bytes[..4].iter().all(u8::is_ascii_alphabetic)
        && bytes[4] == b'0'
        && bytes[5..].iter().all(u8::is_ascii_alphanumeric);
    if valid {
        Ok(code)
    } else {
        Err(format!(
            "'{}' is not an IFSC code (e.g. HDFC0001234)",
            raw.trim()
        ))
    }
}

fn parse_email(raw: &str) -> Result<String, String> {
    Email::parse(raw).map(|e| e.as_str().to_owned())
}

// ---------------------------------------------------------------------------------------
// Banks

pub struct Banks;

/// A bank on the firm's panel, with the account the firm is paid into for its cases and
/// the notes printed on its invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFields {
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
}

#[derive(Debug, Clone, Default)]
pub struct BankDraft {
    pub name: Option<String>,
    pub code: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub account_name: Option<Option<String>>,
    pub account_number: Option<Option<String>>,
    pub ifsc: Option<Option<String>>,
    pub account_bank_name: Option<Option<String>>,
    pub account_branch_name: Option<Option<String>>,
    pub upi_id: Option<Option<String>>,
    pub invoice_notes: Option<Option<String>>,
}

impl MasterKind for Banks {
    type Fields = BankFields;
    type Draft = BankDraft;
    const NOUN: &'static str = "Bank";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(c: Option<&BankFields>, d: BankDraft) -> Result<BankFields, FieldErrors> {
        let mut m = Merge::default();
        let name = m.required("name", d.name, c.map(|c| &c.name), limits::NAME);
        if name.chars().count() == 1 {
            m.errors.add("name", "must be at least 2 characters");
        }
        let ifsc = m.optional("ifsc", d.ifsc, c.map(|c| &c.ifsc), limits::IFSC);
        // Upper-casing can lengthen text (`ß` → `SS`), so the limit is checked after it.
        let code = m.optional(
            "code",
            d.code.map(|o| o.map(|c| c.to_uppercase())),
            c.map(|c| &c.code),
            limits::CODE,
        );
        let fields = BankFields {
            name,
            code,
            is_active: flag(d.is_active, c.map(|c| c.is_active), true),
            account_name: m.optional(
                "account_name",
                d.account_name,
                c.map(|c| &c.account_name),
                limits::NAME,
            ),
            account_number: m.optional(
                "account_number",
                d.account_number,
                c.map(|c| &c.account_number),
                limits::ACCOUNT_NUMBER,
            ),
            ifsc: m.parsed("ifsc", ifsc, parse_ifsc),
            account_bank_name: m.optional(
                "account_bank_name",
                d.account_bank_name,
                c.map(|c| &c.account_bank_name),
                limits::NAME,
            ),
            account_branch_name: m.optional(
                "account_branch_name",
                d.account_branch_name,
                c.map(|c| &c.account_branch_name),
                limits::NAME,
            ),
            upi_id: m.optional("upi_id", d.upi_id, c.map(|c| &c.upi_id), limits::NAME),
            invoice_notes: m.optional(
                "invoice_notes",
                d.invoice_notes,
                c.map(|c| &c.invoice_notes),
                limits::NOTE,
            ),
        };
        m.finish(fields)
    }
}

// ---------------------------------------------------------------------------------------
// Branches

pub struct Branches;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchFields {
    pub bank_id: i64,
    pub name: String,
    pub code: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub is_active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct BranchDraft {
    pub bank_id: Option<i64>,
    pub name: Option<String>,
    pub code: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub state: Option<Option<String>>,
    pub is_active: Option<bool>,
}

impl MasterKind for Branches {
    type Fields = BranchFields;
    type Draft = BranchDraft;
    const NOUN: &'static str = "Branch";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(c: Option<&BranchFields>, d: BranchDraft) -> Result<BranchFields, FieldErrors> {
        let mut m = Merge::default();
        let fields = BranchFields {
            bank_id: m.reference("bank_id", d.bank_id, c.map(|c| c.bank_id)),
            name: m.required("name", d.name, c.map(|c| &c.name), limits::NAME),
            code: m.optional("code", d.code, c.map(|c| &c.code), limits::CODE),
            city: m.optional("city", d.city, c.map(|c| &c.city), limits::SHORT),
            state: m.optional("state", d.state, c.map(|c| &c.state), limits::SHORT),
            is_active: flag(d.is_active, c.map(|c| c.is_active), true),
        };
        m.finish(fields)
    }
}

// ---------------------------------------------------------------------------------------
// Clients

pub struct Clients;

/// A party that commissions valuations directly (not through a bank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFields {
    pub name: String,
    pub client_type: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub is_active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ClientDraft {
    pub name: Option<String>,
    pub client_type: Option<Option<String>>,
    pub contact_name: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
    pub is_active: Option<bool>,
}

impl MasterKind for Clients {
    type Fields = ClientFields;
    type Draft = ClientDraft;
    const NOUN: &'static str = "Client";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(c: Option<&ClientFields>, d: ClientDraft) -> Result<ClientFields, FieldErrors> {
        let mut m = Merge::default();
        let email = m.optional(
            "contact_email",
            d.contact_email,
            c.map(|c| &c.contact_email),
            limits::NAME,
        );
        let fields = ClientFields {
            name: m.required("name", d.name, c.map(|c| &c.name), limits::NAME),
            client_type: m.optional(
                "client_type",
                d.client_type,
                c.map(|c| &c.client_type),
                limits::SHORT,
            ),
            contact_name: m.optional(
                "contact_name",
                d.contact_name,
                c.map(|c| &c.contact_name),
                limits::NAME,
            ),
            contact_phone: m.optional(
                "contact_phone",
                d.contact_phone,
                c.map(|c| &c.contact_phone),
                50,
            ),
            contact_email: m.parsed("contact_email", email, parse_email),
            is_active: flag(d.is_active, c.map(|c| c.is_active), true),
        };
        m.finish(fields)
    }
}

// ---------------------------------------------------------------------------------------
// Property types and subtypes

pub struct PropertyTypes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyTypeFields {
    pub name: String,
    pub description: Option<String>,
    pub is_active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct PropertyTypeDraft {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub is_active: Option<bool>,
}

impl MasterKind for PropertyTypes {
    type Fields = PropertyTypeFields;
    type Draft = PropertyTypeDraft;
    const NOUN: &'static str = "Property type";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(
        c: Option<&PropertyTypeFields>,
        d: PropertyTypeDraft,
    ) -> Result<PropertyTypeFields, FieldErrors> {
        let mut m = Merge::default();
        let fields = PropertyTypeFields {
            name: m.required("name", d.name, c.map(|c| &c.name), limits::NAME),
            description: m.optional(
                "description",
                d.description,
                c.map(|c| &c.description),
                limits::NOTE,
            ),
            is_active: flag(d.is_active, c.map(|c| c.is_active), true),
        };
        m.finish(fields)
    }
}

pub struct PropertySubtypes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertySubtypeFields {
    pub property_type_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub is_active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct PropertySubtypeDraft {
    pub property_type_id: Option<i64>,
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub is_active: Option<bool>,
}

impl MasterKind for PropertySubtypes {
    type Fields = PropertySubtypeFields;
    type Draft = PropertySubtypeDraft;
    const NOUN: &'static str = "Property subtype";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(
        c: Option<&PropertySubtypeFields>,
        d: PropertySubtypeDraft,
    ) -> Result<PropertySubtypeFields, FieldErrors> {
        let mut m = Merge::default();
        let fields = PropertySubtypeFields {
            property_type_id: m.reference(
                "property_type_id",
                d.property_type_id,
                c.map(|c| c.property_type_id),
            ),
            name: m.required("name", d.name, c.map(|c| &c.name), limits::NAME),
            description: m.optional(
                "description",
                d.description,
                c.map(|c| &c.description),
                limits::NOTE,
            ),
            is_active: flag(d.is_active, c.map(|c| c.is_active), true),
        };
        m.finish(fields)
    }
}

// ---------------------------------------------------------------------------------------
// Company accounts

pub struct CompanyAccounts;

/// One of the firm's own bank accounts, printed on invoices. At most one is primary; an
/// account linked to a bank is the one used for that bank's cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyAccountFields {
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
}

#[derive(Debug, Clone, Default)]
pub struct CompanyAccountDraft {
    pub bank_id: Option<Option<i64>>,
    pub account_name: Option<String>,
    pub account_number: Option<String>,
    pub ifsc_code: Option<Option<String>>,
    pub bank_name: Option<String>,
    pub branch_name: Option<Option<String>>,
    pub upi_id: Option<Option<String>>,
    pub is_primary: Option<bool>,
    pub is_active: Option<bool>,
    pub notes: Option<Option<String>>,
}

impl MasterKind for CompanyAccounts {
    type Fields = CompanyAccountFields;
    type Draft = CompanyAccountDraft;
    const NOUN: &'static str = "Company account";
    const MANAGE: Capability = Capability::ManageCompanyAccounts;

    fn merge(
        c: Option<&CompanyAccountFields>,
        d: CompanyAccountDraft,
    ) -> Result<CompanyAccountFields, FieldErrors> {
        let mut m = Merge::default();
        let ifsc = m.optional(
            "ifsc_code",
            d.ifsc_code,
            c.map(|c| &c.ifsc_code),
            limits::IFSC,
        );
        let is_active = flag(d.is_active, c.map(|c| c.is_active), true);
        let is_primary = flag(d.is_primary, c.map(|c| c.is_primary), false);
        if is_primary && !is_active {
            m.errors
                .add("is_primary", "an inactive account cannot be primary");
        }
        let fields = CompanyAccountFields {
            bank_id: match d.bank_id {
                Some(new) => new,
                None => c.and_then(|c| c.bank_id),
            },
            account_name: m.required(
                "account_name",
                d.account_name,
                c.map(|c| &c.account_name),
                limits::NAME,
            ),
            account_number: m.required(
                "account_number",
                d.account_number,
                c.map(|c| &c.account_number),
                limits::ACCOUNT_NUMBER,
            ),
            ifsc_code: m.parsed("ifsc_code", ifsc, parse_ifsc),
            bank_name: m.required(
                "bank_name",
                d.bank_name,
                c.map(|c| &c.bank_name),
                limits::NAME,
            ),
            branch_name: m.optional(
                "branch_name",
                d.branch_name,
                c.map(|c| &c.branch_name),
                limits::NAME,
            ),
            upi_id: m.optional("upi_id", d.upi_id, c.map(|c| &c.upi_id), limits::NAME),
            is_primary,
            is_active,
            notes: m.optional("notes", d.notes, c.map(|c| &c.notes), limits::NOTE),
        };
        m.finish(fields)
    }
}

// ---------------------------------------------------------------------------------------
// Calendar labels

/// What a calendar entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarEventType {
    SiteVisit,
    ReportDue,
    DocPickup,
    InternalMeeting,
    TaskDue,
    Leave,
    PaymentFollowup,
}

impl CalendarEventType {
    pub const ALL: [CalendarEventType; 7] = [
        Self::SiteVisit,
        Self::ReportDue,
        Self::DocPickup,
        Self::InternalMeeting,
        Self::TaskDue,
        Self::Leave,
        Self::PaymentFollowup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SiteVisit => "SITE_VISIT",
            Self::ReportDue => "REPORT_DUE",
            Self::DocPickup => "DOC_PICKUP",
            Self::InternalMeeting => "INTERNAL_MEETING",
            Self::TaskDue => "TASK_DUE",
            Self::Leave => "LEAVE",
            Self::PaymentFollowup => "PAYMENT_FOLLOWUP",
        }
    }
}

impl FromStr for CalendarEventType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown event type '{s}'"))
    }
}

pub struct CalendarLabels;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarLabelFields {
    pub name: String,
    pub description: Option<String>,
    pub default_event_type: CalendarEventType,
    pub is_active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CalendarLabelDraft {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub default_event_type: Option<String>,
    pub is_active: Option<bool>,
}

impl MasterKind for CalendarLabels {
    type Fields = CalendarLabelFields;
    type Draft = CalendarLabelDraft;
    const NOUN: &'static str = "Calendar label";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(
        c: Option<&CalendarLabelFields>,
        d: CalendarLabelDraft,
    ) -> Result<CalendarLabelFields, FieldErrors> {
        let mut m = Merge::default();
        let event_type = m.parsed("default_event_type", d.default_event_type, |s| s.parse());
        let fields = CalendarLabelFields {
            name: m.required("name", d.name, c.map(|c| &c.name), limits::NAME),
            description: m.optional(
                "description",
                d.description,
                c.map(|c| &c.description),
                limits::NOTE,
            ),
            default_event_type: event_type
                .or(c.map(|c| c.default_event_type))
                .unwrap_or(CalendarEventType::InternalMeeting),
            is_active: flag(d.is_active, c.map(|c| c.is_active), true),
        };
        m.finish(fields)
    }
}

// ---------------------------------------------------------------------------------------
// Holidays

/// The firm's holidays: days nobody works, like the weekly off days.
pub struct Holidays;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayFields {
    pub date: time::Date,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct HolidayDraft {
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub name: Option<String>,
}

impl MasterKind for Holidays {
    type Fields = HolidayFields;
    type Draft = HolidayDraft;
    const NOUN: &'static str = "Holiday";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(c: Option<&HolidayFields>, d: HolidayDraft) -> Result<HolidayFields, FieldErrors> {
        let mut m = Merge::default();
        let date = match d.date {
            Some(raw) => m.errors.check("date", crate::instant::parse_day(&raw)),
            None => {
                if c.is_none() {
                    m.errors.add("date", "is required");
                }
                c.map(|c| c.date)
            }
        };
        let name = m.required("name", d.name, c.map(|c| &c.name), limits::NAME);
        match date {
            Some(date) => m.finish(HolidayFields { date, name }),
            None => Err(m.errors),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Document checklist rules

/// How the work came in: through a bank, another valuer, or a client directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseType {
    Bank,
    ExternalValuer,
    DirectClient,
}

impl CaseType {
    pub const ALL: [CaseType; 3] = [Self::Bank, Self::ExternalValuer, Self::DirectClient];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bank => "BANK",
            Self::ExternalValuer => "EXTERNAL_VALUER",
            Self::DirectClient => "DIRECT_CLIENT",
        }
    }
}

impl FromStr for CaseType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("unknown case type '{s}' (BANK, EXTERNAL_VALUER or DIRECT_CLIENT)")
            })
    }
}

pub struct DocTemplates;

/// A checklist rule: a document category that work matching the given bank, branch,
/// property type/subtype and case type needs. Empty criteria match everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocTemplateFields {
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub property_type_id: Option<i64>,
    pub property_subtype_id: Option<i64>,
    pub case_type: Option<CaseType>,
    pub category: String,
    pub required: bool,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DocTemplateDraft {
    pub bank_id: Option<Option<i64>>,
    pub branch_id: Option<Option<i64>>,
    pub property_type_id: Option<Option<i64>>,
    pub property_subtype_id: Option<Option<i64>>,
    pub case_type: Option<Option<String>>,
    pub category: Option<String>,
    pub required: Option<bool>,
    pub notes: Option<Option<String>>,
}

fn keep_or<T: Copy>(new: Option<Option<T>>, old: Option<Option<T>>) -> Option<T> {
    match new {
        Some(value) => value,
        None => old.flatten(),
    }
}

impl MasterKind for DocTemplates {
    type Fields = DocTemplateFields;
    type Draft = DocTemplateDraft;
    const NOUN: &'static str = "Checklist template";
    const MANAGE: Capability = Capability::ManageMasterData;

    fn merge(
        c: Option<&DocTemplateFields>,
        d: DocTemplateDraft,
    ) -> Result<DocTemplateFields, FieldErrors> {
        let mut m = Merge::default();
        let case_type = match d.case_type {
            Some(Some(raw)) if !raw.trim().is_empty() => {
                m.parsed("case_type", Some(raw), |s| s.parse())
            }
            Some(_) => None,
            None => c.and_then(|c| c.case_type),
        };
        let fields = DocTemplateFields {
            bank_id: keep_or(d.bank_id, c.map(|c| c.bank_id)),
            branch_id: keep_or(d.branch_id, c.map(|c| c.branch_id)),
            property_type_id: keep_or(d.property_type_id, c.map(|c| c.property_type_id)),
            property_subtype_id: keep_or(d.property_subtype_id, c.map(|c| c.property_subtype_id)),
            case_type,
            category: m.required(
                "category",
                d.category,
                c.map(|c| &c.category),
                limits::SHORT,
            ),
            required: flag(d.required, c.map(|c| c.required), true),
            notes: m.optional("notes", d.notes, c.map(|c| &c.notes), limits::NOTE),
        };
        m.finish(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn create_requires_fields_and_reports_each() {
        let err = CompanyAccounts::merge(None, CompanyAccountDraft::default()).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["account_name", "account_number", "bank_name"]);
    }

    #[test]
    fn a_code_is_held_to_its_limit_after_upper_casing() {
        // 50 characters in, 150 once upper-cased: over the column's 50.
        let err = Banks::merge(
            None,
            BankDraft {
                name: some("Ligature Bank"),
                code: Some(some(&"\u{fb03}".repeat(50))),
                ..BankDraft::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("code"), "{err}");
    }

    #[test]
    fn patch_keeps_unspecified_fields_and_clears_explicit_nulls() {
        let created = Banks::merge(
            None,
            BankDraft {
                name: some(" Axis Bank "),
                code: Some(some("axis")),
                ifsc: Some(some("utib0000001")),
                ..BankDraft::default()
            },
        )
        .unwrap();
        assert_eq!(created.name, "Axis Bank");
        assert_eq!(created.code.as_deref(), Some("AXIS"));
        assert_eq!(created.ifsc.as_deref(), Some("UTIB0000001"));
        assert!(created.is_active);

        let patched = Banks::merge(
            Some(&created),
            BankDraft {
                code: Some(None),
                is_active: Some(false),
                ..BankDraft::default()
            },
        )
        .unwrap();
        assert_eq!(patched.name, "Axis Bank");
        assert_eq!(patched.code, None);
        assert!(!patched.is_active);
    }

    #[test]
    fn bad_values_are_named() {
        let err = Banks::merge(
            None,
            BankDraft {
                name: some("A"),
                ifsc: Some(some("12345")),
                ..BankDraft::default()
            },
        )
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "ifsc"]);
        let err = Clients::merge(
            None,
            ClientDraft {
                name: some("X"),
                contact_email: Some(some("not-an-email")),
                ..ClientDraft::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.iter().next().unwrap().field, "contact_email");
        let err = CalendarLabels::merge(
            None,
            CalendarLabelDraft {
                name: some("Holiday"),
                default_event_type: some("PARTY"),
                ..CalendarLabelDraft::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.iter().next().unwrap().field, "default_event_type");
    }

    #[test]
    fn an_inactive_account_cannot_be_primary() {
        let err = CompanyAccounts::merge(
            None,
            CompanyAccountDraft {
                account_name: some("Ops"),
                account_number: some("1"),
                bank_name: some("HDFC"),
                is_primary: Some(true),
                is_active: Some(false),
                ..CompanyAccountDraft::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.iter().next().unwrap().field, "is_primary");
    }

    #[test]
    fn checklist_rules_need_a_category_and_a_known_case_type() {
        let err = DocTemplates::merge(
            None,
            DocTemplateDraft {
                case_type: Some(some("LOAN")),
                ..DocTemplateDraft::default()
            },
        )
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["case_type", "category"]);
        let rule = DocTemplates::merge(
            None,
            DocTemplateDraft {
                category: some("Sale Deed"),
                case_type: Some(some("bank")),
                bank_id: Some(Some(1)),
                ..DocTemplateDraft::default()
            },
        )
        .unwrap();
        assert_eq!(rule.case_type, Some(CaseType::Bank));
        assert!(rule.required);
        let cleared = DocTemplates::merge(
            Some(&rule),
            DocTemplateDraft {
                bank_id: Some(None),
                case_type: Some(None),
                ..DocTemplateDraft::default()
            },
        )
        .unwrap();
        assert_eq!((cleared.bank_id, cleared.case_type), (None, None));
        assert_eq!(cleared.category, "Sale Deed");
    }

    #[test]
    fn ifsc_shape() {
        assert!(parse_ifsc("HDFC0001234").is_ok());
        assert!(parse_ifsc("HDFC1001234").is_err());
        assert!(parse_ifsc("HDF0001234").is_err());
    }
}
