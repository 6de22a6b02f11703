//! Postings from terms and entities to the events and stories that use them, most recent last.

use nuntius_model::ClusterId;

use crate::hasher::FastMap;

/// Most recent postings of a key walked when looking for candidates: a key that many events
/// share says little, and the recent ones are the ones inside the time window.
pub(crate) const POSTINGS_WALKED: usize = 100;

/// Longest postings list kept per key; older events fall off (they are out of the window anyway).
pub(crate) const MAX_POSTINGS: usize = 400;

pub(crate) fn push_posting(map: &mut FastMap<u64, Vec<ClusterId>>, key: u64, id: ClusterId) {
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

/// Votes of postings for the events they lead to, handed out most votes first (ties to the
/// lower id). Only as many are ranked as the caller takes: a heap, not a sort of every event
/// a common word reaches (sorting them all was a third of the placement time on DICE).
#[derive(Default)]
pub(crate) struct Votes(FastMap<ClusterId, f32>);

impl Votes {
    /// Adds `w` to each of the most recent [`POSTINGS_WALKED`] events of `list`.
    pub(crate) fn walk(&mut self, list: Option<&Vec<ClusterId>>, w: f32) {
        for ev in list
            .into_iter()
            .flat_map(|l| l.iter().rev().take(POSTINGS_WALKED))
        {
            *self.0.entry(*ev).or_default() += w;
        }
    }

    pub(crate) fn add(&mut self, ev: ClusterId, w: f32) {
        *self.0.entry(ev).or_default() += w;
    }

    /// The events, most votes first.
    pub(crate) fn ranked(self) -> impl Iterator<Item = ClusterId> {
        let mut heap: std::collections::BinaryHeap<Ranked> =
            self.0.into_iter().map(|(ev, v)| Ranked(v, ev)).collect();
        std::iter::from_fn(move || heap.pop().map(|r| r.1))
    }
}

/// Ordered by votes, then by the lower id: the heap's greatest is the best candidate.
struct Ranked(f32, ClusterId);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_come_out_most_first_ties_to_the_lower_id() {
        let mut v = Votes::default();
        v.walk(Some(&vec![5, 3, 9]), 1.0);
        v.walk(Some(&vec![9]), 1.0);
        v.add(7, 0.5);
        v.add(4, 1.0);
        let ranked: Vec<ClusterId> = v.ranked().collect();
        assert_eq!(ranked, vec![9, 3, 4, 5, 7]);
    }
}
