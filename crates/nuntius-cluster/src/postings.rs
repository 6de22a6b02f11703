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
