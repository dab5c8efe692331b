//! The demo firm: a user of every role (password `password`), banks with branches and
//! account details, clients, property types, company accounts, calendar labels and
//! document checklist rules.
//! Written in one transaction, and only into a database that has no users yet.

use sea_orm::{
    ActiveModelTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, Set, TransactionTrait,
};
use zenops_domain::access::{CapabilityOverrides, Role, Roles};
use zenops_domain::instant::Instant;
use zenops_domain::master::{
    BankFields, Banks, BranchFields, Branches, CalendarEventType, CalendarLabelFields,
    CalendarLabels, CaseType, ClientFields, Clients, CompanyAccountFields, CompanyAccounts,
    DocTemplateFields, DocTemplates, HolidayFields, Holidays, PropertySubtypeFields,
    PropertySubtypes, PropertyTypeFields, PropertyTypes,
};
use zenops_domain::user::{Email, NewPassword, PasswordHasher, UserProfile};
use zenops_domain::{DomainError, DomainResult};

use crate::entity::users;
use crate::error::unexpected;
use crate::master::{MasterTable, Stamp};
use crate::users::apply_profile;
use crate::{Database, SharedClock};

/// The demo password of every demo user. Demo only: production refuses demo data.
pub const DEMO_PASSWORD: &str = "password";

pub const DEMO_USERS: [(&str, &str, Role); 7] = [
    ("admin@zenops.local", "Admin", Role::Admin),
    ("ops@zenops.local", "Ops Manager", Role::OpsManager),
    ("hr@zenops.local", "HR Manager", Role::Hr),
    ("finance@zenops.local", "Finance", Role::Finance),
    (
        "assistant@zenops.local",
        "Assistant Valuer",
        Role::AssistantValuer,
    ),
    ("field@zenops.local", "Field Valuer", Role::FieldValuer),
    ("employee@zenops.local", "Employee", Role::Employee),
];

/// Whether the database has no users (a fresh install).
pub async fn has_no_users(db: &Database) -> DomainResult<bool> {
    Ok(users::Entity::find()
        .count(&db.conn)
        .await
        .map_err(unexpected)?
        == 0)
}

