//! `/api/sources`: listing is open, adding and removing need the token.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use super::common::{seeded, TOKEN};

#[test]
fn sources_are_added_listed_and_removed_with_the_token() {
    let f = seeded();
    let body = r#"{"urls": ["https://a.example/feed.xml?utm_source=x", "https://b.example/sitemap.xml"], "every": "30m"}"#;
    assert_eq!(
        f.post("/api/sources", None, body).status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        f.post("/api/sources", Some("wrong"), body).status,
        StatusCode::FORBIDDEN
    );
    let added = f.post("/api/sources", Some(TOKEN), body);
    assert_eq!(added.status, StatusCode::OK, "{}", added.text());
    assert_eq!(
        added.json()["added"],
        serde_json::json!([
            "https://a.example/feed.xml",
            "https://b.example/sitemap.xml"
        ])
    );
    let again = f.post(
        "/api/sources",
        Some(TOKEN),
        r#"{"url": "https://a.example/feed.xml"}"#,
    );
    assert_eq!(again.json()["known"][0], "https://a.example/feed.xml");
    let bad = f.post(
        "/api/sources",
        Some(TOKEN),
        r#"{"url": "ftp://a.example/"}"#,
    );
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "invalid_body".to_string())
    );

    let list = f.get("/api/sources").json();
    assert_eq!(list["total"], 2);
    assert_eq!(list["sources"][0]["every_secs"], 1800);
    assert_eq!(list["sources"][0]["kind"], serde_json::Value::Null);

    let delete = |url: &str, token: Option<&str>| {
        let mut req = Request::builder()
            .method(Method::DELETE)
            .uri(format!("/api/sources?url={}", super::common::encode(url)));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        f.request(req.body(Body::empty()).unwrap())
    };
    assert_eq!(
        delete("https://a.example/feed.xml", None).status,
        StatusCode::UNAUTHORIZED
    );
    let removed = delete("https://a.example/feed.xml", Some(TOKEN));
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text());
    let missing = delete("https://a.example/feed.xml", Some(TOKEN));
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "source_not_found".to_string())
    );
    assert_eq!(f.get("/api/sources").json()["total"], 1);
}
