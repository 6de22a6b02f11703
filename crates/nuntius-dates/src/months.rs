//! Month names of every language we read, and their lookup by folded form.
//!
//! One row per language: twelve months separated by `|`, each month's forms separated by spaces:
//! the nominative first, then inflected forms (genitive, locative, partitive, accusative ...), then
//! abbreviations. Forms are written as a native writer would; lookup folds case and diacritics, so
//! "února" also matches "unora" and "ÚNORA". Markers on a form:
//! - `?` weak: an abbreviation that is also a common word ("mar" is the sea, "set", "ago", "out"),
//!   accepted only inside a full day–month–year date, never for "month year";
//! - `^` cased: an English word that is a month without a day only when capitalised ("May 2022",
//!   not "prices may 2022");
//! - `_` joins a two-word name ("كانون_الثاني", "meán_fómhair").

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::fold::Folded;

/// `(language, months)`; see the module comment for the notation.
const LANGUAGES: &[(&str, &str)] = &[
    ("en", "january jan | february feb | ^march ?mar | april apr | ^may | june jun | july jul | august aug | september sep sept | october oct | november nov | december dec"),
    ("de", "januar jänner jan | februar feber feb | märz maerz mär mrz | april apr | mai | juni jun | juli jul | august aug | september sep sept | oktober okt | november nov | dezember dez"),
    ("fr", "janvier janv | février févr fév | mars | avril avr | mai | juin | juillet juil | août | septembre sept | octobre oct | novembre nov | décembre déc"),
    ("es", "enero ene | febrero feb | marzo ?mar | abril abr | mayo | junio jun | julio jul | agosto ?ago | septiembre setiembre sep sept | octubre oct | noviembre nov | diciembre dic"),
    ("pt", "janeiro jan | fevereiro fev | março ?mar | abril abr | maio | junho jun | julho jul | agosto ?ago | setembro ?set | outubro ?out | novembro nov | dezembro dez"),
    ("it", "gennaio ?gen | febbraio feb | marzo ?mar | aprile apr | maggio ?mag | giugno giu | luglio lug | agosto ?ago | settembre ?set | ottobre ott | novembre nov | dicembre dic"),
    ("ro", "ianuarie ?ian | februarie feb | martie ?mar | aprilie apr | mai | iunie iun | iulie iul | august aug | septembrie sep sept | octombrie oct | noiembrie ?noi nov | decembrie dec"),
    ("nl", "januari jan | februari feb | maart mrt | april apr | mei | juni jun | juli jul | augustus aug | september sep sept | oktober okt | november nov | december dec"),
    ("sv", "januari jan | februari feb | mars | april apr | maj | juni jun | juli jul | augusti aug | september sep sept | oktober okt | november nov | december dec"),
    ("da", "januar jan | februar feb | marts | april apr | maj | juni jun | juli jul | august aug | september sep sept | oktober okt | november nov | december dec"),
    ("fi", "tammikuu tammikuuta tammikuun tammikuussa tammik | helmikuu helmikuuta helmikuun helmikuussa helmik | maaliskuu maaliskuuta maaliskuun maaliskuussa maalisk | huhtikuu huhtikuuta huhtikuun huhtikuussa huhtik | toukokuu toukokuuta toukokuun toukokuussa toukok | kesäkuu kesäkuuta kesäkuun kesäkuussa kesäk | heinäkuu heinäkuuta heinäkuun heinäkuussa heinäk | elokuu elokuuta elokuun elokuussa elok | syyskuu syyskuuta syyskuun syyskuussa syysk | lokakuu lokakuuta lokakuun lokakuussa lokak | marraskuu marraskuuta marraskuun marraskuussa marrask | joulukuu joulukuuta joulukuun joulukuussa jouluk"),
    ("et", "jaanuar jaanuari jaanuaril jaanuaris jaan | veebruar veebruari veebruaril veebruaris veebr | märts märtsi märtsil märtsis | aprill aprilli aprillil aprillis | mai ?mail ?mais | juuni juunil juunis | juuli juulil juulis | august augusti augustil augustis | september septembri septembril septembris sept | oktoober oktoobri oktoobril oktoobris okt | november novembri novembril novembris nov | detsember detsembri detsembril detsembris dets"),
    ("lv", "janvāris janvāra janvārī janv | februāris februāra februārī febr | marts marta martā | aprīlis aprīļa aprīlī apr | maijs maija maijā | jūnijs jūnija jūnijā | jūlijs jūlija jūlijā | augusts augusta augustā aug | septembris septembra septembrī sept | oktobris oktobra oktobrī okt | novembris novembra novembrī nov | decembris decembra decembrī dec"),
    ("lt", "sausis sausio sausį | vasaris vasario vasarį | kovas kovo kovą | balandis balandžio balandį | gegužė gegužės gegužę | birželis birželio birželį | liepa liepos liepą | rugpjūtis rugpjūčio rugpjūtį | rugsėjis rugsėjo rugsėjį | spalis spalio spalį | lapkritis lapkričio lapkritį | gruodis gruodžio gruodį"),
    ("pl", "styczeń stycznia styczniu | luty lutego lutym | marzec marca marcu | kwiecień kwietnia kwietniu | maj maja maju | czerwiec czerwca czerwcu | lipiec lipca lipcu | sierpień sierpnia sierpniu | wrzesień września wrześniu | październik października październiku | listopad listopada listopadzie | grudzień grudnia grudniu"),
    ("cs", "leden ledna lednu | únor února únoru | březen března březnu | duben dubna dubnu | květen května květnu | červen června červnu | červenec července červenci | srpen srpna srpnu | září | říjen října říjnu | listopad listopadu | prosinec prosince prosinci"),
    ("sk", "január januára januári jan | február februára februári feb | marec marca marci | apríl apríla apríli apr | máj mája máji | jún júna júni | júl júla júli | august augusta auguste aug | september septembra septembri sept | október októbra októbri okt | november novembra novembri nov | december decembra decembri dec"),
    ("sl", "januar januarja januarju jan | februar februarja februarju feb | marec marca marcu | april aprila aprilu apr | maj maja maju | junij junija juniju jun | julij julija juliju jul | avgust avgusta avgustu avg | september septembra septembru sep sept | oktober oktobra oktobru okt | november novembra novembru nov | december decembra decembru dec"),
    ("hr", "siječanj siječnja siječnju | veljača veljače veljači | ožujak ožujka ožujku | travanj travnja travnju | svibanj svibnja svibnju | lipanj lipnja lipnju | srpanj srpnja srpnju | kolovoz kolovoza kolovozu | rujan rujna rujnu | listopad listopada listopadu | studeni studenoga studenog studenom | prosinac prosinca prosincu"),
    ("hu", "január januárban jan | február februárban febr feb | március márciusban ?márc | április áprilisban ápr | május májusban máj | június júniusban jún | július júliusban júl | augusztus augusztusban aug | szeptember szeptemberben szept | október októberben okt | november novemberben nov | december decemberben dec"),
    ("el", "ιανουάριος ιανουαρίου ιανουάριο ιαν | φεβρουάριος φεβρουαρίου φεβρουάριο φεβ | μάρτιος μαρτίου μάρτιο μαρ | απρίλιος απριλίου απρίλιο απρ | μάιος μαΐου μάιο μάη μαΐ | ιούνιος ιουνίου ιούνιο ιουν | ιούλιος ιουλίου ιούλιο ιουλ | αύγουστος αυγούστου αύγουστο αυγ | σεπτέμβριος σεπτεμβρίου σεπτέμβριο σεπ σεπτ | οκτώβριος οκτωβρίου οκτώβριο οκτ | νοέμβριος νοεμβρίου νοέμβριο νοε | δεκέμβριος δεκεμβρίου δεκέμβριο δεκ"),
    ("bg", "януари ян | февруари фев | март мар | април апр | май | юни | юли | август авг | септември сеп | октомври окт | ноември ное | декември дек"),
    ("ga", "eanáir | feabhra | márta | aibreán aibreáin | bealtaine | meitheamh | iúil | lúnasa lúnasta | meán_fómhair | deireadh_fómhair | samhain samhna | nollaig nollag"),
    ("mt", "jannar | frar | marzu | april | mejju | ġunju | lulju | awwissu | settembru | ottubru | novembru | diċembru"),
    ("ru", "январь января январе янв | февраль февраля феврале фев февр | март марта марте мар | апрель апреля апреле апр | май мая мае | июнь июня июне июн | июль июля июле июл | август августа августе авг | сентябрь сентября сентябре сен сент | октябрь октября октябре окт | ноябрь ноября ноябре ноя нояб | декабрь декабря декабре дек"),
    ("uk", "січень січня січні | лютий лютого лютому | березень березня березні | квітень квітня квітні | травень травня травні | червень червня червні | липень липня липні | серпень серпня серпні | вересень вересня вересні | жовтень жовтня жовтні | листопад листопада листопаді | грудень грудня грудні"),
    ("tr", "ocak | şubat | mart | nisan | mayıs | haziran | temmuz | ağustos | eylül | ekim | kasım | aralık"),
    // Egyptian and Gulf usage, then the Maghreb's French-derived names, then the Levant's Syriac ones.
    ("ar", "يناير | فبراير | مارس | أبريل إبريل | مايو | يونيو يونيه | يوليو يوليه | أغسطس | سبتمبر | أكتوبر | نوفمبر | ديسمبر"),
    ("ar-dz", "جانفي | فيفري | مارس | أفريل | ماي | جوان | جويلية | أوت | سبتمبر | أكتوبر | نوفمبر | ديسمبر"),
    ("ar-sy", "كانون_الثاني كانون_ثاني | شباط | آذار | نيسان | أيار | حزيران | تموز | ?آب | أيلول | تشرين_الأول تشرين_أول | تشرين_الثاني تشرين_ثاني | كانون_الأول كانون_أول"),
];

