//! The assignment repository: one transaction per write, lists and counts in SQL.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, Func, NullOrdering, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, Value,
};
use time::OffsetDateTime;
use zenops_domain::assignment::{
    Area, Assignment, AssignmentCode, AssignmentFields, AssignmentQuery, AssignmentRepository,
    AssignmentScope, AssignmentStatus, AssignmentWrite, CodeSeries, Completion, DueBasis, Floor,
    Milestones, PersonLoad, ReferenceIds, References, ServiceLine, SortKey, Summary, TallyFilter,
    WorkloadRow,
};
use zenops_domain::calendar::{CalendarEventType, EventDraft};
use zenops_domain::master::CaseType;
use zenops_domain::money::Money;
use zenops_domain::page::{Page, Paged};
use zenops_domain::sla;
use zenops_domain::user::UserId;
use zenops_domain::{DomainError, DomainResult};

use crate::Database;
use crate::db::stored_time_on;
use crate::entity::{assignment_assignees, assignment_floors, assignments, calendar_events};
use crate::error::unexpected;
use crate::sql::statement_on;

use assignments::Column as A;

pub struct SeaAssignmentRepository {
    db: Database,
}

impl SeaAssignmentRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The row-access rule in SQL: created by, primary assignee, or additional assignee.
pub(crate) fn involving(user: UserId) -> Condition {
    let linked = Query::select()
        .expr(Expr::val(1))
        .from(assignment_assignees::Entity)
        .and_where(
            Expr::col((
                assignment_assignees::Entity,
                assignment_assignees::Column::AssignmentId,
            ))
            .equals((assignments::Entity, A::Id)),
        )
        .and_where(
            Expr::col((
                assignment_assignees::Entity,
                assignment_assignees::Column::UserId,
            ))
            .eq(user.0),
        )
        .to_owned();
    Condition::any()
        .add(Expr::col((assignments::Entity, A::CreatedByUserId)).eq(user.0))
        .add(Expr::col((assignments::Entity, A::AssignedToUserId)).eq(user.0))
        .add(Expr::exists(linked))
}

/// Live assignments the scope allows.
pub(crate) fn scoped(scope: AssignmentScope) -> Condition {
    let live = Condition::all().add(Expr::col((assignments::Entity, A::DeletedAt)).is_null());
    match scope {
        AssignmentScope::Everything => live,
        AssignmentScope::Involving(user) => live.add(involving(user)),
    }
}

fn open_statuses() -> Vec<&'static str> {
    AssignmentStatus::OPEN.iter().map(|s| s.as_str()).collect()
}

fn corrupt(id: i64, what: &str) -> DomainError {
    DomainError::unexpected(format!("assignment {id}: stored {what} is invalid"))
}

