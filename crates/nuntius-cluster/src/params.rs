//! The clusterer's weights and thresholds, and the embedding calibration.

use serde::{Deserialize, Serialize};

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
    /// Weight of the embedding cosine (scaled by the calibration) in the story decision.
    pub story_w_embedding: f64,
    /// Days over which evidence can continue an ended story (and the furthest evidence looked
    /// at).
    pub story_window_days: i64,
    /// Days after a story's latest article within which an event may join it; beyond, the story
    /// has ended and a later event can only start a story that continues it.
    pub story_horizon_days: i64,
    /// Shared-name evidence (`0..=1`) an undated event needs to join a story.
    pub story_undated_entities: f64,
    /// Whether undated events may be the evidence an undated event joins a story by (always
    /// under the strong-name rule above; never for a dated event).
    pub story_undated_evidence: bool,
    /// Latest articles over which a name's rarity is counted for story evidence.
    pub story_rarity_docs: usize,
    /// Terms of an article used to look up candidate events.
    pub probe_terms: usize,
    /// Maximum candidate events scored per article.
    pub max_candidates: usize,
    /// Maximum candidate stories scored per new event.
    pub max_story_candidates: usize,
    /// The active window, in days of publication time: an event none of whose articles was
    /// placed within this many days of the clock (the latest explicit day placed so far) leaves
    /// memory, with its postings and its share of the document frequencies. 0 keeps everything.
    pub window_days: i64,
    /// Whether settled events link to an event in another language (embeddings only; see
    /// `links.rs`), and how: an event settles when its latest day is more than
    /// `link_settle_days` behind the clock; candidates are events in other languages within
    /// `link_near_days` of it; the score is a margin (twice the cosine of the language-centred
    /// centroids, less each side's mean cosine with its `link_neighbours` nearest events in
    /// other languages) less `link_day_weight` per day between the median days, compared
    /// with `link_threshold` for the `link_candidates` nearest.
    pub link_languages: bool,
    pub link_threshold: f64,
    pub link_neighbours: usize,
    pub link_candidates: usize,
    pub link_day_weight: f64,
    pub link_settle_days: i64,
    pub link_near_days: i64,
    /// An event the clock has left more than this many days past settling before it settles
    /// (a gap in the stream, a stream out of date order, a store from before links) settles
    /// without being compared, so a round never compares the whole window.
    pub link_late_days: i64,
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
            story_w_embedding: 0.0,
            story_window_days: 60,
            story_horizon_days: 14,
            story_undated_entities: 0.45,
            story_rarity_docs: 3000,
            story_undated_evidence: true,
            probe_terms: 12,
            max_candidates: 24,
            max_story_candidates: 16,
            window_days: 90,
            link_languages: false,
            link_threshold: 0.1,
            link_neighbours: 3,
            link_candidates: 20,
            link_day_weight: 0.05,
            link_settle_days: 2,
            link_near_days: 2,
            link_late_days: 7,
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
            story_w_embedding: 0.4,
            link_languages: true,
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

/// The embedding signal's calibration: the cosine at or below which it is 0 and the cosine at or
/// above which it is 1. Encoders differ in where unrelated and same-event texts fall, so each
/// encoder brings its own; [`Params::embedding_floor`] and [`Params::embedding_ceiling`] override
/// it when set. This is the one place the two are reconciled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub floor: f64,
    pub ceiling: f64,
}

impl Default for Calibration {
    /// A wide band for an encoder that brought none.
    fn default() -> Calibration {
        Calibration {
            floor: 0.5,
            ceiling: 0.9,
        }
    }
}

impl Calibration {
    /// The band in force under `params`: the parameters' own floor or ceiling where set, else
    /// this encoder's, with the ceiling kept above the floor.
    pub fn in_force(self, params: &Params) -> (f64, f64) {
        let floor = params.embedding_floor.unwrap_or(self.floor);
        let ceiling = params.embedding_ceiling.unwrap_or(self.ceiling);
        (floor, ceiling.max(floor + 1e-6))
    }

    /// Scales an embedding cosine to the signal's `0..=1`.
    pub fn scale(self, params: &Params, cosine: f64) -> f64 {
        let (floor, ceiling) = self.in_force(params);
        ((cosine - floor) / (ceiling - floor)).clamp(0.0, 1.0)
    }
}
