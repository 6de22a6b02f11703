//! Events in one language linked to the event in another language that reports the same
//! happening.
//!
//! Articles join events one by one, and across languages they share no term and few names, so
//! one happening often forms one event per language. Once an event has settled (its latest day
//! is `link_settle_days` behind the clock, so it has most of its members), it gets one chance
//! to link with an event in another language: the centroids are compared after taking out each
//! language's mean embedding (an encoder places any two texts of one language nearer than a
//! translation), and the cosine is judged as a margin over each side's nearest events in other
//! languages (a centroid near everything is evidence of nothing). A group of linked events holds
//! at most one event per language, so links never chain two events of one language together;
//! its events move to the story of its oldest event. Undated events never settle.
//!
//! Everything here is a function of the events in memory when the clock moves, taken in id
//! order, so a restored clusterer (which is told the settle decisions, see
//! [`Clusterer::restore_link`]) continues as live did.

use std::collections::{BTreeMap, BTreeSet};

use nuntius_model::{ClusterId, Evidence, Signal};

use crate::clusterer::Clusterer;
use crate::features::Link;

/// The events a linking round compares, with their ids ordered by latest day.
struct Pool {
    entries: BTreeMap<ClusterId, Entry>,
    by_hi: Vec<(i64, ClusterId)>,
}

impl Pool {
    /// The entries within `days` of `entry` (itself included), in (latest day, id) order.
    fn near<'a>(
        &'a self,
        entry: &'a Entry,
        days: i64,
    ) -> impl Iterator<Item = (ClusterId, &'a Entry)> + 'a {
        let from = self.by_hi.partition_point(|(hi, _)| *hi < entry.lo - days);
        self.by_hi[from..].iter().filter_map(move |(_, id)| {
            let x = self.entries.get(id)?;
            entry.near(x, days).then_some((*id, x))
        })
    }
}

/// A dated, embedded event as the linking round sees it.
struct Entry {
    lang: String,
    lo: i64,
    hi: i64,
    median: i64,
    /// Language-centred centroid, unit length.
    vector: Vec<f64>,
}

impl Entry {
    fn near(&self, other: &Entry, days: i64) -> bool {
        other.lo <= self.hi + days && self.lo <= other.hi + days
    }
}

impl Clusterer {
    /// The settle decisions since the last call, in the order they were made.
    pub fn take_links(&mut self) -> Vec<Link> {
        std::mem::take(&mut self.settled)
    }

    /// Restores a settle decision (when loading a store, after the window's articles): the
    /// event has settled, linked to `linked` if that is still in memory.
    pub fn restore_link(&mut self, event: ClusterId, linked: Option<ClusterId>) {
        let Some(ev) = self.events.get_mut(&event) else {
            return;
        };
        ev.settled = true;
        if let Some(to) = linked.filter(|to| self.events.contains_key(to)) {
            self.links.insert(event, to);
        }
    }

    /// Settles the events whose latest day is far enough behind `clock`, in id order.
    pub(crate) fn settle(&mut self, clock: i64) {
        let p = &self.params;
        if !p.link_languages {
            return;
        }
        let due: Vec<ClusterId> = self
            .events
            .iter()
            .filter(|(_, e)| {
                !e.settled
                    && e.profile
                        .days
                        .last()
                        .is_some_and(|l| *l + p.link_settle_days < clock)
            })
            .map(|(id, _)| *id)
            .collect();
        if due.is_empty() {
            return;
        }
        // Only events within reach of a recent due event's candidates (or theirs) are compared.
        // An event the clock left far behind before it settled (a gap in the stream, a store
        // from before links) settles without looking: a week's events are compared, never the
        // whole window.
        let (p_settle, late) = (p.link_settle_days, p.link_late_days);
        let recent = move |hi: i64| hi + p_settle + late >= clock;
        let reach = due
            .iter()
            .filter_map(|e| self.events.get(e))
            .filter(|s| s.profile.days.last().is_some_and(|hi| recent(*hi)))
            .filter_map(|s| s.profile.days.first())
            .min()
            .map_or(i64::MAX, |lo| lo - 2 * p.link_near_days);
        let pool = self.link_pool(reach);
        let mut groups = Groups::of(&self.links);
        let mut hubs: BTreeMap<ClusterId, f64> = BTreeMap::new();
        for event in due {
            let (linked, evidence) = match pool.entries.get(&event).filter(|e| recent(e.hi)) {
                Some(entry) => self.best_link(event, entry, &pool, &groups, &mut hubs),
                None => (None, None),
            };
            if let Some(ev) = self.events.get_mut(&event) {
                ev.settled = true;
            }
            let mut moved = Vec::new();
            if let Some(to) = linked {
                self.links.insert(event, to);
                moved = self.join_stories(&mut groups, event, to);
            }
            self.settled.push(Link {
                event,
                linked,
                moved,
                evidence,
            });
        }
    }

