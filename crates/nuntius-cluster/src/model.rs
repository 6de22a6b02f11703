//! The clusterer's state and its decisions.

use std::collections::{BTreeMap, HashMap};

use nuntius_model::{ClusterId, Evidence, Signal};
use serde::{Deserialize, Serialize};

/// What the clusterer needs to know of one article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArticleFeatures {
    /// Arrival order, unique.
    pub seq: u64,
    /// Explicit publication day (days since 1970-01-01), if any.
    pub day: Option<i64>,
    pub lang: Option<String>,
    /// Term hash → weight (title terms count more than body terms), sorted by hash.
    pub terms: Vec<(u64, f32)>,
    /// Title terms and the entities named in the title, as sorted hashes: what the headline says.
    pub title_keys: Vec<u64>,
    /// Entities mentioned, with a weight (mentions in the title count more), sorted by id.
    pub entities: Vec<(u64, f32)>,
    /// Optional dense embedding (L2-normalised).
    pub embedding: Option<Vec<f32>>,
    /// Whether the article has body text beyond its title.
    #[serde(default)]
    pub body: bool,
    /// Publication time in hours since 1970-01-01 UTC, when known to the minute.
    #[serde(default)]
    pub hours: Option<f64>,
}

/// Weights and thresholds. Defaults are fit on development data; see docs/EVALUATION.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub w_lexical: f64,
    pub w_title: f64,
    pub w_entities: f64,
    pub w_copy: f64,
    pub w_embedding: f64,
    pub w_time: f64,
    /// Embedding cosine at or below which the embedding signal is 0, and at or above which it is
    /// 1: encoders differ in where unrelated and same-event texts fall, so unset values come
    /// from the encoder in use (see [`Clusterer::set_embedding_calibration`]).
    pub embedding_floor: Option<f64>,
    pub embedding_ceiling: Option<f64>,
    /// Events (most recent first) whose embedding centroid is compared with an embedded article
    /// to find candidates that share no term or name with it (another language).
    pub embedding_scan: usize,
    /// Nearest events by embedding added to the candidates.
    pub embedding_candidates: usize,
    /// Added to the embedding cosine of articles in different languages: the encoder places a
    /// text nearer to others in its own language than a translation, whatever they say.
    pub embedding_cross_language: f64,
    /// Share of the embedding cosine taken from the closest of the event's latest members
    /// rather than from its centroid: a centroid drifts towards the generic as an event grows.
    pub embedding_member_mix: f64,
    /// Event weights for articles that are a headline alone (no body): the lexical signals
    /// say little there and the embedding much. Unset: the weights above.
    pub headline: Option<EventWeights>,
    /// Standard deviation, in days, of the time Gaussian for events.
    pub event_sigma_days: f64,
    /// When both sides know the time of day: the time Gaussian's standard deviation in hours,
    /// against the event members' median time, instead of days. 0: days only.
    pub event_sigma_hours: f64,
    pub event_threshold: f64,
    /// Candidate events further apart than this many days are not considered.
    pub event_window_days: i64,
    pub story_w_entities: f64,
    pub story_w_lexical: f64,
    pub story_w_time: f64,
    pub story_sigma_days: f64,
    pub story_threshold: f64,
    pub story_window_days: i64,
    /// Terms of an article used to look up candidate events.
    pub probe_terms: usize,
    /// Maximum candidate events scored per article.
    pub max_candidates: usize,
    /// Maximum candidate stories scored per new event.
    pub max_story_candidates: usize,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            w_lexical: 0.4,
            w_title: 0.4,
            w_entities: 0.3,
            w_copy: 0.5,
            w_embedding: 0.0,
            w_time: 0.3,
            embedding_floor: None,
            embedding_ceiling: None,
            embedding_scan: 2000,
            embedding_candidates: 8,
            embedding_cross_language: 0.0,
            embedding_member_mix: 0.0,
            headline: None,
            event_sigma_days: 2.0,
            event_sigma_hours: 0.0,
            event_threshold: 0.42,
            event_window_days: 10,
            story_w_entities: 0.7,
            story_w_lexical: 0.3,
            story_w_time: 0.2,
            story_sigma_days: 14.0,
            story_threshold: 0.3,
            story_window_days: 60,
            probe_terms: 12,
            max_candidates: 24,
            max_story_candidates: 16,
        }
    }
}

/// The weights and threshold of the event decision, which differ between headlines and texts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventWeights {
    pub w_lexical: f64,
    pub w_title: f64,
    pub w_entities: f64,
    pub w_embedding: f64,
    pub w_time: f64,
    pub event_sigma_days: f64,
    /// See [`Params::event_sigma_hours`].
    #[serde(default)]
    pub event_sigma_hours: f64,
    pub event_threshold: f64,
}

impl Params {
    /// The event weights for an article: the headline set for an article without a body.
    pub fn event_weights(&self, body: bool) -> EventWeights {
        match (&self.headline, body) {
            (Some(h), false) => *h,
            _ => EventWeights {
                w_lexical: self.w_lexical,
                w_title: self.w_title,
                w_entities: self.w_entities,
                w_embedding: self.w_embedding,
                w_time: self.w_time,
                event_sigma_days: self.event_sigma_days,
                event_sigma_hours: self.event_sigma_hours,
                event_threshold: self.event_threshold,
            },
        }
    }

    /// The defaults for lexical signals alone, or for lexical signals with an embedding.
    pub fn for_encoder(embeddings: bool) -> Params {
        if embeddings {
            Params::with_embeddings()
        } else {
            Params::default()
        }
    }

