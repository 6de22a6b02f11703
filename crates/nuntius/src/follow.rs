//! `nuntius follow`: add, list and remove follows, and show a follow's webhook delivery log. The
//! checks and the JSON are the API's (`nuntius_server::follows`), so both say the same.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use nuntius_engine::datadir::{store_path, WriterLock};
use nuntius_server::follows::{self, FollowRequest};
use nuntius_store::follows::FollowStore;
use nuntius_store::SqliteStore;

#[derive(Subcommand)]
pub enum FollowCommand {
    /// Follow a search query (with filters), an entity or a story; prints its id, feed and, with a
    /// webhook, the secret that signs its calls (shown only now).
    Add {
        /// A search query (the syntax of `nuntius search`).
        #[arg(long, conflicts_with = "story")]
        query: Option<String>,
        /// With --query: analyse it in this language and keep only its articles.
        #[arg(long, requires = "query")]
        lang: Option<String>,
        /// With --query: only articles of this source.
        #[arg(long, requires = "query")]
        source: Option<String>,
        /// With --query: only articles on or after this day (YYYY-MM-DD).
        #[arg(long, requires = "query")]
        from: Option<String>,
        /// With --query: only articles on or before this day (YYYY-MM-DD).
        #[arg(long, requires = "query")]
        to: Option<String>,
        /// An entity number; with --query, its entity filter.
        #[arg(long, conflicts_with = "story")]
        entity: Option<u64>,
        /// A story number.
        #[arg(long)]
        story: Option<u64>,
        /// An http(s) URL that gets one signed POST per new matching article.
        #[arg(long)]
        webhook: Option<String>,
    },
    /// Every follow with its feed and how many articles it matched.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a follow with its matches and queued webhook calls.
    Remove { id: u64 },
    /// The webhook delivery log of a follow, newest first.
    Log {
        id: u64,
        #[arg(long)]
        json: bool,
    },
}

/// Refuses to write beside a running server: its API is the way then.
fn writer(data_dir: &Path) -> Result<WriterLock> {
    if let Some(server) = nuntius_server::running_server(data_dir) {
        bail!(
            "{} is served by `nuntius serve` at {}: change follows through its API (POST/DELETE /api/follows with the token)",
            data_dir.display(),
            server.url
        );
    }
    WriterLock::acquire(data_dir, "follow")
}

fn open(data_dir: &Path) -> Result<SqliteStore> {
    let path = store_path(data_dir);
    SqliteStore::open(&path).with_context(|| format!("cannot open {}", path.display()))
}

pub fn run(data_dir: &Path, command: FollowCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        FollowCommand::Add {
            query,
            lang,
            source,
            from,
            to,
            entity,
            story,
            webhook,
        } => {
            let request = FollowRequest {
                query,
                lang,
                source,
                from,
                to,
                entity,
                story,
                webhook,
            };
            let new = follows::new_follow(&request, follows::unix_now())?;
            let _lock = writer(data_dir)?;
            let store = open(data_dir)?;
            let row = follows::create(&store, &new)?;
            writeln!(out, "follow {}: {}", row.id, follows::label(&store, &row))?;
            writeln!(out, "feed: {}", follows::feed_path(row.id))?;
            if let Some(secret) = &new.secret {
                writeln!(
                    out,
                    "webhook secret (shown once; it signs X-Nuntius-Signature): {secret}"
                )?;
            }
        }
        FollowCommand::List { json } => {
            let store = open(data_dir)?;
            for f in store.follows()? {
                let mut v = follows::describe(&store, &f)?;
                let label = follows::label(&store, &f);
                if json {
                    v["label"] = serde_json::json!(label);
                    writeln!(out, "{}", serde_json::to_string(&v)?)?;
                } else {
                    writeln!(
                        out,
                        "{:>4}  {}  {} matches  {}{}",
                        f.id,
                        crate::printable(&label),
                        v["matches"],
                        v["feed"].as_str().unwrap_or_default(),
                        f.webhook
                            .as_deref()
                            .map(|w| format!("  webhook {}", crate::printable(w)))
                            .unwrap_or_default()
                    )?;
                }
            }
        }
        FollowCommand::Remove { id } => {
            let _lock = writer(data_dir)?;
            let store = open(data_dir)?;
            if !store.remove_follow(id)? {
                bail!("no follow {id}");
            }
            writeln!(out, "removed follow {id}")?;
        }
        FollowCommand::Log { id, json } => {
            let store = open(data_dir)?;
            let log = follows::delivery_log(&store, id)?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&log)?)?;
                return Ok(());
            }
            for d in log["deliveries"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "delivery {} of article #{}: {} after {} attempts",
                    d["id"],
                    d["seq"],
                    d["state"].as_str().unwrap_or("?"),
                    d["attempts"]
                )?;
                for a in d["log"].as_array().into_iter().flatten() {
                    let what = match (a["status"].as_u64(), a["error"].as_str()) {
                        (Some(s), None) => format!("HTTP {s}"),
                        (_, Some(e)) => crate::printable(e).into_owned(),
                        (None, None) => "?".into(),
                    };
                    writeln!(
                        out,
                        "  attempt {}: {what} ({} ms)",
                        a["attempt"], a["millis"]
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// At the end of an ingest (the caller holds the writer lock): delivers the queued webhook calls
/// for at most `follow.deliver_secs`, and says what is left.
pub fn deliver_after_ingest(data_dir: &Path, settings: &nuntius_engine::Settings) {
    match nuntius_server::webhooks::deliver_for(data_dir, &settings.follow, &settings.public_url())
    {
        Ok(r) if r == Default::default() => {}
        Ok(r) => eprintln!(
            "webhooks: delivered {}, retried {}, failed {}, still queued {}",
            r.delivered, r.retried, r.failed, r.pending
        ),
        Err(e) => eprintln!("webhooks: not delivered now, they stay queued: {e}"),
    }
}
