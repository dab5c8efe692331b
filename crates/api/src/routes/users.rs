//! Managing people (ADMIN and HR), and the colleague directory everyone may read.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use zenops_domain::approval::PasswordResetOutcome;
use zenops_domain::page::Page;
use zenops_domain::user::{NewUser, USER_LIST_CAP, User, UserChanges, UserFilter, UserId};

use crate::dto::{IdPath, UserRead, listing, nullable, timestamp};
use crate::error::{ApiError, ApiResult, AuthErrors, WriteErrors};
use crate::routes::approvals::ApprovalRead;
use crate::session::Authenticated;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserListQuery {
    /// Include deactivated users (default true).
    pub include_inactive: Option<bool>,
    /// Only users holding this role (primary or not).
    pub role: Option<String>,
    /// At most this many users (default and cap 1000).
    pub limit: Option<i64>,
    /// Skip this many users first.
    pub skip: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DirectoryQuery {
    /// Include deactivated users (default false).
    pub include_inactive: Option<bool>,
    /// At most this many users (default and cap 1000).
    pub limit: Option<i64>,
    /// Skip this many users first.
    pub skip: Option<i64>,
}

fn page(limit: Option<i64>, skip: Option<i64>) -> ApiResult<Page> {
    Page::parse(limit, skip, USER_LIST_CAP, USER_LIST_CAP).map_err(ApiError::BadRequest)
}

/// A user with their open work and recent sign-ins, as the personnel page reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserListItem {
    #[serde(flatten)]
    pub user: UserRead,
    /// Open assignments where they are the primary or an additional assignee.
    pub open_assignments: u64,
    /// Of those, how many are overdue.
    pub overdue_assignments: u64,
    pub on_leave_today: bool,
    /// Successful sign-ins (`USER_LOGIN` trail entries) in the last 30 days.
    pub login_count_30d: u64,
    /// Days with at least one sign-in in the last 30 days, as dates in the firm's time
    /// zone (`FIRM_TIMEZONE`, at its current offset from UTC). The 30 × 24 hours can touch
    /// 31 dates, so this is at most 31.
    pub active_days_30d: u64,
}

/// A colleague, with just what is needed to pick one.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryEntry {
    pub id: i64,
    pub email: String,
    pub full_name: Option<String>,
    pub role: String,
    pub roles: Vec<String>,
    pub is_active: bool,
    #[serde(with = "timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login_at: Option<OffsetDateTime>,
}

impl From<&User> for DirectoryEntry {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0,
            email: user.email.as_str().to_owned(),
            full_name: user.full_name.clone(),
            role: user.roles.primary().as_str().to_owned(),
            roles: user.roles.names().into_iter().map(str::to_owned).collect(),
            is_active: user.is_active,
            last_login_at: user.last_login_at,
        }
    }
}

/// A new user. `roles` lists every role (the first, or `role`, is primary); without
/// either the user is an EMPLOYEE. The password must meet the policy: 12+ characters with
/// lowercase, uppercase, a digit and a symbol.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserCreate {
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
    pub roles: Option<Vec<String>>,
    pub is_active: Option<bool>,
    pub capability_overrides: Option<BTreeMap<String, bool>>,
}

/// Changes to a user; absent fields stay as they are, `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UserUpdate {
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub full_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub role: Option<String>,
    pub roles: Option<Vec<String>>,
    pub is_active: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<BTreeMap<String, bool>>)]
    pub capability_overrides: Option<Option<BTreeMap<String, bool>>>,
    /// A new password (policy applies).
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordReset {
    pub password: String,
}

fn pairs(map: BTreeMap<String, bool>) -> Vec<(String, bool)> {
    map.into_iter().collect()
}

/// Every user (needs `manage_users`), oldest first, with their open and overdue work and
/// their sign-ins over the last 30 days.
#[utoipa::path(
    tag = "users",
    params(UserListQuery),
    responses(
        (status = 200, body = Vec<UserListItem>, headers(("X-Total-Count" = i64, description = "Users matching"))),
        AuthErrors
    ),
    security(("bearer" = []))
)]
#[get("/api/auth/users")]
async fn list_users(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<UserListQuery>,
) -> ApiResult<HttpResponse> {
    let role = match &query.role {
        Some(role) => Some(role.parse().map_err(ApiError::BadRequest)?),
        None => None,
    };
    let filter = UserFilter {
        include_inactive: query.include_inactive.unwrap_or(true),
        role,
        by_name: false,
    };
    let window = page(query.limit, query.skip)?;
    let users = state.users.list(&caller.actor, &filter, window).await?;
    // One aggregate query for everyone's open work, not one per user; one for who is away.
    let workload = state.assignments.workload(&caller.actor).await?;
    let ids: Vec<_> = users.items.iter().map(|(u, _)| u.id).collect();
    let away = state.leave.away_today(&ids).await?;
    Ok(listing(users.map(|(u, logins)| {
        let work = workload.iter().find(|w| w.user_id == Some(u.id));
        UserListItem {
            open_assignments: work.map_or(0, |w| w.total_open),
            overdue_assignments: work.map_or(0, |w| w.overdue),
            on_leave_today: away.contains(&u.id),
            login_count_30d: logins.logins,
            active_days_30d: logins.active_days,
            user: UserRead::from(&u),
        }
    })))
}

