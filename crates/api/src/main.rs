//! `zenops`: the server and its administrative commands.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use zenops_api::startup::{Application, prepare_database};
use zenops_api::{Settings, telemetry};
use zenops_domain::access::{CapabilityOverrides, Role, Roles};
use zenops_domain::user::{Email, NewPassword, PasswordHasher, UserProfile, UserRepository};
use zenops_infra::password::Argon2Hasher;
use zenops_infra::users::SeaUserRepository;
use zenops_infra::{SharedClock, SystemClock};

/// mimalloc rather than glibc's malloc: glibc keeps an arena per thread (actix workers,
/// SQLite's connection threads, the password-hashing threads) and gives little back, so a
/// burst of sign-ins or a run of 100-row pages left the server's resident memory two to
/// three times higher for good; it is also faster on the many small allocations of a
/// request (the bench's figures in the README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "zenops",
    version,
    about = "Zen Ops: the work operating system of Pinnacle Consultants"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default): migrations run first, and an empty database gets
    /// the demo firm unless SEED_DEMO=false.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Seed the demo firm into an empty database and exit.
    SeedDemo,
    /// Create an ADMIN user. The password comes from ZENOPS_ADMIN_PASSWORD or a prompt.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        full_name: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; the environment still applies.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("zenops: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings.clone())
                .await
                .map_err(|e| e.to_string())?;
            let host = settings
                .bind_addr
                .rsplit_once(':')
                .map_or("127.0.0.1", |(h, _)| h)
                .to_owned();
            tracing::info!(
                "Zen Ops is listening on http://{host}:{port} — Swagger UI at http://{host}:{port}/docs/",
                port = app.port()
            );
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            settings.seed_demo = false;
            prepare_database(&settings)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
            settings.seed_demo = false;
            let db = prepare_database(&settings)
                .await
                .map_err(|e| e.to_string())?;
            settings.seed_demo = true;
            settings.wants_demo_data().map_err(|e| e.to_string())?;
            let clock: SharedClock = Arc::new(SystemClock);
            let seeded = zenops_infra::seed::seed_demo(&db, &Argon2Hasher::new(), &clock)
                .await
                .map_err(|e| e.to_string())?;
            if seeded {
                tracing::info!("seeded the demo firm (password 'password' for every demo user)");
            } else {
                tracing::info!("the database already has users; no demo firm seeded");
            }
            let adapters = zenops_infra::Adapters::new(&db, clock);
            zenops_api::startup::seed_demo_work(&settings, &adapters)
                .await
                .map_err(|e| e.to_string())
        }
        Command::CreateAdmin { email, full_name } => {
            settings.seed_demo = false;
            let db = prepare_database(&settings)
                .await
                .map_err(|e| e.to_string())?;
            let email = Email::parse(&email)?;
            let password = match std::env::var("ZENOPS_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    rpassword::prompt_password("New admin password: ").map_err(|e| e.to_string())?
                }
            };
            let password = NewPassword::parse(&password).map_err(|m| format!("password {m}"))?;
            let hash = Argon2Hasher::new()
                .hash(&password)
                .await
                .map_err(|e| e.to_string())?;
            let profile = UserProfile {
                email,
                full_name,
                phone: None,
                roles: Roles::single(Role::Admin),
                is_active: true,
                capability_overrides: CapabilityOverrides::none(),
            };
            let clock: SharedClock = Arc::new(SystemClock);
            let user = SeaUserRepository::new(db, clock)
                .insert(&profile, &hash)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(id = user.id.0, email = %user.email, "created ADMIN user");
            Ok(())
        }
    }
}