    /// The lexical defaults plus the embedding signal. Headlines alone get weights fit by
    /// random search on the og2021 dev half with the transformer encoder (best BCubed F1 +
    /// cross-lingual pairwise F1; see docs/EVALUATION.md). Texts keep the lexical weights, and
    /// the embedding counts between texts only across languages (see `score_event`). The
    /// floor and ceiling come from the encoder in use.
    pub fn with_embeddings() -> Params {
        Params {
            w_embedding: 0.5,
            embedding_candidates: 16,
            embedding_member_mix: 1.0,
            embedding_cross_language: 0.01,
            headline: Some(EventWeights {
                w_lexical: 0.32,
                w_title: 0.15,
                w_entities: 0.3,
                w_embedding: 0.5,
                w_time: 0.7,
                event_sigma_days: 3.8,
                event_sigma_hours: 24.0,
                event_threshold: 0.68,
            }),
            ..Params::default()
        }
    }
}

/// A graded similarity of two articles in `0..=1` (1 = the same story told the same way) from
/// the values of the clusterer's signals between them: lexical cosine, entity overlap and, when
/// both are embedded, the embedding cosine. The event decision asks "same event or not" and
/// saturates; this keeps grading. A linear fit to human similarity ratings (SemEval-2022 Task 8
/// train pairs, first half; see docs/EVALUATION.md), mapped from their 4..1 scale to 0..1.
pub fn pair_similarity(lexical: f64, entities: f64, embedding: Option<f64>) -> f64 {
    let rating = match embedding {
        Some(cos) => 5.802 * cos + 3.633 * lexical + 0.835 * entities - 8.846,
        None => 4.817 * lexical + 0.978 * entities - 4.079,
    };
    ((rating + 4.0) / 3.0).clamp(0.0, 1.0)
}

/// Where an article went and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub event: ClusterId,
    pub new_event: bool,
    /// The winning comparison (joined) or the best rejected one (new event), if any candidate.
    pub evidence: Option<Evidence>,
    /// Set when a new event was created: its story decision.
    pub story: Option<StoryDecision>,
}

/// Where a new event went and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryDecision {
    pub story: ClusterId,
    pub new_story: bool,
    pub evidence: Option<Evidence>,
}

#[derive(Debug, Clone, Default)]
struct Profile {
    /// Summed article term vectors (each article normalised to unit length before adding).
    terms: FixedMap,
    entities: FixedMap,
    embedding: Option<Vec<f32>>,
    embedded: u32,
    days: Vec<i64>,
    /// Members' publication times (hours since the epoch) where known, sorted.
    hours: Vec<f64>,
    size: u32,
    /// Title keys of the latest members.
    titles: Vec<Vec<u64>>,
    /// Squared IDF-weighted norm of `terms`, kept up to date as terms are added, and the document
    /// count at its last full recomputation (0: never computed).
    norm_sq: std::cell::Cell<f64>,
    norm_docs: std::cell::Cell<u32>,
}

/// Hashes keys that are already hashes or small ids with one multiply: the clusterer's maps are
/// looked up tens of thousands of times per article, where SipHash cost a third of the time.
/// Unseeded, so iteration order depends only on the insertions.
#[derive(Default, Clone, Copy)]
struct U64Hasher(u64);

impl std::hash::Hasher for U64Hasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, x: u64) {
        let x = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 29);
    }
}

/// A hash map with [`U64Hasher`]: fast, and the same iteration order in every run.
type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<U64Hasher>>;

/// A map whose iteration order depends only on its insertions, so sums over it come out the same
/// in every run without sorting.
type FixedMap = FastMap<u64, f32>;

/// Shared entity rarity (sum of idf) at which the story entity signal reaches 1 − 1/e.
const STORY_ENTITY_SCALE: f64 = 12.0;
/// Pseudo-documents added to the corpus size when weighing names for stories.
const STORY_PRIOR_DOCS: f64 = 100.0;

/// Terms of an article kept for the lexical cosine.
const LEXICAL_TERMS: usize = 64;

/// An article's terms as `(term, weight × idf, idf)` and the vector's norm.
type Weighted = (Vec<(u64, f64, f64)>, f64);

/// Member titles kept per event for the title signal.
const TITLES_KEPT: usize = 16;

impl Profile {
    /// Adds an article; `idfs` are the current IDFs of `a.terms`, in order, for the norm.
    fn add(&mut self, a: &ArticleFeatures, idfs: &[f32]) {
        let norm = a
            .terms
            .iter()
            .map(|(_, w)| w * w)
            .sum::<f32>()
            .sqrt()
            .max(1e-6);
        let tracked = self.norm_docs.get() > 0;
        let mut delta = 0f64;
        for ((t, w), idf) in a
            .terms
            .iter()
            .zip(idfs.iter().chain(std::iter::repeat(&1.0)))
        {
            let c = self.terms.entry(*t).or_default();
            let old = f64::from(*c) * f64::from(*idf);
            *c += w / norm;
            let new = f64::from(*c) * f64::from(*idf);
            delta += new * new - old * old;
        }
        if tracked {
            self.norm_sq.set(self.norm_sq.get() + delta);
        }
        for (e, w) in &a.entities {
            *self.entities.entry(*e).or_default() += w;
        }
        if let Some(v) = &a.embedding {
            let sum = self.embedding.get_or_insert_with(|| vec![0.0; v.len()]);
            if sum.len() == v.len() {
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
                self.embedded += 1;
            }
        }
        if let Some(d) = a.day {
            let at = self.days.partition_point(|x| *x < d);
            self.days.insert(at, d);
        }
        if let Some(h) = a.hours {
            let at = self.hours.partition_point(|x| *x < h);
            self.hours.insert(at, h);
        }
        self.size += 1;
        if !a.title_keys.is_empty() {
            if self.titles.len() == TITLES_KEPT {
                self.titles.remove(0);
            }
            self.titles.push(a.title_keys.clone());
        }
    }

