//! The online clusterer: its state, the article decision and the shared signal helpers.

use std::collections::BTreeMap;

use nuntius_model::{ClusterId, Evidence};

use crate::events::EventState;
use crate::features::{ArticleFeatures, Decision, Link};
use crate::hasher::{FastMap, FixedMap};
use crate::params::{Calibration, Params};
use crate::postings::{push_posting, Postings, MAX_POSTINGS};
use crate::profile::Profile;
use crate::stories::{RecentNames, StoryState};

/// Terms of an article kept for the lexical cosine.
pub(crate) const LEXICAL_TERMS: usize = 64;

/// An article's terms as `(term, weight × idf, idf)` and the vector's norm.
pub(crate) type Weighted = (Vec<(u64, f64, f64)>, f64);

/// The online clusterer. Feed articles in arrival order with [`Clusterer::assign`].
#[derive(Debug, Default)]
pub struct Clusterer {
    pub(crate) params: Params,
    pub(crate) events: BTreeMap<ClusterId, EventState>,
    pub(crate) stories: BTreeMap<ClusterId, StoryState>,
    /// Document frequency of each term, and the number of documents seen.
    pub(crate) term_df: FastMap<u64, u32>,
    pub(crate) entity_df: FastMap<u64, u32>,
    pub(crate) docs: u32,
    /// Term → events whose members use it among their rarest terms (most recent last).
    pub(crate) term_postings: FastMap<u64, Postings>,
    pub(crate) entity_postings: FastMap<u64, Postings>,
    /// Entity frequencies over the latest articles, for story evidence.
    pub(crate) recent_names: RecentNames,
    pub(crate) article_event: FastMap<u64, ClusterId>,
    /// Events that have an embedding centroid, in the order they got it.
    pub(crate) embedded_events: Vec<ClusterId>,
    /// Document frequencies and count at the latest snapshot, for profile norms, and the count
    /// at which the next snapshot is taken.
    pub(crate) snapshot_df: FastMap<u64, u32>,
    pub(crate) snapshot_docs: u32,
    pub(crate) next_snapshot: u32,
    /// Snapshots taken by this clusterer, numbering them for the profile norm cache.
    pub(crate) snapshots: u64,
    /// The latest explicit day placed so far (never decreasing): the active window's clock.
    pub(crate) clock: Option<i64>,
    /// Ids the next new event and story get (events and stories leave memory, ids stay taken).
    pub(crate) next_event: ClusterId,
    pub(crate) next_story: ClusterId,
    /// Articles whose events left the window since [`Clusterer::take_evicted`] was last asked.
    pub(crate) evicted: Vec<u64>,
    /// The encoder's own band for the embedding signal.
    pub(crate) calibration: Calibration,
    /// Event → the event in another language it linked to when it settled (both in memory).
    pub(crate) links: BTreeMap<ClusterId, ClusterId>,
    /// Settle decisions since [`Clusterer::take_links`] was last asked.
    pub(crate) settled: Vec<Link>,
}

impl Clusterer {
    pub fn new(params: Params) -> Clusterer {
        Clusterer {
            params,
            ..Clusterer::default()
        }
    }

    /// Sets where the embedding cosine starts and stops counting, for the encoder in use.
    /// Parameters that set their own floor or ceiling keep it.
    pub fn set_embedding_calibration(&mut self, floor: f64, ceiling: f64) {
        self.calibration = Calibration { floor, ceiling };
    }

    /// The embedding signal's (floor, ceiling) in force.
    pub fn embedding_calibration(&self) -> (f64, f64) {
        self.calibration.in_force(&self.params)
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

    /// The active window's clock: the latest explicit day placed so far.
    pub fn clock(&self) -> Option<i64> {
        self.clock
    }

    /// The articles whose events left the active window since the last call, by event id then
    /// arrival.
    pub fn take_evicted(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.evicted)
    }

    /// Makes the next new event and story ids at least these (a store reopened holds ids of
    /// events that are no longer in memory).
    pub fn continue_ids(&mut self, event: ClusterId, story: ClusterId) {
        self.next_event = self.next_event.max(event);
        self.next_story = self.next_story.max(story);
    }

