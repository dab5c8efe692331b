//! The OpenAPI document lists exactly the routes the server answers.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::rbac::{Fixture, every_endpoint};

#[tokio::test]
async fn the_document_lists_every_route_and_no_other() {
    let app = spawn_app().await;
    let doc = expect(
        app.client
            .get(app.url("/api-docs/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                documented.insert(format!("{} {path}", method.to_uppercase()));
                let responses = operation["responses"].as_object().unwrap();
                assert!(
                    !responses.is_empty(),
                    "{method} {path} documents no response"
                );
                let secured = operation
                    .get("security")
                    .is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()));
                if secured {
                    assert!(
                        responses.contains_key("401"),
                        "{method} {path} documents no 401"
                    );
                }
                // What the edge can answer to any request is documented everywhere.
                let mut edge = vec!["422", "414", "431", "500"];
                if operation.get("requestBody").is_some() {
                    edge.extend(["408", "413"]);
                }
                for status in edge {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} documents no {status}"
                    );
                }
            }
        }
    }
    // Every route the RBAC test exercises (and so the server answers) is documented, and
    // nothing else is.
    let served: BTreeSet<String> = every_endpoint(Fixture::default())
        .iter()
        .map(|c| format!("{} {}", c.method, c.template))
        .collect();
    assert_eq!(documented, served);

    let ids: Vec<&Value> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId"))
        .collect();
    let unique: BTreeSet<_> = ids.iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids.len(), unique.len(), "operation ids are unique");

    // Every reference resolves: a client (or the fuzzer) cannot check a body against a
    // schema the document does not hold.
    fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| references(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(found.len() > 50, "only {} references", found.len());
    let dangling: BTreeSet<&str> = found
        .into_iter()
        .filter(|target| {
            let name = target.trim_start_matches("#/components/schemas/");
            doc["components"]["schemas"][name].is_null()
        })
        .collect();
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["password"]["flows"]["password"]["tokenUrl"],
        "/api/auth/login"
    );
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
}

/// Checks `value` against `schema` as far as a client validating responses would: every
/// `required` key is present and every value has a `type` the schema allows (`null` only
/// where it is listed), through `$ref`, `allOf`, `oneOf` (exactly one), `anyOf`, arrays,
/// `properties` and `additionalProperties`. What does not conform goes to `errors`.
fn conform(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "{at}: dangling {reference}");
        return conform(doc, target, value, at, errors);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        conform(doc, part, value, at, errors);
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alternatives) = schema[key].as_array() {
            let matching = alternatives
                .iter()
                .filter(|alt| {
                    let mut own = Vec::new();
                    conform(doc, alt, value, at, &mut own);
                    own.is_empty()
                })
                .count();
            if matching == 0 || (exactly_one && matching > 1) {
                errors.push(format!(
                    "{at}: {matching} alternatives of {key} match {value}"
                ));
            }
        }
    }
    if let Some(types) = schema.get("type") {
        let allowed: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let fits = allowed.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        });
        if !fits {
            errors.push(format!("{at}: {value} is not of type {types}"));
            return;
        }
    }
    if let Some(object) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                errors.push(format!("{at}: required key `{key}` is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (key, item) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(property) => conform(doc, property, item, &format!("{at}.{key}"), errors),
                None if schema["additionalProperties"].is_object() => conform(
                    doc,
                    &schema["additionalProperties"],
                    item,
                    &format!("{at}.{key}"),
                    errors,
                ),
                None => {}
            }
        }
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            conform(doc, schema, item, &format!("{at}[{i}]"), errors);
        }
    }
}

/// The keys a schema requires and the keys it documents, through `$ref`, `allOf`, `oneOf`
/// and `anyOf` (a key one alternative requires counts as required).
fn keys_of(
    doc: &Value,
    schema: &Value,
    required: &mut BTreeSet<String>,
    properties: &mut BTreeSet<String>,
) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return keys_of(
            doc,
            &doc["components"]["schemas"][name],
            required,
            properties,
        );
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            keys_of(doc, part, required, properties);
        }
    }
    required.extend(
        schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned),
    );
    properties.extend(
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone()),
    );
}

