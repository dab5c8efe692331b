//! Master data: CRUD, validation, duplicates, references.

use serde_json::{Value, json};

use crate::helpers::*;

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn demo_firm_master_data_is_listed_for_everyone() {
    let app = spawn_app().await;
    let token = app.login(FIELD).await;
    let banks = expect(app.get("/api/master/banks", &token).await, 200).await;
    assert_eq!(names(&banks), ["Axis Bank", "HDFC Bank", "ICICI Bank"]);
    assert_eq!(banks[1]["ifsc"], "HDFC0001234");
    assert!(
        banks[1]["invoice_notes"]
            .as_str()
            .unwrap()
            .contains("invoice number")
    );
    let branches = expect(app.get("/api/master/branches", &token).await, 200).await;
    assert_eq!(branches.as_array().unwrap().len(), 4);
    let types = expect(app.get("/api/master/property-types", &token).await, 200).await;
    assert_eq!(
        names(&types),
        ["Commercial", "Flat", "Independent House", "Land"]
    );
    let subtypes = expect(app.get("/api/master/property-subtypes", &token).await, 200).await;
    assert_eq!(subtypes.as_array().unwrap().len(), 8);
    let accounts = expect(app.get("/api/master/company-accounts", &token).await, 200).await;
    assert_eq!(accounts[0]["is_primary"], true, "primary account first");
    let labels = expect(app.get("/api/master/calendar-labels", &token).await, 200).await;
    assert_eq!(labels.as_array().unwrap().len(), 4);
    let clients = expect(app.get("/api/master/clients", &token).await, 200).await;
    assert_eq!(
        names(&clients),
        ["BlueStone Developers", "Pinnacle Direct", "Sunrise Homes"]
    );
    let rules = expect(app.get("/api/master/doc-templates", &token).await, 200).await;
    let categories: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        [
            "Application",
            "EC",
            "Final Report",
            "Khata Certificate",
            "Photos",
            "RTC / Land Records",
            "Sale Deed"
        ]
    );
    assert_eq!(rules[1]["case_type"], "BANK");
    assert_eq!(rules[2]["bank_id"], Value::Null);
}

