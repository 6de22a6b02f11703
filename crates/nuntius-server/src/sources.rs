//! `/api/sources`: the crawler's sources over HTTP. Reading is open; adding and removing need
//! the write token. The state shown is the CLI's (`nuntius_crawl::source_view`).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::Shared;
use crate::error::ApiError;

type S = Arc<Shared>;

/// Sources one request may add.
const MAX_ADD: usize = 1000;

/// `POST /api/sources`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddSources {
    /// One URL, or several in `urls`.
    url: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
    /// Poll interval, e.g. `15m` (default: `crawl.default_every_secs`).
    every: Option<String>,
}

/// `DELETE /api/sources?url=…`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveSource {
    url: String,
}

pub async fn list_sources(State(s): State<S>) -> Result<Json<Value>, ApiError> {
    crate::api::blocking(s, |s| {
        let rows = s.read(|store| Ok(store.sources()?))?;
        let sources: Vec<Value> = rows.iter().map(nuntius_crawl::source_view).collect();
        Ok(Json(json!({ "total": sources.len(), "sources": sources })))
    })
    .await
}

pub async fn add_sources(
    State(s): State<S>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    crate::api::check_token(&s, &headers)?;
    // Read whatever the Content-Type says: `curl -d` sends form encoding by default.
    let body: AddSources =
        serde_json::from_slice(&body).map_err(|e| ApiError::InvalidBody(e.to_string()))?;
    let every = match body.every.as_deref() {
        None => s.crawl_every_secs,
        Some(text) => humantime::parse_duration(text)
            .map_err(|e| ApiError::InvalidBody(format!("every {text:?}: {e}")))?
            .as_secs(),
    };
    if every == 0 {
        return Err(ApiError::InvalidBody("every must be at least 1s".into()));
    }
    let inputs: Vec<String> = body.url.into_iter().chain(body.urls).collect();
    if inputs.is_empty() || inputs.len() > MAX_ADD {
        return Err(ApiError::InvalidBody(format!(
            "give 1 to {MAX_ADD} URLs in `url` or `urls`"
        )));
    }
    let mut urls = Vec::with_capacity(inputs.len());
    for input in &inputs {
        urls.push(nuntius_crawl::source_url(input).map_err(ApiError::InvalidBody)?);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    crate::api::blocking(s, move |s| {
        let (mut added, mut known) = (Vec::new(), Vec::new());
        for url in urls {
            if s.read(|store| Ok(store.add_source(&url, every, now)?))? {
                added.push(url);
            } else {
                known.push(url);
            }
        }
        Ok(Json(json!({ "added": added, "known": known })))
    })
    .await
}

pub async fn remove_source(
    State(s): State<S>,
    headers: HeaderMap,
    q: Result<Query<RemoveSource>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    crate::api::check_token(&s, &headers)?;
    let Query(q) = q.map_err(|e| ApiError::InvalidQuery(e.body_text()))?;
    let url = nuntius_crawl::source_url(&q.url).unwrap_or_else(|_| q.url.trim().to_string());
    crate::api::blocking(s, move |s| {
        if s.read(|store| Ok(store.remove_source(&url)?))? {
            Ok(Json(json!({ "removed": url })))
        } else {
            Err(ApiError::SourceNotFound(url))
        }
    })
    .await
}

/// The `/api/sources` paths and schemas of the OpenAPI document.
pub(crate) fn document(doc: &mut Value) {
    use crate::openapi::{array_of, error, nullable, object, ok, query_param, r};
    let bad = error("Bad request (`invalid_body`, `invalid_query`).");
    doc["paths"]["/api/sources"] = json!({
        "get": {
            "summary": "The crawler's sources with their crawl state.",
            "responses": {"200": ok(r("SourceList"), "Every source, in the order added.")},
        },
        "post": {
            "summary": "Add feeds, sitemaps or section pages for the crawler to poll.",
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": object(&[], json!({
                "url": {"type": "string"},
                "urls": array_of(json!({"type": "string"})),
                "every": {"type": "string", "description": "Poll interval, e.g. `15m`."},
            }))}}},
            "responses": {
                "200": ok(r("SourcesAdded"), "Added and already known URLs (canonical)."),
                "400": bad.clone(),
                "401": error("No bearer token (`missing_token`)."),
                "403": error("Wrong token (`invalid_token`)."),
            },
        },
        "delete": {
            "summary": "Stop polling a source (what it brought stays).",
            "security": [{"bearer": []}],
            "parameters": [query_param("url", "string", "The source's URL.")],
            "responses": {
                "200": ok(object(&["removed"], json!({"removed": {"type": "string"}})), "Removed."),
                "400": bad,
                "401": error("No bearer token (`missing_token`)."),
                "403": error("Wrong token (`invalid_token`)."),
                "404": error("No such source (`source_not_found`)."),
            },
        },
    });
    let schemas = &mut doc["components"]["schemas"];
    schemas["Source"] = object(
        &[
            "url",
            "kind",
            "every_secs",
            "interval_secs",
            "last_fetch",
            "status",
            "items_seen",
            "items_new",
            "errors",
            "next_poll",
        ],
        json!({
            "url": {"type": "string"},
            "kind": nullable("string"),
            "every_secs": {"type": "integer"},
            "interval_secs": {"type": "integer", "description": "The interval in use, adapted to how often the source publishes."},
            "last_fetch": nullable("string"),
            "status": nullable("string"),
            "items_seen": {"type": "integer"},
            "items_new": {"type": "integer"},
            "errors": {"type": "integer"},
            "next_poll": {"type": "string"},
        }),
    );
    schemas["SourceList"] = object(
        &["total", "sources"],
        json!({"total": {"type": "integer"}, "sources": array_of(r("Source"))}),
    );
    schemas["SourcesAdded"] = object(
        &["added", "known"],
        json!({"added": array_of(json!({"type": "string"})), "known": array_of(json!({"type": "string"}))}),
    );
}
