//! The entity registry: one entity per real-world name across spellings, inflections, diacritics
//! and scripts. Pure state, persisted by the store as rows of [`EntityRecord`].
//!
//! People are keyed by surname and given name: a surname matches through case inflection
//! (in inflecting languages) and one typo (Lavorv, Blingen); given names match through
//! transliteration variants (Sergey/Sergei/Sergej, Antony/Anthony) but different given names stay
//! different people (Joe Biden, Hunter Biden). Places resolve to gazetteer ids, so Russia, Rusia and
//! Россия are one. Other names are keyed by their folded form.

use std::collections::{BTreeMap, HashMap};

use nuntius_gazetteer::{fold, Gazetteer};
use nuntius_model::{EntityKind, Mention};
use serde::{Deserialize, Serialize};

pub type EntityId = u64;

/// One entity as stored: its identity keys and every surface form seen, with counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityRecord {
    pub id: EntityId,
    pub kind: EntityKind,
    /// `person:<surname>`, `place:<code>`, `name:<folded>`.
    pub key: String,
    /// Normalised given name of a person, when one has been seen.
    pub given: Option<String>,
    pub surfaces: BTreeMap<String, u32>,
    /// Number of articles that mention it.
    pub articles: u32,
}

impl EntityRecord {
    /// The display name: for a place the gazetteer's name, else the most-used full form whose last
    /// word is the most-used spelling (so one typo'd full form cannot name Lavrov "Lavorv").
    pub fn name(&self) -> String {
        if let Some(code) = self.key.strip_prefix("place:") {
            let gaz = Gazetteer::builtin();
            // By code, not by name: "UA" is no name of Ukraine, so a lookup of the folded code
            // left Ukraine named after its first spelling ("Ucraina").
            if let Some(id) = gaz.place_by_code(code) {
                return gaz.place_name(id).to_string();
            }
        }
        let mut last_counts: BTreeMap<&str, u32> = BTreeMap::new();
        for (s, n) in &self.surfaces {
            if let Some(last) = s.rsplit(' ').next() {
                *last_counts.entry(last).or_default() += n;
            }
        }
        let best = self.surfaces.iter().max_by(|(a, na), (b, nb)| {
            let words = |s: &str| s.split(' ').count().min(3);
            let last = |s: &str| {
                s.rsplit(' ')
                    .next()
                    .and_then(|l| last_counts.get(l))
                    .copied()
                    .unwrap_or(0)
            };
            (words(a).min(2), last(a), **na)
                .cmp(&(words(b).min(2), last(b), **nb))
                .then_with(|| b.cmp(a))
        });
        best.map(|(s, _)| s.clone()).unwrap_or_default()
    }
}

/// Resolves mentions to entities, creating entities for new names.
#[derive(Debug, Default)]
pub struct Registry {
    entities: Vec<EntityRecord>,
    by_key: HashMap<String, Vec<EntityId>>,
    /// One-deletion variants of person surnames, for typo matches.
    deletions: HashMap<String, Vec<String>>,
    /// Entities changed since the last [`Registry::take_changed`].
    changed: Vec<EntityId>,
}

/// Languages whose names take case endings (Лаврова, Rusiei), where a surname may carry one.
const INFLECTING: &[&str] = &[
    "ru", "uk", "be", "pl", "cs", "sk", "sl", "hr", "sr", "bs", "bg", "mk", "lt", "lv", "ro", "hu",
    "fi", "et", "tr", "el",
];
const ENDINGS: &[&str] = &[
    "ului", "ovi", "om", "em", "ym", "im", "ou", "ei", "a", "u", "y", "i", "e",
];

impl Registry {
    pub fn from_records(records: Vec<EntityRecord>) -> Registry {
        let mut r = Registry::default();
        for rec in records {
            r.index(&rec);
            r.entities.push(rec);
        }
        r.entities.sort_by_key(|e| e.id);
        r
    }

    pub fn get(&self, id: EntityId) -> Option<&EntityRecord> {
        // Ids are assigned densely from 1 in creation order.
        self.entities
            .get((id as usize).wrapping_sub(1))
            .filter(|e| e.id == id)
    }

