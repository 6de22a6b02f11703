//! Settings: every option a user can set, resolved once and passed down. Each comes from a
//! command-line flag, else its environment variable, else the config file (`nuntius.toml` in the
//! data dir, or `--config FILE`), else its default. Unknown keys in the file are an error, so a
//! misspelt setting is never silently ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::admit::IngestLimits;

/// The config file's name inside a data dir.
pub const CONFIG_FILE: &str = "nuntius.toml";

/// The longest active window (a century).
pub const MAX_WINDOW_DAYS: i64 = 36_500;

/// Which embedding signal the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncoderSetting {
    /// The transformer when its model is fetched, else lexical signals only.
    #[default]
    Auto,
    None,
    Static,
    Transformer,
}

/// `[ingest]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// Articles per store transaction (1..512); results do not depend on it.
    pub batch: usize,
}

impl Default for IngestSettings {
    fn default() -> IngestSettings {
        IngestSettings { batch: 512 }
    }
}

/// `[limits]`: bounds on what outside input may make nuntius read or hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Bytes of one record (a JSONL line, a JSON array element, a text file); larger records are
    /// rejected, each with its own error.
    pub max_record_bytes: usize,
    /// Bytes read from one file after decompression; past it the file stops with an error.
    pub max_file_bytes: u64,
    /// Characters of body text kept per article; longer texts are cut, with a warning.
    pub max_text_chars: usize,
    /// Characters of a title kept; longer titles are cut, with a warning.
    pub max_title_chars: usize,
    /// Bytes of an `id` or `url`; records with longer ones are rejected.
    pub max_id_bytes: usize,
    /// Distinct names kept per article (the most mentioned).
    pub max_entities: usize,
}

impl Default for LimitSettings {
    fn default() -> LimitSettings {
        let read = nuntius_readers::Limits::default();
        let ingest = IngestLimits::default();
        LimitSettings {
            max_record_bytes: read.max_record_bytes,
            max_file_bytes: read.max_file_bytes,
            max_text_chars: ingest.max_text_chars,
            max_title_chars: ingest.max_title_chars,
            max_id_bytes: ingest.max_id_bytes,
            max_entities: ingest.max_entities,
        }
    }
}

impl LimitSettings {
    pub fn read_limits(&self) -> nuntius_readers::Limits {
        nuntius_readers::Limits {
            max_record_bytes: self.max_record_bytes,
            max_file_bytes: self.max_file_bytes,
        }
    }

    pub fn ingest_limits(&self) -> IngestLimits {
        IngestLimits {
            max_text_chars: self.max_text_chars,
            max_title_chars: self.max_title_chars,
            max_id_bytes: self.max_id_bytes,
            max_entities: self.max_entities,
        }
    }
}

/// `[serve]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServeSettings {
    /// Address to listen on.
    pub addr: String,
    /// Largest accepted ingest request body, in bytes (gzip bodies may inflate to 8× this).
    pub max_body_bytes: usize,
    /// Seconds a client has to send a request's headers.
    pub header_timeout_secs: u64,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Seconds a read request may take before it is answered 503.
    pub request_timeout_secs: u64,
}

impl Default for ServeSettings {
    fn default() -> ServeSettings {
        ServeSettings {
            addr: "127.0.0.1:7700".to_string(),
            max_body_bytes: 32 << 20,
            header_timeout_secs: 10,
            max_connections: 2048,
            request_timeout_secs: 30,
        }
    }
}

/// `[follow]`: webhook delivery of follows' matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowSettings {
    /// Tries per webhook call (1..5); after the last failure it is logged as failed.
    pub webhook_attempts: u32,
    /// Milliseconds before the first retry; each later retry waits twice as long.
    pub backoff_base_ms: u64,
    /// Seconds a receiver has to connect and answer.
    pub webhook_timeout_secs: u64,
    /// Seconds `ingest` (and `crawl --once`) spend at their end delivering queued calls; what is
    /// left stays queued for the next run or `serve`.
    pub deliver_secs: u64,
    /// The server's address as readers reach it (`https://news.example.org`), for links in feeds
    /// and webhook payloads; unset, `http://` and `serve.addr`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

impl Default for FollowSettings {
    fn default() -> FollowSettings {
        FollowSettings {
            webhook_attempts: 5,
            backoff_base_ms: 2000,
            webhook_timeout_secs: 10,
            deliver_secs: 60,
            public_url: None,
        }
    }
}

