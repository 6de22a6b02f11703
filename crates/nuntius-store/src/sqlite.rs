//! The SQLite store.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::{
    ArticleRow, Batch, CopyRow, EntityRow, EventRow, LineStat, LinkRow, NextIds, Result, Store,
    StoreError, WindowRow, BOILERPLATE_DOCS,
};

/// Version 2 added `boilerplate.since`, version 3 the crawler's `sources` and `fetches`,
/// version 4 the follow tables (`follows.rs`), version 5 `copies.basis`, version 6
/// `articles.placed` (the clock of the active window) and the indexes the engine's open and
/// lookups use; older stores are migrated in place on open.
const SCHEMA_VERSION: i64 = 7;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT, record INTEGER, url TEXT,
    title TEXT NOT NULL, text TEXT NOT NULL, lang TEXT,
    published TEXT, published_from TEXT, day INTEGER,
    source TEXT, cited_source TEXT,
    content_hash INTEGER NOT NULL,
    duplicate_of INTEGER,
    event INTEGER NOT NULL,
    features TEXT NOT NULL, evidence TEXT NOT NULL, entities TEXT NOT NULL,
    placed INTEGER
);
CREATE INDEX IF NOT EXISTS articles_event ON articles(event);
CREATE INDEX IF NOT EXISTS articles_placed ON articles(placed);
CREATE INDEX IF NOT EXISTS articles_content ON articles(content_hash);
CREATE TABLE IF NOT EXISTS entities (id INTEGER PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, story INTEGER NOT NULL, evidence TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_story ON events(story);
CREATE TABLE IF NOT EXISTS copies (
    copy INTEGER NOT NULL, origin INTEGER NOT NULL, chars INTEGER NOT NULL, passages TEXT NOT NULL,
    basis TEXT,
    PRIMARY KEY (copy, origin)
);
CREATE INDEX IF NOT EXISTS copies_origin ON copies(origin);
CREATE TABLE IF NOT EXISTS boilerplate (
    source TEXT NOT NULL, hash INTEGER NOT NULL, docs INTEGER NOT NULL, since INTEGER,
    PRIMARY KEY (source, hash)
);
CREATE INDEX IF NOT EXISTS boilerplate_known ON boilerplate(docs) WHERE docs >= 3; -- BOILERPLATE_DOCS
CREATE TABLE IF NOT EXISTS event_links (event INTEGER PRIMARY KEY, linked INTEGER, evidence TEXT NOT NULL);
";

/// Steps from each older schema version to the next, run in one transaction.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        // Lines already boilerplate in a version 1 store count as known from the start.
        "ALTER TABLE boilerplate ADD COLUMN since INTEGER;
     UPDATE boilerplate SET since = 0 WHERE docs >= 3;",
    ),
    (2, crate::sources::SCHEMA),
    (3, crate::follows::MIGRATION_3),
    // Copies stored before version 5 keep no basis (NULL: not recorded).
    (4, "ALTER TABLE copies ADD COLUMN basis TEXT;"),
    // Version 7 adds `event_links` (created with the schema): a store of version 6 has no
    // settle decisions, so its events settle when the clock next moves.
    (6, ""),
];

/// Version 5 → 6, for a store that has an articles table: articles stored before version 6
/// have no clock (NULL), so their events stay in the active window.
const ADD_PLACED: &str = "ALTER TABLE articles ADD COLUMN placed INTEGER;";

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    conn: Connection,
}

