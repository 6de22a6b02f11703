//! The JSON API on the seed articles: stories, events, copies, entities, search, ingest, errors,
//! auth, body limits, metrics.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;

use super::common::{encode, seeded, seeded_with_limit, TOKEN};

const COPY: &str = "003_6850249380d4cfb7";
const ORIGIN: &str = "001_c10b4a053a7048bd";

#[test]
fn the_seed_story_has_three_events_and_the_copy_of_001() {
    let f = seeded();
    let story = f.seed_story();
    let reply = f.get(&format!("/api/stories/{story}"));
    assert_eq!(reply.status, StatusCode::OK);
    let d = reply.json();
    assert_eq!(d["story"]["articles"], 5);
    assert_eq!(d["story"]["languages"]["it"], 4);
    assert_eq!(d["story"]["languages"]["ro"], 1);
    let events = d["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{d:#}");
    let articles: Vec<&Value> = events
        .iter()
        .flat_map(|e| e["articles"].as_array().unwrap())
        .collect();
    let copy = articles.iter().find(|a| a["id"] == COPY).unwrap();
    assert_eq!(copy["copies"], serde_json::json!([ORIGIN]));
    // Dated events come in time order; the Romanian announcement alone stays undated.
    let dates: Vec<&Value> = events.iter().map(|e| &e["date"]).collect();
    assert!(dates.contains(&&Value::from("2022-01-21")), "{dates:?}");
    assert!(dates.contains(&&Value::from("2022-02-01")), "{dates:?}");
    assert!(d["origins"]["copies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == COPY));
    assert_eq!(d["story"]["independent_sources"], 4);
    assert!(!d["timeline"]["days"].as_array().unwrap().is_empty());
    assert!(d["entities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "Sergey Lavrov"));
    assert!(events.iter().any(|e| e.get("why_in_story").is_some()));
}

#[test]
fn articles_show_copies_in_and_out_with_passages() {
    let f = seeded();
    let copy = f.get(&format!("/api/articles/{COPY}")).json();
    assert_eq!(copy["copied_from_articles"][0]["id"], ORIGIN);
    // The copy evidence names the rule that decided the direction.
    let basis = copy["copied_from_articles"][0]["basis"]
        .as_str()
        .unwrap_or("");
    assert!(nuntius_dedup::Basis::parse(basis).is_some(), "{basis:?}");
    let segments = copy["segments"].as_array().unwrap();
    assert!(segments
        .iter()
        .any(|s| s["copied_from"] == serde_json::json!([ORIGIN])));
    let joined: String = segments
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(joined, copy["text"].as_str().unwrap());

    let origin = f.get(&format!("/api/articles/{ORIGIN}")).json();
    assert_eq!(origin["copied_by"][0]["id"], COPY);
    assert!(origin["segments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["copied_by"] == serde_json::json!([COPY])));
    assert_eq!(origin["published_from"], "inferred");

    // An identity that is a URL travels percent-encoded in one path segment.
    let list = f.get("/api/stories").json();
    let story = list["stories"][0]["id"].as_u64().unwrap();
    let d = f.get(&format!("/api/stories/{story}")).json();
    let url_id = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["articles"].as_array().unwrap().clone())
        .map(|a| a["id"].as_str().unwrap().to_string())
        .find(|id| id.starts_with("https://"))
        .unwrap();
    let reply = f.get(&format!("/api/articles/{}", encode(&url_id)));
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["id"], url_id.as_str());
}

#[test]
fn entities_list_all_their_spellings() {
    let f = seeded();
    let list = f.get("/api/entities?q=lavrov").json();
    let lavrov = &list["entities"][0];
    assert_eq!(lavrov["name"], "Sergey Lavrov");
    let id = lavrov["id"].as_u64().unwrap();
    let e = f.get(&format!("/api/entities/{id}")).json();
    let spellings: Vec<&str> = e["spellings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["spelling"].as_str().unwrap())
        .collect();
    assert!(spellings.len() >= 2, "{spellings:?}");
    assert!(!e["articles"].as_array().unwrap().is_empty());
    assert_eq!(f.get("/api/entities?kind=place").status, StatusCode::OK);
    // Regression (schema-driven fuzzing): an empty or unknown `kind` was answered 200 with
    // nothing, though the document lists the kinds; it is refused like any bad parameter.
    for bad in ["", "planet"] {
        let r = f.get(&format!("/api/entities?kind={bad}"));
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "kind={bad}");
    }
    for kind in nuntius_server::api::ENTITY_KINDS {
        assert_eq!(nuntius_model::EntityKind::parse(kind).as_str(), kind);
    }
}

#[test]
fn search_groups_by_story_and_filters_the_list() {
    let f = seeded();
    let r = f
        .get("/api/search?q=garanzie%20di%20sicurezza&lang=it")
        .json();
    assert!(r["total_hits"].as_u64().unwrap() >= 1, "{r}");
    let ids: Vec<&str> = r["stories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["hits"].as_array().unwrap())
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&COPY), "{ids:?}");
    let list = f.get("/api/stories?q=Lavrov&lang=it").json();
    assert_eq!(list["total"], 1);
    let none = f.get("/api/stories?lang=xx").json();
    assert_eq!(none["total"], 0);
    let dated = f.get("/api/stories?from=2022-01-25&to=2022-03-01").json();
    assert_eq!(dated["total"], 1);
}

#[test]
fn errors_are_json_with_stable_codes() {
    let f = seeded();
    let cases = [
        (
            "/api/stories/999999",
            StatusCode::NOT_FOUND,
            "story_not_found",
        ),
        ("/api/stories/abc", StatusCode::BAD_REQUEST, "invalid_query"),
        (
            "/api/articles/nope",
            StatusCode::NOT_FOUND,
            "article_not_found",
        ),
        (
            "/api/entities/999999",
            StatusCode::NOT_FOUND,
            "entity_not_found",
        ),
        ("/api/nowhere", StatusCode::NOT_FOUND, "route_not_found"),
        (
            "/api/stories?limit=0",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/stories?limit=abc",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/stories?colour=red",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/stories?from=2022-13-01",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ];
    for (uri, status, code) in cases {
        let r = f.get(uri);
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{uri}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["status"], status.as_u16());
    }
    let r = f.request(
        Request::builder()
            .method(Method::DELETE)
            .uri("/api/stories")
            .body(Body::empty())
            .unwrap(),
    );
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
}

#[test]
fn ingest_needs_the_token_and_respects_the_body_limit() {
    let f = seeded_with_limit(2000);
    let line = "{\"id\":\"x1\",\"title\":\"A title\",\"text\":\"Some text.\"}\n";
    let r = f.post("/api/articles", None, line);
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "missing_token")
    );
    let r = f.post("/api/articles", Some("wrong"), line);
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "invalid_token")
    );
    // Too large, declared and undeclared.
    let big = line.repeat(100);
    let r = f.request(
        Request::post("/api/articles")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-length", big.len().to_string())
            .body(Body::from(big.clone()))
            .unwrap(),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let r = f.post("/api/articles", Some(TOKEN), big);
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let r = f.post("/api/articles", Some(TOKEN), "   ");
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_body")
    );
    // Nothing was stored by the refused requests.
    assert_eq!(f.get("/healthz").json()["articles"], 5);
}