    /// Best Dice overlap between a title and the titles of the latest members.
    fn title_overlap(&self, keys: &[u64]) -> f64 {
        self.titles
            .iter()
            .map(|t| {
                let shared = keys.iter().filter(|k| t.binary_search(k).is_ok()).count();
                2.0 * shared as f64 / (keys.len() + t.len()).max(1) as f64
            })
            .fold(0.0, f64::max)
    }

    /// Merges another profile; `idf` gives the current IDF of a term, for the norm.
    fn merge(&mut self, other: &Profile, idf: &dyn Fn(u64) -> f32) {
        let tracked = self.norm_docs.get() > 0;
        let mut delta = 0f64;
        let mut terms: Vec<(&u64, &f32)> = other.terms.iter().collect();
        terms.sort_by_key(|(t, _)| **t);
        for (t, w) in terms {
            let c = self.terms.entry(*t).or_default();
            let i = f64::from(idf(*t));
            let old = f64::from(*c) * i;
            *c += w;
            let new = f64::from(*c) * i;
            delta += new * new - old * old;
        }
        if tracked {
            self.norm_sq.set(self.norm_sq.get() + delta);
        }
        for (e, w) in &other.entities {
            *self.entities.entry(*e).or_default() += w;
        }
        if let Some(v) = &other.embedding {
            let sum = self.embedding.get_or_insert_with(|| vec![0.0; v.len()]);
            if sum.len() == v.len() {
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
                self.embedded += other.embedded;
            }
        }
        for d in &other.days {
            let at = self.days.partition_point(|x| x < d);
            self.days.insert(at, *d);
        }
        self.size += other.size;
    }

    fn median_day(&self) -> Option<i64> {
        (!self.days.is_empty()).then(|| self.days[(self.days.len() - 1) / 2])
    }

    fn median_hours(&self) -> Option<f64> {
        (!self.hours.is_empty()).then(|| self.hours[(self.hours.len() - 1) / 2])
    }
}

#[derive(Debug, Clone)]
struct EventState {
    story: ClusterId,
    profile: Profile,
    members: Vec<u64>,
    /// Embeddings of the latest members (at most `MEMBER_VECTORS`).
    vectors: Vec<MemberVector>,
}

#[derive(Debug, Clone)]
struct MemberVector {
    vector: Vec<f32>,
    lang: Option<String>,
    body: bool,
}

/// Member embeddings kept per event for the member side of the embedding signal.
const MEMBER_VECTORS: usize = 12;

impl EventState {
    /// Keeps the article's embedding, if any; true when it is the event's first, so that the
    /// event joins the ones scanned for embedding candidates.
    fn keep_vector(&mut self, a: &ArticleFeatures) -> bool {
        let Some(v) = &a.embedding else {
            return false;
        };
        let first = self.vectors.is_empty();
        if self.vectors.len() == MEMBER_VECTORS {
            self.vectors.remove(0);
        }
        self.vectors.push(MemberVector {
            vector: v.clone(),
            lang: a.lang.clone(),
            body: a.body,
        });
        first
    }

    /// The kept member embedding closest to `v` (all are unit length), with its cosine.
    fn closest_member(&self, v: &[f32]) -> Option<(f64, &MemberVector)> {
        let mut best: Option<(f64, &MemberVector)> = None;
        for m in self.vectors.iter().filter(|m| m.vector.len() == v.len()) {
            let cos: f64 = m
                .vector
                .iter()
                .zip(v)
                .map(|(x, y)| f64::from(*x * *y))
                .sum();
            if best.is_none_or(|(b, _)| cos > b) {
                best = Some((cos, m));
            }
        }
        best
    }
}

#[derive(Debug, Clone, Default)]
struct StoryState {
    profile: Profile,
    events: Vec<ClusterId>,
}

/// The online clusterer. Feed articles in arrival order with [`Clusterer::assign`].
#[derive(Debug, Default)]
pub struct Clusterer {
    params: Params,
    events: BTreeMap<ClusterId, EventState>,
    stories: BTreeMap<ClusterId, StoryState>,
    /// Document frequency of each term, and the number of documents seen.
    term_df: FastMap<u64, u32>,
    entity_df: FastMap<u64, u32>,
    docs: u32,
    /// Term → events whose members use it among their rarest terms (most recent last).
    term_postings: FastMap<u64, Vec<ClusterId>>,
    entity_postings: FastMap<u64, Vec<ClusterId>>,
    story_entity_postings: FastMap<u64, Vec<ClusterId>>,
    article_event: FastMap<u64, ClusterId>,
    /// Events that have an embedding centroid, in the order they got it.
    embedded_events: Vec<ClusterId>,
    /// The encoder's own (floor, ceiling) for the embedding signal.
    calibration: (f64, f64),
}

/// Most recent postings of a key walked when looking for candidates: a key that many events
/// share says little, and the recent ones are the ones inside the time window.
const POSTINGS_WALKED: usize = 100;

/// Longest postings list kept per key; older events fall off (they are out of the window anyway).
const MAX_POSTINGS: usize = 400;

fn push_posting(map: &mut FastMap<u64, Vec<ClusterId>>, key: u64, id: ClusterId) {
    let list = map.entry(key).or_default();
    if list.last() == Some(&id) {
        return;
    }
    if let Some(pos) = list.iter().position(|x| *x == id) {
        list.remove(pos);
    }
    list.push(id);
    if list.len() > MAX_POSTINGS {
        list.remove(0);
    }
}

