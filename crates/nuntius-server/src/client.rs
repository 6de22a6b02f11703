//! The CLI's side of "one writer per data dir": find a running `nuntius serve` on a data dir and
//! forward an ingest to it over the API instead of opening the store a second time.
//!
//! `nuntius serve` writes `serve.addr` (its URL) into the data dir, and `serve.token` (mode 0600)
//! when it generated its token itself; both are removed when it stops.

use std::path::{Path, PathBuf};

use nuntius_engine::datadir::WriterLock;
use nuntius_readers::{read_paths, ReadOptions};

use crate::api::RAW_JSONL;
use crate::app::IngestReport;
use crate::error::ServerError;

pub const ADDR_FILE: &str = "serve.addr";
pub const TOKEN_FILE: &str = "serve.token";

/// A server that holds a data dir's writer lock.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningServer {
    pub pid: u32,
    /// Base URL, e.g. `http://127.0.0.1:7700`.
    pub url: String,
    /// The token from `serve.token`, when the server generated one.
    pub token: Option<String>,
}

/// The server writing `data_dir`, if `nuntius serve` holds its lock and left its address.
pub fn running_server(data_dir: &Path) -> Option<RunningServer> {
    let (pid, role) = WriterLock::holder(data_dir)?;
    if role != "serve" {
        return None;
    }
    let url = std::fs::read_to_string(data_dir.join(ADDR_FILE)).ok()?;
    let token = std::fs::read_to_string(data_dir.join(TOKEN_FILE))
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    Some(RunningServer {
        pid,
        url: url.trim().to_string(),
        token,
    })
}

/// How a forwarded ingest is cut into requests.
#[derive(Debug, Clone, Copy)]
pub struct ForwardOptions {
    /// Bytes per request body; keep it below the server's `max_body_bytes`.
    pub request_bytes: usize,
}

impl Default for ForwardOptions {
    fn default() -> ForwardOptions {
        ForwardOptions {
            request_bytes: 4 << 20,
        }
    }
}

/// Reads `paths` here (same readers as a local ingest) and sends the articles to the server in the
/// lossless forwarding format; returns the summed report, with local read errors in `failed`.
pub fn forward_ingest(
    server_url: &str,
    token: &str,
    paths: &[PathBuf],
    read_options: &ReadOptions<'_>,
    options: ForwardOptions,
) -> Result<IngestReport, ServerError> {
    let url = format!("{}/api/articles", server_url.trim_end_matches('/'));
    let client_error = |message: String| ServerError::Client {
        url: url.clone(),
        message,
    };
    // The CLI is not async: one small runtime drives the client for this call.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| client_error(format!("cannot start the async runtime: {e}")))?;
    let client = reqwest::Client::builder()
        .user_agent(concat!("nuntius/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| client_error(format!("cannot start the HTTP client: {e}")))?;
    let sender = Sender {
        runtime: &runtime,
        client: &client,
        url: &url,
        token,
    };
    let mut total = IngestReport::default();
    let mut body = String::new();
    let mut fatal: Option<ServerError> = None;
    read_paths(paths, read_options, &mut |item| {
        if fatal.is_some() {
            return;
        }
        match item {
            Ok(raw) => match serde_json::to_string(&raw) {
                Ok(line) => {
                    if !body.is_empty() && body.len() + line.len() + 1 > options.request_bytes {
                        if let Err(e) = sender.send(std::mem::take(&mut body), &mut total) {
                            fatal = Some(e);
                        }
                    }
                    body.push_str(&line);
                    body.push('\n');
                }
                Err(e) => {
                    total.read += 1;
                    total.failed.push(format!("cannot serialise a record: {e}"));
                }
            },
            Err(e) => {
                total.read += 1;
                total.failed.push(e.to_string());
            }
        }
    });
    if let Some(e) = fatal {
        return Err(e);
    }
    if !body.is_empty() {
        sender.send(body, &mut total)?;
    }
    Ok(total)
}

/// Posts bodies to the server's ingest endpoint.
struct Sender<'a> {
    runtime: &'a tokio::runtime::Runtime,
    client: &'a reqwest::Client,
    url: &'a str,
    token: &'a str,
}

impl Sender<'_> {
    fn send(&self, body: String, total: &mut IngestReport) -> Result<(), ServerError> {
        let client_error = |message: String| ServerError::Client {
            url: self.url.to_string(),
            message,
        };
        let (status, text) = self
            .runtime
            .block_on(async {
                let response = self
                    .client
                    .post(self.url)
                    .bearer_auth(self.token)
                    .header(reqwest::header::CONTENT_TYPE, RAW_JSONL)
                    .body(body)
                    .send()
                    .await?;
                let status = response.status();
                Ok::<_, reqwest::Error>((status, response.text().await?))
            })
            .map_err(|e| client_error(e.without_url().to_string()))?;
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or(text);
            return Err(client_error(format!("HTTP {}: {message}", status.as_u16())));
        }
        let report: IngestReport = serde_json::from_str(&text)
            .map_err(|e| client_error(format!("unexpected reply: {e}")))?;
        total.read += report.read;
        total.new += report.new;
        total.already_stored += report.already_stored;
        total.duplicates += report.duplicates;
        total.failed.extend(report.failed);
        Ok(())
    }
}
