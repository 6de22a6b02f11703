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

mod model;

pub use model::{
    pair_similarity, ArticleFeatures, Clusterer, Decision, EventWeights, Params, StoryDecision,
};