/// What a folded word means as a month name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MonthName {
    /// 1..=12 in the first language listing the form.
    pub month: u8,
    /// The month in a later language that spells it the same way (only Croatian "listopad" = October,
    /// where Polish and Czech mean November).
    pub alternative: Option<u8>,
    /// Accepted only inside a full day–month–year date.
    pub weak: bool,
    /// A month without a day only when written with a capital letter.
    pub cased: bool,
}

/// A multiply-rotate hash (as in rustc's FxHash): lookups run next to every number of every text,
/// and the keys are our own, so SipHash's flood resistance buys nothing here.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type BuildWordHasher = BuildHasherDefault<WordHasher>;

struct Table {
    /// Folded forms, as UTF-8 bytes.
    names: HashMap<Box<[u8]>, MonthName, BuildWordHasher>,
    /// First words of two-word names ("كانون", "meán"), so the reader knows to look one word further.
    first_words: Vec<Box<[u8]>>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(build_table)
}

fn build_table() -> Table {
    let mut names: HashMap<Box<[u8]>, MonthName, BuildWordHasher> = HashMap::default();
    let mut first_words: Vec<Box<[u8]>> = Vec::new();
    for (_, row) in LANGUAGES {
        for (index, forms) in row.split('|').enumerate() {
            let month = index as u8 + 1;
            for form in forms.split_whitespace() {
                let weak = form.starts_with('?');
                let cased = form.starts_with('^');
                let spelled = form.trim_start_matches(['?', '^']).replace('_', " ");
                let Some(folded) = Folded::of(&spelled) else {
                    continue;
                };
                if let Some((first, _)) = folded.as_str().split_once(' ') {
                    if !first_words.iter().any(|w| **w == *first.as_bytes()) {
                        first_words.push(first.as_bytes().into());
                    }
                }
                names
                    .entry(folded.as_bytes().into())
                    .and_modify(|name| {
                        if name.month != month {
                            name.alternative = Some(month);
                        }
                        name.weak |= weak;
                        name.cased |= cased;
                    })
                    .or_insert(MonthName {
                        month,
                        alternative: None,
                        weak,
                        cased,
                    });
            }
        }
    }
    Table { names, first_words }
}

