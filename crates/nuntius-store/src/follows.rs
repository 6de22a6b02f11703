//! Follows: saved queries, entities and stories, the articles that matched each (decided as the
//! articles were placed, written in the same transaction as their batch) and the webhook outbox
//! with its delivery log.
//!
//! A follow's matches start with the articles placed after it was created. A webhook delivery is
//! queued for every match of a follow with a webhook; the process holding the writer sends them
//! in order per follow and records every attempt here, so undelivered ones survive a restart.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::{ArticleRow, Result, SqliteStore, StoreError};

/// The tables of schema version 4.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    webhook TEXT,
    secret TEXT,
    created_seq INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS follow_matches (
    follow INTEGER NOT NULL, seq INTEGER NOT NULL, event INTEGER NOT NULL, story INTEGER NOT NULL,
    PRIMARY KEY (follow, seq)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    follow INTEGER NOT NULL, seq INTEGER NOT NULL, event INTEGER NOT NULL, story INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (follow, seq)
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(state, follow, id);
CREATE TABLE IF NOT EXISTS delivery_attempts (
    delivery INTEGER NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL,
    status INTEGER, error TEXT, millis INTEGER NOT NULL,
    PRIMARY KEY (delivery, attempt)
);
";

/// The migration step from schema 3 to 4: the same tables as a fresh store gets.
pub(crate) const MIGRATION_3: &str = SCHEMA;

/// A search query with the search filters, as a follow keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowQuery {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Inclusive day bounds (days since 1970-01-01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<u64>,
}

/// What a follow watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowTarget {
    Query(FollowQuery),
    Entity(u64),
    Story(u64),
}

impl FollowTarget {
    pub fn kind(&self) -> &'static str {
        match self {
            FollowTarget::Query(_) => "query",
            FollowTarget::Entity(_) => "entity",
            FollowTarget::Story(_) => "story",
        }
    }

    fn encode(&self) -> String {
        match self {
            FollowTarget::Query(q) => serde_json::to_string(q).unwrap_or_default(),
            FollowTarget::Entity(id) | FollowTarget::Story(id) => id.to_string(),
        }
    }

    fn decode(kind: &str, target: &str) -> Option<FollowTarget> {
        match kind {
            "query" => serde_json::from_str(target).ok().map(FollowTarget::Query),
            "entity" => target.parse().ok().map(FollowTarget::Entity),
            "story" => target.parse().ok().map(FollowTarget::Story),
            _ => None,
        }
    }
}

/// A follow as stored (its webhook secret is only read by [`FollowStore::follow_secret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRow {
    pub id: u64,
    pub target: FollowTarget,
    pub webhook: Option<String>,
    /// Articles with this seq or later can match.
    pub created_seq: u64,
    /// Unix seconds.
    pub created_at: i64,
}

/// A follow to create.
#[derive(Debug, Clone)]
pub struct NewFollow {
    pub target: FollowTarget,
    pub webhook: Option<String>,
    pub secret: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// One article a follow matched, with its event and story when it was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchRow {
    pub follow: u64,
    pub seq: u64,
    pub event: u64,
    pub story: u64,
    /// Whether to queue a webhook delivery for it.
    pub deliver: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Every attempt failed; it is not retried.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> DeliveryState {
        match s {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        }
    }
}

/// One queued webhook call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: u64,
    pub follow: u64,
    pub seq: u64,
    pub event: u64,
    pub story: u64,
    pub state: DeliveryState,
    pub attempts: u32,
    /// Unix milliseconds before which it is not tried again.
    pub next_at: i64,
}

/// One try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttemptRow {
    pub attempt: u32,
    /// Unix milliseconds.
    pub at: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub millis: u64,
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(i64),
    GaveUp,
}

/// Follows, their matches and the webhook outbox. Every method is one statement or one
/// transaction, so a server's request handlers and its deliverer may call them beside the writer.
pub trait FollowStore {
    fn add_follow(&self, new: &NewFollow) -> Result<FollowRow>;
    /// Every follow, by id.
    fn follows(&self) -> Result<Vec<FollowRow>>;
    fn follow(&self, id: u64) -> Result<Option<FollowRow>>;
    fn follow_secret(&self, id: u64) -> Result<Option<String>>;
    /// Deletes a follow with its matches and deliveries; false when there was none.
    fn remove_follow(&self, id: u64) -> Result<bool>;
    /// A follow's matches, newest first, at most `limit`.
    fn follow_matches(&self, follow: u64, limit: u64) -> Result<Vec<MatchRow>>;
    /// Matches of a follow with a seq above `after`.
    fn matches_after(&self, follow: u64, after: u64) -> Result<u64>;
    /// The head of each follow's queue: its oldest pending delivery, by follow.
    fn delivery_heads(&self) -> Result<Vec<DeliveryRow>>;
    /// Records one attempt of a delivery and what it leads to, in one transaction.
    fn record_attempt(
        &self,
        delivery: u64,
        attempt: &AttemptRow,
        outcome: AttemptOutcome,
    ) -> Result<()>;
    /// A follow's deliveries, newest first, at most `limit`, each with its attempts.
    fn deliveries(&self, follow: u64, limit: u64) -> Result<Vec<(DeliveryRow, Vec<AttemptRow>)>>;
    /// Deliveries not yet delivered nor given up.
    fn pending_deliveries(&self) -> Result<u64>;
    /// The first `limit` articles of an event (by seq), for its headline in feeds and webhooks.
    fn event_articles(&self, event: u64, limit: u64) -> Result<Vec<ArticleRow>>;
}

