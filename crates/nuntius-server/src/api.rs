//! The HTTP routes: JSON API, ingest, health, metrics, the OpenAPI document and the web UI.
//!
//! Every API route is declared once in [`api_routes`]; the router is built from that table and the
//! OpenAPI test compares the table with the document.

use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use nuntius_model::RawArticle;
use nuntius_readers::{read_stream, ReadOptions};
use nuntius_search::SearchQuery;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{IngestReport, Shared, WriteJob, WriterState};
use crate::error::ApiError;
use crate::readmodel::{self, fold, StoryPageOptions};

type S = Arc<Shared>;

/// Content type of the lossless forwarding format: one serialised `RawArticle` per line.
pub const RAW_JSONL: &str = "application/x-nuntius-raw+jsonl";

const MAX_PAGE: usize = 100;

/// The entity kinds `/api/entities?kind=` takes (the document's enum; anything else is 400).
pub const ENTITY_KINDS: [&str; 4] = ["person", "place", "org", "unknown"];
const DEFAULT_PAGE: usize = 20;

/// The Content-Security-Policy of every response: only this origin's scripts and styles, no
/// inline code, no frames, no plugins.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Every API route: method, path (OpenAPI syntax), handler.
pub fn api_routes() -> Vec<(Method, &'static str, MethodRouter<S>)> {
    vec![
        (Method::GET, "/api/stories", get(list_stories)),
        (Method::GET, "/api/stories/{id}", get(story)),
        (Method::GET, "/api/articles/{id}", get(article)),
        (Method::POST, "/api/articles", post(ingest)),
        (Method::GET, "/api/entities", get(list_entities)),
        (Method::GET, "/api/entities/{id}", get(entity)),
        (Method::GET, "/api/search", get(search)),
        (
            Method::POST,
            "/api/follows",
            post(crate::follows::create_follow),
        ),
        (
            Method::GET,
            "/api/follows",
            get(crate::follows::list_follows),
        ),
        (
            Method::DELETE,
            "/api/follows/{id}",
            delete(crate::follows::remove_follow),
        ),
        (
            Method::GET,
            "/api/follows/{id}/deliveries",
            get(crate::follows::deliveries),
        ),
        (
            Method::GET,
            "/feeds/follows/{file}",
            get(crate::feeds::follow_feed),
        ),
        (
            Method::GET,
            "/feeds/stories/{file}",
            get(crate::feeds::story_feed),
        ),
        (
            Method::GET,
            "/feeds/search.atom",
            get(crate::feeds::search_feed),
        ),
        (
            Method::GET,
            "/api/sources",
            get(crate::sources::list_sources),
        ),
        (
            Method::POST,
            "/api/sources",
            post(crate::sources::add_sources),
        ),
        (
            Method::DELETE,
            "/api/sources",
            axum::routing::delete(crate::sources::remove_source),
        ),
        (Method::GET, "/api/openapi.json", get(openapi)),
        (Method::GET, "/healthz", get(health)),
        (Method::GET, "/metrics", get(metrics)),
    ]
}

/// Routes of the web UI (HTML and its assets), outside the OpenAPI document.
pub const UI_ROUTES: &[&str] = &[
    "/",
    "/stories/{id}",
    "/articles/{id}",
    "/entities/{id}",
    "/following",
    "/sources",
    "/assets/app.js",
    "/assets/style.css",
];

/// The app's router.
pub fn router(shared: S) -> Router {
    let mut api: Router<S> = Router::new();
    // `/api/articles` takes POST and `/api/articles/{id}` GET: merge methods per path.
    let mut by_path: Vec<(&'static str, MethodRouter<S>)> = Vec::new();
    for (_, path, handler) in api_routes() {
        match by_path.iter().position(|(p, _)| *p == path) {
            Some(i) => {
                let (p, existing) = by_path.remove(i);
                by_path.insert(i, (p, existing.merge(handler)));
            }
            None => by_path.push((path, handler)),
        }
    }
    for (path, handler) in by_path {
        api = api.route(path, handler);
    }
    api.route("/", get(crate::ui::page))
        .route("/stories/{id}", get(crate::ui::page))
        .route("/articles/{id}", get(crate::ui::page))
        .route("/entities/{id}", get(crate::ui::page))
        .route("/following", get(crate::ui::page))
        .route("/sources", get(crate::ui::page))
        .route("/assets/app.js", get(crate::ui::script))
        .route("/assets/style.css", get(crate::ui::style))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), observe))
        .with_state(shared)
}