    /// Every dated event with an embedding whose latest day is `reach` or later, with its
    /// language-centred centroid.
    fn link_pool(&self, reach: i64) -> Pool {
        // Each language's mean embedding over the events in memory (an event counts for its
        // own language), summed in id order.
        let mut sums: BTreeMap<&str, (Vec<f64>, f64)> = BTreeMap::new();
        for ev in self.events.values() {
            let (Some(lang), Some(sum)) = (ev.language(), &ev.profile.embedding) else {
                continue;
            };
            let s = sums
                .entry(lang)
                .or_insert_with(|| (vec![0.0; sum.len()], 0.0));
            if s.0.len() != sum.len() {
                continue;
            }
            for (t, x) in s.0.iter_mut().zip(sum) {
                *t += f64::from(*x);
            }
            s.1 += f64::from(ev.profile.embedded);
        }
        let mut pool = BTreeMap::new();
        for (id, ev) in &self.events {
            let (Some(lang), Some(sum), Some(lo), Some(hi), Some(median)) = (
                ev.language(),
                &ev.profile.embedding,
                ev.profile.days.first(),
                ev.profile.days.last(),
                ev.profile.median_day(),
            ) else {
                continue;
            };
            if *hi < reach {
                continue;
            }
            let Some((total, n)) = sums
                .get(lang)
                .filter(|(t, n)| *n > 0.0 && t.len() == sum.len())
            else {
                continue;
            };
            let k = f64::from(ev.profile.embedded) / n;
            let mut v: Vec<f64> = sum
                .iter()
                .zip(total)
                .map(|(x, t)| f64::from(*x) - k * t)
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm <= 1e-9 {
                continue;
            }
            for x in &mut v {
                *x /= norm;
            }
            pool.insert(
                *id,
                Entry {
                    lang: lang.to_string(),
                    lo: *lo,
                    hi: *hi,
                    median,
                    vector: v,
                },
            );
        }
        let mut by_hi: Vec<(i64, ClusterId)> = pool.iter().map(|(id, e)| (e.hi, *id)).collect();
        by_hi.sort_unstable();
        Pool {
            entries: pool,
            by_hi,
        }
    }

    /// An event's cosines with the events in other languages near it, highest first (ties by
    /// id).
    fn neighbours(&self, event: ClusterId, entry: &Entry, pool: &Pool) -> Vec<(f64, ClusterId)> {
        let mut near: Vec<(f64, ClusterId)> = pool
            .near(entry, self.params.link_near_days)
            .filter(|(id, x)| *id != event && x.lang != entry.lang)
            .map(|(id, x)| (dot(&entry.vector, &x.vector), id))
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        near
    }

    /// The mean of the `link_neighbours` highest cosines in `near` (sorted highest first).
    fn hub_of(&self, near: &[(f64, ClusterId)]) -> f64 {
        let k = self.params.link_neighbours.max(1).min(near.len());
        if k == 0 {
            0.0
        } else {
            near[..k].iter().map(|(c, _)| c).sum::<f64>() / k as f64
        }
    }

    /// The mean cosine of an event with its nearest events in other languages.
    fn hub(
        &self,
        event: ClusterId,
        entry: &Entry,
        pool: &Pool,
        hubs: &mut BTreeMap<ClusterId, f64>,
    ) -> f64 {
        if let Some(h) = hubs.get(&event) {
            return *h;
        }
        let h = self.hub_of(&self.neighbours(event, entry, pool));
        hubs.insert(event, h);
        h
    }

