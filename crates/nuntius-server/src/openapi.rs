//! The OpenAPI 3.1 document served at `/api/openapi.json`. A test keeps it true: every route of
//! [`crate::api::api_routes`] is documented and nothing else is, and live responses carry every
//! field the schemas require.

use serde_json::{json, Value};

use crate::error::ERROR_CODES;

pub(crate) fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

pub(crate) fn array_of(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

pub(crate) fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

pub(crate) fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

pub(crate) fn ok(schema: Value, description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

pub(crate) fn error(description: &str) -> Value {
    ok(r("Error"), description)
}

pub(crate) fn query_param(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": kind}, "description": description})
}

/// An integer query parameter with its real range, so a client (or a schema-driven fuzzer)
/// knows what the server accepts.
fn int_param(name: &str, min: u64, max: Option<u64>, description: &str) -> Value {
    let mut schema = json!({"type": "integer", "minimum": min});
    if let Some(max) = max {
        schema["maximum"] = json!(max);
    }
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

/// The filters of a search, parsed by `api::search_filters` for `/api/search` and the search feed.
pub(crate) fn search_filter_params() -> Vec<Value> {
    vec![
        query_param(
            "q",
            "string",
            "Words (all must match), \"quoted phrases\", -excluded, OR.",
        ),
        query_param(
            "lang",
            "string",
            "Analyse the query in this language and keep only its articles.",
        ),
        query_param("source", "string", "Only articles of this source."),
        date_param("from", "Only articles on or after this day (YYYY-MM-DD)."),
        date_param("to", "Only articles on or before this day (YYYY-MM-DD)."),
        int_param(
            "entity",
            0,
            Some(U64_MAX),
            "Only articles mentioning this entity.",
        ),
    ]
}

/// An http(s) URL as the server takes it from people (`nuntius_crawl::http_url`).
pub(crate) fn http_url_schema(description: &str) -> Value {
    json!({"type": "string", "pattern": nuntius_crawl::HTTP_URL_PATTERN, "maxLength": nuntius_crawl::MAX_URL_BYTES, "description": description})
}

/// A `u64` in a request body.
pub(crate) fn u64_schema(description: &str) -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": U64_MAX, "description": description})
}

/// A `YYYY-MM-DD` day, as the server parses it.
fn date_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": "string", "format": "date"}, "description": description})
}

pub(crate) fn path_param(name: &str, kind: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": kind}, "description": description})
}

/// The largest number a `u64` query parameter takes.
const U64_MAX: u64 = u64::MAX;

/// A numeric path id: what the server parses (`u64`).
pub(crate) fn id_param(description: &str) -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0, "maximum": U64_MAX}, "description": description})
}

fn paging() -> Vec<Value> {
    vec![
        int_param(
            "offset",
            0,
            Some(U64_MAX),
            "Items skipped before this page (0).",
        ),
        int_param("limit", 1, Some(100), "Items per page (20)."),
    ]
}

