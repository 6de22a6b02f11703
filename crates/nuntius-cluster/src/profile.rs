//! What an event or story has accumulated of its members: summed term and entity vectors,
//! embedding centroid, days, times and latest titles.

use crate::features::ArticleFeatures;
use crate::hasher::FixedMap;

#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    /// Summed article term vectors (each article normalised to unit length before adding).
    pub(crate) terms: FixedMap,
    pub(crate) entities: FixedMap,
    pub(crate) embedding: Option<Vec<f32>>,
    pub(crate) embedded: u32,
    pub(crate) days: Vec<i64>,
    /// Members' publication times (hours since the epoch) where known, sorted.
    pub(crate) hours: Vec<f64>,
    pub(crate) size: u32,
    /// Title keys of the latest members.
    pub(crate) titles: Vec<Vec<u64>>,
    /// IDF-weighted norm of `terms` and the IDF snapshot it was computed with (its number in
    /// this process); cleared when the profile changes. A function of the profile and the
    /// snapshot alone, never of when it was asked, so a restored clusterer computes the same
    /// value live did.
    pub(crate) norm: std::cell::Cell<Option<(u64, f64)>>,
}

/// Member titles kept per event for the title signal.
pub(crate) const TITLES_KEPT: usize = 16;

impl Profile {
    /// Adds an article.
    pub(crate) fn add(&mut self, a: &ArticleFeatures) {
        let norm = a
            .terms
            .iter()
            .map(|(_, w)| w * w)
            .sum::<f32>()
            .sqrt()
            .max(1e-6);
        for (t, w) in &a.terms {
            *self.terms.entry(*t).or_default() += w / norm;
        }
        self.norm.set(None);
        for (e, w) in &a.entities {
            *self.entities.entry(*e).or_default() += w;
        }
        if let Some(v) = &a.embedding {
            let sum = self.embedding.get_or_insert_with(|| vec![0.0; v.len()]);
            if sum.len() == v.len() {
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
                self.embedded += 1;
            }
        }
        if let Some(d) = a.day {
            let at = self.days.partition_point(|x| *x < d);
            self.days.insert(at, d);
        }
        if let Some(h) = a.hours {
            let at = self.hours.partition_point(|x| *x < h);
            self.hours.insert(at, h);
        }
        self.size += 1;
        if !a.title_keys.is_empty() {
            if self.titles.len() == TITLES_KEPT {
                self.titles.remove(0);
            }
            self.titles.push(a.title_keys.clone());
        }
    }

    /// Best Dice overlap between a title and the titles of the latest members.
    pub(crate) fn title_overlap(&self, keys: &[u64]) -> f64 {
        self.titles
            .iter()
            .map(|t| {
                let shared = keys.iter().filter(|k| t.binary_search(k).is_ok()).count();
                2.0 * shared as f64 / (keys.len() + t.len()).max(1) as f64
            })
            .fold(0.0, f64::max)
    }

    pub(crate) fn median_day(&self) -> Option<i64> {
        (!self.days.is_empty()).then(|| self.days[(self.days.len() - 1) / 2])
    }

    pub(crate) fn median_hours(&self) -> Option<f64> {
        (!self.hours.is_empty()).then(|| self.hours[(self.hours.len() - 1) / 2])
    }
}
