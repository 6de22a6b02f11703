//! Case and diacritic folding of words, so that "Şubat", "ŞUBAT" and "Subat" look up the same month.
//!
//! Folding writes into a fixed buffer on the stack: month names are short, and a word that does not
//! fit cannot be a month, so the scanner never allocates per word.

/// Longest folded word kept, in bytes; two-word names ("تشرين الثاني", "deireadh fómhair") fit.
pub(crate) const CAPACITY: usize = 48;

/// A folded word (or two words joined by one space) in a stack buffer.
#[derive(Clone, Copy)]
pub(crate) struct Folded {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Folded {
    pub(crate) fn new() -> Folded {
        Folded {
            buf: [0; CAPACITY],
            len: 0,
        }
    }

    /// Folds `word` into a new buffer; `None` when it is too long to be a month name.
    pub(crate) fn of(word: &str) -> Option<Folded> {
        let mut folded = Folded::new();
        folded.push_word(word).then_some(folded)
    }

    /// Appends the folded form of every char of `word`; false when the buffer overflows.
    pub(crate) fn push_word(&mut self, word: &str) -> bool {
        word.chars().all(|c| match fold_char(c) {
            Some(f) => self.push(f),
            None => true,
        })
    }

    pub(crate) fn push(&mut self, c: char) -> bool {
        let width = c.len_utf8();
        if self.len + width > CAPACITY {
            return false;
        }
        c.encode_utf8(&mut self.buf[self.len..]);
        self.len += width;
        true
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Appends an ASCII byte, already folded; false when the buffer overflows.
    pub(crate) fn push_ascii(&mut self, b: u8) -> bool {
        if self.len == CAPACITY {
            return false;
        }
        self.buf[self.len] = b;
        self.len += 1;
        true
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only whole chars are ever written, so this cannot fail; "" keeps it total anyway.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Lower-cases `c` and strips the diacritics writers drop; `None` for marks that vanish entirely
/// (combining accents, Arabic short vowels and tatweel).
pub(crate) fn fold_char(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c.to_ascii_lowercase());
    }
    let lower = match c {
        // Cyrillic and Greek capitals, the common case, without the Unicode tables.
        'А'..='Я' | 'Α'..='Ω' => char::from_u32(c as u32 + 0x20).unwrap_or(c),
        'Ѐ'..='Џ' => char::from_u32(c as u32 + 0x50).unwrap_or(c),
        'а'..='я' | 'α'..='ω' => c,
        // Only the first char of a lower-case expansion matters: 'İ' lowers to "i̇", and the dot is a mark.
        _ => c.to_lowercase().next().unwrap_or(c),
    };
    Some(match lower {
        '\u{300}'..='\u{36f}' | '\u{64b}'..='\u{652}' | '\u{640}' => return None,
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' | 'ċ' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ğ' | 'ģ' | 'ġ' => 'g',
        'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'ş' | 'ș' | 'š' => 's',
        'ţ' | 'ț' | 'ť' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        // Greek: accents and diaeresis go, and final sigma is the same letter.
        'ά' => 'α',
        'έ' => 'ε',
        'ή' => 'η',
        'ί' | 'ϊ' | 'ΐ' => 'ι',
        'ό' => 'ο',
        'ύ' | 'ϋ' | 'ΰ' => 'υ',
        'ώ' => 'ω',
        'ς' => 'σ',
        'ё' => 'е',
        // Arabic: hamza and madda forms of alef are written interchangeably.
        'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
        'ى' => 'ي',
        other => other,
    })
}

/// Whether `c` continues a word: letters, and the marks that decomposed text puts after them.
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    // Fast answers for the scripts of the table; the Unicode tables for everything else.
    match c {
        '\u{c0}'..='\u{24f}' => c != '×' && c != '÷',
        '\u{386}'..='\u{3ff}' | '\u{400}'..='\u{4ff}' | '\u{621}'..='\u{64a}' => true,
        '\u{300}'..='\u{36f}' | '\u{64b}'..='\u{652}' => true,
        _ => c.is_alphabetic(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_and_diacritics() {
        for (word, folded) in [
            ("Şubat", "subat"),
            ("ŞUBAT", "subat"),
            ("února", "unora"),
            ("Φεβρουαρίου", "φεβρουαριου"),
            ("ΜΑΪΟΣ", "μαιοσ"),
            ("İyi", "iyi"),
            ("S\u{327}ubat", "subat"),
            ("أبريل", "ابريل"),
            ("août", "aout"),
        ] {
            assert_eq!(
                Folded::of(word).map(|f| f.as_str().to_owned()).as_deref(),
                Some(folded),
                "{word}"
            );
        }
    }

    #[test]
    fn overlong_words_do_not_fold() {
        assert!(Folded::of(&"a".repeat(100)).is_none());
    }
}
