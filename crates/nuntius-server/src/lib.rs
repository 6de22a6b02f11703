//! `nuntius serve`: the HTTP API and the web UI over one data dir, plus the client the CLI uses to
//! forward ingests to a running server, the serving benchmark and its corpus generator.
//!
//! The server is the data dir's one writer: it holds the writer lock, owns the ingest engine on a
//! thread of its own (`app.rs`), and serves pages from indexed read queries
//! (`nuntius_store::read`) through the engine's view code (`readmodel.rs`).

pub mod api;
pub mod app;
pub mod bench;
pub mod client;
pub mod corpus;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod readmodel;
pub mod ui;

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use nuntius_engine::datadir::WriterLock;

pub use app::{App, AppConfig, IngestReport};
pub use bench::{bench_serve, BenchOptions, BenchReport};
pub use client::{forward_ingest, running_server, ForwardOptions, RunningServer};
pub use corpus::{generate_corpus, CorpusOptions, CorpusSummary};
pub use error::{ApiError, ErrorCode, ServerError};

/// Default bind address of `nuntius serve`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7700";
/// Default limit of an ingest request body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 << 20;

/// `nuntius serve` options, resolved by the CLI.
#[derive(Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// Bearer token of the write API; `None`: generate one and leave it in `serve.token` (0600).
    pub token: Option<String>,
    pub max_body_bytes: usize,
    /// The embedding signal for articles posted to the API.
    pub embedder: Option<std::sync::Arc<dyn nuntius_engine::embedding::TextEmbedder>>,
}

/// Serves the data dir until Ctrl-C: takes its writer lock, starts the writer and the HTTP server,
/// and leaves `serve.addr` (and a generated `serve.token`) for `nuntius ingest` to forward to.
pub fn run(config: ServeConfig) -> anyhow::Result<()> {
    let _lock = WriterLock::acquire(&config.data_dir, "serve")?;
    let (token, token_file) = match config.token.clone().filter(|t| !t.trim().is_empty()) {
        Some(t) => (t, None),
        None => {
            let t = random_token().context("cannot generate a token")?;
            let path = config.data_dir.join(client::TOKEN_FILE);
            write_private(&path, &t).with_context(|| format!("cannot write {}", path.display()))?;
            (t, Some(path))
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let app = App::open(AppConfig {
        data_dir: config.data_dir.clone(),
        token,
        max_body_bytes: config.max_body_bytes,
        writer: true,
        embedder: config.embedder.clone(),
    })?;
    let addr_file = config.data_dir.join(client::ADDR_FILE);
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.addr))?;
        let local = listener.local_addr()?;
        if !local.ip().is_loopback() {
            eprintln!(
                "nuntius serve: warning: listening on {local}, reachable from other machines; reads need no token and traffic is plain HTTP (put a TLS proxy in front)"
            );
        }
        std::fs::write(&addr_file, format!("http://{local}\n"))
            .with_context(|| format!("cannot write {}", addr_file.display()))?;
        eprintln!(
            "nuntius serve: {} on http://{local}/ (API /api, OpenAPI /api/openapi.json, metrics /metrics){}",
            config.data_dir.display(),
            token_file.as_ref().map_or(String::new(), |p| format!("; write token in {}", p.display()))
        );
        axum::serve(listener, app.router())
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("the HTTP server failed")
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    app.shutdown();
    let _ = std::fs::remove_file(&addr_file);
    if let Some(p) = token_file {
        let _ = std::fs::remove_file(p);
    }
    served
}

fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    writeln!(f, "{content}")
}