/// Records metrics by route pattern and sets the security headers on every response.
async fn observe(State(s): State<S>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let mut response = next.run(req).await;
    s.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn not_found(req: Request) -> ApiError {
    ApiError::RouteNotFound(req.uri().path().to_string())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Runs store work off the async threads, within the request's time budget. A request over
/// budget is answered 503 at once; its blocking work finishes in the background (SQLite reads
/// cannot be interrupted), bounded by the reader connections it holds.
pub(crate) async fn blocking<T: Send + 'static>(
    s: S,
    f: impl FnOnce(&Shared) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let budget = s.request_timeout;
    let task = tokio::task::spawn_blocking(move || f(&s));
    match tokio::time::timeout(budget, task).await {
        Ok(joined) => {
            joined.map_err(|e| ApiError::Internal(format!("a request task failed: {e}")))?
        }
        Err(_) => Err(ApiError::Timeout(budget.as_secs())),
    }
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::InvalidQuery(e.body_text()))
}

fn path(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(v)| v)
        .map_err(|e| ApiError::InvalidQuery(e.body_text()))
}

pub(crate) fn numeric_id(
    p: Result<Path<String>, PathRejection>,
    what: &str,
) -> Result<u64, ApiError> {
    let raw = path(p)?;
    raw.parse()
        .map_err(|_| ApiError::InvalidQuery(format!("{what} id must be a number, not {raw:?}")))
}

fn page(offset: Option<usize>, limit: Option<usize>) -> Result<(usize, usize), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::InvalidQuery(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    Ok((offset.unwrap_or(0), limit))
}

/// `YYYY-MM-DD` to a day number.
/// For `#[serde(default, deserialize_with = "present")]`: a field that may be absent but, when
/// given, is of its type (`null` refused), as the API document types it.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// [`present`] for a `u64`: JSON Schema counts `5.0` an integer, so a whole float is one too.
pub(crate) fn present_u64<'de, D>(d: D) -> Result<Option<u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(f))
                .map(|f| f as u64)
        })
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{n} is not a whole number from 0 to 2^64 - 1")))
}

pub(crate) fn parse_day(s: &str, name: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::InvalidQuery(format!("{name} must be a date YYYY-MM-DD, not {s:?}"));
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(bad());
    }
    let y: i32 = s.get(0..4).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let m: u8 = s.get(5..7).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let d: u8 = s.get(8..10).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    if s.len() != 10 || !(1..=12).contains(&m) || d == 0 || d > nuntius_model::days_in_month(y, m) {
        return Err(bad());
    }
    Ok(nuntius_model::days_from_civil(y, m, d))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoriesQuery {
    lang: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    min_articles: Option<u64>,
    offset: Option<usize>,
    limit: Option<usize>,
}

/// Stories matching a search, at most this many, filter the list.
const SEARCH_FILTER_STORIES: usize = 5000;

