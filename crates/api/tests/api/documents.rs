//! Documents end to end, on the local store: upload, download, versions, limits, types,
//! names, access, final, review, delete.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::assignments::{bank_case, create};
use crate::helpers::*;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn upload(
    app: &TestApp,
    token: &str,
    assignment: i64,
    name: &str,
    bytes: Vec<u8>,
    category: Option<&str>,
    is_final: bool,
) -> reqwest::Response {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    if let Some(category) = category {
        form = form.text("category", category.to_owned());
    }
    form = form.text("is_final", if is_final { "true" } else { "false" });
    app.client
        .post(app.url(&format!("/api/assignments/{assignment}/documents/upload")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Every file under the app's uploads directory.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.settings.data_dir.join("uploads"), &mut found);
    found
}

async fn field_case(app: &TestApp, admin: &str) -> i64 {
    let field = app.user_id(admin, FIELD).await;
    let mut body = bank_case("Documents");
    body["assigned_to_user_id"] = json!(field);
    create(app, admin, &body).await["id"].as_i64().unwrap()
}

/// `GET` a document's content.
async fn download(
    app: &TestApp,
    token: &str,
    assignment: i64,
    document: &Value,
) -> reqwest::Response {
    app.get(
        &format!(
            "/api/assignments/{assignment}/documents/{}/download",
            document["id"]
        ),
        token,
    )
    .await
}

#[tokio::test]
async fn an_upload_comes_back_byte_for_byte_with_its_checksum_and_headers() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let field = app.login(FIELD).await;
    let id = field_case(&app, &admin).await;
    let uploaded = expect(
        upload(
            &app,
            &field,
            id,
            "Sale deed.pdf",
            PDF.to_vec(),
            Some("Sale Deed"),
            false,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(uploaded["original_name"], "Sale deed.pdf");
    assert_eq!(uploaded["mime_type"], "application/pdf");
    assert_eq!(uploaded["size"], PDF.len());
    assert_eq!(uploaded["sha256"], hex(PDF));
    assert_eq!(uploaded["version_number"], 1);
    assert_eq!(uploaded["review_status"], "RECEIVED");
    assert!(uploaded.get("storage_path").is_none() && uploaded.get("object_key").is_none());
    let doc = uploaded["id"].as_i64().unwrap();

    let listed = expect(
        app.get(&format!("/api/assignments/{id}/documents"), &field)
            .await,
        200,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let detail = expect(
        app.get(&format!("/api/assignments/{id}/detail"), &field)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["documents"][0]["id"], doc);

    let base = format!("/api/assignments/{id}/documents/{doc}");
    let download = app.get(&format!("{base}/download"), &field).await;
    assert_eq!(download.status(), 200);
    let headers = download.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["content-length"], PDF.len().to_string().as_str());
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"Sale deed.pdf\"")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "private, no-store");
    assert_eq!(
        headers["etag"].to_str().unwrap(),
        format!("\"{}\"", hex(PDF))
    );
    assert!(headers.get("content-security-policy").is_none());
    let bytes = download.bytes().await.unwrap();
    assert_eq!(&bytes[..], PDF);
    assert_eq!(hex(&bytes), uploaded["sha256"].as_str().unwrap());

    let preview = app.get(&format!("{base}/preview"), &field).await;
    assert_eq!(preview.status(), 200);
    assert_eq!(preview.headers()["content-security-policy"], "sandbox");
    assert!(
        preview.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let head = app
        .request(
            reqwest::Method::HEAD,
            &format!("{base}/download"),
            Some(&field),
            None,
        )
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        PDF.len().to_string().as_str()
    );

    // A Windows path keeps only its last part.
    let windows = expect(
        upload(
            &app,
            &field,
            id,
            "C:\\scans\\..\\ec.pdf",
            PDF.to_vec(),
            None,
            false,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(windows["original_name"], "ec.pdf");
    // A name outside ASCII travels as RFC 6266 `filename*`.
    let hindi = expect(
        upload(&app, &field, id, "भूमि.pdf", PDF.to_vec(), None, false).await,
        201,
    )
    .await;
    let download = app
        .get(
            &format!("/api/assignments/{id}/documents/{}/download", hindi["id"]),
            &field,
        )
        .await;
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");

    // The trail has the upload and the download.
    let trail = expect(
        app.get(
            &format!("/api/activities?assignment_id={id}&limit=100"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    let kinds: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"DOCUMENT_UPLOADED"));
    assert!(kinds.contains(&"DOCUMENT_DOWNLOADED"));
    assert!(kinds.contains(&"DOCUMENT_VIEWED"));
}

#[tokio::test]
async fn versions_count_per_category_without_gaps_under_concurrent_uploads() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let id = field_case(&app, &admin).await;
    let sends = (0..10).map(|i| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let response = upload(
                app,
                &admin,
                id,
                &format!("photo-{i}.pdf"),
                PDF.to_vec(),
                Some("Photos"),
                false,
            )
            .await;
            expect(response, 201).await["version_number"]
                .as_i64()
                .unwrap()
        }
    });
    let mut versions = futures_util::future::join_all(sends).await;
    versions.sort_unstable();
    assert_eq!(versions, (1..=10).collect::<Vec<_>>());
    // Another category starts at 1.
    let other = expect(
        upload(&app, &admin, id, "ec.pdf", PDF.to_vec(), Some("EC"), false).await,
        201,
    )
    .await;
    assert_eq!(other["version_number"], 1);
    assert_eq!(stored_files(&app).len(), 11);
}

#[tokio::test]
async fn oversized_disguised_and_empty_files_leave_nothing_behind() {
    let app = spawn_app_with(|s| s.max_upload_mb = 1).await;
    let admin = app.login(ADMIN).await;
    let id = field_case(&app, &admin).await;
    let mut big = PDF.to_vec();
    big.resize(1024 * 1024 + 1, b' ');
    let refused = expect(
        upload(&app, &admin, id, "big.pdf", big, None, false).await,
        413,
    )
    .await;
    assert_eq!(refused["code"], "payload_too_large");
    // An executable called a PDF.
    let mut elf = vec![0x7F, b'E', b'L', b'F', 2, 1, 1, 0];
    elf.resize(4096, 0);
    let refused = expect(
        upload(&app, &admin, id, "report.pdf", elf, None, false).await,
        415,
    )
    .await;
    assert_eq!(refused["code"], "unsupported_media_type");
    expect(
        upload(&app, &admin, id, "empty.pdf", Vec::new(), None, false).await,
        422,
    )
    .await;
    // A form without a file.
    let form = Form::new().text("category", "Photos");
    let response = app
        .client
        .post(app.url(&format!("/api/assignments/{id}/documents/upload")))
        .bearer_auth(&admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    expect(response, 422).await;
    // Refused part-way through a long stream, the answer still comes at once: 3 MiB past
    // the limit, and a 2 MiB zip refused after its first 8 KiB.
    let mut far = PDF.to_vec();
    far.resize(4 * 1024 * 1024, b' ');
    let refused = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        upload(&app, &admin, id, "far.pdf", far, None, false),
    )
    .await
    .expect("an oversized upload is answered, not left hanging");
    expect(refused, 413).await;
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.resize(2 * 1024 * 1024, 7);
    let refused = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        upload(&app, &admin, id, "scan.pdf", zip, None, false),
    )
    .await
    .expect("a refused type is answered, not left hanging");
    expect(refused, 415).await;
    // Text to start with, binary after the sniffed window; a script named as such.
    let mut tail = b"Survey notes\n".repeat(1000);
    tail.extend_from_slice(&[0, 1, 2, 3]);
    expect(
        upload(&app, &admin, id, "notes.txt", tail, None, false).await,
        415,
    )
    .await;
    expect(
        upload(
            &app,
            &admin,
            id,
            "run.bat",
            b"@echo off\r\n".to_vec(),
            None,
            false,
        )
        .await,
        415,
    )
    .await;
    // No row, no object.
    let listed = expect(
        app.get(&format!("/api/assignments/{id}/documents"), &admin)
            .await,
        200,
    )
    .await;
    assert!(listed.as_array().unwrap().is_empty());
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    // A bad form field after the file also keeps nothing.
    expect(
        upload(
            &app,
            &admin,
            id,
            "ok.pdf",
            PDF.to_vec(),
            Some(&"x".repeat(101)),
            false,
        )
        .await,
        422,
    )
    .await;
    assert!(stored_files(&app).is_empty());
}