fn to_assignment(
    row: assignments::Model,
    additional: Vec<UserId>,
    floors: Vec<Floor>,
) -> DomainResult<Assignment> {
    let id = row.id;
    let fields = AssignmentFields {
        case_type: row
            .case_type
            .parse::<CaseType>()
            .map_err(|_| corrupt(id, "case type"))?,
        service_line: row
            .service_line
            .parse::<ServiceLine>()
            .map_err(|_| corrupt(id, "service line"))?,
        bank_id: row.bank_id,
        branch_id: row.branch_id,
        client_id: row.client_id,
        property_type_id: row.property_type_id,
        property_subtype_id: row.property_subtype_id,
        bank_name: row.bank_name,
        branch_name: row.branch_name,
        valuer_client_name: row.valuer_client_name,
        property_type_name: row.property_type_name,
        property_subtype_name: row.property_subtype_name,
        borrower_name: row.borrower_name,
        phone: row.phone,
        address: row.address,
        land_area: row.land_area.map(Area::from_hundredths),
        builtup_area: row.builtup_area.map(Area::from_hundredths),
        status: row.status.parse().map_err(|_| corrupt(id, "status"))?,
        milestones: Milestones {
            report_submitted_at: row.report_submitted_at,
            completed_at: row.completed_at,
            cancelled_at: row.cancelled_at,
        },
        cancel_reason: row.cancel_reason,
        assigned_to: row.assigned_to_user_id.map(UserId),
        additional_assignees: additional,
        assigned_at: row.assigned_at,
        site_visit_at: row.site_visit_at,
        report_due_at: row.report_due_at,
        fees: row.fees_paise.map(Money::from_paise),
        is_paid: row.is_paid,
        notes: row.notes,
        floors,
        due_at: row.due_at,
    };
    Ok(Assignment {
        id,
        code: row.assignment_code,
        created_by: UserId(row.created_by_user_id),
        fields,
        version: row.row_version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The columns a write sets (all but identity, code and creation).
fn apply(
    backend: DbBackend,
    row: &mut assignments::ActiveModel,
    f: &AssignmentFields,
    at: OffsetDateTime,
) {
    let stored = |t: OffsetDateTime| stored_time_on(backend, t);
    let time = |t: Option<OffsetDateTime>| t.map(stored);
    row.case_type = Set(f.case_type.as_str().to_owned());
    row.service_line = Set(f.service_line.as_str().to_owned());
    row.bank_id = Set(f.bank_id);
    row.branch_id = Set(f.branch_id);
    row.client_id = Set(f.client_id);
    row.property_type_id = Set(f.property_type_id);
    row.property_subtype_id = Set(f.property_subtype_id);
    row.bank_name = Set(f.bank_name.clone());
    row.branch_name = Set(f.branch_name.clone());
    row.valuer_client_name = Set(f.valuer_client_name.clone());
    row.property_type_name = Set(f.property_type_name.clone());
    row.property_subtype_name = Set(f.property_subtype_name.clone());
    row.borrower_name = Set(f.borrower_name.clone());
    row.phone = Set(f.phone.clone());
    row.address = Set(f.address.clone());
    row.land_area = Set(f.land_area.map(Area::hundredths));
    row.builtup_area = Set(f.builtup_area.map(Area::hundredths));
    row.status = Set(f.status.as_str().to_owned());
    row.assigned_to_user_id = Set(f.assigned_to.map(|u| u.0));
    row.assigned_at = Set(time(f.assigned_at));
    row.site_visit_at = Set(time(f.site_visit_at));
    row.report_due_at = Set(time(f.report_due_at));
    row.report_submitted_at = Set(time(f.milestones.report_submitted_at));
    row.completed_at = Set(time(f.milestones.completed_at));
    row.cancelled_at = Set(time(f.milestones.cancelled_at));
    row.cancel_reason = Set(f.cancel_reason.clone());
    row.fees_paise = Set(f.fees.map(Money::paise));
    row.is_paid = Set(f.is_paid);
    row.notes = Set(f.notes.clone());
    row.due_at = Set(stored(f.due_at));
    row.updated_at = Set(stored(at));
}

/// The fields' part of the search document; the code (which never changes) goes before it.
fn searched_fields(f: &AssignmentFields) -> String {
    let part = |v: &Option<String>| v.clone().unwrap_or_default();
    let parts = [
        String::new(),
        part(&f.borrower_name),
        part(&f.address),
        part(&f.bank_name),
        part(&f.valuer_client_name),
    ];
    zenops_domain::text::search_document(parts.iter().map(String::as_str))
}

fn write_error(err: sea_orm::DbErr) -> DomainError {
    match crate::error::violation(&err) {
        Some(crate::error::Violation::ForeignKey) => {
            DomainError::invalid("assignment", "refers to a record that no longer exists")
        }
        _ => unexpected(err),
    }
}

/// Replaces the assignment's additional assignees, floors and SITE_VISIT/REPORT_DUE events
/// (a `fresh` assignment has none to remove).
async fn write_children(
    txn: &DatabaseTransaction,
    fresh: bool,
    id: i64,
    code: &str,
    created_by: UserId,
    write: &AssignmentWrite,
    at: OffsetDateTime,
) -> Result<(), sea_orm::DbErr> {
    if !fresh {
        assignment_assignees::Entity::delete_many()
            .filter(assignment_assignees::Column::AssignmentId.eq(id))
            .exec(txn)
            .await?;
        assignment_floors::Entity::delete_many()
            .filter(assignment_floors::Column::AssignmentId.eq(id))
            .exec(txn)
            .await?;
        calendar_events::Entity::delete_many()
            .filter(calendar_events::Column::AssignmentId.eq(id))
            .filter(calendar_events::Column::EventType.is_in(SYNCED_EVENTS.map(|t| t.as_str())))
            .exec(txn)
            .await?;
    }
    if !write.fields.additional_assignees.is_empty() {
        let rows = write.fields.additional_assignees.iter().map(|user| {
            assignment_assignees::ActiveModel {
                assignment_id: Set(id),
                user_id: Set(user.0),
            }
        });
        assignment_assignees::Entity::insert_many(rows)
            .exec(txn)
            .await?;
    }
    if !write.fields.floors.is_empty() {
        let rows = write
            .fields
            .floors
            .iter()
            .map(|floor| assignment_floors::ActiveModel {
                assignment_id: Set(id),
                floor_name: Set(floor.floor_name.clone()),
                area: Set(floor.area.hundredths()),
                order_index: Set(floor.order_index),
                ..Default::default()
            });
        assignment_floors::Entity::insert_many(rows)
            .exec(txn)
            .await?;
    }
    sync_events(txn, id, code, created_by, &write.events, at).await
}

const SYNCED_EVENTS: [CalendarEventType; 2] =
    [CalendarEventType::SiteVisit, CalendarEventType::ReportDue];

/// Inserts the assignment's date events (the old ones are already gone).
async fn sync_events(
    txn: &DatabaseTransaction,
    id: i64,
    code: &str,
    created_by: UserId,
    events: &[EventDraft],
    at: OffsetDateTime,
) -> Result<(), sea_orm::DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events.iter().map(|event| calendar_events::ActiveModel {
        event_type: Set(event.event_type.as_str().to_owned()),
        title: Set(event.title.replace("{code}", code)),
        description: Set(None),
        start_at: Set(stored_time_on(txn.get_database_backend(), event.start_at)),
        end_at: Set(stored_time_on(txn.get_database_backend(), event.end_at)),
        all_day: Set(false),
        assignment_id: Set(Some(id)),
        created_by_user_id: Set(created_by.0),
        assigned_to_user_id: Set(event.assigned_to.map(|u| u.0)),
        assigned_user_ids: Set(serde_json::Value::from(
            event
                .assigned_user_ids
                .iter()
                .map(|u| u.0)
                .collect::<Vec<_>>(),
        )
        .to_string()),
        assigned_to_all: Set(false),
        event_label_id: Set(None),
        related_leave_request_id: Set(None),
        task_id: Set(None),
        payload_json: Set(None),
        created_at: Set(stored_time_on(txn.get_database_backend(), at)),
        updated_at: Set(stored_time_on(txn.get_database_backend(), at)),
        ..Default::default()
    });
    calendar_events::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

impl SeaAssignmentRepository {
    /// Loads the children of a page of rows in two queries (never one per row).
    async fn hydrate(&self, rows: Vec<assignments::Model>) -> DomainResult<Vec<Assignment>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut links: HashMap<i64, Vec<UserId>> = HashMap::new();
        let mut floors: HashMap<i64, Vec<Floor>> = HashMap::new();
        if !ids.is_empty() {
            // Both children in one round trip: assignee links and floors, told apart by
            // whether a floor name is present.
            let marks = crate::sql::marks(ids.len());
            let sql = format!(
                "SELECT assignment_id, user_id, NULL AS floor_name, NULL AS area, NULL AS order_index, 0 AS id \
                 FROM assignment_assignees WHERE assignment_id IN ({marks}) \
                 UNION ALL \
                 SELECT assignment_id, NULL, floor_name, area, order_index, id \
                 FROM assignment_floors WHERE assignment_id IN ({marks}) \
                 ORDER BY 1, 2, 5, 6"
            );
            let values: Vec<Value> = ids
                .iter()
                .chain(ids.iter())
                .map(|id| Value::from(*id))
                .collect();
            let children = self.db.query_all(&sql, values).await.map_err(unexpected)?;
            for row in children {
                let assignment: i64 = row.try_get("", "assignment_id").map_err(unexpected)?;
                let floor_name: Option<String> =
                    row.try_get("", "floor_name").map_err(unexpected)?;
                match floor_name {
                    Some(floor_name) => {
                        let area: i64 = row.try_get("", "area").map_err(unexpected)?;
                        let order_index: i32 =
                            row.try_get("", "order_index").map_err(unexpected)?;
                        floors.entry(assignment).or_default().push(Floor {
                            floor_name,
                            area: Area::from_hundredths(area),
                            order_index,
                        });
                    }
                    None => {
                        let user: i64 = row.try_get("", "user_id").map_err(unexpected)?;
                        links.entry(assignment).or_default().push(UserId(user));
                    }
                }
            }
            for list in links.values_mut() {
                list.sort_unstable();
            }
            for list in floors.values_mut() {
                list.sort_by_key(|f| f.order_index);
            }
        }
        rows.into_iter()
            .map(|row| {
                let id = row.id;
                to_assignment(
                    row,
                    links.remove(&id).unwrap_or_default(),
                    floors.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The live assignments with these statuses (and bank), from the tallies.
    async fn tallied(&self, filter: &TallyFilter) -> Result<Option<i64>, sea_orm::DbErr> {
        let mut values: Vec<Value> = filter
            .statuses
            .iter()
            .map(|s| Value::from(s.as_str()))
            .collect();
        let mut sql = format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM assignment_tallies WHERE status IN ({})",
            crate::sql::marks(values.len())
        );
        if let Some(bank) = filter.bank_id {
            sql.push_str(" AND bank_id = ?");
            values.push(bank.into());
        }
        let row = self.db.query_one(&sql, values).await?;
        row.map(|r| r.try_get::<i64>("", "n")).transpose()
    }

    fn filtered(
        &self,
        query: &AssignmentQuery,
        scope: AssignmentScope,
    ) -> Select<assignments::Entity> {
        let mut select = assignments::Entity::find().filter(scoped(scope));
        match query.completion {
            Completion::All => {}
            Completion::Pending => select = select.filter(A::Status.is_in(open_statuses())),
            Completion::Completed => {
                select = select.filter(A::Status.is_in([
                    AssignmentStatus::Completed.as_str(),
                    AssignmentStatus::Cancelled.as_str(),
                ]))
            }
        }
        if let Some(status) = query.status {
            select = select.filter(A::Status.eq(status.as_str()));
        }
        if let Some(case_type) = query.case_type {
            select = select.filter(A::CaseType.eq(case_type.as_str()));
        }
        if let Some(line) = query.service_line {
            select = select.filter(A::ServiceLine.eq(line.as_str()));
        }
        for (column, value) in [
            (A::BankId, query.bank_id),
            (A::BranchId, query.branch_id),
            (A::ClientId, query.client_id),
            (A::PropertyTypeId, query.property_type_id),
            (A::CreatedByUserId, query.created_by.map(|u| u.0)),
        ] {
            if let Some(value) = value {
                select = select.filter(column.eq(value));
            }
        }
        if let Some(user) = query.assigned_to {
            let linked = Query::select()
                .column(assignment_assignees::Column::AssignmentId)
                .from(assignment_assignees::Entity)
                .and_where(assignment_assignees::Column::UserId.eq(user.0))
                .to_owned();
            select = select.filter(
                Condition::any()
                    .add(A::AssignedToUserId.eq(user.0))
                    .add(A::Id.in_subquery(linked)),
            );
        }
        if query.unassigned {
            select = select.filter(A::AssignedToUserId.is_null());
        }
        if let Some(user) = query.mine {
            select = select.filter(involving(user));
        }
        if let Some(paid) = query.is_paid {
            select = select.filter(A::IsPaid.eq(paid));
        }
        if let Some(from) = query.created_from {
            select = select.filter(A::CreatedAt.gte(self.db.stored_time(from)));
        }
        if let Some(to) = query.created_to {
            select = select.filter(A::CreatedAt.lte(self.db.stored_time(to)));
        }
        if let Some(text) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            select = select.filter(crate::sql::substring_search(
                self.db.kind,
                "assignments",
                text,
            ));
        }
        select
    }

    /// The list order, with the id as a tie-break so pages never repeat or skip rows.
    /// (SQLite's indexes carry the rowid, so `(…, created_at)` indexes serve this order.)
    fn sorted(
        select: Select<assignments::Entity>,
        query: &AssignmentQuery,
    ) -> Select<assignments::Entity> {
        let mut select = select;
        let column = match query.sort {
            SortKey::CreatedAt => A::CreatedAt,
            SortKey::UpdatedAt => A::UpdatedAt,
            // Codes sort by year and number, which is also their text order within a year.
            SortKey::AssignmentCode => A::CodeYear,
            SortKey::SiteVisitAt => A::SiteVisitAt,
            SortKey::ReportDueAt => A::ReportDueAt,
            SortKey::Status => A::Status,
            SortKey::DueAt => A::DueAt,
            SortKey::BorrowerName => A::BorrowerName,
        };
        let order = if query.descending {
            sea_orm::Order::Desc
        } else {
            sea_orm::Order::Asc
        };
        // Rows without the value come last either way, on both databases (their defaults
        // differ).
        let nullable = matches!(
            query.sort,
            SortKey::SiteVisitAt | SortKey::ReportDueAt | SortKey::BorrowerName
        );
        select = if nullable {
            select.order_by_with_nulls(column, order.clone(), NullOrdering::Last)
        } else {
            select.order_by(column, order.clone())
        };
        if query.sort == SortKey::AssignmentCode {
            select = select.order_by(A::CodeNumber, order.clone());
        }
        // A stable tie-break, so pages never repeat or skip rows.
        select.order_by(A::Id, order)
    }
}

#[async_trait]
impl AssignmentRepository for SeaAssignmentRepository {
    async fn get(&self, id: i64) -> DomainResult<Assignment> {
        let row = assignments::Entity::find_by_id(id)
            .filter(A::DeletedAt.is_null())
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?
            .ok_or(DomainError::NotFound("Assignment"))?;
        let mut hydrated = self.hydrate(vec![row]).await?;
        hydrated.pop().ok_or(DomainError::NotFound("Assignment"))
    }

    async fn list(
        &self,
        query: &AssignmentQuery,
        scope: AssignmentScope,
        page: Page,
    ) -> DomainResult<Paged<Assignment>> {
        let select = self.filtered(query, scope);
        // The total and the page are two statements on two pooled connections, sent at
        // once. The total is summed from the tallies the triggers keep when the query
        // allows (`AssignmentQuery::tally_filter`); otherwise counted on its own: no
        // ordering, no columns, so the database only counts.
        let counted = async {
            let total: Option<i64> = match query.tally_filter(scope) {
                Some(tallies) => self.tallied(&tallies).await?,
                None => {
                    select
                        .clone()
                        .select_only()
                        .column_as(Expr::col((assignments::Entity, A::Id)).count(), "n")
                        .into_tuple::<i64>()
                        .one(&self.db.conn)
                        .await?
                }
            };
            Ok::<_, sea_orm::DbErr>(u64::try_from(total.unwrap_or(0)).unwrap_or(0))
        };
        let paged = Self::sorted(select.clone(), query)
            .offset(page.skip)
            .limit(page.limit)
            .all(&self.db.conn);
        let (total, rows) = tokio::join!(counted, paged);
        let total = total.map_err(unexpected)?;
        let rows = rows.map_err(unexpected)?;
        Ok(Paged {
            items: self.hydrate(rows).await?,
            total,
        })
    }

    async fn summary(&self, scope: AssignmentScope, now: OffsetDateTime) -> DomainResult<Summary> {
        let bounds = sla::thresholds(now);
        let (overdue_before, soon_before) = (bounds.overdue_before, bounds.due_soon_before);
        let open = open_statuses();
        let is_open = || -> SimpleExpr { Expr::col(A::Status).is_in(open.clone()) };
        let count_if = |cond: SimpleExpr| -> SimpleExpr {
            let sum: SimpleExpr = Func::sum(Expr::case(cond, 1).finally(0)).into();
            let zero: SimpleExpr = Expr::val(0);
            Func::coalesce([sum, zero]).into()
        };
        let row: Option<(i64, i64, i64, i64, i64, i64, i64)> = assignments::Entity::find()
            .select_only()
            .column_as(Expr::col(A::Id).count(), "total")
            .column_as(count_if(is_open()), "pending")
            .column_as(
                count_if(Expr::col(A::Status).eq(AssignmentStatus::Completed.as_str())),
                "completed",
            )
            .column_as(
                count_if(Expr::col(A::Status).eq(AssignmentStatus::Cancelled.as_str())),
                "cancelled",
            )
            .column_as(
                count_if(
                    Expr::col(A::IsPaid)
                        .eq(false)
                        .and(Expr::col(A::Status).ne(AssignmentStatus::Cancelled.as_str())),
                ),
                "unpaid",
            )
            .column_as(
                count_if(
                    is_open().and(Expr::col(A::DueAt).lt(self.db.stored_time(overdue_before))),
                ),
                "overdue",
            )
            .column_as(
                count_if(
                    is_open()
                        .and(Expr::col(A::DueAt).gte(self.db.stored_time(overdue_before)))
                        .and(Expr::col(A::DueAt).lt(self.db.stored_time(soon_before))),
                ),
                "due_soon",
            )
            .filter(scoped(scope))
            .into_tuple()
            .one(&self.db.conn)
            .await
            .map_err(unexpected)?;
        let (total, pending, completed, cancelled, unpaid, overdue, due_soon) =
            row.unwrap_or_default();
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Summary {
            total: n(total),
            pending: n(pending),
            completed: n(completed),
            cancelled: n(cancelled),
            unpaid: n(unpaid),
            overdue: n(overdue),
            due_soon: n(due_soon),
        })
    }

    async fn workload(
        &self,
        scope: AssignmentScope,
        now: OffsetDateTime,
    ) -> DomainResult<Vec<WorkloadRow>> {
        let bounds = sla::thresholds(now);
        let (overdue_before, soon_before) = (bounds.overdue_before, bounds.due_soon_before);
        let open = open_statuses();
        let placeholders = crate::sql::marks(open.len());
        let mut values: Vec<Value> = vec![
            self.db.stored_time(overdue_before).into(),
            self.db.stored_time(overdue_before).into(),
            self.db.stored_time(soon_before).into(),
        ];
        values.extend(open.iter().map(|s| Value::from(*s)));
        let scope_sql = match scope {
            AssignmentScope::Everything => String::new(),
            AssignmentScope::Involving(user) => {
                values.extend([user.0.into(), user.0.into(), user.0.into()]);
                " AND (a.created_by_user_id = ? OR a.assigned_to_user_id = ? OR EXISTS \
                 (SELECT 1 FROM assignment_assignees x WHERE x.assignment_id = a.id AND x.user_id = ?))"
                    .to_owned()
            }
        };
        // Each assignment counts once for each of its people: the primary assignee (or the
        // unassigned bucket) and every additional assignee.
        let sql = format!(
            "SELECT p.user_id AS user_id, COUNT(*) AS total_open, \
             COALESCE(SUM(CASE WHEN a.due_at < ? THEN 1 ELSE 0 END), 0) AS overdue, \
             COALESCE(SUM(CASE WHEN a.due_at >= ? AND a.due_at < ? THEN 1 ELSE 0 END), 0) AS due_soon \
             FROM assignments a \
             JOIN (SELECT id AS assignment_id, assigned_to_user_id AS user_id FROM assignments \
                   UNION ALL SELECT assignment_id, user_id FROM assignment_assignees) p ON p.assignment_id = a.id \
             WHERE a.deleted_at IS NULL AND a.status IN ({placeholders}){scope_sql} \
             GROUP BY p.user_id"
        );
        let rows = self.db.query_all(&sql, values).await.map_err(unexpected)?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in rows {
            let user: Option<i64> = row.try_get("", "user_id").map_err(unexpected)?;
            let total: i64 = row.try_get("", "total_open").map_err(unexpected)?;
            let overdue: i64 = row.try_get("", "overdue").map_err(unexpected)?;
            let due_soon: i64 = row.try_get("", "due_soon").map_err(unexpected)?;
            counts.push((user, total, overdue, due_soon));
        }
        let user_ids: Vec<i64> = counts.iter().filter_map(|c| c.0).collect();
        let people: HashMap<i64, (String, Option<String>)> = if user_ids.is_empty() {
            HashMap::new()
        } else {
            crate::entity::users::Entity::find()
                .filter(crate::entity::users::Column::Id.is_in(user_ids))
                .all(&self.db.conn)
                .await
                .map_err(unexpected)?
                .into_iter()
                .map(|u| (u.id, (u.email, u.full_name)))
                .collect()
        };
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(counts
            .into_iter()
            .map(|(user, total, overdue, due_soon)| {
                let person = user.and_then(|id| people.get(&id));
                WorkloadRow {
                    user_id: user.map(UserId),
                    user_email: person.map(|p| p.0.clone()),
                    user_name: match (user, person) {
                        (None, _) => Some("Unassigned".to_owned()),
                        (Some(_), p) => p.and_then(|p| p.1.clone()),
                    },
                    total_open: n(total),
                    overdue: n(overdue),
                    due_soon: n(due_soon),
                    ok: n(total - overdue - due_soon),
                    on_leave_today: false,
                    upcoming_leave: Vec::new(),
                }
            })
            .collect())
    }

    async fn open_due_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> DomainResult<Vec<DueBasis>> {
        use assignments::Column as A;
        let rows = assignments::Entity::find()
            .select_only()
            .column(A::Id)
            .column(A::RowVersion)
            .column(A::CreatedAt)
            .column(A::SiteVisitAt)
            .column(A::ReportDueAt)
            .column(A::DueAt)
            .filter(A::DeletedAt.is_null())
            .filter(A::Status.is_in(open_statuses()))
            .filter(A::DueAt.gte(self.db.stored_time(from)))
            .filter(A::DueAt.lt(self.db.stored_time(to)))
            .order_by_asc(A::Id)
            .into_tuple::<(
                i64,
                i64,
                OffsetDateTime,
                Option<OffsetDateTime>,
                Option<OffsetDateTime>,
                OffsetDateTime,
            )>()
            .all(&self.db.conn)
            .await
            .map_err(unexpected)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, version, created_at, site_visit_at, report_due_at, due_at)| DueBasis {
                    id,
                    version,
                    created_at,
                    site_visit_at,
                    report_due_at,
                    due_at,
                },
            )
            .collect())
    }

    async fn load_by_person(
        &self,
        due_from: OffsetDateTime,
        due_to: OffsetDateTime,
    ) -> DomainResult<Vec<PersonLoad>> {
        let open = open_statuses();
        let placeholders = crate::sql::marks(open.len());
        let mut values: Vec<Value> = vec![
            self.db.stored_time(due_from).into(),
            self.db.stored_time(due_to).into(),
        ];
        values.extend(open.iter().map(|s| Value::from(*s)));
        // Each open assignment counts once for each of its people, as in the workload.
        let sql = format!(
            "SELECT p.user_id AS user_id, COUNT(*) AS open, \
             COALESCE(SUM(CASE WHEN a.due_at >= ? AND a.due_at < ? THEN 1 ELSE 0 END), 0) AS due \
             FROM assignments a \
             JOIN (SELECT id AS assignment_id, assigned_to_user_id AS user_id FROM assignments \
                   UNION ALL SELECT assignment_id, user_id FROM assignment_assignees) p ON p.assignment_id = a.id \
             WHERE a.deleted_at IS NULL AND a.status IN ({placeholders}) AND p.user_id IS NOT NULL \
             GROUP BY p.user_id"
        );
        let rows = self.db.query_all(&sql, values).await.map_err(unexpected)?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        rows.into_iter()
            .map(|row| {
                let user: i64 = row.try_get("", "user_id").map_err(unexpected)?;
                let open: i64 = row.try_get("", "open").map_err(unexpected)?;
                let due: i64 = row.try_get("", "due").map_err(unexpected)?;
                Ok(PersonLoad {
                    user_id: UserId(user),
                    open: n(open),
                    due_in_window: n(due),
                })
            })
            .collect()
    }

    async fn references(&self, ids: &ReferenceIds) -> DomainResult<References> {
        let id = |v: Option<i64>| Value::from(v.unwrap_or(0));
        // One round trip for every master reference.
        let sql = "SELECT \
            (SELECT name FROM banks WHERE id = ?) AS bank, \
            (SELECT name FROM branches WHERE id = ?) AS branch, \
            (SELECT bank_id FROM branches WHERE id = ?) AS branch_bank, \
            (SELECT name FROM clients WHERE id = ?) AS client, \
            (SELECT name FROM property_types WHERE id = ?) AS property_type, \
            (SELECT name FROM property_subtypes WHERE id = ?) AS subtype, \
            (SELECT property_type_id FROM property_subtypes WHERE id = ?) AS subtype_type";
        let values = vec![
            id(ids.bank_id),
            id(ids.branch_id),
            id(ids.branch_id),
            id(ids.client_id),
            id(ids.property_type_id),
            id(ids.property_subtype_id),
            id(ids.property_subtype_id),
        ];
        let row = self
            .db
            .query_one(sql, values)
            .await
            .map_err(unexpected)?
            .ok_or_else(|| DomainError::unexpected("reference lookup returned nothing"))?;
        let get_text = |col: &str| row.try_get::<Option<String>>("", col).map_err(unexpected);
        let get_id = |col: &str| row.try_get::<Option<i64>>("", col).map_err(unexpected);
        let branch = get_text("branch")?.zip(get_id("branch_bank")?);
        let property_subtype = get_text("subtype")?.zip(get_id("subtype_type")?);
        let active_users = if ids.users.is_empty() {
            Vec::new()
        } else {
            let wanted: Vec<i64> = ids.users.iter().map(|u| u.0).collect();
            let found: Vec<i64> = crate::entity::users::Entity::find()
                .select_only()
                .column(crate::entity::users::Column::Id)
                .filter(crate::entity::users::Column::Id.is_in(wanted))
                .filter(crate::entity::users::Column::IsActive.eq(true))
                .into_tuple()
                .all(&self.db.conn)
                .await
                .map_err(unexpected)?;
            found.into_iter().map(UserId).collect()
        };
        Ok(References {
            bank: get_text("bank")?,
            branch,
            client: get_text("client")?,
            property_type: get_text("property_type")?,
            property_subtype,
            active_users,
        })
    }
}

