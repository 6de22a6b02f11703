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

/// `POST /api/sources`. A field given is of its type (`null` refused), as the document states.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddSources {
    /// One URL, and/or several in `urls`.
    #[serde(default, deserialize_with = "crate::api::present")]
    url: Option<String>,
    #[serde(default, deserialize_with = "crate::api::present")]
    urls: Option<Vec<String>>,
    /// Poll interval: a number and a unit, `90s`, `15m`, `2h`, `1d` (default:
    /// `crawl.default_every_secs`).
    #[serde(default, deserialize_with = "crate::api::present")]
    every: Option<String>,
}

/// The poll interval a request may give (the CLI takes any humantime duration).
pub const EVERY_PATTERN: &str = "^[1-9][0-9]{0,5}[smhd]$";

/// Seconds of an interval matching [`EVERY_PATTERN`].
fn every_secs(text: &str) -> Option<u64> {
    let last = text.chars().last()?;
    let (digits, unit) = text.split_at(text.len() - last.len_utf8());
    let shaped = (1..=6).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    let unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    shaped.then(|| digits.parse::<u64>().ok().map(|n| n * unit))?
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
        Some(text) => every_secs(text).ok_or_else(|| {
            ApiError::InvalidBody(format!(
                "every {text:?}: give a number and a unit, as `90s`, `15m`, `2h` or `1d`"
            ))
        })?,
    };
    if body
        .urls
        .as_ref()
        .is_some_and(|u| u.is_empty() || u.len() > MAX_ADD)
    {
        return Err(ApiError::InvalidBody(format!(
            "`urls` holds 1 to {MAX_ADD} URLs"
        )));
    }
    let inputs: Vec<String> = body
        .url
        .into_iter()
        .chain(body.urls.into_iter().flatten())
        .collect();
    if inputs.is_empty() {
        return Err(ApiError::InvalidBody(
            "give a URL in `url` or `urls`".into(),
        ));
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
        if !added.is_empty() {
            // `serve --crawl` polls a new source now rather than at its next look.
            s.crawl_wake.wake();
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
    use crate::openapi::{array_of, error, http_url_schema, nullable, object, ok, r};
    let bad = error("Bad request (`invalid_body`, `invalid_query`).");
    doc["paths"]["/api/sources"] = json!({
        "get": {
            "summary": "The crawler's sources with their crawl state.",
            "responses": {"200": ok(r("SourceList"), "Every source, in the order added.")},
        },
        "post": {
            "summary": "Add feeds, sitemaps or section pages for the crawler to poll.",
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object",
                "additionalProperties": false,
                "anyOf": [{"required": ["url"]}, {"required": ["urls"]}],
                "properties": {
                    "url": http_url_schema("A feed, sitemap or section page."),
                    "urls": {"type": "array", "minItems": 1, "maxItems": MAX_ADD, "items": http_url_schema("A feed, sitemap or section page.")},
                    "every": {"type": "string", "pattern": EVERY_PATTERN, "description": "Poll interval: a number and a unit (`s`, `m`, `h`, `d`), e.g. `15m`."},
                },
            }}}},
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
            "parameters": [{"name": "url", "in": "query", "required": true, "schema": {"type": "string"}, "description": "The source's URL."}],
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

#[cfg(test)]
mod tests {
    use super::every_secs;

    // Regression: a non-ASCII last character was split inside its bytes (a panic).
    #[test]
    fn intervals_are_a_number_and_a_unit() {
        assert_eq!(every_secs("15m"), Some(900));
        assert_eq!(every_secs("1d"), Some(86_400));
        assert_eq!(every_secs("999999s"), Some(999_999));
        for bad in [
            "", "m", "0m", "015m", "1000000s", "15", "15 m", "1h30m", "\u{80}", "5é",
        ] {
            assert_eq!(every_secs(bad), None, "{bad:?}");
        }
    }
}