async fn list_stories(
    State(s): State<S>,
    q: Result<Query<StoriesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = query(q)?;
    let (offset, limit) = page(q.offset, q.limit)?;
    let from = q
        .from
        .as_deref()
        .map(|v| parse_day(v, "from"))
        .transpose()?;
    let to = q.to.as_deref().map(|v| parse_day(v, "to")).transpose()?;
    blocking(s, move |s| {
        let matching: Option<BTreeSet<u64>> = match q.q.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => {
                let results = run_search(
                    s,
                    &SearchQuery {
                        text: text.to_string(),
                        lang: q.lang.clone(),
                        limit: SEARCH_FILTER_STORIES,
                        ..SearchQuery::default()
                    },
                )?;
                Some(results.stories.iter().map(|h| h.story).collect())
            }
            _ => None,
        };
        let catalog = s.catalog();
        let selected: Vec<u64> = catalog
            .stories
            .iter()
            .filter(|e| q.lang.as_ref().is_none_or(|l| e.languages.contains(l)))
            .filter(|e| q.min_articles.is_none_or(|n| e.stat.articles >= n))
            .filter(|e| from.is_none_or(|f| e.stat.last_day.is_some_and(|d| d >= f)))
            .filter(|e| to.is_none_or(|t| e.stat.first_day.is_some_and(|d| d <= t)))
            .filter(|e| matching.as_ref().is_none_or(|m| m.contains(&e.stat.story)))
            .map(|e| e.stat.story)
            .collect();
        let mut cards = Vec::new();
        for story in selected.iter().skip(offset).take(limit) {
            cards.push(s.story_card(*story)?);
        }
        Ok(Json(json!({
            "total": selected.len(),
            "offset": offset,
            "limit": limit,
            "stories": cards,
        })))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoryQuery {
    articles_per_event: Option<usize>,
    events_offset: Option<usize>,
    events_limit: Option<usize>,
}

/// A query number within its documented range, or the reason it is refused.
fn in_range(
    name: &str,
    value: Option<usize>,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(v) if (min..=max).contains(&v) => Ok(v),
        Some(v) => Err(ApiError::InvalidQuery(format!(
            "`{name}` is {v}; it must be from {min} to {max}"
        ))),
    }
}

async fn story(
    State(s): State<S>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<StoryQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = numeric_id(id, "story")?;
    let q = query(q)?;
    let options = StoryPageOptions {
        articles_per_event: in_range("articles_per_event", q.articles_per_event, 20, 1, 5000)?,
        events_offset: in_range("events_offset", q.events_offset, 0, 0, usize::MAX)?,
        events_limit: in_range("events_limit", q.events_limit, 100, 1, 1000)?,
    };
    blocking(s, move |s| {
        s.read(|store| readmodel::story_page(store, id, options))
            .map(Json)
    })
    .await
}

async fn article(
    State(s): State<S>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path(id)?;
    blocking(s, move |s| {
        s.read(|store| readmodel::article_page(store, &id))
            .map(Json)
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntitiesQuery {
    q: Option<String>,
    kind: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

async fn list_entities(
    State(s): State<S>,
    q: Result<Query<EntitiesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = query(q)?;
    let (offset, limit) = page(q.offset, q.limit)?;
    if let Some(kind) = q.kind.as_deref().filter(|k| !ENTITY_KINDS.contains(k)) {
        return Err(ApiError::InvalidQuery(format!(
            "kind is {kind:?}; it must be one of {}",
            ENTITY_KINDS.join(", ")
        )));
    }
    let catalog = s.catalog();
    let needle = q.q.as_deref().map(fold).filter(|n| !n.is_empty());
    let selected: Vec<Value> = catalog
        .entities
        .iter()
        .filter(|e| q.kind.as_deref().is_none_or(|k| e.kind == k))
        .filter(|e| {
            needle.as_ref().is_none_or(|n| {
                fold(&e.name).contains(n.as_str()) || e.keys.iter().any(|k| k.contains(n.as_str()))
            })
        })
        .map(|e| json!({"id": e.id, "name": e.name, "kind": e.kind, "articles": e.articles}))
        .collect();
    let total = selected.len();
    let entities: Vec<Value> = selected.into_iter().skip(offset).take(limit).collect();
    Ok(Json(json!({
        "total": total, "offset": offset, "limit": limit, "entities": entities,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityQuery {
    articles: Option<u64>,
}

async fn entity(
    State(s): State<S>,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<EntityQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = numeric_id(id, "entity")?;
    let n = query(q)?.articles.unwrap_or(50).min(500);
    blocking(s, move |s| {
        s.read(|store| readmodel::entity_page(store, id, n))
            .map(Json)
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    q: Option<String>,
    lang: Option<String>,
    source: Option<String>,
    from: Option<String>,
    to: Option<String>,
    entity: Option<u64>,
    offset: Option<usize>,
    limit: Option<usize>,
}

/// The text and filters of a search request (the page is the caller's).
pub(crate) fn search_filters(p: &SearchParams) -> Result<SearchQuery, ApiError> {
    Ok(SearchQuery {
        text: p.q.clone().unwrap_or_default(),
        lang: p.lang.clone(),
        source: p.source.clone(),
        from_day: p
            .from
            .as_deref()
            .map(|v| parse_day(v, "from"))
            .transpose()?,
        to_day: p.to.as_deref().map(|v| parse_day(v, "to")).transpose()?,
        entity: p.entity,
        ..SearchQuery::default()
    })
}

fn run_search(s: &Shared, q: &SearchQuery) -> Result<nuntius_search::SearchResults, ApiError> {
    on_index(s, |index| index.search(q))
}

/// Runs `f` on the search index, its errors mapped to the API's.
pub(crate) fn on_index<T>(
    s: &Shared,
    f: impl FnOnce(&nuntius_search::SearchIndex) -> Result<T, nuntius_search::SearchError>,
) -> Result<T, ApiError> {
    let Some(index) = &s.search else {
        return Err(ApiError::SearchUnavailable(
            s.search_error
                .clone()
                .unwrap_or_else(|| "no search index".into()),
        ));
    };
    let index = index
        .read()
        .map_err(|_| ApiError::Internal("search index poisoned".into()))?;
    f(&index).map_err(|e| match e {
        nuntius_search::SearchError::InvalidQuery(m) => ApiError::InvalidQuery(m),
        other => ApiError::SearchUnavailable(other.to_string()),
    })
}

async fn search(
    State(s): State<S>,
    q: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = query(q)?;
    let (offset, limit) = page(p.offset, p.limit)?;
    let query = SearchQuery {
        limit,
        offset,
        ..search_filters(&p)?
    };
    blocking(s, move |s| {
        let results = run_search(s, &query)?;
        let stories: Vec<Value> = results
            .stories
            .iter()
            .map(|st| {
                json!({
                    "story": st.story,
                    "score": st.score,
                    "matched": st.matched,
                    "hits": st.hits.iter().map(|h| json!({
                        "id": h.id,
                        "title": h.title,
                        "score": h.score,
                        "snippet": h.snippet,
                        "highlights": h.snippet_highlights.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Json(json!({
            "query": query.text,
            "total_hits": results.total_hits,
            "total_stories": results.total_stories,
            "offset": offset,
            "limit": limit,
            "stories": stories,
        })))
    })
    .await
}

/// Compares the bearer token in constant time.
pub(crate) fn check_token(s: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::MissingToken);
    };
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` is `Bearer`.
    let given = value
        .to_str()
        .ok()
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or(ApiError::MissingToken)?
        .trim()
        .as_bytes();
    let want = s.token.as_bytes();
    let mut diff = u8::from(given.len() != want.len());
    for (i, b) in want.iter().enumerate() {
        diff |= b ^ given.get(i).copied().unwrap_or(0);
    }
    if diff == 0 && !want.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidToken)
    }
}

async fn ingest(
    State(s): State<S>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, ApiError> {
    check_token(&s, &headers)?;
    let shared = s.clone();
    let _slot = shared
        .ingest_slots
        .acquire()
        .await
        .map_err(|_| ApiError::WriterUnavailable("the server is stopping".into()))?;
    let limit = s.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = e
            .into_inner()
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some();
        if too_large {
            ApiError::PayloadTooLarge { limit }
        } else {
            ApiError::InvalidBody("the body could not be read".into())
        }
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let raw_format = content_type.starts_with(RAW_JSONL);
    // Bodies are read by content, like files; one declared as JSON must be JSON articles.
    if content_type.starts_with("application/json") && !looks_like_json_articles(&bytes) {
        return Err(ApiError::InvalidBody(
            "an application/json body is an array of articles or one article object".into(),
        ));
    }
    let read_limits = s.read_limits;
    let (raws, errors) =
        tokio::task::spawn_blocking(move || parse_body(&bytes, raw_format, limit, read_limits))
            .await
            .map_err(|e| ApiError::Internal(format!("parsing the body failed: {e}")))??;
    let (reply, wait) = tokio::sync::oneshot::channel();
    s.submit(WriteJob { raws, reply })?;
    let summary = wait
        .await
        .map_err(|_| ApiError::WriterUnavailable("the writer stopped".into()))??;
    Ok(Json(IngestReport::from_summary(&summary, errors)))
}

/// Whether a body starts (after whitespace and a BOM) like a JSON array or object; gzip is
/// left to the readers.
fn looks_like_json_articles(bytes: &[u8]) -> bool {
    let bytes = bytes
        .strip_prefix(b"\xef\xbb\xbf".as_slice())
        .unwrap_or(bytes);
    bytes.starts_with(&[0x1f, 0x8b])
        || matches!(
            bytes.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'[' | b'{')
        )
}

/// How many times the body limit a gzip body may inflate to.
const GZIP_EXPANSION: usize = 8;

/// Reads a request body with the CLI's readers (JSONL, a JSON array, text, HTML, WARC, feeds,
/// gzip of any of them) under the same limits as files, or the forwarding format. Bad records
/// become per-record errors. A gzip body is inflated once, by the readers, to at most
/// `GZIP_EXPANSION` × `limit` bytes: the limit holds after decompression too, and gzip inside
/// gzip is not inflated again.
pub fn parse_body(
    bytes: &[u8],
    raw_format: bool,
    limit: usize,
    read_limits: nuntius_readers::Limits,
) -> Result<(Vec<RawArticle>, Vec<String>), ApiError> {
    let mut raws = Vec::new();
    let mut errors = Vec::new();
    let cap = (limit.saturating_mul(GZIP_EXPANSION) as u64).min(read_limits.max_file_bytes);
    let limits = nuntius_readers::Limits {
        max_file_bytes: cap,
        ..read_limits
    };
    if raw_format {
        // Forwarded records are already read: one JSON `RawArticle` per line.
        let mut inflated = Vec::new();
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            let read = nuntius_readers::ResyncGz::new(bytes)
                .take(cap + 1)
                .read_to_end(&mut inflated);
            if inflated.len() as u64 > cap {
                return Err(ApiError::PayloadTooLarge {
                    limit: cap as usize,
                });
            }
            if let Err(e) = read {
                errors.push(format!(
                    "body: gzip stream broken after {} bytes: {e}",
                    inflated.len()
                ));
            }
            inflated.as_slice()
        } else {
            bytes
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| ApiError::InvalidBody(format!("not UTF-8: {e}")))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if line.len() > limits.max_record_bytes {
                errors.push(format!(
                    "body:{}: record of {} bytes is over the {}-byte limit",
                    i + 1,
                    line.len(),
                    limits.max_record_bytes
                ));
                continue;
            }
            match serde_json::from_str::<RawArticle>(line) {
                Ok(raw) => raws.push(raw),
                Err(e) => errors.push(format!("body:{}: {e}", i + 1)),
            }
        }
        return Ok((raws, errors));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidBody("the body is empty".into()));
    }
    let web = nuntius_engine::web::WebFormats;
    let options = ReadOptions {
        web: Some(&web),
        limits,
    };
    read_stream(
        Box::new(Cursor::new(bytes)),
        "body",
        None,
        &options,
        &mut |item| match item {
            Ok(raw) => raws.push(raw),
            Err(e) => errors.push(e.to_string()),
        },
    );
    let over = errors
        .iter()
        .any(|e| e.contains("decompressed") && e.contains("limit"));
    if over && raws.is_empty() {
        return Err(ApiError::PayloadTooLarge {
            limit: cap as usize,
        });
    }
    Ok((raws, errors))
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

async fn health(State(s): State<S>) -> Json<Value> {
    let catalog = s.catalog();
    let writer = match s.writer_state() {
        WriterState::Off => "read-only".to_string(),
        WriterState::Opening => "opening".to_string(),
        WriterState::Ready => "ready".to_string(),
        WriterState::Failed(e) => format!("failed: {e}"),
    };
    Json(json!({
        "status": "ok",
        "articles": catalog.articles,
        "stories": catalog.stories.len(),
        "search_documents": search_docs(&s),
        "writer": writer,
    }))
}

fn search_docs(s: &Shared) -> u64 {
    s.search
        .as_ref()
        .and_then(|i| i.read().ok().map(|i| i.doc_count()))
        .unwrap_or(0)
}

async fn metrics(State(s): State<S>) -> Response {
    let text = s.metrics.render(s.store_bytes(), search_docs(&s));
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nuntius_readers::Limits;

    #[test]
    fn days_are_checked() {
        assert_eq!(parse_day("2022-01-21", "from").unwrap(), 19_013);
        for bad in ["2022-02-30", "2022-1-21", "x", "2022-01-211"] {
            assert!(parse_day(bad, "from").is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_in_every_accepted_shape() {
        let (r, e) = parse_body(
            b"[{\"title\":\"a\"},{\"x\":1}]",
            false,
            1 << 20,
            Limits::default(),
        )
        .unwrap();
        assert_eq!((r.len(), e.len()), (1, 1));
        let (r, e) = parse_body(
            b"{\"title\":\"a\"}\n{\"title\":\"b\"}\nnot json\n",
            false,
            1 << 20,
            Limits::default(),
        )
        .unwrap();
        assert_eq!((r.len(), e.len()), (2, 1));
        let raw = RawArticle {
            id: Some("x".into()),
            header_date: Some("2022-01".into()),
            ..RawArticle::default()
        };
        let line = serde_json::to_string(&raw).unwrap();
        let (r, _) = parse_body(line.as_bytes(), true, 1 << 20, Limits::default()).unwrap();
        assert_eq!(r, vec![raw]);
        assert!(parse_body(b"  ", false, 1 << 20, Limits::default()).is_err());
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_bodies_are_inflated_within_the_limit() {
        let body = gzip(b"{\"title\":\"a\"}\n{\"title\":\"b\"}\n");
        let (r, e) = parse_body(&body, false, 1 << 20, Limits::default()).unwrap();
        assert_eq!((r.len(), e.len()), (2, 0));
        // 1 MiB of zeros compresses to ~1 KiB: small on the wire, over 8 × a 4 KiB limit inflated.
        let bomb = gzip(&vec![b'0'; 1 << 20]);
        assert!(bomb.len() < 4096);
        assert!(matches!(
            parse_body(&bomb, false, 4096, Limits::default()),
            Err(ApiError::PayloadTooLarge { limit: 32768 })
        ));
        // A truncated stream keeps the records before the break and says so.
        let lines: String = (0..200)
            .map(|i| format!("{{\"title\":\"t{i}\"}}\n"))
            .collect();
        let mut cut = gzip(lines.as_bytes());
        cut.truncate(cut.len() / 2);
        let (r, e) = parse_body(&cut, false, 1 << 20, Limits::default()).unwrap();
        assert!(!r.is_empty() && r.len() < 200, "{}", r.len());
        assert!(e.iter().any(|m| m.contains("gzip")), "{e:?}");
    }

    // Regression: a 1,880-byte double-gzipped POST inflated to 1 GiB: the body was inflated in
    // `parse_body` and again, uncapped, by the readers.
    #[test]
    fn gzip_inside_gzip_is_not_inflated_twice() {
        let inner = gzip(&vec![b'{'; 4 << 20]);
        let outer = gzip(&inner);
        let (r, e) = parse_body(&outer, false, 1 << 20, Limits::default()).unwrap();
        assert!(r.is_empty());
        assert!(e.len() == 1 && e[0].contains("binary"), "{e:?}");
    }

    // Regression: posted HTML and WARC were read as text dumps.
    #[test]
    fn posted_pages_are_extracted() {
        let page = b"<!doctype html><html><head><title>Lavrov a Ginevra</title></head><body><article><p>Il ministro degli Esteri russo ha incontrato il segretario di Stato americano a Ginevra per parlare di sicurezza europea.</p></article></body></html>";
        let (r, e) = parse_body(page, false, 1 << 20, Limits::default()).unwrap();
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].title.as_deref(), Some("Lavrov a Ginevra"));
        assert!(r[0].text.as_deref().is_some_and(|t| !t.contains("<p>")));
    }
}
