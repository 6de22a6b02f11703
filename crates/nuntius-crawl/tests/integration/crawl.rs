//! Rounds against the fake site: what was fetched, in what order and with what spacing, and what
//! the store holds afterwards.

use std::sync::Arc;
use std::time::Duration;

use nuntius_cluster::Params;
use nuntius_crawl::{Crawler, RoundOptions, RoundSummary};
use nuntius_engine::settings::CrawlSettings;
use nuntius_engine::Engine;
use nuntius_store::{SqliteStore, Store};

use crate::site::{article_html, rss, sitemap, Request, Response, Site};

const DELAY_MS: u64 = 50;

fn settings() -> CrawlSettings {
    CrawlSettings {
        contact: "https://example.org/crawler".into(),
        delay_ms: DELAY_MS,
        read_timeout_secs: 1,
        connect_timeout_secs: 1,
        max_page_bytes: 256 * 1024,
        ..CrawlSettings::default()
    }
}

/// A store file with an engine and a crawler on it (two connections, as the CLI has).
struct Setup {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    engine: Engine,
    crawler: Crawler,
}

fn setup(settings: CrawlSettings) -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nuntius.sqlite");
    let (engine, crawler) = open(&path, settings);
    Setup {
        _dir: dir,
        path,
        engine,
        crawler,
    }
}

fn open(path: &std::path::Path, settings: CrawlSettings) -> (Engine, Crawler) {
    let store = SqliteStore::open(path).expect("store");
    let engine = Engine::open(Box::new(store), Params::default()).expect("engine");
    let crawler =
        Crawler::new(settings, SqliteStore::open(path).expect("store"), 512).expect("crawler");
    (engine, crawler)
}

impl Setup {
    fn add(&self, url: &str) {
        assert!(self.crawler.store().add_source(url, 900, 0).expect("add"));
    }

    fn round(&mut self) -> RoundSummary {
        self.crawler
            .run_round(
                &mut self.engine,
                RoundOptions {
                    all: true,
                    now: None,
                },
            )
            .expect("round")
    }

    fn stored(&self) -> u64 {
        SqliteStore::open(&self.path)
            .expect("store")
            .article_count()
            .expect("count")
    }
}

/// `/news/story-N.html`: the generated article N; anything else 404.
fn generated(path: &str) -> Response {
    match page(path) {
        Some(n) => Response::ok(
            "text/html; charset=utf-8",
            article_html(n, &format!("Story {n}")),
        ),
        None => Response::status(404),
    }
}

fn page(path: &str) -> Option<usize> {
    path.strip_prefix("/news/")?
        .strip_suffix(".html")?
        .trim_start_matches("story-")
        .parse()
        .ok()
}

