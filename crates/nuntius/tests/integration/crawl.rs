//! The crawl loop through the binary: `sources add`, `crawl --once` twice against a fake site of
//! 200 pages behind three feeds and a sitemap on three loopback hosts, then an entity follow
//! fed by a later round (its Atom feed and signed webhook calls), and `serve --crawl`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[path = "../../../nuntius-crawl/tests/integration/site.rs"]
mod site;

use site::{article_html, rss, sitemap, Request, Response, Site};

const PAGES: usize = 200;
/// Pages the site publishes later (once `Crawled::publish_later` is set).
const LATER: usize = 12;

/// Whether page `n` names Sergey Lavrov: a few of the first pages, every even later one.
fn names_lavrov(n: usize) -> bool {
    if n >= PAGES {
        n.is_multiple_of(2)
    } else {
        n.is_multiple_of(40)
    }
}
const DELAY_MS: u64 = 50;

/// Page `n` lives on host `n % 3`; every tenth page of host 1 is under its Disallow.
fn page_path(n: usize) -> String {
    if n % 3 == 1 && n % 10 == 1 {
        format!("/private/story-{n}.html")
    } else {
        format!("/news/story-{n}.html")
    }
}

fn page_number(path: &str) -> Option<usize> {
    path.strip_prefix("/news/")
        .or_else(|| path.strip_prefix("/private/"))?
        .strip_prefix("story-")?
        .strip_suffix(".html")?
        .parse()
        .ok()
}

fn handler(bases: Arc<OnceLock<Vec<String>>>, later: Arc<AtomicBool>) -> site::Handler {
    Arc::new(move |r: &Request| -> Response {
        let Some(b) = bases.get() else {
            return Response::status(503);
        };
        let later = later.load(Ordering::SeqCst);
        let url = |n: usize| format!("{}{}", b[n % 3], page_path(n));
        let modified = if later {
            "Tue, 01 Dec 2026 12:00:00 GMT"
        } else {
            "Tue, 01 Dec 2026 08:00:00 GMT"
        };
        let tagged = |body: String, etag: &str| {
            let etag = if later {
                format!("{etag}-later")
            } else {
                etag.to_string()
            };
            if r.header("if-none-match") == Some(etag.as_str())
                || r.header("if-modified-since") == Some(modified)
            {
                return Response::status(304);
            }
            Response::ok("application/xml", body)
                .with_header("ETag", &etag)
                .with_header("Last-Modified", modified)
        };
        match (r.host, r.path.as_str()) {
            (1, "/robots.txt") => {
                Response::ok("text/plain", "User-agent: *\nDisallow: /private/\n")
            }
            (_, "/robots.txt") => Response::status(404),
            // Three feeds on three hosts, each listing a third of the pages (some with tracking
            // parameters), and one sitemap listing all of them.
            (h, "/feed.xml") => {
                let published = if later { PAGES + LATER } else { PAGES };
                let links: Vec<String> = (0..published)
                    .filter(|&n| {
                        if n < PAGES {
                            n * 3 / PAGES == h
                        } else {
                            n % 3 == h
                        }
                    })
                    .map(|n| {
                        if n % 4 == 0 {
                            format!("{}?utm_source=rss", url(n))
                        } else {
                            url(n)
                        }
                    })
                    .collect();
                tagged(rss(&links), &format!("\"feed-{h}\""))
            }
            (0, "/sitemap.xml") => {
                let links: Vec<String> = (0..PAGES).map(url).collect();
                tagged(sitemap(&links), "\"sitemap\"")
            }
            (h, p) => match page_number(p) {
                Some(n) if n % 3 == h && p == page_path(n) && (n < PAGES || later) => {
                    let mut html = article_html(n, &format!("Story number {n}"));
                    if names_lavrov(n) {
                        html = html.replace(
                            "</article>",
                            "<p>Sergey Lavrov met Antony Blinken in Geneva on Friday.</p></article>",
                        );
                    }
                    Response::ok("text/html; charset=utf-8", html)
                }
                _ => Response::status(404),
            },
        }
    })
}