    /// The event in another language `event` links to, and the evidence of the best candidate.
    fn best_link(
        &self,
        event: ClusterId,
        entry: &Entry,
        pool: &Pool,
        groups: &Groups,
        hubs: &mut BTreeMap<ClusterId, f64>,
    ) -> (Option<ClusterId>, Option<Evidence>) {
        let p = &self.params;
        let mut near = self.neighbours(event, entry, pool);
        if near.is_empty() {
            return (None, None);
        }
        let own_hub = *hubs.entry(event).or_insert_with(|| self.hub_of(&near));
        near.truncate(p.link_candidates);
        let own_group = groups.root(event);
        let own_langs = self.group_languages(groups, own_group);
        let mut best: Option<(Evidence, bool)> = None;
        for (cos, other) in near {
            let Some(x) = pool.entries.get(&other) else {
                continue;
            };
            let other_hub = self.hub(other, x, pool, hubs);
            let gap = (entry.median - x.median).abs() as f64;
            let score = 2.0 * cos - own_hub - other_hub - p.link_day_weight * gap;
            let other_group = groups.root(other);
            let allowed = other_group != own_group
                && self
                    .group_languages(groups, other_group)
                    .is_disjoint(&own_langs);
            if best
                .as_ref()
                .is_some_and(|(b, ok)| (*ok && !allowed) || (*ok == allowed && score <= b.score))
            {
                continue;
            }
            let mut details = vec![format!("languages: {} and {}", entry.lang, x.lang)];
            if !allowed {
                details.push("its linked events already cover a language of this one".into());
            }
            let evidence = Evidence {
                target: other,
                score,
                threshold: p.link_threshold,
                signals: vec![
                    Signal {
                        name: "embedding".into(),
                        value: cos,
                        contribution: 2.0 * cos,
                    },
                    Signal {
                        name: "own_neighbours".into(),
                        value: own_hub,
                        contribution: -own_hub,
                    },
                    Signal {
                        name: "other_neighbours".into(),
                        value: other_hub,
                        contribution: -other_hub,
                    },
                    Signal {
                        name: "days_apart".into(),
                        value: gap,
                        contribution: -p.link_day_weight * gap,
                    },
                ],
                details,
            };
            best = Some((evidence, allowed));
        }
        match best {
            Some((e, true)) if e.score >= e.threshold => (Some(e.target), Some(e)),
            Some((e, _)) => (None, Some(e)),
            None => (None, None),
        }
    }

    /// The languages of the events in memory linked under `root`.
    fn group_languages(&self, groups: &Groups, root: ClusterId) -> BTreeSet<String> {
        groups
            .members(root)
            .iter()
            .filter_map(|e| self.events.get(e).and_then(|s| s.language()))
            .map(str::to_string)
            .collect()
    }

    /// Joins the groups of `a` and `b` (just linked) and moves the events of the group with the
    /// younger root to the older root's story. Returns the events that moved.
    fn join_stories(
        &mut self,
        groups: &mut Groups,
        a: ClusterId,
        b: ClusterId,
    ) -> Vec<(ClusterId, ClusterId)> {
        let (ra, rb) = (groups.root(a), groups.root(b));
        let (old, young) = (ra.min(rb), ra.max(rb));
        let story_of = |r: ClusterId, this: &Clusterer, groups: &Groups| {
            groups
                .members(r)
                .iter()
                .find_map(|e| this.events.get(e).map(|s| s.story))
        };
        let target = story_of(old, self, groups);
        let moving = groups.members(young);
        groups.union(ra, rb);
        let Some(target) = target else {
            return Vec::new();
        };
        let mut moved = Vec::new();
        for e in moving {
            let Some(from) = self.events.get(&e).map(|s| s.story) else {
                continue;
            };
            if from == target {
                continue;
            }
            self.move_event(e, from, target);
            moved.push((e, target));
        }
        moved
    }