fn err(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

const FOLLOW_COLUMNS: &str = "id, kind, target, webhook, created_seq, created_at";

fn follow_from_row(r: &Row<'_>) -> rusqlite::Result<Option<FollowRow>> {
    let kind: String = r.get(1)?;
    let target: String = r.get(2)?;
    // A row this nuntius cannot read (written by a newer one) is skipped, not fatal.
    let Some(target) = FollowTarget::decode(&kind, &target) else {
        return Ok(None);
    };
    Ok(Some(FollowRow {
        id: r.get::<_, i64>(0)? as u64,
        target,
        webhook: r.get(3)?,
        created_seq: r.get::<_, i64>(4)?.max(0) as u64,
        created_at: r.get(5)?,
    }))
}

const DELIVERY_COLUMNS: &str = "id, follow, seq, event, story, state, attempts, next_at";

fn delivery_from_row(r: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get::<_, i64>(0)? as u64,
        follow: r.get::<_, i64>(1)? as u64,
        seq: r.get::<_, i64>(2)? as u64,
        event: r.get::<_, i64>(3)? as u64,
        story: r.get::<_, i64>(4)? as u64,
        state: DeliveryState::parse(&r.get::<_, String>(5)?),
        attempts: r.get::<_, i64>(6)?.clamp(0, i64::from(u32::MAX)) as u32,
        next_at: r.get(7)?,
    })
}

/// Writes a batch's matches and queues their deliveries, inside the batch's transaction.
pub(crate) fn write_matches(conn: &Connection, matches: &[MatchRow]) -> Result<()> {
    if matches.is_empty() {
        return Ok(());
    }
    let mut m = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO follow_matches (follow, seq, event, story) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(err("preparing follow match write"))?;
    let mut d = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO deliveries (follow, seq, event, story) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(err("preparing delivery write"))?;
    for x in matches {
        let row = params![
            x.follow as i64,
            x.seq as i64,
            x.event as i64,
            x.story as i64
        ];
        m.execute(row).map_err(err("writing a follow match"))?;
        if x.deliver {
            d.execute(row).map_err(err("queueing a webhook delivery"))?;
        }
    }
    Ok(())
}