#[tokio::test]
async fn a_path_traversal_name_is_stored_safely_and_shown_clean() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let id = field_case(&app, &admin).await;
    let uploaded = expect(
        upload(
            &app,
            &admin,
            id,
            "../../../etc/passwd.txt",
            b"root:x:0:0\n".to_vec(),
            None,
            false,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(uploaded["original_name"], "passwd.txt");
    assert_eq!(uploaded["mime_type"], "text/plain");
    let download = download(&app, &admin, id, &uploaded).await;
    assert_eq!(
        download.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let files = stored_files(&app);
    assert_eq!(files.len(), 1);
    let uploads = app.settings.data_dir.join("uploads");
    assert!(files[0].starts_with(&uploads));
    assert!(!files[0].to_string_lossy().contains("passwd"));
}

#[tokio::test]
async fn outsiders_get_404_and_final_review_and_delete_follow_the_rules() {
    let app = spawn_app().await;
    let (admin, field, employee) = (
        app.login(ADMIN).await,
        app.login(FIELD).await,
        app.login(EMPLOYEE).await,
    );
    let id = field_case(&app, &admin).await;
    let first = expect(
        upload(
            &app,
            &field,
            id,
            "draft-1.pdf",
            PDF.to_vec(),
            Some("Draft Report"),
            true,
        )
        .await,
        201,
    )
    .await;
    assert_eq!(first["is_final"], true);
    let second = expect(
        upload(
            &app,
            &field,
            id,
            "draft-2.pdf",
            PDF.to_vec(),
            Some("Draft Report"),
            true,
        )
        .await,
        201,
    )
    .await;
    let base = format!("/api/assignments/{id}/documents");
    // Someone who does not work on the assignment learns nothing.
    expect(app.get(&base, &employee).await, 404).await;
    expect(
        app.get(&format!("{base}/{}/download", first["id"]), &employee)
            .await,
        404,
    )
    .await;
    expect(
        upload(&app, &employee, id, "x.pdf", PDF.to_vec(), None, false).await,
        404,
    )
    .await;

    // One final per category: the second upload took the flag.
    let listed = expect(app.get(&base, &field).await, 200).await;
    let finals: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["is_final"] == true)
        .collect();
    assert_eq!(finals.len(), 1);
    assert_eq!(finals[0]["id"], second["id"]);
    let flagged = expect(
        app.post(
            &format!("{base}/{}/final", first["id"]),
            &field,
            &json!({"is_final": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(flagged["is_final"], true);
    let listed = expect(app.get(&base, &field).await, 200).await;
    assert_eq!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["is_final"] == true)
            .count(),
        1
    );

    // Review.
    let reviewed = expect(
        app.post(
            &format!("{base}/{}/review", first["id"]),
            &admin,
            &json!({"review_status": "NEEDS_CLARIFICATION", "note": "Page 2 is cut",
                    "lane": "INTERNAL", "is_visible_to_client": false}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(reviewed["document"]["review_status"], "NEEDS_CLARIFICATION");
    assert_eq!(reviewed["document"]["review_note"], "Page 2 is cut");
    assert!(reviewed["document"]["reviewed_at"].is_string());
    expect(
        app.post(
            &format!("{base}/{}/review", first["id"]),
            &admin,
            &json!({"review_status": "LOOKS_FINE"}),
        )
        .await,
        422,
    )
    .await;

    // Delete: the uploader or a view-all role; gone from lists and downloads.
    let assistant = app.login(ASSISTANT).await;
    let assistant_id = app.user_id(&admin, ASSISTANT).await;
    expect(
        app.patch(
            &format!("/api/assignments/{id}"),
            &admin,
            &json!({"assignee_user_ids": [assistant_id]}),
        )
        .await,
        200,
    )
    .await;
    expect(
        app.delete(&format!("{base}/{}", second["id"]), &assistant)
            .await,
        403,
    )
    .await;
    let ops = app.login(OPS).await;
    expect(
        app.delete(&format!("{base}/{}", second["id"]), &ops).await,
        204,
    )
    .await;
    expect(
        app.get(&format!("{base}/{}/download", second["id"]), &field)
            .await,
        404,
    )
    .await;
    let listed = expect(app.get(&base, &field).await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let trail = expect(
        app.get(
            "/api/activity?limit=50&activity_type=DOCUMENT_DELETED",
            &admin,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(trail.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_checklist_shows_what_is_missing_and_a_reminder_makes_one_task() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let id = field_case(&app, &admin).await;
    let checklist = expect(
        app.get(
            &format!("/api/assignments/{id}/documents/checklist"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    let required: Vec<String> =
        serde_json::from_value(checklist["required_categories"].clone()).unwrap();
    assert!(!required.is_empty());
    assert_eq!(
        checklist["missing_categories"],
        checklist["required_categories"]
    );
    assert_eq!(checklist["present_categories"], json!([]));

    // One category arrives (in another case): it is no longer missing.
    let first = required[0].to_uppercase();
    expect(
        upload(
            &app,
            &admin,
            id,
            "first.pdf",
            PDF.to_vec(),
            Some(&first),
            false,
        )
        .await,
        201,
    )
    .await;
    let checklist = expect(
        app.get(
            &format!("/api/assignments/{id}/documents/checklist"),
            &admin,
        )
        .await,
        200,
    )
    .await;
    let missing: Vec<String> =
        serde_json::from_value(checklist["missing_categories"].clone()).unwrap();
    assert_eq!(missing, required[1..].to_vec());
    let detail = expect(
        app.get(&format!("/api/assignments/{id}/detail"), &admin)
            .await,
        200,
    )
    .await;
    assert_eq!(detail["missing_documents"], checklist["missing_categories"]);
    let rows = expect(
        app.get("/api/assignments/with-due?limit=100", &admin).await,
        200,
    )
    .await;
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert_eq!(row["missing_documents_count"], missing.len());

    // The reminder: a chat message and one task for the primary assignee.
    let remind = format!("/api/assignments/{id}/documents/remind");
    let first = expect(app.post(&remind, &admin, &json!({})).await, 200).await;
    assert_eq!(first["task_created"], true);
    let again = expect(
        app.post(
            &remind,
            &admin,
            &json!({"message": "Please send the rest today"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["task_created"], false);
    assert_eq!(again["task_id"], first["task_id"]);
    let detail = expect(
        app.get(&format!("/api/assignments/{id}/detail"), &admin)
            .await,
        200,
    )
    .await;
    let reminders: Vec<&Value> = detail["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == "Missing documents")
        .collect();
    assert_eq!(reminders.len(), 1);
    let field = app.user_id(&admin, FIELD).await;
    assert_eq!(reminders[0]["assigned_to_user_id"], field);
    let texts: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Reminder: documents still missing"))
    );
    assert!(texts.contains(&"Please send the rest today"));
}

#[tokio::test]
async fn invoice_attachments_share_the_storage_and_rules_of_documents() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let finance = app.login(FINANCE).await;
    let (assignment, _) = crate::invoices::billable(&app, &admin, "Attach", "5000").await;
    let invoice = crate::invoices::draft(&app, &finance, assignment).await["id"]
        .as_i64()
        .unwrap();
    let base = format!("/api/invoices/{invoice}/attachments");
    let send = |token: String, name: &'static str, bytes: Vec<u8>| {
        let app = &app;
        let url = app.url(&format!("{base}/upload"));
        async move {
            let form = Form::new()
                .part("file", Part::bytes(bytes).file_name(name))
                .text("category", "Acknowledgement");
            app.client
                .post(url)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let added = expect(send(finance.clone(), "ack.pdf", PDF.to_vec()).await, 201).await;
    assert_eq!(added["category"], "Acknowledgement");
    assert_eq!(added["sha256"], hex(PDF));
    // The drawer reads them from the invoice.
    let detail = expect(
        app.get(&format!("/api/invoices/{invoice}"), &finance).await,
        200,
    )
    .await;
    assert_eq!(detail["attachments"][0]["id"], added["id"]);
    assert_eq!(detail["attachments"][0]["original_name"], "ack.pdf");
    assert!(
        detail["audit_trail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event_type"] == "attachment_added"),
        "{}",
        detail["audit_trail"]
    );
    let download = app
        .get(&format!("{base}/{}/download", added["id"]), &finance)
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", hex(PDF))
    );
    assert_eq!(&download.bytes().await.unwrap()[..], PDF);
    // The same refusals as documents; nothing kept.
    let mut elf = vec![0x7F, b'E', b'L', b'F', 2, 1, 1, 0];
    elf.resize(2048, 0);
    expect(send(finance.clone(), "x.pdf", elf).await, 415).await;
    // Those who may not modify invoices may not attach; outsiders do not see them.
    let field = app.login(FIELD).await;
    expect(send(field.clone(), "y.pdf", PDF.to_vec()).await, 403).await;
    expect(app.get(&base, &field).await, 403).await;
    let deleted = expect(
        app.delete(&format!("{base}/{}", added["id"]), &finance)
            .await,
        200,
    )
    .await;
    assert_eq!(deleted["status"], "ok");
    let listed = expect(app.get(&base, &finance).await, 200).await;
    assert!(listed.as_array().unwrap().is_empty());
    // Only the one accepted file was ever stored.
    assert_eq!(stored_files(&app).len(), 1);
}

/// Keys of the objects under `prefix` in the S3 server's bucket (its ListObjectsV2 XML).
async fn s3_keys(app: &TestApp, endpoint: &str, bucket: &str, prefix: &str) -> Vec<String> {
    let xml = app
        .client
        .get(format!("{endpoint}/{bucket}?list-type=2&prefix={prefix}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    xml.split("<Key>")
        .skip(1)
        .filter_map(|part| part.split("</Key>").next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_round_trip_works_on_an_s3_compatible_store() {
    let (Ok(url), Ok(endpoint)) = (
        std::env::var("TEST_S3_URL"),
        std::env::var("AWS_ENDPOINT_URL"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs this test against an S3 server: `source .ci/s3` first"
        );
        eprintln!("skipped: no S3 server (`source .ci/s3` starts one)");
        return;
    };
    let (bucket, base) = url.trim_start_matches("s3://").split_once('/').unwrap();
    // A prefix of this run's own: the bucket is shared by every test and both databases.
    let prefix = format!("{base}/{}", uuid::Uuid::new_v4().simple());
    let storage = format!("s3://{bucket}/{prefix}");
    let app = spawn_app_with(|s| {
        s.storage_url = Some(storage);
        s.max_upload_mb = 1;
    })
    .await;
    let admin = app.login(ADMIN).await;
    let id = field_case(&app, &admin).await;
    let uploaded = expect(
        upload(
            &app,
            &admin,
            id,
            "deed.pdf",
            PDF.to_vec(),
            Some("Sale Deed"),
            false,
        )
        .await,
        201,
    )
    .await;
    let keys = s3_keys(&app, &endpoint, bucket, &prefix).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(stored_files(&app).is_empty(), "nothing on the local disk");
    let download = download(&app, &admin, id, &uploaded).await;
    assert_eq!(download.status(), 200);
    let bytes = download.bytes().await.unwrap();
    assert_eq!(&bytes[..], PDF);
    assert_eq!(hex(&bytes), uploaded["sha256"].as_str().unwrap());
    // Over the limit on S3 too: 413 and no object left (the multipart upload is aborted).
    let mut big = PDF.to_vec();
    big.resize(1024 * 1024 + 1, b' ');
    expect(
        upload(&app, &admin, id, "big.pdf", big, None, false).await,
        413,
    )
    .await;
    assert_eq!(s3_keys(&app, &endpoint, bucket, &prefix).await.len(), 1);
    expect(
        app.delete(
            &format!("/api/assignments/{id}/documents/{}", uploaded["id"]),
            &admin,
        )
        .await,
        204,
    )
    .await;
    let listed = expect(
        app.get(&format!("/api/assignments/{id}/documents"), &admin)
            .await,
        200,
    )
    .await;
    assert!(listed.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn reminders_sent_at_once_make_one_task() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let id = field_case(&app, &admin).await;
    let remind = format!("/api/assignments/{id}/documents/remind");
    let sends = (0..5).map(|_| {
        let (app, admin, remind) = (&app, admin.clone(), remind.clone());
        async move { expect(app.post(&remind, &admin, &json!({})).await, 200).await }
    });
    let answers = futures_util::future::join_all(sends).await;
    let created = answers.iter().filter(|a| a["task_created"] == true).count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|a| a["task_id"] == answers[0]["task_id"])
    );
    let detail = expect(
        app.get(&format!("/api/assignments/{id}/detail"), &admin)
            .await,
        200,
    )
    .await;
    let tasks = detail["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == "Missing documents")
        .count();
    assert_eq!(tasks, 1);
}
