//! The ingest engine: glues the pure stages (analysis, entity registry, dedup, clustering) to a
//! [`Store`]. State that the stages need across articles lives here in memory and is rebuilt from
//! the store on open, so an ingest that runs later continues incrementally.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};

use crate::admit::{admit_record, cap_mentions, location, IngestLimits};
use crate::embedding::{embedding_text, TextEmbedder};
use anyhow::{Context, Result};
use nuntius_analysis::entities::{EntityRecord, Registry};
use nuntius_analysis::Analysis;
use nuntius_cluster::{ArticleFeatures, Clusterer, FastMap, Params};
use nuntius_dedup::{copy_direction, find_reuse, normalised_words, Direction, Fingerprint, Side};
use nuntius_model::{Passage, RawArticle};
use nuntius_search::{SearchDoc, SearchIndex};
use nuntius_store::{
    ArticleRow, Batch, CopyRow, EntityRow, EventRow, LinkRow, Store, WindowRow, BOILERPLATE_DOCS,
};
use serde::{Deserialize, Serialize};

/// Article `s` is analysed with the boilerplate that articles before `s - BOILERPLATE_LAG`
/// taught: a lag counted in articles, not batches, so that how a stream is cut into batches,
/// posts or runs never changes what is learnt. It must be at least twice the largest batch, the
/// most that can be in flight between analysis and placement.
pub const BOILERPLATE_LAG: u64 = 1024;
/// The largest batch the ingest loop analyses and places at once.
pub const MAX_BATCH: usize = 512;
/// Candidate articles aligned per new article for copied passages.
const MAX_REUSE_CANDIDATES: usize = 12;

/// What is persisted per article beside its text, to rebuild the engine's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFeatures {
    pub cluster: ArticleFeatures,
    pub fingerprint: Fingerprint,
    pub cites_source: bool,
    /// Events left the active window just before this article was placed (the clusterer
    /// snapshotted its document frequencies there; a restore does the same).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub snapshot: bool,
}

/// The articles a fingerprint hash was seen in, in arrival order. Most hashes are seen in one
/// article: that one is kept inline, without an allocation of its own (a quarter of a million
/// articles in the window hold millions of hashes).
#[derive(Debug, Clone)]
enum Seqs {
    One(u64),
    Many(Vec<u64>),
}

impl Seqs {
    fn as_slice(&self) -> &[u64] {
        match self {
            Seqs::One(s) => std::slice::from_ref(s),
            Seqs::Many(v) => v,
        }
    }

    fn push(&mut self, seq: u64) {
        match self {
            Seqs::One(first) => *self = Seqs::Many(vec![*first, seq]),
            Seqs::Many(v) => v.push(seq),
        }
    }

    /// Keeps the seqs `keep` says yes to; whether any is left.
    fn retain(&mut self, keep: impl Fn(&u64) -> bool) -> bool {
        match self {
            Seqs::One(s) => keep(s),
            Seqs::Many(v) => {
                v.retain(|s| keep(s));
                match v.as_slice() {
                    [] => false,
                    [one] => {
                        *self = Seqs::One(*one);
                        true
                    }
                    _ => true,
                }
            }
        }
    }
}

/// What the engine keeps of an article in the window beside the clusterer.
#[derive(Debug, Clone, Copy)]
struct Kept {
    cites_source: bool,
    day: Option<i64>,
    content_hash: u64,
}

/// Window rows handed from the reading thread to the replaying one at a time, at open.
const REPLAY_PART: usize = 256;

/// Line counts looked up from the store are cached up to this many lines, then forgotten.
const LINE_CACHE: usize = 1 << 20;

/// `(source, line hash)` pairs known to repeat across a source's documents, each with the seq of
/// the article that made it boilerplate.
pub type Boilerplate = HashMap<(String, u64), u64>;

/// An article analysed and (when an encoder is loaded) embedded, waiting to be placed.
pub struct Analyzed {
    pub raw: RawArticle,
    pub analysis: Analysis,
    pub embedding: Option<Vec<f32>>,
    pub prepared: Prepared,
}