fn schemas() -> Value {
    let story_card = object(
        &[
            "id",
            "headline",
            "articles",
            "events",
            "first_day",
            "last_day",
            "languages",
            "sources",
            "independent_sources",
            "top_entities",
            "sparkline",
        ],
        json!({
            "id": {"type": "integer"},
            "headline": {"type": "string"},
            "articles": {"type": "integer"},
            "events": {"type": "integer"},
            "first_day": nullable("string"),
            "last_day": nullable("string"),
            "languages": {"type": "object", "additionalProperties": {"type": "integer"}},
            "sources": {"type": "integer"},
            "independent_sources": {"type": "integer", "description": "Sources with at least one article that is neither a copy nor a duplicate."},
            "top_entities": array_of(json!({"type": "string"})),
            "sparkline": object(&["from", "to", "counts"], json!({
                "from": nullable("string"), "to": nullable("string"),
                "counts": array_of(json!({"type": "integer"})),
            })),
        }),
    );
    let evidence = json!({"type": ["object", "null"], "description": "Signals, weights, score and details of one assignment (entity numbers replaced by names)."});
    let event_article = object(
        &[
            "id",
            "title",
            "lang",
            "source",
            "published",
            "published_from",
            "copies",
            "duplicate_of",
        ],
        json!({
            "id": {"type": "string"}, "title": {"type": "string"}, "lang": nullable("string"),
            "source": nullable("string"), "published": nullable("string"),
            "published_from": nullable("string"),
            "copies": array_of(json!({"type": "string"})),
            "duplicate_of": nullable("string"),
            "why": evidence.clone(),
        }),
    );
    let event = object(
        &[
            "event",
            "date",
            "articles",
            "article_count",
            "more_articles",
        ],
        json!({
            "event": {"type": "integer"}, "date": nullable("string"),
            "articles": array_of(r("EventArticle")),
            "article_count": {"type": "integer"}, "more_articles": {"type": "integer"},
            "linked": {"type": "array", "items": {"type": "integer"},
                "description": "Events in other languages linked with this one: the same happening."},
            "why_in_story": evidence,
        }),
    );
    let entity_ref = object(
        &["id", "name", "kind", "articles"],
        json!({"id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"}, "articles": {"type": "integer"}}),
    );
    let story_detail = object(
        &[
            "story",
            "events",
            "events_total",
            "events_offset",
            "timeline",
            "origins",
            "entities",
        ],
        json!({
            "story": r("StoryCard"),
            "events": array_of(r("Event")),
            "events_total": {"type": "integer", "description": "Events in the story; `events` is one page of them."},
            "events_offset": {"type": "integer"},
            "timeline": object(&["days", "undated"], json!({
                "days": array_of(object(&["date", "languages"], json!({
                    "date": {"type": "string"},
                    "languages": {"type": "object", "additionalProperties": {"type": "integer"}},
                }))),
                "undated": {"type": "integer"},
            })),
            "origins": object(&["independent", "copies", "independent_total", "copies_total"], json!({
                "independent_total": {"type": "integer"}, "copies_total": {"type": "integer"},
                "independent": array_of(object(&["id", "source"], json!({"id": {"type": "string"}, "source": nullable("string")}))),
                "copies": array_of(object(&["id", "source", "copies", "duplicate_of"], json!({
                    "id": {"type": "string"}, "source": nullable("string"),
                    "copies": array_of(json!({"type": "string"})), "duplicate_of": nullable("string"),
                }))),
            })),
            "entities": array_of(r("EntityRef")),
        }),
    );
    let basis: Vec<Value> = nuntius_dedup::Basis::ALL
        .iter()
        .map(|b| json!(b.as_str()))
        .chain([Value::Null])
        .collect();
    let related = object(
        &["id", "title", "source", "chars", "basis"],
        json!({
            "id": {"type": "string"}, "title": {"type": "string"}, "source": nullable("string"), "chars": {"type": "integer"},
            "basis": {"type": ["string", "null"], "enum": basis, "description": "The rule that made the copy the copy: `cites_source` (the copy credits another source), `later_date` (its publication day is later), `contained` (same day or undated: more of its words are in the shared passages), `later_arrival` (nothing else told them apart); null for copies stored before it was recorded."},
        }),
    );
    let article = object(
        &[
            "id",
            "path",
            "url",
            "title",
            "lang",
            "published",
            "published_from",
            "source",
            "cited_source",
            "event",
            "story",
            "duplicate_of",
            "copies_from",
            "entities",
            "text",
            "copied_from_articles",
            "copied_by",
            "segments",
        ],
        json!({
            "id": {"type": "string"}, "path": nullable("string"), "url": nullable("string"),
            "title": {"type": "string"}, "lang": nullable("string"), "published": nullable("string"),
            "published_from": nullable("string"), "source": nullable("string"),
            "cited_source": nullable("string"), "event": {"type": "integer"}, "story": {"type": "integer"},
            "duplicate_of": nullable("string"),
            "copies_from": array_of(object(&["id", "passages", "chars"], json!({
                "id": {"type": "string"}, "passages": array_of(json!({"type": "string"})), "chars": {"type": "integer"},
            }))),
            "entities": array_of(object(&["id", "name", "kind", "mentions"], json!({
                "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
                "mentions": array_of(json!({"type": "string"})),
            }))),
            "text": {"type": "string", "description": "Clean text (plain text, never HTML)."},
            "copied_from_articles": array_of(r("RelatedArticle")),
            "copied_by": array_of(r("RelatedArticle")),
            "segments": array_of(object(&["text", "copied_from", "copied_by"], json!({
                "text": {"type": "string"},
                "copied_from": array_of(json!({"type": "string"})),
                "copied_by": array_of(json!({"type": "string"})),
            }))),
        }),
    );
    let codes: Vec<&str> = ERROR_CODES.iter().map(|c| c.as_str()).collect();
    json!({
        "Error": object(&["error"], json!({
            "error": object(&["code", "status", "message"], json!({
                "code": {"type": "string", "enum": codes},
                "status": {"type": "integer"},
                "message": {"type": "string"},
            })),
        })),
        "StoryCard": story_card,
        "StoryList": object(&["total", "offset", "limit", "stories"], json!({
            "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
            "stories": array_of(r("StoryCard")),
        })),
        "EventArticle": event_article,
        "Event": event,
        "EntityRef": entity_ref,
        "StoryDetail": story_detail,
        "RelatedArticle": related,
        "Article": article,
        "EntityList": object(&["total", "offset", "limit", "entities"], json!({
            "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
            "entities": array_of(r("EntityRef")),
        })),
        "Entity": object(&["id", "name", "kind", "article_count", "spellings", "articles"], json!({
            "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
            "article_count": {"type": "integer"},
            "spellings": array_of(object(&["spelling", "count"], json!({"spelling": {"type": "string"}, "count": {"type": "integer"}}))),
            "articles": array_of(object(&["id", "title", "lang", "source", "published", "story"], json!({
                "id": {"type": "string"}, "title": {"type": "string"}, "lang": nullable("string"),
                "source": nullable("string"), "published": nullable("string"), "story": {"type": "integer"},
            }))),
        })),
        "SearchResults": object(&["query", "total_hits", "total_stories", "offset", "limit", "stories"], json!({
            "query": {"type": "string"}, "total_hits": {"type": "integer"}, "total_stories": {"type": "integer"},
            "offset": {"type": "integer"}, "limit": {"type": "integer"},
            "stories": array_of(object(&["story", "score", "matched", "hits"], json!({
                "story": {"type": "integer"}, "score": {"type": "number"}, "matched": {"type": "integer"},
                "hits": array_of(object(&["id", "title", "score", "snippet", "highlights"], json!({
                    "id": {"type": "string"}, "title": {"type": "string"}, "score": {"type": "number"},
                    "snippet": {"type": "string"},
                    "highlights": array_of(array_of(json!({"type": "integer"}))),
                }))),
            }))),
        })),
        "IngestReport": object(&["read", "new", "already_stored", "duplicates", "failed", "warnings"], json!({
            "read": {"type": "integer"}, "new": {"type": "integer"},
            "already_stored": {"type": "integer"}, "duplicates": {"type": "integer"},
            "failed": array_of(json!({"type": "string", "description": "Where and why a record failed."})),
            "warnings": array_of(json!({"type": "string", "description": "What was changed to store a record (a text cut to the limit, an unknown `lang`)."})),
        })),
        "Health": object(&["status", "articles", "stories", "search_documents", "writer"], json!({
            "status": {"type": "string"}, "articles": {"type": "integer"}, "stories": {"type": "integer"},
            "search_documents": {"type": "integer"}, "writer": {"type": "string"},
        })),
    })
}

