//! Postings from terms and entities to the events and stories that use them, most recent last.

use nuntius_model::ClusterId;

use crate::hasher::FastMap;

/// Most recent postings of a key walked when looking for candidates: a key that many events
/// share says little, and the recent ones are the ones inside the time window.
pub(crate) const POSTINGS_WALKED: usize = 100;

/// Longest postings list kept per key when no active window bounds them; older events fall
/// off (they are out of the time window anyway, and never among the walked ones).
pub(crate) const MAX_POSTINGS: usize = 400;

/// The events that used a key, in the order of their latest use (an event may appear more
/// than once until the list is compacted; its last place is the one that counts).
#[derive(Debug, Clone, Default)]
pub(crate) struct Postings {
    ids: Vec<ClusterId>,
    /// Length after the last compaction: the list is compacted when it doubles.
    compacted: usize,
}

impl Postings {
    /// Keeps each event's latest place only, and (when `cap` is set) the `cap` latest events.
    fn compact(&mut self, cap: Option<usize>) {
        let mut seen: FastMap<ClusterId, ()> = FastMap::default();
        let mut out: Vec<ClusterId> = Vec::with_capacity(self.ids.len());
        for id in self.ids.iter().rev() {
            if seen.insert(*id, ()).is_none() {
                out.push(*id);
                if cap.is_some_and(|c| out.len() >= c) {
                    break;
                }
            }
        }
        out.reverse();
        self.ids = out;
        self.compacted = self.ids.len();
    }

    /// Drops the events `gone` holds; true when nothing is left.
    pub(crate) fn forget(&mut self, gone: &FastMap<ClusterId, ()>) -> bool {
        self.ids.retain(|e| !gone.contains_key(e));
        self.compacted = self.compacted.min(self.ids.len());
        self.ids.is_empty()
    }
}

/// Notes that event `id` used `key` now. A list is compacted (each event at its latest place)
/// when it has doubled since the last compaction, so pushes cost no scan; `cap` (used when no
/// window bounds the lists) keeps only the latest events. Neither changes which events a walk
/// finds, so eviction and restore agree with a list never compacted.
pub(crate) fn push_posting(
    map: &mut FastMap<u64, Postings>,
    key: u64,
    id: ClusterId,
    cap: Option<usize>,
) {
    let list = map.entry(key).or_default();
    if list.ids.last() == Some(&id) {
        return;
    }
    list.ids.push(id);
    if list.ids.len() >= 2 * list.compacted.max(32) {
        list.compact(cap);
    }
}

/// Votes of postings for the events they lead to, handed out most votes first (ties to the
/// lower id). Only as many are ranked as the caller takes: a heap, not a sort of every event
/// a common word reaches (sorting them all was a third of the placement time on DICE).
#[derive(Default)]
pub(crate) struct Votes {
    votes: FastMap<ClusterId, f32>,
    /// The walk that last saw each event, so a walk counts an event once.
    seen: FastMap<ClusterId, u32>,
    walks: u32,
}

impl Votes {
    /// Adds `w` to each of the [`POSTINGS_WALKED`] events of `list` used latest.
    pub(crate) fn walk(&mut self, list: Option<&Postings>, w: f32) {
        let Some(list) = list else {
            return;
        };
        self.walks += 1;
        let mut walked = 0;
        for ev in list.ids.iter().rev() {
            if self.seen.insert(*ev, self.walks) == Some(self.walks) {
                continue;
            }
            *self.votes.entry(*ev).or_default() += w;
            walked += 1;
            if walked == POSTINGS_WALKED {
                break;
            }
        }
    }

    pub(crate) fn add(&mut self, ev: ClusterId, w: f32) {
        *self.votes.entry(ev).or_default() += w;
    }

    /// The events, most votes first.
    pub(crate) fn ranked(self) -> impl Iterator<Item = ClusterId> {
        let mut heap: std::collections::BinaryHeap<Ranked> = self
            .votes
            .into_iter()
            .map(|(ev, v)| Ranked(v, ev))
            .collect();
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

    fn list(ids: &[ClusterId]) -> Postings {
        let mut map = FastMap::default();
        for id in ids {
            push_posting(&mut map, 1, *id, None);
        }
        map.remove(&1).unwrap_or_default()
    }

    #[test]
    fn votes_come_out_most_first_ties_to_the_lower_id() {
        let mut v = Votes::default();
        v.walk(Some(&list(&[5, 3, 9])), 1.0);
        v.walk(Some(&list(&[9])), 1.0);
        v.add(7, 0.5);
        v.add(4, 1.0);
        let ranked: Vec<ClusterId> = v.ranked().collect();
        assert_eq!(ranked, vec![9, 3, 4, 5, 7]);
    }

    #[test]
    fn a_walk_counts_each_event_once_at_its_latest_use() {
        // Event 1 used the key first and last: it is the latest, counted once.
        let l = list(&[1, 2, 1]);
        let mut v = Votes::default();
        v.walk(Some(&l), 1.0);
        let ranked: Vec<ClusterId> = v.ranked().collect();
        assert_eq!(ranked, vec![1, 2]);
    }

    #[test]
    fn compaction_and_forgetting_leave_the_walked_events_as_a_fresh_list_has_them() {
        // Pushes that compact (long) against the same events pushed once each, in the order
        // of their latest use, after forgetting the same events.
        let pushes: Vec<ClusterId> = (0..500).map(|i| (i * 7) % 130).collect();
        let mut long = list(&pushes);
        let mut order: Vec<ClusterId> = Vec::new();
        for p in &pushes {
            order.retain(|x| x != p);
            order.push(*p);
        }
        let gone: FastMap<ClusterId, ()> =
            (0..130).filter(|e| e % 3 == 0).map(|e| (e, ())).collect();
        long.forget(&gone);
        order.retain(|e| !gone.contains_key(e));
        let mut fresh = list(&order);
        fresh.forget(&FastMap::default());
        let walked = |l: &Postings| {
            let mut v = Votes::default();
            v.walk(Some(l), 1.0);
            let mut r: Vec<ClusterId> = v.ranked().collect();
            r.sort_unstable();
            r
        };
        assert_eq!(walked(&long), walked(&fresh));
    }
}
