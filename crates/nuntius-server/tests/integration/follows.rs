//! Follows end to end: a follow on an entity made over the API gets every later matching article
//! in its Atom feed (parsed with feed-rs) and one signed webhook call per new matching article,
//! retried after failures and in order, at a receiver on loopback started here.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::common::{seeded_with_settings, Fixture, Reply, TOKEN};

/// One call the receiver got: signature header, body, and the status it answered.
#[derive(Clone, Debug)]
struct Call {
    signature: String,
    body: Vec<u8>,
    answered: u16,
}

/// A webhook receiver on 127.0.0.1 that answers 500 to its first `fail_first` calls.
struct Receiver {
    url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

fn receiver(f: &Fixture, fail_first: usize) -> Receiver {
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let seen = calls.clone();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let seen = seen.clone();
        async move {
            let mut calls = seen.lock().unwrap();
            let answered = if calls.len() < fail_first { 500 } else { 204 };
            calls.push(Call {
                signature: headers
                    .get("x-nuntius-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string(),
                body: body.to_vec(),
                answered,
            });
            StatusCode::from_u16(answered).unwrap()
        }
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = f
        .runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    f.runtime.spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        url: format!("http://{addr}/hook"),
        calls,
    }
}

fn fixture() -> Fixture {
    let mut s = nuntius_engine::Settings::default();
    // Tiny backoff so retries happen within the test.
    s.follow.backoff_base_ms = 20;
    s.follow.public_url = Some("http://news.example".into());
    seeded_with_settings(s)
}

fn send(f: &Fixture, method: Method, uri: &str, token: Option<&str>, body: &str) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    f.request(req.body(axum::body::Body::from(body.to_string())).unwrap())
}

fn lavrov(f: &Fixture) -> u64 {
    f.get("/api/entities?q=lavrov").json()["entities"][0]["id"]
        .as_u64()
        .unwrap()
}

fn verify(secret: &str, call: &Call) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&call.body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    call.signature == format!("sha256={want}")
}