/// Seeds the demo firm; returns `false` (and writes nothing) when users already exist.
pub async fn seed_demo(
    db: &Database,
    hasher: &dyn PasswordHasher,
    clock: &SharedClock,
) -> DomainResult<bool> {
    if !has_no_users(db).await? {
        return Ok(false);
    }
    let now = db.stored_time(clock.now());
    let txn = db.conn.begin().await.map_err(unexpected)?;
    let password = NewPassword::unchecked(DEMO_PASSWORD);
    for (email, name, role) in DEMO_USERS {
        let profile = UserProfile {
            email: Email::parse(email).map_err(DomainError::unexpected)?,
            full_name: Some(name.to_owned()),
            phone: None,
            roles: Roles::single(role),
            is_active: true,
            capability_overrides: CapabilityOverrides::none(),
        };
        let mut row = users::ActiveModel {
            password_hash: Set(hasher.hash(&password).await?.0),
            last_login_at: Set(None),
            session_generation: Set(0),
            password_change_required: Set(false),
            session_kept_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        apply_profile(&mut row, &profile);
        row.insert(&txn).await.map_err(unexpected)?;
    }
    let stamp = Stamp::new(now);
    seed_master_data(&txn, stamp).await.map_err(unexpected)?;
    seed_company_profile(&txn, now).await.map_err(unexpected)?;
    txn.commit().await.map_err(unexpected)?;
    Ok(true)
}

/// The firm's profile as its invoices name it (v1's demo firm, in Karnataka).
async fn seed_company_profile(
    txn: &DatabaseTransaction,
    now: time::OffsetDateTime,
) -> Result<(), sea_orm::DbErr> {
    use crate::entity::company_profiles;
    use sea_orm::ConnectionTrait;
    company_profiles::ActiveModel {
        id: Set(1),
        legal_name: Set("Pinnacle Consultants".to_owned()),
        tagline: Set(text("Chartered Engineers & Approved Valuers")),
        address: Set(text(
            "Sai Nagar, near Sai Mandir, Mudhol, Karnataka 587313, India",
        )),
        state_name: Set(text("Karnataka")),
        state_code: Set(text("29")),
        gstin: Set(text("29DERPK2070C1ZF")),
        pan: Set(text("DERPK2070C")),
        contact_email: Set(text("admin@zenops.local")),
        contact_phone: Set(text("+91-90000-00000")),
        website: Set(text("zenops.local")),
        default_gst_rate: Set(1800),
        updated_at: Set(crate::db::stored_time_on(txn.get_database_backend(), now)),
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn text(s: &str) -> Option<String> {
    Some(s.to_owned())
}

async fn insert<K: MasterTable>(
    txn: &DatabaseTransaction,
    fields: K::Fields,
    stamp: Stamp,
) -> Result<i64, sea_orm::DbErr> {
    let saved = K::active(&fields, stamp).insert(txn).await?;
    Ok(K::record(saved).id)
}

async fn seed_master_data(txn: &DatabaseTransaction, at: Stamp) -> Result<(), sea_orm::DbErr> {
    let bank = |name: &str, code: &str, account: (&str, &str, &str, &str, &str)| BankFields {
        name: name.to_owned(),
        code: text(code),
        is_active: true,
        account_name: text("Pinnacle Consultants"),
        account_number: text(account.0),
        ifsc: text(account.1),
        account_bank_name: text(account.2),
        account_branch_name: text(account.3),
        upi_id: text(account.4),
        invoice_notes: text(
            "Kindly quote the invoice number with the payment. Payment due within 15 days.",
        ),
    };
    let axis = insert::<Banks>(
        txn,
        bank(
            "Axis Bank",
            "AXIS",
            (
                "917020034561234",
                "UTIB0000123",
                "Axis Bank",
                "Chennai Main",
                "pinnacle@axisbank",
            ),
        ),
        at,
    )
    .await?;
    let hdfc = insert::<Banks>(
        txn,
        bank(
            "HDFC Bank",
            "HDFC",
            (
                "50200012345678",
                "HDFC0001234",
                "HDFC Bank",
                "Bengaluru",
                "pinnacle@hdfcbank",
            ),
        ),
        at,
    )
    .await?;
    let icici = insert::<Banks>(
        txn,
        bank(
            "ICICI Bank",
            "ICICI",
            (
                "000401234567",
                "ICIC0000004",
                "ICICI Bank",
                "Hyderabad",
                "pinnacle@icici",
            ),
        ),
        at,
    )
    .await?;

    let mut branch_ids = Vec::new();
    for (bank_id, name, code, city, state) in [
        (axis, "Chennai Main", "CHN-M", "Chennai", "Tamil Nadu"),
        (axis, "Coimbatore", "CBE", "Coimbatore", "Tamil Nadu"),
        (hdfc, "Bengaluru", "BLR", "Bengaluru", "Karnataka"),
        (icici, "Hyderabad", "HYD", "Hyderabad", "Telangana"),
    ] {
        let fields = BranchFields {
            bank_id,
            name: name.to_owned(),
            code: text(code),
            city: text(city),
            state: text(state),
            is_active: true,
        };
        branch_ids.push(insert::<Branches>(txn, fields, at).await?);
    }

    for (name, contact, phone, email) in [
        (
            "Pinnacle Direct",
            "Ravi Kumar",
            "+91-98450-00001",
            "ravi@pinnacle-direct.example",
        ),
        (
            "BlueStone Developers",
            "Anita Rao",
            "+91-98450-00002",
            "anita@bluestone.example",
        ),
        (
            "Sunrise Homes",
            "Suresh Patil",
            "+91-98450-00003",
            "suresh@sunrisehomes.example",
        ),
    ] {
        let fields = ClientFields {
            name: name.to_owned(),
            client_type: text("DIRECT"),
            contact_name: text(contact),
            contact_phone: text(phone),
            contact_email: text(email),
            is_active: true,
        };
        insert::<Clients>(txn, fields, at).await?;
    }

    let mut subtype_ids = std::collections::HashMap::new();
    for (type_name, subtypes) in [
        ("Flat", ["Apartment", "Studio"]),
        ("Independent House", ["Villa", "Duplex"]),
        ("Land", ["Agricultural", "NA Plot"]),
        ("Commercial", ["Office", "Retail"]),
    ] {
        let fields = PropertyTypeFields {
            name: type_name.to_owned(),
            description: Some(format!("{type_name} valuation")),
            is_active: true,
        };
        let type_id = insert::<PropertyTypes>(txn, fields, at).await?;
        for subtype in subtypes {
            let fields = PropertySubtypeFields {
                property_type_id: type_id,
                name: subtype.to_owned(),
                description: Some(format!("{type_name} - {subtype}")),
                is_active: true,
            };
            let id = insert::<PropertySubtypes>(txn, fields, at).await?;
            subtype_ids.insert(subtype, (type_id, id));
        }
    }

    for (bank_id, name, number, ifsc, bank_name, branch, upi, primary, notes) in [
        (
            Some(hdfc),
            "Pinnacle Consultants",
            "1234567890",
            "HDFC0001234",
            "HDFC Bank",
            "Bengaluru",
            "pinnacle@hdfc",
            true,
            Some("Primary settlement account"),
        ),
        (
            Some(axis),
            "Axis Bank Collections",
            "AXIS000011234",
            "UTIB0001234",
            "Axis Bank",
            "Main",
            "axis@upi",
            false,
            None,
        ),
        (
            Some(icici),
            "ICICI Bank Collections",
            "ICICI000031234",
            "ICIC0001234",
            "ICICI Bank",
            "Main",
            "icici@upi",
            false,
            None,
        ),
    ] {
        let fields = CompanyAccountFields {
            bank_id,
            account_name: name.to_owned(),
            account_number: number.to_owned(),
            ifsc_code: text(ifsc),
            bank_name: bank_name.to_owned(),
            branch_name: text(branch),
            upi_id: text(upi),
            is_primary: primary,
            is_active: true,
            notes: notes.map(str::to_owned),
        };
        insert::<CompanyAccounts>(txn, fields, at).await?;
    }

    for (name, event_type) in [
        ("Company Holiday", CalendarEventType::Leave),
        ("Team Meeting", CalendarEventType::InternalMeeting),
        ("Site Visit", CalendarEventType::SiteVisit),
        ("Report Due", CalendarEventType::ReportDue),
    ] {
        let fields = CalendarLabelFields {
            name: name.to_owned(),
            description: None,
            default_event_type: event_type,
            is_active: true,
        };
        insert::<CalendarLabels>(txn, fields, at).await?;
    }

    // India's national holidays, this year and next.
    let year = at.year();
    for year in [year, year + 1] {
        for (month, day, name) in [
            (time::Month::January, 26, "Republic Day"),
            (time::Month::August, 15, "Independence Day"),
            (time::Month::October, 2, "Gandhi Jayanti"),
        ] {
            let Ok(date) = time::Date::from_calendar_date(year, month, day) else {
                continue;
            };
            let fields = HolidayFields {
                date,
                name: name.to_owned(),
            };
            insert::<Holidays>(txn, fields, at).await?;
        }
    }

    let rule = |category: &str| DocTemplateFields {
        bank_id: None,
        branch_id: None,
        property_type_id: None,
        property_subtype_id: None,
        case_type: None,
        category: category.to_owned(),
        required: true,
        notes: None,
    };
    let subtype = |name: &str| subtype_ids.get(name).copied().unwrap_or_default();
    let (flat, apartment) = subtype("Apartment");
    let (land, agricultural) = subtype("Agricultural");
    for fields in [
        DocTemplateFields {
            bank_id: Some(axis),
            case_type: Some(CaseType::Bank),
            ..rule("EC")
        },
        DocTemplateFields {
            bank_id: Some(axis),
            case_type: Some(CaseType::Bank),
            ..rule("Sale Deed")
        },
        DocTemplateFields {
            bank_id: Some(hdfc),
            ..rule("Application")
        },
        DocTemplateFields {
            branch_id: branch_ids.first().copied(),
            ..rule("Photos")
        },
        rule("Final Report"),
        DocTemplateFields {
            property_type_id: Some(flat),
            property_subtype_id: Some(apartment),
            ..rule("Khata Certificate")
        },
        DocTemplateFields {
            property_type_id: Some(land),
            property_subtype_id: Some(agricultural),
            ..rule("RTC / Land Records")
        },
    ] {
        insert::<DocTemplates>(txn, fields, at).await?;
    }
    Ok(())
}

/// How the demo firm is set up: the settings its services run with.
#[derive(Clone)]
pub struct DemoFirm {
    pub zone: zenops_domain::sla::FirmZone,
    /// Where the demo documents go.
    pub storage: std::sync::Arc<dyn zenops_domain::document::ObjectStorage>,
    pub weekly_offs: zenops_domain::workdays::WeeklyOffs,
    pub code_prefix: String,
    pub invoice_prefix: String,
}

/// A dozen assignments across every status, with tasks and messages, and a few approval
/// requests (pending, approved, rejected), written through the domain services so that
/// codes, events and the trail are as real work would leave them.
/// Only into a database that has no assignments yet; returns whether it wrote anything.
pub async fn seed_demo_work(adapters: &crate::Adapters, firm: &DemoFirm) -> DomainResult<bool> {
    use std::sync::Arc;

    use time::Duration;
    use zenops_domain::Actor;
    use zenops_domain::assignment::{
        AssignmentDraft, AssignmentQuery, AssignmentScope, AssignmentService, AssignmentSettings,
    };
    use zenops_domain::leave::NoLeave;
    use zenops_domain::message::MessageService;
    use zenops_domain::page::Page;
    use zenops_domain::task::{TaskDraft, TaskService};
    use zenops_domain::workdays::WorkingDays;

    let existing = adapters
        .assignments
        .list(
            &AssignmentQuery::default(),
            AssignmentScope::Everything,
            Page { limit: 1, skip: 0 },
        )
        .await?;
    if existing.total > 0 {
        return Ok(false);
    }
    let mut people = std::collections::HashMap::new();
    for (email, _, _) in DEMO_USERS {
        let email = Email::parse(email).map_err(DomainError::unexpected)?;
        if let Some((user, _)) = adapters.users.find_by_email(&email).await? {
            people.insert(email.as_str().to_owned(), user);
        }
    }
    let user = |email: &str| {
        people
            .get(email)
            .cloned()
            .ok_or_else(|| DomainError::unexpected(format!("demo user {email} is missing")))
    };
    let actor_of =
        |u: &zenops_domain::user::User| Actor::new(u.id, u.roles.clone(), &u.capability_overrides);
    let (admin, ops, field, assistant) = (
        user("admin@zenops.local")?,
        user("ops@zenops.local")?,
        user("field@zenops.local")?,
        user("assistant@zenops.local")?,
    );
    let (hr, employee) = (user("hr@zenops.local")?, user("employee@zenops.local")?);
    let (admin_actor, ops_actor) = (actor_of(&admin), actor_of(&ops));
    // Leave is seeded last; the work before it is planned as though nobody were away.
    let leave = Arc::new(NoLeave);
    let days = WorkingDays::new(firm.weekly_offs.clone(), adapters.holiday_calendar.clone());
    let assignments = AssignmentService::new(
        adapters.assignments.clone(),
        adapters.work.clone(),
        leave.clone(),
        days.clone(),
        adapters.users.clone(),
        adapters.clock.clone(),
        AssignmentSettings {
            zone: firm.zone.clone(),
            code_prefix: firm.code_prefix.clone(),
        },
    )
    .with_templates(adapters.task_templates.clone());
    seed_task_templates(adapters).await?;
    let tasks = TaskService::new(
        adapters.tasks.clone(),
        adapters.work.clone(),
        assignments.clone(),
        adapters.users.clone(),
        leave,
        adapters.clock.clone(),
    );
    let messages = MessageService::new(
        adapters.messages.clone(),
        adapters.work.clone(),
        assignments.clone(),
        adapters.users.clone(),
        adapters.clock.clone(),
    );
    let now = adapters.clock.now();
    let day = |d: i64| Some(Instant::new(now + Duration::days(d)).ok());

    // (case, bank, branch, client, valuer name, type, subtype, primary, others, status,
    //  visit in days, report due in days, fees)
    type Row<'a> = (
        &'a str,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<&'a str>,
        i64,
        i64,
        Option<&'a zenops_domain::user::User>,
        Vec<i64>,
        &'a [&'a str],
        i64,
        i64,
        i64,
    );
    // Each assignment made: its id, primary assignee and last status step.
    let mut made: Vec<(i64, Option<zenops_domain::user::UserId>, Option<&str>)> = Vec::new();
    let rows: Vec<Row<'_>> = vec![
        (
            "BANK",
            Some(1),
            Some(1),
            None,
            None,
            1,
            2,
            Some(&assistant),
            vec![],
            &[],
            1,
            3,
            460_000,
        ),
        (
            "BANK",
            Some(1),
            Some(2),
            None,
            None,
            2,
            3,
            Some(&field),
            vec![],
            &["SITE_VISIT"],
            0,
            2,
            470_000,
        ),
        (
            "BANK",
            Some(2),
            Some(3),
            None,
            None,
            3,
            6,
            Some(&assistant),
            vec![admin.id.0],
            &["UNDER_PROCESS"],
            -2,
            1,
            480_000,
        ),
        (
            "BANK",
            Some(3),
            Some(4),
            None,
            None,
            4,
            7,
            Some(&assistant),
            vec![],
            &["UNDER_PROCESS", "SUBMITTED"],
            -4,
            0,
            490_000,
        ),
        (
            "DIRECT_CLIENT",
            None,
            None,
            Some(1),
            None,
            1,
            2,
            Some(&assistant),
            vec![field.id.0],
            &[],
            2,
            5,
            500_000,
        ),
        (
            "DIRECT_CLIENT",
            None,
            None,
            Some(2),
            None,
            2,
            3,
            Some(&assistant),
            vec![admin.id.0],
            &["UNDER_PROCESS", "SUBMITTED", "COMPLETED"],
            -6,
            -3,
            510_000,
        ),
        (
            "EXTERNAL_VALUER",
            None,
            None,
            Some(3),
            Some("Sunrise Homes"),
            3,
            6,
            Some(&field),
            vec![],
            &["SITE_VISIT", "UNDER_PROCESS"],
            -1,
            2,
            520_000,
        ),
        (
            "BANK",
            Some(2),
            Some(3),
            None,
            None,
            1,
            1,
            None,
            vec![],
            &[],
            -3,
            -2,
            530_000,
        ),
        (
            "BANK",
            Some(3),
            Some(4),
            None,
            None,
            2,
            4,
            Some(&field),
            vec![admin.id.0],
            &["SITE_VISIT"],
            0,
            4,
            540_000,
        ),
        (
            "DIRECT_CLIENT",
            None,
            None,
            Some(1),
            None,
            4,
            7,
            Some(&assistant),
            vec![field.id.0],
            &["UNDER_PROCESS"],
            -1,
            0,
            550_000,
        ),
        (
            "BANK",
            Some(1),
            Some(1),
            None,
            None,
            1,
            1,
            Some(&assistant),
            vec![],
            &["CANCELLED"],
            3,
            6,
            560_000,
        ),
        (
            "BANK",
            Some(2),
            Some(3),
            None,
            None,
            3,
            5,
            Some(&field),
            vec![],
            &["UNDER_PROCESS", "SUBMITTED"],
            -7,
            -5,
            570_000,
        ),
    ];
    for (
        n,
        (
            case,
            bank,
            branch,
            client,
            valuer,
            ptype,
            subtype,
            primary,
            others,
            path,
            visit,
            due,
            fees,
        ),
    ) in rows.into_iter().enumerate()
    {
        let n = n + 1;
        let draft = AssignmentDraft {
            case_type: Some(case.to_owned()),
            bank_id: Some(bank),
            branch_id: Some(branch),
            client_id: Some(client),
            valuer_client_name: valuer.map(|v| Some(v.to_owned())),
            property_type_id: Some(Some(ptype)),
            property_subtype_id: Some(Some(subtype)),
            borrower_name: Some(Some(format!("Borrower {n}"))),
            phone: Some(Some(format!("90000{n:05}"))),
            address: Some(Some(format!("{n} Example Street, Sample City"))),
            land_area: Some(Some(format!("{}", 1200 + n))),
            assigned_to_user_id: Some(primary.map(|u| u.id.0)),
            assignee_user_ids: Some(others),
            site_visit_at: day(visit),
            report_due_at: day(due),
            fees: Some(Some(
                zenops_domain::money::Money::from_paise(fees).to_string(),
            )),
            notes: Some(Some("Demo assignment".to_owned())),
            override_on_leave: true,
            ..AssignmentDraft::default()
        };
        let created = assignments.create(&admin_actor, draft).await?;
        let id = created.assignment.id;
        made.push((id, primary.map(|p| p.id), path.last().copied()));
        for step in path {
            let change = AssignmentDraft {
                status: Some((*step).to_owned()),
                cancel_reason: (*step == "CANCELLED")
                    .then(|| "Duplicate request from the branch".to_owned()),
                ..AssignmentDraft::default()
            };
            assignments.update(&ops_actor, id, change).await?;
        }
        if *path.last().unwrap_or(&"") == "COMPLETED" {
            let paid = AssignmentDraft {
                is_paid: Some(true),
                ..AssignmentDraft::default()
            };
            assignments.update(&admin_actor, id, paid).await?;
        }
        let task = TaskDraft {
            title: Some("Site visit".to_owned()),
            description: Some(Some("Inspect the property and take photographs".to_owned())),
            status: Some(if n % 2 == 0 { "DOING" } else { "TODO" }.to_owned()),
            assigned_to_user_id: Some(primary.map(|u| u.id.0)),
            due_at: Some(
                Instant::new(now + Duration::days(i64::try_from(n % 4).unwrap_or(0))).ok(),
            ),
            override_on_leave: true,
            ..TaskDraft::default()
        };
        tasks.create(&ops_actor, id, task).await?;
        let text = match primary {
            Some(p) => format!(
                "Please prioritise this case @[{}]({})",
                p.full_name.clone().unwrap_or_default(),
                p.id.0
            ),
            None => "Please pick this case up.".to_owned(),
        };
        messages
            .post(&ops_actor, id, &text, Vec::new(), n % 3 == 0)
            .await?;
    }
    let invoicing = demo_invoicing(adapters, &assignments, &firm.invoice_prefix);
    seed_demo_approvals(
        adapters,
        &assignments,
        &invoicing,
        &made,
        [&admin, &ops, &hr, &assistant, &field, &employee],
    )
    .await?;
    seed_demo_invoices(adapters, &assignments, &invoicing, &made, &admin, &ops).await?;
    seed_demo_leave(adapters, firm, days, [&hr, &assistant, &field, &employee]).await?;
    seed_demo_documents(adapters, firm, &assignments, &made, &ops).await?;
    Ok(true)
}