#[test]
fn robots_disallow_per_host_spacing_and_conditional_rounds() {
    // Host 0 carries the feed and robots.txt disallowing /news/private-*; host 1 more pages.
    let site = Arc::new(std::sync::OnceLock::<Vec<String>>::new());
    let bases = site.clone();
    let handler = Arc::new(move |r: &Request| -> Response {
        let b = bases.get().expect("bases");
        match (r.host, r.path.as_str()) {
            (0, "/robots.txt") => {
                Response::ok("text/plain", "User-agent: *\nDisallow: /news/private-\n")
            }
            (_, "/robots.txt") => Response::status(404),
            (0, "/feed.xml") => {
                if r.header("if-none-match") == Some("\"v1\"") {
                    return Response::status(304);
                }
                let mut links: Vec<String> = (0..6)
                    .map(|n| format!("{}/news/story-{n}.html?utm_source=feed#top", b[n % 2]))
                    .collect();
                links.push(format!("{}/news/private-9.html", b[0]));
                Response::ok("application/rss+xml", rss(&links)).with_header("ETag", "\"v1\"")
            }
            (_, p) => generated(p),
        }
    });
    let running = Site::start(&["127.0.0.2", "127.0.0.3"], handler).expect("site");
    site.set(running.bases.clone()).expect("once");
    let mut s = setup(settings());
    s.add(&running.url(0, "/feed.xml"));
    let first = s.round();
    assert_eq!(first.stored, 6, "{first:?}");
    assert_eq!(first.sources_failed, Vec::<(String, String)>::new());
    assert_eq!(s.stored(), 6);
    let requests = running.requests();
    assert!(
        requests.iter().all(|r| !r.path.contains("private")),
        "a disallowed page was fetched: {:?}",
        running.paths(0)
    );
    // robots.txt first on each host, then the feed, then its pages (in no fixed order among
    // themselves: they are fetched concurrently; the ingest order is the feed's).
    let sorted = |host: usize| {
        let mut paths = running.paths(host);
        let from = paths.len().min(2);
        paths[from..].sort();
        paths
    };
    assert_eq!(running.paths(0)[..2], ["/robots.txt", "/feed.xml"]);
    assert_eq!(
        sorted(0)[1..],
        [
            "/feed.xml",
            "/news/story-0.html",
            "/news/story-2.html",
            "/news/story-4.html"
        ]
    );
    assert_eq!(running.paths(1)[0], "/robots.txt");
    let mut host1 = running.paths(1);
    host1.sort();
    assert_eq!(
        host1,
        [
            "/news/story-1.html",
            "/news/story-3.html",
            "/news/story-5.html",
            "/robots.txt"
        ]
    );
    // The store holds them in the feed's order.
    let store = SqliteStore::open(&s.path).expect("store");
    let mut order = Vec::new();
    store
        .for_each_article(&mut |a| order.push(a.title.clone()))
        .expect("read");
    assert_eq!(
        order,
        (0..6).map(|n| format!("Story {n}")).collect::<Vec<_>>()
    );
    for host in 0..2 {
        let gap = running.min_gap(host).expect("several requests");
        assert!(
            gap >= Duration::from_millis(DELAY_MS),
            "host {host}: {gap:?}"
        );
    }
    assert!(requests
        .iter()
        .all(|r| r.header("user-agent").is_some_and(
            |ua| ua.starts_with("nuntius/") && ua.contains("+https://example.org/crawler")
        )));
    // Tracking parameters and fragments never reach the identity.
    let store = SqliteStore::open(&s.path).expect("store");
    let id = format!("{}/news/story-0.html", running.bases[0]);
    assert!(store.article_by_id(&id).expect("read").is_some(), "{id}");

    // Second round: one conditional request for the source, no page again.
    running.clear_log();
    let second = s.round();
    assert_eq!(
        (second.sources_not_modified, second.stored),
        (1, 0),
        "{second:?}"
    );
    let again: Vec<Request> = running
        .requests()
        .into_iter()
        .filter(|r| r.path != "/robots.txt")
        .collect();
    assert_eq!(again.len(), 1, "{again:?}");
    assert!(again[0].is_conditional());

    // A restart (new engine and crawler on the same store) fetches no stored item either: the
    // source is read unconditionally once its validators are forgotten, its items are known.
    drop(s.crawler);
    let (engine, crawler) = open(&s.path, settings());
    s.engine = engine;
    s.crawler = crawler;
    let store = s.crawler.store();
    let mut src = store.sources().expect("sources").remove(0);
    src.etag = None;
    store.update_source(&src).expect("update");
    running.clear_log();
    let third = s.round();
    assert_eq!(third.stored, 0, "{third:?}");
    let paths: Vec<String> = running.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/robots.txt", "/feed.xml"]);
    assert_eq!(s.stored(), 6);
}