#[test]
fn ingested_articles_are_visible_at_once_and_hostile_titles_stay_text() {
    let f = seeded();
    let body = concat!(
        "{\"id\":\"hostile\",\"title\":\"<script>alert(1)</script>\",\"text\":\"<img src=x onerror=alert(2)> Zanzibar quokka festival opens.\",\"lang\":\"en\",\"date\":\"2023-05-02\"}\n",
        "{\"id\":\"second\",\"title\":\"Quokka festival in Zanzibar\",\"text\":\"The Zanzibar quokka festival opened on Tuesday.\",\"lang\":\"en\",\"date\":\"2023-05-02\"}\n",
        "not json\n",
    );
    let r = f.post("/api/articles", Some(TOKEN), body);
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = r.json();
    assert_eq!(report["new"], 2);
    assert_eq!(report["read"], 3);
    assert_eq!(report["failed"].as_array().unwrap().len(), 1);
    // Again: already stored.
    let again = f.post("/api/articles", Some(TOKEN), body).json();
    assert_eq!(again["already_stored"], 2);

    let article = f.get("/api/articles/hostile").json();
    assert_eq!(article["title"], "<script>alert(1)</script>");
    let search = f.get("/api/search?q=quokka").json();
    assert!(search["total_hits"].as_u64().unwrap() >= 2, "{search}");
    let list = f.get("/api/stories").json();
    assert!(list["total"].as_u64().unwrap() >= 2);
    assert_eq!(f.get("/healthz").json()["articles"], 7);

    // A JSON array works too.
    let r = f.post(
        "/api/articles",
        Some(TOKEN),
        "[{\"id\":\"arr1\",\"title\":\"Array article\",\"text\":\"Body.\"}]",
    );
    assert_eq!(r.json()["new"], 1);
}

