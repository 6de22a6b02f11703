//! The read model behind the pages: a small in-memory catalog of stories and entities (no texts),
//! and per-request views built from indexed queries.
//!
//! A story or article view loads only the rows it shows into a [`Snapshot`], then lets the
//! engine's view code derive summaries, inferred dates and evidence, so the server and the CLI
//! agree on every field.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use nuntius_analysis::entities::EntityRecord;
use nuntius_engine::view::Snapshot;
use nuntius_model::{Passage, Published};
use nuntius_store::read::{ReadQueries, StoryStat};
use nuntius_store::{ArticleRow, SqliteStore};
use serde_json::{json, Value};

use crate::error::ApiError;

/// Buckets of a story's sparkline.
const SPARK_BUCKETS: usize = 24;

/// One story in the catalog: what the list filters and sorts on.
#[derive(Debug, Clone)]
pub struct StoryEntry {
    pub stat: StoryStat,
    pub languages: Vec<String>,
}

/// One entity in the catalog.
#[derive(Debug, Clone)]
pub struct EntityEntry {
    pub id: u64,
    pub name: String,
    pub kind: &'static str,
    pub articles: u32,
    /// Folded spellings, to filter by any of them.
    pub keys: Vec<String>,
}

/// Stories in list order (latest day first, then size, then id: the CLI's order) and entities by
/// article count. Rebuilt after every ingest.
#[derive(Debug, Default)]
pub struct Catalog {
    pub stories: Vec<StoryEntry>,
    pub entities: Vec<EntityEntry>,
    pub articles: u64,
    pub max_seq: u64,
}

impl Catalog {
    pub fn build(store: &SqliteStore) -> Result<Catalog, ApiError> {
        let mut languages: HashMap<u64, Vec<String>> = HashMap::new();
        for (story, lang, _) in store.story_languages()? {
            languages.entry(story).or_default().push(lang);
        }
        let mut stories: Vec<StoryEntry> = store
            .story_stats()?
            .into_iter()
            .map(|stat| StoryEntry {
                languages: languages.remove(&stat.story).unwrap_or_default(),
                stat,
            })
            .collect();
        stories.sort_by(|a, b| {
            b.stat
                .last_day
                .cmp(&a.stat.last_day)
                .then(b.stat.articles.cmp(&a.stat.articles))
                .then(a.stat.story.cmp(&b.stat.story))
        });
        let mut entities = Vec::new();
        for row in nuntius_store::Store::entities(store)? {
            let Ok(rec) = serde_json::from_str::<EntityRecord>(&row.record) else {
                continue;
            };
            entities.push(EntityEntry {
                id: row.id,
                name: rec.name(),
                kind: rec.kind.as_str(),
                articles: rec.articles,
                keys: rec.surfaces.keys().map(|s| fold(s)).collect(),
            });
        }
        entities.sort_by(|a, b| b.articles.cmp(&a.articles).then(a.id.cmp(&b.id)));
        let articles = stories.iter().map(|s| s.stat.articles).sum();
        Ok(Catalog {
            stories,
            entities,
            articles,
            max_seq: store.max_seq()?,
        })
    }
}

/// Lower case without diacritics (the common Latin ones), for filters typed by people.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ă' | 'ą' => 'a',
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ů' => 'u',
            'ç' | 'č' | 'ć' => 'c',
            'ș' | 'ş' | 'š' | 'ś' => 's',
            'ț' | 'ţ' => 't',
            'ž' | 'ź' | 'ż' => 'z',
            'ñ' | 'ń' => 'n',
            'ł' => 'l',
            'ř' => 'r',
            other => other,
        })
        .collect()
}

fn iso_day(d: i64) -> String {
    Published::from_day_number(d).to_iso()
}

/// Entity ids named in evidence details as `#123`.
fn entity_refs(evidence: &str, out: &mut BTreeSet<u64>) {
    let bytes = evidence.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#' {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if let Some(n) = evidence.get(start..end).and_then(|s| s.parse().ok()) {
                out.insert(n);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
}

