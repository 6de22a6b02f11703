//! Debris and boilerplate removal: what a scraper left around the article's paragraphs.
//!
//! Works line by line. A line goes when it is metadata (xpath, bare URLs, image sizes, locale codes,
//! lone timestamps), a UI prompt (share, comment, login), a caption or related-article line, a
//! contact footer, a short line in another script, or a line repeated within the document or known
//! to repeat across documents of the same source. Paragraphs that survive keep their order.

use std::collections::HashMap;

/// Why a line was dropped; kept so tests and `--why` output can say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debris {
    Metadata,
    Url,
    Prompt,
    Caption,
    Related,
    Contact,
    ForeignScript,
    Repeated,
    Attribution,
    Fragment,
}

/// A line of the raw body with what cleaning decided about it.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub text: &'a str,
    pub debris: Option<Debris>,
}

/// Decides, line by line, what is article text. `is_source_boilerplate` answers whether a line's hash
/// is known to repeat across other documents of the same source.
pub fn classify_lines<'a>(
    body: &'a str,
    is_source_boilerplate: &dyn Fn(u64) -> bool,
) -> Vec<Line<'a>> {
    let raw: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for l in &raw {
        *counts.entry(l).or_default() += 1;
    }
    let script = dominant_script(body);
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let mut out: Vec<Line<'a>> = Vec::with_capacity(raw.len());
    for (i, &text) in raw.iter().enumerate() {
        let mut debris = line_debris(text, script);
        if debris.is_none() && counts.get(text).copied().unwrap_or(0) > 1 {
            // A repeated paragraph of real prose keeps its first copy; repeated short lines are
            // footers and navigation and go entirely.
            if !is_prose(text) || seen.contains_key(text) {
                debris = Some(Debris::Repeated);
            }
        }
        if debris.is_none() && is_source_boilerplate(line_hash(text)) {
            debris = Some(Debris::Repeated);
        }
        // The title of a related article follows its thumbnail caption.
        if debris.is_none()
            && i > 0
            && out
                .last()
                .is_some_and(|p| p.debris == Some(Debris::Caption))
            && !ends_sentence(text)
            && word_count(text) <= 20
        {
            debris = Some(Debris::Related);
        }
        seen.insert(text, ());
        out.push(Line { text, debris });
    }
    out
}