/// The month a folded word (or two words joined by a space) names.
pub(crate) fn lookup(folded: &Folded) -> Option<MonthName> {
    table().names.get(folded.as_bytes()).copied()
}

/// Whether a folded word starts a two-word month name.
pub(crate) fn starts_two_word_name(folded: &Folded) -> bool {
    // Four words: comparing them is cheaper than hashing.
    table()
        .first_words
        .iter()
        .any(|w| **w == *folded.as_bytes())
}

/// Language codes with a row in the table, for tests that want to cover each.
pub fn languages() -> impl Iterator<Item = &'static str> {
    LANGUAGES.iter().map(|(code, _)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_twelve_months() {
        for (code, row) in LANGUAGES {
            assert_eq!(row.split('|').count(), 12, "{code}");
            assert!(
                row.split('|').all(|forms| !forms.trim().is_empty()),
                "{code}"
            );
        }
    }

    #[test]
    fn only_listopad_means_two_months() {
        let mut ambiguous: Vec<&str> = table()
            .names
            .iter()
            .filter(|(_, name)| name.alternative.is_some())
            .map(|(form, _)| std::str::from_utf8(form).unwrap_or(""))
            .collect();
        ambiguous.sort_unstable();
        assert_eq!(ambiguous, ["listopad", "listopada", "listopadu"]);
    }

    #[test]
    fn lookup_ignores_case_and_diacritics() {
        for word in [
            "Şubat",
            "Subat",
            "ÚNORA",
            "unora",
            "Φεβρουαρίου",
            "фЕВРАЛЯ",
            "شباط",
        ] {
            let month = Folded::of(word).and_then(|f| lookup(&f)).map(|n| n.month);
            assert_eq!(month, Some(2), "{word}");
        }
    }
}
