//! Events: their state, the candidates an article is compared with, and the event decision's
//! signals.

use nuntius_model::{ClusterId, Evidence, Signal};

use crate::clusterer::{Clusterer, Weighted};
use crate::features::ArticleFeatures;
use crate::hasher::FastMap;
use crate::postings::Votes;
use crate::profile::Profile;
use crate::similarity::{cosine, push_time_signal};

#[derive(Debug, Clone, Default)]
pub(crate) struct EventState {
    pub(crate) story: ClusterId,
    pub(crate) profile: Profile,
    pub(crate) members: Vec<u64>,
    /// Embeddings of the latest members (at most `MEMBER_VECTORS`).
    pub(crate) vectors: Vec<MemberVector>,
    /// The latest clock a member was placed at: the event leaves memory when it falls out of
    /// the active window. `None` while no article of the stream had a date.
    pub(crate) last_seen: Option<i64>,
    /// Members using each term and entity (kept only with an active window), to take them out
    /// of the document frequencies when the event leaves.
    pub(crate) term_counts: FastMap<u64, u32>,
    pub(crate) entity_counts: FastMap<u64, u32>,
    /// Members per language, for the event's own language (see `links`).
    pub(crate) langs: std::collections::BTreeMap<String, u32>,
    /// Whether the event has had its one chance to link with an event in another language.
    pub(crate) settled: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct MemberVector {
    pub(crate) vector: Vec<f32>,
    pub(crate) lang: Option<String>,
    pub(crate) body: bool,
}

/// Member embeddings kept per event for the member side of the embedding signal.
pub(crate) const MEMBER_VECTORS: usize = 12;

impl EventState {
    /// The language most of the members are in (the first in order on a tie).
    pub(crate) fn language(&self) -> Option<&str> {
        let mut best: Option<(&str, u32)> = None;
        for (l, n) in &self.langs {
            if best.is_none_or(|(_, b)| *n > b) {
                best = Some((l, *n));
            }
        }
        best.map(|(l, _)| l)
    }

    /// Keeps the article's embedding, if any; true when it is the event's first, so that the
    /// event joins the ones scanned for embedding candidates.
    pub(crate) fn keep_vector(&mut self, a: &ArticleFeatures) -> bool {
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
    pub(crate) fn closest_member(&self, v: &[f32]) -> Option<(f64, &MemberVector)> {
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

impl Clusterer {
    /// Cosines of an embedded article with the centroids of the latest events in its window, in
    /// scan order (empty without an embedding or when the signal is off).
    pub(crate) fn embedding_neighbours(&self, a: &ArticleFeatures) -> Vec<(f64, ClusterId)> {
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

    pub(crate) fn candidates(
        &self,
        a: &ArticleFeatures,
        copy_events: &[ClusterId],
        near: &[(f64, ClusterId)],
    ) -> Vec<ClusterId> {
        let mut votes = Votes::default();
        for t in self.probe_terms(a) {
            if let Some(list) = self.term_postings.get(&t) {
                votes.walk(Some(list), self.idf(self.term_df.get(&t)));
            }
        }
        for (e, _) in &a.entities {
            if let Some(list) = self.entity_postings.get(e) {
                votes.walk(Some(list), self.idf(self.entity_df.get(e)));
            }
        }
        for ev in copy_events {
            votes.add(*ev, 1e6);
        }
        let window = self.params.event_window_days;
        // Rank by votes first; the time window is checked only until enough candidates pass.
        let mut out: Vec<ClusterId> = votes
            .ranked()
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

    pub(crate) fn score_event(
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
            details.push(shared_entities_detail(&shared));
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
                let scaled = self.calibration.scale(p, x);
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
        let g = by_hours.or_else(|| Self::time_signal(a.day, profile, w.event_sigma_days));
        push_time_signal(&mut signals, &mut details, g, w.w_time);
        let score = signals.iter().map(|s| s.contribution).sum();
        Evidence {
            target: event,
            score,
            threshold: w.event_threshold,
            signals,
            details,
        }
    }
}

/// Whether an article of `day` falls within `window` days of an event's dated members (an
/// undated side always does).
pub(crate) fn in_window(day: Option<i64>, profile: &Profile, window: i64) -> bool {
    match (day, profile.days.first(), profile.days.last()) {
        (Some(d), Some(lo), Some(hi)) => d >= lo - window && d <= hi + window,
        _ => true,
    }
}

/// The evidence line naming shared entities (`shared entities: #3 #17`); the read side finds
/// the ids in it, so its form lives in this one place.
pub(crate) fn shared_entities_detail(shared: &[u64]) -> String {
    let ids: Vec<String> = shared.iter().map(|e| format!("#{e}")).collect();
    format!("shared entities: {}", ids.join(" "))
}
