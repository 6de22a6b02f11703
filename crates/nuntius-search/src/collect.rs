//! A collector that groups every matching article by story while scoring, so a story's rank is
//! its best article's score and pagination is over stories, not articles.

use std::cmp::Ordering;
use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// One matching article as collected: where it is, its score and its sequence number.
#[derive(Debug, Clone, Copy)]
pub struct Scored {
    pub score: Score,
    pub seq: u64,
    pub address: DocAddress,
}

/// Best score first; equal scores by lower sequence number, so order never depends on segments.
pub fn by_rank(a: &Scored, b: &Scored) -> Ordering {
    b.score.total_cmp(&a.score).then(a.seq.cmp(&b.seq))
}

/// The matching articles of one story: how many, and the best few.
#[derive(Debug, Clone)]
pub struct StoryGroup {
    pub story: u64,
    pub matched: usize,
    /// Sorted by [`by_rank`], at most the collector's `per_story` long.
    pub best: Vec<Scored>,
}

impl StoryGroup {
    fn push(&mut self, hit: Scored, per_story: usize) {
        self.matched += 1;
        if self.best.len() == per_story {
            match self.best.last() {
                Some(last) if by_rank(&hit, last) == Ordering::Less => {
                    self.best.pop();
                }
                _ => return,
            }
        }
        let at = self
            .best
            .binary_search_by(|probe| by_rank(probe, &hit))
            .unwrap_or_else(|i| i);
        self.best.insert(at, hit);
    }

    fn merge(&mut self, other: StoryGroup, per_story: usize) {
        let matched = self.matched + other.matched;
        for hit in other.best {
            self.push(hit, per_story);
        }
        self.matched = matched;
    }

    fn lead(&self) -> Option<&Scored> {
        self.best.first()
    }
}

/// Stories best first: by their best article's rank, then by story id.
pub fn story_order(a: &StoryGroup, b: &StoryGroup) -> Ordering {
    match (a.lead(), b.lead()) {
        (Some(x), Some(y)) => by_rank(x, y),
        _ => Ordering::Equal,
    }
    .then(a.story.cmp(&b.story))
}

/// Groups all matches by the `story` fast field, keeping `per_story` best articles per story.
pub struct StoryCollector {
    pub per_story: usize,
    pub scoring: bool,
}

pub struct StorySegmentCollector {
    segment: SegmentOrdinal,
    per_story: usize,
    seq: Column<u64>,
    story: Column<u64>,
    groups: HashMap<u64, StoryGroup>,
}

impl Collector for StoryCollector {
    type Fruit = Vec<StoryGroup>;
    type Child = StorySegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<StorySegmentCollector> {
        Ok(StorySegmentCollector {
            segment,
            per_story: self.per_story.max(1),
            seq: reader.fast_fields().u64("seq")?,
            story: reader.fast_fields().u64("story")?,
            groups: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scoring
    }

    fn merge_fruits(&self, fruits: Vec<Vec<StoryGroup>>) -> tantivy::Result<Vec<StoryGroup>> {
        let per_story = self.per_story.max(1);
        let mut all: HashMap<u64, StoryGroup> = HashMap::new();
        for group in fruits.into_iter().flatten() {
            match all.get_mut(&group.story) {
                Some(existing) => existing.merge(group, per_story),
                None => {
                    all.insert(group.story, group);
                }
            }
        }
        let mut groups: Vec<StoryGroup> = all.into_values().collect();
        groups.sort_by(story_order);
        Ok(groups)
    }
}

impl SegmentCollector for StorySegmentCollector {
    type Fruit = Vec<StoryGroup>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let seq = self.seq.first(doc).unwrap_or(u64::MAX);
        let story = self.story.first(doc).unwrap_or(u64::MAX);
        let hit = Scored {
            score,
            seq,
            address: DocAddress::new(self.segment, doc),
        };
        let per_story = self.per_story;
        self.groups
            .entry(story)
            .or_insert_with(|| StoryGroup {
                story,
                matched: 0,
                best: Vec::with_capacity(1),
            })
            .push(hit, per_story);
    }

    fn harvest(self) -> Vec<StoryGroup> {
        self.groups.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(score: f32, seq: u64) -> Scored {
        Scored {
            score,
            seq,
            address: DocAddress::new(0, seq as u32),
        }
    }

    #[test]
    fn keeps_best_per_story_and_counts_all() {
        let mut g = StoryGroup {
            story: 1,
            matched: 0,
            best: Vec::new(),
        };
        for (score, seq) in [(1.0, 5), (2.0, 9), (1.0, 3), (0.5, 1), (2.0, 7)] {
            g.push(hit(score, seq), 3);
        }
        assert_eq!(g.matched, 5);
        let seqs: Vec<u64> = g.best.iter().map(|h| h.seq).collect();
        assert_eq!(seqs, [7, 9, 3]);
    }
}
