//! Read-side views over a store: the export records, story summaries and story details that the
//! CLI prints. Inferred dates are derived here from each event's dated members, so they follow
//! the events as they grow.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, Result};
use nuntius_analysis::entities::EntityRecord;
use nuntius_analysis::headline::SiteAffixes;
use nuntius_cluster::LinkGroups;
use nuntius_model::{Passage, Published};
use nuntius_store::{ArticleRow, CopyRow, LinkRow, Store};
use serde::Serialize;
use serde_json::{json, Value};

/// Everything the views need, loaded once.
pub struct Snapshot {
    pub articles: Vec<ArticleRow>,
    pub by_seq: HashMap<u64, usize>,
    pub entities: BTreeMap<u64, EntityRecord>,
    pub event_story: BTreeMap<u64, u64>,
    pub event_evidence: BTreeMap<u64, String>,
    /// copy seq → what it copied from whom, and why it is the copy.
    pub copies_from: CopiesFrom,
    pub event_day: BTreeMap<u64, i64>,
    /// Story → the earlier story it continues, from the decision that started it.
    pub story_continues: BTreeMap<u64, u64>,
    /// Event → its headline per language, the event's own language first (see `event_headlines`).
    pub event_headlines: BTreeMap<u64, Vec<(String, String)>>,
    /// Event → its most representative article (seq).
    pub event_central: BTreeMap<u64, u64>,
    /// Site names and sections learned from the titles, stripped from headlines.
    pub affixes: SiteAffixes,
    /// Event → the event its linked group (events in other languages reporting the same
    /// happening) is known by, for linked events only.
    pub event_root: BTreeMap<u64, u64>,
    /// Linked group root → its events in id order (the inverse of `event_root`).
    pub link_groups: BTreeMap<u64, Vec<u64>>,
}

/// One copy relation as the views show it: the original it copies, the copied characters and
/// passages, and the rule that made this side the copy (`nuntius_dedup::Basis` name; `None` when
/// the store predates it).
#[derive(Debug, Clone, PartialEq)]
pub struct CopyOf {
    pub origin: u64,
    pub chars: u64,
    pub passages: Vec<Passage>,
    pub basis: Option<String>,
}

/// Copy relations by the copy's seq.
pub type CopiesFrom = BTreeMap<u64, Vec<CopyOf>>;

/// Event → the smallest event id it is linked with, through any chain of stored links between
/// events of one story, for every linked event. (A link whose ends are in different stories
/// was made before one end left memory and the other moved on: it no longer joins them.)
pub fn link_roots(rows: &[LinkRow], event_story: &BTreeMap<u64, u64>) -> BTreeMap<u64, u64> {
    let links: BTreeMap<u64, u64> = rows
        .iter()
        .filter_map(|r| Some((r.event, r.linked?)))
        .filter(|(a, b)| event_story.get(a) == event_story.get(b))
        .collect();
    let groups = LinkGroups::of(&links);
    links
        .iter()
        .flat_map(|(a, b)| [*a, *b])
        .map(|e| (e, groups.root(e)))
        .collect()
}

/// Stored copy rows grouped by copy.
pub fn copies_by_copy(rows: impl IntoIterator<Item = CopyRow>) -> CopiesFrom {
    let mut copies_from = CopiesFrom::new();
    for c in rows {
        copies_from.entry(c.copy).or_default().push(CopyOf {
            origin: c.origin,
            chars: c.chars,
            passages: serde_json::from_str(&c.passages).unwrap_or_default(),
            basis: c.basis,
        });
    }
    copies_from
}

impl Snapshot {
    /// Every article (without its stored features, which no view reads) and what the views
    /// derive from them.
    pub fn load(store: &dyn Store) -> Result<Snapshot> {
        Snapshot::load_with(store, true)
    }

    /// The same without the articles' texts: for a pass that reads each article whole from the
    /// store as it goes (the export), so the texts are never all held at once.
    pub fn load_without_text(store: &dyn Store) -> Result<Snapshot> {
        Snapshot::load_with(store, false)
    }