#[test]
fn pages_carry_a_strict_content_security_policy_and_no_data() {
    let f = seeded();
    for uri in [
        "/",
        "/stories/1",
        "/articles/x",
        "/assets/app.js",
        "/api/stories",
    ] {
        let r = f.get(uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
    }
    let html = f.get("/").text();
    assert!(!html.contains("Lavrov"), "the shell must not embed data");
    let script = f.get("/assets/app.js").text();
    assert!(!script.contains("innerHTML") && !script.contains("insertAdjacentHTML"));
}

#[test]
fn metrics_count_requests_by_route_and_health_answers() {
    let f = seeded();
    let story = f.seed_story();
    f.get(&format!("/api/stories/{story}"));
    f.get("/api/stories/999999");
    let health = f.get("/healthz").json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["writer"], "ready");
    let m = f.get("/metrics");
    assert!(m.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = m.text();
    assert!(text.contains("nuntius_http_requests_total{route=\"/api/stories/{id}\",method=\"GET\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("status=\"404\""));
    assert!(
        text.contains("nuntius_http_request_duration_seconds_bucket{route=\"/api/stories/{id}\"")
    );
    assert!(text.contains("nuntius_articles 5"));
    assert!(text.contains("nuntius_store_bytes "));
    assert!(text.contains("nuntius_articles_ingested_total 0"));
}

#[test]
fn the_cli_forwards_an_ingest_to_a_running_server() {
    let f = seeded();
    let listener = f
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let router = f.router.clone();
    f.runtime.spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let input = f.dir.path().join("more.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"fw1\",\"title\":\"Forwarded\",\"text\":\"Forwarded text about ferries.\"}\n{\"id\":\"fw2\",\"title\":\"Forwarded two\",\"text\":\"More ferries.\"}\nbroken\n",
    )
    .unwrap();
    let report = nuntius_server::forward_ingest(
        &format!("http://{addr}"),
        TOKEN,
        std::slice::from_ref(&input),
        &nuntius_readers::ReadOptions::default(),
        nuntius_server::ForwardOptions { request_bytes: 100 },
    )
    .unwrap();
    assert_eq!((report.read, report.new, report.failed.len()), (3, 2, 1));
    let err = nuntius_server::forward_ingest(
        &format!("http://{addr}"),
        "bad",
        &[input],
        &nuntius_readers::ReadOptions::default(),
        nuntius_server::ForwardOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("403"), "{err}");
}

// Regression: `GET /api/search?q=` + 750 `(` + a word overflowed a worker's stack in the query
// grammar and aborted the whole server; `/api/stories?q=` too.
#[test]
fn deeply_nested_queries_are_refused_and_the_server_goes_on() {
    let f = seeded();
    let hostile = format!("{}lavrov", "(".repeat(750));
    for route in ["/api/search?q=", "/api/stories?q="] {
        let reply = f.get(&format!("{route}{}", encode(&hostile)));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{route}");
        assert_eq!(reply.code(), "invalid_query");
    }
    assert_eq!(f.get("/api/search?q=lavrov").status, StatusCode::OK);
}

// Regression: one story's page was a 20 MB reply: events and origins are pages now.
#[test]
fn story_pages_come_in_pages_of_events() {
    let f = seeded();
    let story = f.seed_story();
    let d = f
        .get(&format!(
            "/api/stories/{story}?events_limit=1&events_offset=1"
        ))
        .json();
    assert_eq!(d["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["events_total"], 3);
    assert_eq!(d["events_offset"], 1);
    assert_eq!(d["origins"]["independent_total"], 4);
    for bad in [
        "events_limit=0",
        "articles_per_event=0",
        "events_limit=100000",
    ] {
        let reply = f.get(&format!("/api/stories/{story}?{bad}"));
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

// Regression: a `bearer` scheme in lower case was refused (the scheme is case-insensitive).
#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let f = seeded();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/articles")
        .header("authorization", format!("bearer {TOKEN}"))
        .body(Body::from(
            "{\"id\": \"lower\", \"title\": \"Lavrov a Ginevra\"}\n",
        ))
        .unwrap();
    let reply = f.request(req);
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["new"], 1);
}

// Regression: with no header timeout and no connection cap, 800 half-open connections stayed
// open and 300 made `/healthz` time out at a 256-descriptor limit.
#[test]
fn idle_connections_are_closed_and_capped() {
    use std::io::{Read, Write};
    let f = seeded();
    let settings = nuntius_engine::settings::ServeSettings {
        header_timeout_secs: 1,
        max_connections: 64,
        ..Default::default()
    };
    let router = f.router.clone();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    f.runtime.spawn(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        addr_tx.send(listener.local_addr().unwrap()).unwrap();
        nuntius_server::serve_connections(listener, router, &settings, async {
            let _ = stop_rx.await;
        })
        .await;
    });
    let addr = addr_rx.recv().unwrap();
    // Twice the cap of connections that never send a header.
    let idle: Vec<std::net::TcpStream> = (0..128)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    let healthz = || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply);
        reply
    };
    // The idle ones are closed after the header timeout, so health answers within a few seconds.
    assert!(healthz().starts_with("HTTP/1.1 200"));
    for mut s in idle {
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut buf = [0u8; 16];
        // Closed by the server: end of stream (or a reset), never a hang.
        assert!(matches!(s.read(&mut buf), Ok(0) | Err(_)));
    }
    let _ = stop_tx.send(());
}