impl FollowStore for SqliteStore {
    fn add_follow(&self, new: &NewFollow) -> Result<FollowRow> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO follows (kind, target, webhook, secret, created_seq, created_at)
             VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM articles), ?5)",
            params![
                new.target.kind(),
                new.target.encode(),
                new.webhook,
                new.secret,
                new.created_at
            ],
        )
        .map_err(err("adding a follow"))?;
        let id = conn.last_insert_rowid() as u64;
        self.follow(id)?.ok_or(StoreError::Sqlite {
            context: "reading a new follow",
            source: rusqlite::Error::QueryReturnedNoRows,
        })
    }

    fn follows(&self) -> Result<Vec<FollowRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {FOLLOW_COLUMNS} FROM follows ORDER BY id"))
            .map_err(err("listing follows"))?;
        let rows = stmt
            .query_map([], follow_from_row)
            .map_err(err("listing follows"))?;
        let mut out = Vec::new();
        for row in rows {
            out.extend(row.map_err(err("reading a follow"))?);
        }
        Ok(out)
    }

    fn follow(&self, id: u64) -> Result<Option<FollowRow>> {
        self.conn()
            .query_row(
                &format!("SELECT {FOLLOW_COLUMNS} FROM follows WHERE id = ?1"),
                [id as i64],
                follow_from_row,
            )
            .optional()
            .map(Option::flatten)
            .map_err(err("reading a follow"))
    }

    fn follow_secret(&self, id: u64) -> Result<Option<String>> {
        self.conn()
            .query_row(
                "SELECT secret FROM follows WHERE id = ?1",
                [id as i64],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(err("reading a follow's secret"))
    }

    fn remove_follow(&self, id: u64) -> Result<bool> {
        let conn = self.conn();
        let tx = conn
            .unchecked_transaction()
            .map_err(err("starting to remove a follow"))?;
        let id = id as i64;
        let removed = tx
            .execute("DELETE FROM follows WHERE id = ?1", [id])
            .map_err(err("removing a follow"))?;
        tx.execute("DELETE FROM follow_matches WHERE follow = ?1", [id])
            .map_err(err("removing a follow's matches"))?;
        tx.execute(
            "DELETE FROM delivery_attempts WHERE delivery IN (SELECT id FROM deliveries WHERE follow = ?1)",
            [id],
        )
        .map_err(err("removing a follow's delivery log"))?;
        tx.execute("DELETE FROM deliveries WHERE follow = ?1", [id])
            .map_err(err("removing a follow's deliveries"))?;
        tx.commit().map_err(err("removing a follow"))?;
        Ok(removed > 0)
    }

    fn follow_matches(&self, follow: u64, limit: u64) -> Result<Vec<MatchRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT follow, seq, event, story FROM follow_matches WHERE follow = ?1
                 ORDER BY seq DESC LIMIT ?2",
            )
            .map_err(err("listing a follow's matches"))?;
        let rows = stmt
            .query_map(
                params![follow as i64, limit.min(i64::MAX as u64) as i64],
                |r| {
                    Ok(MatchRow {
                        follow: r.get::<_, i64>(0)? as u64,
                        seq: r.get::<_, i64>(1)? as u64,
                        event: r.get::<_, i64>(2)? as u64,
                        story: r.get::<_, i64>(3)? as u64,
                        deliver: false,
                    })
                },
            )
            .map_err(err("listing a follow's matches"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading a follow match"))
    }

    fn matches_after(&self, follow: u64, after: u64) -> Result<u64> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM follow_matches WHERE follow = ?1 AND seq > ?2",
                params![follow as i64, after.min(i64::MAX as u64) as i64],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(err("counting a follow's new matches"))
    }

    fn delivery_heads(&self) -> Result<Vec<DeliveryRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id IN (
                     SELECT MIN(id) FROM deliveries WHERE state = 'pending' GROUP BY follow)
                 ORDER BY follow"
            ))
            .map_err(err("listing pending deliveries"))?;
        let rows = stmt
            .query_map([], delivery_from_row)
            .map_err(err("listing pending deliveries"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading a delivery"))
    }

    fn record_attempt(
        &self,
        delivery: u64,
        attempt: &AttemptRow,
        outcome: AttemptOutcome,
    ) -> Result<()> {
        let conn = self.conn();
        let tx = conn
            .unchecked_transaction()
            .map_err(err("starting to record a delivery attempt"))?;
        tx.execute(
            "INSERT OR REPLACE INTO delivery_attempts (delivery, attempt, at, status, error, millis)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                delivery as i64,
                attempt.attempt,
                attempt.at,
                attempt.status,
                attempt.error,
                attempt.millis.min(i64::MAX as u64) as i64
            ],
        )
        .map_err(err("recording a delivery attempt"))?;
        let (state, next_at) = match outcome {
            AttemptOutcome::Delivered => (DeliveryState::Delivered, 0),
            AttemptOutcome::RetryAt(at) => (DeliveryState::Pending, at),
            AttemptOutcome::GaveUp => (DeliveryState::Failed, 0),
        };
        tx.execute(
            "UPDATE deliveries SET state = ?2, attempts = ?3, next_at = ?4 WHERE id = ?1",
            params![delivery as i64, state.as_str(), attempt.attempt, next_at],
        )
        .map_err(err("updating a delivery"))?;
        tx.commit().map_err(err("recording a delivery attempt"))
    }

    fn deliveries(&self, follow: u64, limit: u64) -> Result<Vec<(DeliveryRow, Vec<AttemptRow>)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE follow = ?1 ORDER BY id DESC LIMIT ?2"
            ))
            .map_err(err("listing deliveries"))?;
        let rows = stmt
            .query_map(
                params![follow as i64, limit.min(i64::MAX as u64) as i64],
                delivery_from_row,
            )
            .map_err(err("listing deliveries"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading a delivery"))?;
        let mut attempts = conn
            .prepare_cached(
                "SELECT attempt, at, status, error, millis FROM delivery_attempts
                 WHERE delivery = ?1 ORDER BY attempt",
            )
            .map_err(err("listing delivery attempts"))?;
        let mut out = Vec::with_capacity(rows.len());
        for d in rows {
            let list = attempts
                .query_map([d.id as i64], |r| {
                    Ok(AttemptRow {
                        attempt: r.get::<_, i64>(0)?.clamp(0, i64::from(u32::MAX)) as u32,
                        at: r.get(1)?,
                        status: r
                            .get::<_, Option<i64>>(2)?
                            .and_then(|s| u16::try_from(s).ok()),
                        error: r.get(3)?,
                        millis: r.get::<_, i64>(4)?.max(0) as u64,
                    })
                })
                .map_err(err("listing delivery attempts"))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(err("reading a delivery attempt"))?;
            out.push((d, list));
        }
        Ok(out)
    }

    fn pending_deliveries(&self) -> Result<u64> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as u64)
            .map_err(err("counting pending deliveries"))
    }

    fn event_articles(&self, event: u64, limit: u64) -> Result<Vec<ArticleRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {} FROM articles WHERE event = ?1 ORDER BY seq LIMIT ?2",
                crate::sqlite::ARTICLE_COLUMNS
            ))
            .map_err(err("listing an event's articles"))?;
        let rows = stmt
            .query_map(
                params![event as i64, limit.min(i64::MAX as u64) as i64],
                crate::sqlite::article_from_row,
            )
            .map_err(err("listing an event's articles"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading an article"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArticleRow, Batch, Store};

    fn article(seq: u64) -> ArticleRow {
        ArticleRow {
            seq,
            id: format!("a{seq}"),
            title: format!("t{seq}"),
            event: seq,
            features: "{}".into(),
            evidence: "null".into(),
            entities: "[]".into(),
            ..ArticleRow::default()
        }
    }

    fn entity_follow(webhook: bool) -> NewFollow {
        NewFollow {
            target: FollowTarget::Entity(7),
            webhook: webhook.then(|| "http://127.0.0.1:9/hook".to_string()),
            secret: webhook.then(|| "s3cret".to_string()),
            created_at: 1_700_000_000,
        }
    }

    #[test]
    fn follows_round_trip_and_start_after_the_stored_articles() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.write_batch(&Batch {
            articles: vec![article(1), article(2)],
            ..Batch::default()
        })
        .unwrap();
        let q = FollowTarget::Query(FollowQuery {
            text: "\"peace talks\" -war".into(),
            lang: Some("en".into()),
            from_day: Some(19000),
            ..FollowQuery::default()
        });
        let a = s
            .add_follow(&NewFollow {
                target: q.clone(),
                webhook: None,
                secret: None,
                created_at: 5,
            })
            .unwrap();
        assert_eq!((a.id, a.created_seq, a.target.clone()), (1, 3, q));
        let b = s.add_follow(&entity_follow(true)).unwrap();
        assert_eq!(s.follows().unwrap(), vec![a.clone(), b.clone()]);
        assert_eq!(s.follow_secret(b.id).unwrap().as_deref(), Some("s3cret"));
        assert_eq!(s.follow_secret(a.id).unwrap(), None);
        assert!(s.remove_follow(a.id).unwrap());
        assert!(!s.remove_follow(a.id).unwrap());
        assert_eq!(s.follows().unwrap(), vec![b]);
    }

    #[test]
    fn matches_are_written_with_their_batch_and_queue_deliveries_in_order() {
        let mut s = SqliteStore::in_memory().unwrap();
        let f = s.add_follow(&entity_follow(true)).unwrap();
        let g = s.add_follow(&entity_follow(false)).unwrap();
        let m = |follow, seq, deliver| MatchRow {
            follow,
            seq,
            event: seq,
            story: 1,
            deliver,
        };
        s.write_batch(&Batch {
            articles: vec![article(1), article(2)],
            follow_matches: vec![m(f.id, 1, true), m(f.id, 2, true), m(g.id, 2, false)],
            ..Batch::default()
        })
        .unwrap();
        let seqs: Vec<u64> = s
            .follow_matches(f.id, 10)
            .unwrap()
            .iter()
            .map(|m| m.seq)
            .collect();
        assert_eq!(seqs, [2, 1]);
        assert_eq!(s.matches_after(f.id, 1).unwrap(), 1);

        // Only the follow with a webhook queues deliveries; its head is the oldest.
        let heads = s.delivery_heads().unwrap();
        assert_eq!(heads.len(), 1);
        assert_eq!((heads[0].follow, heads[0].seq), (f.id, 1));
        let tried = AttemptRow {
            attempt: 1,
            at: 10,
            status: Some(500),
            error: None,
            millis: 3,
        };
        s.record_attempt(heads[0].id, &tried, AttemptOutcome::RetryAt(99))
            .unwrap();
        let head = &s.delivery_heads().unwrap()[0];
        assert_eq!((head.seq, head.attempts, head.next_at), (1, 1, 99));
        let ok = AttemptRow {
            attempt: 2,
            status: Some(204),
            ..tried.clone()
        };
        s.record_attempt(head.id, &ok, AttemptOutcome::Delivered)
            .unwrap();
        assert_eq!(s.delivery_heads().unwrap()[0].seq, 2);
        let log = s.deliveries(f.id, 10).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[1].0.state, DeliveryState::Delivered);
        assert_eq!(log[1].1, vec![tried, ok]);
        assert!(s.remove_follow(f.id).unwrap());
        assert!(s.delivery_heads().unwrap().is_empty());
    }
}