fn median_days(days: Vec<(u64, i64)>) -> BTreeMap<u64, i64> {
    let mut by_event: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for (e, d) in days {
        by_event.entry(e).or_default().push(d);
    }
    by_event
        .into_iter()
        .map(|(e, mut v)| {
            v.sort_unstable();
            (e, v[(v.len() - 1) / 2])
        })
        .collect()
}

/// Loads the rows a view of `articles` needs into a [`Snapshot`]: the articles, the articles they
/// copy from or duplicate, their events and stories, the dated members of their events, and every
/// entity they or their evidence name.
fn snapshot_of(
    store: &SqliteStore,
    mut articles: Vec<ArticleRow>,
    with_evidence_entities: bool,
) -> Result<Snapshot, ApiError> {
    let seqs: Vec<u64> = articles.iter().map(|a| a.seq).collect();
    let own: BTreeSet<u64> = seqs.iter().copied().collect();
    let copies = store.copies_from(&seqs)?;
    let mut outside: BTreeSet<u64> = copies.iter().map(|c| c.origin).collect();
    outside.extend(articles.iter().filter_map(|a| a.duplicate_of));
    let outside: Vec<u64> = outside.difference(&own).copied().collect();
    articles.extend(store.articles_by_seq(&outside)?);

    let events: BTreeSet<u64> = articles.iter().map(|a| a.event).collect();
    let events: Vec<u64> = events.into_iter().collect();
    let mut event_story = BTreeMap::new();
    let mut event_evidence = BTreeMap::new();
    for e in &events {
        event_story.insert(*e, store.story_of_event(*e)?);
    }
    let stories: BTreeSet<u64> = event_story.values().copied().collect();
    // Every event of these stories, and their links: an event's linked group is in its story.
    let mut story_of_any = BTreeMap::new();
    let mut links = Vec::new();
    for s in stories {
        for row in store.story_events(s)? {
            story_of_any.insert(row.id, s);
            event_evidence.insert(row.id, row.evidence);
        }
        links.extend(store.story_links(s)?);
    }
    let event_day = median_days(store.events_days(&events)?);

    let mut entity_ids = BTreeSet::new();
    for a in &articles {
        if let Ok(list) = serde_json::from_str::<Vec<(u64, Vec<String>)>>(&a.entities) {
            entity_ids.extend(list.into_iter().map(|(e, _)| e));
        }
        if with_evidence_entities {
            entity_refs(&a.evidence, &mut entity_ids);
        }
    }
    if with_evidence_entities {
        for ev in event_evidence.values() {
            entity_refs(ev, &mut entity_ids);
        }
    }
    let ids: Vec<u64> = entity_ids.into_iter().collect();
    let mut entities = BTreeMap::new();
    for row in store.entities_by_id(&ids)? {
        if let Ok(rec) = serde_json::from_str::<EntityRecord>(&row.record) {
            entities.insert(row.id, rec);
        }
    }
    let copies_from = nuntius_engine::view::copies_by_copy(copies);
    let snap = Snapshot::from_parts(
        articles,
        entities,
        event_story,
        event_evidence,
        copies_from,
        event_day,
    );
    Ok(snap.with_links(nuntius_engine::view::link_roots(&links, &story_of_any)))
}

fn day_of(snap: &Snapshot, a: &ArticleRow) -> Option<i64> {
    a.day.or_else(|| snap.event_day.get(&a.event).copied())
}

/// Articles per bucket between the story's first and last day.
fn sparkline(days: &[i64]) -> Value {
    let (Some(first), Some(last)) = (days.iter().min(), days.iter().max()) else {
        return json!({"from": null, "to": null, "counts": []});
    };
    let span = (last - first + 1).max(1);
    let buckets = (span as usize).min(SPARK_BUCKETS);
    let mut counts = vec![0u64; buckets];
    for d in days {
        let i = ((d - first) as usize * buckets / span as usize).min(buckets - 1);
        counts[i] += 1;
    }
    json!({"from": iso_day(*first), "to": iso_day(*last), "counts": counts})
}

