//! The OpenAPI document lists exactly the routes the server answers.

use std::collections::BTreeSet;

use serde_json::Value;

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

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["password"]["flows"]["password"]["tokenUrl"],
        "/api/auth/login"
    );
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
}