fn nuntius(data: &Path, args: &[&str]) -> (String, String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nuntius"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("run nuntius");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// The fake site on three loopback hosts, and a data dir whose config sets the per-host delay,
/// with the three feeds and the sitemap added as sources.
struct Crawled {
    site: Site,
    dir: tempfile::TempDir,
    sources: Vec<String>,
    /// Set: the feeds list LATER more pages (and answer conditional requests with them).
    publish_later: Arc<AtomicBool>,
}

fn site_with_sources(delay_ms: u64) -> Crawled {
    let bases = Arc::new(OnceLock::new());
    let publish_later = Arc::new(AtomicBool::new(false));
    let site = Site::start(
        &["127.0.0.2", "127.0.0.3", "127.0.0.4"],
        handler(bases.clone(), publish_later.clone()),
    )
    .expect("site");
    bases.set(site.bases.clone()).expect("once");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("nuntius.toml"),
        format!("encoder = \"none\"\n[crawl]\ndelay_ms = {delay_ms}\ncontact = \"https://example.org/ops\"\n"),
    )
    .expect("config");
    let sources: Vec<String> = (0..3)
        .map(|h| site.url(h, "/feed.xml"))
        .chain([site.url(0, "/sitemap.xml")])
        .collect();
    let mut add = vec!["sources", "add", "--every", "15m"];
    add.extend(sources.iter().map(String::as_str));
    let (_, err, code) = nuntius(dir.path(), &add);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sources added 4"), "{err}");
    Crawled {
        site,
        dir,
        sources,
        publish_later,
    }
}

/// Pages of the site that robots.txt leaves public.
fn public_pages() -> usize {
    (0..PAGES)
        .filter(|&n| !page_path(n).starts_with("/private/"))
        .count()
}

