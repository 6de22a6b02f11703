//! Read-side queries for the server and UI: paged, indexed lookups that do not load the whole store.
//!
//! The story of an article is its event's story (`events.story`), or the event itself when the event
//! has no row yet; every query here follows that rule. Queries that list articles for a page leave
//! the text and features out (`text` and `features` come back empty) so a story of thousands of
//! articles stays cheap; [`ReadQueries::article_full`] returns everything.

use rusqlite::{params, params_from_iter, OptionalExtension, Row};

use crate::sqlite::{article_from_row, link_row};
use crate::{ArticleRow, CopyRow, EntityRow, EventRow, LinkRow, Result, SqliteStore, StoreError};

/// Columns of an article without its text and features.
const BRIEF_COLUMNS: &str = "a.seq, a.id, a.path, a.record, a.url, a.title, '' AS text, a.lang, a.published, a.published_from, a.day, a.source, a.cited_source, a.content_hash, a.duplicate_of, a.event, '' AS features, a.evidence, a.entities, a.placed";
/// Every column of an article.
const FULL_COLUMNS: &str = "a.seq, a.id, a.path, a.record, a.url, a.title, a.text, a.lang, a.published, a.published_from, a.day, a.source, a.cited_source, a.content_hash, a.duplicate_of, a.event, a.features, a.evidence, a.entities, a.placed";

/// Articles whose story is `?1`: the events filed under the story, plus the event numbered like the
/// story when it has no event row (a story is named after its first event).
const STORY_EVENTS: &str = "SELECT id FROM events WHERE story = ?1 UNION SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = ?1)";

/// SQLite's limit on bound parameters is 32766; stay far below it.
const IN_CHUNK: usize = 500;

/// One story's size and date range, from one aggregate over the articles.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryStat {
    pub story: u64,
    pub articles: u64,
    pub events: u64,
    /// Earliest and latest explicit day. Inferred days are medians of an event's explicit days, so
    /// they never widen this range.
    pub first_day: Option<i64>,
    pub last_day: Option<i64>,
}

/// Read-side queries, implemented for [`SqliteStore`].
pub trait ReadQueries {
    /// Every story with its size and date range, in story order.
    fn story_stats(&self) -> Result<Vec<StoryStat>>;
    /// `(story, language, articles)` for every story; unknown languages are `"?"`.
    fn story_languages(&self) -> Result<Vec<(u64, String, u64)>>;
    /// The story an event belongs to.
    fn story_of_event(&self, event: u64) -> Result<u64>;
    /// The settle decisions of one story's events that linked them, by event id.
    fn story_links(&self, story: u64) -> Result<Vec<LinkRow>>;
    /// Articles of one story, without text, in arrival order.
    fn story_articles(&self, story: u64) -> Result<Vec<ArticleRow>>;
    /// The event rows of one story (events without a row are not listed).
    fn story_events(&self, story: u64) -> Result<Vec<EventRow>>;
    /// Articles by arrival number, without text, in arrival order.
    fn articles_by_seq(&self, seqs: &[u64]) -> Result<Vec<ArticleRow>>;
    /// One article with its text, by identity.
    fn article_full(&self, id: &str) -> Result<Option<ArticleRow>>;
    /// Explicit days of an event's articles, sorted (to derive inferred dates).
    fn event_days(&self, event: u64) -> Result<Vec<i64>>;
    /// Explicit days of the articles of these events, `(event, day)`, sorted.
    fn events_days(&self, events: &[u64]) -> Result<Vec<(u64, i64)>>;
    /// What these articles copied: copy rows whose `copy` is one of `seqs`.
    fn copies_from(&self, seqs: &[u64]) -> Result<Vec<CopyRow>>;
    /// Who copied these articles: copy rows whose `origin` is one of `seqs`.
    fn copied_by(&self, seqs: &[u64]) -> Result<Vec<CopyRow>>;
    /// Entities by id, in id order; unknown ids are skipped.
    fn entities_by_id(&self, ids: &[u64]) -> Result<Vec<EntityRow>>;
    /// Articles (without text) that mention an entity, newest arrival first.
    fn entity_articles(&self, entity: u64, limit: u64) -> Result<Vec<ArticleRow>>;
    /// Articles with text that arrived after `seq`, in arrival order, at most `limit`.
    fn articles_after(&self, seq: u64, limit: u64) -> Result<Vec<ArticleRow>>;
    /// The highest arrival number, 0 for an empty store.
    fn max_seq(&self) -> Result<u64>;
    /// Bytes of the database (pages in use and free).
    fn database_bytes(&self) -> Result<u64>;
}

