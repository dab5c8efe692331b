//! Zen Ops adapters: the domain's ports implemented with SeaORM (SQLite or PostgreSQL),
//! argon2 and the system clock.
#![forbid(unsafe_code)]

mod activities;
mod approvals;
mod assignments;
mod calendar;
pub mod db;
pub mod documents;
mod entity;
mod error;
mod invoices;
mod leave;
pub mod mail;
mod master;
pub mod messages;
pub mod notifications;
pub mod password;
pub mod pdf;
pub mod seed;
pub mod sessions;
mod sql;
pub mod task_templates;
pub mod tasks;
pub mod users;
mod work;

/// Bytes as lower-case hex (secrets, keys, digests).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

use std::sync::Arc;

use time::OffsetDateTime;
use zenops_domain::activity::ActivityRepository;
use zenops_domain::approval::ApprovalRepository;
use zenops_domain::assignment::AssignmentRepository;
use zenops_domain::auth::{LoginThrottleStore, SessionRevocations};
use zenops_domain::calendar::{CalendarRepository, FeedTokens};
use zenops_domain::clock::Clock;
use zenops_domain::document::DocumentRepository;
use zenops_domain::invoice::{CompanyProfileRepository, InvoiceRepository};
use zenops_domain::leave::LeaveRepository;
use zenops_domain::master::{
    Banks, Branches, CalendarLabels, Clients, CompanyAccounts, DocTemplates, Holidays,
    MasterRepository, PropertySubtypes, PropertyTypes,
};
use zenops_domain::message::MessageRepository;
use zenops_domain::task::TaskRepository;
use zenops_domain::user::{PasswordHasher, UserRepository};
use zenops_domain::work::UnitOfWork;
use zenops_domain::workdays::HolidayCalendar;

pub use db::{Database, DatabaseKind};
pub use sea_orm::DbErr;

/// The wall clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// Every port implementation the application needs, built over one database.
#[derive(Clone)]
pub struct Adapters {
    pub users: Arc<dyn UserRepository>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub throttle: Arc<dyn LoginThrottleStore>,
    pub revocations: Arc<dyn SessionRevocations>,
    pub clock: SharedClock,
    pub banks: Arc<dyn MasterRepository<Banks>>,
    pub branches: Arc<dyn MasterRepository<Branches>>,
    pub clients: Arc<dyn MasterRepository<Clients>>,
    pub property_types: Arc<dyn MasterRepository<PropertyTypes>>,
    pub property_subtypes: Arc<dyn MasterRepository<PropertySubtypes>>,
    pub company_accounts: Arc<dyn MasterRepository<CompanyAccounts>>,
    pub calendar_labels: Arc<dyn MasterRepository<CalendarLabels>>,
    pub doc_templates: Arc<dyn MasterRepository<DocTemplates>>,
    pub holidays: Arc<dyn MasterRepository<Holidays>>,
    /// The holidays, as the working-day rules read them.
    pub holiday_calendar: Arc<dyn HolidayCalendar>,
    pub leave: Arc<dyn LeaveRepository>,
    pub feeds: Arc<dyn FeedTokens>,
    pub documents: Arc<dyn DocumentRepository>,
    pub attachments: Arc<dyn zenops_domain::document::attachments::AttachmentRepository>,
    pub assignments: Arc<dyn AssignmentRepository>,
    pub activities: Arc<dyn ActivityRepository>,
    pub calendar: Arc<dyn CalendarRepository>,
    pub tasks: Arc<dyn TaskRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub approvals: Arc<dyn ApprovalRepository>,
    pub invoices: Arc<dyn InvoiceRepository>,
    pub company_profile: Arc<dyn CompanyProfileRepository>,
    pub work: Arc<dyn UnitOfWork>,
    /// Notifications: what people read, what the workers write, and the sweeps' reads.
    pub notifications: Arc<notifications::SeaNotifications>,
    pub job_leases: Arc<dyn zenops_domain::jobs::JobLeases>,
    pub task_templates: Arc<dyn zenops_domain::task_template::TaskTemplateRepository>,
}

impl Adapters {
    pub fn new(db: &Database, clock: SharedClock) -> Self {
        fn master<K: master::MasterTable>(
            db: &Database,
            clock: &SharedClock,
        ) -> Arc<dyn MasterRepository<K>>
        where
            <K::Entity as sea_orm::EntityTrait>::PrimaryKey:
                sea_orm::PrimaryKeyTrait<ValueType = i64>,
        {
            Arc::new(master::SeaMasterRepository::<K>::new(
                db.clone(),
                Arc::clone(clock),
            ))
        }
        Self {
            users: Arc::new(users::SeaUserRepository::new(
                db.clone(),
                Arc::clone(&clock),
            )),
            hasher: Arc::new(password::Argon2Hasher::new()),
            throttle: Arc::new(sessions::SeaLoginThrottle::new(db.clone())),
            revocations: Arc::new(sessions::SeaSessionRevocations::new(
                db.clone(),
                Arc::clone(&clock),
            )),
            banks: master(db, &clock),
            branches: master(db, &clock),
            clients: master(db, &clock),
            property_types: master(db, &clock),
            property_subtypes: master(db, &clock),
            company_accounts: master(db, &clock),
            calendar_labels: master(db, &clock),
            doc_templates: master(db, &clock),
            holidays: master(db, &clock),
            holiday_calendar: Arc::new(leave::SeaHolidays::new(db.clone())),
            leave: Arc::new(leave::SeaLeaveRepository::new(db.clone())),
            feeds: Arc::new(calendar::SeaFeedTokens::new(db.clone())),
            documents: Arc::new(documents::SeaDocumentRepository::new(db.clone())),
            attachments: Arc::new(documents::SeaAttachmentRepository::new(db.clone())),
            assignments: Arc::new(assignments::SeaAssignmentRepository::new(db.clone())),
            activities: Arc::new(activities::SeaActivityRepository::new(
                db.clone(),
                Arc::clone(&clock),
            )),
            calendar: Arc::new(calendar::SeaCalendarRepository::new(db.clone())),
            tasks: Arc::new(tasks::SeaTaskRepository::new(db.clone())),
            messages: Arc::new(messages::SeaMessageRepository::new(db.clone())),
            approvals: Arc::new(approvals::SeaApprovalRepository::new(db.clone())),
            invoices: Arc::new(invoices::SeaInvoiceRepository::new(db.clone())),
            company_profile: Arc::new(invoices::SeaCompanyProfileRepository::new(db.clone())),
            work: Arc::new(work::SeaUnitOfWork::new(db.clone())),
            notifications: Arc::new(notifications::SeaNotifications::new(db.clone())),
            job_leases: Arc::new(notifications::SeaJobLeases::new(db.clone())),
            task_templates: Arc::new(task_templates::SeaTaskTemplates::new(db.clone())),
            clock,
        }
    }
}