    /// Counts the names of the latest articles (oldest first) for story evidence, as live
    /// counting left them: a restore replays only the window's articles, but names are rare or
    /// common among the latest articles whatever their events.
    pub fn restore_recent_names<'a>(&mut self, latest: impl Iterator<Item = &'a ArticleFeatures>) {
        for a in latest {
            self.recent_names.push(a, self.params.story_rarity_docs);
        }
    }

    fn windowed(&self) -> bool {
        self.params.window_days > 0
    }

    /// Moves the clock to `day` when it is later. Events whose latest placement falls more
    /// than the window behind the clock leave memory; when any did, the document frequencies
    /// they leave are snapshotted for profile norms. True when events left.
    fn advance_clock(&mut self, day: Option<i64>) -> bool {
        let Some(d) = day else {
            return false;
        };
        if self.clock.is_some_and(|c| d <= c) {
            return false;
        }
        self.clock = Some(d);
        let mut left = false;
        if self.windowed() {
            let cut = d - self.params.window_days;
            let gone: Vec<ClusterId> = self
                .events
                .iter()
                .filter(|(_, e)| e.last_seen.is_some_and(|s| s < cut))
                .map(|(id, _)| *id)
                .collect();
            if !gone.is_empty() {
                self.evict(&gone);
                self.take_snapshot();
                left = true;
            }
        }
        self.settle(d);
        left
    }

    /// Takes events out of memory: their members, postings, document frequencies, embedding
    /// scan entries, and their stories' share (a story left with no event goes too).
    fn evict(&mut self, gone: &[ClusterId]) {
        let gone_set: FastMap<ClusterId, ()> = gone.iter().map(|e| (*e, ())).collect();
        let mut terms: Vec<u64> = Vec::new();
        let mut entities: Vec<u64> = Vec::new();
        let mut stories: Vec<ClusterId> = Vec::new();
        for id in gone {
            let Some(ev) = self.events.remove(id) else {
                continue;
            };
            forget_counts(&mut self.term_df, &ev.term_counts);
            forget_counts(&mut self.entity_df, &ev.entity_counts);
            self.docs = self
                .docs
                .saturating_sub(u32::try_from(ev.members.len()).unwrap_or(u32::MAX));
            for m in &ev.members {
                self.article_event.remove(m);
            }
            self.evicted.extend(&ev.members);
            terms.extend(ev.profile.terms.keys());
            entities.extend(ev.profile.entities.keys());
            stories.push(ev.story);
        }
        for (keys, map) in [
            (&mut terms, &mut self.term_postings),
            (&mut entities, &mut self.entity_postings),
        ] {
            keys.sort_unstable();
            keys.dedup();
            for k in keys.iter() {
                if map.get_mut(k).is_some_and(|l| l.forget(&gone_set)) {
                    map.remove(k);
                }
            }
        }
        self.embedded_events.retain(|e| !gone_set.contains_key(e));
        self.links
            .retain(|e, to| !gone_set.contains_key(e) && !gone_set.contains_key(to));
        stories.sort_unstable();
        stories.dedup();
        for s in stories {
            self.keep_story_events(s, |e| !gone_set.contains_key(&e));
        }
    }

    /// Keeps the events of `story` that `keep` says (a story left with none goes); its latest
    /// day becomes its remaining events' latest, as a restore of the window's articles finds
    /// it.
    pub(crate) fn keep_story_events(&mut self, story: ClusterId, keep: impl Fn(ClusterId) -> bool) {
        let Some(st) = self.stories.get_mut(&story) else {
            return;
        };
        st.events.retain(|e| keep(*e));
        if st.events.is_empty() {
            self.stories.remove(&story);
            return;
        }
        let events = &self.events;
        st.last_day = st
            .events
            .iter()
            .filter_map(|e| events.get(e).and_then(|x| x.profile.days.last().copied()))
            .max();
    }

    fn take_snapshot(&mut self) {
        self.snapshot_df = self.term_df.clone();
        self.snapshot_docs = self.docs;
        self.next_snapshot = self.docs + (self.docs / 20).max(1);
        self.snapshots += 1;
    }

    pub(crate) fn idf(&self, df: Option<&u32>) -> f32 {
        let n = self.docs.max(1) as f32;
        let df = df.copied().unwrap_or(0) as f32;
        ((n + 1.0) / (df + 1.0)).ln() + 1.0
    }

    /// Restores an earlier decision (when loading a store): the article joins `event`, which
    /// belongs to `story`, with no scoring. The state changes exactly as [`Clusterer::assign`]
    /// changed it when it made that decision, so that a store reopened continues as if the run
    /// had never stopped.
    ///
    /// `placed` is the clock the article was placed at, and `snapshot` says that events left
    /// the window just before it (so the live clusterer took a snapshot there). A restore
    /// replays only the articles still in the window, in arrival order, and then
    /// [`Clusterer::restore_recent_names`]: the state is the one live eviction left.
    pub fn restore(
        &mut self,
        a: &ArticleFeatures,
        event: ClusterId,
        story: ClusterId,
        placed: Option<i64>,
        snapshot: bool,
    ) {
        if let Some(p) = placed {
            self.clock = Some(self.clock.map_or(p, |c| c.max(p)));
        }
        if snapshot {
            self.take_snapshot();
        }
        self.count_document(a, false);
        self.record(a, event, story, placed);
    }

    /// Records that `a` joined `event` of `story` (creating either when new): the one state
    /// change shared by live decisions and restored ones.
    pub(crate) fn record(
        &mut self,
        a: &ArticleFeatures,
        event: ClusterId,
        story: ClusterId,
        placed: Option<i64>,
    ) {
        let new_event = !self.events.contains_key(&event);
        self.next_event = self.next_event.max(event + 1);
        self.next_story = self.next_story.max(story + 1);
        let windowed = self.windowed();
        let ev = self.events.entry(event).or_insert_with(|| EventState {
            story,
            ..EventState::default()
        });
        ev.profile.add(a);
        ev.last_seen = ev.last_seen.max(placed);
        if windowed {
            for (t, _) in &a.terms {
                *ev.term_counts.entry(*t).or_default() += 1;
            }
            for (e, _) in &a.entities {
                *ev.entity_counts.entry(*e).or_default() += 1;
            }
        }
        if let Some(l) = &a.lang {
            *ev.langs.entry(l.clone()).or_default() += 1;
        }
        ev.members.push(a.seq);
        if ev.keep_vector(a) {
            self.embedded_events.push(event);
        }
        let st = self.stories.entry(story).or_default();
        if new_event {
            st.events.push(event);
        }
        if let Some(d) = a.day {
            st.last_day = Some(st.last_day.map_or(d, |l| l.max(d)));
        }
        self.article_event.insert(a.seq, event);
        self.index_event(event, a);
    }

    pub(crate) fn count_document(&mut self, a: &ArticleFeatures, recent: bool) {
        self.docs += 1;
        if recent {
            self.recent_names.push(a, self.params.story_rarity_docs);
        }
        for (t, _) in &a.terms {
            *self.term_df.entry(*t).or_default() += 1;
        }
        for (e, _) in &a.entities {
            *self.entity_df.entry(*e).or_default() += 1;
        }
        if self.docs >= self.next_snapshot {
            // Profile norms are computed with the IDFs of this snapshot, taken at fixed corpus
            // sizes (every twentieth of growth): IDF moves slowly, and recomputing norms with the
            // IDF of the moment made them depend on when they were asked.
            self.take_snapshot();
        }
    }

    pub(crate) fn probe_terms(&self, a: &ArticleFeatures) -> Vec<u64> {
        let mut scored: Vec<(f32, u64)> = a
            .terms
            .iter()
            .map(|(t, w)| (w * self.idf(self.term_df.get(t)), *t))
            .collect();
        let order = |x: &(f32, u64), y: &(f32, u64)| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1));
        // The best `probe_terms` in that order: selected first, so that only they are sorted.
        let k = self.params.probe_terms;
        if scored.len() > k {
            scored.select_nth_unstable_by(k, order);
            scored.truncate(k);
        }
        scored.sort_by(order);
        scored.into_iter().map(|(_, t)| t).collect()
    }

    pub(crate) fn index_event(&mut self, event: ClusterId, a: &ArticleFeatures) {
        // The window bounds the lists; without one, each keeps its latest events only.
        let cap = (!self.windowed()).then_some(MAX_POSTINGS);
        for t in self.probe_terms(a) {
            push_posting(&mut self.term_postings, t, event, cap);
        }
        for (e, _) in &a.entities {
            push_posting(&mut self.entity_postings, *e, event, cap);
        }
    }

    /// Assigns an article. `copied_from` lists earlier articles it shares passages with.
    ///
    /// An article with a later explicit day than any before moves the clock first, and events
    /// out of the window leave (see [`Clusterer::take_evicted`]).
    pub fn assign(&mut self, a: &ArticleFeatures, copied_from: &[u64]) -> Decision {
        self.advance_clock(a.day);
        self.count_document(a, true);
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
            if let Some(story) = self.story_of_event(event) {
                self.record(a, event, story, self.clock);
                return Decision {
                    event,
                    new_event: false,
                    evidence: best,
                    story: None,
                };
            }
        }
        let event = self.next_event.max(1);
        let mut profile = Profile::default();
        profile.add(a);
        let story = self.choose_story(a, &profile, &near);
        self.record(a, event, story.story, self.clock);
        Decision {
            event,
            new_event: true,
            evidence: best,
            story: Some(story),
        }
    }

    /// The article's terms weighted by IDF, and their norm: computed once per comparison round.
    pub(crate) fn weigh(&self, terms: &[(u64, f32)]) -> Weighted {
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

    /// The profile's IDF-weighted norm, with the IDFs of the latest snapshot; kept until the
    /// profile changes or the snapshot does (recomputing it per comparison dominated ingest time).
    pub(crate) fn profile_norm(&self, profile: &Profile) -> f64 {
        if let Some((docs, norm)) = profile.norm.get() {
            if docs == self.snapshots {
                return norm;
            }
        }
        let n = self.snapshot_docs.max(1) as f32;
        let idf = |t: &u64| {
            let df = self.snapshot_df.get(t).copied().unwrap_or(0) as f32;
            ((n + 1.0) / (df + 1.0)).ln() + 1.0
        };
        // FixedMap iterates in an order set by its insertions alone, so this float sum is the
        // same in every run.
        let sq: f64 = profile
            .terms
            .iter()
            .map(|(t, c)| (f64::from(*c) * f64::from(idf(t))).powi(2))
            .sum();
        let norm = sq.max(0.0).sqrt();
        profile.norm.set(Some((self.snapshots, norm)));
        norm
    }

    pub(crate) fn lexical(&self, a: &Weighted, profile: &Profile) -> f64 {
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
    pub(crate) fn entity_overlap(&self, a: &[(u64, f32)], profile: &FixedMap) -> (f64, Vec<u64>) {
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

    pub(crate) fn time_signal(day: Option<i64>, profile: &Profile, sigma: f64) -> Option<f64> {
        let (d, m) = (day?, profile.median_day()?);
        let gap = (d - m) as f64;
        Some((-(gap * gap) / (2.0 * sigma * sigma)).exp())
    }

    /// Scores article `a` against article `b` alone, with the same signals and weights an event
    /// comparison uses and the document frequencies seen so far.
    pub fn pair_score(&self, a: &ArticleFeatures, b: &ArticleFeatures, copied: bool) -> Evidence {
        let mut state = EventState {
            members: vec![b.seq],
            ..EventState::default()
        };
        state.profile.add(b);
        state.keep_vector(b);
        self.score_event(a, &self.weigh(&a.terms), 0, &state, None, copied)
    }
}

/// Takes an event's counts out of document frequencies, dropping keys no document uses.
fn forget_counts(df: &mut FastMap<u64, u32>, counts: &FastMap<u64, u32>) {
    for (k, n) in counts {
        if let Some(d) = df.get_mut(k) {
            *d = d.saturating_sub(*n);
            if *d == 0 {
                df.remove(k);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn article(
        seq: u64,
        day: Option<i64>,
        terms: &[u64],
        entities: &[u64],
    ) -> ArticleFeatures {
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

    pub(crate) fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// A headline in some language with an embedding and terms of its own.
    pub(crate) fn headline(seq: u64, lang: &str, terms: &[u64], v: &[f32]) -> ArticleFeatures {
        ArticleFeatures {
            lang: Some(lang.to_string()),
            embedding: Some(unit(v)),
            body: false,
            ..article(seq, Some(0), terms, &[])
        }
    }

    pub(crate) fn embedding_clusterer() -> Clusterer {
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
    pub(crate) fn headlines_sharing_no_term_join_by_embedding() {
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
    pub(crate) fn texts_in_one_language_are_decided_by_their_terms() {
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
    pub(crate) fn similar_articles_share_an_event_and_others_do_not() {
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
    pub(crate) fn copies_pull_into_the_event_and_time_is_neutral_when_undated() {
        let mut c = Clusterer::new(Params::default());
        let a = c.assign(&article(1, None, &[1, 2, 3], &[7]), &[]);
        let b = c.assign(&article(2, Some(3), &[1, 9, 10], &[7]), &[1]);
        assert_eq!(a.event, b.event);
        let ev = b.evidence.unwrap();
        let time = ev.signals.iter().find(|s| s.name == "time").unwrap();
        assert_eq!(time.contribution, 0.0);
    }

    #[test]
    pub(crate) fn same_order_same_result() {
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

    /// A varied synthetic stream: 40 topics over 120 days, some undated, some embedded, in two
    /// languages, titles and texts, with noise terms and names shared across topics.
    fn stream(n: u64) -> Vec<ArticleFeatures> {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        (1..=n)
            .map(|seq| {
                let topic = next(40);
                let mut terms: Vec<u64> = (0..6).map(|_| topic * 100 + next(10)).collect();
                terms.push(5000 + next(300));
                terms.push(9000 + next(5));
                terms.sort_unstable();
                terms.dedup();
                let mut entities = vec![topic % 25, 1000 + next(8)];
                entities.sort_unstable();
                entities.dedup();
                let day = (next(5) != 0).then(|| (topic * 3 + next(4)) as i64);
                let embedded = next(2) == 0;
                let v: Vec<f32> = (0..8)
                    .map(|d| {
                        if d == topic % 8 {
                            1.0
                        } else {
                            next(100) as f32 / 400.0
                        }
                    })
                    .collect();
                ArticleFeatures {
                    lang: Some(if next(3) == 0 { "de" } else { "en" }.to_string()),
                    embedding: embedded.then(|| unit(&v)),
                    body: next(2) == 0,
                    hours: day.map(|d| d as f64 * 24.0 + next(24) as f64),
                    ..article(seq, day, &terms, &entities)
                }
            })
            .collect()
    }

    // Regression: restore never filled the story entity postings and built story profiles by
    // another path than live, so a reopened store clustered differently from an unbroken run.
    #[test]
    fn restore_then_assign_equals_one_live_run() {
        let articles = stream(300);
        let windowed = Params {
            window_days: 20,
            ..Params::default()
        };
        let unbounded = Params {
            window_days: 0,
            ..Params::with_embeddings()
        };
        // The stream is out of date order: events settle long after the clock passed them.
        let linking = Params {
            link_late_days: 365,
            ..Params::with_embeddings()
        };
        for params in [
            Params::default(),
            Params::with_embeddings(),
            windowed,
            unbounded,
            linking,
        ] {
            let live: Vec<Decision> = {
                let mut c = Clusterer::new(params.clone());
                c.set_embedding_calibration(0.6, 0.9);
                articles.iter().map(|a| c.assign(a, &[])).collect()
            };
            assert!(live.iter().filter(|d| !d.new_event).count() > 50);
            let joined_stories = live
                .iter()
                .filter(|d| d.story.as_ref().is_some_and(|s| !s.new_story))
                .count();
            assert!(joined_stories > 2, "{joined_stories}");
            let mut evictions = 0;
            let mut links = 0;
            for k in [1usize, 97, 150, 299] {
                let mut first = Clusterer::new(params.clone());
                first.set_embedding_calibration(0.6, 0.9);
                // What the store keeps of each placement: event, story, clock, and whether
                // events left just before it.
                let placed: Vec<(ClusterId, ClusterId, Option<i64>, bool)> = articles[..k]
                    .iter()
                    .map(|a| {
                        let d = first.assign(a, &[]);
                        let story = first
                            .story_of_event(d.event)
                            .expect("story of a placed event");
                        (
                            d.event,
                            story,
                            first.clock(),
                            !first.take_evicted().is_empty(),
                        )
                    })
                    .collect();
                evictions += placed.iter().filter(|p| p.3).count();
                // The store keeps every settle decision, and the story an event moved to.
                let settled = first.take_links();
                links += settled.iter().filter(|l| l.linked.is_some()).count();
                let mut reopened = Clusterer::new(params.clone());
                reopened.set_embedding_calibration(0.6, 0.9);
                for (a, (event, story, clock, snapshot)) in articles[..k].iter().zip(&placed) {
                    if first.event_of(a.seq).is_some() {
                        let story = first.story_of_event(*event).unwrap_or(*story);
                        reopened.restore(a, *event, story, *clock, *snapshot);
                    }
                }
                let latest = k.saturating_sub(params.story_rarity_docs);
                reopened.restore_recent_names(articles[latest..k].iter());
                for l in &settled {
                    reopened.restore_link(l.event, l.linked);
                }
                let next_event = placed.iter().map(|p| p.0 + 1).max().unwrap_or(1);
                let next_story = placed.iter().map(|p| p.1 + 1).max().unwrap_or(1);
                reopened.continue_ids(next_event, next_story);
                for (i, a) in articles.iter().enumerate().skip(k) {
                    assert_eq!(
                        reopened.assign(a, &[]),
                        live[i],
                        "article {i} after restoring {k}"
                    );
                }
            }
            if params.window_days == 20 {
                assert!(evictions > 0, "the small window evicted nothing");
            }
            if params.link_late_days > 100 {
                assert!(links > 0, "no event linked across languages");
            }
        }
    }
}