#[tokio::test]
async fn checklist_rules_validate_their_criteria() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let created = expect(
        app.post(
            "/api/master/doc-templates",
            &ops,
            &json!({"bank_id": "3", "case_type": "BANK", "category": "Valuation Request Letter", "notes": "Signed by the branch"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["bank_id"], 3);
    assert_eq!(created["required"], true);
    let path = format!("/api/master/doc-templates/{}", created["id"]);
    let cleared = expect(
        app.patch(&path, &ops, &json!({"bank_id": null, "case_type": ""}))
            .await,
        200,
    )
    .await;
    assert_eq!(cleared["bank_id"], Value::Null);
    assert_eq!(cleared["case_type"], Value::Null);
    assert_eq!(cleared["category"], "Valuation Request Letter");

    let bad = expect(
        app.post(
            "/api/master/doc-templates",
            &ops,
            &json!({"case_type": "LOAN"}),
        )
        .await,
        422,
    )
    .await;
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["case_type", "category"]);
    let dangling = expect(
        app.post(
            "/api/master/doc-templates",
            &ops,
            &json!({"category": "X", "branch_id": 999}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(dangling["code"], "validation_error");
    expect(app.delete(&path, &ops).await, 204).await;
    expect(app.get(&path, &ops).await, 404).await;
}

#[tokio::test]
async fn bank_crud_with_account_details() {
    let app = spawn_app().await;
    let ops = app.login(OPS).await;
    let created = expect(
        app.post(
            "/api/master/banks",
            &ops,
            &json!({
                "name": "State Bank of India", "code": "sbi",
                "account_name": "Pinnacle Consultants", "account_number": "30012345678",
                "ifsc": "sbin0001234", "account_bank_name": "SBI", "account_branch_name": "Mudhol",
                "upi_id": "pinnacle@sbi", "invoice_notes": "Quote the case code."
            }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["code"], "SBI");
    assert_eq!(created["ifsc"], "SBIN0001234");
    assert_eq!(created["is_active"], true);
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/master/banks/{id}");

    // Absent fields stay, null clears.
    let patched = expect(
        app.patch(&path, &ops, &json!({"upi_id": null, "is_active": false}))
            .await,
        200,
    )
    .await;
    assert_eq!(patched["upi_id"], Value::Null);
    assert_eq!(patched["is_active"], false);
    assert_eq!(patched["account_number"], "30012345678");
    assert_eq!(patched["created_at"], created["created_at"]);

    let fetched = expect(app.get(&path, &ops).await, 200).await;
    assert_eq!(fetched, patched);

    expect(app.delete(&path, &ops).await, 204).await;
    expect(app.get(&path, &ops).await, 404).await;
    expect(app.delete(&path, &ops).await, 404).await;
}

#[tokio::test]
async fn duplicates_are_409() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let by_name = expect(
        app.post("/api/master/banks", &admin, &json!({"name": "HDFC Bank"}))
            .await,
        409,
    )
    .await;
    assert_eq!(by_name["code"], "duplicate");
    assert!(by_name["detail"].as_str().unwrap().contains("name"));
    let by_code = expect(
        app.post(
            "/api/master/banks",
            &admin,
            &json!({"name": "Other Bank", "code": "axis"}),
        )
        .await,
        409,
    )
    .await;
    assert!(by_code["detail"].as_str().unwrap().contains("code"));
    // Renaming onto another bank's name is a duplicate too.
    expect(
        app.patch(
            "/api/master/banks/1",
            &admin,
            &json!({"name": "ICICI Bank"}),
        )
        .await,
        409,
    )
    .await;

    expect(
        app.post(
            "/api/master/clients",
            &admin,
            &json!({"name": "Sunrise Homes"}),
        )
        .await,
        409,
    )
    .await;
    expect(
        app.post(
            "/api/master/property-types",
            &admin,
            &json!({"name": "Land"}),
        )
        .await,
        409,
    )
    .await;
    expect(
        app.post(
            "/api/master/calendar-labels",
            &admin,
            &json!({"name": "Team Meeting"}),
        )
        .await,
        409,
    )
    .await;
    expect(
        app.post(
            "/api/master/company-accounts",
            &admin,
            &json!({"account_name": "X", "account_number": "1234567890", "bank_name": "Y"}),
        )
        .await,
        409,
    )
    .await;

    // A branch name is unique within its bank, not across banks.
    let chennai = json!({"bank_id": 1, "name": "Chennai Main"});
    expect(
        app.post("/api/master/branches", &admin, &chennai).await,
        409,
    )
    .await;
    expect(
        app.post(
            "/api/master/branches",
            &admin,
            &json!({"bank_id": 2, "name": "Chennai Main"}),
        )
        .await,
        201,
    )
    .await;
    let subtype = json!({"property_type_id": 1, "name": "Apartment"});
    let first = expect(
        app.post("/api/master/property-subtypes", &admin, &subtype)
            .await,
        409,
    )
    .await;
    assert_eq!(first["code"], "duplicate");
}

#[tokio::test]
async fn deleting_a_referenced_row_is_409_not_500() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let bank = expect(app.delete("/api/master/banks/1", &admin).await, 409).await;
    assert_eq!(bank["code"], "referenced");
    assert!(bank["detail"].as_str().unwrap().contains("deactivate"));
    let property_type = expect(
        app.delete("/api/master/property-types/1", &admin).await,
        409,
    )
    .await;
    assert_eq!(property_type["code"], "referenced");

    // Once nothing refers to it, it can go.
    let branches = expect(app.get("/api/master/branches?bank_id=3", &admin).await, 200).await;
    for branch in branches.as_array().unwrap() {
        expect(
            app.delete(&format!("/api/master/branches/{}", branch["id"]), &admin)
                .await,
            204,
        )
        .await;
    }
    expect(app.delete("/api/master/banks/3", &admin).await, 204).await;
    // The company account that was linked to that bank stays, unlinked.
    let accounts = expect(app.get("/api/master/company-accounts", &admin).await, 200).await;
    assert_eq!(accounts.as_array().unwrap().len(), 3);
    assert!(
        accounts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["bank_id"] != 3)
    );
}

#[tokio::test]
async fn references_and_fields_are_validated() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let no_bank = expect(
        app.post(
            "/api/master/branches",
            &admin,
            &json!({"bank_id": 999, "name": "Nowhere"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(no_bank["errors"][0]["field"], "bank_id");
    let missing = expect(
        app.post("/api/master/branches", &admin, &json!({})).await,
        422,
    )
    .await;
    let fields: Vec<&str> = missing["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["bank_id", "name"]);
    let no_type = expect(
        app.post(
            "/api/master/property-subtypes",
            &admin,
            &json!({"property_type_id": 999, "name": "X"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(no_type["errors"][0]["field"], "property_type_id");
    let bad_ifsc = expect(
        app.post("/api/master/company-accounts", &admin, &json!({"account_name": "A", "account_number": "9", "bank_name": "B", "ifsc_code": "123"})).await,
        422,
    )
    .await;
    assert_eq!(bad_ifsc["errors"][0]["field"], "ifsc_code");
    let bad_email = expect(
        app.post(
            "/api/master/clients",
            &admin,
            &json!({"name": "C", "contact_email": "nope"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(bad_email["errors"][0]["field"], "contact_email");
    let bad_type = expect(
        app.post(
            "/api/master/calendar-labels",
            &admin,
            &json!({"name": "Party", "default_event_type": "PARTY"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(bad_type["errors"][0]["field"], "default_event_type");
    let blank = expect(
        app.patch("/api/master/banks/1", &admin, &json!({"name": "  "}))
            .await,
        422,
    )
    .await;
    assert_eq!(blank["errors"][0]["field"], "name");
    let wrong_type = expect(
        app.post("/api/master/banks", &admin, &json!({"name": 12}))
            .await,
        422,
    )
    .await;
    assert_eq!(wrong_type["code"], "invalid_request");
    let bad_path = expect(app.get("/api/master/banks/abc", &admin).await, 422).await;
    assert_eq!(bad_path["code"], "invalid_request");
}

#[tokio::test]
async fn ids_may_arrive_as_strings_and_lists_filter_by_owner() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let branch = expect(
        app.post(
            "/api/master/branches",
            &admin,
            &json!({"bank_id": "2", "name": "Mysuru", "city": "Mysuru"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(branch["bank_id"], 2);
    let hdfc = expect(app.get("/api/master/branches?bank_id=2", &admin).await, 200).await;
    assert_eq!(names(&hdfc), ["Bengaluru", "Mysuru"]);
    let flats = expect(
        app.get("/api/master/property-subtypes?property_type_id=1", &admin)
            .await,
        200,
    )
    .await;
    assert!(
        flats
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["property_type_id"] == 1)
    );
    assert_eq!(flats.as_array().unwrap().len(), 2);
    let axis_accounts = expect(
        app.get("/api/master/company-accounts?bank_id=1", &admin)
            .await,
        200,
    )
    .await;
    assert_eq!(axis_accounts.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn one_primary_company_account_at_a_time() {
    let app = spawn_app().await;
    let finance = app.login(FINANCE).await;
    let created = expect(
        app.post(
            "/api/master/company-accounts",
            &finance,
            &json!({"account_name": "New Primary", "account_number": "777", "bank_name": "SBI", "is_primary": true, "bank_id": null}),
        )
        .await,
        201,
    )
    .await;
    let accounts = expect(app.get("/api/master/company-accounts", &finance).await, 200).await;
    let primaries: Vec<&Value> = accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["is_primary"] == true)
        .collect();
    assert_eq!(primaries.len(), 1);
    assert_eq!(primaries[0]["id"], created["id"]);
    assert_eq!(accounts[0]["id"], created["id"]);

    expect(
        app.patch(
            "/api/master/company-accounts/2",
            &finance,
            &json!({"is_primary": true}),
        )
        .await,
        200,
    )
    .await;
    let accounts = expect(app.get("/api/master/company-accounts", &finance).await, 200).await;
    assert_eq!(accounts[0]["id"], 2);
    assert_eq!(
        accounts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["is_primary"] == true)
            .count(),
        1
    );

    let inactive_primary = expect(
        app.patch(
            "/api/master/company-accounts/2",
            &finance,
            &json!({"is_active": false}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(inactive_primary["errors"][0]["field"], "is_primary");
}

#[tokio::test]
async fn lists_page_with_limit_and_skip_and_report_the_total() {
    let app = spawn_app().await;
    let token = app.login(ASSISTANT).await;
    let response = app
        .get("/api/master/property-subtypes?limit=3&skip=2", &token)
        .await;
    assert_eq!(response.headers()["x-total-count"], "8");
    let page = expect(response, 200).await;
    let all = expect(app.get("/api/master/property-subtypes", &token).await, 200).await;
    assert_eq!(
        page.as_array().unwrap().as_slice(),
        &all.as_array().unwrap()[2..5]
    );

    let filtered = app
        .get("/api/master/branches?bank_id=1&limit=1", &token)
        .await;
    assert_eq!(filtered.headers()["x-total-count"], "2");
    assert_eq!(expect(filtered, 200).await.as_array().unwrap().len(), 1);

    let bad = expect(app.get("/api/master/banks?limit=-1", &token).await, 422).await;
    assert_eq!(bad["code"], "invalid_request");
}