fn err(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

fn copy_from_row(r: &Row<'_>) -> rusqlite::Result<CopyRow> {
    Ok(CopyRow {
        copy: r.get::<_, i64>(0)? as u64,
        origin: r.get::<_, i64>(1)? as u64,
        chars: r.get::<_, i64>(2)? as u64,
        passages: r.get(3)?,
        basis: r.get(4)?,
    })
}

fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 2);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push('?');
    }
    s
}

impl SqliteStore {
    /// Runs `sql` (with one `{in}` placeholder list) over `ids` in chunks, collecting rows.
    fn query_in<T>(
        &self,
        sql: &str,
        ids: &[u64],
        context: &'static str,
        map: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let text = sql.replace("{in}", &placeholders(chunk.len()));
            let mut stmt = self.conn().prepare_cached(&text).map_err(err(context))?;
            let rows = stmt
                .query_map(params_from_iter(chunk.iter().map(|v| *v as i64)), map)
                .map_err(err(context))?;
            for row in rows {
                out.push(row.map_err(err(context))?);
            }
        }
        Ok(out)
    }
}

impl ReadQueries for SqliteStore {
    fn story_stats(&self) -> Result<Vec<StoryStat>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT COALESCE(e.story, a.event) AS story, COUNT(*), COUNT(DISTINCT a.event), MIN(a.day), MAX(a.day)
                 FROM articles a LEFT JOIN events e ON e.id = a.event
                 GROUP BY story ORDER BY story",
            )
            .map_err(err("summing up stories"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoryStat {
                    story: r.get::<_, i64>(0)? as u64,
                    articles: r.get::<_, i64>(1)? as u64,
                    events: r.get::<_, i64>(2)? as u64,
                    first_day: r.get(3)?,
                    last_day: r.get(4)?,
                })
            })
            .map_err(err("summing up stories"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading story statistics"))
    }

    fn story_languages(&self) -> Result<Vec<(u64, String, u64)>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT COALESCE(e.story, a.event) AS story, COALESCE(a.lang, '?') AS lang, COUNT(*)
                 FROM articles a LEFT JOIN events e ON e.id = a.event
                 GROUP BY story, lang ORDER BY story, lang",
            )
            .map_err(err("counting story languages"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)? as u64,
                ))
            })
            .map_err(err("counting story languages"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading story languages"))
    }

    fn story_links(&self, story: u64) -> Result<Vec<LinkRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT l.event, l.linked, l.evidence FROM event_links l \
                 JOIN events e ON e.id = l.event \
                 WHERE e.story = ?1 AND l.linked IS NOT NULL ORDER BY l.event",
            )
            .map_err(err("listing a story's links"))?;
        let rows = stmt
            .query_map([story as i64], link_row)
            .map_err(err("listing a story's links"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading a link"))
    }

    fn story_of_event(&self, event: u64) -> Result<u64> {
        let story: Option<i64> = self
            .conn()
            .query_row(
                "SELECT story FROM events WHERE id = ?1",
                [event as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(err("reading an event's story"))?;
        Ok(story.map_or(event, |s| s as u64))
    }

    fn story_articles(&self, story: u64) -> Result<Vec<ArticleRow>> {
        let sql = format!(
            "SELECT {BRIEF_COLUMNS} FROM articles a WHERE a.event IN ({STORY_EVENTS}) ORDER BY a.seq"
        );
        let mut stmt = self
            .conn()
            .prepare_cached(&sql)
            .map_err(err("listing a story's articles"))?;
        let rows = stmt
            .query_map([story as i64], article_from_row)
            .map_err(err("listing a story's articles"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading a story's article"))
    }

    fn story_events(&self, story: u64) -> Result<Vec<EventRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id, story, evidence FROM events WHERE story = ?1 ORDER BY id")
            .map_err(err("listing a story's events"))?;
        let rows = stmt
            .query_map([story as i64], |r| {
                Ok(EventRow {
                    id: r.get::<_, i64>(0)? as u64,
                    story: r.get::<_, i64>(1)? as u64,
                    evidence: r.get(2)?,
                })
            })
            .map_err(err("listing a story's events"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading an event"))
    }

    fn articles_by_seq(&self, seqs: &[u64]) -> Result<Vec<ArticleRow>> {
        let mut out = self.query_in(
            &format!("SELECT {BRIEF_COLUMNS} FROM articles a WHERE a.seq IN ({{in}})"),
            seqs,
            "reading articles by number",
            article_from_row,
        )?;
        out.sort_by_key(|a| a.seq);
        out.dedup_by_key(|a| a.seq);
        Ok(out)
    }

    fn article_full(&self, id: &str) -> Result<Option<ArticleRow>> {
        self.conn()
            .query_row(
                &format!("SELECT {FULL_COLUMNS} FROM articles a WHERE a.id = ?1"),
                [id],
                article_from_row,
            )
            .optional()
            .map_err(err("reading an article"))
    }

    fn event_days(&self, event: u64) -> Result<Vec<i64>> {
        Ok(self
            .events_days(&[event])?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }

    fn events_days(&self, events: &[u64]) -> Result<Vec<(u64, i64)>> {
        let mut out = self.query_in(
            "SELECT event, day FROM articles WHERE event IN ({in}) AND day IS NOT NULL",
            events,
            "reading event days",
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)?)),
        )?;
        out.sort_unstable();
        Ok(out)
    }

    fn copies_from(&self, seqs: &[u64]) -> Result<Vec<CopyRow>> {
        let mut out = self.query_in(
            "SELECT copy, origin, chars, passages, basis FROM copies WHERE copy IN ({in})",
            seqs,
            "reading copies",
            copy_from_row,
        )?;
        out.sort_by_key(|c| (c.copy, c.origin));
        Ok(out)
    }

    fn copied_by(&self, seqs: &[u64]) -> Result<Vec<CopyRow>> {
        let mut out = self.query_in(
            "SELECT copy, origin, chars, passages, basis FROM copies WHERE origin IN ({in})",
            seqs,
            "reading copies",
            copy_from_row,
        )?;
        out.sort_by_key(|c| (c.origin, c.copy));
        Ok(out)
    }

    fn entities_by_id(&self, ids: &[u64]) -> Result<Vec<EntityRow>> {
        let mut out = self.query_in(
            "SELECT id, record FROM entities WHERE id IN ({in})",
            ids,
            "reading entities",
            |r| {
                Ok(EntityRow {
                    id: r.get::<_, i64>(0)? as u64,
                    record: r.get(1)?,
                })
            },
        )?;
        out.sort_by_key(|e| e.id);
        out.dedup_by_key(|e| e.id);
        Ok(out)
    }

    fn entity_articles(&self, entity: u64, limit: u64) -> Result<Vec<ArticleRow>> {
        // `entities` is `[[id, [surface, ...]], ...]`: an entry opens with `[id,[`.
        let pattern = format!("%[{entity},[%");
        let mut stmt = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {BRIEF_COLUMNS} FROM articles a WHERE a.entities LIKE ?1 ORDER BY a.seq DESC LIMIT ?2"
            ))
            .map_err(err("listing an entity's articles"))?;
        let rows = stmt
            .query_map(params![pattern, limit as i64], article_from_row)
            .map_err(err("listing an entity's articles"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading an entity's article"))
    }

    fn articles_after(&self, seq: u64, limit: u64) -> Result<Vec<ArticleRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {FULL_COLUMNS} FROM articles a WHERE a.seq > ?1 ORDER BY a.seq LIMIT ?2"
            ))
            .map_err(err("listing new articles"))?;
        let rows = stmt
            .query_map(params![seq as i64, limit as i64], article_from_row)
            .map_err(err("listing new articles"))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err("reading a new article"))
    }

    fn max_seq(&self) -> Result<u64> {
        self.conn()
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM articles", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(err("reading the last article number"))
    }

    fn database_bytes(&self) -> Result<u64> {
        let pages: i64 = self
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(err("reading the page count"))?;
        let size: i64 = self
            .conn()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(err("reading the page size"))?;
        Ok((pages.max(0) as u64) * (size.max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Batch, Store};

    fn article(seq: u64, id: &str, event: u64, day: Option<i64>, entities: &str) -> ArticleRow {
        ArticleRow {
            seq,
            id: id.to_string(),
            title: format!("t{seq}"),
            text: format!("text of {id}"),
            event,
            day,
            lang: Some("it".into()),
            features: "{}".into(),
            evidence: "null".into(),
            entities: entities.into(),
            ..ArticleRow::default()
        }
    }

    fn store() -> SqliteStore {
        let mut s = SqliteStore::in_memory().unwrap();
        s.write_batch(&Batch {
            articles: vec![
                article(1, "a", 1, Some(10), "[[7,[\"Lavrov\"]]]"),
                article(2, "b", 1, None, "[[8,[\"Blinken\"]],[7,[\"Lavrov\"]]]"),
                article(3, "c", 2, Some(14), "[]"),
                article(4, "d", 3, None, "[[17,[\"X\"]]]"),
            ],
            entities: vec![
                EntityRow {
                    id: 7,
                    record: "{}".into(),
                },
                EntityRow {
                    id: 8,
                    record: "{}".into(),
                },
            ],
            events: vec![
                EventRow {
                    id: 1,
                    story: 1,
                    evidence: "null".into(),
                },
                EventRow {
                    id: 2,
                    story: 1,
                    evidence: "{}".into(),
                },
            ],
            copies: vec![CopyRow {
                copy: 3,
                origin: 1,
                chars: 5,
                passages: "[]".into(),
                basis: Some("contained".into()),
            }],
            boilerplate: vec![],
            boilerplate_since: vec![],
            follow_matches: vec![],
            links: Vec::new(),
            moves: Vec::new(),
        })
        .unwrap();
        s
    }

    #[test]
    fn stories_follow_event_rows_and_fall_back_to_the_event() {
        let s = store();
        let stats = s.story_stats().unwrap();
        assert_eq!(
            stats,
            vec![
                StoryStat {
                    story: 1,
                    articles: 3,
                    events: 2,
                    first_day: Some(10),
                    last_day: Some(14)
                },
                StoryStat {
                    story: 3,
                    articles: 1,
                    events: 1,
                    first_day: None,
                    last_day: None
                },
            ]
        );
        let seqs: Vec<u64> = s.story_articles(1).unwrap().iter().map(|a| a.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3]);
        assert_eq!(s.story_articles(3).unwrap().len(), 1);
        // Event 2 has a row filed under story 1, so there is no story 2.
        assert!(s.story_articles(2).unwrap().is_empty());
        assert_eq!(s.story_of_event(2).unwrap(), 1);
        assert_eq!(s.story_of_event(3).unwrap(), 3);
        assert_eq!(s.story_events(1).unwrap().len(), 2);
        assert_eq!(
            s.story_languages().unwrap(),
            vec![(1, "it".to_string(), 3), (3, "it".to_string(), 1)]
        );
    }

    #[test]
    fn lookups_by_number_entity_and_copy() {
        let s = store();
        let briefs = s.articles_by_seq(&[3, 1, 3]).unwrap();
        assert_eq!(briefs.iter().map(|a| a.seq).collect::<Vec<_>>(), vec![1, 3]);
        assert!(briefs[0].text.is_empty());
        assert_eq!(s.article_full("a").unwrap().unwrap().text, "text of a");
        assert_eq!(s.copies_from(&[3]).unwrap().len(), 1);
        assert_eq!(s.copied_by(&[1]).unwrap()[0].copy, 3);
        assert!(s.copied_by(&[3]).unwrap().is_empty());
        let mentions: Vec<u64> = s
            .entity_articles(7, 10)
            .unwrap()
            .iter()
            .map(|a| a.seq)
            .collect();
        assert_eq!(mentions, vec![2, 1]);
        // Entity 1 is not entity 17.
        assert!(s.entity_articles(1, 10).unwrap().is_empty());
        assert_eq!(s.entities_by_id(&[8, 7, 99]).unwrap().len(), 2);
        assert_eq!(s.event_days(1).unwrap(), vec![10]);
        assert_eq!(s.events_days(&[2, 1]).unwrap(), vec![(1, 10), (2, 14)]);
        assert_eq!(s.max_seq().unwrap(), 4);
        assert_eq!(s.articles_after(2, 1).unwrap()[0].seq, 3);
        assert!(s.database_bytes().unwrap() > 0);
    }

    #[test]
    fn long_id_lists_are_chunked() {
        let s = store();
        let ids: Vec<u64> = (0..2000).collect();
        assert_eq!(s.articles_by_seq(&ids).unwrap().len(), 4);
    }
}
