//! Follows over HTTP: `POST /api/follows`, `GET /api/follows`, `DELETE /api/follows/{id}` and the
//! delivery log `GET /api/follows/{id}/deliveries`, all with the write token; and what the CLI
//! shares with them: reading a follow request, describing a follow, the webhook payload.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use nuntius_engine::view::Snapshot;
use nuntius_store::follows::{
    DeliveryRow, FollowQuery, FollowRow, FollowStore, FollowTarget, NewFollow,
};
use nuntius_store::read::ReadQueries;
use nuntius_store::{ArticleRow, SqliteStore, Store};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{blocking, check_token, numeric_id, parse_day};
use crate::app::Shared;
use crate::error::ApiError;

/// Follows one data dir may hold.
pub const MAX_FOLLOWS: usize = 10_000;
/// Deliveries shown by the delivery log.
const LOG_DELIVERIES: u64 = 200;
/// Articles of an event read to choose its headline.
const HEADLINE_ARTICLES: u64 = 500;

/// What `POST /api/follows` takes (and `nuntius follow add` builds): a query with its filters, an
/// entity, or a story; optionally a webhook. A field given is of its type (`null` is refused),
/// as the API document states it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowRequest {
    #[serde(default, deserialize_with = "crate::api::present")]
    pub query: Option<String>,
    #[serde(default, deserialize_with = "crate::api::present")]
    pub lang: Option<String>,
    #[serde(default, deserialize_with = "crate::api::present")]
    pub source: Option<String>,
    /// `YYYY-MM-DD` bounds of a query follow.
    #[serde(default, deserialize_with = "crate::api::present")]
    pub from: Option<String>,
    #[serde(default, deserialize_with = "crate::api::present")]
    pub to: Option<String>,
    /// An entity follow, or with `query` the entity filter.
    #[serde(default, deserialize_with = "crate::api::present_u64")]
    pub entity: Option<u64>,
    #[serde(default, deserialize_with = "crate::api::present_u64")]
    pub story: Option<u64>,
    #[serde(default, deserialize_with = "crate::api::present")]
    pub webhook: Option<String>,
}

/// The follow a request asks for, checked; a webhook gets a fresh secret.
pub fn new_follow(req: &FollowRequest, created_at: i64) -> Result<NewFollow, ApiError> {
    let bad = |m: String| ApiError::InvalidBody(m);
    let filters =
        req.lang.is_some() || req.source.is_some() || req.from.is_some() || req.to.is_some();
    let target = match (&req.query, req.entity, req.story) {
        (Some(text), entity, None) => {
            let q = FollowQuery {
                text: text.clone(),
                lang: req.lang.clone(),
                source: req.source.clone(),
                from_day: req
                    .from
                    .as_deref()
                    .map(|d| parse_day(d, "from"))
                    .transpose()?,
                to_day: req.to.as_deref().map(|d| parse_day(d, "to")).transpose()?,
                entity,
            };
            nuntius_engine::follows::check_query(&q).map_err(bad)?;
            FollowTarget::Query(q)
        }
        (None, Some(e), None) if !filters => FollowTarget::Entity(e),
        (None, None, Some(s)) if !filters => FollowTarget::Story(s),
        (None, None, None) => {
            return Err(bad("a follow needs `query`, `entity` or `story`".into()));
        }
        _ if filters && req.query.is_none() => {
            return Err(bad(
                "`lang`, `source`, `from` and `to` filter a `query` follow".into(),
            ));
        }
        _ => {
            return Err(bad(
                "a follow is one of `query` (with filters), `entity` or `story`".into(),
            ))
        }
    };
    let webhook = match &req.webhook {
        Some(url) => Some(check_webhook(url).map_err(bad)?),
        None => None,
    };
    let secret = match webhook {
        Some(_) => Some(crate::webhooks::new_secret().map_err(ApiError::Internal)?),
        None => None,
    };
    Ok(NewFollow {
        target,
        webhook,
        secret,
        created_at,
    })
}

/// A webhook URL: an http(s) URL as the API document's pattern states it.
pub fn check_webhook(url: &str) -> Result<String, String> {
    nuntius_crawl::http_url(url)
        .map(|u| u.to_string())
        .map_err(|e| format!("webhook: {e}"))
}