/// [`zenops_domain::assignment::AssignmentStore::create`] inside `txn`.
pub(crate) async fn create_in(
    txn: &DatabaseTransaction,
    series: &CodeSeries,
    created_by: UserId,
    write: &AssignmentWrite,
    at: OffsetDateTime,
) -> DomainResult<Assignment> {
    let backend = txn.get_database_backend();
    // Drawing the number is the transaction's first write: on SQLite it takes the write
    // lock at once; on PostgreSQL the counter row stays locked until commit. Either way
    // the numbers are handed out in commit order, and a rollback returns the number.
    let counter = statement_on(
        backend,
        "INSERT INTO assignment_code_counters (year, last_number) VALUES (?, 1) \
             ON CONFLICT (year) DO UPDATE SET last_number = assignment_code_counters.last_number + 1 \
             RETURNING last_number",
        vec![series.year.into()],
    );
    let number: i64 = txn
        .query_one_raw(counter)
        .await
        .map_err(unexpected)?
        .ok_or_else(|| DomainError::unexpected("code counter returned nothing"))?
        .try_get("", "last_number")
        .map_err(unexpected)?;
    let code = AssignmentCode::new(
        &series.prefix,
        series.year,
        u64::try_from(number).unwrap_or(0),
    )
    .map_err(DomainError::unexpected)?
    .to_string();
    let mut row = assignments::ActiveModel {
        assignment_code: Set(code.clone()),
        code_year: Set(series.year),
        code_number: Set(number),
        created_by_user_id: Set(created_by.0),
        created_at: Set(stored_time_on(backend, at)),
        deleted_at: Set(None),
        deleted_by_user_id: Set(None),
        row_version: Set(1),
        ..Default::default()
    };
    apply(backend, &mut row, &write.fields, at);
    row.search_text = Set(format!(
        "{}{}",
        code.to_lowercase(),
        searched_fields(&write.fields)
    ));
    let saved = row.insert(txn).await.map_err(write_error)?;
    write_children(txn, true, saved.id, &code, created_by, write, at)
        .await
        .map_err(write_error)?;
    to_assignment(
        saved,
        write.fields.additional_assignees.clone(),
        write.fields.floors.clone(),
    )
}

