//! HTTP fetching under the politeness rules: robots.txt on every hop, one request at a time per
//! host with at least the configured delay between them, a global limit on requests in flight,
//! connect/read timeouts, a byte cap enforced while the body streams, redirects followed here
//! (so each hop is checked and counted), and Retry-After honoured for the host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nuntius_engine::settings::CrawlSettings;
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use crate::error::{bounded, CrawlError, FetchError};
use crate::robots::{RobotsCache, RobotsVerdict};

/// Longest `Crawl-delay` we honour as asked; longer ones are cut to this.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// A source's validators from its last response, sent back as a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A response, after redirects.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL that answered (the last hop).
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// How long the server asked us to wait (429, 503).
    pub retry_after: Option<Duration>,
    /// The Location header of a redirect.
    pub location: Option<String>,
    /// The decoded body (gzip, br, deflate undone), at most the cap asked for.
    pub body: Vec<u8>,
}

/// Per-host turn-taking: the next moment a request may start, and the host's own delay.
#[derive(Debug, Default)]
struct HostTurn {
    next_start: Option<Instant>,
    crawl_delay: Duration,
}

/// The crawler's HTTP side, shared by every task of a round (and by later rounds: robots.txt
/// answers are cached for a while).
pub struct Fetcher {
    client: reqwest::Client,
    delay: Duration,
    max_redirects: usize,
    max_backoff: Duration,
    permits: Semaphore,
    hosts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<HostTurn>>>>,
    robots: RobotsCache,
}

impl Fetcher {
    pub fn new(settings: &CrawlSettings) -> Result<Fetcher, CrawlError> {
        let read = Duration::from_secs(settings.read_timeout_secs);
        let connect = Duration::from_secs(settings.connect_timeout_secs);
        let client = reqwest::Client::builder()
            .user_agent(crate::user_agent(&settings.contact))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect)
            .read_timeout(read)
            // A server trickling bytes just under the read timeout is still bounded.
            .timeout(connect + read * 4)
            .no_proxy()
            .build()
            .map_err(|e| CrawlError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            delay: Duration::from_millis(settings.delay_ms),
            max_redirects: settings.max_redirects,
            max_backoff: Duration::from_secs(settings.max_backoff_secs),
            permits: Semaphore::new(settings.concurrency.max(1)),
            hosts: Mutex::new(HashMap::new()),
            robots: RobotsCache::default(),
        })
    }

    /// GETs `url`, following at most `max_redirects` redirects, each hop allowed by its host's
    /// robots.txt; the body is cut off (an error) past `max_bytes`.
    pub async fn fetch(
        &self,
        url: &str,
        validators: &Validators,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let mut current = parse_http(url)?;
        for _hop in 0..=self.max_redirects {
            self.allowed(&current).await?;
            let response = self.request(&current, validators, max_bytes).await?;
            if let Some(next) = redirect_target(&current, &response) {
                current = next;
                continue;
            }
            return Ok(response);
        }
        Err(FetchError::Redirects(self.max_redirects))
    }

    /// Whether robots.txt lets us fetch `url` (fetching and caching the host's file first).
    async fn allowed(&self, url: &Url) -> Result<(), FetchError> {
        let key = host_key(url);
        let robots_url = format!("{}://{key}/robots.txt", url.scheme());
        let verdict = self
            .robots
            .rules(&key, || async {
                // robots.txt itself is always allowed; its redirects are followed unchecked.
                let mut current = parse_http(&robots_url).ok()?;
                for _ in 0..=self.max_redirects {
                    let r = self
                        .request(&current, &Validators::default(), 512 * 1024)
                        .await
                        .ok()?;
                    match redirect_target(&current, &r) {
                        Some(next) => current = next,
                        None => return Some(r),
                    }
                }
                None
            })
            .await;
        if let Some(delay) = verdict.crawl_delay() {
            self.set_crawl_delay(&key, delay).await;
        }
        match verdict.as_ref() {
            RobotsVerdict::AllowAll => Ok(()),
            RobotsVerdict::Unreachable => Err(FetchError::Network(format!(
                "{robots_url} cannot be read; nothing is fetched from {key} until it can"
            ))),
            RobotsVerdict::Rules(robot) if robot.allowed(url.as_str()) => Ok(()),
            RobotsVerdict::Rules(_) => Err(FetchError::Robots),
        }
    }

    fn turn(&self, key: &str) -> Arc<tokio::sync::Mutex<HostTurn>> {
        let mut hosts = match self.hosts.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        hosts.entry(key.to_string()).or_default().clone()
    }

    async fn set_crawl_delay(&self, key: &str, delay: Duration) {
        let turn = self.turn(key);
        turn.lock().await.crawl_delay = delay.min(MAX_CRAWL_DELAY);
    }

    /// One request: waits for the host's turn, then for a global permit.
    async fn request(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let turn = self.turn(&host_key(url));
        let mut turn = turn.lock().await;
        if let Some(at) = turn.next_start {
            tokio::time::sleep_until(at).await;
        }
        let result = {
            let _permit = self
                .permits
                .acquire()
                .await
                .map_err(|_| FetchError::Network("the crawler is shutting down".into()))?;
            self.send(url, validators, max_bytes).await
        };
        // The delay counts from the end of this request to the start of the next.
        let mut wait = self.delay.max(turn.crawl_delay);
        if let Ok(r) = &result {
            if let Some(asked) = r.retry_after {
                wait = wait.max(bounded(asked, self.max_backoff));
            }
        }
        turn.next_start = Some(Instant::now() + wait);
        result
    }

    async fn send(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let mut request = self.client.get(url.clone());
        if let Some(etag) = &validators.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
        let mut response = request.send().await.map_err(network)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|n| n > max_bytes as u64)
        {
            return Err(FetchError::TooLarge(max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > max_bytes {
                return Err(FetchError::TooLarge(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            url: url.to_string(),
            status,
            content_type: header(&headers, reqwest::header::CONTENT_TYPE),
            validators: Validators {
                etag: header(&headers, reqwest::header::ETAG),
                last_modified: header(&headers, reqwest::header::LAST_MODIFIED),
            },
            retry_after: headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(parse_retry_after),
            location: header(&headers, reqwest::header::LOCATION),
            body,
        })
    }
}

fn network(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Network(e.without_url().to_string())
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Retry-After as seconds or an HTTP date.
fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

fn parse_http(url: &str) -> Result<Url, FetchError> {
    let parsed = Url::parse(url.trim()).map_err(|_| FetchError::BadUrl(url.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(FetchError::BadUrl(url.to_string()));
    }
    Ok(parsed)
}

/// Where a 3xx response sends us, when it is a redirect with a usable Location.
fn redirect_target(from: &Url, r: &Fetched) -> Option<Url> {
    if !matches!(r.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    from.join(r.location.as_deref()?)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// `host:port`: the unit of politeness (one queue, one robots.txt).
pub(crate) fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}