/// Colleagues by name, for any signed-in user (assignee pickers, mentions).
#[utoipa::path(
    tag = "users",
    params(DirectoryQuery),
    responses(
        (status = 200, body = Vec<DirectoryEntry>, headers(("X-Total-Count" = i64, description = "Users matching"))),
        AuthErrors
    ),
    security(("bearer" = []))
)]
#[get("/api/auth/users/directory")]
async fn directory(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: web::Query<DirectoryQuery>,
) -> ApiResult<HttpResponse> {
    let include_inactive = query.include_inactive.unwrap_or(false);
    let window = page(query.limit, query.skip)?;
    let users = state
        .users
        .directory(&caller.actor, include_inactive, window)
        .await?;
    Ok(listing(users.map(|u| DirectoryEntry::from(&u))))
}

/// Create a user (needs `manage_users`; only an ADMIN may create an ADMIN or set overrides).
#[utoipa::path(tag = "users", request_body = UserCreate, responses((status = 201, body = UserRead), WriteErrors), security(("bearer" = [])))]
#[post("/api/auth/users")]
async fn create_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Json<UserCreate>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let input = NewUser {
        email: body.email,
        password: body.password,
        full_name: body.full_name,
        phone: body.phone,
        role: body.role,
        roles: body.roles,
        is_active: body.is_active,
        capability_overrides: body.capability_overrides.map(pairs),
    };
    let user = state.users.create(&caller.actor, input).await?;
    Ok(HttpResponse::Created().json(UserRead::from(&user)))
}

/// One user (needs `manage_users`, or be that user).
#[utoipa::path(tag = "users", params(IdPath), responses((status = 200, body = UserRead), WriteErrors), security(("bearer" = [])))]
#[get("/api/auth/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<UserRead>> {
    let user = state.users.get(&caller.actor, UserId(path.id)).await?;
    Ok(web::Json(UserRead::from(&user)))
}

/// Edit a user. The last active ADMIN cannot be demoted or deactivated (409).
#[utoipa::path(tag = "users", params(IdPath), request_body = UserUpdate, responses((status = 200, body = UserRead), WriteErrors), security(("bearer" = [])))]
#[patch("/api/auth/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<UserUpdate>,
) -> ApiResult<web::Json<UserRead>> {
    let body = body.into_inner();
    let changes = UserChanges {
        email: body.email,
        full_name: body.full_name,
        phone: body.phone,
        role: body.role,
        roles: body.roles,
        is_active: body.is_active,
        capability_overrides: body.capability_overrides.map(|o| o.map(pairs)),
        password: body.password,
    };
    let user = state
        .users
        .update(&caller.actor, UserId(path.id), changes)
        .await?;
    Ok(web::Json(UserRead::from(&user)))
}

/// Deactivate a user (users are never deleted, so their history stays attributable).
#[utoipa::path(tag = "users", params(IdPath), responses((status = 200, body = UserRead), WriteErrors), security(("bearer" = [])))]
#[delete("/api/auth/users/{id}")]
async fn deactivate_user(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
) -> ApiResult<web::Json<UserRead>> {
    let user = state
        .users
        .deactivate(&caller.actor, UserId(path.id))
        .await?;
    Ok(web::Json(UserRead::from(&user)))
}

/// Set a user's password (`manage_users`; an ADMIN's only by an ADMIN). Anyone else gets
/// a RESET_PASSWORD request instead (202, with the approval): the password sent is not
/// kept, and approving the request makes the user choose a new one at their next sign-in.
#[utoipa::path(
    tag = "users",
    params(IdPath),
    request_body = PasswordReset,
    responses(
        (status = 200, body = UserRead, description = "The password was set"),
        (status = 202, body = ApprovalRead, description = "A reset was requested"),
        WriteErrors
    ),
    security(("bearer" = []))
)]
#[post("/api/auth/users/{id}/reset-password")]
async fn reset_password(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<IdPath>,
    body: web::Json<PasswordReset>,
) -> ApiResult<HttpResponse> {
    let outcome = state
        .approvals
        .reset_password(&caller.actor, UserId(path.id), &body.password)
        .await?;
    Ok(match outcome {
        PasswordResetOutcome::Reset(user) => HttpResponse::Ok().json(UserRead::from(&user)),
        PasswordResetOutcome::Requested(approval) => {
            HttpResponse::Accepted().json(ApprovalRead::new(&approval, &caller.actor))
        }
    })
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    // The directory is registered before `/{id}` so that it is not read as an id.
    cfg.service(directory)
        .service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(deactivate_user)
        .service(reset_password);
}
