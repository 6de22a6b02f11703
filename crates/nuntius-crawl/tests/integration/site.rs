//! A fake news site on loopback for the crawler's tests: several hosts (127.0.0.2, 127.0.0.3, …,
//! each its own listener), every answer produced by a handler the test gives, every request
//! logged with the time it arrived. Plain HTTP/1.1 over tokio, one request per connection, so a
//! test can serve anything: slow answers, loops, wrong charsets, oversized bodies.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the site saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Index of the host (in the order given to [`Site::start`]).
    pub host: usize,
    pub path: String,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Whether it carried a validator (If-None-Match or If-Modified-Since).
    pub fn is_conditional(&self) -> bool {
        self.headers.contains_key("if-none-match") || self.headers.contains_key("if-modified-since")
    }
}

/// An answer.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waited before the answer is written.
    pub delay: Duration,
}

impl Response {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            ..Response::default()
        }
    }

    pub fn status(status: u16) -> Response {
        Response {
            status,
            ..Response::default()
        }
    }

    pub fn redirect(to: &str) -> Response {
        Response {
            status: 302,
            headers: vec![("Location".into(), to.into())],
            ..Response::default()
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// The running site; stops when dropped.
pub struct Site {
    /// `http://127.0.0.N:PORT` per host.
    pub bases: Vec<String>,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Site {
    /// Starts one listener per address in `ips` (127.0.0.x), all answered by `handler`.
    pub fn start(ips: &[&str], handler: Handler) -> io::Result<Site> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let mut listeners = Vec::new();
        let mut bases = Vec::new();
        for ip in ips {
            let l = runtime.block_on(tokio::net::TcpListener::bind((*ip, 0)))?;
            bases.push(format!("http://{}", l.local_addr()?));
            listeners.push(l);
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread_log = log.clone();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                for (host, listener) in listeners.into_iter().enumerate() {
                    let handler = handler.clone();
                    let log = thread_log.clone();
                    tokio::spawn(async move {
                        while let Ok((stream, _)) = listener.accept().await {
                            let handler = handler.clone();
                            let log = log.clone();
                            tokio::spawn(async move {
                                let _ = serve(stream, host, &handler, &log).await;
                            });
                        }
                    });
                }
                let _ = stopped.await;
            });
        });
        Ok(Site {
            bases,
            log,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn url(&self, host: usize, path: &str) -> String {
        format!("{}{path}", self.bases[host])
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn clear_log(&self) {
        if let Ok(mut l) = self.log.lock() {
            l.clear();
        }
    }

    /// Paths requested from one host, in order.
    pub fn paths(&self, host: usize) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.host == host)
            .map(|r| r.path)
            .collect()
    }

    /// The smallest gap between the starts of two consecutive requests to one host.
    pub fn min_gap(&self, host: usize) -> Option<Duration> {
        let times: Vec<Instant> = self
            .requests()
            .into_iter()
            .filter(|r| r.host == host)
            .map(|r| r.at)
            .collect();
        times.windows(2).map(|w| w[1].duration_since(w[0])).min()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    mut stream: tokio::net::TcpStream,
    host: usize,
    handler: &Handler,
    log: &Mutex<Vec<Request>>,
) -> io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let at = Instant::now();
    let text = String::from_utf8_lossy(&head).to_string();
    let mut lines = text.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let request = Request {
        host,
        path,
        headers,
        at,
    };
    if let Ok(mut l) = log.lock() {
        l.push(request.clone());
    }
    let response = handler(&request);
    if !response.delay.is_zero() {
        tokio::time::sleep(response.delay).await;
    }
    let mut out = format!("HTTP/1.1 {} X\r\n", response.status);
    for (k, v) in &response.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(out.as_bytes()).await?;
    stream.write_all(&response.body).await?;
    stream.flush().await?;
    Ok(())
}

/// Words the generated articles are made of; each article draws its own sequence.
const WORDS: &[&str] = &[
    "council",
    "harbour",
    "minister",
    "river",
    "election",
    "storm",
    "bridge",
    "festival",
    "court",
    "market",
    "railway",
    "hospital",
    "school",
    "farmers",
    "airport",
    "museum",
    "budget",
    "police",
    "village",
    "factory",
    "workers",
    "orchestra",
    "library",
    "mayor",
    "coast",
    "mountain",
    "forest",
    "energy",
    "water",
    "housing",
    "tourists",
    "students",
    "doctors",
    "judges",
    "voters",
    "ferry",
    "tunnel",
    "stadium",
    "cathedral",
    "vineyard",
    "harvest",
    "drought",
    "flood",
    "strike",
    "treaty",
    "summit",
    "reform",
    "tax",
    "pension",
    "ceremony",
    "exhibition",
    "concert",
    "match",
    "league",
    "record",
    "discovery",
    "satellite",
    "laboratory",
    "vaccine",
    "clinic",
    "island",
    "lake",
    "valley",
    "province",
    "district",
    "parliament",
    "senate",
    "committee",
    "inquiry",
    "report",
];

/// A generated article page: a title and a few paragraphs of text no other page shares.
pub fn article_html(n: usize, title: &str) -> String {
    let mut state = (n as u64)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut word = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        WORDS[(state >> 33) as usize % WORDS.len()]
    };
    let mut paragraphs = String::new();
    for p in 0..4 {
        let mut sentence = format!("Report {n} part {p}:");
        for _ in 0..40 {
            sentence.push(' ');
            sentence.push_str(word());
        }
        paragraphs.push_str(&format!("<p>{sentence}.</p>\n"));
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><title>{title}</title>\
         <meta property=\"article:published_time\" content=\"2026-11-{:02}T08:00:00Z\"></head>\
         <body><nav><a href=\"/\">Home</a></nav><article><h1>{title}</h1>\n{paragraphs}</article></body></html>",
        1 + n % 28
    )
}

/// An RSS 2.0 feed of `links`.
pub fn rss(links: &[String]) -> String {
    let items: String = links
        .iter()
        .map(|l| format!("<item><title>{l}</title><link>{l}</link></item>"))
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>News</title>{items}</channel></rss>")
}

/// A sitemap of `links`.
pub fn sitemap(links: &[String]) -> String {
    let urls: String = links
        .iter()
        .map(|l| format!("<url><loc>{l}</loc></url>"))
        .collect();
    format!("<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>")
}
