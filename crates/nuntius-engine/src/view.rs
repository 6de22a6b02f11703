//! Read-side views over a store: the export records, story summaries and story details that the
//! CLI prints. Inferred dates are derived here from each event's dated members, so they follow
//! the events as they grow.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, Result};
use nuntius_analysis::entities::EntityRecord;
use nuntius_model::{Passage, Published};
use nuntius_store::{ArticleRow, Store};
use serde::Serialize;
use serde_json::{json, Value};

/// Everything the views need, loaded once.
pub struct Snapshot {
    pub articles: Vec<ArticleRow>,
    pub by_seq: HashMap<u64, usize>,
    pub entities: BTreeMap<u64, EntityRecord>,
    pub event_story: BTreeMap<u64, u64>,
    pub event_evidence: BTreeMap<u64, String>,
    /// copy seq → [(origin seq, chars, passages)]
    pub copies_from: BTreeMap<u64, Vec<(u64, u64, Vec<Passage>)>>,
    pub event_day: BTreeMap<u64, i64>,
}

impl Snapshot {
    pub fn load(store: &dyn Store) -> Result<Snapshot> {
        let mut articles = Vec::new();
        store.for_each_article(&mut |a| articles.push(a))?;
        let by_seq = articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a.seq, i))
            .collect();
        let mut entities = BTreeMap::new();
        for e in store.entities()? {
            let rec: EntityRecord = serde_json::from_str(&e.record)
                .with_context(|| format!("entity {} is unreadable", e.id))?;
            entities.insert(e.id, rec);
        }
        let mut event_story = BTreeMap::new();
        let mut event_evidence = BTreeMap::new();
        for e in store.events()? {
            event_story.insert(e.id, e.story);
            event_evidence.insert(e.id, e.evidence);
        }
        let mut copies_from: BTreeMap<u64, Vec<(u64, u64, Vec<Passage>)>> = BTreeMap::new();
        for c in store.copies()? {
            let passages: Vec<Passage> = serde_json::from_str(&c.passages).unwrap_or_default();
            copies_from
                .entry(c.copy)
                .or_default()
                .push((c.origin, c.chars, passages));
        }
        let mut days: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
        for a in &articles {
            if let Some(d) = a.day {
                days.entry(a.event).or_default().push(d);
            }
        }
        let event_day = days
            .into_iter()
            .map(|(e, mut v)| {
                v.sort_unstable();
                (e, v[(v.len() - 1) / 2])
            })
            .collect();
        Ok(Snapshot {
            articles,
            by_seq,
            entities,
            event_story,
            event_evidence,
            copies_from,
            event_day,
        })
    }

    pub fn article(&self, seq: u64) -> Option<&ArticleRow> {
        self.by_seq.get(&seq).map(|i| &self.articles[*i])
    }

    pub fn story_of(&self, a: &ArticleRow) -> u64 {
        self.event_story.get(&a.event).copied().unwrap_or(a.event)
    }

    /// Published date and where it came from; an undated article in a dated event takes the event's date.
    pub fn published(&self, a: &ArticleRow) -> (Option<String>, Option<String>) {
        if a.published.is_some() {
            return (a.published.clone(), a.published_from.clone());
        }
        match self.event_day.get(&a.event) {
            Some(d) => (
                Some(Published::from_day_number(*d).to_iso()),
                Some("inferred".to_string()),
            ),
            None => (None, None),
        }
    }

    fn day_of(&self, a: &ArticleRow) -> Option<i64> {
        a.day.or_else(|| self.event_day.get(&a.event).copied())
    }

    pub fn entities_of(&self, a: &ArticleRow) -> Vec<(u64, Vec<String>)> {
        serde_json::from_str(&a.entities).unwrap_or_default()
    }

    /// The export record (the contract in the README).
    pub fn export_record(&self, a: &ArticleRow) -> Value {
        let (published, from) = self.published(a);
        let copies: Vec<Value> = self
            .copies_from
            .get(&a.seq)
            .map(|list| {
                list.iter()
                    .filter_map(|(origin, chars, passages)| {
                        let o = self.article(*origin)?;
                        let texts: Vec<&str> = passages
                            .iter()
                            .filter_map(|p| body_or_title(a).get(p.start as usize..p.end as usize))
                            .collect();
                        Some(json!({"id": o.id, "passages": texts, "chars": chars}))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let entities: Vec<Value> = self
            .entities_of(a)
            .into_iter()
            .filter_map(|(id, mentions)| {
                let e = self.entities.get(&id)?;
                Some(json!({"id": id, "name": e.name(), "kind": e.kind.as_str(), "mentions": mentions}))
            })
            .collect();
        json!({
            "id": a.id,
            "path": a.path,
            "url": a.url,
            "title": a.title,
            "lang": a.lang,
            "published": published,
            "published_from": from,
            "source": a.source,
            "cited_source": a.cited_source,
            "event": a.event,
            "story": self.story_of(a),
            "duplicate_of": a.duplicate_of.and_then(|s| self.article(s)).map(|o| o.id.clone()),
            "copies_from": copies,
            "entities": entities,
            "text": a.text,
        })
    }

    /// Stories, newest first (by latest known day, then by id).
    pub fn stories(&self) -> Vec<StorySummary> {
        let mut by_story: BTreeMap<u64, Vec<&ArticleRow>> = BTreeMap::new();
        for a in &self.articles {
            by_story.entry(self.story_of(a)).or_default().push(a);
        }
        let mut out: Vec<StorySummary> = by_story
            .into_iter()
            .map(|(id, arts)| self.summarise(id, &arts))
            .collect();
        out.sort_by(|a, b| {
            b.last_day
                .cmp(&a.last_day)
                .then(b.articles.cmp(&a.articles))
                .then(a.id.cmp(&b.id))
        });
        out
    }

    fn summarise(&self, id: u64, arts: &[&ArticleRow]) -> StorySummary {
        let mut events: BTreeMap<u64, Vec<&ArticleRow>> = BTreeMap::new();
        for a in arts {
            events.entry(a.event).or_default().push(a);
        }
        let days: Vec<i64> = arts.iter().filter_map(|a| self.day_of(a)).collect();
        let mut langs: BTreeMap<String, usize> = BTreeMap::new();
        let mut sources = BTreeSet::new();
        let mut independent = BTreeSet::new();
        for a in arts {
            *langs
                .entry(a.lang.clone().unwrap_or_else(|| "?".into()))
                .or_default() += 1;
            let src = a.source.clone().unwrap_or_else(|| a.id.clone());
            sources.insert(src.clone());
            if !self.copies_from.contains_key(&a.seq) && a.duplicate_of.is_none() {
                independent.insert(src);
            }
        }
        // The headline: the title of an original (not a duplicate or copy) from a known source
        // (an anonymous page is more often a rewrite, misspellings and all), sharing most
        // entities with the rest of the story.
        let mut entity_counts: HashMap<u64, usize> = HashMap::new();
        for a in arts {
            for (e, _) in self.entities_of(a) {
                *entity_counts.entry(e).or_default() += 1;
            }
        }
        let headline = arts
            .iter()
            .max_by_key(|a| {
                let central: usize = self
                    .entities_of(a)
                    .iter()
                    .map(|(e, _)| entity_counts.get(e).copied().unwrap_or(0))
                    .sum();
                (
                    a.duplicate_of.is_none(),
                    !self.copies_from.contains_key(&a.seq),
                    a.source.is_some(),
                    central,
                    std::cmp::Reverse(a.seq),
                )
            })
            .map(|a| a.title.clone())
            .unwrap_or_default();
        let mut top: Vec<(usize, u64)> = entity_counts.into_iter().map(|(e, n)| (n, e)).collect();
        top.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        StorySummary {
            id,
            headline,
            articles: arts.len(),
            events: events.len(),
            first_day: days
                .iter()
                .min()
                .map(|d| Published::from_day_number(*d).to_iso()),
            last_day: days
                .iter()
                .max()
                .map(|d| Published::from_day_number(*d).to_iso()),
            languages: langs,
            sources: sources.len(),
            independent_sources: independent.len(),
            top_entities: top
                .into_iter()
                .take(8)
                .filter_map(|(_, e)| self.entities.get(&e).map(EntityRecord::name))
                .collect(),
        }
    }

    /// One story in detail: its events in time order with their articles.
    pub fn story_detail(&self, story: u64, why: bool) -> Option<Value> {
        let arts: Vec<&ArticleRow> = self
            .articles
            .iter()
            .filter(|a| self.story_of(a) == story)
            .collect();
        if arts.is_empty() {
            return None;
        }
        let summary = self.summarise(story, &arts);
        let mut events: BTreeMap<u64, Vec<&ArticleRow>> = BTreeMap::new();
        for a in &arts {
            events.entry(a.event).or_default().push(a);
        }
        let mut event_list: Vec<(Option<i64>, u64, Vec<&ArticleRow>)> = events
            .into_iter()
            .map(|(e, v)| (self.event_day.get(&e).copied(), e, v))
            .collect();
        event_list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let events: Vec<Value> = event_list
            .into_iter()
            .map(|(day, e, members)| {
                let articles: Vec<Value> = members
                    .iter()
                    .map(|a| {
                        let (published, from) = self.published(a);
                        let copies: Vec<String> = self
                            .copies_from
                            .get(&a.seq)
                            .map(|l| l.iter().filter_map(|(o, _, _)| self.article(*o).map(|x| x.id.clone())).collect())
                            .unwrap_or_default();
                        let mut v = json!({
                            "id": a.id, "title": a.title, "lang": a.lang, "source": a.source,
                            "published": published, "published_from": from,
                            "copies": copies,
                            "duplicate_of": a.duplicate_of.and_then(|s| self.article(s)).map(|o| o.id.clone()),
                        });
                        if why {
                            v["why"] = self.explain(&a.evidence);
                        }
                        v
                    })
                    .collect();
                let mut ev = json!({
                    "event": e,
                    "date": day.map(|d| Published::from_day_number(d).to_iso()),
                    "articles": articles,
                });
                if why {
                    if let Some(evidence) = self.event_evidence.get(&e) {
                        ev["why_in_story"] = self.explain(evidence);
                    }
                }
                ev
            })
            .collect();
        Some(json!({ "story": summary, "events": events }))
    }

    /// Evidence JSON with entity numbers replaced by names.
    fn explain(&self, evidence: &str) -> Value {
        let mut v: Value = serde_json::from_str(evidence).unwrap_or(Value::Null);
        let ev = if v.get("evidence").is_some() {
            &mut v["evidence"]
        } else {
            &mut v
        };
        if let Some(details) = ev.get_mut("details").and_then(Value::as_array_mut) {
            for d in details.iter_mut() {
                if let Some(s) = d.as_str() {
                    let named: Vec<String> = s
                        .split(' ')
                        .map(|w| {
                            w.strip_prefix('#')
                                .and_then(|n| n.parse::<u64>().ok())
                                .and_then(|n| self.entities.get(&n))
                                .map_or_else(|| w.to_string(), |e| format!("{};", e.name()))
                        })
                        .collect();
                    *d = Value::String(named.join(" ").trim_end_matches(';').to_string());
                }
            }
        }
        v
    }
}

fn body_or_title(a: &ArticleRow) -> &str {
    if a.text.trim().is_empty() {
        &a.title
    } else {
        &a.text
    }
}

#[derive(Debug, Serialize)]
pub struct StorySummary {
    pub id: u64,
    pub headline: String,
    pub articles: usize,
    pub events: usize,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub languages: BTreeMap<String, usize>,
    pub sources: usize,
    pub independent_sources: usize,
    pub top_entities: Vec<String>,
}