/// Per-article work that needs no shared state, done beside the analysis so the sequential
/// placement does less.
pub struct Prepared {
    pub words: Vec<nuntius_dedup::Word>,
    pub content_hash: u64,
    pub fingerprint: Fingerprint,
    pub terms: Vec<(u64, f32)>,
}

impl Prepared {
    pub fn of(a: &Analysis) -> Prepared {
        let words = normalised_words(content_of(a));
        let content_hash = nuntius_dedup::content_hash(&words);
        let fingerprint = Fingerprint::of(&nuntius_dedup::shingles(&words));
        let terms = term_weights(&a.title_terms, &a.body_terms);
        Prepared {
            words,
            content_hash,
            fingerprint,
            terms,
        }
    }
}

/// The text an article is compared by: its clean text, or its title when it has none.
fn content_of(a: &Analysis) -> &str {
    if a.text.trim().is_empty() {
        a.title.as_str()
    } else {
        a.text.as_str()
    }
}

/// Analyses raw articles on `threads` threads, keeping their order, and embeds title and lead
/// with `embedder` in one batch. The articles will be stored as `first_seq`, `first_seq + 1`, …;
/// each sees the boilerplate learnt up to [`BOILERPLATE_LAG`] articles before it. Pure apart
/// from threads.
pub fn analyze_batch(
    raws: Vec<RawArticle>,
    first_seq: u64,
    boilerplate: &RwLock<Boilerplate>,
    threads: usize,
    embedder: Option<&dyn TextEmbedder>,
) -> Result<Vec<Analyzed>> {
    let chunk = raws.len().div_ceil(threads.max(1)).max(1);
    let analyses: Vec<(Analysis, Prepared)> = std::thread::scope(|scope| {
        let handles: Vec<_> = raws
            .chunks(chunk)
            .enumerate()
            .map(|(k, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, raw)| {
                            let seq = first_seq + (k * chunk + i) as u64;
                            let source = source_key(raw);
                            // Lines the placer adds meanwhile come from later articles, which
                            // the lag hides from this one: reading beside it changes nothing.
                            let known = boilerplate.read().unwrap_or_else(|p| p.into_inner());
                            let a = nuntius_analysis::analyze(raw, &|h| {
                                known
                                    .get(&(source.clone(), h))
                                    .is_some_and(|since| since + BOILERPLATE_LAG < seq)
                            });
                            drop(known);
                            let p = Prepared::of(&a);
                            (a, p)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(raws.len());
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                Err(_) => anyhow::bail!("analysis of a batch panicked; the batch is not stored"),
            }
        }
        Ok(out)
    })?;
    let embeddings: Vec<Option<Vec<f32>>> = match embedder {
        Some(e) if !analyses.is_empty() => {
            let texts: Vec<String> = analyses
                .iter()
                .map(|(a, _)| embedding_text(&a.title, &a.text))
                .collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            e.embed_passages(&refs)?.into_iter().map(Some).collect()
        }
        _ => vec![None; analyses.len()],
    };
    Ok(raws
        .into_iter()
        .zip(analyses)
        .zip(embeddings)
        .map(|((raw, (analysis, prepared)), embedding)| Analyzed {
            raw,
            analysis,
            embedding,
            prepared,
        })
        .collect())
}

/// Outcome counts of one ingest.
#[derive(Debug, Default, Clone)]
pub struct IngestSummary {
    pub read: u64,
    pub new: u64,
    pub already_stored: u64,
    pub duplicates: u64,
    pub failed: Vec<String>,
    /// What was changed to store a record (a text cut to the limit, an unknown `lang`).
    pub warnings: Vec<String>,
}

pub struct Engine {
    store: Box<dyn Store>,
    embedder: Option<Arc<dyn TextEmbedder>>,
    search: Option<SearchIndex>,
    last_index_commit: std::time::Instant,
    registry: Registry,
    clusterer: Clusterer,
    /// Identities admitted and not yet stored (stored ones are looked up in the store).
    pending_ids: HashSet<String>,
    /// Content hash → the first article with it, for the articles in the window (others are
    /// looked up in the store).
    content: FastMap<u64, u64>,
    /// Fingerprint hashes of the window's articles, for copied passages.
    fingerprints: FastMap<u64, Seqs>,
    sides: FastMap<u64, Kept>,
    /// Texts of the window's articles ingested by this process, to align passages without a
    /// store read.
    texts: FastMap<u64, String>,
    boilerplate: Arc<RwLock<Boilerplate>>,
    /// Documents each line was seen in: a cache of the store's counts (which are the truth).
    line_docs: HashMap<(String, u64), u32>,
    events_story: BTreeMap<u64, u64>,
    next_seq: u64,
    /// The seq the next admitted record will be stored under (ahead of `next_seq` while a
    /// batch is being analysed).
    admitted_seq: u64,
    limits: IngestLimits,
}

