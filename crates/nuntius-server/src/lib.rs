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
pub mod feeds;
pub mod follows;
pub mod metrics;
pub mod openapi;
pub mod readmodel;
pub mod sources;
pub mod ui;
pub mod webhooks;

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

/// `nuntius serve` options, resolved by the CLI.
#[derive(Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// Bearer token of the write API; `None`: generate one and leave it in `serve.token` (0600).
    pub token: Option<String>,
    pub settings: nuntius_engine::Settings,
    /// The embedding signal for articles posted to the API.
    pub embedder: Option<std::sync::Arc<dyn nuntius_engine::embedding::TextEmbedder>>,
    /// Run the crawler inside the server's writer (`serve --crawl`).
    pub crawl: bool,
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
        settings: config.settings.clone(),
        writer: true,
        embedder: config.embedder.clone(),
        crawl: config.crawl,
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
        serve_connections(listener, app.router(), &config.settings.serve, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        anyhow::Ok(())
    });
    runtime.shutdown_timeout(Duration::from_secs(5));
    app.shutdown();
    let _ = std::fs::remove_file(&addr_file);
    if let Some(p) = token_file {
        let _ = std::fs::remove_file(p);
    }
    served
}

/// Accepts connections until `stop` resolves: at most `max_connections` at once (the rest wait in the
/// listen queue), each given `header_timeout_secs` to send its request headers, so half-open and
/// idle connections cannot pile up until the process runs out of descriptors.
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    settings: &nuntius_engine::settings::ServeSettings,
    stop: impl std::future::Future<Output = ()>,
) {
    raise_descriptor_limit(settings.max_connections);
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(settings.max_connections));
    let header_timeout = Duration::from_secs(settings.header_timeout_secs);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = &mut stop => return,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: wait a
                    // moment and go on, as a server must.
                    eprintln!("nuntius serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => return,
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // A client that goes away mid-request is its own business.
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// Raises the soft limit on open descriptors towards the hard limit, so that the connection cap
/// (and not the descriptor limit) is what bounds connections.
fn raise_descriptor_limit(connections: usize) {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    let want = (connections as u64).saturating_add(256);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= want {
        return;
    }
    limit.current = Some(limit.maximum.map_or(want, |max| max.min(want)));
    if setrlimit(Resource::Nofile, limit).is_err() {
        eprintln!(
            "nuntius serve: warning: cannot raise the open-file limit ({current}); connections beyond it will wait"
        );
    }
}

fn random_token() -> std::io::Result<String> {
    random_hex(24)
}

/// `n` random bytes from the kernel, in hex (tokens, webhook secrets).
pub(crate) fn random_hex(n: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(hex(&bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