/// Seconds since 1970.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs().min(i64::MAX as u64) as i64)
}

/// Creates a follow in `store` after checking that its entity or story exists.
pub fn create(store: &SqliteStore, new: &NewFollow) -> Result<FollowRow, ApiError> {
    match &new.target {
        FollowTarget::Entity(e) => {
            if store.entities_by_id(&[*e])?.is_empty() {
                return Err(ApiError::EntityNotFound(*e));
            }
        }
        FollowTarget::Story(s) => {
            if store.story_events(*s)?.is_empty() {
                return Err(ApiError::StoryNotFound(*s));
            }
        }
        FollowTarget::Query(_) => {}
    }
    if store.follows()?.len() >= MAX_FOLLOWS {
        return Err(ApiError::InvalidBody(format!(
            "this data dir holds {MAX_FOLLOWS} follows, the most it keeps; remove some first"
        )));
    }
    Ok(store.add_follow(new)?)
}

/// The feed of a follow.
pub fn feed_path(id: u64) -> String {
    format!("/feeds/follows/{id}.atom")
}

/// A follow as the API and `nuntius follow list --json` show it.
pub fn describe(store: &SqliteStore, f: &FollowRow) -> Result<Value, ApiError> {
    let mut v = json!({
        "id": f.id,
        "kind": f.target.kind(),
        "webhook": f.webhook,
        "created_at": f.created_at,
        "created_seq": f.created_seq,
        "feed": feed_path(f.id),
        "matches": store.matches_after(f.id, 0)?,
    });
    match &f.target {
        FollowTarget::Query(q) => {
            v["query"] = json!(q.text);
            v["lang"] = json!(q.lang);
            v["source"] = json!(q.source);
            v["from"] = json!(q.from_day.map(iso_day));
            v["to"] = json!(q.to_day.map(iso_day));
            v["entity"] = json!(q.entity);
        }
        FollowTarget::Entity(e) => v["entity"] = json!(e),
        FollowTarget::Story(s) => v["story"] = json!(s),
    }
    Ok(v)
}

fn iso_day(day: i64) -> String {
    nuntius_model::Published::from_day_number(day).to_iso()
}

/// What a follow watches, in a few words (feed titles, the CLI list).
pub fn label(store: &SqliteStore, f: &FollowRow) -> String {
    match &f.target {
        FollowTarget::Query(q) => match &q.lang {
            Some(l) => format!("search \"{}\" ({l})", q.text),
            None => format!("search \"{}\"", q.text),
        },
        FollowTarget::Entity(e) => {
            let name = store
                .entities_by_id(&[*e])
                .ok()
                .and_then(|rows| rows.into_iter().next())
                .and_then(|r| {
                    serde_json::from_str::<nuntius_analysis::entities::EntityRecord>(&r.record).ok()
                })
                .map(|r| r.name());
            match name {
                Some(n) => format!("entity {n} (#{e})"),
                None => format!("entity #{e}"),
            }
        }
        FollowTarget::Story(s) => format!("story {s}"),
    }
}

/// The headline of each event, chosen as the story pages choose it.
pub fn headlines(
    store: &SqliteStore,
    events: impl IntoIterator<Item = u64>,
) -> Result<BTreeMap<u64, String>, ApiError> {
    let mut out = BTreeMap::new();
    for event in events {
        if out.contains_key(&event) {
            continue;
        }
        let articles = store.event_articles(event, HEADLINE_ARTICLES)?;
        let seqs: Vec<u64> = articles.iter().map(|a| a.seq).collect();
        let copies = nuntius_engine::view::copies_by_copy(store.copies_from(&seqs)?);
        let snap = Snapshot::from_parts(
            articles,
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::new(),
            copies,
            BTreeMap::new(),
        );
        if let Some(h) = snap.event_headline(event) {
            out.insert(event, h.to_string());
        }
    }
    Ok(out)
}

/// An article in a payload or feed: what a reader needs to open it.
pub fn article_json(a: &ArticleRow, base_url: &str) -> Value {
    json!({
        "id": a.id, "seq": a.seq, "url": a.url, "title": a.title, "lang": a.lang,
        "published": a.published, "source": a.source,
        "link": format!("{base_url}/articles/{}", encode_path(&a.id)),
    })
}

