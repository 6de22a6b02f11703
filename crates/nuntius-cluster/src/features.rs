//! What the clusterer is told of an article, and what it answers.

use nuntius_model::{ClusterId, Evidence};
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
    /// A new story that picks up a thread an earlier story left: that story.
    #[serde(default)]
    pub continues: Option<ClusterId>,
    pub evidence: Option<Evidence>,
}

/// What an event decided when it settled (its latest day fell `link_settle_days` behind the
/// clock): the event in another language it linked to, if any, and the stories that moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub event: ClusterId,
    pub linked: Option<ClusterId>,
    /// Events that moved to another story with the link (event, story): the linked group's
    /// events all belong to the story of its oldest event.
    pub moved: Vec<(ClusterId, ClusterId)>,
    /// The best comparison (linked) or the best one rejected, if any candidate.
    pub evidence: Option<Evidence>,
}