    fn load_with(store: &dyn Store, text: bool) -> Result<Snapshot> {
        let mut articles = Vec::new();
        store.for_each_article_brief(text, &mut |a| articles.push(a))?;
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
        let copies_from = copies_by_copy(store.copies()?);
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
        let snap = Snapshot::from_parts(
            articles,
            entities,
            event_story,
            event_evidence,
            copies_from,
            event_day,
        );
        let roots = link_roots(&store.event_links()?, &snap.event_story);
        Ok(snap.with_links(roots))
    }

    /// Sets the linked groups (`event_root`) and gives each linked event the headlines of the
    /// events it is linked with, one per language it lacks (the events in id order).
    pub fn with_links(mut self, roots: BTreeMap<u64, u64>) -> Snapshot {
        let mut groups: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (e, r) in &roots {
            groups.entry(*r).or_default().push(*e);
        }
        for members in groups.values() {
            let own: Vec<(u64, (String, String))> = members
                .iter()
                .filter_map(|e| {
                    let first = self.event_headlines.get(e)?.first()?.clone();
                    Some((*e, first))
                })
                .collect();
            for e in members {
                let Some(list) = self.event_headlines.get_mut(e) else {
                    continue;
                };
                for (other, (lang, title)) in &own {
                    if other != e && !list.iter().any(|(l, _)| l == lang) {
                        list.push((lang.clone(), title.clone()));
                    }
                }
            }
        }
        self.event_root = roots;
        self.link_groups = groups;
        self
    }

