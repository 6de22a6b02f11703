//! Name mentions: capitalised runs of words in the title and text, told apart as person, place,
//! organisation or unknown with the gazetteer, counted per surface form.

use std::collections::{BTreeMap, HashSet};

use nuntius_gazetteer::{fold, Gazetteer};
use nuntius_model::{EntityKind, Mention};

/// Lowercase particles that may stand inside a name ("Dipartimento di Stato", "Ursula von der Leyen").
const CONNECTORS: &[&str] = &[
    "al", "bin", "da", "de", "del", "della", "der", "di", "dos", "du", "el", "la", "le", "van",
    "von",
];

/// Courtesy and office titles that precede names but are not part of them.
const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sig",
    "president",
    "presidente",
    "minister",
    "ministro",
    "ministri",
    "ministra",
    "ministre",
    "ministers",
    "ministrul",
    "segretario",
    "secretary",
    "senator",
    "general",
    "generale",
    "papa",
    "pope",
    "sir",
    "lord",
];

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    capitalised: bool,
    sentence_start: bool,
    /// A single letter with a dot: a middle initial ("J.").
    initial: bool,
}

fn push_word<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    current: &mut Vec<Token<'a>>,
    sentence_start: &mut bool,
) {
    let w = &text[start..end];
    let capitalised = w.chars().next().is_some_and(char::is_uppercase);
    current.push(Token {
        text: w,
        capitalised,
        sentence_start: *sentence_start,
        initial: false,
    });
    *sentence_start = false;
}

/// The length of a word without its English possessive ending ("Lanka's", "Doncic’s").
fn possessive_stem(word: &str) -> Option<usize> {
    ["'s", "’s"]
        .iter()
        .find_map(|end| word.strip_suffix(end))
        .filter(|stem| stem.chars().count() >= 2)
        .map(str::len)
}