/// `[crawl]`: how `nuntius crawl` and `serve --crawl` fetch sources and their pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrawlSettings {
    /// A URL where site owners can reach whoever runs this crawler; sent in the User-Agent
    /// (`nuntius/<version> (+<contact>)`).
    pub contact: String,
    /// Milliseconds between the end of one request to a host and the start of the next (one
    /// request at a time per host; a longer robots.txt `Crawl-delay` wins).
    pub delay_ms: u64,
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    pub connect_timeout_secs: u64,
    /// Seconds without a byte from the server before a request is given up.
    pub read_timeout_secs: u64,
    /// Bytes of one article page; larger pages are stopped mid-download and skipped.
    pub max_page_bytes: usize,
    /// Bytes of one source (feed, sitemap, section page).
    pub max_source_bytes: usize,
    /// Redirects followed per request, each hop checked against robots.txt.
    pub max_redirects: usize,
    /// New items fetched per source per round; the rest wait for the next round.
    pub max_new_per_round: usize,
    /// Seconds between polls of a source added without `--every`.
    pub default_every_secs: u64,
    /// Attempts at an item that keeps failing with a timeout or a 5xx before it is given up.
    pub max_item_attempts: u32,
    /// Upper bound on the wait after failures (backoff doubles per consecutive failure).
    pub max_backoff_secs: u64,
}

impl Default for CrawlSettings {
    fn default() -> CrawlSettings {
        CrawlSettings {
            contact: String::new(),
            delay_ms: 1000,
            concurrency: 8,
            connect_timeout_secs: 10,
            read_timeout_secs: 30,
            max_page_bytes: 8 << 20,
            max_source_bytes: 32 << 20,
            max_redirects: 5,
            max_new_per_round: 100,
            default_every_secs: 900,
            max_item_attempts: 3,
            max_backoff_secs: 86_400,
        }
    }
}

/// `[cluster]`: how articles are grouped into events and stories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSettings {
    /// The active window, in days of publication time: an event none of whose articles was
    /// placed within this many days of the latest date seen leaves memory (it stays in the
    /// store, in search and in every view). 0 keeps every event in memory. Changing it on a
    /// data dir applies from the next open on; decisions already stored stay.
    pub window_days: i64,
}

impl Default for ClusterSettings {
    fn default() -> ClusterSettings {
        ClusterSettings {
            window_days: nuntius_cluster::Params::default().window_days,
        }
    }
}

impl ClusterSettings {
    /// The clusterer's parameters for an engine with or without embeddings.
    pub fn params(&self, embeddings: bool) -> nuntius_cluster::Params {
        nuntius_cluster::Params {
            window_days: self.window_days,
            ..nuntius_cluster::Params::for_encoder(embeddings)
        }
    }
}

/// Everything resolved.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub encoder: EncoderSetting,
    pub ingest: IngestSettings,
    pub limits: LimitSettings,
    pub cluster: ClusterSettings,
    pub serve: ServeSettings,
    pub follow: FollowSettings,
    pub crawl: CrawlSettings,
}

/// A config file that cannot be used, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Settings {
    /// The file's settings over the defaults. `explicit` files must exist; the data dir's
    /// `nuntius.toml` is read only when present.
    pub fn from_file(path: &Path, explicit: bool) -> Result<Settings, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Settings::default())
            }
            Err(source) => {
                return Err(SettingsError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        Settings::from_toml(&text).map_err(|message| SettingsError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn from_toml(text: &str) -> Result<Settings, String> {
        let settings: Settings = toml::from_str(text).map_err(|e| e.to_string())?;
        settings.check()?;
        Ok(settings)
    }

    /// Values that parse but make no sense.
    pub fn check(&self) -> Result<(), String> {
        let positive = [
            ("ingest.batch", self.ingest.batch as u64),
            (
                "limits.max_record_bytes",
                self.limits.max_record_bytes as u64,
            ),
            ("limits.max_file_bytes", self.limits.max_file_bytes),
            ("limits.max_text_chars", self.limits.max_text_chars as u64),
            ("limits.max_title_chars", self.limits.max_title_chars as u64),
            ("limits.max_id_bytes", self.limits.max_id_bytes as u64),
            ("serve.max_body_bytes", self.serve.max_body_bytes as u64),
            ("serve.header_timeout_secs", self.serve.header_timeout_secs),
            ("serve.max_connections", self.serve.max_connections as u64),
            (
                "serve.request_timeout_secs",
                self.serve.request_timeout_secs,
            ),
            (
                "follow.webhook_attempts",
                u64::from(self.follow.webhook_attempts),
            ),
            ("follow.backoff_base_ms", self.follow.backoff_base_ms),
            (
                "follow.webhook_timeout_secs",
                self.follow.webhook_timeout_secs,
            ),
            ("crawl.concurrency", self.crawl.concurrency as u64),
            (
                "crawl.connect_timeout_secs",
                self.crawl.connect_timeout_secs,
            ),
            ("crawl.read_timeout_secs", self.crawl.read_timeout_secs),
            ("crawl.max_page_bytes", self.crawl.max_page_bytes as u64),
            ("crawl.max_source_bytes", self.crawl.max_source_bytes as u64),
            (
                "crawl.max_new_per_round",
                self.crawl.max_new_per_round as u64,
            ),
            ("crawl.default_every_secs", self.crawl.default_every_secs),
            (
                "crawl.max_item_attempts",
                u64::from(self.crawl.max_item_attempts),
            ),
            ("crawl.max_backoff_secs", self.crawl.max_backoff_secs),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(format!("`{name}` must be at least 1"));
            }
        }
        if !(0..=MAX_WINDOW_DAYS).contains(&self.cluster.window_days) {
            return Err(format!(
                "`cluster.window_days` is 0 (no window) to {MAX_WINDOW_DAYS}"
            ));
        }
        if self.ingest.batch > crate::engine::MAX_BATCH {
            return Err(format!(
                "`ingest.batch` is at most {}",
                crate::engine::MAX_BATCH
            ));
        }
        if self.follow.webhook_attempts > 5 {
            return Err("`follow.webhook_attempts` is at most 5".to_string());
        }
        if self.follow.backoff_base_ms > 3_600_000 {
            return Err("`follow.backoff_base_ms` is at most 3600000 (an hour)".to_string());
        }
        if let Some(u) = &self.follow.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() > 2048 {
                return Err(format!(
                    "`follow.public_url` {u:?} is not an http(s) URL such as https://news.example.org"
                ));
            }
        }
        if self.serve.addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "`serve.addr` {:?} is not an address such as 127.0.0.1:7700",
                self.serve.addr
            ));
        }
        Ok(())
    }

    /// The base of links in feeds and webhook payloads.
    pub fn public_url(&self) -> String {
        match &self.follow.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.serve.addr),
        }
    }

    /// The resolved settings as a config file would say them.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot print settings: {e}\n"))
    }
}