/// The document.
pub fn document() -> Value {
    let mut story_params = paging();
    story_params.extend([
        query_param(
            "lang",
            "string",
            "Only stories with an article in this language (ISO 639-1).",
        ),
        query_param(
            "q",
            "string",
            "Only stories with an article matching this full-text query.",
        ),
        date_param(
            "from",
            "Only stories with an article on or after this day (YYYY-MM-DD).",
        ),
        date_param(
            "to",
            "Only stories with an article on or before this day (YYYY-MM-DD).",
        ),
        int_param(
            "min_articles",
            0,
            Some(U64_MAX),
            "Only stories with at least this many articles.",
        ),
    ]);
    let mut entity_params = paging();
    entity_params.extend([
        query_param(
            "q",
            "string",
            "Entities with a spelling containing this text (case and accents ignored).",
        ),
        json!({"name": "kind", "in": "query", "required": false,
            "schema": {"type": "string", "enum": crate::api::ENTITY_KINDS},
            "description": "Only entities of this kind."}),
    ]);
    let mut search_params = paging();
    search_params.extend(search_filter_params());
    let bad = error("Invalid parameter (`invalid_query`).");
    let mut ingest_content = serde_json::Map::new();
    // A body of nothing but ASCII whitespace is refused (`invalid_body`): the text formats say
    // so with a pattern, the binary one with a length.
    let not_blank = "[^\t\n\x0c\r ]";
    ingest_content.insert(
        "application/x-ndjson".into(),
        json!({"schema": {"type": "string", "pattern": not_blank}}),
    );
    ingest_content.insert(
        "application/json".into(),
        json!({"schema": {"type": ["array", "object"], "description": "An array of article objects, or one article object; a bad element is a per-record error."}}),
    );
    ingest_content.insert(
        "application/gzip".into(),
        json!({"schema": {"type": "string", "format": "binary", "minLength": 1, "description": "Not only ASCII whitespace."}}),
    );
    ingest_content.insert(
        crate::api::RAW_JSONL.into(),
        // A media-type object has no `description` (OpenAPI 3.1): it belongs to the schema.
        json!({"schema": {"type": "string", "description": "One serialised RawArticle per line (what `nuntius ingest` forwards)."}}),
    );
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "nuntius",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Multilingual news stories: events, copies, entities and evidence. Errors are JSON `{\"error\": {\"code\", \"status\", \"message\"}}` with a stable code.",
        },
        "paths": {
            "/api/stories": {"get": {
                "summary": "Stories, newest first (latest day, then size, then id).",
                "parameters": story_params,
                "responses": {"200": ok(r("StoryList"), "A page of stories."), "400": bad.clone()},
            }},
            "/api/stories/{id}": {"get": {
                "summary": "One story: events with articles and evidence, timeline, origins and copies, entities.",
                "parameters": [id_param("Story number."), int_param("articles_per_event", 1, Some(5000), "Articles listed per event (20)."), int_param("events_offset", 0, Some(U64_MAX), "Events skipped, in time order (0)."), int_param("events_limit", 1, Some(1000), "Events on this page (100); `events_total` counts them all.")],
                "responses": {"200": ok(r("StoryDetail"), "The story."), "400": bad.clone(), "404": error("No such story (`story_not_found`).")},
            }},
            "/api/articles/{id}": {"get": {
                "summary": "One article: clean text, entities, copies in and out with the shared passages.",
                "parameters": [path_param("id", "string", "Article identity (URL-encode it).")],
                "responses": {"200": ok(r("Article"), "The article."), "404": error("No such article (`article_not_found`).")},
            }},
            "/api/articles": {"post": {
                "summary": "Ingest articles: JSONL, a JSON array of article objects, text, gzip of those, or the CLI's forwarding format.",
                "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": ingest_content},
                "responses": {
                    "200": ok(r("IngestReport"), "What was stored; bad records are listed in `failed`."),
                    "400": error("The body cannot be read at all (`invalid_body`)."),
                    "401": error("No bearer token (`missing_token`)."),
                    "403": error("Wrong token (`invalid_token`)."),
                    "413": error("Body over the limit (`payload_too_large`)."),
                    "503": error("The writer is not available (`writer_unavailable`)."),
                    "507": error("The store's disk is full; nothing was stored (`storage_full`)."),
                },
            }},
            "/api/entities": {"get": {
                "summary": "Entities by number of articles.",
                "parameters": entity_params,
                "responses": {"200": ok(r("EntityList"), "A page of entities."), "400": bad.clone()},
            }},
            "/api/entities/{id}": {"get": {
                "summary": "One entity with all its spellings and its latest articles.",
                "parameters": [id_param("Entity number."), int_param("articles", 0, Some(U64_MAX), "Articles listed (50), at most 500.")],
                "responses": {"200": ok(r("Entity"), "The entity."), "400": bad.clone(), "404": error("No such entity (`entity_not_found`).")},
            }},
            "/api/search": {"get": {
                "summary": "Full-text search, results grouped by story.",
                "parameters": search_params,
                "responses": {"200": ok(r("SearchResults"), "Stories with their best matching articles."), "400": bad, "503": error("No search index (`search_unavailable`).")},
            }},
            "/api/openapi.json": {"get": {
                "summary": "This document.",
                "responses": {"200": ok(json!({"type": "object"}), "OpenAPI 3.1.")},
            }},
            "/healthz": {"get": {
                "summary": "Liveness and counts.",
                "responses": {"200": ok(r("Health"), "The server is up.")},
            }},
            "/metrics": {"get": {
                "summary": "Prometheus metrics: requests and latency by route, articles ingested, store size.",
                "responses": {"200": {"description": "Prometheus text format.", "content": {"text/plain": {"schema": {"type": "string"}}}}},
            }},
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    });
    crate::follows::document_follows(&mut doc);
    crate::sources::document(&mut doc);
    doc
}