    /// A snapshot of the given rows, deriving what the views compute from them: continued
    /// stories (from the story decisions in `event_evidence`) and event headlines.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        articles: Vec<ArticleRow>,
        entities: BTreeMap<u64, EntityRecord>,
        event_story: BTreeMap<u64, u64>,
        event_evidence: BTreeMap<u64, String>,
        copies_from: CopiesFrom,
        event_day: BTreeMap<u64, i64>,
    ) -> Snapshot {
        let by_seq = articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a.seq, i))
            .collect();
        let mut story_continues = BTreeMap::new();
        for evidence in event_evidence.values() {
            if let Ok(d) = serde_json::from_str::<nuntius_cluster::StoryDecision>(evidence) {
                if let (true, Some(old)) = (d.new_story, d.continues) {
                    // Filed under the story the decision started: the event may since have
                    // moved to another story with a link.
                    story_continues.insert(d.story, old);
                }
            }
        }
        let affixes = SiteAffixes::learn(
            articles
                .iter()
                .map(|a| (source_key(a), a.title.as_str()))
                .collect::<Vec<_>>()
                .iter()
                .map(|(k, t)| (k.as_str(), *t)),
        );
        let (event_headlines, event_central) = event_headlines(&articles, &affixes, &copies_from);
        Snapshot {
            articles,
            by_seq,
            entities,
            event_story,
            event_evidence,
            copies_from,
            event_day,
            story_continues,
            event_headlines,
            event_central,
            affixes,
            event_root: BTreeMap::new(),
            link_groups: BTreeMap::new(),
        }
    }

    /// The event an article is in, as the export says: its linked group's (see `event_root`).
    pub fn event_of(&self, a: &ArticleRow) -> u64 {
        self.event_root.get(&a.event).copied().unwrap_or(a.event)
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

    /// An article's title without its site's name and section.
    pub fn clean_title(&self, a: &ArticleRow) -> String {
        clean_title(&self.affixes, a)
    }

    /// An event's headline in its own language, if it has a title.
    pub fn event_headline(&self, event: u64) -> Option<&str> {
        self.event_headlines
            .get(&event)
            .and_then(|h| h.first())
            .map(|(_, t)| t.as_str())
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
                    .filter_map(|c| {
                        let o = self.article(c.origin)?;
                        let texts: Vec<&str> = c
                            .passages
                            .iter()
                            .filter_map(|p| body_or_title(a).get(p.start as usize..p.end as usize))
                            .collect();
                        Some(json!({"id": o.id, "passages": texts, "chars": c.chars, "basis": c.basis}))
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
            "event": self.event_of(a),
            "story": self.story_of(a),
            "event_headline": self.event_headline(a.event),
            "continues_story": self.story_continues.get(&self.story_of(a)),
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
        let mut entity_counts: HashMap<u64, usize> = HashMap::new();
        for a in arts {
            for (e, _) in self.entities_of(a) {
                *entity_counts.entry(e).or_default() += 1;
            }
        }
        // The main events: largest first, then earliest; the headline is the first one's, and
        // the summary is drawn from the first three.
        let mut main: Vec<(usize, u64)> = events.iter().map(|(e, m)| (m.len(), *e)).collect();
        main.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        // The headline: the title of an original (not a duplicate or copy) from a known source
        // (an anonymous page is more often a rewrite, misspellings and all), sharing most
        // entities with the rest of the story; its event's headline is that title cleaned.
        let headline_article = arts.iter().max_by_key(|a| {
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
        });
        let headline = headline_article
            .map(|a| self.clean_title(a))
            .unwrap_or_default();
        let summary: Vec<String> = main
            .iter()
            .filter_map(|(_, e)| {
                let central = self.event_central.get(e).and_then(|s| self.article(*s))?;
                let sentence = first_sentence(&central.text);
                if sentence.is_empty() {
                    self.event_headline(*e).map(str::to_string)
                } else {
                    Some(sentence)
                }
            })
            .filter(|s| !s.is_empty())
            .take(3)
            .collect();
        let mut top: Vec<(usize, u64)> = entity_counts.into_iter().map(|(e, n)| (n, e)).collect();
        top.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        StorySummary {
            id,
            headline,
            summary,
            continues_story: self.story_continues.get(&id).copied(),
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
                            .map(|l| l.iter().filter_map(|c| self.article(c.origin).map(|x| x.id.clone())).collect())
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
                let headlines: BTreeMap<&str, &str> = self
                    .event_headlines
                    .get(&e)
                    .into_iter()
                    .flatten()
                    .map(|(l, t)| (l.as_str(), t.as_str()))
                    .collect();
                let linked: Vec<u64> = self
                    .event_root
                    .get(&e)
                    .and_then(|root| self.link_groups.get(root))
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|x| *x != e)
                    .collect();
                let mut ev = json!({
                    "event": e,
                    "headline": self.event_headline(e),
                    "headlines": headlines,
                    "linked": linked,
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

/// Each event's headline per language and its most representative article. The representative
/// title is the one whose words the event's other titles share most (originals before copies
/// and duplicates, then the lower seq), with the site's name and section stripped (affixes
/// learned per source over every stored title). The event's own language is that of its
/// representative article; each other language present gets its own, chosen the same way.
/// An article's title without its site's name and section, as `affixes` learnt them.
fn clean_title(affixes: &SiteAffixes, a: &ArticleRow) -> String {
    let k = source_key(a);
    let domain = a
        .url
        .as_deref()
        .and_then(nuntius_analysis::source::domain_of);
    let names: Vec<&str> = [Some(k.as_str()), domain.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    affixes.strip(&k, &names, &a.title).to_string()
}

#[allow(clippy::type_complexity)]
fn event_headlines(
    articles: &[ArticleRow],
    affixes: &SiteAffixes,
    copies: &CopiesFrom,
) -> (BTreeMap<u64, Vec<(String, String)>>, BTreeMap<u64, u64>) {
    let clean = |a: &ArticleRow| clean_title(affixes, a);
    let mut by_event: BTreeMap<u64, Vec<&ArticleRow>> = BTreeMap::new();
    for a in articles {
        by_event.entry(a.event).or_default().push(a);
    }
    let mut headlines = BTreeMap::new();
    let mut central = BTreeMap::new();
    for (e, members) in by_event {
        let words = |t: &str| -> BTreeSet<String> {
            t.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.chars().count() > 2)
                .map(str::to_lowercase)
                .collect()
        };
        let titles: Vec<(&ArticleRow, String, BTreeSet<String>)> = members
            .iter()
            .map(|a| {
                let t = clean(a);
                let w = words(&t);
                (*a, t, w)
            })
            .collect();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for (_, _, w) in &titles {
            for x in w {
                *df.entry(x.as_str()).or_default() += 1;
            }
        }
        // Shared words per word, so a long title does not win by length alone.
        let score = |w: &BTreeSet<String>| -> f64 {
            let shared: usize = w
                .iter()
                .map(|x| df.get(x.as_str()).copied().unwrap_or(1) - 1)
                .sum();
            shared as f64 / (w.len().max(1) as f64).sqrt()
        };
        let best_of = |lang: Option<&str>| {
            titles
                .iter()
                .filter(|(a, t, _)| {
                    !t.is_empty() && lang.is_none_or(|l| a.lang.as_deref() == Some(l))
                })
                .max_by(|x, y| {
                    let original =
                        |a: &ArticleRow| (a.duplicate_of.is_none(), !copies.contains_key(&a.seq));
                    original(x.0)
                        .cmp(&original(y.0))
                        .then(score(&x.2).total_cmp(&score(&y.2)))
                        .then(y.0.seq.cmp(&x.0.seq))
                })
        };
        let Some((top, title, _)) = best_of(None) else {
            continue;
        };
        central.insert(e, top.seq);
        let own = top.lang.clone().unwrap_or_default();
        let mut list = vec![(own.clone(), title.clone())];
        let langs: BTreeSet<&str> = members.iter().filter_map(|a| a.lang.as_deref()).collect();
        for l in langs {
            if l != own {
                if let Some((_, t, _)) = best_of(Some(l)) {
                    list.push((l.to_string(), t.clone()));
                }
            }
        }
        headlines.insert(e, list);
    }
    (headlines, central)
}

/// What title affixes are learned per: the source's name, else its domain, else "" (unknown).
fn source_key(a: &ArticleRow) -> String {
    a.source
        .clone()
        .or_else(|| {
            a.url
                .as_deref()
                .and_then(nuntius_analysis::source::domain_of)
        })
        .unwrap_or_default()
}

/// The first sentence of a text (at most 300 characters), for a story's summary.
fn first_sentence(text: &str) -> String {
    const MAX: usize = 300;
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|(i, c)| matches!(c, '.' | '!' | '?') && t[i + 1..].starts_with(' ') && *i > 20)
        .map_or(t.len(), |(i, _)| i + 1);
    let s = &t[..end];
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("{}…", cut.trim_end())
    } else {
        s.to_string()
    }
}

#[derive(Debug, Serialize)]
pub struct StorySummary {
    pub id: u64,
    pub headline: String,
    /// Two or three sentences from the story's main events (their headlines for title-only
    /// stories).
    pub summary: Vec<String>,
    /// The earlier story this one continues, if any.
    pub continues_story: Option<u64>,
    pub articles: usize,
    pub events: usize,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub languages: BTreeMap<String, usize>,
    pub sources: usize,
    pub independent_sources: usize,
    pub top_entities: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(seq: u64, event: u64, lang: &str, title: &str) -> ArticleRow {
        ArticleRow {
            seq,
            id: format!("a{seq}"),
            title: title.into(),
            lang: Some(lang.into()),
            event,
            features: "{}".into(),
            evidence: "null".into(),
            entities: "[]".into(),
            ..ArticleRow::default()
        }
    }

    #[test]
    fn linked_events_share_an_id_and_lend_their_headlines() {
        let articles = vec![
            article(
                1,
                1,
                "en",
                "Floods in Lagos force 40 families from their homes",
            ),
            article(
                2,
                2,
                "de",
                "Lagos: Behörden bringen 40 Familien in Sicherheit",
            ),
            article(3, 3, "de", "Bahnstreik in Lima"),
        ];
        let stories: BTreeMap<u64, u64> = [(1, 1), (2, 1), (3, 2)].into_iter().collect();
        let snap = Snapshot::from_parts(
            articles,
            BTreeMap::new(),
            stories,
            BTreeMap::new(),
            CopiesFrom::new(),
            BTreeMap::new(),
        );
        let rows = [
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
        ];
        let snap = snap.with_links(link_roots(&rows, &[(1, 1), (2, 1), (3, 2)].into()));
        let of = |seq: u64| snap.event_of(snap.article(seq).expect("article"));
        assert_eq!((of(1), of(2), of(3)), (1, 1, 3));
        let langs = |e: u64| -> Vec<String> {
            snap.event_headlines[&e]
                .iter()
                .map(|(l, _)| l.clone())
                .collect()
        };
        assert_eq!(langs(1), ["en", "de"]);
        assert_eq!(langs(2), ["de", "en"]);
        assert_eq!(langs(3), ["de"]);
        assert_eq!(
            snap.event_headline(2),
            Some("Lagos: Behörden bringen 40 Familien in Sicherheit")
        );
    }
}