fn wait_for(calls: &Mutex<Vec<Call>>, ok: usize) -> Vec<Call> {
    let start = Instant::now();
    loop {
        let now = calls.lock().unwrap().clone();
        if now.iter().filter(|c| c.answered < 300).count() >= ok {
            return now;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "only {now:?} webhook calls arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

const LATER: &str = concat!(
    "{\"id\":\"later-1\",\"title\":\"Lavrov <meets> \\\"Blinken\\\" & co \\u0001again\",\"text\":\"Il ministro degli Esteri russo Sergey Lavrov ha incontrato di nuovo Antony Blinken a Ginevra.\",\"lang\":\"it\",\"date\":\"2022-02-03\",\"url\":\"https://example.org/a?x=1&y=2\"}\n",
    "{\"id\":\"later-2\",\"title\":\"Festa della castagna a Cuneo\",\"text\":\"A Cuneo si apre la festa della castagna con mille bancarelle.\",\"lang\":\"it\",\"date\":\"2022-02-03\"}\n",
    "{\"id\":\"later-3\",\"title\":\"Lavrov: nuove proposte a Washington\",\"text\":\"Sergey Lavrov ha detto che Mosca manderà nuove proposte di sicurezza a Washington.\",\"lang\":\"it\",\"date\":\"2022-02-04\"}\n",
);

#[test]
fn an_entity_follow_gets_every_later_article_in_its_feed_and_one_signed_call_each() {
    let f = fixture();
    let hook = receiver(&f, 2);
    let entity = lavrov(&f);

    // Writes need the token.
    let body = format!("{{\"entity\": {entity}, \"webhook\": \"{}\"}}", hook.url);
    assert_eq!(
        send(&f, Method::POST, "/api/follows", None, &body).code(),
        "missing_token"
    );
    let made = send(&f, Method::POST, "/api/follows", Some(TOKEN), &body);
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let made = made.json();
    let id = made["id"].as_u64().unwrap();
    assert_eq!(made["feed"], format!("/feeds/follows/{id}.atom"));
    let secret = made["secret"].as_str().unwrap().to_string();
    assert_eq!(f.get("/api/follows").code(), "missing_token");
    let listed = send(&f, Method::GET, "/api/follows", Some(TOKEN), "").json();
    assert_eq!(listed["follows"][0]["id"], id);
    assert!(listed["follows"][0].get("secret").is_none(), "{listed}");

    // The seeds were stored before the follow: its feed starts empty.
    let empty = f.get(&format!("/feeds/follows/{id}.atom"));
    assert_eq!(empty.status, StatusCode::OK);
    let parsed = feed_rs::parser::parse(empty.body.as_slice()).unwrap();
    assert!(parsed.entries.is_empty());

    let r = f.post("/api/articles", Some(TOKEN), LATER);
    assert_eq!(r.json()["new"], 3, "{}", r.text());

    // Two matching articles, the first refused twice: 4 calls, 2 delivered.
    let calls = wait_for(&hook.calls, 2);
    std::thread::sleep(Duration::from_millis(200));
    let calls_after = hook.calls.lock().unwrap().clone();
    assert_eq!(
        calls_after.len(),
        calls.len(),
        "no call after both were delivered"
    );
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert!(calls.iter().all(|c| verify(&secret, c)), "bad signature");
    let bodies: Vec<Value> = calls
        .iter()
        .map(|c| serde_json::from_slice(&c.body).unwrap())
        .collect();
    let ids: Vec<&str> = bodies
        .iter()
        .map(|b| b["article"]["id"].as_str().unwrap())
        .collect();
    // In order per follow: the second article waits for the first to be delivered.
    assert_eq!(ids, ["later-1", "later-1", "later-1", "later-3"]);
    let delivered: Vec<&str> = calls
        .iter()
        .zip(&ids)
        .filter(|(c, _)| c.answered < 300)
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(delivered, ["later-1", "later-3"]);
    let first = &bodies[0];
    assert_eq!(first["follow"], id);
    assert!(
        first["event"]["id"].is_u64() && first["story"]["id"].is_u64(),
        "{first}"
    );
    assert!(first["event"]["headline"].is_string(), "{first}");
    assert_eq!(
        first["article"]["link"],
        "http://news.example/articles/later-1"
    );

    // The delivery log shows every attempt.
    assert_eq!(
        f.get(&format!("/api/follows/{id}/deliveries")).code(),
        "missing_token"
    );
    let log = send(
        &f,
        Method::GET,
        &format!("/api/follows/{id}/deliveries"),
        Some(TOKEN),
        "",
    )
    .json();
    let deliveries = log["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    let statuses: Vec<Vec<u64>> = deliveries
        .iter()
        .map(|d| {
            d["log"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["status"].as_u64().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(statuses, [vec![204], vec![500, 500, 204]]);
    assert!(deliveries.iter().all(|d| d["state"] == "delivered"));

    // The feed holds both, newest first, with the required Atom elements.
    let atom = f.get(&format!("/feeds/follows/{id}.atom"));
    assert_eq!(
        atom.headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let text = atom.text();
    for required in [
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
        &format!("<id>urn:nuntius:follow:{id}</id>"),
        "<updated>2022-02-04T00:00:00Z</updated>",
        &format!("<link rel=\"self\" type=\"application/atom+xml\" href=\"http://news.example/feeds/follows/{id}.atom\"/>"),
        "Lavrov &lt;meets&gt; &quot;Blinken&quot; &amp; co again",
        "href=\"https://example.org/a?x=1&amp;y=2\"",
    ] {
        assert!(text.contains(required), "{required} not in\n{text}");
    }
    let feed = feed_rs::parser::parse(atom.body.as_slice()).unwrap();
    assert_eq!(feed.id, format!("urn:nuntius:follow:{id}"));
    assert!(feed.updated.is_some());
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(
        titles,
        [
            "Lavrov: nuove proposte a Washington",
            "Lavrov <meets> \"Blinken\" & co again"
        ]
    );
    for e in &feed.entries {
        assert!(e.id.starts_with("urn:nuntius:article:"), "{}", e.id);
        assert!(e.updated.is_some());
        let hrefs: Vec<&str> = e.links.iter().map(|l| l.href.as_str()).collect();
        assert!(
            hrefs[0].starts_with("http://news.example/articles/later-"),
            "{hrefs:?}"
        );
        assert!(
            hrefs
                .iter()
                .any(|h| h.contains("/stories/") && !h.contains('#')),
            "{hrefs:?}"
        );
        assert!(hrefs.iter().any(|h| h.contains("#event-")), "{hrefs:?}");
        assert!(e.summary.is_some(), "no event headline");
    }
    // Entry ids are stable: the same article has the same id in the story feed.
    let story = bodies[0]["story"]["id"].as_u64().unwrap();
    let story_feed = f.get(&format!("/feeds/stories/{story}.atom"));
    let story_feed = feed_rs::parser::parse(story_feed.body.as_slice()).unwrap();
    assert!(story_feed
        .entries
        .iter()
        .any(|e| e.id == feed.entries[1].id));

    // Removing needs the token, then the follow is gone.
    let uri = format!("/api/follows/{id}");
    assert_eq!(
        send(&f, Method::DELETE, &uri, None, "").code(),
        "missing_token"
    );
    assert_eq!(
        send(&f, Method::DELETE, &uri, Some(TOKEN), "").status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&f, Method::DELETE, &uri, Some(TOKEN), "").code(),
        "follow_not_found"
    );
    assert_eq!(
        f.get(&format!("/feeds/follows/{id}.atom")).code(),
        "follow_not_found"
    );
}

#[test]
fn query_and_story_follows_match_as_articles_arrive_and_search_has_a_feed() {
    let f = fixture();
    let story = f.seed_story();
    let q = send(
        &f,
        Method::POST,
        "/api/follows",
        Some(TOKEN),
        "{\"query\": \"castagna\", \"lang\": \"it\"}",
    )
    .json();
    let s = send(
        &f,
        Method::POST,
        "/api/follows",
        Some(TOKEN),
        &format!("{{\"story\": {story}}}"),
    )
    .json();
    assert!(q.get("secret").is_none());
    for (body, code) in [
        ("{\"story\": 424242}", "story_not_found"),
        ("{\"entity\": 424242}", "entity_not_found"),
        ("{\"query\": \"x\", \"story\": 1}", "invalid_body"),
        (
            "{\"query\": \"x\", \"webhook\": \"file:///etc/passwd\"}",
            "invalid_body",
        ),
    ] {
        assert_eq!(
            send(&f, Method::POST, "/api/follows", Some(TOKEN), body).code(),
            code,
            "{body}"
        );
    }
    f.post("/api/articles", Some(TOKEN), LATER);
    let titles = |path: &str| -> Vec<String> {
        let r = f.get(path);
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        feed_rs::parser::parse(r.body.as_slice())
            .unwrap()
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect()
    };
    let qid = q["id"].as_u64().unwrap();
    assert_eq!(
        titles(&format!("/feeds/follows/{qid}.atom")),
        ["Festa della castagna a Cuneo"]
    );
    let sid = s["id"].as_u64().unwrap();
    let in_story = titles(&format!("/feeds/follows/{sid}.atom"));
    assert!(
        !in_story.iter().any(|t| t.contains("castagna")),
        "{in_story:?}"
    );
    assert_eq!(
        titles("/feeds/search.atom?q=castagna"),
        ["Festa della castagna a Cuneo"]
    );
    assert!(titles("/feeds/search.atom?q=").len() >= 8);
    assert_eq!(f.get("/feeds/follows/x.atom").code(), "invalid_query");
    assert_eq!(
        f.get("/feeds/stories/424242.atom").code(),
        "story_not_found"
    );
}

// Regression (API fuzzer): the follow, source and feed operations refused requests their
// document allowed (negative ids, `5.0` as an entity, feed names) and took ones it forbade
// (`null` fields, `+5.atom`); the document and the server now draw the same line.
#[test]
fn follow_source_and_feed_requests_are_taken_as_the_document_states() {
    let f = super::common::seeded();
    for (body, want) in [
        (r#"{"entity": 1.0}"#, StatusCode::CREATED),
        (
            r#"{"query": "Lavrov", "from": "2022-01-01"}"#,
            StatusCode::CREATED,
        ),
        (
            r#"{"query": "x", "from": "2022x01y01"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (r#"{"query": "x", "lang": null}"#, StatusCode::BAD_REQUEST),
        (r#"{"entity": 1.5}"#, StatusCode::BAD_REQUEST),
        (
            r#"{"entity": 1, "webhook": "http://1.2.3.999/"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"entity": 1, "webhook": "http://127.0.0.1:9/h"}"#,
            StatusCode::CREATED,
        ),
        ("{}", StatusCode::BAD_REQUEST),
    ] {
        let reply = send(&f, Method::POST, "/api/follows", Some(TOKEN), body);
        assert_eq!(reply.status, want, "{body}: {}", reply.text());
    }
    for (uri, want) in [
        ("/feeds/follows/1.atom", StatusCode::OK),
        ("/feeds/follows/+1.atom", StatusCode::BAD_REQUEST),
        (
            "/feeds/follows/18446744073709551615.atom",
            StatusCode::BAD_REQUEST,
        ),
        ("/feeds/stories/1.atom", StatusCode::OK),
    ] {
        assert_eq!(f.get(uri).status, want, "{uri}");
    }
    for (body, want) in [
        (
            r#"{"url": "https://a.example/feed", "every": "15m"}"#,
            StatusCode::OK,
        ),
        (
            r#"{"url": "https://a.example/feed", "every": "1h30m"}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            r#"{"url": "https://a.example/feed", "urls": []}"#,
            StatusCode::BAD_REQUEST,
        ),
        (r#"{"url": null}"#, StatusCode::BAD_REQUEST),
        (
            r#"{"urls": [" https://a.example/"]}"#,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let reply = f.post("/api/sources", Some(TOKEN), body);
        assert_eq!(reply.status, want, "{body}: {}", reply.text());
    }
}