/// The article text: surviving lines joined as paragraphs.
pub fn clean_text(lines: &[Line<'_>]) -> String {
    let mut s = String::new();
    for l in lines.iter().filter(|l| l.debris.is_none()) {
        if !s.is_empty() {
            s.push_str("\n\n");
        }
        s.push_str(l.text);
    }
    s
}

/// A stable hash of a line after folding case and spacing, for boilerplate statistics.
pub fn line_hash(line: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in line.chars().filter(|c| !c.is_whitespace()) {
        for l in c.to_lowercase() {
            let mut buf = [0u8; 4];
            for b in l.encode_utf8(&mut buf).bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    h
}

fn line_debris(text: &str, doc_script: Script) -> Option<Debris> {
    let lower = text.to_lowercase();
    if lower.contains("/html/") || lower.starts_with("/html") || lower.contains("/@content") {
        return Some(Debris::Metadata);
    }
    if is_url_line(text) {
        return Some(Debris::Url);
    }
    if is_image_size_row(text)
        || is_locale_code(text)
        || is_lone_timestamp(text)
        || is_numeric_line(text)
    {
        return Some(Debris::Metadata);
    }
    if text.starts_with('©') || lower.starts_with("foto:") || lower.starts_with("photo:") {
        return Some(Debris::Caption);
    }
    if is_caption_with_size(text) {
        return Some(Debris::Caption);
    }
    if RELATED_PREFIXES.iter().any(|p| starts_with_word(text, p)) {
        return Some(Debris::Related);
    }
    if is_contact(&lower) {
        return Some(Debris::Contact);
    }
    if is_attribution(&lower) {
        return Some(Debris::Attribution);
    }
    let folded = fold_prompt(&lower);
    if PROMPTS.iter().any(|p| folded.starts_with(p)) && word_count(text) <= 16 {
        return Some(Debris::Prompt);
    }
    if doc_script != Script::Other && line_script(text) != doc_script && word_count(text) <= 8 {
        return Some(Debris::ForeignScript);
    }
    if word_count(text) == 1 && !ends_sentence(text) {
        return Some(Debris::Fragment);
    }
    None
}

/// Lines that start a related-article teaser; matched case-sensitively on the word.
const RELATED_PREFIXES: &[&str] = &[
    "READ",
    "READ ALSO",
    "Read also:",
    "Read more:",
    "Read more",
    "Related:",
    "RELATED:",
    "Leggi anche",
    "LEGGI ANCHE",
    "Citește și",
    "Citeste si",
    "CITEȘTE ȘI",
    "Lesen Sie auch",
    "Lire aussi",
    "LIRE AUSSI",
    "Lea también",
    "Leia também",
    "Читайте также",
    "Читайте також",
    "Czytaj też",
    "Czytaj także",
    "Přečtěte si",
    "Lees ook",
    "Läs även",
    "Læs også",
    "Les også",
    "Lue myös",
    "Διαβάστε επίσης",
    "Ayrıca okuyun",
    "İlgili haber",
    "Pročitajte i",
    "Preberite še",
    "Olvassa el",
    "Прочетете още",
];

/// UI prompts (share, follow, comment, login, cookies), folded to lowercase ASCII-ish prefixes.
const PROMPTS: &[&str] = &[
    // it
    "seguici su",
    "per partecipare alla discussione",
    "accedi o registrati",
    "lascia un commento",
    "il tuo indirizzo email",
    "condividi",
    "iscriviti",
    "commenta",
    "tutti i diritti riservati",
    "clicca qui",
    "accetta i cookie",
    // ro
    "lasa un raspuns",
    "adresa ta de email",
    "campurile obligatorii",
    "distribuie",
    "urmareste-ne",
    "aboneaza-te",
    "toate drepturile rezervate",
    // en
    "leave a comment",
    "leave a reply",
    "your email address will not be published",
    "share this",
    "share on",
    "follow us",
    "sign in",
    "log in",
    "subscribe to",
    "subscribe now",
    "click here",
    "all rights reserved",
    "we use cookies",
    "accept cookies",
    "required fields are marked",
    "sign up for",
    "advertisement",
    // de fr es pt nl
    "teilen",
    "folgen sie uns",
    "kommentar schreiben",
    "alle rechte vorbehalten",
    "anmelden",
    "partager",
    "suivez-nous",
    "laisser un commentaire",
    "tous droits reserves",
    "se connecter",
    "compartir",
    "siguenos",
    "deja un comentario",
    "todos los derechos reservados",
    "iniciar sesion",
    "partilhar",
    "compartilhe",
    "siga-nos",
    "deixe um comentario",
    "todos os direitos reservados",
    "delen",
    "volg ons",
    "laat een reactie achter",
    // pl cs ru uk tr
    "udostepnij",
    "zaloguj sie",
    "skomentuj",
    "sdilet",
    "prihlasit se",
    "подписывайтесь",
    "поделиться",
    "войти",
    "комментарии",
    "поділитися",
    "paylas",
    "yorum yap",
    "giris yap",
];

fn fold_prompt(lower: &str) -> String {
    lower
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'ă' | 'å' => 'a',
            'è' | 'é' | 'ê' | 'ë' | 'ě' | 'ę' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ů' => 'u',
            'ș' | 'ş' | 'š' | 'ś' => 's',
            'ț' | 'ţ' => 't',
            'ç' | 'č' | 'ć' => 'c',
            'ł' => 'l',
            'ž' | 'ż' | 'ź' => 'z',
            'ř' => 'r',
            'ý' => 'y',
            'ñ' | 'ń' => 'n',
            'ğ' => 'g',
            'ı' => 'i',
            '\u{2019}' | '\u{2018}' => '\'',
            c => c,
        })
        .collect()
}

fn starts_with_word(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || c == ':' || c == '|')
    })
}

fn is_url_line(text: &str) -> bool {
    text.split_whitespace()
        .all(|w| w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www."))
}

/// `1920 1080 true`: image renditions from a scraped gallery.
fn is_image_size_row(text: &str) -> bool {
    let parts: Vec<&str> = text.split_whitespace().collect();
    parts.len() == 3
        && parts[0].chars().all(|c| c.is_ascii_digit())
        && parts[1].chars().all(|c| c.is_ascii_digit())
        && (parts[2] == "true" || parts[2] == "false")
}

fn is_locale_code(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[0].is_ascii_lowercase()
        && b[1].is_ascii_lowercase()
        && b[2] == b'_'
        && b[3].is_ascii_uppercase()
        && b[4].is_ascii_uppercase()
}

/// A line that is nothing but an ISO timestamp: metadata the scraper copied out of the page head.
pub fn is_lone_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10
        && b.len() <= 32
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && text.contains('T')
        && !text.contains(' ')
}

fn is_numeric_line(text: &str) -> bool {
    text.chars().all(|c| !c.is_alphabetic())
}

/// `Il segretario di Stato Antony Blinken - Sputnik Italia, 1920, 01.02.2022`: a thumbnail caption
/// carrying an image width and a date that is not the article's.
pub fn is_caption_with_size(text: &str) -> bool {
    let parts: Vec<&str> = text.rsplitn(3, ", ").collect();
    parts.len() == 3
        && parts[1].len() >= 3
        && parts[1].len() <= 4
        && parts[1].chars().all(|c| c.is_ascii_digit())
        && parts[0].chars().filter(char::is_ascii_digit).count() >= 6
}

fn is_contact(lower: &str) -> bool {
    let has_email = lower.split_whitespace().any(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        w.contains('@') && w.contains('.') && !w.starts_with('@')
    });
    let has_phone = lower
        .split_whitespace()
        .any(|w| w.starts_with('+') && w.len() >= 9 && w[1..].chars().all(|c| c.is_ascii_digit()));
    has_email && (has_phone || word_count(lower) <= 12)
}

