//! Stories: threads of events over time, and the story decision.
//!
//! A new event joins a story only on evidence about one of the story's recent events: names and
//! vocabulary it shares with that event, weighed by how rare they are in the latest articles, and
//! time. A story's state is not the sum of everything it ever held, so a story does not grow into
//! a net that catches every article naming a common place. An event whose best evidence lies
//! beyond the horizon starts a new story that continues the old one. Undated events may join on
//! strong rare names, but are never the evidence another event joins by, so they cannot bridge.

use std::collections::VecDeque;

use nuntius_model::{ClusterId, Evidence, Signal};

use crate::clusterer::Clusterer;
use crate::events::EventState;
use crate::features::{ArticleFeatures, StoryDecision};
use crate::hasher::{FastMap, FixedMap};
use crate::postings::Votes;
use crate::profile::Profile;
use crate::similarity::push_time_signal;

#[derive(Debug, Clone, Default)]
pub(crate) struct StoryState {
    pub(crate) events: Vec<ClusterId>,
    /// The latest explicit day of its articles.
    pub(crate) last_day: Option<i64>,
}

/// Shared entity rarity (sum of idf) at which the story entity signal reaches 1 − 1/e.
pub(crate) const STORY_ENTITY_SCALE: f64 = 6.0;
/// A name in one of this many recent articles or more is common: no evidence of a thread.
pub(crate) const STORY_COMMON_SHARE: f64 = 50.0;
/// Articles naming a name below which it is never common.
pub(crate) const STORY_MIN_COMMON: f64 = 30.0;

/// Entity document frequencies over the latest articles: what is rare now, not over all time.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecentNames {
    window: VecDeque<Vec<u64>>,
    df: FastMap<u64, u32>,
}

impl RecentNames {
    /// Counts an article's entities, forgetting the oldest article beyond `size`.
    pub(crate) fn push(&mut self, a: &ArticleFeatures, size: usize) {
        self.window
            .push_back(a.entities.iter().map(|(e, _)| *e).collect());
        for (e, _) in &a.entities {
            *self.df.entry(*e).or_default() += 1;
        }
        while self.window.len() > size.max(1) {
            if let Some(old) = self.window.pop_front() {
                for e in old {
                    if let Some(n) = self.df.get_mut(&e) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            self.df.remove(&e);
                        }
                    }
                }
            }
        }
    }

    /// The rarity of an entity among the latest articles: the log of how much rarer it is than
    /// a common name, and nothing for commoner names (the police unit, the city or the Games
    /// every other article names say nothing about which thread it is). A name is common in one
    /// of STORY_COMMON_SHARE recent articles, and never below STORY_MIN_COMMON articles, so a
    /// small corpus still links by the names its few articles share.
    fn rarity(&self, e: u64) -> f64 {
        let common = (self.window.len() as f64 / STORY_COMMON_SHARE).max(STORY_MIN_COMMON);
        let df = f64::from(self.df.get(&e).copied().unwrap_or(0));
        ((common + 1.0) / (df + 1.0)).ln().max(0.0)
    }
}

impl Clusterer {
    /// How much rare-name evidence two sides share, saturating: a story keeps naming the same
    /// rare people and places, while names that fill the latest news say nothing.
    pub(crate) fn shared_entity_evidence(&self, a: &[(u64, f32)], other: &FixedMap) -> f64 {
        let shared: f64 = a
            .iter()
            .filter(|(e, _)| other.contains_key(e))
            .map(|(e, _)| self.recent_names.rarity(*e))
            .sum();
        1.0 - (-shared / STORY_ENTITY_SCALE).exp()
    }

    /// Events that may speak for their story to a new event of `day`: found through shared
    /// rare names and terms, dated, within the continuation window, most votes first.
    fn evidence_events(&self, profile: &Profile, day: Option<i64>) -> Vec<ClusterId> {
        let p = &self.params;
        let mut votes = Votes::default();
        let mut keys: Vec<(u64, bool)> = profile.entities.keys().map(|e| (*e, true)).collect();
        keys.extend(profile.terms.keys().map(|t| (*t, false)));
        keys.sort_unstable();
        for (k, entity) in keys {
            if entity {
                votes.walk(
                    self.entity_postings.get(&k),
                    self.idf(self.entity_df.get(&k)),
                );
            } else {
                votes.walk(self.term_postings.get(&k), self.idf(self.term_df.get(&k)));
            }
        }
        votes
            .ranked()
            .filter(|e| {
                // An undated event never speaks for its story to a dated one: it could tie two
                // threads together without anything to say they are one in time. Between undated
                // events only strong rare names decide (see `choose_story`).
                match (day, self.events.get(e).map(|s| s.profile.median_day())) {
                    (Some(d), Some(Some(m))) => (d - m).abs() <= p.story_window_days,
                    (None, Some(m)) => m.is_some() || p.story_undated_evidence,
                    _ => false,
                }
            })
            .take(p.max_story_candidates)
            .collect()
    }