/// A few small generated documents (a one-page PDF, a CSV of comparables, a site note) on
/// the first demo assignments, one of them final and one reviewed.
async fn seed_demo_documents(
    adapters: &crate::Adapters,
    firm: &DemoFirm,
    assignments: &zenops_domain::assignment::AssignmentService,
    made: &[(i64, Option<zenops_domain::user::UserId>, Option<&str>)],
    ops: &zenops_domain::user::User,
) -> DomainResult<()> {
    use zenops_domain::Actor;
    use zenops_domain::document::{
        DEFAULT_MAX_UPLOAD_BYTES, DocumentPorts, DocumentService, InMemory, UploadForm,
    };

    let documents = DocumentService::new(
        DocumentPorts {
            repo: adapters.documents.clone(),
            storage: firm.storage.clone(),
            rules: adapters.doc_templates.clone(),
        },
        adapters.work.clone(),
        assignments.clone(),
        adapters.clock.clone(),
        DEFAULT_MAX_UPLOAD_BYTES,
    );
    let actor = Actor::new(ops.id, ops.roles.clone(), &ops.capability_overrides);
    let pdf = |title: &str| {
        format!(
            "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
             2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
             3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n\
             % {title}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        )
        .into_bytes()
    };
    let files: [(&str, Vec<u8>, &str, bool); 3] = [
        ("Sale deed.pdf", pdf("Sale deed"), "Sale Deed", true),
        (
            "Comparables.csv",
            b"locality,rate_per_sqft\nAnna Nagar,14500\nT Nagar,16200\n".to_vec(),
            "Photos",
            false,
        ),
        (
            "Site visit note.txt",
            b"Site visited; boundaries match the deed.\n".to_vec(),
            "Draft Report",
            false,
        ),
    ];
    for (n, (id, _, _)) in made.iter().take(3).enumerate() {
        for (name, bytes, category, is_final) in files.iter().take(n + 1) {
            let staged = documents
                .stage(&actor, *id, name, &mut InMemory::new(bytes.clone()))
                .await?;
            let form = UploadForm {
                category: Some((*category).to_owned()),
                is_final: Some(is_final.to_string()),
            };
            let document = documents.record(&actor, staged, form).await?;
            if n == 2 && *is_final {
                documents
                    .review(
                        &actor,
                        *id,
                        document.id,
                        "REVIEWED",
                        Some("Clear copy".into()),
                    )
                    .await?;
            }
        }
    }
    Ok(())
}