impl Engine {
    /// Opens an engine over a store, rebuilding in-memory state from what it holds: the
    /// articles of the events in the active window (replayed into the clusterer, the
    /// fingerprint index and the content hashes), the names of the latest articles, the entity
    /// registry and the lines known as boilerplate. Everything else is looked up in the store.
    pub fn open(store: Box<dyn Store>, params: Params) -> Result<Engine> {
        let window = params.window_days;
        let rarity_docs = params.story_rarity_docs as u64;
        let next = store.next_ids()?;
        let mut engine = Engine {
            registry: Registry::from_records(
                store
                    .entities()?
                    .into_iter()
                    .map(|e| {
                        serde_json::from_str::<EntityRecord>(&e.record)
                            .with_context(|| format!("entity {} in the store is unreadable", e.id))
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            clusterer: Clusterer::new(params),
            pending_ids: HashSet::new(),
            content: FastMap::default(),
            fingerprints: FastMap::default(),
            sides: FastMap::default(),
            texts: FastMap::default(),
            boilerplate: Arc::default(),
            line_docs: HashMap::new(),
            events_story: store.event_stories()?.into_iter().collect(),
            next_seq: next.seq,
            admitted_seq: next.seq,
            limits: IngestLimits::default(),
            store,
            embedder: None,
            search: None,
            last_index_commit: std::time::Instant::now(),
        };
        let mut boilerplate = Boilerplate::new();
        for line in engine.store.known_lines()? {
            boilerplate.insert((line.source, line.hash), line.since.unwrap_or(0));
        }
        engine.boilerplate = Arc::new(RwLock::new(boilerplate));
        let from = match engine.store.clock()? {
            Some(clock) if window > 0 => Some(clock - window),
            _ => None,
        };
        // Replayed as the rows come, so the window's features are never all held at once. This
        // thread reads and parses the rows; a second one replays them, in the same order.
        let Engine {
            store,
            clusterer,
            events_story,
            content,
            fingerprints,
            sides,
            ..
        } = &mut engine;
        let events_story = &*events_story;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(WindowRow, StoredFeatures)>>(4);
        let replay = move || {
            for part in rx {
                for (row, f) in part {
                    let story = events_story.get(&row.event).copied().unwrap_or(row.event);
                    clusterer.restore(&f.cluster, row.event, story, row.placed, f.snapshot);
                    let first = row.duplicate_of.unwrap_or(row.seq);
                    let kept = (&mut *content, &mut *fingerprints, &mut *sides);
                    remember_in(kept, row.seq, row.content_hash, first, &f);
                }
            }
        };
        let mut unreadable: Option<anyhow::Error> = None;
        let read = std::thread::scope(|scope| {
            let replayer = std::thread::Builder::new()
                .name("nuntius-replay".into())
                .spawn_scoped(scope, replay)
                .context("cannot start the replay thread")?;
            let mut part = Vec::with_capacity(REPLAY_PART);
            let mut tx = Some(tx);
            let read = store.window_articles(from, &mut |row| {
                if unreadable.is_some() {
                    return;
                }
                match serde_json::from_str::<StoredFeatures>(&row.features) {
                    Err(e) => {
                        unreadable = Some(
                            anyhow::Error::new(e)
                                .context(format!("features of article {} are unreadable", row.id)),
                        );
                    }
                    Ok(f) => {
                        part.push((row, f));
                        if part.len() == REPLAY_PART {
                            let full =
                                std::mem::replace(&mut part, Vec::with_capacity(REPLAY_PART));
                            // A closed channel means the replay thread panicked: join says so.
                            if tx.as_ref().is_some_and(|t| t.send(full).is_err()) {
                                tx = None;
                            }
                        }
                    }
                }
            });
            if let Some(t) = tx {
                if !part.is_empty() {
                    let _ = t.send(part);
                }
            }
            if let Err(panic) = replayer.join() {
                std::panic::resume_unwind(panic);
            }
            read.map_err(anyhow::Error::from)
        });
        read?;
        if let Some(e) = unreadable {
            return Err(e);
        }
        let latest = engine
            .store
            .latest_features(rarity_docs)?
            .iter()
            .map(|json| {
                serde_json::from_str::<StoredFeatures>(json)
                    .map(|f| f.cluster)
                    .context("features of a latest article are unreadable")
            })
            .collect::<Result<Vec<_>>>()?;
        engine.clusterer.restore_recent_names(latest.iter());
        for link in engine.store.event_links()? {
            engine.clusterer.restore_link(link.event, link.linked);
        }
        engine.clusterer.continue_ids(next.event, next.story);
        Ok(engine)
    }

    /// Applies `limits` to every record admitted from now on.
    pub fn with_limits(mut self, limits: IngestLimits) -> Engine {
        self.limits = limits;
        self
    }

    /// Keeps what placing later articles needs of article `seq`; `first` is the first article
    /// with its content hash (itself, or the one it duplicates).
    fn remember(&mut self, seq: u64, hash: u64, first: u64, f: &StoredFeatures) {
        let kept = (&mut self.content, &mut self.fingerprints, &mut self.sides);
        remember_in(kept, seq, hash, first, f);
    }

    /// Forgets articles whose events left the window: their fingerprints, texts and content
    /// hashes (an exact copy of one is still found, through the store).
    fn forget(&mut self, seqs: &[u64]) {
        if seqs.is_empty() {
            return;
        }
        for s in seqs {
            if let Some(side) = self.sides.remove(s) {
                let first = self.content.get(&side.content_hash).copied();
                if first.is_some_and(|f| f == *s || !self.sides.contains_key(&f)) {
                    self.content.remove(&side.content_hash);
                }
            }
            self.texts.remove(s);
        }
        let gone: HashSet<u64, std::hash::BuildHasherDefault<nuntius_cluster::U64Hasher>> =
            seqs.iter().copied().collect();
        self.fingerprints
            .retain(|_, list| list.retain(|s| !gone.contains(s)));
    }

    /// Uses `embedder` for the embedding signal of articles ingested from now on.
    pub fn with_embedder(mut self, embedder: Option<Arc<dyn TextEmbedder>>) -> Engine {
        if let Some(e) = &embedder {
            let (floor, ceiling) = e.calibration();
            self.clusterer.set_embedding_calibration(floor, ceiling);
        }
        self.embedder = embedder;
        self
    }

    /// Keeps `index` up to date with every batch from now on, first adding whatever the store
    /// holds that the index lacks (an index made before these articles, or lost).
    pub fn with_search(mut self, mut index: SearchIndex) -> Result<Engine> {
        let stored = self.store.article_count()?;
        if index.doc_count() < stored {
            let mut docs = Vec::new();
            let events_story = &self.events_story;
            self.store
                .for_each_article(&mut |a| docs.push(search_doc(&a, events_story)))?;
            for chunk in docs.chunks(2048) {
                index.add(chunk)?;
            }
            index.commit()?;
        }
        self.search = Some(index);
        Ok(self)
    }

    pub fn search_index(&self) -> Option<&SearchIndex> {
        self.search.as_ref()
    }

    pub fn embedder(&self) -> Option<Arc<dyn TextEmbedder>> {
        self.embedder.clone()
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn clusterer(&self) -> &Clusterer {
        &self.clusterer
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Ingests records that arrived together (a server post, an eval chunk) through the one
    /// ingest loop, exactly as if they had come from a file.
    pub fn ingest_batch(
        &mut self,
        raws: Vec<RawArticle>,
        summary: &mut IngestSummary,
    ) -> Result<()> {
        let part =
            crate::ingest::ingest_records(self, std::iter::once(raws), MAX_BATCH, &mut |_| {})?;
        summary.add(part);
        Ok(())
    }

    /// Admits records for analysis: counts (and drops) those already stored or repeated in the
    /// stream, rejects those that cannot be stored, normalises the rest
    /// ([`crate::admit::admit_record`]) and reserves their seqs, in order.
    pub fn admit(
        &mut self,
        raws: Vec<RawArticle>,
        summary: &mut IngestSummary,
    ) -> Result<Vec<RawArticle>> {
        let mut kept = Vec::with_capacity(raws.len());
        for mut raw in raws {
            summary.read += 1;
            if let Err(reason) = admit_record(&mut raw, &self.limits, &mut summary.warnings) {
                summary.failed.push(format!("{}: {reason}", location(&raw)));
                continue;
            }
            let id = identity(&raw);
            if self.pending_ids.contains(&id) || self.store.has_identity(&id)? {
                summary.already_stored += 1;
                continue;
            }
            self.pending_ids.insert(id);
            self.admitted_seq += 1;
            kept.push(raw);
        }
        Ok(kept)
    }

    /// The seq the first of the records admitted next will get.
    pub fn next_admitted_seq(&self) -> u64 {
        self.admitted_seq
    }

    /// The lines known as boilerplate per source, shared with the analysis of the next batch.
    pub fn boilerplate_snapshot(&self) -> Arc<RwLock<Boilerplate>> {
        self.boilerplate.clone()
    }

    /// The limits records are admitted under.
    pub fn limits(&self) -> &IngestLimits {
        &self.limits
    }

    /// Places analysed articles in arrival order and writes them in one transaction.
    pub fn place_batch(
        &mut self,
        analyzed: Vec<Analyzed>,
        summary: &mut IngestSummary,
    ) -> Result<()> {
        let mut batch = Batch::default();
        for Analyzed {
            raw,
            analysis,
            embedding,
            prepared,
        } in analyzed
        {
            let id = identity(&raw);
            let row = self.place(id, &raw, analysis, embedding, prepared, &mut batch, summary)?;
            if row.duplicate_of.is_some() {
                summary.duplicates += 1;
            }
            summary.new += 1;
            batch.articles.push(row);
        }
        batch.entities = self
            .registry
            .take_changed()
            .into_iter()
            .map(|r| {
                Ok(EntityRow {
                    id: r.id,
                    record: serde_json::to_string(&r)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Follows are read per batch: one added meanwhile (by the API) matches from the next.
        let follows = self.store.follows()?;
        batch.follow_matches =
            crate::follows::match_batch(&follows, &batch.articles, &self.events_story)?;
        let written = self.store.write_batch(&batch);
        if written.is_err() || self.line_docs.len() > LINE_CACHE {
            self.line_docs.clear();
        }
        written.context("writing a batch to the store")?;
        for a in &batch.articles {
            self.pending_ids.remove(&a.id);
        }
        if let Some(index) = self.search.as_mut() {
            // The store is the record; the index follows it. Committing costs a segment (and
            // later merges), so a bulk ingest commits at most once a second and when it finishes.
            let docs: Vec<SearchDoc> = batch
                .articles
                .iter()
                .map(|a| search_doc(a, &self.events_story))
                .collect();
            index.add(&docs)?;
            if self.last_index_commit.elapsed() >= std::time::Duration::from_secs(1) {
                index.commit()?;
                self.last_index_commit = std::time::Instant::now();
            }
        }
        Ok(())
    }

    /// Makes everything placed so far searchable. Call at the end of an ingest.
    pub fn finish(&mut self) -> Result<()> {
        if let Some(index) = self.search.as_mut() {
            index.commit()?;
            self.last_index_commit = std::time::Instant::now();
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn place(
        &mut self,
        id: String,
        raw: &RawArticle,
        mut a: Analysis,
        embedding: Option<Vec<f32>>,
        prepared: Prepared,
        batch: &mut Batch,
        summary: &mut IngestSummary,
    ) -> Result<ArticleRow> {
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(d) = &a.unread_date {
            summary.warnings.push(format!(
                "{}: date {d:?} is not a date nuntius accepts (unreadable or out of range); {}",
                location(raw),
                if a.dated.is_some() {
                    "dated from the page instead"
                } else {
                    "the article is undated"
                }
            ));
        }
        let dropped = cap_mentions(&mut a.mentions, self.limits.max_entities);
        if dropped > 0 {
            summary.warnings.push(format!(
                "{}: {dropped} names past the {} most mentioned were not kept",
                location(raw),
                self.limits.max_entities
            ));
        }
        let content_text = content_of(&a);
        let Prepared {
            words,
            content_hash,
            fingerprint,
            terms,
        } = prepared;
        let duplicate_of = if words.is_empty() {
            None
        } else if let Some(first) = self.content.get(&content_hash) {
            Some(*first)
        } else {
            // Out of the window, or in this batch after its article left the window.
            match self.store.first_with_content(content_hash)? {
                Some(first) => Some(first),
                None => batch
                    .articles
                    .iter()
                    .find(|r| r.content_hash == content_hash)
                    .map(|r| r.seq),
            }
        };
        self.content
            .entry(content_hash)
            .or_insert(duplicate_of.unwrap_or(seq));

        let resolved = self.registry.resolve(&a.mentions, a.lang.as_deref());
        let mut entity_surfaces: BTreeMap<u64, (Vec<String>, f32)> = BTreeMap::new();
        for (entity, i) in &resolved {
            let m = &a.mentions[*i];
            let e = entity_surfaces.entry(*entity).or_default();
            e.0.push(m.surface.clone());
            e.1 = e.1.max(if m.in_title { 2.0 } else { 1.0 });
        }

        let day = a.dated.map(|d| d.date.day_number());
        let cites = a.cited_source.is_some();
        let mut linked = Vec::new();
        for (other, reuse_a, reuse_b, passages, chars) in
            self.reuse_candidates(seq, content_text, &words, &fingerprint)?
        {
            linked.push(other);
            let (other_cites, other_day) = self
                .sides
                .get(&other)
                .map_or((false, None), |s| (s.cites_source, s.day));
            let (direction, basis) = copy_direction(
                Side {
                    cites_source: cites,
                    day,
                    coverage: reuse_a,
                    seq,
                },
                Side {
                    cites_source: other_cites,
                    day: other_day,
                    coverage: reuse_b,
                    seq: other,
                },
            );
            let (copy, origin, passages) = match direction {
                Direction::ACopiesB => (seq, other, passages),
                Direction::BCopiesA => (other, seq, passages.iter().map(swap).collect()),
            };
            let _ = chars;
            let text_chars = if copy == seq {
                passage_chars(content_text, &passages)
            } else {
                self.text_of(other)?
                    .map_or(0, |t| passage_chars(&t, &passages))
            };
            batch.copies.push(CopyRow {
                copy,
                origin,
                chars: text_chars as u64,
                passages: serde_json::to_string(&passages)?,
                basis: Some(basis.as_str().to_string()),
            });
        }
        if let Some(orig) = duplicate_of {
            if !linked.contains(&orig) {
                linked.push(orig);
            }
        }

        let features = ArticleFeatures {
            seq,
            day,
            lang: a.lang.clone(),
            terms,
            // A title made from the text's first words says nothing a headline would.
            title_keys: if a.title_given {
                title_keys(
                    &a.title_terms,
                    resolved
                        .iter()
                        .filter(|(_, i)| a.mentions[*i].in_title)
                        .map(|(e, _)| *e),
                )
            } else {
                Vec::new()
            },
            entities: entity_surfaces.iter().map(|(e, (_, w))| (*e, *w)).collect(),
            embedding,
            body: !a.text.trim().is_empty() && a.text.trim() != a.title.trim(),
            hours: a.dated.and_then(|d| d.date.hours_since_epoch()),
        };
        let decision = self.clusterer.assign(&features, &linked);
        let placed = self.clusterer.clock();
        let evicted = self.clusterer.take_evicted();
        self.forget(&evicted);
        if let Some(story) = &decision.story {
            self.events_story.insert(decision.event, story.story);
            batch.events.push(EventRow {
                id: decision.event,
                story: story.story,
                evidence: serde_json::to_string(story)?,
            });
        }
        for link in self.clusterer.take_links() {
            for (event, story) in &link.moved {
                self.events_story.insert(*event, *story);
                batch.moves.push((*event, *story));
            }
            batch.links.push(LinkRow {
                event: link.event,
                linked: link.linked,
                evidence: serde_json::to_string(&link.evidence)?,
            });
        }

        if let Some(source) = source_key_opt(raw) {
            let unique: HashSet<u64> = a.line_hashes.iter().copied().collect();
            let mut unique: Vec<u64> = unique.into_iter().collect();
            unique.sort_unstable();
            for h in unique {
                let n = match self.line_docs.entry((source.clone(), h)) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(self.store.line_docs(&source, h)?)
                    }
                };
                *n += 1;
                if *n == BOILERPLATE_DOCS {
                    self.boilerplate
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert((source.clone(), h), seq);
                    batch.boilerplate_since.push((source.clone(), h, seq));
                }
                batch.boilerplate.push((source.clone(), h));
            }
        }

        let stored = StoredFeatures {
            cluster: features,
            fingerprint,
            cites_source: cites,
            snapshot: !evicted.is_empty(),
        };
        let features_json = serde_json::to_string(&stored)?;
        self.remember(seq, content_hash, duplicate_of.unwrap_or(seq), &stored);
        self.texts.insert(seq, content_text.to_string());
        let entities_json = serde_json::to_string(
            &entity_surfaces
                .iter()
                .map(|(e, (s, _))| (e, s))
                .collect::<Vec<_>>(),
        )?;
        Ok(ArticleRow {
            seq,
            id,
            path: raw.path.clone(),
            record: raw.record,
            url: raw.url.clone(),
            title: a.title,
            text: a.text,
            lang: a.lang,
            published: a.dated.map(|d| d.date.to_iso()),
            published_from: a.dated.map(|d| d.origin.as_str().to_string()),
            day,
            source: a.source,
            cited_source: a.cited_source,
            content_hash,
            duplicate_of,
            event: decision.event,
            features: features_json,
            evidence: serde_json::to_string(&decision.evidence)?,
            entities: entities_json,
            placed,
        })
    }

    fn text_of(&self, seq: u64) -> Result<Option<std::borrow::Cow<'_, str>>> {
        if let Some(t) = self.texts.get(&seq) {
            return Ok(Some(std::borrow::Cow::Borrowed(t.as_str())));
        }
        Ok(self.store.article(seq)?.map(|a| {
            std::borrow::Cow::Owned(if a.text.trim().is_empty() {
                a.title
            } else {
                a.text
            })
        }))
    }

    /// Earlier articles sharing passages with this one: `(seq, coverage here, coverage there, passages, chars)`.
    #[allow(clippy::type_complexity)]
    fn reuse_candidates(
        &self,
        seq: u64,
        text: &str,
        words: &[nuntius_dedup::Word],
        fp: &Fingerprint,
    ) -> Result<Vec<(u64, f64, f64, Vec<Passage>, usize)>> {
        let mut hits: BTreeMap<u64, u32> = BTreeMap::new();
        for h in &fp.0 {
            if let Some(list) = self.fingerprints.get(h).map(Seqs::as_slice) {
                // A shingle shared by very many articles is boilerplate, not a copy.
                if list.len() > 200 {
                    continue;
                }
                for other in list {
                    if *other != seq {
                        *hits.entry(*other).or_default() += 1;
                    }
                }
            }
        }
        // Winnowing guarantees one shared hash for a passage of MIN_PASSAGE_WORDS words, but
        // one shared hash is most often a stock phrase: aligning every such candidate halved
        // ingest speed for 1% more found copies (DICE). Two are asked of longer texts, which a
        // passage of about 20 words gives.
        let min_hits = if fp.0.len() < 8 { 1 } else { 2 };
        let mut ranked: Vec<(u32, u64)> = hits
            .into_iter()
            .filter(|(_, n)| *n >= min_hits)
            .map(|(s, n)| (n, s))
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out = Vec::new();
        for (_, other) in ranked.into_iter().take(MAX_REUSE_CANDIDATES) {
            let Some(other_text) = self.text_of(other)? else {
                continue;
            };
            let other_words = normalised_words(&other_text);
            if let Some(r) = find_reuse(text, words, &other_text, &other_words) {
                out.push((other, r.coverage_a, r.coverage_b, r.passages, r.chars));
            }
        }
        Ok(out)
    }
}

/// The engine's per-article window state: content hashes, fingerprints, kept sides.
type WindowState<'a> = (
    &'a mut FastMap<u64, u64>,
    &'a mut FastMap<u64, Seqs>,
    &'a mut FastMap<u64, Kept>,
);

/// [`Engine::remember`] on the window state alone (open replays into it while reading the store).
fn remember_in(
    (content, fingerprints, sides): WindowState<'_>,
    seq: u64,
    hash: u64,
    first: u64,
    f: &StoredFeatures,
) {
    content.entry(hash).or_insert(first);
    for h in &f.fingerprint.0 {
        fingerprints
            .entry(*h)
            .and_modify(|list| list.push(seq))
            .or_insert(Seqs::One(seq));
    }
    sides.insert(
        seq,
        Kept {
            cites_source: f.cites_source,
            day: f.cluster.day,
            content_hash: hash,
        },
    );
}

fn swap(p: &Passage) -> Passage {
    Passage {
        start: p.other_start,
        end: p.other_end,
        other_start: p.start,
        other_end: p.end,
    }
}

fn passage_chars(text: &str, passages: &[Passage]) -> usize {
    passages
        .iter()
        .map(|p| {
            text.get(p.start as usize..p.end as usize)
                .map_or(0, |s| s.chars().count())
        })
        .sum()
}

/// An article as the search index sees it.
pub fn search_doc(a: &ArticleRow, events_story: &BTreeMap<u64, u64>) -> SearchDoc {
    let entities: Vec<(u64, Vec<String>)> = serde_json::from_str(&a.entities).unwrap_or_default();
    SearchDoc {
        seq: a.seq,
        id: a.id.clone(),
        title: a.title.clone(),
        text: a.text.clone(),
        lang: a.lang.clone(),
        source: a.source.clone(),
        day: a.day,
        entities: entities.into_iter().map(|(e, _)| e).collect(),
        event: a.event,
        story: events_story.get(&a.event).copied().unwrap_or(a.event),
    }
}

/// Title terms weigh double; repeated body terms grow logarithmically.
fn term_weights(title: &[String], body: &[String]) -> Vec<(u64, f32)> {
    let mut counts: HashMap<u64, (f32, f32)> = HashMap::new();
    for t in title {
        counts.entry(term_hash(t)).or_default().0 += 1.0;
    }
    for t in body {
        counts.entry(term_hash(t)).or_default().1 += 1.0;
    }
    let mut v: Vec<(u64, f32)> = counts
        .into_iter()
        .map(|(h, (ti, bo))| {
            let body_w = if bo > 0.0 { 1.0 + bo.ln() } else { 0.0 };
            (h, 2.0 * ti.min(1.0) + body_w)
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v
}

/// What a title says: its terms, with names replaced by their entities so spellings meet.
fn title_keys(terms: &[String], entities: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut keys: Vec<u64> = entities.map(|e| e ^ 0xE171_7E00_0000_0000).collect();
    let named: HashSet<u64> = keys.iter().copied().collect();
    keys.extend(
        terms
            .iter()
            .map(|t| term_hash(t))
            .filter(|h| !named.contains(h)),
    );
    keys.sort_unstable();
    keys.dedup();
    keys
}

pub fn term_hash(t: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in t.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn source_key_opt(raw: &RawArticle) -> Option<String> {
    raw.url
        .as_deref()
        .and_then(nuntius_analysis::source::domain_of)
        .or_else(|| raw.source.clone())
}

fn source_key(raw: &RawArticle) -> String {
    source_key_opt(raw).unwrap_or_default()
}

/// An article's identity: its own id, else its canonical URL (`nuntius_web::canonical_url`), else (text files) the file stem the reader
/// put in `id`, else a hash of its content.
pub fn identity(raw: &RawArticle) -> String {
    if let Some(id) = raw.id.as_deref().filter(|s| !s.trim().is_empty()) {
        return id.to_string();
    }
    if let Some(url) = raw.url.as_deref().filter(|s| !s.trim().is_empty()) {
        return nuntius_web::canonical_url(url);
    }
    let content = format!(
        "{}\n{}",
        raw.title.as_deref().unwrap_or(""),
        raw.text.as_deref().unwrap_or("")
    );
    format!("hash:{:016x}", term_hash(&content))
}