#[test]
fn failing_slow_looping_oversized_and_miscoded_items() {
    let bases = Arc::new(std::sync::OnceLock::<Vec<String>>::new());
    let b2 = bases.clone();
    let handler = Arc::new(move |r: &Request| -> Response {
        let b = b2.get().expect("bases");
        match (r.host, r.path.as_str()) {
            (_, "/robots.txt") => Response::status(404),
            (0, "/sitemap.xml") => {
                let links: Vec<String> = [
                    "/news/story-1.html",
                    "/news/loop-a",
                    "/news/big",
                    "/news/latin1",
                    "/news/missing",
                    "/news/flaky",
                ]
                .iter()
                .map(|p| format!("{}{p}", b[0]))
                .chain([format!("{}/news/story-2.html", b[1])])
                .collect();
                Response::ok("application/xml", sitemap(&links))
            }
            (0, "/news/loop-a") => Response::redirect("/news/loop-b"),
            (0, "/news/loop-b") => Response::redirect(&format!("{}/news/loop-a", b[0])),
            (0, "/news/big") => Response::ok("text/html", vec![b'a'; 1024 * 1024]),
            (0, "/news/latin1") => {
                // Declared UTF-8, written in windows-1252.
                let html = article_html(77, "Caf\u{e9} cr\u{e8}me");
                let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&html);
                Response::ok("text/html; charset=utf-8", bytes.into_owned())
            }
            (0, "/news/missing") => Response::status(410),
            (0, "/news/flaky") => Response::status(503).with_header("Retry-After", "0"),
            // Host 1 is slow: longer than the read timeout.
            (1, _) => Response {
                delay: Duration::from_secs(6),
                ..Response::ok("text/html", article_html(2, "Slow"))
            },
            (_, p) => generated(p),
        }
    });
    let site = Site::start(&["127.0.0.4", "127.0.0.5"], handler).expect("site");
    bases.set(site.bases.clone()).expect("once");
    let mut s = setup(settings());
    s.add(&site.url(0, "/sitemap.xml"));
    let r = s.round();
    assert_eq!(r.stored, 2, "{r:?}");
    assert_eq!(r.gone, 1, "{r:?}");
    assert_eq!(r.item_errors, 2, "flaky and slow: {r:?}");
    assert_eq!(r.skipped_other, 2, "loop and oversized: {r:?}");
    assert!(r.sources_failed.is_empty(), "{r:?}");
    // The loop: the first request and five redirects, then given up.
    let loops = site
        .paths(0)
        .iter()
        .filter(|p| p.starts_with("/news/loop-"))
        .count();
    assert_eq!(loops, 6);
    let store = SqliteStore::open(&s.path).expect("store");
    let latin = store
        .article_by_id(&site.url(0, "/news/latin1"))
        .expect("read")
        .expect("stored");
    assert_eq!(latin.title, "Caf\u{e9} cr\u{e8}me");
    for (path, outcome) in [
        ("/news/loop-a", "redirects"),
        ("/news/big", "too-large"),
        ("/news/missing", "gone"),
        ("/news/flaky", "error"),
    ] {
        let row = store
            .fetch_record(&site.url(0, path))
            .expect("read")
            .expect(path);
        assert_eq!(row.outcome, outcome, "{path}");
    }
    // Next round: only the failures worth retrying are fetched again.
    site.clear_log();
    let r = s.round();
    assert_eq!(r.item_errors, 2, "{r:?}");
    let mut again: Vec<String> = site
        .requests()
        .into_iter()
        .filter(|q| q.path.starts_with("/news/"))
        .map(|q| q.path)
        .collect();
    again.sort();
    assert_eq!(again, ["/news/flaky", "/news/story-2.html"]);
}

#[test]
fn a_failing_source_backs_off_as_retry_after_asks() {
    let handler = Arc::new(|r: &Request| -> Response {
        match r.path.as_str() {
            "/robots.txt" => Response::status(404),
            _ => Response::status(429).with_header("Retry-After", "7200"),
        }
    });
    let site = Site::start(&["127.0.0.6"], handler).expect("site");
    let mut s = setup(settings());
    s.add(&site.url(0, "/feed.xml"));
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let r = s.round();
    assert_eq!(r.sources_failed.len(), 1, "{r:?}");
    let src = s.crawler.store().sources().expect("sources").remove(0);
    assert_eq!((src.errors, src.failures), (1, 1));
    assert!(src.next_poll >= before + 7200, "{src:?}");
    assert_eq!(src.status.as_deref(), Some("HTTP 429"));
}