pub(crate) fn err(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

impl SqliteStore {
    /// Opens (creating if needed) the store file at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let conn = Connection::open(path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err("enabling WAL"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err("setting synchronous"))?;
        // The crawler's and the server's small writes (sources, fetch records) come from
        // connections beside the engine's: wait for its batch rather than fail.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err("setting the busy timeout"))?;
        Self::init(conn, &path.display().to_string())
    }

    /// A store that lives in memory, for tests and evaluations.
    pub fn in_memory() -> Result<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(err("opening in-memory database"))?;
        Self::init(conn, ":memory:")
    }

    /// Calls `f` with every article in arrival order, selecting `columns` (the article
    /// columns, some replaced by empty values).
    fn each_article(&self, columns: &str, f: &mut dyn FnMut(ArticleRow)) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {columns} FROM articles ORDER BY seq"))
            .map_err(err("listing articles"))?;
        let rows = stmt
            .query_map([], article_from_row)
            .map_err(err("listing articles"))?;
        for row in rows {
            f(row.map_err(err("reading an article"))?);
        }
        Ok(())
    }

    /// The connection, for the read-side queries in `read.rs` and the follows.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    fn init(conn: Connection, shown: &str) -> Result<SqliteStore> {
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .or_else(|e| match e {
                // A new file has no meta table yet.
                rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => {
                    Ok(None)
                }
                e => Err(e),
            })
            .map_err(err("reading schema version"))?;
        let version = match found {
            None => None,
            Some(v) => Some(v.parse::<i64>().map_err(|_| StoreError::Schema {
                path: shown.to_string(),
                found: -1,
                expected: SCHEMA_VERSION,
            })?),
        };
        match version {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StoreError::Schema {
                    path: shown.to_string(),
                    found: v,
                    expected: SCHEMA_VERSION,
                });
            }
            Some(v) if v < SCHEMA_VERSION => migrate(&conn, v)?,
            _ => {}
        }
        conn.execute_batch(SCHEMA).map_err(err("creating schema"))?;
        conn.execute_batch(crate::follows::SCHEMA)
            .map_err(err("creating the follow tables"))?;
        conn.execute_batch(crate::sources::SCHEMA)
            .map_err(err("creating the crawler's tables"))?;
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?1)",
            [SCHEMA_VERSION.to_string()],
        )
        .map_err(err("writing schema version"))?;
        Ok(SqliteStore { conn })
    }
}

/// Brings a store of an older schema up to this version, all steps in one transaction.
fn migrate(conn: &Connection, from: i64) -> Result<()> {
    let mut script = String::from("BEGIN;\n");
    for (version, step) in MIGRATIONS {
        if *version >= from {
            script.push_str(step);
            script.push('\n');
        }
    }
    let has_articles: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'articles'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(err("reading the schema"))?
        > 0;
    if from <= 5 && has_articles {
        script.push_str(ADD_PLACED);
        script.push('\n');
    }
    script.push_str("COMMIT;");
    conn.execute_batch(&script).map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK;");
        StoreError::Sqlite {
            context: "migrating the store to the current schema",
            source: e,
        }
    })
}

pub(crate) const ARTICLE_COLUMNS: &str = "seq, id, path, record, url, title, text, lang, published, published_from, day, source, cited_source, content_hash, duplicate_of, event, features, evidence, entities, placed";

/// A settle decision from `event, linked, evidence` columns.
pub(crate) fn link_row(r: &Row<'_>) -> rusqlite::Result<LinkRow> {
    Ok(LinkRow {
        event: r.get::<_, i64>(0)? as u64,
        linked: r.get::<_, Option<i64>>(1)?.map(|x| x as u64),
        evidence: r.get(2)?,
    })
}

fn line_stat(r: &Row<'_>) -> rusqlite::Result<LineStat> {
    Ok(LineStat {
        source: r.get(0)?,
        hash: r.get::<_, i64>(1)? as u64,
        docs: r.get::<_, i64>(2)?.clamp(0, i64::from(u32::MAX)) as u32,
        since: r.get::<_, Option<i64>>(3)?.map(|v| v.max(0) as u64),
    })
}