/// Leave in each state: the assistant's pending trip, the field valuer's approved medical
/// leave around today (so they are away today), the employee's rejected day.
async fn seed_demo_leave(
    adapters: &crate::Adapters,
    firm: &DemoFirm,
    days: zenops_domain::workdays::WorkingDays,
    [hr, assistant, field, employee]: [&zenops_domain::user::User; 4],
) -> DomainResult<()> {
    use time::Duration;
    use zenops_domain::Actor;
    use zenops_domain::leave::{LeaveDraft, LeaveService};

    let leave = LeaveService::new(
        adapters.leave.clone(),
        adapters.work.clone(),
        days.clone(),
        adapters.clock.clone(),
        firm.zone.clone(),
    );
    let actor_of =
        |u: &zenops_domain::user::User| Actor::new(u.id, u.roles.clone(), &u.capability_overrides);
    let today = firm.zone.local_date(adapters.clock.now());
    let calendar = days.calendar(today, today).await?;
    let day = |d: i64| (today + Duration::days(d)).to_string();
    // A working day from `from` on, as a date string.
    let working = |from: i64| {
        calendar
            .working_day_on_or_after(today + Duration::days(from))
            .to_string()
    };
    let request = |kind: &str, start: String, end: String, reason: &str| LeaveDraft {
        leave_type: Some(kind.to_owned()),
        start_date: Some(start),
        end_date: Some(end),
        reason: Some(reason.to_owned()),
        ..LeaveDraft::default()
    };
    let hr_actor = actor_of(hr);
    leave
        .request(
            &actor_of(assistant),
            request("FULL_DAY", working(5), working(5), "Family trip"),
        )
        .await?;
    let medical = leave
        .request(
            &actor_of(field),
            request("FULL_DAY", day(-1), day(1), "Medical leave"),
        )
        .await?;
    leave.approve(&hr_actor, medical.id(), None).await?;
    let rejected = leave
        .request(
            &actor_of(employee),
            request("FULL_DAY", working(2), working(2), "Personal errand"),
        )
        .await?;
    leave
        .reject(
            &hr_actor,
            rejected.id(),
            Some("Month-end close: please pick another day".to_owned()),
        )
        .await?;
    Ok(())
}