#[test]
fn a_feed_of_ten_thousand_items_is_taken_a_capped_round_at_a_time() {
    let bases = Arc::new(std::sync::OnceLock::<Vec<String>>::new());
    let b2 = bases.clone();
    let handler = Arc::new(move |r: &Request| -> Response {
        let b = b2.get().expect("bases");
        match r.path.as_str() {
            "/robots.txt" => Response::status(404),
            "/feed.xml" => {
                let links: Vec<String> = (0..10_000)
                    .map(|n| format!("{}/news/story-{n}.html", b[0]))
                    .collect();
                Response::ok("application/rss+xml", rss(&links)).with_header("ETag", "\"big\"")
            }
            p => generated(p),
        }
    });
    let site = Site::start(&["127.0.0.7"], handler).expect("site");
    bases.set(site.bases.clone()).expect("once");
    let mut s = setup(CrawlSettings {
        max_new_per_round: 12,
        delay_ms: 1,
        ..settings()
    });
    s.add(&site.url(0, "/feed.xml"));
    let r = s.round();
    assert_eq!(
        (r.items_listed, r.stored, r.deferred),
        (10_000, 12, 9_988),
        "{r:?}"
    );
    let pages = site
        .paths(0)
        .iter()
        .filter(|p| p.starts_with("/news/"))
        .count();
    assert_eq!(pages, 12);
    // The listing was not all taken: its validator is kept back so the next round reads it.
    let src = s.crawler.store().sources().expect("sources").remove(0);
    assert_eq!(src.etag, None);
    let r = s.round();
    assert_eq!(r.stored, 12, "{r:?}");
    assert_eq!(s.stored(), 24);
}

#[test]
fn a_sitemap_index_and_an_article_stored_before_its_fetch_record() {
    let bases = Arc::new(std::sync::OnceLock::<Vec<String>>::new());
    let b2 = bases.clone();
    let handler = Arc::new(move |r: &Request| -> Response {
        let b = b2.get().expect("bases");
        match r.path.as_str() {
            "/robots.txt" => Response::status(404),
            "/sitemap-index.xml" => Response::ok(
                "application/xml",
                format!(
                    "<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
                     <sitemap><loc>{0}/s1.xml</loc></sitemap><sitemap><loc>{0}/s2.xml</loc></sitemap></sitemapindex>",
                    b[0]
                ),
            ),
            "/s1.xml" => Response::ok(
                "application/xml",
                sitemap(&[format!("{}/news/story-1.html", b[0]), format!("{}/news/story-2.html", b[0])]),
            ),
            "/s2.xml" => Response::ok("application/xml", sitemap(&[format!("{}/news/story-3.html", b[0])])),
            p => generated(p),
        }
    });
    let site = Site::start(&["127.0.0.8"], handler).expect("site");
    bases.set(site.bases.clone()).expect("once");
    let mut s = setup(settings());
    // A kill after the article's batch was stored, before its fetch record: the article is
    // there, its row is not. The round must record it and not fetch it.
    let raw = nuntius_model::RawArticle {
        url: Some(site.url(0, "/news/story-2.html")),
        title: Some("Story 2".into()),
        text: Some("Stored by an earlier round that was killed.".into()),
        ..Default::default()
    };
    nuntius_engine::ingest_records(&mut s.engine, std::iter::once(vec![raw]), 512, &mut |_| {})
        .expect("ingest");
    s.add(&site.url(0, "/sitemap-index.xml"));
    let r = s.round();
    assert_eq!(r.stored, 3, "{r:?}");
    // The index and its sitemaps are read in turn; the pages are fetched concurrently, so
    // their order among themselves is not fixed (a loaded machine once fetched story-3 first).
    let mut paths = site.paths(0);
    assert!(paths.len() >= 4, "{paths:?}");
    paths[4..].sort();
    assert_eq!(
        paths,
        [
            "/robots.txt",
            "/sitemap-index.xml",
            "/s1.xml",
            "/s2.xml",
            "/news/story-1.html",
            "/news/story-3.html"
        ]
    );
    assert_eq!(s.stored(), 3);
    let src = s.crawler.store().sources().expect("sources").remove(0);
    assert_eq!(
        (src.kind.as_deref(), src.items_seen),
        (Some("sitemap-index"), 3)
    );
}