/// Keys that only some roles get are optional in the document, and every answer of every
/// GET route conforms to its documented 200 schema, for a role that handles money (ADMIN)
/// and one that does not (FIELD_VALUER).
#[tokio::test]
async fn answers_conform_to_their_schema_whatever_the_role() {
    let app = spawn_app().await;
    let doc = expect(app.get("/api-docs/openapi.json", "").await, 200).await;
    let schemas = &doc["components"]["schemas"];
    for (schema, role_bound) in [
        ("AssignmentRead", ["fees", "is_paid"].as_slice()),
        ("SummaryRead", ["unpaid"].as_slice()),
    ] {
        let (mut required, mut properties) = (BTreeSet::new(), BTreeSet::new());
        keys_of(&doc, &schemas[schema], &mut required, &mut properties);
        for key in role_bound {
            assert!(properties.contains(*key), "{schema} documents `{key}`");
            assert!(
                !required.contains(*key),
                "{schema}.{key} is absent for some roles, so it cannot be required"
            );
        }
    }

    // Work the field valuer can see, with a fee, a task and a message.
    let admin = app.login(ADMIN).await;
    let field = app.login(FIELD).await;
    let mut body = crate::assignments::bank_case("Conformance");
    body["assigned_to_user_id"] = json!(app.user_id(&admin, FIELD).await);
    body["fees"] = json!("4500");
    let assignment = crate::assignments::create(&app, &admin, &body).await["id"]
        .as_i64()
        .unwrap();
    let task = expect(
        app.post(
            &format!("/api/assignments/{assignment}/tasks"),
            &admin,
            &json!({"title": "Visit", "assigned_to_user_id": body["assigned_to_user_id"]}),
        )
        .await,
        201,
    )
    .await;
    let message = expect(
        app.post(
            &format!("/api/assignments/{assignment}/messages"),
            &admin,
            &json!({"message": "Keys are with the watchman"}),
        )
        .await,
        201,
    )
    .await;
    let fixture = Fixture {
        assignment,
        task: task["id"].as_i64().unwrap(),
        message: message["id"].as_i64().unwrap(),
    };

    let mut errors = Vec::new();
    let mut checked = 0;
    for case in every_endpoint(fixture)
        .into_iter()
        .filter(|c| c.method == reqwest::Method::GET)
    {
        for (role, token) in [("ADMIN", &admin), ("FIELD_VALUER", &field)] {
            let response = app.get(&case.path, token).await;
            if response.status() != 200 {
                continue;
            }
            // Files are not JSON: they are checked by their own tests.
            let json = response.headers().get("content-type").is_some_and(|t| {
                t.to_str()
                    .unwrap_or_default()
                    .starts_with("application/json")
            });
            if !json {
                continue;
            }
            let value: Value = response.json().await.unwrap();
            let schema = &doc["paths"][case.template]["get"]["responses"]["200"]["content"]["application/json"]
                ["schema"];
            assert!(
                !schema.is_null(),
                "GET {} documents no JSON 200",
                case.template
            );
            conform(
                &doc,
                schema,
                &value,
                &format!("GET {} as {role}", case.path),
                &mut errors,
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} answers were checked");
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // The keys really are there for one role and absent for the other.
    let path = format!("/api/assignments/{assignment}");
    let seen_by_admin = expect(app.get(&path, &admin).await, 200).await;
    assert_eq!(seen_by_admin["fees"], "4500.00");
    assert_eq!(seen_by_admin["is_paid"], false);
    let seen_by_field = expect(app.get(&path, &field).await, 200).await;
    assert!(seen_by_field.get("fees").is_none() && seen_by_field.get("is_paid").is_none());
}
