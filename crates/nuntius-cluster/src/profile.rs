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
    /// Squared IDF-weighted norm of `terms`, kept up to date as terms are added, and the document
    /// count at its last full recomputation (0: never computed).
    pub(crate) norm_sq: std::cell::Cell<f64>,
    pub(crate) norm_docs: std::cell::Cell<u32>,
}

/// Member titles kept per event for the title signal.
pub(crate) const TITLES_KEPT: usize = 16;

impl Profile {
    /// Adds an article; `idfs` are the current IDFs of `a.terms`, in order, for the norm.
    pub(crate) fn add(&mut self, a: &ArticleFeatures, idfs: &[f32]) {
        let norm = a
            .terms
            .iter()
            .map(|(_, w)| w * w)
            .sum::<f32>()
            .sqrt()
            .max(1e-6);
        let tracked = self.norm_docs.get() > 0;
        let mut delta = 0f64;
        for ((t, w), idf) in a
            .terms
            .iter()
            .zip(idfs.iter().chain(std::iter::repeat(&1.0)))
        {
            let c = self.terms.entry(*t).or_default();
            let old = f64::from(*c) * f64::from(*idf);
            *c += w / norm;
            let new = f64::from(*c) * f64::from(*idf);
            delta += new * new - old * old;
        }
        if tracked {
            self.norm_sq.set(self.norm_sq.get() + delta);
        }
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

    /// Merges another profile; `idf` gives the current IDF of a term, for the norm.
    pub(crate) fn merge(&mut self, other: &Profile, idf: &dyn Fn(u64) -> f32) {
        let tracked = self.norm_docs.get() > 0;
        let mut delta = 0f64;
        let mut terms: Vec<(&u64, &f32)> = other.terms.iter().collect();
        terms.sort_by_key(|(t, _)| **t);
        for (t, w) in terms {
            let c = self.terms.entry(*t).or_default();
            let i = f64::from(idf(*t));
            let old = f64::from(*c) * i;
            *c += w;
            let new = f64::from(*c) * i;
            delta += new * new - old * old;
        }
        if tracked {
            self.norm_sq.set(self.norm_sq.get() + delta);
        }
        for (e, w) in &other.entities {
            *self.entities.entry(*e).or_default() += w;
        }
        if let Some(v) = &other.embedding {
            let sum = self.embedding.get_or_insert_with(|| vec![0.0; v.len()]);
            if sum.len() == v.len() {
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
                self.embedded += other.embedded;
            }
        }
        for d in &other.days {
            let at = self.days.partition_point(|x| x < d);
            self.days.insert(at, *d);
        }
        self.size += other.size;
    }

    pub(crate) fn median_day(&self) -> Option<i64> {
        (!self.days.is_empty()).then(|| self.days[(self.days.len() - 1) / 2])
    }

    pub(crate) fn median_hours(&self) -> Option<f64> {
        (!self.hours.is_empty()).then(|| self.hours[(self.hours.len() - 1) / 2])
    }
}