#[test]
fn one_round_stores_each_public_article_once_and_a_second_only_asks_if_modified() {
    let Crawled {
        site,
        dir,
        sources,
        publish_later,
    } = site_with_sources(DELAY_MS);
    let data = dir.path();

    let (_, err, code) = nuntius(data, &["--encoder", "none", "crawl", "--once"]);
    assert_eq!(code, 0, "{err}");
    let private: Vec<usize> = (0..PAGES)
        .filter(|&n| page_path(n).starts_with("/private/"))
        .collect();
    assert!(!private.is_empty());
    let public = PAGES - private.len();
    assert!(err.contains(&format!("stored {public}")), "{err}");
    assert!(
        err.contains(&format!("robots.txt {}", private.len())),
        "{err}"
    );

    let requests = site.requests();
    assert!(
        requests.iter().all(|r| !r.path.starts_with("/private/")),
        "a disallowed page was fetched"
    );
    for host in 0..3 {
        let gap = site.min_gap(host).expect("requests");
        assert!(
            gap >= Duration::from_millis(DELAY_MS),
            "host {host}: {gap:?}"
        );
        let mut pages: Vec<String> = site
            .paths(host)
            .into_iter()
            .filter(|p| p.starts_with("/news/"))
            .collect();
        let n = pages.len();
        pages.sort();
        pages.dedup();
        assert_eq!(pages.len(), n, "host {host} fetched a page twice");
    }
    let (out, err, code) = nuntius(data, &["export", "--format", "jsonl"]);
    assert_eq!(code, 0, "{err}");
    let mut ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["id"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), public);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), public, "an article was stored twice");
    assert!(ids
        .iter()
        .all(|id| !id.contains("utm_") && !id.contains("/private/")));

    let (out, err, code) = nuntius(data, &["sources", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let listed: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[3]["kind"], "sitemap");
    assert_eq!(listed[0]["kind"], "rss");
    assert!(listed
        .iter()
        .all(|s| s["status"] == "ok" && s["errors"] == 0));

    // The second round: every source asked conditionally (and answered 304), no page again.
    site.clear_log();
    let (_, err, code) = nuntius(data, &["--encoder", "none", "crawl", "--once", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("not modified 4"), "{err}");
    let again: Vec<Request> = site
        .requests()
        .into_iter()
        .filter(|r| r.path != "/robots.txt")
        .collect();
    assert_eq!(
        again.len(),
        4,
        "{:?}",
        again.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(again.iter().all(Request::is_conditional));

    // A follow on an entity of the first round gets each later crawled article naming it: in
    // its Atom feed, and as one signed webhook call each.
    let (out, err, code) = nuntius(data, &["export", "--format", "jsonl"]);
    assert_eq!(code, 0, "{err}");
    let lavrov = out
        .lines()
        .flat_map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["entities"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|e| e["name"] == "Sergey Lavrov")
        .expect("Lavrov is an entity of the first round")["id"]
        .to_string();
    let (hook, calls) = super::webhook_receiver(0);
    let (out, err, code) = nuntius(
        data,
        &["follow", "add", "--entity", &lavrov, "--webhook", &hook],
    );
    assert_eq!(code, 0, "{err}");
    let secret = out
        .lines()
        .find_map(|l| {
            l.rsplit_once("X-Nuntius-Signature): ")
                .map(|(_, s)| s.trim().to_string())
        })
        .expect("the secret is shown");
    publish_later.store(true, Ordering::SeqCst);
    let (_, err, code) = nuntius(data, &["--encoder", "none", "crawl", "--once", "--all"]);
    assert_eq!(code, 0, "{err}");
    let later_public = (PAGES..PAGES + LATER)
        .filter(|&n| !page_path(n).starts_with("/private/"))
        .count();
    assert!(err.contains(&format!("stored {later_public}")), "{err}");
    let naming: Vec<String> = (PAGES..PAGES + LATER)
        .filter(|&n| names_lavrov(n))
        .map(|n| format!("Story number {n}"))
        .collect();
    let got = calls.lock().expect("calls").clone();
    assert_eq!(got.len(), naming.len(), "{got:?}");
    // Signed with the follow's secret (the signing function is checked against a known
    // HMAC-SHA256 vector in the server crate).
    for (signature, body, _) in &got {
        assert_eq!(
            signature,
            &nuntius_server::webhooks::signature(&secret, body.as_bytes())
        );
    }
    let mut titles: Vec<String> = got
        .iter()
        .map(|(_, body, _)| {
            serde_json::from_str::<serde_json::Value>(body).expect("payload")["article"]["title"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    titles.sort();
    let mut want = naming.clone();
    want.sort();
    assert_eq!(titles, want);
    let mut server = super::crash::start_server_with(data, &[]);
    let (status, feed) =
        super::crash::http(&server.addr, "GET", "/feeds/follows/1.atom", "", b"").expect("feed");
    super::crash::kill(&mut server.child);
    let feed = String::from_utf8_lossy(&feed);
    assert_eq!(status, 200, "{feed}");
    assert_eq!(feed.matches("<entry>").count(), naming.len(), "{feed}");
    assert!(naming.iter().all(|t| feed.contains(t.as_str())), "{feed}");

    let (_, err, code) = nuntius(data, &["sources", "remove", &sources[3]]);
    assert_eq!(code, 0, "{err}");
    let (out, _, _) = nuntius(data, &["sources", "list"]);
    assert_eq!(out.lines().filter(|l| l.starts_with("http")).count(), 3);
}

// Issue "get the news": `serve --crawl` ran its rounds on the writer thread, so a post waited
// for the whole round; the crawler now hands its chunks to the writer between posts.
#[test]
fn serve_crawl_stores_the_site_and_takes_posts_while_a_round_runs() {
    use super::crash::{http, kill, start_server_with};
    // ~67 pages a host at 120 ms each: a round of ~8 s.
    let Crawled { site, dir, .. } = site_with_sources(120);
    let data = dir.path();
    let mut server = start_server_with(data, &["--crawl"]);
    let pages_fetched = || {
        site.requests()
            .iter()
            .filter(|r| r.path.starts_with("/news/"))
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while pages_fetched() < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "the crawler did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let post = br#"{"id": "posted-1", "title": "Posted while crawling", "text": "A text posted to the server while its crawler runs a round.", "lang": "en"}"#;
    let reply = http(
        &server.addr,
        "POST",
        "/api/articles",
        "Authorization: Bearer crash\r\nContent-Type: application/json\r\n",
        post,
    );
    let during = pages_fetched();
    let (status, body) = reply.expect("post answered");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let report: serde_json::Value = serde_json::from_slice(&body).expect("report");
    assert_eq!(report["new"], 1, "{report}");
    assert!(
        during < public_pages(),
        "the post was answered only after the round had fetched all {during} pages"
    );
    // The round goes on to store every public page.
    let want = public_pages() as u64 + 1;
    let mut stored = 0;
    while stored < want {
        assert!(
            std::time::Instant::now() < deadline,
            "{stored} of {want} articles stored"
        );
        std::thread::sleep(Duration::from_millis(100));
        if let Some((200, body)) = http(&server.addr, "GET", "/healthz", "", b"") {
            let health: serde_json::Value = serde_json::from_slice(&body).expect("health");
            stored = health["articles"].as_u64().unwrap_or(0);
        }
    }
    assert_eq!(stored, want);
    kill(&mut server.child);
}