/// Percent-encodes an id for one path segment.
pub fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The body of one webhook call: the follow, the article, its event (with headline) and story.
pub fn webhook_payload(
    store: &SqliteStore,
    d: &DeliveryRow,
    base_url: &str,
) -> Result<Value, ApiError> {
    let article = store
        .article(d.seq)?
        .ok_or_else(|| ApiError::Internal(format!("delivery {} names no article", d.id)))?;
    let headline = headlines(store, [d.event])?.remove(&d.event);
    Ok(json!({
        "follow": d.follow,
        "delivery": d.id,
        "article": article_json(&article, base_url),
        "event": {"id": d.event, "headline": headline},
        "story": {"id": d.story, "link": format!("{base_url}/stories/{}", d.story)},
    }))
}

type S = Arc<Shared>;

pub(crate) async fn create_follow(
    State(s): State<S>,
    headers: HeaderMap,
    body: Result<Json<FollowRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    check_token(&s, &headers)?;
    let Json(req) = body.map_err(|e| ApiError::InvalidBody(e.body_text()))?;
    let new = new_follow(&req, unix_now())?;
    blocking(s, move |s| {
        let row = s.read(|store| create(store, &new))?;
        let mut out = json!({"id": row.id, "feed": feed_path(row.id)});
        if let Some(secret) = &new.secret {
            out["secret"] = json!(secret);
        }
        Ok((StatusCode::CREATED, Json(out)))
    })
    .await
}

pub(crate) async fn list_follows(
    State(s): State<S>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    check_token(&s, &headers)?;
    blocking(s, move |s| {
        s.read(|store| {
            let mut list = Vec::new();
            for f in store.follows()? {
                let mut v = describe(store, &f)?;
                v["label"] = json!(label(store, &f));
                list.push(v);
            }
            Ok(Json(json!({"follows": list})))
        })
    })
    .await
}

pub(crate) async fn remove_follow(
    State(s): State<S>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    check_token(&s, &headers)?;
    let id = numeric_id(id, "follow")?;
    blocking(s, move |s| {
        if s.read(|store| Ok(store.remove_follow(id)?))? {
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ApiError::FollowNotFound(id))
        }
    })
    .await
}

/// A follow's delivery log as JSON.
pub fn delivery_log(store: &SqliteStore, id: u64) -> Result<Value, ApiError> {
    if store.follow(id)?.is_none() {
        return Err(ApiError::FollowNotFound(id));
    }
    let deliveries: Vec<Value> = store
        .deliveries(id, LOG_DELIVERIES)?
        .into_iter()
        .map(|(d, attempts)| {
            json!({
                "id": d.id, "seq": d.seq, "event": d.event, "story": d.story,
                "state": d.state, "attempts": d.attempts,
                "next_at": (d.state == nuntius_store::follows::DeliveryState::Pending).then_some(d.next_at),
                "log": attempts,
            })
        })
        .collect();
    Ok(json!({"follow": id, "deliveries": deliveries}))
}

pub(crate) async fn deliveries(
    State(s): State<S>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    check_token(&s, &headers)?;
    let id = numeric_id(id, "follow")?;
    blocking(s, move |s| {
        s.read(|store| delivery_log(store, id)).map(Json)
    })
    .await
}

