//! Shared fixtures: a data dir holding the seed articles, an app over it, and request helpers.

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use nuntius_engine::datadir::store_path;
use nuntius_engine::Engine;
use nuntius_readers::ReadOptions;
use nuntius_server::{App, AppConfig};
use nuntius_store::SqliteStore;
use serde_json::Value;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-0123456789";

pub fn seeds() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seeds"))
}

/// A temporary data dir with the seeds ingested by the engine, and a writing app over it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// Kept so the app (and its writer) lives as long as the fixture.
    #[allow(dead_code)]
    pub app: App,
    pub router: Router,
    pub runtime: tokio::runtime::Runtime,
}

pub fn seeded_with_limit(max_body_bytes: usize) -> Fixture {
    let mut s = nuntius_engine::Settings::default();
    s.serve.max_body_bytes = max_body_bytes;
    seeded_with_settings(s)
}

pub fn seeded_with_settings(settings: nuntius_engine::Settings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(&store_path(dir.path())).unwrap();
        let mut engine = Engine::open(Box::new(store), nuntius_cluster::Params::default()).unwrap();
        let summary = nuntius_engine::ingest_paths(
            &mut engine,
            &[seeds()],
            &ReadOptions::default(),
            512,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(summary.new, 5);
    }
    let app = App::open(AppConfig {
        data_dir: dir.path().to_path_buf(),
        token: TOKEN.to_string(),
        settings,
        writer: true,
        embedder: None,
        crawl: false,
    })
    .unwrap();
    app.wait_until_ready(Duration::from_secs(60)).unwrap();
    let router = app.router();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    Fixture {
        dir,
        app,
        router,
        runtime,
    }
}

pub fn seeded() -> Fixture {
    seeded_with_limit(1 << 20)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The stable error code of an error reply.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

impl Fixture {
    pub fn request(&self, req: Request<Body>) -> Reply {
        let router = self.router.clone();
        self.runtime.block_on(async move {
            let response = router.oneshot(req).await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec();
            Reply {
                status,
                headers,
                body,
            }
        })
    }

    pub fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).unwrap())
    }

    pub fn post(&self, uri: &str, token: Option<&str>, body: impl Into<Body>) -> Reply {
        let mut req = Request::builder().method(Method::POST).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        self.request(req.body(body.into()).unwrap())
    }

    /// The seeds' one story (the Lavrov–Blinken talks).
    pub fn seed_story(&self) -> u64 {
        let list = self.get("/api/stories").json();
        list["stories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["articles"] == 5)
            .unwrap_or_else(|| panic!("no five-article story in {list}"))["id"]
            .as_u64()
            .unwrap()
    }
}

/// Percent-encodes a path segment.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