    pub fn len(&self) -> usize {
        self.entities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// The records changed since the last call, in id order, for the store to write.
    pub fn take_changed(&mut self) -> Vec<EntityRecord> {
        let mut ids = std::mem::take(&mut self.changed);
        ids.sort_unstable();
        ids.dedup();
        ids.iter().filter_map(|id| self.get(*id).cloned()).collect()
    }

    fn index(&mut self, rec: &EntityRecord) {
        self.by_key.entry(rec.key.clone()).or_default().push(rec.id);
        if let Some(surname) = rec.key.strip_prefix("person:") {
            if surname.chars().count() >= 6 {
                for d in deletions(surname) {
                    self.deletions
                        .entry(d)
                        .or_default()
                        .push(surname.to_string());
                }
            }
        }
    }

    fn create(&mut self, kind: EntityKind, key: String, given: Option<String>) -> EntityId {
        let id = self.entities.len() as EntityId + 1;
        let rec = EntityRecord {
            id,
            kind,
            key,
            given,
            surfaces: BTreeMap::new(),
            articles: 0,
        };
        self.index(&rec);
        self.entities.push(rec);
        id
    }

    /// Resolves one article's mentions; returns `(entity, mention index)` pairs in mention order.
    /// Full names go first so a lone surname joins the person named in full in the same article.
    pub fn resolve(&mut self, mentions: &[Mention], lang: Option<&str>) -> Vec<(EntityId, usize)> {
        let gaz = Gazetteer::builtin();
        let inflecting = lang.is_some_and(|l| INFLECTING.contains(&l));
        let mut order: Vec<usize> = (0..mentions.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(mentions[i].surface.split(' ').count()));
        let mut local_people: Vec<EntityId> = Vec::new();
        let mut out = Vec::with_capacity(mentions.len());
        for i in order {
            let m = &mentions[i];
            let folded = fold(&m.surface);
            let id = if let Some(place) = gaz.place(&folded) {
                let key = format!("place:{}", gaz.place_code(place));
                self.find_or_create(key, EntityKind::Place, None)
            } else if m.kind == EntityKind::Person || m.kind == EntityKind::Unknown {
                // Initials ("J.") are written but not part of the key.
                let words: Vec<&str> = folded
                    .split(' ')
                    .filter(|w| w.chars().count() > 1)
                    .collect();
                match words.as_slice() {
                    [] => continue,
                    [single] => match self.find_surname(single, inflecting, &local_people) {
                        Some(id) => id,
                        // A lone capitalised word seen once that names nothing known is more often a
                        // capitalised noun than a name.
                        None if m.count == 1
                            && !m.in_title
                            && !self.by_key.contains_key(&format!("name:{folded}"))
                            && !is_acronym(&m.surface) =>
                        {
                            continue
                        }
                        None if m.kind == EntityKind::Person => self.find_or_create(
                            format!("person:{single}"),
                            EntityKind::Person,
                            None,
                        ),
                        None => self.find_or_create(format!("name:{folded}"), m.kind, None),
                    },
                    [first, .., last] if m.kind == EntityKind::Person => {
                        let given = normalise_given(first);
                        self.find_person(last, &given, inflecting)
                    }
                    _ => self.find_or_create(format!("name:{folded}"), m.kind, None),
                }
            } else {
                self.find_or_create(format!("name:{folded}"), m.kind, None)
            };
            if let Some(rec) = self.entities.get_mut((id - 1) as usize) {
                *rec.surfaces.entry(m.surface.clone()).or_default() += m.count;
                rec.articles += 1;
                if rec.kind == EntityKind::Unknown && m.kind != EntityKind::Unknown {
                    rec.kind = m.kind;
                }
                if rec.kind == EntityKind::Person {
                    local_people.push(id);
                }
            }
            self.changed.push(id);
            out.push((id, i));
        }
        out.sort_by_key(|&(_, i)| i);
        // One entity mentioned under two surfaces is counted once per article.
        let mut seen = std::collections::HashSet::new();
        for (id, _) in &out {
            if !seen.insert(*id) {
                if let Some(rec) = self.entities.get_mut((*id - 1) as usize) {
                    rec.articles = rec.articles.saturating_sub(1);
                }
            }
        }
        out
    }

    fn find_or_create(&mut self, key: String, kind: EntityKind, given: Option<String>) -> EntityId {
        if let Some(ids) = self.by_key.get(&key) {
            if let Some(&id) = ids.first() {
                return id;
            }
        }
        self.create(kind, key, given)
    }

    /// Surname keys matching `surname` exactly, through a case ending, or through one typo.
    fn surname_keys(&self, surname: &str, inflecting: bool) -> Vec<String> {
        let mut keys = Vec::new();
        if self.by_key.contains_key(&format!("person:{surname}")) {
            keys.push(surname.to_string());
        }
        if inflecting {
            for ending in ENDINGS {
                if let Some(stem) = surname.strip_suffix(ending) {
                    if stem.chars().count() >= 4
                        && self.by_key.contains_key(&format!("person:{stem}"))
                    {
                        keys.push(stem.to_string());
                    }
                }
            }
        }
        if keys.is_empty() && surname.chars().count() >= 6 {
            let mut fuzzy: Vec<String> = deletions(surname)
                .into_iter()
                .chain(std::iter::once(surname.to_string()))
                .filter_map(|d| self.deletions.get(&d))
                .flatten()
                .filter(|k| {
                    k.chars().next() == surname.chars().next() && damerau_at_most_one(k, surname)
                })
                .cloned()
                .collect();
            fuzzy.sort();
            fuzzy.dedup();
            keys.extend(fuzzy);
        }
        keys
    }

    fn people_with_surname(&self, surname: &str, inflecting: bool) -> Vec<EntityId> {
        let mut ids: Vec<EntityId> = self
            .surname_keys(surname, inflecting)
            .iter()
            .filter_map(|k| self.by_key.get(&format!("person:{k}")))
            .flatten()
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn find_person(&mut self, surname: &str, given: &str, inflecting: bool) -> EntityId {
        let candidates = self.people_with_surname(surname, inflecting);
        let same_given = candidates.iter().copied().find(|&id| {
            self.get(id)
                .and_then(|r| r.given.as_deref())
                .is_some_and(|g| given_matches(g, given))
        });
        if let Some(id) = same_given {
            return id;
        }
        // A person known only by surname so far takes this given name.
        let bare = candidates
            .iter()
            .copied()
            .find(|&id| self.get(id).is_some_and(|r| r.given.is_none()));
        if let Some(id) = bare {
            if let Some(rec) = self.entities.get_mut((id - 1) as usize) {
                rec.given = Some(given.to_string());
                rec.kind = EntityKind::Person;
            }
            return id;
        }
        self.create(
            EntityKind::Person,
            format!("person:{surname}"),
            Some(given.to_string()),
        )
    }

    /// A lone surname: the person of that surname named in this article, else the best-known one.
    fn find_surname(
        &self,
        surname: &str,
        inflecting: bool,
        local: &[EntityId],
    ) -> Option<EntityId> {
        let candidates = self.people_with_surname(surname, inflecting);
        if let Some(id) = candidates.iter().copied().find(|id| local.contains(id)) {
            return Some(id);
        }
        candidates.into_iter().max_by_key(|&id| {
            (
                self.get(id).map_or(0, |r| r.articles),
                std::cmp::Reverse(id),
            )
        })
    }
}

fn is_acronym(w: &str) -> bool {
    let n = w.chars().count();
    (2..=6).contains(&n) && w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Collapses transliteration variants of a given name: Sergey/Sergei/Sergej → sergei,
/// Anthony/Antony → antoni, Dmitry/Dmitrij → dmitri.
pub fn normalise_given(folded: &str) -> String {
    let mut s = folded
        .replace("ph", "f")
        .replace("th", "t")
        .replace("ks", "x");
    s = s
        .chars()
        .map(|c| if c == 'y' || c == 'j' { 'i' } else { c })
        .collect();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == 'h' && !out.is_empty() {
            continue;
        }
        if out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    out
}

fn given_matches(a: &str, b: &str) -> bool {
    a == b || (a.chars().count() >= 5 && b.chars().count() >= 5 && damerau_at_most_one(a, b))
}

fn deletions(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    (0..chars.len())
        .map(|i| {
            chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

/// Whether two strings differ by at most one insertion, deletion, substitution or transposition.
pub fn damerau_at_most_one(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a == b {
        return true;
    }
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if la == lb {
        // One substitution, or one transposition of neighbours.
        let rest_equal = |from: usize| a[from..] == b[from..];
        return rest_equal(prefix + 1)
            || (prefix + 1 < la
                && a[prefix] == b[prefix + 1]
                && a[prefix + 1] == b[prefix]
                && rest_equal(prefix + 2));
    }
    let (long, short) = if la > lb { (&a, &b) } else { (&b, &a) };
    long[prefix + 1..] == short[prefix..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(surface: &str, kind: EntityKind) -> Mention {
        Mention {
            surface: surface.to_string(),
            kind,
            count: 1,
            in_title: false,
        }
    }

    #[test]
    fn spellings_of_one_person_meet() {
        let mut r = Registry::default();
        let a = r.resolve(
            &[
                m("Sergey Lavrov", EntityKind::Person),
                m("Lavrov", EntityKind::Person),
            ],
            Some("it"),
        );
        assert_eq!(a[0].0, a[1].0);
        let lavrov = a[0].0;
        for (surface, kind, lang) in [
            ("Sergey Lavorv", EntityKind::Person, "it"),
            ("Sergej Lavrov", EntityKind::Person, "it"),
            ("Sergei Lavrov", EntityKind::Person, "it"),
            ("Lavrov", EntityKind::Unknown, "ro"),
            ("Лавров", EntityKind::Unknown, "ru"),
            ("Сергей Лавров", EntityKind::Person, "ru"),
            ("Лаврова", EntityKind::Unknown, "ru"),
        ] {
            let got = r.resolve(&[m(surface, kind)], Some(lang));
            assert_eq!(got[0].0, lavrov, "{surface}");
        }
        let b = r.resolve(&[m("Antony J. Blinken", EntityKind::Person)], Some("it"))[0].0;
        for surface in ["Anthony Blinken", "Anthony Blingen", "Blingen", "Blinken"] {
            let kind = if surface.contains(' ') {
                EntityKind::Person
            } else {
                EntityKind::Unknown
            };
            assert_eq!(
                r.resolve(&[m(surface, kind)], Some("it"))[0].0,
                b,
                "{surface}"
            );
        }
        assert_ne!(b, lavrov);
    }

    #[test]
    fn different_given_names_are_different_people() {
        let mut r = Registry::default();
        let joe = r.resolve(&[m("Joe Biden", EntityKind::Person)], None)[0].0;
        let hunter = r.resolve(&[m("Hunter Biden", EntityKind::Person)], None)[0].0;
        assert_ne!(joe, hunter);
    }

    #[test]
    fn acronyms_fold_together() {
        let mut r = Registry::default();
        let a = r.resolve(&[m("NATO", EntityKind::Org)], None)[0].0;
        let b = r.resolve(&[m("Nato", EntityKind::Unknown)], None)[0].0;
        assert_eq!(a, b);
    }

    #[test]
    fn display_name_prefers_the_common_spelling() {
        let mut r = Registry::default();
        r.resolve(&[m("Sergey Lavorv", EntityKind::Person)], Some("it"));
        let id = r.resolve(
            &[
                m("Sergey Lavrov", EntityKind::Person),
                m("Lavrov", EntityKind::Person),
            ],
            Some("it"),
        )[0]
        .0;
        assert_eq!(r.get(id).unwrap().name(), "Sergey Lavrov");
    }

    #[test]
    fn places_take_the_gazetteer_name_in_every_spelling() {
        // Regression: Ukraine was shown as "Ucraina", its first spelling, because the display
        // name looked the code "UA" up as a name.
        let mut r = Registry::default();
        let it = r.resolve(&[m("Ucraina", EntityKind::Place)], Some("it"))[0].0;
        let ru = r.resolve(&[m("Украины", EntityKind::Unknown)], Some("ru"))[0].0;
        let en = r.resolve(&[m("Ukraine", EntityKind::Place)], Some("en"))[0].0;
        assert_eq!((it, ru), (en, en));
        assert_eq!(
            r.get(it).map(EntityRecord::name).as_deref(),
            Some("Ukraine")
        );
        let geneva = r.resolve(&[m("Ginevra", EntityKind::Place)], Some("it"))[0].0;
        assert_eq!(
            r.get(geneva).map(EntityRecord::name).as_deref(),
            Some("Geneva")
        );
    }

    #[test]
    fn damerau() {
        assert!(damerau_at_most_one("lavrov", "lavorv"));
        assert!(damerau_at_most_one("blinken", "blingen"));
        assert!(damerau_at_most_one("lavrov", "lavrova"));
        assert!(!damerau_at_most_one("biden", "bidenko"));
        assert!(!damerau_at_most_one("putin", "pitun"));
    }
}