/// Adds the follow and feed endpoints and their schemas to the OpenAPI document.
pub fn document_follows(doc: &mut Value) {
    use crate::openapi::{
        array_of, error, http_url_schema, id_param, nullable, object, ok, path_param, r, u64_schema,
    };
    let atom = |description: &str| json!({"description": description, "content": {"application/atom+xml": {"schema": {"type": "string"}}}});
    let auth = || {
        json!({
            "401": error("No bearer token (`missing_token`)."),
            "403": error("Wrong token (`invalid_token`)."),
        })
    };
    let with_auth = |mut responses: Value| {
        if let (Some(map), Some(extra)) = (responses.as_object_mut(), auth().as_object()) {
            map.extend(extra.clone());
        }
        responses
    };
    let search_filters = crate::openapi::search_filter_params();
    let feed_file = |description: &str| {
        let mut p = path_param("file", "string", description);
        p["schema"]["pattern"] = json!(crate::feeds::FEED_FILE_PATTERN);
        p
    };
    let paths = json!({
        "/api/follows": {
            "post": {
                "summary": "Follow a search query (with the search filters), an entity or a story; optionally with a webhook that gets one signed POST per new matching article.",
                "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": r("FollowRequest")}}},
                "responses": with_auth(json!({
                    "201": ok(r("FollowCreated"), "The follow; `secret` (with a webhook) is shown only here."),
                    "400": error("Not one kind of follow, a bad query, date or webhook URL (`invalid_body`)."),
                    "404": error("No such entity or story (`entity_not_found`, `story_not_found`)."),
                })),
            },
            "get": {
                "summary": "Every follow, with its feed and how many articles it matched.",
                "security": [{"bearer": []}],
                "responses": with_auth(json!({"200": ok(r("FollowList"), "The follows.")})),
            },
        },
        "/api/follows/{id}": {"delete": {
            "summary": "Remove a follow with its matches and queued webhook calls.",
            "security": [{"bearer": []}],
            "parameters": [id_param("Follow number.")],
            "responses": with_auth(json!({
                "204": {"description": "Removed."},
                "400": error("Not a number (`invalid_query`)."),
                "404": error("No such follow (`follow_not_found`)."),
            })),
        }},
        "/api/follows/{id}/deliveries": {"get": {
            "summary": "The webhook delivery log of a follow: its latest 200 calls, newest first, each with every attempt.",
            "security": [{"bearer": []}],
            "parameters": [id_param("Follow number.")],
            "responses": with_auth(json!({
                "200": ok(r("DeliveryLog"), "The log."),
                "400": error("Not a number (`invalid_query`)."),
                "404": error("No such follow (`follow_not_found`)."),
            })),
        }},
        "/feeds/follows/{file}": {"get": {
            "summary": "Atom 1.0 feed of a follow's matches since it was made, newest first (50).",
            "parameters": [feed_file("`N.atom`, N the follow number.")],
            "responses": {"200": atom("The feed."), "400": error("Not `N.atom` (`invalid_query`)."), "404": error("No such follow (`follow_not_found`).")},
        }},
        "/feeds/stories/{file}": {"get": {
            "summary": "Atom 1.0 feed of a story's latest articles, newest first (50).",
            "parameters": [feed_file("`ID.atom`, ID the story number.")],
            "responses": {"200": atom("The feed."), "400": error("Not `ID.atom` (`invalid_query`)."), "404": error("No such story (`story_not_found`).")},
        }},
        "/feeds/search.atom": {"get": {
            "summary": "Atom 1.0 feed of the latest articles matching a search, newest first (50).",
            "parameters": search_filters,
            "responses": {"200": atom("The feed."), "400": error("Invalid parameter (`invalid_query`)."), "503": error("No search index (`search_unavailable`).")},
        }},
    });
    let follow = object(
        &[
            "id",
            "kind",
            "webhook",
            "created_at",
            "created_seq",
            "feed",
            "matches",
            "label",
        ],
        json!({
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["query", "entity", "story"]},
            "webhook": nullable("string"),
            "created_at": {"type": "integer", "description": "Unix seconds."},
            "created_seq": {"type": "integer", "description": "Articles from this arrival number on can match."},
            "feed": {"type": "string"},
            "matches": {"type": "integer"},
            "label": {"type": "string"},
            "query": {"type": "string"}, "lang": nullable("string"), "source": nullable("string"),
            "from": nullable("string"), "to": nullable("string"),
            "entity": nullable("integer"), "story": {"type": "integer"},
        }),
    );
    let schemas = json!({
        // Exactly one kind: a query (with its filters), an entity or a story.
        "FollowRequest": {"oneOf": [
            {"type": "object", "required": ["query"], "additionalProperties": false, "properties": {
                "query": {"type": "string", "description": "A query follow: the search syntax of /api/search."},
                "lang": {"type": "string"}, "source": {"type": "string"},
                "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
                "entity": u64_schema("Only articles mentioning this entity."),
                "webhook": r("Webhook"),
            }},
            {"type": "object", "required": ["entity"], "additionalProperties": false, "properties": {
                "entity": u64_schema("An entity follow."), "webhook": r("Webhook"),
            }},
            {"type": "object", "required": ["story"], "additionalProperties": false, "properties": {
                "story": u64_schema("A story follow."), "webhook": r("Webhook"),
            }},
        ]},
        "Webhook": http_url_schema("Gets one POST per new match, signed `X-Nuntius-Signature: sha256=<hex HMAC-SHA256 of the body>`."),
        "FollowCreated": object(&["id", "feed"], json!({
            "id": {"type": "integer"}, "feed": {"type": "string"},
            "secret": {"type": "string", "description": "The webhook's HMAC key, shown once."},
        })),
        "Follow": follow,
        "FollowList": object(&["follows"], json!({"follows": array_of(r("Follow"))})),
        "DeliveryLog": object(&["follow", "deliveries"], json!({
            "follow": {"type": "integer"},
            "deliveries": array_of(object(&["id", "seq", "event", "story", "state", "attempts", "next_at", "log"], json!({
                "id": {"type": "integer"}, "seq": {"type": "integer"}, "event": {"type": "integer"}, "story": {"type": "integer"},
                "state": {"type": "string", "enum": ["pending", "delivered", "failed"]},
                "attempts": {"type": "integer"},
                "next_at": nullable("integer"),
                "log": array_of(object(&["attempt", "at", "status", "error", "millis"], json!({
                    "attempt": {"type": "integer"}, "at": {"type": "integer", "description": "Unix milliseconds."},
                    "status": nullable("integer"), "error": nullable("string"), "millis": {"type": "integer"},
                }))),
            }))),
        })),
    });
    for (slot, extra) in [
        ("paths", paths),
        ("components", json!({"schemas": schemas})),
    ] {
        let (Some(target), Value::Object(extra)) = (doc.get_mut(slot), extra) else {
            continue;
        };
        let Some(map) = target.as_object_mut() else {
            continue;
        };
        for (k, v) in extra {
            match (map.get_mut(&k), v) {
                (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
                (_, v) => {
                    map.insert(k, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(body: &str) -> Result<NewFollow, String> {
        let r: FollowRequest = serde_json::from_str(body).map_err(|e| e.to_string())?;
        new_follow(&r, 0).map_err(|e| e.to_string())
    }

    #[test]
    fn requests_name_one_kind_of_follow() {
        assert_eq!(
            req(r#"{"entity": 3}"#).unwrap().target,
            FollowTarget::Entity(3)
        );
        assert_eq!(
            req(r#"{"story": 4}"#).unwrap().target,
            FollowTarget::Story(4)
        );
        let q = req(r#"{"query": "talks", "lang": "en", "from": "2024-01-02", "entity": 5}"#)
            .unwrap()
            .target;
        let FollowTarget::Query(q) = q else {
            panic!("{q:?}")
        };
        assert_eq!(
            (q.lang.as_deref(), q.entity, q.from_day.is_some()),
            (Some("en"), Some(5), true)
        );
        for (body, says) in [
            ("{}", "needs"),
            (r#"{"entity": 1, "story": 2}"#, "one of"),
            (r#"{"story": 2, "lang": "en"}"#, "filter"),
            (r#"{"query": "x", "from": "2024-13-01"}"#, "from"),
            (r#"{"query": "x", "webhook": "ftp://h/x"}"#, "http"),
            (r#"{"query": "x", "webhook": "not a url"}"#, "webhook"),
            (r#"{"query": "x", "colour": 1}"#, "colour"),
        ] {
            let e = req(body).unwrap_err();
            assert!(e.contains(says), "{body}: {e}");
        }
    }

    #[test]
    fn a_webhook_gets_a_secret_and_a_follow_without_none() {
        let with = req(r#"{"entity": 3, "webhook": "http://127.0.0.1:8080/hook"}"#).unwrap();
        assert_eq!(with.secret.as_ref().map(String::len), Some(64));
        assert_eq!(with.webhook.as_deref(), Some("http://127.0.0.1:8080/hook"));
        assert!(req(r#"{"entity": 3}"#).unwrap().secret.is_none());
    }

    #[test]
    fn ids_are_encoded_for_a_path() {
        assert_eq!(encode_path("a b/c?d"), "a%20b%2Fc%3Fd");
        assert_eq!(encode_path("é"), "%C3%A9");
    }
}