/// Requests of several kinds: three pending (a delete, a final review, a fee for FINANCE),
/// one approved and one rejected.
async fn seed_demo_approvals(
    adapters: &crate::Adapters,
    assignments: &zenops_domain::assignment::AssignmentService,
    invoicing: &zenops_domain::invoice::InvoiceService,
    made: &[(i64, Option<zenops_domain::user::UserId>, Option<&str>)],
    [admin, ops, hr, assistant, field, employee]: [&zenops_domain::user::User; 6],
) -> DomainResult<()> {
    use std::sync::Arc;

    use zenops_domain::Actor;
    use zenops_domain::approval::{ApprovalService, RequestDraft};
    use zenops_domain::user::UserService;

    let actor =
        |u: &zenops_domain::user::User| Actor::new(u.id, u.roles.clone(), &u.capability_overrides);
    let engine = ApprovalService::new(
        adapters.approvals.clone(),
        adapters.work.clone(),
        assignments.clone(),
        UserService::new(
            adapters.users.clone(),
            adapters.hasher.clone(),
            adapters.clock.clone(),
            assignments.zone().clone(),
        ),
        adapters.users.clone(),
        Arc::new(invoicing.clone()),
        adapters.clock.clone(),
    );
    // Open work of a person (the first found), for requests they may make.
    let open_work_of = |who: &zenops_domain::user::User| {
        made.iter()
            .find(|(_, primary, last)| {
                *primary == Some(who.id) && !matches!(last, Some("CANCELLED" | "COMPLETED"))
            })
            .map(|(id, _, _)| *id)
            .ok_or_else(|| DomainError::unexpected(format!("no demo work for {}", who.email)))
    };
    let about = |id: i64, action: &str, reason: &str| RequestDraft {
        entity_type: "ASSIGNMENT".to_owned(),
        entity_id: id,
        action_type: action.to_owned(),
        reason: Some(reason.to_owned()),
        assignment_id: Some(id),
        ..RequestDraft::default()
    };
    let (assistant_work, field_work) = (open_work_of(assistant)?, open_work_of(field)?);
    let (admin, ops, hr, assistant, field) = (
        actor(admin),
        actor(ops),
        actor(hr),
        actor(assistant),
        actor(field),
    );

    engine
        .delete_assignment(
            &assistant,
            assistant_work,
            Some("Opened twice by the branch"),
        )
        .await?;
    engine
        .request(
            &field,
            about(field_work, "FINAL_REVIEW", "Report ready for review"),
        )
        .await?;
    let mut fee = about(field_work, "FEE_OVERRIDE", "The bank agreed a higher fee");
    fee.fees = Some(Some("5750.00".to_owned()));
    engine.request(&ops, fee).await?;

    let docs = engine
        .request(
            &assistant,
            about(
                assistant_work,
                "DOC_REQUEST",
                "Collect the sale deed from the client",
            ),
        )
        .await?;
    engine
        .approve(&ops, docs.id(), Some("Go ahead; take the original too"))
        .await?;
    let promotion = engine
        .request(
            &hr,
            RequestDraft {
                entity_type: "USER".to_owned(),
                entity_id: employee.id.0,
                action_type: "CHANGE_ROLE".to_owned(),
                reason: Some("Ready to do site visits".to_owned()),
                role: Some("FIELD_VALUER".to_owned()),
                ..RequestDraft::default()
            },
        )
        .await?;
    engine
        .reject(&admin, promotion.id(), Some("After the probation review"))
        .await?;
    Ok(())
}

