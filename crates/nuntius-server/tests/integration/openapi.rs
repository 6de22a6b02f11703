//! The OpenAPI document stays true: it lists exactly the router's API routes, every status a live
//! server returns is documented, and live responses carry every required field with its type.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::Value;

use super::common::{seeded, Fixture, TOKEN};

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(kind: &str, v: &Value) -> bool {
    match kind {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_u64() || v.is_i64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// Checks types, required properties, properties, additional properties and items.
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !kinds.is_empty() && !kinds.iter().any(|k| type_matches(k, v)) {
        errors.push(format!("{at}: expected {kinds:?}, got {v}"));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            errors.push(format!("{at}: {v} not in the documented enum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema["required"].as_array().into_iter().flatten() {
            let key = r.as_str().unwrap_or("");
            if !obj.contains_key(key) {
                errors.push(format!("{at}: missing required `{key}`"));
            }
        }
        for (k, value) in obj {
            if let Some(p) = schema["properties"].get(k) {
                validate(doc, p, value, &format!("{at}.{k}"), errors);
            } else if let Some(extra) = schema.get("additionalProperties").filter(|e| e.is_object())
            {
                validate(doc, extra, value, &format!("{at}.{k}"), errors);
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            validate(doc, items, item, &format!("{at}[{i}]"), errors);
        }
    }
}

#[test]
fn every_router_route_is_documented_and_nothing_else() {
    let f = seeded();
    let doc = f.get("/api/openapi.json").json();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = nuntius_server::api::api_routes()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed);
    // Every documented path is really routed (not the fallback).
    for (method, path) in &documented {
        if method == "GET" && path != "/metrics" {
            let uri = path.replace("{id}", "1");
            let r = f.get(&uri);
            // Feeds answer Atom, not JSON: a routed feed is one that is not a JSON 404.
            let json = r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json");
            assert!(!json || r.code() != "route_not_found", "{uri}");
        }
    }
    // The error enum lists every code of the table.
    let codes =
        &doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"];
    assert_eq!(
        codes.as_array().unwrap().len(),
        nuntius_server::error::ERROR_CODES.len()
    );
}

fn check(
    f: &Fixture,
    doc: &Value,
    method: &str,
    path: &str,
    uri: &str,
    status: StatusCode,
    v: &Value,
) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} undocumented");
    let response = &op["responses"][status.as_str()];
    assert!(
        response.is_object(),
        "{method} {uri}: status {status} undocumented"
    );
    let schema = &response["content"]["application/json"]["schema"];
    let mut errors = Vec::new();
    validate(doc, schema, v, uri, &mut errors);
    assert!(errors.is_empty(), "{method} {uri}:\n{}", errors.join("\n"));
    let _ = f;
}

#[test]
fn live_responses_match_the_documented_schemas() {
    let f = seeded();
    let doc = f.get("/api/openapi.json").json();
    let story = f.seed_story();
    let entity = f.get("/api/entities").json()["entities"][0]["id"]
        .as_u64()
        .unwrap();
    let gets = [
        ("/api/stories", "/api/stories?limit=5".to_string()),
        ("/api/stories", "/api/stories?q=Lavrov".to_string()),
        ("/api/stories", "/api/stories?limit=0".to_string()),
        ("/api/stories/{id}", format!("/api/stories/{story}")),
        ("/api/stories/{id}", "/api/stories/424242".to_string()),
        ("/api/stories/{id}", "/api/stories/x".to_string()),
        (
            "/api/articles/{id}",
            "/api/articles/003_6850249380d4cfb7".to_string(),
        ),
        (
            "/api/articles/{id}",
            "/api/articles/001_c10b4a053a7048bd".to_string(),
        ),
        ("/api/articles/{id}", "/api/articles/missing".to_string()),
        ("/api/entities", "/api/entities".to_string()),
        ("/api/entities/{id}", format!("/api/entities/{entity}")),
        ("/api/entities/{id}", "/api/entities/99999".to_string()),
        ("/api/search", "/api/search?q=Lavrov".to_string()),
        ("/api/sources", "/api/sources".to_string()),
        ("/api/search", "/api/search?q=Lavrov&from=nope".to_string()),
        ("/healthz", "/healthz".to_string()),
        ("/api/openapi.json", "/api/openapi.json".to_string()),
    ];
    for (path, uri) in &gets {
        let r = f.get(uri);
        check(&f, &doc, "get", path, uri, r.status, &r.json());
    }
    let metrics = f.get("/metrics");
    assert!(doc["paths"]["/metrics"]["get"]["responses"][metrics.status.as_str()].is_object());
    for (token, body) in [
        (
            Some(TOKEN),
            "{\"id\":\"n1\",\"title\":\"New\",\"text\":\"New text.\"}\n",
        ),
        (None, "{}"),
        (Some("nope"), "{}"),
        (Some(TOKEN), " "),
    ] {
        let r = f.post("/api/articles", token, body);
        check(
            &f,
            &doc,
            "post",
            "/api/articles",
            "/api/articles",
            r.status,
            &r.json(),
        );
    }
}
