//! The services the handlers call, built once at start-up.

use std::sync::Arc;

use zenops_domain::activity::ActivityService;
use zenops_domain::approval::{ApprovalService, InvoiceLedger};
use zenops_domain::assignment::{AssignmentService, AssignmentSettings};
use zenops_domain::auth::{AuthService, ThrottlePolicy};
use zenops_domain::calendar::CalendarService;
use zenops_domain::document::attachments::AttachmentService;
use zenops_domain::document::{DocumentPorts, DocumentService, ObjectStorage};
use zenops_domain::invoice::{InvoiceRenderer, InvoiceService};
use zenops_domain::jobs::JobRunner;
use zenops_domain::leave::{LeaveCalendar, LeaveService, RecordedLeave};
use zenops_domain::master::{
    Banks, Branches, CalendarLabels, Clients, CompanyAccounts, DocTemplates, MasterService,
    PropertySubtypes, PropertyTypes,
};
use zenops_domain::message::MessageService;
use zenops_domain::notification::email::EmailSender;
use zenops_domain::notification::{NotificationService, Notifier};
use zenops_domain::sla::FirmZone;
use zenops_domain::task::TaskService;
use zenops_domain::task_template::TaskTemplateService;
use zenops_domain::user::UserService;
use zenops_domain::workdays::{HolidayService, WeeklyOffs, WorkingDays};
use zenops_infra::{Adapters, Database};

use crate::session::TokenCodec;

pub struct MasterServices {
    pub banks: MasterService<Banks>,
    pub branches: MasterService<Branches>,
    pub clients: MasterService<Clients>,
    pub property_types: MasterService<PropertyTypes>,
    pub property_subtypes: MasterService<PropertySubtypes>,
    pub company_accounts: MasterService<CompanyAccounts>,
    pub calendar_labels: MasterService<CalendarLabels>,
    pub doc_templates: MasterService<DocTemplates>,
    pub holidays: HolidayService,
}

/// Settings the services are built with.
pub struct Options {
    pub trust_forwarded_for: bool,
    pub firm_zone: FirmZone,
    pub weekly_offs: WeeklyOffs,
    /// Where the firm reaches the API, for links it hands out; `None`: the request's Host.
    pub public_base_url: Option<String>,
    /// Where document content is kept.
    pub storage: Arc<dyn ObjectStorage>,
    pub max_upload_bytes: u64,
    pub code_prefix: String,
    pub invoice_prefix: String,
    /// How emails go out.
    pub mailer: Arc<dyn zenops_domain::notification::email::Mailer>,
    pub jobs: crate::jobs::JobSettings,
    pub metrics: crate::metrics::MetricsAccess,
}

pub struct AppState {
    pub db: Database,
    pub auth: AuthService,
    pub users: UserService,
    pub master: MasterServices,
    pub assignments: AssignmentService,
    pub tasks: TaskService,
    pub messages: MessageService,
    pub activities: ActivityService,
    pub approvals: ApprovalService,
    pub invoices: InvoiceService,
    /// Lays printed invoices out as PDFs.
    pub invoice_pdf: Arc<dyn InvoiceRenderer>,
    pub calendar: CalendarService,
    pub leave: LeaveService,
    pub documents: DocumentService,
    pub attachments: AttachmentService,
    pub notifications: NotificationService,
    pub task_templates: TaskTemplateService,
    /// The background jobs' work, also run on demand.
    pub workers: crate::jobs::Workers,
    pub public_base_url: Option<String>,
    pub tokens: TokenCodec,
    pub trust_forwarded_for: bool,
    pub metrics: crate::metrics::MetricsAccess,
}

