//! Online clustering: each arriving article joins the best recent event or starts one; each new
//! event joins the best story or starts one.
//!
//! An article is compared with candidate events (found through shared rare terms, shared entities
//! and copied passages, never by scanning every event) on several signals, each in `0..=1`:
//! lexical cosine of stemmed terms (TF-IDF against the event centroid), entity overlap weighted by
//! rarity, copied passages shared with a member, an optional embedding cosine, and time proximity
//! (a Gaussian on the day gap; an undated side gets a neutral value that neither adds nor takes).
//! The weighted sum against a threshold decides, and every decision keeps its [`Evidence`].
//! Everything iterates in a defined order, so the same input order gives the same clusters.
//!
//! Modules by concept: `params` (weights, thresholds, the embedding calibration), `features`
//! (what goes in and comes out), `profile` (what an event or story accumulates), `postings`
//! (key → events/stories), `events` (candidates and the event decision), `stories` (the story
//! decision), `links` (events in other languages linked once they settle), `clusterer` (state and
//! the article decision), `hasher`, `similarity`.
//!
//! [`Evidence`]: nuntius_model::Evidence

mod clusterer;
mod events;
mod features;
mod hasher;
mod links;
mod params;
mod postings;
mod profile;
mod similarity;
mod stories;

pub use clusterer::Clusterer;
pub use features::{ArticleFeatures, Decision, Link, StoryDecision};
pub use hasher::{FastMap, U64Hasher};
pub use links::Groups as LinkGroups;
pub use params::{Calibration, EventWeights, Params};
pub use similarity::pair_similarity;
