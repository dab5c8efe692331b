//! The services the handlers call, built once at start-up.

use zenops_domain::auth::{AuthService, ThrottlePolicy};
use zenops_domain::master::{
    Banks, Branches, CalendarLabels, Clients, CompanyAccounts, DocTemplates, MasterService,
    PropertySubtypes, PropertyTypes,
};
use zenops_domain::user::UserService;
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
}

pub struct AppState {
    pub db: Database,
    pub auth: AuthService,
    pub users: UserService,
    pub master: MasterServices,
    pub tokens: TokenCodec,
    pub trust_forwarded_for: bool,
}

impl AppState {
    pub fn new(
        db: Database,
        adapters: Adapters,
        tokens: TokenCodec,
        trust_forwarded_for: bool,
    ) -> Self {
        let a = adapters;
        Self {
            auth: AuthService::new(
                a.users.clone(),
                a.hasher.clone(),
                a.throttle.clone(),
                a.revocations.clone(),
                a.clock.clone(),
                ThrottlePolicy::default(),
            ),
            users: UserService::new(a.users.clone(), a.hasher.clone()),
            master: MasterServices {
                banks: MasterService::new(a.banks),
                branches: MasterService::new(a.branches),
                clients: MasterService::new(a.clients),
                property_types: MasterService::new(a.property_types),
                property_subtypes: MasterService::new(a.property_subtypes),
                company_accounts: MasterService::new(a.company_accounts),
                calendar_labels: MasterService::new(a.calendar_labels),
                doc_templates: MasterService::new(a.doc_templates),
            },
            db,
            tokens,
            trust_forwarded_for,
        }
    }
}
