//! Stories: the threads new events join, and the story decision.

use nuntius_model::{ClusterId, Evidence, Signal};

use crate::clusterer::Clusterer;
use crate::features::StoryDecision;
use crate::hasher::{FastMap, FixedMap};
use crate::postings::POSTINGS_WALKED;
use crate::profile::Profile;
use crate::similarity::push_time_signal;

#[derive(Debug, Clone, Default)]
pub(crate) struct StoryState {
    pub(crate) profile: Profile,
    pub(crate) events: Vec<ClusterId>,
}

/// Shared entity rarity (sum of idf) at which the story entity signal reaches 1 − 1/e.
pub(crate) const STORY_ENTITY_SCALE: f64 = 12.0;
/// Pseudo-documents added to the corpus size when weighing names for stories.
pub(crate) const STORY_PRIOR_DOCS: f64 = 100.0;

impl Clusterer {
    /// How much rare-name evidence two sides share, saturating: a story is a longer arc that keeps
    /// naming the same people and places, while each event also names many others.
    pub(crate) fn shared_entity_evidence(&self, a: &[(u64, f32)], profile: &FixedMap) -> f64 {
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

    /// The story a new event (whose profile is given) joins, or a new story: the decision alone;
    /// [`Clusterer::record`] makes the change.
    pub(crate) fn choose_story(&self, event_profile: &Profile) -> StoryDecision {
        let p = &self.params;
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
            let g = Self::time_signal(day, &st.profile, p.story_sigma_days);
            push_time_signal(&mut signals, &mut details, g, p.story_w_time);
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
        StoryDecision {
            story,
            new_story,
            evidence: best,
        }
    }
}