fn tokenize(text: &str) -> Vec<Vec<Token<'_>>> {
    // Runs never cross punctuation other than hyphen/apostrophe/initial dots, so split into segments.
    let mut segments = Vec::new();
    let mut current = Vec::new();
    let mut sentence_start = true;
    let mut word_start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric()
            || ((c == '-' || c == '\'' || c == '’')
                && word_start.is_some()
                && chars.peek().is_some_and(|(_, n)| n.is_alphanumeric()))
        {
            if word_start.is_none() {
                word_start = Some(i);
            }
            continue;
        }
        if let Some(s) = word_start.take() {
            // A possessive ends a name: "Sri Lanka's Olympic team" is "Sri Lanka" | "Olympic".
            let possessive = possessive_stem(&text[s..i]);
            push_word(
                text,
                s,
                s + possessive.unwrap_or(i - s),
                &mut current,
                &mut sentence_start,
            );
            if possessive.is_some() {
                segments.push(std::mem::take(&mut current));
            }
            // "J." inside a name: an initial, not a sentence end.
            if c == '.' {
                if let Some(last) = current.last_mut() {
                    if last.text.chars().count() == 1 && last.capitalised {
                        last.initial = true;
                        continue;
                    }
                }
            }
        }
        if c.is_whitespace() {
            if c == '\n' {
                sentence_start = true;
                if !current.is_empty() {
                    segments.push(std::mem::take(&mut current));
                }
            }
            continue;
        }
        if !current.is_empty() {
            segments.push(std::mem::take(&mut current));
        }
        if matches!(
            c,
            '.' | '!' | '?' | ':' | '«' | '"' | '“' | '„' | '—' | '–' | '(' | ';' | '…'
        ) {
            sentence_start = true;
        }
    }
    if let Some(s) = word_start {
        let end = possessive_stem(&text[s..]).map_or(text.len(), |n| s + n);
        push_word(text, s, end, &mut current, &mut sentence_start);
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

/// Finds the name mentions of an article. `lang` is the detected language, used to recognise
/// function words that are capitalised at a sentence start.
pub fn find_mentions(title: &str, body: &str, lang: Option<&str>) -> Vec<Mention> {
    let gaz = Gazetteer::builtin();
    let lowercase_words: HashSet<String> = crate::terms::words(body)
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .map(str::to_lowercase)
        .collect();
    let mut found: BTreeMap<String, (EntityKind, u32, bool)> = BTreeMap::new();
    for (text, in_title) in [(title, true), (body, false)] {
        for segment in tokenize(text) {
            for run in name_runs(&segment, &lowercase_words, lang, gaz) {
                let entry = found.entry(run.surface).or_insert((run.kind, 0, false));
                entry.1 += 1;
                entry.2 |= in_title;
            }
        }
    }
    // Surnames used alone are the same person as the full name in this article.
    let surnames: HashSet<String> = found
        .iter()
        .filter(|(s, (k, _, _))| *k == EntityKind::Person && s.contains(' '))
        .filter_map(|(s, _)| s.rsplit(' ').next().map(str::to_string))
        .collect();
    found
        .into_iter()
        .map(|(surface, (mut kind, count, in_title))| {
            if kind == EntityKind::Unknown && surnames.contains(&surface) {
                kind = EntityKind::Person;
            }
            Mention {
                surface,
                kind,
                count,
                in_title,
            }
        })
        .collect()
}

struct Run {
    surface: String,
    kind: EntityKind,
}

fn is_acronym(w: &str) -> bool {
    let n = w.chars().count();
    (2..=6).contains(&n)
        && w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
        && w.chars().any(char::is_alphabetic)
}

fn name_runs(
    segment: &[Token<'_>],
    lowercase_words: &HashSet<String>,
    lang: Option<&str>,
    gaz: &Gazetteer,
) -> Vec<Run> {
    let is_name_token = |t: &Token<'_>| -> bool {
        if !t.capitalised || t.text.chars().count() < 2 && !t.initial {
            return t.initial;
        }
        if is_acronym(t.text) {
            return true;
        }
        let folded = fold(t.text);
        if gaz.is_non_name(&folded, lang) {
            return false;
        }
        // A capitalised sentence opener that the text also writes in lowercase is a common word.
        !(t.sentence_start && lowercase_words.contains(&t.text.to_lowercase()))
    };
    let mut runs = Vec::new();
    let mut i = 0;
    while i < segment.len() {
        if !is_name_token(&segment[i]) || segment[i].initial {
            i += 1;
            continue;
        }
        if is_office_of_title(segment, i) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        loop {
            if j < segment.len() && is_name_token(&segment[j]) {
                j += 1;
            } else if j + 1 < segment.len()
                && CONNECTORS.contains(&segment[j].text)
                && is_name_token(&segment[j + 1])
                && !segment[j + 1].initial
            {
                j += 2;
            } else {
                break;
            }
        }
        for (a, b) in split_run(&segment[i..j], gaz) {
            let toks: Vec<&Token<'_>> = segment[i + a..i + b].iter().collect();
            for mut part in split_hyphenated(&toks, gaz) {
                trim_common_words(&mut part, lowercase_words, lang, gaz);
                let words: Vec<String> =
                    part.iter().filter(|t| !t.0).map(|t| t.1.clone()).collect();
                if words.is_empty() || is_common_word(&words, lowercase_words, gaz) {
                    continue;
                }
                let kind = classify(&words, gaz);
                // The surface keeps initials as written ("Antony J. Blinken").
                let surface = part
                    .iter()
                    .map(|(initial, w)| if *initial { format!("{w}.") } else { w.clone() })
                    .collect::<Vec<_>>()
                    .join(" ");
                runs.push(Run { surface, kind });
            }
        }
        i = j;
    }
    runs
}

/// Splits a run where a new name plainly starts: before a given name that follows non-given words
/// ("Stato Antony Blinken" → "Stato" | "Antony Blinken"), dropping leading titles.
fn split_run(run: &[Token<'_>], gaz: &Gazetteer) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut start = 0;
    while start < run.len()
        && (TITLES.contains(&fold(run[start].text).as_str())
            || CONNECTORS.contains(&run[start].text))
    {
        start += 1;
    }
    for k in start + 1..run.len() {
        let here = fold(run[k].text);
        let prev = fold(run[k - 1].text);
        if !CONNECTORS.contains(&run[k].text)
            && gaz.is_given_name(&here)
            && !gaz.is_given_name(&prev)
            && !run[k - 1].initial
            && !CONNECTORS.contains(&run[k - 1].text)
        {
            parts.push((start, k));
            start = k;
        }
    }
    if start < run.len() {
        parts.push((start, run.len()));
    }
    parts
}

/// "Blingen-Lavrov", "Russia-NATO": names joined by a hyphen are separate mentions, unless the
/// first part is a given name ("Jean-Pierre"). Returns parts as `(is_initial, word)` lists.
fn split_hyphenated(toks: &[&Token<'_>], gaz: &Gazetteer) -> Vec<Vec<(bool, String)>> {
    let mut parts: Vec<Vec<(bool, String)>> = Vec::new();
    let mut current: Vec<(bool, String)> = Vec::new();
    for t in toks {
        let pieces: Vec<&str> = t.text.split('-').collect();
        let joined_names = pieces.len() > 1
            && pieces.iter().all(|p| {
                p.chars().count() >= 3 && p.chars().next().is_some_and(char::is_uppercase)
            })
            && !gaz.is_given_name(&fold(pieces[0]));
        if joined_names {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            parts.extend(pieces.iter().map(|p| vec![(false, (*p).to_string())]));
        } else {
            current.push((t.initial, t.text.to_string()));
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// A capitalised word naming the office of a title before it ("ministro degli Esteri",
/// "segretario di Stato", "President of Ukraine" is a place and stays): not a name when it stands
/// alone and the gazetteer does not know it.
fn is_office_of_title(segment: &[Token<'_>], i: usize) -> bool {
    let (Some(title), Some(link), Some(word)) = (
        i.checked_sub(2).and_then(|k| segment.get(k)),
        i.checked_sub(1).and_then(|k| segment.get(k)),
        segment.get(i),
    ) else {
        return false;
    };
    let alone = segment.get(i + 1).is_none_or(|next| !next.capitalised);
    alone
        && !link.capitalised
        && link.text.chars().count() <= 5
        && TITLES.contains(&fold(title.text).as_str())
        && Gazetteer::builtin().place(&fold(word.text)).is_none()
        && !is_acronym(word.text)
}

/// Drops common words that open or close a run ("Paesi della NATO" → "NATO", "Rusia Despre" →
/// "Rusia") unless they name an organisation's kind ("Dipartimento di Stato" stays whole). A
/// word is common when the text also writes it in lowercase or it is a frequent common word of
/// the language.
fn trim_common_words(
    part: &mut Vec<(bool, String)>,
    lowercase_words: &HashSet<String>,
    lang: Option<&str>,
    gaz: &Gazetteer,
) {
    let common = |(initial, w): &(bool, String)| {
        let folded = fold(w);
        !*initial
            && !is_acronym(w)
            && !gaz.org_cue(&folded)
            && gaz.place(&folded).is_none()
            && (lowercase_words.contains(&w.to_lowercase()) || gaz.is_common_word(&folded, lang))
    };
    let connector = |(_, w): &(bool, String)| CONNECTORS.contains(&w.as_str());
    let whole: Vec<&str> = part.iter().map(|(_, w)| w.as_str()).collect();
    if gaz.place(&fold(&whole.join(" "))).is_some() {
        return;
    }
    while part.len() >= 2 && common(&part[0]) {
        part.remove(0);
        while part.len() >= 2 && connector(&part[0]) {
            part.remove(0);
        }
    }
    // A surname that is also a word closes a person's name: "Mario Rossi" stays whole.
    if part.iter().any(|(_, w)| gaz.org_cue(&fold(w)))
        || part
            .first()
            .is_some_and(|(_, w)| gaz.is_given_name(&fold(w)))
    {
        return;
    }
    while part.len() >= 2 && part.last().is_some_and(common) {
        part.pop();
        while part.len() >= 2 && part.last().is_some_and(connector) {
            part.pop();
        }
    }
}

/// A lone capitalised word that is a common word, not a name: one the text also writes in
/// lowercase ("di Stato" beside "è stato"), or an organisation cue standing alone ("il
/// Ministero", "Consiglio"). Acronyms and gazetteer places are names whatever the text does.
fn is_common_word(words: &[String], lowercase_words: &HashSet<String>, gaz: &Gazetteer) -> bool {
    let [word] = words else {
        return false;
    };
    if is_acronym(word) {
        return false;
    }
    let folded = fold(word);
    if gaz.place(&folded).is_some() {
        return false;
    }
    gaz.org_cue(&folded) || lowercase_words.contains(&word.to_lowercase())
}

fn classify(words: &[String], gaz: &Gazetteer) -> EntityKind {
    let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
    if gaz.place(&folded.join(" ")).is_some() {
        return EntityKind::Place;
    }
    if folded.iter().any(|w| gaz.org_cue(w)) {
        return EntityKind::Org;
    }
    if words.len() >= 2 && !CONNECTORS.contains(&words[0].as_str()) && gaz.is_given_name(&folded[0])
    {
        return EntityKind::Person;
    }
    if words.len() == 1 && is_acronym(&words[0]) {
        return EntityKind::Org;
    }
    EntityKind::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str) -> Vec<(String, EntityKind)> {
        find_mentions("", body, Some("it"))
            .into_iter()
            .map(|m| (m.surface, m.kind))
            .collect()
    }

    #[test]
    fn people_places_orgs() {
        let got = names("Il segretario di Stato Antony J. Blinken ha parlato oggi con Sergey Lavrov a Ginevra. La NATO e il Dipartimento di Stato. Lavrov ha detto.");
        assert!(
            got.contains(&("Antony J. Blinken".to_string(), EntityKind::Person)),
            "{got:?}"
        );
        assert!(
            got.contains(&("Sergey Lavrov".to_string(), EntityKind::Person)),
            "{got:?}"
        );
        assert!(
            got.contains(&("Lavrov".to_string(), EntityKind::Person)),
            "{got:?}"
        );
        assert!(
            got.contains(&("NATO".to_string(), EntityKind::Org)),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(s, k)| s == "Dipartimento di Stato" && *k == EntityKind::Org),
            "{got:?}"
        );
    }

    #[test]
    fn common_words_written_capitalised_are_not_names() {
        // Regression: "Stato", "Paesi" and a lone "Ministero" were chips of the seeds' story.
        let got = names("Il ministro degli Esteri e il segretario di Stato sono a Roma. I Paesi della NATO e gli altri paesi. Il Ministero ha risposto, e Matteo Renzi anche, e il Dipartimento di Stato, e gli Stati Uniti, e Paolo Conte.");
        for common in ["Esteri", "Stato", "Paesi", "Ministero"] {
            assert!(!got.iter().any(|(s, _)| s == common), "{common}: {got:?}");
        }
        for name in [
            "Roma",
            "NATO",
            "Matteo Renzi",
            "Dipartimento di Stato",
            "Stati Uniti",
        ] {
            assert!(got.iter().any(|(s, _)| s == name), "{name}: {got:?}");
        }
    }

    #[test]
    fn possessives_end_names() {
        // Regression: "Sri Lanka's Olympic" and "Luka Doncic's Olympics" were entity chips.
        let got = names("Sri Lanka's Olympic team met Luka Doncic’s coach.");
        assert!(got.iter().any(|(s, _)| s == "Sri Lanka"), "{got:?}");
        assert!(got.iter().any(|(s, _)| s == "Luka Doncic"), "{got:?}");
        assert!(
            !got.iter()
                .any(|(s, _)| s.contains('\'') || s.contains("Olympic team")),
            "{got:?}"
        );
    }

    #[test]
    fn hyphenated_names_split() {
        let got = names("Telefonata Blingen-Lavrov di oggi.\nBlingen-Lavrov ancora.");
        assert!(got.iter().any(|(s, _)| s == "Blingen"), "{got:?}");
        assert!(got.iter().any(|(s, _)| s == "Lavrov"), "{got:?}");
    }
}