    /// Moves an event from one story to another, as a restore that reads the moved story finds
    /// it: the story's events in id order, its latest day that of its events.
    pub(crate) fn move_event(&mut self, event: ClusterId, from: ClusterId, to: ClusterId) {
        if let Some(ev) = self.events.get_mut(&event) {
            ev.story = to;
        }
        self.keep_story_events(from, |e| e != event);
        let st = self.stories.entry(to).or_default();
        let at = st.events.partition_point(|e| *e < event);
        if st.events.get(at) != Some(&event) {
            st.events.insert(at, event);
        }
        self.keep_story_events(to, |_| true);
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Linked events as groups: each event's root is the smallest id it is linked with. The
/// clusterer keeps the groups of the events in memory; the read side builds them from the
/// stored links (`nuntius_engine::view::link_roots`).
#[derive(Debug, Default)]
pub struct Groups {
    parent: BTreeMap<ClusterId, ClusterId>,
    /// Root → the group's events in id order (groups of two or more only).
    members: BTreeMap<ClusterId, Vec<ClusterId>>,
}

impl Groups {
    pub fn of(links: &BTreeMap<ClusterId, ClusterId>) -> Groups {
        let mut g = Groups::default();
        for (a, b) in links {
            g.union(*a, *b);
        }
        g
    }

    pub fn root(&self, mut e: ClusterId) -> ClusterId {
        while let Some(p) = self.parent.get(&e).filter(|p| **p != e) {
            e = *p;
        }
        e
    }

    pub fn union(&mut self, a: ClusterId, b: ClusterId) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return;
        }
        let (keep, join) = (ra.min(rb), ra.max(rb));
        self.parent.insert(join, keep);
        let moved = self.members.remove(&join).unwrap_or_else(|| vec![join]);
        let list = self.members.entry(keep).or_insert_with(|| vec![keep]);
        list.extend(moved);
        list.sort_unstable();
    }

    /// The events under `root`, in id order (the root alone when it is in no group).
    pub fn members(&self, root: ClusterId) -> Vec<ClusterId> {
        self.members
            .get(&root)
            .cloned()
            .unwrap_or_else(|| vec![root])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clusterer::tests::{article, unit};
    use crate::{ArticleFeatures, Params};

    /// A headline on `topic` (0..3) in `lang`: an encoder puts a language's texts near each
    /// other whatever they say, so each language adds its own direction.
    fn headline(seq: u64, day: i64, lang: &str, topic: usize) -> ArticleFeatures {
        let mut v = vec![0.0f32; 8];
        v[topic] = 1.0;
        v[if lang == "en" { 7 } else { 6 }] = 1.2;
        let terms: Vec<u64> = (0..3)
            .map(|i| 100 * (topic as u64 + 1) + i + if lang == "en" { 0 } else { 50 })
            .collect();
        ArticleFeatures {
            lang: Some(lang.to_string()),
            embedding: Some(unit(&v)),
            body: false,
            ..article(seq, Some(day), &terms, &[])
        }
    }

    #[test]
    fn settled_events_link_to_the_same_happening_in_another_language() {
        let mut c = Clusterer::new(Params::with_embeddings());
        c.set_embedding_calibration(0.8, 0.9);
        let mut seq = 0;
        let mut event = BTreeMap::new();
        for topic in 0..3 {
            for lang in ["en", "de"] {
                for _ in 0..2 {
                    seq += 1;
                    let d = c.assign(&headline(seq, 10, lang, topic), &[]);
                    event.insert((topic, lang), d.event);
                }
            }
        }
        // Raw cosines across languages are low (0.41): six events, nothing linked yet.
        assert_eq!(c.event_count(), 6);
        assert!(c.take_links().is_empty());
        // The clock passes day 12: the six settle, each pair of one topic links.
        seq += 1;
        c.assign(&headline(seq, 13, "en", 0), &[]);
        let links = c.take_links();
        assert_eq!(links.len(), 6, "{links:?}");
        let linked: Vec<(ClusterId, ClusterId)> = links
            .iter()
            .filter_map(|l| l.linked.map(|to| (l.event, to)))
            .collect();
        assert_eq!(linked.len(), 3, "{links:?}");
        for topic in 0..3 {
            let (en, de) = (event[&(topic, "en")], event[&(topic, "de")]);
            assert!(linked.contains(&(en.min(de), en.max(de))), "{links:?}");
            assert_eq!(c.story_of_event(en), c.story_of_event(de));
            let l = links.iter().find(|l| l.event == en.min(de)).expect("link");
            let e = l.evidence.as_ref().expect("evidence");
            assert!(e.score >= e.threshold);
            assert!(e.details[0].contains("en") && e.details[0].contains("de"));
        }
        let stories: BTreeSet<_> = (0..3)
            .map(|t| c.story_of_event(event[&(t, "en")]))
            .collect();
        assert_eq!(stories.len(), 3, "topics stay apart");
    }

    #[test]
    fn groups_are_known_by_their_smallest_event() {
        let mut rows = BTreeMap::new();
        rows.insert(5, 2);
        rows.insert(9, 5);
        let g = Groups::of(&rows);
        assert_eq!(g.root(9), 2);
        assert_eq!(g.members(2), vec![2, 5, 9]);
        assert_eq!(g.members(4), vec![4]);
    }
}