    /// The evidence that a new event (profile `x`) belongs with the story of `event`.
    fn story_evidence(
        &self,
        a: &ArticleFeatures,
        x: &Profile,
        x_entities: &[(u64, f32)],
        x_weighted: &crate::clusterer::Weighted,
        event: ClusterId,
        state: &EventState,
    ) -> Evidence {
        let p = &self.params;
        let (_, shared) = self.entity_overlap(x_entities, &state.profile.entities);
        let ent = self.shared_entity_evidence(x_entities, &state.profile.entities);
        let lex = self.lexical(x_weighted, &state.profile);
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
        let mut details = vec![
            format!("through event {event}"),
            crate::events::shared_entities_detail(&shared),
        ];
        if p.story_w_embedding > 0.0 {
            let closest = a.embedding.as_ref().and_then(|v| state.closest_member(v));
            if let Some((cos, m)) = closest {
                let cross = a.lang.is_some() && m.lang.is_some() && m.lang != a.lang;
                let bonus = if cross {
                    p.embedding_cross_language
                } else {
                    0.0
                };
                let scaled = self.calibration.scale(p, cos + bonus);
                signals.push(Signal {
                    name: "embedding".into(),
                    value: cos,
                    contribution: p.story_w_embedding * scaled,
                });
            }
        }
        let g = Self::time_signal(x.median_day(), &state.profile, p.story_sigma_days);
        push_time_signal(&mut signals, &mut details, g, p.story_w_time);
        let score = signals.iter().map(|s| s.contribution).sum();
        Evidence {
            target: state.story,
            score,
            threshold: p.story_threshold,
            signals,
            details,
        }
    }

    /// The story a new event (whose profile is given) joins, or a new story (which may continue
    /// an earlier one): the decision alone; [`Clusterer::record`] makes the change.
    ///
    /// `a` is the event's first article and `near` the events nearest to its embedding (see
    /// `embedding_neighbours`), which may speak for their stories across languages.
    pub(crate) fn choose_story(
        &self,
        a: &ArticleFeatures,
        x: &Profile,
        near: &[(f64, ClusterId)],
    ) -> StoryDecision {
        let p = &self.params;
        let day = x.median_day();
        let x_entities: Vec<(u64, f32)> = {
            let mut v: Vec<(u64, f32)> = x.entities.iter().map(|(e, w)| (*e, *w)).collect();
            v.sort_by_key(|e| e.0);
            v
        };
        let x_terms: Vec<(u64, f32)> = {
            let mut v: Vec<(u64, f32)> = x.terms.iter().map(|(t, w)| (*t, *w)).collect();
            v.sort_by_key(|t| t.0);
            v
        };
        let x_weighted = self.weigh(&x_terms);
        // Best evidence inside the horizon (joins) and beyond it (continues).
        let mut join: Option<Evidence> = None;
        let mut later: Option<Evidence> = None;
        let mut events = self.evidence_events(x, day);
        if p.story_w_embedding > 0.0 {
            let mut near = near.to_vec();
            near.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            for (_, ev) in near.into_iter().take(p.embedding_candidates) {
                let dated = self
                    .events
                    .get(&ev)
                    .is_some_and(|s| s.profile.median_day().is_some());
                if dated && !events.contains(&ev) {
                    events.push(ev);
                }
            }
        }
        for event in events {
            let Some(state) = self.events.get(&event) else {
                continue;
            };
            let mut evidence = self.story_evidence(a, x, &x_entities, &x_weighted, event, state);
            let ent = evidence.signals[0].value;
            if day.is_none() && ent < p.story_undated_entities {
                evidence.details.push(format!(
                    "undated: shared names {ent:.2} below {:.2}",
                    p.story_undated_entities
                ));
                evidence.score = evidence.score.min(evidence.threshold - 1e-9);
            }
            // Evidence from beyond the horizon continues a story only when the story has ended
            // (nothing within the horizon); a story still going is joined through its recent
            // events or not at all.
            let recent = |last: Option<&i64>| match (day, last) {
                (Some(d), Some(last)) => d - last <= p.story_horizon_days,
                _ => true,
            };
            let within = recent(state.profile.days.last());
            let story_ended = !recent(
                self.stories
                    .get(&state.story)
                    .and_then(|s| s.last_day.as_ref()),
            );
            if !within && !story_ended {
                continue;
            }
            let slot = if within { &mut join } else { &mut later };
            if slot
                .as_ref()
                .is_none_or(|b| evidence.score > b.score + 1e-12)
            {
                *slot = Some(evidence);
            }
        }
        let next = self.next_story.max(1);
        if let Some(b) = join.as_ref().filter(|b| b.score >= b.threshold) {
            return StoryDecision {
                story: b.target,
                new_story: false,
                continues: None,
                evidence: join,
            };
        }
        if let Some(b) = later.as_ref().filter(|b| b.score >= b.threshold) {
            let mut evidence = later.clone();
            let old = b.target;
            if let Some(e) = evidence.as_mut() {
                e.details
                    .push(format!("story #{old} ended; a new story continues it"));
            }
            return StoryDecision {
                story: next,
                new_story: true,
                continues: Some(old),
                evidence,
            };
        }
        StoryDecision {
            story: next,
            new_story: true,
            continues: None,
            evidence: join.or(later),
        }
    }
}