// Regression (schema-driven fuzzing): a body declared application/json that is not a JSON
// array or object was read as a text article; it is refused, while one object is an article.
#[test]
fn a_json_body_must_be_articles() {
    let f = seeded();
    let post = |body: &'static str| {
        f.request(
            axum::http::Request::builder()
                .method(axum::http::Method::POST)
                .uri("/api/articles")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
    };
    assert_eq!(post("\"just a string\"").status, StatusCode::BAD_REQUEST);
    assert_eq!(post("12345").status, StatusCode::BAD_REQUEST);
    let one = post(
        "{\"id\": \"json-one\", \"title\": \"One object\", \"text\": \"Posted as one object.\"}",
    );
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["new"], 1);
}

/// Regression: a store written by `nuntius ingest`, whose engine keeps the search index up to
/// date but writes no record of it, was added to the index whole again on `serve`'s first open
/// (214 s for 1M articles before the writer was ready).
#[test]
fn serve_keeps_the_search_index_that_ingest_wrote() {
    use nuntius_engine::datadir::store_path;
    let dir = tempfile::tempdir().unwrap();
    {
        let store = nuntius_store::SqliteStore::open(&store_path(dir.path())).unwrap();
        let index = nuntius_search::SearchIndex::open(&dir.path().join("search")).unwrap();
        let mut engine =
            nuntius_engine::Engine::open(Box::new(store), nuntius_cluster::Params::default())
                .unwrap()
                .with_search(index)
                .unwrap();
        let summary = nuntius_engine::ingest_paths(
            &mut engine,
            &[super::common::seeds()],
            &nuntius_readers::ReadOptions::default(),
            512,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(summary.new, 5);
    }
    let meta = dir.path().join("search").join("meta.json");
    let before = std::fs::read(&meta).unwrap();
    let app = nuntius_server::App::open(nuntius_server::AppConfig {
        data_dir: dir.path().to_path_buf(),
        token: TOKEN.to_string(),
        settings: nuntius_engine::Settings::default(),
        writer: true,
        embedder: None,
        crawl: false,
    })
    .unwrap();
    app.wait_until_ready(std::time::Duration::from_secs(60))
        .unwrap();
    assert_eq!(
        std::fs::read(&meta).unwrap(),
        before,
        "the search index was written again"
    );
    let record = std::fs::read_to_string(dir.path().join("search").join("nuntius-indexed-seq"));
    assert_eq!(record.unwrap().trim(), "5");
}