/// `(Fonte: it.sputniknews.com)`, `Da: it.sputniknews.com.`: an attribution line, recorded as the
/// cited source elsewhere; not prose.
fn is_attribution(lower: &str) -> bool {
    let t = lower.trim_matches(|c: char| c == '(' || c == ')' || c == '.' || c.is_whitespace());
    crate::source::ATTRIBUTION_WORDS.iter().any(|w| {
        t.starts_with(w) && t[w.len()..].trim_start().starts_with(':') && word_count(t) <= 6
    }) || (word_count(t) <= 14 && t.contains(" da: "))
}

pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

fn ends_sentence(text: &str) -> bool {
    text.trim_end()
        .ends_with(['.', '!', '?', '»', '"', '”', ':', ';', '…', '。', '؟'])
}

fn is_prose(text: &str) -> bool {
    word_count(text) >= 8 && ends_sentence(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    Arabic,
    Other,
}

fn char_script(c: char) -> Option<Script> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c as u32 {
        0x0041..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
        0x0400..=0x052F => Script::Cyrillic,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0600..=0x06FF | 0x0750..=0x077F => Script::Arabic,
        _ => Script::Other,
    })
}

fn script_of(chars: impl Iterator<Item = char>) -> Script {
    let mut counts = [0usize; 5];
    for c in chars {
        if let Some(s) = char_script(c) {
            counts[s as usize] += 1;
        }
    }
    let total: usize = counts.iter().sum();
    let (best, n) = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .unwrap_or((4, &0));
    if total == 0 || *n * 10 < total * 7 {
        return Script::Other;
    }
    [
        Script::Latin,
        Script::Cyrillic,
        Script::Greek,
        Script::Arabic,
        Script::Other,
    ][best]
}

fn dominant_script(body: &str) -> Script {
    script_of(body.chars())
}

fn line_script(line: &str) -> Script {
    script_of(line.chars())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: Option<Debris>) {
        let body = format!("Una frase di prova abbastanza lunga per il testo, con molte parole italiane per dare al documento una scrittura chiara.\n{line}");
        let lines = classify_lines(&body, &|_| false);
        assert_eq!(
            lines.last().map(|l| l.debris).unwrap_or(None),
            expected,
            "{line}"
        );
    }

    #[test]
    fn debris_lines() {
        check("/html/head/meta[@name='og:title']/@content /html/head/meta[@name='og:description']/@content", Some(Debris::Metadata));
        check(
            "https://cdnnit1.img.sputniknews.com/img/x.jpg",
            Some(Debris::Url),
        );
        check("1920 1080 true", Some(Debris::Metadata));
        check("it_IT", Some(Debris::Metadata));
        check("2022-01-21T11:57+0100", Some(Debris::Metadata));
        check("2022", Some(Debris::Metadata));
        check(
            "Sputnik Italia feedback.it@sputniknews.com +74956456601 MIA „Rosiya Segodnya“ 252 60",
            Some(Debris::Contact),
        );
        check("Seguici suTelegram", Some(Debris::Prompt));
        check("Per partecipare alla discussione", Some(Debris::Prompt));
        check("Lasă un răspuns", Some(Debris::Prompt));
        check(
            "Adresa ta de email nu va fi publicată. Câmpurile obligatorii sunt marcate cu *",
            Some(Debris::Prompt),
        );
        check("READ  Il video mostra Zhelensky", Some(Debris::Related));
        check(
            "Il segretario di Stato Antony Blinken - Sputnik Italia, 1920, 01.02.2022",
            Some(Debris::Caption),
        );
        check(
            "Заголовок открываемого материала",
            Some(Debris::ForeignScript),
        );
        check("(Fonte: it.sputniknews.com)", Some(Debris::Attribution));
        check(
            "Il Il ministro degli Esteri russo Sergej Lavrov. Da: it.sputniknews.com.",
            Some(Debris::Attribution),
        );
        check("mondo", Some(Debris::Fragment));
        check("Le tensioni sull'Ucraina", None);
        check(
            "Il capo della diplomazia russa ha aggiunto che sarà interessante.",
            None,
        );
    }

    #[test]
    fn repeated_lines_go_but_prose_keeps_one_copy() {
        let body = "Footer line\nA real paragraph with enough words to count as prose here.\nFooter line\nA real paragraph with enough words to count as prose here.\nEnd of the story is here today.";
        let lines = classify_lines(body, &|_| false);
        let kept = clean_text(&lines);
        assert_eq!(kept, "A real paragraph with enough words to count as prose here.\n\nEnd of the story is here today.");
    }

    #[test]
    fn related_title_after_caption() {
        let body = "Primo paragrafo del testo con molte parole utili.\nIl ministero - Sputnik Italia, 1920, 27.01.2022\nMosca ricorda all'Occidente le linee rosse\nSecondo paragrafo.";
        let lines = classify_lines(body, &|_| false);
        assert_eq!(lines[2].debris, Some(Debris::Related));
    }
}