fn story_articles(store: &SqliteStore, story: u64) -> Result<Vec<ArticleRow>, ApiError> {
    let articles = store.story_articles(story)?;
    if articles.is_empty() {
        return Err(ApiError::StoryNotFound(story));
    }
    Ok(articles)
}

/// A story as the list shows it: the CLI's summary plus a sparkline of articles over time.
pub fn story_card(store: &SqliteStore, story: u64) -> Result<Value, ApiError> {
    let snap = snapshot_of(store, story_articles(store, story)?, false)?;
    card_of(&snap, story)
}

fn card_of(snap: &Snapshot, story: u64) -> Result<Value, ApiError> {
    let detail = snap
        .story_detail(story, false)
        .ok_or(ApiError::StoryNotFound(story))?;
    let mut card = detail["story"].clone();
    let days: Vec<i64> = snap
        .articles
        .iter()
        .filter(|a| snap.story_of(a) == story)
        .filter_map(|a| day_of(snap, a))
        .collect();
    card["sparkline"] = sparkline(&days);
    Ok(card)
}

/// Options of the story page.
#[derive(Debug, Clone, Copy)]
pub struct StoryPageOptions {
    /// Articles listed per event; the rest are counted in `more_articles`.
    pub articles_per_event: usize,
    /// The page of events: the first one shown (in time order) and how many.
    pub events_offset: usize,
    pub events_limit: usize,
}

/// Articles listed under `origins.independent` and `origins.copies` at most; the totals say how
/// many there are.
const ORIGINS_SHOWN: usize = 200;