/// Invoices in every status: a draft, issued, sent, part-paid, paid after a credit note,
/// void; and a MARK_PAID request waiting for FINANCE.
async fn seed_demo_invoices(
    adapters: &crate::Adapters,
    assignments: &zenops_domain::assignment::AssignmentService,
    engine: &zenops_domain::invoice::InvoiceService,
    made: &[(i64, Option<zenops_domain::user::UserId>, Option<&str>)],
    admin: &zenops_domain::user::User,
    ops: &zenops_domain::user::User,
) -> DomainResult<()> {
    use zenops_domain::Actor;
    use zenops_domain::invoice::{
        AdjustmentType, InvoiceDraft, NewAdjustment, NewPayment, PaymentMode,
    };

    let admin = Actor::new(admin.id, admin.roles.clone(), &admin.capability_overrides);
    let ops = Actor::new(ops.id, ops.roles.clone(), &ops.capability_overrides);
    let now = adapters.clock.now();
    let billable: Vec<i64> = made
        .iter()
        .filter(|(_, _, last)| *last != Some("CANCELLED"))
        .map(|(id, _, _)| *id)
        .collect();
    let amount = |s: &str| {
        s.parse::<zenops_domain::money::Money>()
            .map_err(DomainError::unexpected)
    };
    for (n, assignment) in billable.iter().take(7).enumerate() {
        let today = assignments.zone().local_date(now);
        let draft = InvoiceDraft {
            assignment_id: Some(*assignment),
            issued_date: Some(today - time::Duration::days(20)),
            due_date: Some(Some(
                today + time::Duration::days(15 - 5 * i64::try_from(n).unwrap_or(0)),
            )),
            ..InvoiceDraft::default()
        };
        let invoice = engine.create(&admin, draft).await?.id();
        let pay = |value: zenops_domain::money::Money, mode| NewPayment {
            amount: value,
            mode,
            paid_at: now,
            reference_no: Some(format!("UTR{:06}", 1000 + n)),
            notes: None,
        };
        match n {
            0 => {}
            1 => {
                engine.issue(&admin, invoice).await?;
            }
            2 => {
                engine.issue(&admin, invoice).await?;
                engine.send(&admin, invoice).await?;
            }
            3 => {
                engine.issue(&admin, invoice).await?;
                engine.send(&admin, invoice).await?;
                engine
                    .add_payment(&admin, invoice, pay(amount("2000.00")?, PaymentMode::Upi))
                    .await?;
            }
            4 => {
                engine.issue(&admin, invoice).await?;
                let credit = NewAdjustment {
                    amount: amount("500.00")?,
                    kind: AdjustmentType::CreditNote,
                    reason: Some("Agreed reduction for a repeat client".to_owned()),
                    issued_at: now,
                };
                engine.add_adjustment(&admin, invoice, credit).await?;
                engine.mark_paid(&admin, invoice).await?;
            }
            5 => {
                engine
                    .void(&admin, invoice, "Raised against the wrong branch")
                    .await?;
            }
            _ => {
                engine.issue(&admin, invoice).await?;
                // Operations ask FINANCE to mark it paid.
                let approvals = zenops_domain::approval::ApprovalService::new(
                    adapters.approvals.clone(),
                    adapters.work.clone(),
                    assignments.clone(),
                    zenops_domain::user::UserService::new(
                        adapters.users.clone(),
                        adapters.hasher.clone(),
                        adapters.clock.clone(),
                        assignments.zone().clone(),
                    ),
                    adapters.users.clone(),
                    std::sync::Arc::new(engine.clone()),
                    adapters.clock.clone(),
                );
                approvals.mark_invoice_paid(&ops, invoice.0).await?;
            }
        }
    }
    Ok(())
}

