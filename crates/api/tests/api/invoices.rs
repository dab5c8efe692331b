//! Invoices end to end: drafts to paid, numbers, GST, payments and credits, mark-paid
//! by a money role and through an approval, the ledger, and privacy.

use serde_json::{Value, json};

use crate::assignments::{bank_case, create};
use crate::helpers::*;

/// A BANK case at Axis / Chennai Main (Tamil Nadu) with a fee, made by an ADMIN.
pub async fn billable(app: &TestApp, admin: &str, borrower: &str, fee: &str) -> (i64, String) {
    let mut body = bank_case(borrower);
    body["fees"] = json!(fee);
    let made = create(app, admin, &body).await;
    (
        made["id"].as_i64().unwrap(),
        made["assignment_code"].as_str().unwrap().to_owned(),
    )
}

pub async fn draft(app: &TestApp, token: &str, assignment: i64) -> Value {
    expect(
        app.post(
            "/api/invoices",
            token,
            &json!({"assignment_id": assignment}),
        )
        .await,
        201,
    )
    .await
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn act(
    app: &TestApp,
    token: &str,
    invoice: i64,
    action: &str,
    body: Value,
    status: u16,
) -> Value {
    expect(
        app.post(&format!("/api/invoices/{invoice}/{action}"), token, &body)
            .await,
        status,
    )
    .await
}

#[tokio::test]
async fn an_invoice_goes_from_draft_to_paid_with_the_arithmetic_of_the_docs() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let (assignment, code) = billable(&app, &admin, "Lifecycle", "10000.00").await;

    // Drafted with the assignment's fee as its line, at the default 18%.
    let invoice = draft(&app, &finance, assignment).await;
    let inv = id(&invoice);
    assert_eq!(invoice["status"], "DRAFT");
    assert_eq!(invoice["invoice_number"], Value::Null);
    assert_eq!(invoice["tax_rate"], "18.00");
    assert_eq!(
        invoice["items"][0]["description"],
        format!("Valuation Fees ({code})")
    );
    assert_eq!(invoice["grand_total"], "11800.00");
    assert_eq!(invoice["party_name"], "Lifecycle");
    // One live invoice per assignment.
    let second = expect(
        app.post(
            "/api/invoices",
            &finance,
            &json!({"assignment_id": assignment}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(second["code"], "live_invoice_exists");

    // Example 3 of docs/invoice-arithmetic.md: a discount before tax.
    let edited = expect(
        app.patch(
            &format!("/api/invoices/{inv}"),
            &finance,
            &json!({"discount_amount": "1000.00", "due_date": "2099-12-31"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(edited["subtotal"], "10000.00");
    assert_eq!(edited["taxable_value"], "9000.00");
    assert_eq!(edited["tax_total"], "1620.00");
    assert_eq!(edited["grand_total"], "10620.00");
    // A discount over the subtotal is refused.
    expect(
        app.patch(
            &format!("/api/invoices/{inv}"),
            &finance,
            &json!({"discount_amount": "10000.01"}),
        )
        .await,
        422,
    )
    .await;

    // Issued: numbered from the assignment's code; Chennai is not the firm's state here
    // (no profile), so all of the tax is IGST.
    let issued = act(&app, &finance, inv, "issue", json!({}), 200).await;
    assert_eq!(issued["status"], "ISSUED");
    assert_eq!(issued["invoice_number"], code.replacen("VAL", "INV", 1));
    assert_eq!(issued["tax_breakdown"]["igst"], "1620.00");
    assert_eq!(issued["tax_breakdown"]["cgst"], "0.00");
    expect(
        app.patch(
            &format!("/api/invoices/{inv}"),
            &finance,
            &json!({"notes": "x"}),
        )
        .await,
        409,
    )
    .await;
    act(&app, &finance, inv, "issue", json!({}), 409).await;
    assert_eq!(
        act(&app, &finance, inv, "send", json!({}), 200).await["status"],
        "SENT"
    );

    // Payments and credits, never more than is due.
    let part = act(
        &app,
        &finance,
        inv,
        "payments",
        json!({"amount": "5000.00", "mode": "UPI", "reference_no": "UTR1"}),
        200,
    )
    .await;
    assert_eq!(part["status"], "PARTIALLY_PAID");
    assert_eq!(part["amount_due"], "5620.00");
    act(
        &app,
        &finance,
        inv,
        "payments",
        json!({"amount": "5620.01"}),
        422,
    )
    .await;
    act(&app, &finance, inv, "payments", json!({"amount": "0"}), 422).await;
    act(
        &app,
        &finance,
        inv,
        "payments",
        json!({"amount": "1", "mode": "BARTER"}),
        422,
    )
    .await;
    let credited = act(
        &app,
        &finance,
        inv,
        "adjustments",
        json!({"amount": "620.00", "adjustment_type": "CREDIT_NOTE", "reason": "Goodwill"}),
        200,
    )
    .await;
    let year = code.split('/').nth(1).unwrap().to_owned();
    assert_eq!(
        credited["adjustments"][0]["credit_note_number"],
        format!("CN/{year}/0001")
    );
    act(
        &app,
        &finance,
        inv,
        "adjustments",
        json!({"amount": "5000.01"}),
        422,
    )
    .await;
    // The assignment is unpaid until the invoice is.
    let work = format!("/api/assignments/{assignment}");
    assert_eq!(
        expect(app.get(&work, &finance).await, 200).await["is_paid"],
        false
    );
    let paid = act(
        &app,
        &finance,
        inv,
        "payments",
        json!({"amount": "5000.00"}),
        200,
    )
    .await;
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["amount_due"], "0.00");
    assert!(paid["paid_at"].is_string());
    assert_eq!(
        expect(app.get(&work, &finance).await, 200).await["is_paid"],
        true
    );
    let events: Vec<&str> = paid["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "created",
            "edited",
            "issued",
            "sent",
            "payment_recorded",
            "adjustment_added",
            "payment_recorded"
        ]
    );
    // A paid invoice is credited, not voided.
    let refused = act(&app, &admin, inv, "void", json!({"reason": "Wrong"}), 409).await;
    assert_eq!(refused["code"], "invoice_has_payments");
}

#[tokio::test]
async fn gst_splits_inside_the_firms_state() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let profile = expect(app.get("/api/master/company-profile", &finance).await, 200).await;
    assert_eq!(profile["default_gst_rate"], "18.00");
    let saved = expect(
        app.patch(
            "/api/master/company-profile",
            &finance,
            &json!({"legal_name": "Pinnacle Consultants", "state_name": "Tamil Nadu",
                    "state_code": "33", "gstin": "33ABCDE1234F1Z5"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(saved["legal_name"], "Pinnacle Consultants");
    expect(
        app.patch(
            "/api/master/company-profile",
            &app.login(OPS).await,
            &json!({"legal_name": "X"}),
        )
        .await,
        403,
    )
    .await;
    let (assignment, _) = billable(&app, &admin, "Local", "501.05").await;
    let inv = id(&draft(&app, &finance, assignment).await);
    // Example 2: 501.05 × 18% = 90.19, split 45.10 + 45.09.
    let issued = act(&app, &finance, inv, "issue", json!({}), 200).await;
    assert_eq!(issued["tax_breakdown"]["cgst"], "45.10");
    assert_eq!(issued["tax_breakdown"]["sgst"], "45.09");
    assert_eq!(issued["tax_breakdown"]["igst"], "0.00");
}

#[tokio::test]
async fn mark_paid_by_finance_at_once_and_by_others_through_one_approval() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let ops = app.login(OPS).await;
    let (first, _) = billable(&app, &admin, "Direct", "1000.00").await;
    let inv = id(&draft(&app, &finance, first).await);
    // Nothing is paid before issue.
    act(&app, &finance, inv, "mark-paid", json!({}), 409).await;
    act(&app, &finance, inv, "issue", json!({}), 200).await;
    let paid = act(&app, &finance, inv, "mark-paid", json!({}), 200).await;
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["payments"][0]["amount"], "1180.00");
    assert_eq!(paid["payments"][0]["mode"], "MANUAL");

    let (second, _) = billable(&app, &admin, "Requested", "2000.00").await;
    let other = id(&draft(&app, &finance, second).await);
    act(&app, &finance, other, "issue", json!({}), 200).await;
    let asked = act(&app, &ops, other, "mark-paid", json!({}), 202).await;
    assert_eq!(asked["action_type"], "MARK_PAID");
    assert_eq!(asked["entity_type"], "INVOICE");
    assert_eq!(asked["assignment_id"], second);
    let approval = id(&asked);
    // Decided by money: not by a supervisor, not by its requester.
    expect(
        app.post(
            &format!("/api/approvals/{approval}/approve"),
            &ops,
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    expect(
        app.post(
            &format!("/api/approvals/{approval}/approve"),
            &finance,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.post(
            &format!("/api/approvals/{approval}/approve"),
            &admin,
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    let settled = expect(
        app.get(&format!("/api/invoices/{other}"), &finance).await,
        200,
    )
    .await;
    assert_eq!(settled["status"], "PAID");
    assert_eq!(settled["payments"].as_array().unwrap().len(), 1);
    assert_eq!(
        expect(
            app.get(&format!("/api/assignments/{second}"), &finance)
                .await,
            200
        )
        .await["is_paid"],
        true
    );
    // Nothing left to mark: refused when asked.
    act(&app, &ops, other, "mark-paid", json!({}), 409).await;
}

#[tokio::test]
async fn a_void_draft_makes_room_for_a_new_invoice() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let (assignment, _) = billable(&app, &admin, "Again", "700.00").await;
    // The new-invoice form as the frontend sends it: empty fields and no lines.
    let form = expect(
        app.post(
            "/api/invoices",
            &finance,
            &json!({"assignment_id": assignment, "issued_date": "", "due_date": "",
                    "tax_rate": "", "company_account_id": "", "notes": "", "items": []}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(form["tax_rate"], "18.00");
    assert_eq!(form["grand_total"], "826.00");
    let inv = id(&form);
    act(&app, &finance, inv, "void", json!({"reason": "x"}), 422).await;
    let void = act(
        &app,
        &finance,
        inv,
        "void",
        json!({"reason": "Wrong rate"}),
        200,
    )
    .await;
    assert_eq!(void["status"], "VOID");
    assert_eq!(void["amount_due"], "0.00");
    act(&app, &finance, inv, "payments", json!({"amount": "1"}), 409).await;
    // An issued invoice voided owes nothing wherever it shows, and makes room again.
    let second = id(&draft(&app, &finance, assignment).await);
    act(&app, &finance, second, "issue", json!({}), 200).await;
    act(
        &app,
        &finance,
        second,
        "void",
        json!({"reason": "Billed twice"}),
        200,
    )
    .await;
    let detail = expect(
        app.get(&format!("/api/assignments/{assignment}/detail"), &finance)
            .await,
        200,
    )
    .await;
    let listed = detail["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == second)
        .unwrap()
        .clone();
    assert_eq!(listed["status"], "VOID");
    assert_eq!(listed["amount_due"], "0.00");
    act(&app, &finance, second, "remind", json!({}), 409).await;
    draft(&app, &finance, assignment).await;
}

#[tokio::test]
async fn concurrent_payments_on_one_invoice_never_pay_more_than_is_due() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let (assignment, _) = billable(&app, &admin, "Race", "1000.00").await;
    let inv = id(&draft(&app, &finance, assignment).await);
    act(&app, &finance, inv, "issue", json!({}), 200).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let call = app
            .client
            .post(app.url(&format!("/api/invoices/{inv}/payments")))
            .bearer_auth(&finance)
            .json(&json!({"amount": "1180.00"}));
        calls.spawn(async move { call.send().await.unwrap().status().as_u16() });
    }
    let mut paid = 0;
    while let Some(status) = calls.join_next().await {
        match status.unwrap() {
            200 => paid += 1,
            409 | 422 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(paid, 1);
    let settled = expect(
        app.get(&format!("/api/invoices/{inv}"), &finance).await,
        200,
    )
    .await;
    assert_eq!(settled["amount_paid"], "1180.00");
    assert_eq!(settled["payments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn twenty_concurrent_credit_notes_are_numbered_without_gaps() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let mut invoices = Vec::new();
    let mut year = String::new();
    for n in 0..20 {
        let (assignment, code) = billable(&app, &admin, &format!("CN{n}"), "100.00").await;
        year = code.split('/').nth(1).unwrap().to_owned();
        let inv = id(&draft(&app, &finance, assignment).await);
        act(&app, &finance, inv, "issue", json!({}), 200).await;
        invoices.push(inv);
    }
    let mut calls = tokio::task::JoinSet::new();
    for inv in invoices {
        let call = app
            .client
            .post(app.url(&format!("/api/invoices/{inv}/adjustments")))
            .bearer_auth(&finance)
            .json(&json!({"amount": "10.00", "adjustment_type": "CREDIT_NOTE"}));
        calls.spawn(async move {
            let response = call.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let body: Value = response.json().await.unwrap();
            body["adjustments"][0]["credit_note_number"]
                .as_str()
                .unwrap()
                .to_owned()
        });
    }
    let mut numbers = Vec::new();
    while let Some(number) = calls.join_next().await {
        numbers.push(number.unwrap());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("CN/{year}/{n:04}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn the_ledger_filters_sorts_searches_and_pages() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let mut codes = Vec::new();
    for (n, fee) in ["100.00", "200.00", "300.00"].iter().enumerate() {
        let (assignment, code) = billable(&app, &admin, &format!("Ledger {n}"), fee).await;
        let inv = id(&draft(&app, &finance, assignment).await);
        if n > 0 {
            act(&app, &finance, inv, "issue", json!({}), 200).await;
        }
        codes.push(code);
    }
    let page = expect(app.get("/api/invoices?page_size=2", &finance).await, 200).await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["page"], 1);
    assert_eq!(page["page_size"], 2);
    assert_eq!(page["has_more"], true);
    let rest = expect(
        app.get("/api/invoices?page=2&page_size=2", &finance).await,
        200,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["has_more"], false);
    let drafts = expect(app.get("/api/invoices?status=DRAFT", &finance).await, 200).await;
    assert_eq!(drafts["total"], 1);
    let unpaid = expect(app.get("/api/invoices?unpaid=true", &finance).await, 200).await;
    assert_eq!(unpaid["total"], 2);
    let found = expect(
        app.get(
            &format!("/api/invoices?search={}", codes[2].replace('/', "%2F")),
            &finance,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["assignment_code"], codes[2]);
    let by_total = expect(
        app.get("/api/invoices?sort_by=total_amount&sort_dir=desc", &finance)
            .await,
        200,
    )
    .await;
    assert_eq!(by_total["items"][0]["grand_total"], "354.00");
    let big = expect(app.get("/api/invoices?amount_min=200", &finance).await, 200).await;
    assert_eq!(big["total"], 2);
    assert_eq!(big["items"][0]["item_preview"][0]["line_total"], "200.00");
    for bad in [
        "status=NOPE",
        "sort_by=fees",
        "issued_from=yesterday",
        "page=zero",
    ] {
        expect(
            app.get(&format!("/api/invoices?{bad}"), &finance).await,
            422,
        )
        .await;
    }
    // The dashboard counts the issued ones awaiting payment, and so do the rows.
    let overview = expect(app.get("/api/dashboard/overview", &finance).await, 200).await;
    assert_eq!(overview["payments_pending"], 2);
    let rows = expect(
        app.get(
            "/api/assignments/with-due?sort_by=created_at&sort_dir=asc",
            &finance,
        )
        .await,
        200,
    )
    .await;
    let pending: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["payments_pending"].as_i64().unwrap())
        .collect();
    assert_eq!(pending, [0, 1, 1]);
}

#[tokio::test]
async fn only_money_roles_see_invoices_and_their_amounts() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let field = app.login(FIELD).await;
    let field_id = app.user_id(&admin, FIELD).await;
    let mut body = bank_case("Private");
    body["fees"] = json!("900.00");
    body["assigned_to_user_id"] = json!(field_id);
    body["override_on_leave"] = json!(true);
    let assignment = id(&create(&app, &admin, &body).await);
    let inv = id(&draft(&app, &finance, assignment).await);
    expect(app.get("/api/invoices", &field).await, 403).await;
    expect(app.get(&format!("/api/invoices/{inv}"), &field).await, 403).await;
    let detail = expect(
        app.get(&format!("/api/assignments/{assignment}/detail"), &field)
            .await,
        200,
    )
    .await;
    let listed = &detail["invoices"][0];
    assert_eq!(listed["id"], inv);
    assert_eq!(listed["status"], "DRAFT");
    for key in ["total_amount", "amount_due", "is_paid"] {
        assert!(listed.get(key).is_none(), "{key} shown: {listed}");
    }
    // Issued and part-paid, then read by the field valuer: no amount, and no count of what
    // awaits payment, anywhere they look (FINANCE counts it).
    act(&app, &finance, inv, "issue", json!({}), 200).await;
    act(
        &app,
        &finance,
        inv,
        "payments",
        json!({"amount": "531.00"}),
        200,
    )
    .await;
    assert_eq!(
        expect(app.get("/api/dashboard/overview", &finance).await, 200).await["payments_pending"],
        1
    );
    assert_eq!(
        expect(app.get("/api/dashboard/overview", &field).await, 200).await["payments_pending"],
        0
    );
    let rows = expect(app.get("/api/assignments/with-due", &field).await, 200).await;
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == assignment)
        .expect("the field valuer sees the assignment");
    assert!(row.get("payments_pending").is_none(), "{row}");
    let trail = expect(
        app.get(
            &format!("/api/activities?assignment_id={assignment}"),
            &field,
        )
        .await,
        200,
    )
    .await
    .to_string();
    for amount in ["531.00", "1062.00", "900.00"] {
        assert!(!trail.contains(amount), "{amount} in the trail: {trail}");
    }
    let seen = expect(
        app.get(&format!("/api/assignments/{assignment}/detail"), &finance)
            .await,
        200,
    )
    .await;
    assert_eq!(seen["invoices"][0]["total_amount"], "1062.00");
}

#[tokio::test]
async fn the_demo_firm_has_invoices_in_every_status() {
    let app = spawn_app_with(|s| {
        s.seed_demo = true;
        s.seed_demo_work = true;
    })
    .await;
    let finance = app.login(FINANCE).await;
    let ledger = expect(app.get("/api/invoices?page_size=50", &finance).await, 200).await;
    let statuses: Vec<&str> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    for status in ["DRAFT", "ISSUED", "SENT", "PARTIALLY_PAID", "PAID", "VOID"] {
        assert!(statuses.contains(&status), "{status}: {statuses:?}");
    }
    let profile = expect(app.get("/api/master/company-profile", &finance).await, 200).await;
    assert_eq!(profile["state_name"], "Karnataka");
    let inbox = expect(app.get("/api/approvals/inbox", &finance).await, 200).await;
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action_type"] == "MARK_PAID"),
        "{inbox}"
    );
}

#[tokio::test]
async fn outstanding_balances_per_bank_and_the_csv_export() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let mut issued = Vec::new();
    for (n, fee) in ["1000.00", "2000.00", "500.00"].iter().enumerate() {
        let (assignment, _) = billable(&app, &admin, &format!("Owed {n}"), fee).await;
        let inv = id(&draft(&app, &finance, assignment).await);
        if n < 2 {
            act(&app, &finance, inv, "issue", json!({}), 200).await;
            issued.push(inv);
        }
    }
    act(
        &app,
        &finance,
        issued[0],
        "payments",
        json!({"amount": "180.00"}),
        200,
    )
    .await;
    let rows = expect(app.get("/api/invoices/outstanding", &finance).await, 200).await;
    // Axis (bank 1): 1180.00 + 2360.00 billed, 180.00 paid; the draft does not count.
    let axis = &rows[0];
    assert_eq!(axis["id"], 1);
    assert_eq!(axis["invoices"], 2);
    assert_eq!(axis["billed"], "3540.00");
    assert_eq!(axis["paid"], "180.00");
    assert_eq!(axis["outstanding"], "3360.00");
    expect(
        app.get("/api/invoices/outstanding?group_by=branch", &finance)
            .await,
        422,
    )
    .await;
    expect(
        app.get("/api/invoices/outstanding", &app.login(FIELD).await)
            .await,
        403,
    )
    .await;

    let response = app
        .get("/api/invoices/export.csv?status=ISSUED", &finance)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("invoice_number,assignment_code,status,issued_date"));
    // The one ISSUED invoice (the other is part-paid now), with every amount.
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].contains(",ISSUED,") && lines[1].contains("2360.00"),
        "{text}"
    );
    let all = app
        .get("/api/invoices/export.csv", &finance)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(all.lines().count(), 4);
}

#[tokio::test]
async fn reminders_are_idempotent_and_limited() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let (assignment, _) = billable(&app, &admin, "Remind", "100.00").await;
    let inv = id(&draft(&app, &finance, assignment).await);
    let path = format!("/api/invoices/{inv}/remind");
    let remind = |key: &'static str| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&finance)
            .header("Idempotency-Key", key)
            .send()
    };
    // A draft needs no reminder, and a refused request leaves its key unused.
    let refused = expect(remind("key-1").await.unwrap(), 409).await;
    assert_eq!(refused["code"], "invalid_invoice_state");
    let issued = act(&app, &finance, inv, "issue", json!({}), 200).await;
    let number = issued["invoice_number"].as_str().unwrap().to_owned();
    let first = expect(remind("key-1").await.unwrap(), 200).await;
    assert_eq!(first["message"], format!("Reminder sent for {number}"));
    // The same key again: the same answer, nothing sent twice.
    let again = expect(remind("key-1").await.unwrap(), 200).await;
    assert_eq!(again, first);
    // Another reminder for the invoice within a day: refused with a wait.
    let response = remind("key-2").await.unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let wait: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 23 * 3600 && wait <= 24 * 3600, "{wait}");
    // The key of this invoice's reminder, used for another invoice's: 409.
    let (other_assignment, _) = billable(&app, &admin, "Other", "100.00").await;
    let other = id(&draft(&app, &finance, other_assignment).await);
    act(&app, &finance, other, "issue", json!({}), 200).await;
    let reused = expect(
        app.client
            .post(app.url(&format!("/api/invoices/{other}/remind")))
            .bearer_auth(&finance)
            .header("Idempotency-Key", "key-1")
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    assert_eq!(reused["code"], "idempotency_key_reused");
    let detail = expect(
        app.get(&format!("/api/invoices/{inv}"), &finance).await,
        200,
    )
    .await;
    let sent = detail["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["event_type"] == "reminder_sent")
        .count();
    assert_eq!(sent, 1);
    expect(
        app.post(&path, &app.login(OPS).await, &json!({})).await,
        403,
    )
    .await;
}

#[tokio::test]
async fn the_pdf_is_a_pdf_of_the_issued_invoice() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let (assignment, _) = billable(&app, &admin, "Printed", "10000.00").await;
    let inv = id(&draft(&app, &finance, assignment).await);
    let path = format!("/api/invoices/{inv}/pdf");
    // A draft has no printed copy.
    expect(app.get(&path, &finance).await, 409).await;
    let issued = act(&app, &finance, inv, "issue", json!({}), 200).await;
    let number = issued["invoice_number"].as_str().unwrap().to_owned();
    let response = app.get(&format!("{path}?regenerate=true"), &finance).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains(&number.replace('/', "-")),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&bytes);
    for needle in [
        format!("Invoice No: {number}"),
        "TAX INVOICE".to_owned(),
        "Rupees Eleven Thousand Eight Hundred Only".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle} missing from the PDF");
    }
    // A text with `%` is written hex-encoded.
    let tax: String = "IGST @ 18.00%"
        .bytes()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert!(
        text.to_uppercase().contains(&tax),
        "the IGST line is missing"
    );
    // The drawer's context: the assignment, the profile and the account to pay into.
    let context = expect(
        app.get(&format!("/api/invoices/{inv}/context"), &finance)
            .await,
        200,
    )
    .await;
    assert_eq!(context["invoice"]["id"], inv);
    assert_eq!(context["assignment"]["id"], assignment);
    assert_eq!(context["assignment"]["fees"], "10000.00");
    assert_eq!(context["company_profile"]["default_gst_rate"], "18.00");
    assert!(
        context["company_account"]["account_number"].is_string(),
        "{context}"
    );
    // Making it changed nothing.
    let after = expect(
        app.get(&format!("/api/invoices/{inv}"), &finance).await,
        200,
    )
    .await;
    assert_eq!(after["updated_at"], issued["updated_at"]);
    expect(app.get(&path, &app.login(FIELD).await).await, 403).await;
}

#[tokio::test]
async fn syncing_follow_ups_gives_each_overdue_invoice_one_task() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let (assignment, _) = billable(&app, &admin, "Late", "100.00").await;
    let created = expect(
        app.post(
            "/api/invoices",
            &finance,
            &json!({"assignment_id": assignment, "issued_date": "2026-01-01", "due_date": "2026-01-15"}),
        )
        .await,
        201,
    )
    .await;
    let inv = id(&created);
    let issued = act(&app, &finance, inv, "issue", json!({}), 200).await;
    let number = issued["invoice_number"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        expect(
            app.get(
                "/api/invoices?create_followups=true&overdue_days=7",
                &finance,
            )
            .await,
            200,
        )
        .await;
    }
    let detail = expect(
        app.get(&format!("/api/assignments/{assignment}/detail"), &finance)
            .await,
        200,
    )
    .await;
    let follow_ups: Vec<&Value> = detail["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == format!("Follow up: {number} overdue"))
        .collect();
    assert_eq!(follow_ups.len(), 1, "{}", detail["tasks"]);
    expect(
        app.get(
            "/api/invoices?create_followups=true&overdue_days=0",
            &finance,
        )
        .await,
        422,
    )
    .await;
    // Only those who may change invoices sync; a plain ledger read writes nothing.
    expect(
        app.get("/api/invoices?create_followups=true", &app.login(OPS).await)
            .await,
        403,
    )
    .await;
}