/// One story in full: summary, events with their articles and evidence, the timeline, which
/// sources are independent and which copy, and the top entities.
pub fn story_page(
    store: &SqliteStore,
    story: u64,
    options: StoryPageOptions,
) -> Result<Value, ApiError> {
    let snap = snapshot_of(store, story_articles(store, story)?, true)?;
    let mut detail = snap
        .story_detail(story, true)
        .ok_or(ApiError::StoryNotFound(story))?;
    let card = card_of(&snap, story)?;
    detail["story"] = card;
    let members: Vec<&ArticleRow> = snap
        .articles
        .iter()
        .filter(|a| snap.story_of(a) == story)
        .collect();

    if let Some(events) = detail["events"].as_array_mut() {
        let total = events.len();
        let from = options.events_offset.min(total);
        let to = from.saturating_add(options.events_limit).min(total);
        events.truncate(to);
        events.drain(..from);
        detail["events_total"] = json!(total);
        detail["events_offset"] = json!(from);
    }
    if let Some(events) = detail["events"].as_array_mut() {
        for ev in events.iter_mut() {
            if let Some(list) = ev["articles"].as_array_mut() {
                let total = list.len();
                list.truncate(options.articles_per_event);
                ev["more_articles"] = json!(total - list.len());
                ev["article_count"] = json!(total);
            }
        }
    }

    // Timeline: articles per day per language.
    let mut per_day: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
    let mut undated = 0u64;
    for a in &members {
        match day_of(&snap, a) {
            Some(d) => {
                *per_day
                    .entry(d)
                    .or_default()
                    .entry(a.lang.clone().unwrap_or_else(|| "?".into()))
                    .or_default() += 1
            }
            None => undated += 1,
        }
    }
    detail["timeline"] = json!({
        "days": per_day.into_iter().map(|(d, langs)| json!({"date": iso_day(d), "languages": langs})).collect::<Vec<_>>(),
        "undated": undated,
    });

    // Independent origins vs copies.
    let mut independent = Vec::new();
    let mut copies = Vec::new();
    for a in &members {
        let copied: Vec<String> = snap
            .copies_from
            .get(&a.seq)
            .map(|l| {
                l.iter()
                    .filter_map(|c| snap.article(c.origin).map(|x| x.id.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let duplicate_of = a
            .duplicate_of
            .and_then(|s| snap.article(s))
            .map(|o| o.id.clone());
        if copied.is_empty() && duplicate_of.is_none() {
            independent.push(json!({"id": a.id, "source": a.source}));
        } else {
            copies.push(json!({"id": a.id, "source": a.source, "copies": copied, "duplicate_of": duplicate_of}));
        }
    }
    let (independent_total, copies_total) = (independent.len(), copies.len());
    independent.truncate(ORIGINS_SHOWN);
    copies.truncate(ORIGINS_SHOWN);
    detail["origins"] = json!({
        "independent": independent, "copies": copies,
        "independent_total": independent_total, "copies_total": copies_total,
    });

    // Top entities with their ids, for chips that link to the entity page.
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for a in &members {
        for (e, _) in snap.entities_of(a) {
            *counts.entry(e).or_default() += 1;
        }
    }
    let mut top: Vec<(u64, u64)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    detail["entities"] = top
        .into_iter()
        .take(20)
        .filter_map(|(id, n)| {
            let e = snap.entities.get(&id)?;
            Some(json!({"id": id, "name": e.name(), "kind": e.kind.as_str(), "articles": n}))
        })
        .collect();
    Ok(detail)
}

/// One article: the export record with its clean text, what it copied and who copied it, and the
/// text cut into segments that say which passages are shared with whom.
pub fn article_page(store: &SqliteStore, id: &str) -> Result<Value, ApiError> {
    let article = store
        .article_full(id)?
        .ok_or_else(|| ApiError::ArticleNotFound(id.to_string()))?;
    let seq = article.seq;
    let copied_by = store.copied_by(&[seq])?;
    let copier_seqs: Vec<u64> = copied_by.iter().map(|c| c.copy).collect();
    let copiers: BTreeMap<u64, ArticleRow> = store
        .articles_by_seq(&copier_seqs)?
        .into_iter()
        .map(|a| (a.seq, a))
        .collect();
    let snap = snapshot_of(store, vec![article], false)?;
    let Some(a) = snap.article(seq) else {
        return Err(ApiError::ArticleNotFound(id.to_string()));
    };
    let mut record = snap.export_record(a);
    let text = if a.text.trim().is_empty() {
        &a.title
    } else {
        &a.text
    };

    // Ranges of this text shared with others: as the copy (its own side of the passage) and as
    // the origin (the other side of the copier's passage).
    let mut ranges: Vec<(usize, usize, String, &'static str)> = Vec::new();
    let mut copies_from = Vec::new();
    for c in snap.copies_from.get(&seq).into_iter().flatten() {
        let Some(o) = snap.article(c.origin) else {
            continue;
        };
        for p in &c.passages {
            ranges.push((
                p.start as usize,
                p.end as usize,
                o.id.clone(),
                "copied_from",
            ));
        }
        copies_from.push(json!({"id": o.id, "title": o.title, "source": o.source, "chars": c.chars, "basis": c.basis}));
    }
    let mut copied = Vec::new();
    for c in &copied_by {
        let Some(o) = copiers.get(&c.copy) else {
            continue;
        };
        let passages: Vec<Passage> = serde_json::from_str(&c.passages).unwrap_or_default();
        for p in &passages {
            ranges.push((
                p.other_start as usize,
                p.other_end as usize,
                o.id.clone(),
                "copied_by",
            ));
        }
        copied.push(json!({"id": o.id, "title": o.title, "source": o.source, "chars": c.chars, "basis": c.basis}));
    }
    record["copied_from_articles"] = json!(copies_from);
    record["copied_by"] = json!(copied);
    record["segments"] = json!(segments(text, &ranges));
    Ok(record)
}

/// Cuts `text` at every passage boundary; each segment lists the articles it is shared with.
fn segments(text: &str, ranges: &[(usize, usize, String, &'static str)]) -> Vec<Value> {
    let mut cuts: BTreeSet<usize> = BTreeSet::new();
    cuts.insert(0);
    cuts.insert(text.len());
    for (s, e, _, _) in ranges {
        for b in [*s, *e] {
            if b <= text.len() && text.is_char_boundary(b) {
                cuts.insert(b);
            }
        }
    }
    let cuts: Vec<usize> = cuts.into_iter().collect();
    let mut out: Vec<Value> = Vec::new();
    for w in cuts.windows(2) {
        let (s, e) = (w[0], w[1]);
        let Some(piece) = text.get(s..e) else {
            continue;
        };
        let mut from = BTreeSet::new();
        let mut by = BTreeSet::new();
        for (rs, re, other, side) in ranges {
            if *rs <= s && e <= *re {
                if *side == "copied_from" {
                    from.insert(other.clone());
                } else {
                    by.insert(other.clone());
                }
            }
        }
        out.push(json!({"text": piece, "copied_from": from, "copied_by": by}));
    }
    out
}

/// One entity: every spelling with its count, and the latest articles that mention it.
pub fn entity_page(store: &SqliteStore, id: u64, articles: u64) -> Result<Value, ApiError> {
    let row = store
        .entities_by_id(&[id])?
        .into_iter()
        .next()
        .ok_or(ApiError::EntityNotFound(id))?;
    let rec: EntityRecord = serde_json::from_str(&row.record)
        .map_err(|e| ApiError::Internal(format!("entity {id} is unreadable: {e}")))?;
    let mut spellings: Vec<(&String, &u32)> = rec.surfaces.iter().collect();
    spellings.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mentions = store.entity_articles(id, articles)?;
    let mut list = Vec::new();
    for a in &mentions {
        list.push(json!({
            "id": a.id, "title": a.title, "lang": a.lang, "source": a.source,
            "published": a.published, "story": store.story_of_event(a.event)?,
        }));
    }
    Ok(json!({
        "id": id,
        "name": rec.name(),
        "kind": rec.kind.as_str(),
        "article_count": rec.articles,
        "spellings": spellings.into_iter().map(|(s, n)| json!({"spelling": s, "count": n})).collect::<Vec<_>>(),
        "articles": list,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_mark_shared_passages() {
        let ranges = vec![
            (4, 9, "x".to_string(), "copied_from"),
            (6, 12, "y".to_string(), "copied_by"),
        ];
        let segs = segments("abc defghi jklm", &ranges);
        let texts: Vec<&str> = segs.iter().map(|s| s["text"].as_str().unwrap()).collect();
        assert_eq!(texts, vec!["abc ", "de", "fgh", "i j", "klm"]);
        assert_eq!(segs[2]["copied_from"], json!(["x"]));
        assert_eq!(segs[2]["copied_by"], json!(["y"]));
        assert_eq!(segs[4]["copied_by"], json!([]));
    }

    #[test]
    fn out_of_range_or_split_characters_are_ignored() {
        let segs = segments("ñx", &[(1, 99, "x".to_string(), "copied_from")]);
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0]["text"], "ñx");
    }

    #[test]
    fn evidence_names_entities_with_a_hash() {
        let mut out = BTreeSet::new();
        entity_refs("shared #12 #7; #x ##3", &mut out);
        assert_eq!(out.into_iter().collect::<Vec<_>>(), vec![3, 7, 12]);
    }

    #[test]
    fn sparkline_spreads_days_over_buckets() {
        let s = sparkline(&[0, 0, 1, 100]);
        assert_eq!(s["counts"].as_array().unwrap().len(), SPARK_BUCKETS);
        assert_eq!(s["counts"][0], 3);
        assert_eq!(sparkline(&[])["counts"], json!([]));
    }
}