/// The invoicing service the demo seeding writes through.
fn demo_invoicing(
    adapters: &crate::Adapters,
    assignments: &zenops_domain::assignment::AssignmentService,
    invoice_prefix: &str,
) -> zenops_domain::invoice::InvoiceService {
    zenops_domain::invoice::InvoiceService::new(
        adapters.invoices.clone(),
        adapters.work.clone(),
        assignments.clone(),
        adapters.company_profile.clone(),
        adapters.company_accounts.clone(),
        adapters.branches.clone(),
        adapters.banks.clone(),
        adapters.clock.clone(),
        invoice_prefix.to_owned(),
    )
}

/// The demo firm's task templates for bank valuations: on creation, on entering
/// SITE_VISIT and on entering UNDER_PROCESS.
async fn seed_task_templates(adapters: &crate::Adapters) -> DomainResult<()> {
    use zenops_domain::task_template::{TaskTemplateDraft, TemplateTaskDraft};
    let task = |title: &str, assignee: &str, days: i64| TemplateTaskDraft {
        title: Some(title.to_owned()),
        description: None,
        assignee: Some(assignee.to_owned()),
        due_in_working_days: Some(days),
    };
    let templates = [
        (
            "Bank valuation: intake",
            "ASSIGNMENT_CREATED",
            None,
            vec![
                task("Request the title documents and tax receipts", "PRIMARY", 1),
                task("Fix the site visit with the borrower", "PRIMARY", 1),
            ],
        ),
        (
            "Bank valuation: site visit checklist",
            "STATUS_ENTERED",
            Some("SITE_VISIT"),
            vec![
                task(
                    "Site visit: photos, measurements, boundaries, occupancy",
                    "PRIMARY",
                    0,
                ),
                task("Upload the site photos and the visit notes", "PRIMARY", 1),
            ],
        ),
        (
            "Bank valuation: draft report",
            "STATUS_ENTERED",
            Some("UNDER_PROCESS"),
            vec![
                task("Draft the valuation report", "PRIMARY", 2),
                task("Review the draft report", "ROLE:OPS_MANAGER", 3),
            ],
        ),
    ];
    let now = adapters.clock.now();
    for (name, trigger, status, tasks) in templates {
        let fields = TaskTemplateDraft {
            name: Some(name.to_owned()),
            trigger: Some(trigger.to_owned()),
            status: Some(status.map(str::to_owned)),
            case_type: Some(Some("BANK".to_owned())),
            tasks: Some(tasks),
            ..TaskTemplateDraft::default()
        }
        .parse(None)?;
        adapters.task_templates.insert(&fields, now).await?;
    }
    Ok(())
}