/// Loads the embedder a setting asks for; `auto` says on stderr when it falls back to lexical
/// signals. The one place the encoder is chosen.
pub fn load_embedder(
    setting: EncoderSetting,
) -> anyhow::Result<Option<std::sync::Arc<dyn crate::embedding::TextEmbedder>>> {
    use crate::embedding::{encoder_available, load_encoder, EncoderChoice};
    let choice = match setting {
        EncoderSetting::None => EncoderChoice::None,
        EncoderSetting::Static => EncoderChoice::Static,
        EncoderSetting::Transformer => EncoderChoice::Transformer,
        EncoderSetting::Auto if encoder_available(EncoderChoice::Transformer) => {
            EncoderChoice::Transformer
        }
        EncoderSetting::Auto => {
            eprintln!(
                "note: no encoder model at {}; using lexical signals only (run scripts/fetch-model.sh)",
                nuntius_embed::default_model_path().display()
            );
            EncoderChoice::None
        }
    };
    Ok(load_encoder(choice)?.map(std::sync::Arc::from))
}

/// Where a data dir's config file is, unless `--config` names another.
pub fn config_path(data_dir: &Path, explicit: Option<&Path>) -> (PathBuf, bool) {
    match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (data_dir.join(CONFIG_FILE), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_partial_files_keep_the_rest() {
        let printed = Settings::default().to_toml();
        assert_eq!(Settings::from_toml(&printed).unwrap(), Settings::default());
        let s =
            Settings::from_toml("encoder = \"none\"\n[limits]\nmax_text_chars = 5000\n").unwrap();
        assert_eq!(s.encoder, EncoderSetting::None);
        assert_eq!(s.limits.max_text_chars, 5000);
        assert_eq!(s.limits.max_entities, LimitSettings::default().max_entities);
        assert_eq!(s.serve, ServeSettings::default());
        let s = Settings::from_toml("[cluster]\nwindow_days = 0\n").unwrap();
        assert_eq!(s.cluster.params(true).window_days, 0);
        assert!(s.cluster.params(true).link_languages);
        assert_eq!(
            Settings::default().cluster.params(false),
            nuntius_cluster::Params::default()
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        for (text, says) in [
            ("encodr = \"none\"", "encodr"),
            ("[limits]\nmax_text_char = 5", "max_text_char"),
            ("[serve]\naddr = \"localhost\"", "serve.addr"),
            ("[ingest]\nbatch = 0", "ingest.batch"),
            ("[crawl]\nconcurrency = 0", "crawl.concurrency"),
            ("[crawl]\ndelay = 5", "delay"),
            ("[ingest]\nbatch = 4096", "ingest.batch"),
            ("encoder = \"bert\"", "bert"),
            ("[follow]\nwebhook_attempts = 9", "follow.webhook_attempts"),
            ("[follow]\nbackoff = 1", "backoff"),
            ("[cluster]\nwindow_days = -1", "cluster.window_days"),
            ("[cluster]\nwindow = 9", "window"),
        ] {
            let e = Settings::from_toml(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