pub(crate) fn article_from_row(r: &Row<'_>) -> rusqlite::Result<ArticleRow> {
    Ok(ArticleRow {
        seq: r.get::<_, i64>(0)? as u64,
        id: r.get(1)?,
        path: r.get(2)?,
        record: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
        url: r.get(4)?,
        title: r.get(5)?,
        text: r.get(6)?,
        lang: r.get(7)?,
        published: r.get(8)?,
        published_from: r.get(9)?,
        day: r.get(10)?,
        source: r.get(11)?,
        cited_source: r.get(12)?,
        content_hash: r.get::<_, i64>(13)? as u64,
        duplicate_of: r.get::<_, Option<i64>>(14)?.map(|v| v as u64),
        event: r.get::<_, i64>(15)? as u64,
        features: r.get(16)?,
        evidence: r.get(17)?,
        entities: r.get(18)?,
        placed: r.get(19)?,
    })
}

impl Store for SqliteStore {
    fn write_batch(&mut self, batch: &Batch) -> Result<()> {
        let tx = self.conn.transaction().map_err(err("starting a batch"))?;
        {
            let mut insert = tx
                .prepare_cached(&format!(
                    "INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
                ))
                .map_err(err("preparing article insert"))?;
            for a in &batch.articles {
                insert
                    .execute(params![
                        a.seq as i64,
                        a.id,
                        a.path,
                        a.record.map(|v| v as i64),
                        a.url,
                        a.title,
                        a.text,
                        a.lang,
                        a.published,
                        a.published_from,
                        a.day,
                        a.source,
                        a.cited_source,
                        a.content_hash as i64,
                        a.duplicate_of.map(|v| v as i64),
                        a.event as i64,
                        a.features,
                        a.evidence,
                        a.entities,
                        a.placed
                    ])
                    .map_err(err("writing an article"))?;
            }
            let mut ent = tx
                .prepare_cached("INSERT OR REPLACE INTO entities (id, record) VALUES (?1, ?2)")
                .map_err(err("preparing entity write"))?;
            for e in &batch.entities {
                ent.execute(params![e.id as i64, e.record])
                    .map_err(err("writing an entity"))?;
            }
            let mut ev = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO events (id, story, evidence) VALUES (?1, ?2, ?3)",
                )
                .map_err(err("preparing event write"))?;
            for e in &batch.events {
                ev.execute(params![e.id as i64, e.story as i64, e.evidence])
                    .map_err(err("writing an event"))?;
            }
            let mut lk = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO event_links (event, linked, evidence) VALUES (?1, ?2, ?3)",
                )
                .map_err(err("preparing link write"))?;
            for l in &batch.links {
                lk.execute(params![
                    l.event as i64,
                    l.linked.map(|x| x as i64),
                    l.evidence
                ])
                .map_err(err("writing an event link"))?;
            }
            let mut mv = tx
                .prepare_cached("UPDATE events SET story = ?2 WHERE id = ?1")
                .map_err(err("preparing event move"))?;
            for (event, story) in &batch.moves {
                mv.execute(params![*event as i64, *story as i64])
                    .map_err(err("moving an event"))?;
            }
            let mut cp = tx
                .prepare_cached("INSERT OR REPLACE INTO copies (copy, origin, chars, passages, basis) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(err("preparing copy write"))?;
            for c in &batch.copies {
                cp.execute(params![
                    c.copy as i64,
                    c.origin as i64,
                    c.chars as i64,
                    c.passages,
                    c.basis
                ])
                .map_err(err("writing a copy"))?;
            }
            let mut bp = tx
                .prepare_cached(
                    "INSERT INTO boilerplate (source, hash, docs) VALUES (?1, ?2, 1) ON CONFLICT(source, hash) DO UPDATE SET docs = docs + 1",
                )
                .map_err(err("preparing boilerplate write"))?;
            for (source, hash) in &batch.boilerplate {
                bp.execute(params![source, *hash as i64])
                    .map_err(err("writing boilerplate statistics"))?;
            }
            let mut since = tx
                .prepare_cached(
                    "UPDATE boilerplate SET since = ?3 WHERE source = ?1 AND hash = ?2 AND since IS NULL",
                )
                .map_err(err("preparing boilerplate write"))?;
            for (source, hash, seq) in &batch.boilerplate_since {
                since
                    .execute(params![source, *hash as i64, *seq as i64])
                    .map_err(err("writing boilerplate statistics"))?;
            }
            crate::follows::write_matches(&tx, &batch.follow_matches)?;
        }
        tx.commit().map_err(err("committing a batch"))
    }

    fn for_each_article(&self, f: &mut dyn FnMut(ArticleRow)) -> Result<()> {
        self.each_article(ARTICLE_COLUMNS, f)
    }

    fn for_each_article_brief(&self, text: bool, f: &mut dyn FnMut(ArticleRow)) -> Result<()> {
        let columns = ARTICLE_COLUMNS
            .replace(" features,", " '' AS features,")
            .replace(" text,", if text { " text," } else { " '' AS text," });
        self.each_article(&columns, f)
    }

    fn article(&self, seq: u64) -> Result<Option<ArticleRow>> {
        self.conn
            .query_row(
                &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE seq = ?1"),
                [seq as i64],
                article_from_row,
            )
            .optional()
            .map_err(err("reading an article"))
    }

    fn article_by_id(&self, id: &str) -> Result<Option<ArticleRow>> {
        self.conn
            .query_row(
                &format!("SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?1"),
                [id],
                article_from_row,
            )
            .optional()
            .map_err(err("reading an article"))
    }

    fn entities(&self) -> Result<Vec<EntityRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, record FROM entities ORDER BY id")
            .map_err(err("listing entities"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(EntityRow {
                    id: r.get::<_, i64>(0)? as u64,
                    record: r.get(1)?,
                })
            })
            .map_err(err("listing entities"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading an entity"))
    }

    fn events(&self) -> Result<Vec<EventRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, story, evidence FROM events ORDER BY id")
            .map_err(err("listing events"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(EventRow {
                    id: r.get::<_, i64>(0)? as u64,
                    story: r.get::<_, i64>(1)? as u64,
                    evidence: r.get(2)?,
                })
            })
            .map_err(err("listing events"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading an event"))
    }

    fn copies(&self) -> Result<Vec<CopyRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT copy, origin, chars, passages, basis FROM copies ORDER BY copy, origin",
            )
            .map_err(err("listing copies"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CopyRow {
                    copy: r.get::<_, i64>(0)? as u64,
                    origin: r.get::<_, i64>(1)? as u64,
                    chars: r.get::<_, i64>(2)? as u64,
                    passages: r.get(3)?,
                    basis: r.get(4)?,
                })
            })
            .map_err(err("listing copies"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading a copy"))
    }

    fn window_articles(&self, from: Option<i64>, f: &mut dyn FnMut(WindowRow)) -> Result<()> {
        // Events with a member placed on or after `from`, and events none of whose members has
        // a clock (stored before any dated article, or before schema 6): each member by seq.
        // The seqs are selected first so that SQLite walks them in order instead of sorting
        // whole rows (features and all) through temporary files.
        let sql = match from {
            Some(_) => {
                "WITH alive(event) AS (
                    SELECT event FROM articles WHERE placed >= ?1
                    UNION
                    SELECT a.event FROM articles a WHERE a.placed IS NULL AND NOT EXISTS
                        (SELECT 1 FROM articles b WHERE b.event = a.event AND b.placed IS NOT NULL))
                SELECT seq, id, content_hash, event, features, placed, duplicate_of FROM articles
                WHERE seq IN (SELECT seq FROM articles WHERE event IN (SELECT event FROM alive))
                ORDER BY seq"
            }
            None => {
                "SELECT seq, id, content_hash, event, features, placed, duplicate_of FROM articles
                WHERE ?1 IS NULL ORDER BY seq"
            }
        };
        let mut stmt = self.conn.prepare(sql).map_err(err("listing the window"))?;
        let rows = stmt
            .query_map([from], |r| {
                Ok(WindowRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    id: r.get(1)?,
                    content_hash: r.get::<_, i64>(2)? as u64,
                    event: r.get::<_, i64>(3)? as u64,
                    features: r.get(4)?,
                    placed: r.get(5)?,
                    duplicate_of: r.get::<_, Option<i64>>(6)?.map(|v| v as u64),
                })
            })
            .map_err(err("listing the window"))?;
        for row in rows {
            f(row.map_err(err("reading an article of the window"))?);
        }
        Ok(())
    }

    fn clock(&self) -> Result<Option<i64>> {
        self.conn
            .query_row("SELECT MAX(placed) FROM articles", [], |r| r.get(0))
            .map_err(err("reading the clock"))
    }

    fn next_ids(&self) -> Result<NextIds> {
        let seq: Option<i64> = self
            .conn
            .query_row("SELECT MAX(seq) FROM articles", [], |r| r.get(0))
            .map_err(err("reading the latest article"))?;
        let (event, story): (Option<i64>, Option<i64>) = self
            .conn
            // A story emptied by moves (events linked across languages) leaves no row; the
            // decision that created it still names it, so its id is never given again.
            .query_row(
                "SELECT MAX(id), MAX(MAX(story), COALESCE(MAX(CASE WHEN json_valid(evidence) \
                 THEN json_extract(evidence, '$.story') END), 0)) FROM events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(err("reading the latest event"))?;
        let next = |v: Option<i64>| v.map_or(1, |v| v.max(0) as u64 + 1);
        Ok(NextIds {
            seq: next(seq),
            event: next(event),
            story: next(story),
        })
    }

    fn latest_features(&self, n: u64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT features FROM articles ORDER BY seq DESC LIMIT ?1")
            .map_err(err("listing the latest articles"))?;
        let rows = stmt
            .query_map([n.min(i64::MAX as u64) as i64], |r| r.get(0))
            .map_err(err("listing the latest articles"))?;
        let mut out = rows
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(err("reading the latest articles"))?;
        out.reverse();
        Ok(out)
    }

    fn first_with_content(&self, hash: u64) -> Result<Option<u64>> {
        self.conn
            .query_row(
                "SELECT MIN(seq) FROM articles WHERE content_hash = ?1",
                [hash as i64],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|v| v.map(|s| s as u64))
            .map_err(err("looking up a content hash"))
    }

    fn has_identity(&self, id: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM articles WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map(|v| v.is_some())
            .map_err(err("looking up an identity"))
    }

    fn line_docs(&self, source: &str, hash: u64) -> Result<u32> {
        self.conn
            .prepare_cached("SELECT docs FROM boilerplate WHERE source = ?1 AND hash = ?2")
            .and_then(|mut s| {
                s.query_row(params![source, hash as i64], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map(|v| v.map_or(0, |d| d.clamp(0, i64::from(u32::MAX)) as u32))
            .map_err(err("looking up a line"))
    }

    fn known_lines(&self) -> Result<Vec<LineStat>> {
        // Through the partial index, sorted here: left to itself SQLite walks the whole table in
        // key order to skip a sort, which made this the slowest step of an open at 250k articles.
        let sql = format!(
            "SELECT source, hash, docs, since FROM boilerplate INDEXED BY boilerplate_known
             WHERE docs >= {BOILERPLATE_DOCS}"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(err("listing boilerplate lines"))?;
        let rows = stmt
            .query_map([], line_stat)
            .map_err(err("listing boilerplate lines"))?;
        let mut lines = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading boilerplate lines"))?;
        lines.sort_by(|a, b| (&a.source, a.hash).cmp(&(&b.source, b.hash)));
        Ok(lines)
    }

    fn event_links(&self) -> Result<Vec<LinkRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT event, linked, evidence FROM event_links ORDER BY event")
            .map_err(err("listing event links"))?;
        let rows = stmt
            .query_map([], link_row)
            .map_err(err("listing event links"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading an event link"))
    }

    fn event_stories(&self) -> Result<Vec<(u64, u64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, story FROM events ORDER BY id")
            .map_err(err("listing events"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
            .map_err(err("listing events"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading an event"))
    }

    fn line_stats(&self) -> Result<Vec<LineStat>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, hash, docs, since FROM boilerplate ORDER BY source, hash")
            .map_err(err("listing line statistics"))?;
        let rows = stmt
            .query_map([], line_stat)
            .map_err(err("listing line statistics"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading line statistics"))
    }

    fn article_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(err("counting articles"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(seq: u64, id: &str) -> ArticleRow {
        ArticleRow {
            seq,
            id: id.to_string(),
            title: format!("t{seq}"),
            event: 1,
            features: "{}".into(),
            evidence: "null".into(),
            entities: "[]".into(),
            ..ArticleRow::default()
        }
    }

    #[test]
    fn batches_round_trip() {
        let mut s = SqliteStore::in_memory().unwrap();
        let batch = Batch {
            articles: vec![article(1, "a"), article(2, "b")],
            entities: vec![EntityRow {
                id: 1,
                record: "{}".into(),
            }],
            events: vec![
                EventRow {
                    id: 1,
                    story: 1,
                    evidence: "null".into(),
                },
                EventRow {
                    id: 2,
                    story: 2,
                    evidence: "null".into(),
                },
            ],
            copies: vec![CopyRow {
                copy: 2,
                origin: 1,
                chars: 10,
                passages: "[]".into(),
                basis: Some("later_date".into()),
            }],
            boilerplate: vec![("x.com".into(), 7), ("x.com".into(), 7)],
            boilerplate_since: vec![("x.com".into(), 7, 2)],
            follow_matches: Vec::new(),
            // Event 2 linked to event 1 when it settled and moved to its story, in the batch
            // that created it.
            links: vec![
                LinkRow {
                    event: 1,
                    linked: None,
                    evidence: "null".into(),
                },
                LinkRow {
                    event: 2,
                    linked: Some(1),
                    evidence: "{}".into(),
                },
            ],
            moves: vec![(2, 1)],
        };
        s.write_batch(&batch).unwrap();
        assert_eq!(s.event_links().unwrap(), batch.links);
        assert_eq!(s.event_stories().unwrap(), vec![(1, 1), (2, 1)]);
        {
            use crate::read::ReadQueries;
            assert_eq!(s.story_links(1).unwrap(), batch.links[1..]);
            assert!(s.story_links(2).unwrap().is_empty());
        }
        assert_eq!(s.article_count().unwrap(), 2);
        assert_eq!(s.article_by_id("b").unwrap().unwrap().seq, 2);
        assert_eq!(s.article(1).unwrap().unwrap().id, "a");
        assert_eq!(s.copies().unwrap().len(), 1);
        assert_eq!(
            s.line_stats().unwrap(),
            vec![LineStat {
                source: "x.com".into(),
                hash: 7,
                docs: 2,
                since: Some(2)
            }]
        );
        let mut seen = Vec::new();
        s.for_each_article(&mut |a| seen.push(a.seq)).unwrap();
        assert_eq!(seen, vec![1, 2]);
    }

    /// A store file made by `sql` (an older or newer nuntius).
    fn store_file(dir: &tempfile::TempDir, version: &str, sql: &str) -> std::path::PathBuf {
        let path = dir.path().join(format!("v{version}.sqlite"));
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema_version', '{version}'); {sql}"
        ))
        .unwrap();
        path
    }

    #[test]
    fn a_version_1_store_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(
            &dir,
            "1",
            "CREATE TABLE boilerplate (source TEXT NOT NULL, hash INTEGER NOT NULL, docs INTEGER NOT NULL, PRIMARY KEY (source, hash));
             INSERT INTO boilerplate VALUES ('x.com', 7, 3), ('x.com', 8, 1);
             CREATE TABLE copies (copy INTEGER NOT NULL, origin INTEGER NOT NULL, chars INTEGER NOT NULL, passages TEXT NOT NULL, PRIMARY KEY (copy, origin));
             INSERT INTO copies VALUES (2, 1, 10, '[]');",
        );
        let s = SqliteStore::open(&path).unwrap();
        let since: Vec<Option<u64>> = s.line_stats().unwrap().iter().map(|l| l.since).collect();
        assert_eq!(since, [Some(0), None]);
        // A copy stored before version 5 has no recorded basis.
        let copies = s.copies().unwrap();
        assert_eq!((copies.len(), copies[0].basis.clone()), (1, None));
        drop(s);
        // Opening again is a no-op.
        assert!(SqliteStore::open(&path).is_ok());
    }

    #[test]
    fn the_window_holds_the_events_with_a_member_placed_since_its_start() {
        let mut s = SqliteStore::in_memory().unwrap();
        let placed = |seq: u64, event: u64, placed: Option<i64>| ArticleRow {
            event,
            placed,
            content_hash: 40 + event,
            ..article(seq, &format!("a{seq}"))
        };
        s.write_batch(&Batch {
            articles: vec![
                placed(1, 1, Some(10)),
                placed(2, 2, Some(20)),
                placed(3, 1, Some(95)),
                placed(4, 3, None),
                placed(5, 4, None),
                placed(6, 4, Some(30)),
            ],
            ..Batch::default()
        })
        .unwrap();
        let mut seqs = Vec::new();
        s.window_articles(Some(90), &mut |r| seqs.push(r.seq))
            .unwrap();
        // Event 1 has a member at 95; event 3 has no clock; events 2 and 4 are behind 90.
        assert_eq!(seqs, [1, 3, 4]);
        assert_eq!(s.clock().unwrap(), Some(95));
        assert_eq!(s.first_with_content(41).unwrap(), Some(1));
        assert!(s.has_identity("a6").unwrap() && !s.has_identity("a7").unwrap());
    }

    #[test]
    fn a_version_5_store_gets_the_clock_column_and_keeps_its_articles_in_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v5.sqlite");
        {
            let mut s = SqliteStore::open(&path).unwrap();
            s.write_batch(&Batch {
                articles: vec![article(1, "a")],
                ..Batch::default()
            })
            .unwrap();
            // Back to version 5: no `placed` column.
            s.conn()
                .execute_batch(
                    "DROP INDEX articles_placed; ALTER TABLE articles DROP COLUMN placed;
                     UPDATE meta SET value = '5' WHERE key = 'schema_version';",
                )
                .unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.clock().unwrap(), None);
        let mut seqs = Vec::new();
        s.window_articles(Some(100), &mut |r| seqs.push((r.seq, r.placed)))
            .unwrap();
        assert_eq!(seqs, [(1, None)]);
    }

    #[test]
    fn a_version_2_store_gets_the_follow_tables() {
        use crate::follows::{FollowStore, FollowTarget, NewFollow};
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(
            &dir,
            "2",
            "CREATE TABLE copies (copy INTEGER NOT NULL, origin INTEGER NOT NULL, chars INTEGER NOT NULL, passages TEXT NOT NULL, PRIMARY KEY (copy, origin));",
        );
        let s = SqliteStore::open(&path).unwrap();
        let f = s
            .add_follow(&NewFollow {
                target: FollowTarget::Story(3),
                webhook: None,
                secret: None,
                created_at: 0,
            })
            .unwrap();
        assert_eq!(s.follows().unwrap(), vec![f]);
    }

    #[test]
    fn a_store_from_a_newer_nuntius_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(&dir, "99", "");
        let e = SqliteStore::open(&path).err().expect("refused").to_string();
        assert!(e.contains("version 99") && e.contains("newer"), "{e}");
    }

    #[test]
    fn a_failed_batch_leaves_nothing_behind() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.write_batch(&Batch {
            articles: vec![article(1, "a")],
            ..Batch::default()
        })
        .unwrap();
        // Same id under a new seq violates UNIQUE(id): the whole batch must roll back.
        let bad = Batch {
            articles: vec![article(2, "b"), article(3, "a")],
            ..Batch::default()
        };
        assert!(s.write_batch(&bad).is_err());
        assert_eq!(s.article_count().unwrap(), 1);
    }
}