/// A versioned write that found the row moved on (or gone).
fn stale() -> DomainError {
    DomainError::conflict(
        "stale",
        "The assignment was changed by someone else meanwhile; reload it and try again",
    )
}

/// [`zenops_domain::assignment::AssignmentStore::update`] inside `txn`.
pub(crate) async fn update_in(
    txn: &DatabaseTransaction,
    id: i64,
    version: i64,
    write: &AssignmentWrite,
    at: OffsetDateTime,
) -> DomainResult<Assignment> {
    let backend = txn.get_database_backend();
    let mut row = <assignments::ActiveModel as Default>::default();
    apply(backend, &mut row, &write.fields, at);
    row.row_version = Set(version + 1);
    let updated = assignments::Entity::update_many()
        .set(row)
        // Codes are ASCII, so SQL's lower() is the search document's.
        .col_expr(
            A::SearchText,
            Expr::expr(Func::lower(Expr::col(A::AssignmentCode))).binary(
                sea_orm::sea_query::BinOper::Custom("||"),
                Expr::val(searched_fields(&write.fields)),
            ),
        )
        .filter(A::Id.eq(id))
        .filter(A::RowVersion.eq(version))
        .filter(A::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(write_error)?;
    if updated.rows_affected == 0 {
        return Err(stale());
    }
    let saved = assignments::Entity::find_by_id(id)
        .one(txn)
        .await
        .map_err(unexpected)?
        .ok_or(DomainError::NotFound("Assignment"))?;
    let created_by = UserId(saved.created_by_user_id);
    write_children(
        txn,
        false,
        id,
        &saved.assignment_code,
        created_by,
        write,
        at,
    )
    .await
    .map_err(write_error)?;
    to_assignment(
        saved,
        write.fields.additional_assignees.clone(),
        write.fields.floors.clone(),
    )
}

/// [`zenops_domain::assignment::AssignmentStore::delete`] inside `txn`.
pub(crate) async fn delete_in(
    txn: &DatabaseTransaction,
    id: i64,
    version: i64,
    by: UserId,
    at: OffsetDateTime,
) -> DomainResult<()> {
    let backend = txn.get_database_backend();
    let deleted = assignments::Entity::update_many()
        .col_expr(A::DeletedAt, Expr::value(stored_time_on(backend, at)))
        .col_expr(A::DeletedByUserId, Expr::value(by.0))
        .col_expr(A::UpdatedAt, Expr::value(stored_time_on(backend, at)))
        .col_expr(A::RowVersion, Expr::value(version + 1))
        .filter(A::Id.eq(id))
        .filter(A::RowVersion.eq(version))
        .filter(A::DeletedAt.is_null())
        .exec(txn)
        .await
        .map_err(unexpected)?;
    if deleted.rows_affected == 0 {
        return Err(stale());
    }
    calendar_events::Entity::delete_many()
        .filter(calendar_events::Column::AssignmentId.eq(id))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(())
}

/// [`zenops_domain::assignment::AssignmentStore::set_due_at`] inside `txn`.
pub(crate) async fn set_due_at_in(
    txn: &DatabaseTransaction,
    id: i64,
    version: i64,
    due_at: OffsetDateTime,
    at: OffsetDateTime,
) -> DomainResult<bool> {
    use assignments::Column as A;
    let backend = txn.get_database_backend();
    let updated = assignments::Entity::update_many()
        .col_expr(A::DueAt, Expr::value(stored_time_on(backend, due_at)))
        .col_expr(A::RowVersion, Expr::col(A::RowVersion).add(1))
        .col_expr(A::UpdatedAt, Expr::value(stored_time_on(backend, at)))
        .filter(A::Id.eq(id))
        .filter(A::RowVersion.eq(version))
        .exec(txn)
        .await
        .map_err(unexpected)?;
    Ok(updated.rows_affected == 1)
}