impl AppState {
    pub fn new(db: Database, adapters: Adapters, tokens: TokenCodec, options: Options) -> Self {
        let a = adapters;
        let leave: Arc<dyn LeaveCalendar> = Arc::new(RecordedLeave::new(a.leave.clone()));
        let days = WorkingDays::new(options.weekly_offs, a.holiday_calendar.clone());

        let users = UserService::new(
            a.users.clone(),
            a.hasher.clone(),
            a.clock.clone(),
            options.firm_zone.clone(),
        );
        let assignments = AssignmentService::new(
            a.assignments.clone(),
            a.work.clone(),
            leave.clone(),
            days.clone(),
            a.users.clone(),
            a.clock.clone(),
            AssignmentSettings {
                zone: options.firm_zone.clone(),
                code_prefix: options.code_prefix,
            },
        )
        .with_templates(a.task_templates.clone());
        let invoices = InvoiceService::new(
            a.invoices.clone(),
            a.work.clone(),
            assignments.clone(),
            a.company_profile.clone(),
            a.company_accounts.clone(),
            a.branches.clone(),
            a.banks.clone(),
            a.clock.clone(),
            options.invoice_prefix,
        );
        let ledger: Arc<dyn InvoiceLedger> = Arc::new(invoices.clone());
        let attachments = AttachmentService::new(
            a.attachments.clone(),
            options.storage.clone(),
            a.work.clone(),
            invoices.clone(),
            a.clock.clone(),
            options.max_upload_bytes,
        );
        let holidays =
            HolidayService::new(MasterService::new(a.holidays.clone()), assignments.clone());
        let workers = crate::jobs::Workers {
            runner: JobRunner::new(
                a.job_leases.clone(),
                a.clock.clone(),
                crate::jobs::holder_name(),
                options.jobs.lease,
            ),
            notifier: Notifier::new(
                a.notifications.clone(),
                a.notifications.clone(),
                a.notifications.clone(),
                a.clock.clone(),
                options.firm_zone.clone(),
                options.jobs.digest_hour,
            ),
            email: EmailSender::new(
                a.notifications.clone(),
                options.mailer.clone(),
                options.jobs.email,
                a.clock.clone(),
                options.firm_zone.clone(),
            ),
            follow_up_overdue_days: options.jobs.follow_up_overdue_days,
        };
        Self {
            tasks: TaskService::new(
                a.tasks.clone(),
                a.work.clone(),
                assignments.clone(),
                a.users.clone(),
                leave.clone(),
                a.clock.clone(),
            ),
            messages: MessageService::new(
                a.messages.clone(),
                a.work.clone(),
                assignments.clone(),
                a.users.clone(),
                a.clock.clone(),
            ),
            activities: ActivityService::new(a.activities.clone()),
            approvals: ApprovalService::new(
                a.approvals.clone(),
                a.work.clone(),
                assignments.clone(),
                users.clone(),
                a.users.clone(),
                ledger,
                a.clock.clone(),
            ),
            invoices,
            invoice_pdf: Arc::new(zenops_infra::pdf::PdfInvoices),
            calendar: CalendarService::new(
                a.calendar.clone(),
                a.work.clone(),
                a.calendar_labels.clone(),
                assignments.clone(),
                a.feeds.clone(),
            ),
            leave: LeaveService::new(
                a.leave.clone(),
                a.work.clone(),
                days,
                a.clock.clone(),
                options.firm_zone,
            ),
            attachments,
            documents: DocumentService::new(
                DocumentPorts {
                    repo: a.documents.clone(),
                    storage: options.storage,
                    rules: a.doc_templates.clone(),
                },
                a.work.clone(),
                assignments.clone(),
                a.clock.clone(),
                options.max_upload_bytes,
            ),
            notifications: NotificationService::new(a.notifications.clone(), a.clock.clone()),
            task_templates: TaskTemplateService::new(
                a.task_templates.clone(),
                a.users.clone(),
                a.clock.clone(),
            ),
            workers,
            public_base_url: options.public_base_url,
            assignments,
            auth: AuthService::new(
                a.users.clone(),
                a.hasher.clone(),
                a.throttle.clone(),
                a.revocations.clone(),
                a.clock.clone(),
                ThrottlePolicy::default(),
            ),
            users,
            master: MasterServices {
                banks: MasterService::new(a.banks),
                branches: MasterService::new(a.branches),
                clients: MasterService::new(a.clients),
                property_types: MasterService::new(a.property_types),
                property_subtypes: MasterService::new(a.property_subtypes),
                company_accounts: MasterService::new(a.company_accounts),
                calendar_labels: MasterService::new(a.calendar_labels),
                doc_templates: MasterService::new(a.doc_templates),
                holidays,
            },
            db,
            tokens,
            trust_forwarded_for: options.trust_forwarded_for,
            metrics: options.metrics,
        }
    }
}
