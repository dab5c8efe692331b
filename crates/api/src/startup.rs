//! Building and running the application: database, services, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use time::Duration;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};
use zenops_domain::user::PasswordHasher;
use zenops_infra::{Adapters, Database, SharedClock, SystemClock};

use crate::config::{ConfigError, Settings};
use crate::edge::{self, MAX_BODY_BYTES};
use crate::error::{extractor_error, json_error, no_route};
use crate::openapi::{ApiDoc, accept_oauth_tokens, document_edge_errors};
use crate::routes;
use crate::session::TokenCodec;
use crate::state::{AppState, Options};
use crate::telemetry::request_context;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Database(#[from] zenops_infra::DbErr),
    #[error("demo data: {0}")]
    Seed(#[from] zenops_domain::DomainError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// Connects, applies migrations and, on an empty database, seeds the demo firm when asked.
pub async fn prepare_database(settings: &Settings) -> Result<Database, StartupError> {
    let url = settings.database_url()?;
    let db = Database::connect(&url, settings.db_max_connections).await?;
    db.migrate().await?;
    if settings.wants_demo_data()? {
        let clock: SharedClock = Arc::new(SystemClock);
        if zenops_infra::seed::seed_demo(
            &db,
            &zenops_infra::password::Argon2Hasher::new() as &dyn PasswordHasher,
            &clock,
        )
        .await?
        {
            tracing::info!(
                "seeded the demo firm: sign in as admin@zenops.local (or ops@, hr@, finance@, assistant@, field@, employee@) with password 'password'"
            );
        }
    }
    Ok(db)
}

/// Gives the demo firm its demo assignments, if it has none yet.
pub async fn seed_demo_work(settings: &Settings, adapters: &Adapters) -> Result<(), StartupError> {
    let firm = zenops_infra::seed::DemoFirm {
        zone: settings.firm_zone()?,
        storage: settings.storage()?,
        weekly_offs: settings.weekly_offs()?,
        code_prefix: settings.assignment_code_prefix.trim().to_owned(),
        invoice_prefix: settings.invoice_number_prefix.trim().to_owned(),
    };
    let seeded = zenops_infra::seed::seed_demo_work(adapters, &firm).await?;
    if seeded {
        tracing::info!(
            "seeded a dozen demo assignments with tasks, messages, approvals, invoices and leave"
        );
    }
    Ok(())
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.check()?;
        zenops_infra::documents::install_tls_provider();
        let db = prepare_database(&settings).await?;
        let clock: SharedClock = Arc::new(SystemClock);
        let tokens = TokenCodec::new(
            &settings.jwt_secret()?,
            Duration::minutes(settings.access_token_ttl_minutes),
            Duration::hours(settings.session_max_hours),
        );
        let adapters = Adapters::new(&db, clock);
        if settings.wants_demo_data()? && settings.seed_demo_work {
            seed_demo_work(&settings, &adapters).await?;
        }
        let options = Options {
            trust_forwarded_for: settings.trust_forwarded_for,
            firm_zone: settings.firm_zone()?,
            weekly_offs: settings.weekly_offs()?,
            public_base_url: settings.public_base_url()?,
            storage: settings.storage()?,
            max_upload_bytes: settings.max_upload_bytes()?,
            code_prefix: settings.assignment_code_prefix.trim().to_owned(),
            invoice_prefix: settings.invoice_number_prefix.trim().to_owned(),
            mailer: settings.mailer()?,
            jobs: settings.jobs()?,
            metrics: settings.metrics_access(),
        };
        crate::metrics::install();
        let jobs = options.jobs.clone();
        let state = web::Data::new(AppState::new(db, adapters, tokens, options));
        let job_state = state.clone();
        let listener =
            TcpListener::bind(&settings.bind_addr).map_err(|source| StartupError::Bind {
                addr: settings.bind_addr.clone(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: settings.bind_addr.clone(),
                source,
            })?
            .port();
        let cors_origins = settings.cors_origins.clone();
        let development = !settings.is_production();
        let limits = edge::Limits {
            body_idle_timeout: std::time::Duration::from_secs(settings.client_body_timeout_secs),
        };
        let mut server = HttpServer::new(move || {
            let (app, mut api) = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(MAX_BODY_BYTES)
                        .error_handler(|e, _| json_error(e)),
                )
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(e)))
                .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error(e)))
                .app_data(web::FormConfig::default().error_handler(|e, _| extractor_error(e)))
                .configure(routes::health::configure)
                .configure(crate::metrics::configure)
                .configure(routes::auth::configure)
                .configure(routes::users::configure)
                .configure(routes::master::configure)
                .configure(routes::assignments::configure)
                .configure(routes::work::configure)
                .configure(routes::activity::configure)
                .configure(routes::calendar::configure)
                .configure(routes::approvals::configure)
                .configure(routes::invoices::configure)
                .configure(routes::leave::configure)
                .configure(routes::documents::configure)
                .configure(routes::attachments::configure)
                .configure(routes::notifications::configure)
                .configure(routes::task_templates::configure)
                .split_for_parts();
            accept_oauth_tokens(&mut api);
            document_edge_errors(&mut api);
            // Outermost first: the request's span and id, JSON for every error, CORS, then
            // the limits on the request head and the panic guard.
            app.wrap(from_fn(move |req, next| edge::guard(limits, req, next)))
                .wrap(cors(&cors_origins, development))
                .wrap(from_fn(edge::json_errors))
                .wrap(from_fn(request_context))
                .wrap(from_fn(crate::metrics::record))
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header((header::LOCATION, "/docs/"))
                            .finish()
                    }),
                )
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .url("/api-docs/openapi.json", api)
                        .config(SwaggerConfig::default().persist_authorization(true)),
                )
                .default_service(web::to(no_route))
        });
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers.max(1));
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartupError::Bind {
                addr: settings.bind_addr.clone(),
                source,
            })?
            .run();
        crate::jobs::spawn(job_state, &jobs);
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn cors(origins: &[String], development: bool) -> Cors {
    let configured: Vec<String> = origins
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    Cors::default()
        .allowed_origin_fn(move |origin, _| {
            let origin = origin.to_str().unwrap_or_default();
            configured.iter().any(|o| o == origin)
                || (development
                    && (origin.starts_with("http://localhost:")
                        || origin.starts_with("http://127.0.0.1:")))
        })
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-step-up-token"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-total-count"),
            // A download's name and checksum, for a frontend on another origin.
            header::CONTENT_DISPOSITION,
            header::ETAG,
        ])
        .supports_credentials()
        .max_age(3600)
}