impl Clusterer {
    pub fn new(params: Params) -> Clusterer {
        Clusterer {
            params,
            calibration: (0.5, 0.9),
            ..Clusterer::default()
        }
    }

    /// Sets where the embedding cosine starts and stops counting, for the encoder in use.
    /// Parameters that set their own floor or ceiling keep it.
    pub fn set_embedding_calibration(&mut self, floor: f64, ceiling: f64) {
        self.calibration = (floor, ceiling);
    }

    /// The embedding signal's (floor, ceiling) in force.
    pub fn embedding_calibration(&self) -> (f64, f64) {
        let floor = self.params.embedding_floor.unwrap_or(self.calibration.0);
        let ceiling = self.params.embedding_ceiling.unwrap_or(self.calibration.1);
        (floor, ceiling.max(floor + 1e-6))
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn event_of(&self, seq: u64) -> Option<ClusterId> {
        self.article_event.get(&seq).copied()
    }

    pub fn story_of_event(&self, event: ClusterId) -> Option<ClusterId> {
        self.events.get(&event).map(|e| e.story)
    }

    /// Median explicit day of an event's members, the date inferred for its undated articles.
    pub fn event_day(&self, event: ClusterId) -> Option<i64> {
        self.events.get(&event).and_then(|e| e.profile.median_day())
    }

    pub fn event_members(&self, event: ClusterId) -> &[u64] {
        self.events
            .get(&event)
            .map_or(&[], |e| e.members.as_slice())
    }

    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    pub fn story_count(&self) -> usize {
        self.stories.len()
    }

    fn idf(&self, df: Option<&u32>) -> f32 {
        let n = self.docs.max(1) as f32;
        let df = df.copied().unwrap_or(0) as f32;
        ((n + 1.0) / (df + 1.0)).ln() + 1.0
    }

    /// Restores an earlier decision (when loading a store): the article joins `event`, which
    /// belongs to `story`, with no scoring.
    pub fn restore(&mut self, a: &ArticleFeatures, event: ClusterId, story: ClusterId) {
        self.count_document(a);
        let idfs = self.idfs_of(a);
        let new_event = !self.events.contains_key(&event);
        let ev = self.events.entry(event).or_insert_with(|| EventState {
            story,
            profile: Profile::default(),
            members: Vec::new(),
            vectors: Vec::new(),
        });
        ev.profile.add(a, &idfs);
        ev.members.push(a.seq);
        let first_embedding = ev.keep_vector(a);
        let st = self.stories.entry(story).or_default();
        st.profile.add(a, &idfs);
        if new_event {
            st.events.push(event);
        }
        if first_embedding {
            self.embedded_events.push(event);
        }
        self.article_event.insert(a.seq, event);
        self.index_event(event, a);
    }

    fn count_document(&mut self, a: &ArticleFeatures) {
        self.docs += 1;
        for (t, _) in &a.terms {
            *self.term_df.entry(*t).or_default() += 1;
        }
        for (e, _) in &a.entities {
            *self.entity_df.entry(*e).or_default() += 1;
        }
    }

    fn probe_terms(&self, a: &ArticleFeatures) -> Vec<u64> {
        let mut scored: Vec<(f32, u64)> = a
            .terms
            .iter()
            .map(|(t, w)| (w * self.idf(self.term_df.get(t)), *t))
            .collect();
        scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        scored
            .into_iter()
            .take(self.params.probe_terms)
            .map(|(_, t)| t)
            .collect()
    }

    fn index_event(&mut self, event: ClusterId, a: &ArticleFeatures) {
        for t in self.probe_terms(a) {
            push_posting(&mut self.term_postings, t, event);
        }
        for (e, _) in &a.entities {
            push_posting(&mut self.entity_postings, *e, event);
        }
    }

    /// Assigns an article. `copied_from` lists earlier articles it shares passages with.
    pub fn assign(&mut self, a: &ArticleFeatures, copied_from: &[u64]) -> Decision {
        self.count_document(a);
        let idfs = self.idfs_of(a);
        let copy_events: Vec<ClusterId> = {
            let mut v: Vec<ClusterId> = copied_from
                .iter()
                .filter_map(|s| self.article_event.get(s).copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let weighted = self.weigh(&a.terms);
        let near = self.embedding_neighbours(a);
        let candidates = self.candidates(a, &copy_events, &near);
        let mut best: Option<Evidence> = None;
        for ev in candidates {
            let Some(state) = self.events.get(&ev) else {
                continue;
            };
            let cos = near.iter().find(|(_, e)| *e == ev).map(|(c, _)| *c);
            let evidence =
                self.score_event(a, &weighted, ev, state, cos, copy_events.contains(&ev));
            let better = match &best {
                None => true,
                Some(b) => evidence.score > b.score + 1e-12,
            };
            if better {
                best = Some(evidence);
            }
        }
        if let Some(b) = best.as_ref().filter(|b| b.score >= b.threshold) {
            let event = b.target;
            if let Some(state) = self.events.get_mut(&event) {
                state.profile.add(a, &idfs);
                state.members.push(a.seq);
                if state.keep_vector(a) {
                    self.embedded_events.push(event);
                }
                let story = state.story;
                if let Some(st) = self.stories.get_mut(&story) {
                    st.profile.add(a, &idfs);
                }
                for (e, _) in &a.entities {
                    push_posting(&mut self.story_entity_postings, *e, story);
                }
            }
            self.article_event.insert(a.seq, event);
            self.index_event(event, a);
            return Decision {
                event,
                new_event: false,
                evidence: best,
                story: None,
            };
        }
        let event = self.events.keys().next_back().map_or(1, |k| k + 1);
        let mut profile = Profile::default();
        profile.add(a, &idfs);
        let story = self.assign_story(&profile, event);
        let mut state = EventState {
            story: story.story,
            profile,
            members: vec![a.seq],
            vectors: Vec::new(),
        };
        if state.keep_vector(a) {
            self.embedded_events.push(event);
        }
        self.events.insert(event, state);
        self.article_event.insert(a.seq, event);
        self.index_event(event, a);
        Decision {
            event,
            new_event: true,
            evidence: best,
            story: Some(story),
        }
    }

    /// Cosines of an embedded article with the centroids of the latest events in its window, in
    /// scan order (empty without an embedding or when the signal is off).
    fn embedding_neighbours(&self, a: &ArticleFeatures) -> Vec<(f64, ClusterId)> {
        let Some(v) = &a.embedding else {
            return Vec::new();
        };
        if self.params.event_weights(a.body).w_embedding <= 0.0 {
            return Vec::new();
        }
        let window = self.params.event_window_days;
        let mut near = Vec::new();
        for ev in self
            .embedded_events
            .iter()
            .rev()
            .take(self.params.embedding_scan)
        {
            let Some(state) = self.events.get(ev) else {
                continue;
            };
            let Some(sum) = &state.profile.embedding else {
                continue;
            };
            if in_window(a.day, &state.profile, window) {
                near.push((cosine(v, sum), *ev));
            }
        }
        near
    }

    fn candidates(
        &self,
        a: &ArticleFeatures,
        copy_events: &[ClusterId],
        near: &[(f64, ClusterId)],
    ) -> Vec<ClusterId> {
        let mut votes: FastMap<ClusterId, f32> = FastMap::default();
        for t in self.probe_terms(a) {
            if let Some(list) = self.term_postings.get(&t) {
                let w = self.idf(self.term_df.get(&t));
                for ev in list.iter().rev().take(POSTINGS_WALKED) {
                    *votes.entry(*ev).or_default() += w;
                }
            }
        }
        for (e, _) in &a.entities {
            if let Some(list) = self.entity_postings.get(e) {
                let w = self.idf(self.entity_df.get(e));
                for ev in list.iter().rev().take(POSTINGS_WALKED) {
                    *votes.entry(*ev).or_default() += w;
                }
            }
        }
        for ev in copy_events {
            *votes.entry(*ev).or_default() += 1e6;
        }
        let window = self.params.event_window_days;
        // Rank by votes first; the time window is checked only until enough candidates pass.
        let mut ranked: Vec<(f32, ClusterId)> = votes.into_iter().map(|(ev, v)| (v, ev)).collect();
        ranked.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        let mut out: Vec<ClusterId> = ranked
            .into_iter()
            .map(|(_, ev)| ev)
            .filter(|ev| {
                self.events
                    .get(ev)
                    .is_some_and(|s| in_window(a.day, &s.profile, window))
            })
            .take(self.params.max_candidates)
            .collect();
        // Terms and names do not cross languages; the nearest centroids do.
        let mut near = near.to_vec();
        near.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        for (_, ev) in near.into_iter().take(self.params.embedding_candidates) {
            if !out.contains(&ev) {
                out.push(ev);
            }
        }
        out
    }

    /// The article's terms weighted by IDF, and their norm: computed once per comparison round.
    fn weigh(&self, terms: &[(u64, f32)]) -> Weighted {
        let mut v: Vec<(u64, f64, f64)> = terms
            .iter()
            .map(|(t, w)| {
                let idf = f64::from(self.idf(self.term_df.get(t)));
                (*t, f64::from(*w) * idf, idf)
            })
            .collect();
        // The strongest terms carry the cosine; the long tail costs lookups and adds little.
        if v.len() > LEXICAL_TERMS {
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(LEXICAL_TERMS);
        }
        let norm = v.iter().map(|(_, x, _)| x * x).sum::<f64>().sqrt();
        (v, norm)
    }

    /// The profile's IDF-weighted norm, recomputed when the profile changed or the corpus grew by
    /// a twentieth since (IDF moves slowly; recomputing it per comparison dominated ingest time).
    fn profile_norm(&self, profile: &Profile) -> f64 {
        let docs = profile.norm_docs.get();
        if docs == 0 || self.docs > docs + docs / 20 {
            // FixedMap iterates in an order set by its insertions alone, so this float sum is the
            // same in every run.
            let sq: f64 = profile
                .terms
                .iter()
                .map(|(t, c)| (f64::from(*c) * f64::from(self.idf(self.term_df.get(t)))).powi(2))
                .sum();
            profile.norm_sq.set(sq);
            profile.norm_docs.set(self.docs.max(1));
        }
        profile.norm_sq.get().max(0.0).sqrt()
    }

    fn idfs_of(&self, a: &ArticleFeatures) -> Vec<f32> {
        a.terms
            .iter()
            .map(|(t, _)| self.idf(self.term_df.get(t)))
            .collect()
    }

    fn lexical(&self, a: &Weighted, profile: &Profile) -> f64 {
        let mut dot = 0f64;
        for (t, x, idf) in &a.0 {
            if let Some(c) = profile.terms.get(t) {
                dot += x * f64::from(*c) * idf;
            }
        }
        if dot == 0.0 {
            return 0.0;
        }
        dot / (a.1 * self.profile_norm(profile)).max(1e-12)
    }

    /// Share of the article's entity weight (rarer entities weigh more) found in the profile.
    fn entity_overlap(&self, a: &[(u64, f32)], profile: &FixedMap) -> (f64, Vec<u64>) {
        let mut total = 0f64;
        let mut shared = 0f64;
        let mut names = Vec::new();
        for (e, w) in a {
            let idf = f64::from(self.idf(self.entity_df.get(e)));
            let x = f64::from(*w) * idf;
            total += x;
            if profile.contains_key(e) {
                shared += x;
                names.push(*e);
            }
        }
        if total == 0.0 {
            return (0.0, names);
        }
        (shared / total, names)
    }

    /// How much rare-name evidence two sides share, saturating: a story is a longer arc that keeps
    /// naming the same people and places, while each event also names many others.
    fn shared_entity_evidence(&self, a: &[(u64, f32)], profile: &FixedMap) -> f64 {
        // Rarity smoothed with a background of STORY_PRIOR_DOCS documents that name nothing, so a
        // name in most articles of a big corpus counts for little while a small corpus still links.
        let n = f64::from(self.docs) + STORY_PRIOR_DOCS;
        let shared: f64 = a
            .iter()
            .filter(|(e, _)| profile.contains_key(e))
            .map(|(e, _)| {
                (n / (f64::from(self.entity_df.get(e).copied().unwrap_or(0)) + 1.0))
                    .ln()
                    .max(0.0)
            })
            .sum();
        1.0 - (-shared / STORY_ENTITY_SCALE).exp()
    }

    fn time_signal(day: Option<i64>, profile: &Profile, sigma: f64) -> Option<f64> {
        let (d, m) = (day?, profile.median_day()?);
        let gap = (d - m) as f64;
        Some((-(gap * gap) / (2.0 * sigma * sigma)).exp())
    }

    fn score_event(
        &self,
        a: &ArticleFeatures,
        weighted: &Weighted,
        event: ClusterId,
        state: &EventState,
        embedding_cosine: Option<f64>,
        copied: bool,
    ) -> Evidence {
        let p = &self.params;
        let w = p.event_weights(a.body);
        let profile = &state.profile;
        let mut signals = Vec::new();
        let mut details = Vec::new();
        let lex = self.lexical(weighted, profile);
        // Without a headline on either side the title signal has nothing to say; its weight goes
        // to the lexical signal instead of counting as disagreement.
        let titled = w.w_title > 0.0 && !a.title_keys.is_empty() && !profile.titles.is_empty();
        let w_lexical = if titled {
            w.w_lexical
        } else {
            w.w_lexical + w.w_title
        };
        signals.push(Signal {
            name: "lexical".into(),
            value: lex,
            contribution: w_lexical * lex,
        });
        if titled {
            let t = profile.title_overlap(&a.title_keys);
            signals.push(Signal {
                name: "title".into(),
                value: t,
                contribution: w.w_title * t,
            });
        }
        let (ent, shared) = self.entity_overlap(&a.entities, &profile.entities);
        signals.push(Signal {
            name: "entities".into(),
            value: ent,
            contribution: w.w_entities * ent,
        });
        if !shared.is_empty() {
            details.push(format!(
                "shared entities: {}",
                shared
                    .iter()
                    .map(|e| format!("#{e}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        let copy = if copied { 1.0 } else { 0.0 };
        signals.push(Signal {
            name: "copied_passages".into(),
            value: copy,
            contribution: p.w_copy * copy,
        });
        if w.w_embedding > 0.0 {
            let cos = match (embedding_cosine, &a.embedding, &profile.embedding) {
                (Some(c), _, _) => Some(c),
                (None, Some(v), Some(sum)) => Some(cosine(v, sum)),
                _ => None,
            };
            if let Some(mut cos) = cos {
                let mix = p.embedding_member_mix.clamp(0.0, 1.0);
                let closest = a.embedding.as_ref().and_then(|v| state.closest_member(v));
                if let (Some((m, _)), true) = (closest, mix > 0.0) {
                    details.push(format!(
                        "embedding: centroid cosine {cos:.3}, closest member {m:.3}"
                    ));
                    cos = mix * m + (1.0 - mix) * cos;
                }
                // Two texts in one language are compared term by term, and there the embedding
                // of title and lead says mostly what the story is about, not which event: two
                // Lavrov-Blinken talks ten days apart embed at 0.93. It speaks where terms
                // cannot: headlines alone, and across languages.
                let same_language_texts = a.body
                    && a.lang.is_some()
                    && closest.is_some_and(|(_, m)| m.body && m.lang == a.lang);
                let gate = if same_language_texts {
                    details.push("embedding: texts in one language, not counted".into());
                    0.0
                } else {
                    1.0
                };
                let mut x = cos;
                if p.embedding_cross_language != 0.0
                    && a.lang.is_some()
                    && closest.is_some_and(|(_, m)| m.lang.is_some() && m.lang != a.lang)
                {
                    x += p.embedding_cross_language;
                }
                let (floor, ceiling) = self.embedding_calibration();
                let scaled = ((x - floor) / (ceiling - floor)).clamp(0.0, 1.0);
                signals.push(Signal {
                    name: "embedding".into(),
                    value: cos,
                    contribution: w.w_embedding * scaled * gate,
                });
            }
        }
        let by_hours = match (a.hours, profile.median_hours()) {
            (Some(h), Some(m)) if w.event_sigma_hours > 0.0 => {
                let sigma = w.event_sigma_hours;
                Some((-((h - m) * (h - m)) / (2.0 * sigma * sigma)).exp())
            }
            _ => None,
        };
        match by_hours.or_else(|| Self::time_signal(a.day, profile, w.event_sigma_days)) {
            Some(g) => signals.push(Signal {
                name: "time".into(),
                value: g,
                contribution: w.w_time * (g - 0.5),
            }),
            None => {
                details.push("time: undated side, neutral".into());
                signals.push(Signal {
                    name: "time".into(),
                    value: 0.5,
                    contribution: 0.0,
                });
            }
        }
        let score = signals.iter().map(|s| s.contribution).sum();
        Evidence {
            target: event,
            score,
            threshold: w.event_threshold,
            signals,
            details,
        }
    }

    /// Scores article `a` against article `b` alone, with the same signals and weights an event
    /// comparison uses and the document frequencies seen so far.
    pub fn pair_score(&self, a: &ArticleFeatures, b: &ArticleFeatures, copied: bool) -> Evidence {
        let mut state = EventState {
            story: 0,
            profile: Profile::default(),
            members: vec![b.seq],
            vectors: Vec::new(),
        };
        state.profile.add(b, &self.idfs_of(b));
        state.keep_vector(b);
        self.score_event(a, &self.weigh(&a.terms), 0, &state, None, copied)
    }

    fn assign_story(&mut self, event_profile: &Profile, event: ClusterId) -> StoryDecision {
        let p = self.params.clone();
        let mut votes: FastMap<ClusterId, f32> = FastMap::default();
        let mut ents: Vec<(&u64, &f32)> = event_profile.entities.iter().collect();
        ents.sort_by_key(|(e, _)| **e);
        for (e, _) in ents {
            if let Some(list) = self.story_entity_postings.get(e) {
                let w = self.idf(self.entity_df.get(e));
                for st in list.iter().rev().take(POSTINGS_WALKED) {
                    *votes.entry(*st).or_default() += w;
                }
            }
        }
        let mut ranked: Vec<(f32, ClusterId)> = votes.into_iter().map(|(s, v)| (v, s)).collect();
        ranked.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        let mut best: Option<Evidence> = None;
        let event_entities: Vec<(u64, f32)> = {
            let mut v: Vec<(u64, f32)> = event_profile
                .entities
                .iter()
                .map(|(e, w)| (*e, *w))
                .collect();
            v.sort_by_key(|x| x.0);
            v
        };
        let event_terms: Vec<(u64, f32)> = {
            let mut v: Vec<(u64, f32)> =
                event_profile.terms.iter().map(|(t, w)| (*t, *w)).collect();
            v.sort_by_key(|x| x.0);
            v
        };
        let day = event_profile.median_day();
        let event_weighted = self.weigh(&event_terms);
        for (_, story) in ranked.into_iter().take(self.params.max_story_candidates) {
            let Some(st) = self.stories.get(&story) else {
                continue;
            };
            if let (Some(d), Some(lo), Some(hi)) =
                (day, st.profile.days.first(), st.profile.days.last())
            {
                if d < lo - p.story_window_days || d > hi + p.story_window_days {
                    continue;
                }
            }
            let (_, shared) = self.entity_overlap(&event_entities, &st.profile.entities);
            let ent = self.shared_entity_evidence(&event_entities, &st.profile.entities);
            let lex = self.lexical(&event_weighted, &st.profile);
            let mut signals = vec![
                Signal {
                    name: "entities".into(),
                    value: ent,
                    contribution: p.story_w_entities * ent,
                },
                Signal {
                    name: "lexical".into(),
                    value: lex,
                    contribution: p.story_w_lexical * lex,
                },
            ];
            let mut details = vec![format!(
                "shared entities: {}",
                shared
                    .iter()
                    .map(|e| format!("#{e}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )];
            match Self::time_signal(day, &st.profile, p.story_sigma_days) {
                Some(g) => signals.push(Signal {
                    name: "time".into(),
                    value: g,
                    contribution: p.story_w_time * (g - 0.5),
                }),
                None => {
                    details.push("time: undated side, neutral".into());
                    signals.push(Signal {
                        name: "time".into(),
                        value: 0.5,
                        contribution: 0.0,
                    });
                }
            }
            let score = signals.iter().map(|s| s.contribution).sum();
            let evidence = Evidence {
                target: story,
                score,
                threshold: p.story_threshold,
                signals,
                details,
            };
            if best
                .as_ref()
                .is_none_or(|b| evidence.score > b.score + 1e-12)
            {
                best = Some(evidence);
            }
        }
        let chosen = best
            .as_ref()
            .filter(|b| b.score >= b.threshold)
            .map(|b| b.target);
        let (story, new_story) = match chosen {
            Some(s) => (s, false),
            None => (self.stories.keys().next_back().map_or(1, |k| k + 1), true),
        };
        let idf: FastMap<u64, f32> = event_profile
            .terms
            .keys()
            .map(|t| (*t, self.idf(self.term_df.get(t))))
            .collect();
        let st = self.stories.entry(story).or_default();
        st.profile
            .merge(event_profile, &|t| idf.get(&t).copied().unwrap_or(1.0));
        st.events.push(event);
        for e in event_profile.entities.keys() {
            push_posting(&mut self.story_entity_postings, *e, story);
        }
        StoryDecision {
            story,
            new_story,
            evidence: best,
        }
    }
}

/// Whether an article of `day` falls within `window` days of an event's dated members (an
/// undated side always does).
fn in_window(day: Option<i64>, profile: &Profile, window: i64) -> bool {
    match (day, profile.days.first(), profile.days.last()) {
        (Some(d), Some(lo), Some(hi)) => d >= lo - window && d <= hi + window,
        _ => true,
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let mut dot = 0f64;
    let mut na = 0f64;
    let mut nb = 0f64;
    for (x, y) in a.iter().zip(b) {
        dot += f64::from(*x) * f64::from(*y);
        na += f64::from(*x) * f64::from(*x);
        nb += f64::from(*y) * f64::from(*y);
    }
    dot / (na.sqrt() * nb.sqrt()).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(seq: u64, day: Option<i64>, terms: &[u64], entities: &[u64]) -> ArticleFeatures {
        ArticleFeatures {
            seq,
            day,
            lang: None,
            terms: terms.iter().map(|t| (*t, 1.0)).collect(),
            title_keys: terms.to_vec(),
            entities: entities.iter().map(|e| (*e, 1.0)).collect(),
            embedding: None,
            body: true,
            hours: None,
        }
    }

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// A headline in some language with an embedding and terms of its own.
    fn headline(seq: u64, lang: &str, terms: &[u64], v: &[f32]) -> ArticleFeatures {
        ArticleFeatures {
            lang: Some(lang.to_string()),
            embedding: Some(unit(v)),
            body: false,
            ..article(seq, Some(0), terms, &[])
        }
    }

    fn embedding_clusterer() -> Clusterer {
        let mut c = Clusterer::new(Params::with_embeddings());
        c.set_embedding_calibration(0.8, 0.9);
        // Background so that idf means something.
        for i in 0..20 {
            c.assign(
                &headline(100 + i, "en", &[1000 + i], &[0.0, 1.0, i as f32]),
                &[],
            );
        }
        c
    }

    #[test]
    fn headlines_sharing_no_term_join_by_embedding() {
        let mut c = embedding_clusterer();
        let en = c.assign(&headline(1, "en", &[1, 2, 3], &[1.0, 0.0, 0.05]), &[]);
        // Another language: not one term in common, nearly the same vector.
        let de = c.assign(&headline(2, "de", &[7, 8, 9], &[1.0, 0.01, 0.05]), &[]);
        assert_eq!(de.event, en.event);
        let ev = de.evidence.expect("evidence");
        assert!(ev
            .signals
            .iter()
            .any(|s| s.name == "embedding" && s.value > 0.99));
        // A far vector stays apart.
        let other = c.assign(&headline(3, "fr", &[4, 5, 6], &[0.0, 0.0, 1.0]), &[]);
        assert_ne!(other.event, en.event);
    }

    #[test]
    fn texts_in_one_language_are_decided_by_their_terms() {
        let mut c = embedding_clusterer();
        let text = |seq, lang: &str, terms: &[u64]| ArticleFeatures {
            body: true,
            ..headline(seq, lang, terms, &[1.0, 0.0, 0.05])
        };
        let a = c.assign(&text(1, "it", &[1, 2, 3]), &[]);
        // Same embedding, same language, different terms: not the same event.
        let b = c.assign(&text(2, "it", &[7, 8, 9]), &[]);
        assert_ne!(a.event, b.event);
        let ev = b.evidence.expect("evidence");
        let emb = ev
            .signals
            .iter()
            .find(|s| s.name == "embedding")
            .expect("embedding signal");
        assert_eq!(emb.contribution, 0.0);
        // Across languages the embedding is what links them.
        let d = c.assign(&text(3, "ro", &[11, 12, 13]), &[]);
        assert!(d.event == a.event || d.event == b.event);
    }

    #[test]
    fn pair_similarity_grades_and_stays_in_range() {
        let low = pair_similarity(0.05, 0.0, Some(0.75));
        let mid = pair_similarity(0.3, 0.3, Some(0.85));
        let high = pair_similarity(0.7, 0.8, Some(0.95));
        assert!(low < mid && mid < high, "{low} {mid} {high}");
        for x in [low, mid, high, pair_similarity(1.0, 1.0, None)] {
            assert!((0.0..=1.0).contains(&x));
        }
    }

    #[test]
    fn similar_articles_share_an_event_and_others_do_not() {
        let mut c = Clusterer::new(Params::default());
        // Background so that idf means something.
        for i in 0..20 {
            c.assign(
                &article(
                    100 + i,
                    Some(i as i64),
                    &[1000 + i, 2000 + i, 3000 + i],
                    &[500 + i],
                ),
                &[],
            );
        }
        let a = c.assign(&article(1, Some(50), &[1, 2, 3, 4, 5], &[7, 8]), &[]);
        let b = c.assign(&article(2, Some(51), &[1, 2, 3, 4, 6], &[7, 8]), &[]);
        let d = c.assign(&article(3, Some(51), &[10, 11, 12, 13], &[9]), &[]);
        assert!(a.new_event && !b.new_event && d.new_event);
        assert_eq!(a.event, b.event);
        assert_ne!(a.event, d.event);
        assert_eq!(c.event_day(a.event), Some(50));
    }

    #[test]
    fn copies_pull_into_the_event_and_time_is_neutral_when_undated() {
        let mut c = Clusterer::new(Params::default());
        let a = c.assign(&article(1, None, &[1, 2, 3], &[7]), &[]);
        let b = c.assign(&article(2, Some(3), &[1, 9, 10], &[7]), &[1]);
        assert_eq!(a.event, b.event);
        let ev = b.evidence.unwrap();
        let time = ev.signals.iter().find(|s| s.name == "time").unwrap();
        assert_eq!(time.contribution, 0.0);
    }

    #[test]
    fn same_order_same_result() {
        let run = || {
            let mut c = Clusterer::new(Params::default());
            (0..50u64)
                .map(|i| {
                    c.assign(
                        &article(i, Some((i % 7) as i64), &[i % 5, i % 3 + 10, i], &[i % 4]),
                        &[],
                    )
                    .event
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
