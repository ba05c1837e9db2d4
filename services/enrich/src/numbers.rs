//! Numbers with what they count: casualties (`killed 130 people`, `about 100
//! people` killed, `قتل نحو 100`) and other counts (`30 attacks`, `mille deux
//! cents habitants`, `une cinquantaine de sauvetages`).
//!
//! Works on the folded text, where digits of every script are ASCII and
//! hyphenated number words are split (`twenty-four` → `twenty four`).

use std::sync::LazyLock;

use newsflow_core::contracts::NumberMention;
use regex::Regex;

use crate::fold::Folded;
use newsflow_core::chars;

/// Number words of English and French with their values; `None` marks a multiplier.
const WORDS: &[(&str, u64)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
    ("un", 1),
    ("une", 1),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("cinq", 5),
    ("sept", 7),
    ("huit", 8),
    ("neuf", 9),
    ("dix", 10),
    ("onze", 11),
    ("douze", 12),
    ("treize", 13),
    ("quatorze", 14),
    ("quinze", 15),
    ("seize", 16),
    ("vingt", 20),
    ("vingts", 20),
    ("trente", 30),
    ("quarante", 40),
    ("cinquante", 50),
    ("soixante", 60),
];
const MULTIPLIERS: &[(&str, u64)] = &[
    ("hundred", 100),
    ("cent", 100),
    ("cents", 100),
    ("thousand", 1_000),
    ("mille", 1_000),
    ("million", 1_000_000),
    ("millions", 1_000_000),
    ("billion", 1_000_000_000),
    ("milliard", 1_000_000_000),
    ("milliards", 1_000_000_000),
];
/// Approximate quantity nouns (`une cinquantaine`).
const APPROX_NOUNS: &[(&str, u64)] = &[
    ("dizaine", 10),
    ("douzaine", 12),
    ("quinzaine", 15),
    ("vingtaine", 20),
    ("trentaine", 30),
    ("quarantaine", 40),
    ("cinquantaine", 50),
    ("soixantaine", 60),
    ("centaine", 100),
    ("millier", 1000),
    ("milliers", 1000),
    ("dozen", 12),
];

/// Hedges before a number.
const HEDGES: &[&str] = &[
    "about",
    "around",
    "nearly",
    "almost",
    "some",
    "roughly",
    "approximately",
    "more than",
    "over",
    "at least",
    "up to",
    "less than",
    "fewer than",
    "pres de",
    "environ",
    "plus de",
    "au moins",
    "quelque",
    "moins de",
    "نحو",
    "حوالي",
    "اكثر من",
    "قرابه",
    "ما يقرب من",
    "اقل من",
    "mehr als",
    "rund",
    "etwa",
    "mindestens",
    "mas de",
    "alrededor de",
    "cerca de",
    "unos",
    "unas",
    "al menos",
    "около",
    "более",
    "почти",
    "свыше",
];

/// Casualty kinds and the word starts that signal them; `=word` must match
/// whole (`tue` is French "kills", `tuesday` is not).
const KINDS: &[(&str, &[&str])] = &[
    (
        "killed",
        &[
            "kill",
            "=dead",
            "death",
            "=died",
            "=tue",
            "=tuee",
            "=tuees",
            "=tues",
            "=tuant",
            "=mort",
            "=mortes",
            "=morts",
            "victimes",
            "قتل",
            "قتيل",
            "قتلي",
            "مقتل",
            "getotet",
            "=tote",
            "=toten",
            "muerto",
            "muertos",
            "погиб",
            "убит",
        ],
    ),
    (
        "injured",
        &[
            "injur",
            "wounded",
            "blesse",
            "جريح",
            "جرحي",
            "اصاب",
            "مصاب",
            "verletz",
            "herido",
            "ранен",
        ],
    ),
    (
        "arrested",
        &[
            "arrest",
            "detained",
            "arrete",
            "interpelle",
            "اعتقال",
            "اعتقل",
            "festgenommen",
            "detenido",
            "задержан",
        ],
    ),
    (
        "missing",
        &[
            "missing",
            "disparu",
            "مفقود",
            "vermisst",
            "desaparecido",
            "пропал",
        ],
    ),
    (
        "displaced",
        &[
            "evacuat",
            "displaced",
            "evacue",
            "deplace",
            "نازح",
            "اجلاء",
            "evakuiert",
            "evacuado",
            "эвакуир",
        ],
    ),
];

/// Words that are not units.
const NOT_UNITS: &[&str] = &[
    "to", "and", "or", "of", "the", "a", "an", "in", "on", "at", "for", "from", "by", "with", "et",
    "a", "au", "aux", "en", "le", "la", "les", "du", "des", "de", "d", "ou", "und", "y", "o", "el",
    "los", "las", "por", "per", "is", "are", "was", "were", "have", "has", "had", "that", "which",
    "who", "this", "it", "its", "his", "her", "their", "years", "ago", "as", "than",
    // Ordinal endings split off by the word split (`10th`, `2nd`).
    "th", "st", "nd", "rd",
    // Arabic prepositions and conjunctions, folded (`في`, `من`, `إلى`, `على`,
    // `أو`, `ثم`): the commonest words after a number in Arabic news, none
    // of them a unit (`2015 في`, `10 إلى 20`).
    "في", "من", "الي", "علي", "او", "عن", "مع", "ثم", "حتي", "منذ", "بين", "ان", "و",
];
/// Words between a number and its unit that are skipped (`une cinquantaine de sauvetages`).
const LINKS: &[&str] = &["of", "de", "d"];
const MONTH_STARTS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
];

/// A number in digits: grouped thousands (`6,000`, `2.000`, `3 000` with a
/// space, no-break or narrow no-break space, which fold to a space;
/// Arabic `٣٬٠٠٠` with `٫` decimals, whose digits fold to ASCII) or not,
/// with decimals.
const DIGITS: &str = r"\d{1,3}(?:[,.]\d{3})+(?:[.,]\d+)?|\d{1,3}(?:٬\d{3})+(?:٫\d+)?|\d{1,3}(?: \d{3})+(?-u:\b)(?:,\d+)?|\d+(?:[.,٫]\d+)?";

/// Digits (maybe a range: `10 to 12`), or a run of number words. The folded
/// text spells Latin words in ASCII, so ASCII word boundaries suffice (and
/// keep the regex on its fast DFA).
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    let mut words: Vec<&str> = WORDS
        .iter()
        .chain(MULTIPLIERS)
        .chain(APPROX_NOUNS)
        .map(|(w, _)| *w)
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.len()));
    let w = words.join("|");
    Regex::new(&format!(
        r"(?:{DIGITS})(?:\s(?:to|a|-|et|and|و|الى)\s\d[\d,.]*)?|(?-u:\b)(?:{w})(?:\s(?:(?:and|et)\s)?(?:{w}))*(?-u:\b)"
    ))
    .expect("valid regex")
});

/// The number in digits a [`NUMBER`] match in digits starts with; the rest,
/// if any, is the upper end of a range.
static LEADING_DIGITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{DIGITS})")).expect("valid regex"));

/// The numbers of `text` that count something, the language unknown.
pub fn numbers(text: &str, folded: &Folded) -> Vec<NumberMention> {
    numbers_in(text, folded, None)
}

/// Languages that write a decimal comma and group thousands with a point
/// or a space: there `3,000` is three and `3.000` three thousand.
const DECIMAL_COMMA: &[&str] = &[
    "fr", "de", "es", "it", "pt", "nl", "tr", "id", "ru", "uk", "pl", "fa",
];
/// Languages that write a decimal point and group with a comma.
const DECIMAL_POINT: &[&str] = &["en", "zh", "ja", "ko", "hi", "he", "ur", "ar"];

/// The numbers of `text` that count something; `lang` (ISO 639-1) decides
/// whether `3.000` and `3,000` are thousands or decimals.
pub fn numbers_in(text: &str, folded: &Folded, lang: Option<&str>) -> Vec<NumberMention> {
    let f = folded.text.as_str();
    let mut out = Vec::new();
    // Matches, not captures (the slow engine): a match is number words when
    // it starts with a letter, else digits, and a range when longer than its
    // leading number.
    for whole in NUMBER.find_iter(f) {
        let (value, mut approximate) = if whole
            .as_str()
            .starts_with(|c: char| c.is_ascii_alphabetic())
        {
            let Some((v, approx)) = parse_words(whole.as_str()) else {
                continue;
            };
            (v as f64, approx)
        } else {
            let digits = LEADING_DIGITS
                .find(whole.as_str())
                .expect("a number in digits starts the match");
            let Some(v) = parse_digits(digits.as_str(), lang) else {
                continue;
            };
            if is_date_part(f, whole.start(), whole.end(), v) {
                continue;
            }
            (v, digits.end() < whole.len())
        };
        let before = &f[floor(f, whole.start().saturating_sub(40))..whole.start()];
        let before_trimmed = before.trim_end();
        let mut phrase_start = whole.start();
        if let Some(hedge) = HEDGES.iter().find(|h| ends_with_word(before_trimmed, h)) {
            approximate = true;
            phrase_start = before_trimmed.len() - hedge.len() + (whole.start() - before.len());
        }
        let after = &f[whole.end()..floor(f, (whole.end() + 50).min(f.len()))];
        // A percent sign is the unit itself (`80 % de leur`: not `leur`).
        let percent = after
            .strip_prefix(' ')
            .unwrap_or(after)
            .starts_with(['%', '٪']);
        let after_words: Vec<&str> = if percent {
            Vec::new()
        } else {
            words_of(after).take(4).collect()
        };
        let unit_index = after_words
            .iter()
            .position(|w| !LINKS.contains(w))
            .filter(|&i| i <= 1);
        // An adjective before the noun (`three refrigerated containers`,
        // `five neighbouring regions`) gives way to the noun.
        let unit_index = unit_index.map(|i| match after_words.get(i + 1) {
            Some(next)
                if (after_words[i].ends_with("ed") || after_words[i].ends_with("ing"))
                    && next.chars().all(chars::is_alphabetic)
                    && !NOT_UNITS.contains(next) =>
            {
                i + 1
            }
            _ => i,
        });
        let unit = unit_index.map(|i| after_words[i]).filter(|w| {
            w.chars().all(chars::is_alphabetic) && w.chars().count() >= 2 && !NOT_UNITS.contains(w)
        });
        let before_words: Vec<&str> =
            words_of(&f[floor(f, phrase_start.saturating_sub(30))..phrase_start])
                .rev()
                .take(2)
                .collect();
        // The casualty kind of each word, looked up once.
        let after_kinds: Vec<Option<&str>> = after_words.iter().map(|w| word_kind(w)).collect();
        let before_kinds: Vec<Option<&str>> = before_words.iter().map(|w| word_kind(w)).collect();
        let right_after = first_kind(&after_kinds[..after_kinds.len().min(2)]);
        // A casualty word right after the number (`40 blessés`) wins over a verb before it.
        let kind = right_after
            .or_else(|| first_kind(&before_kinds))
            .or_else(|| first_kind(&after_kinds));
        // A casualty verb before a count of things (`l'évacuation de trois
        // villages`) does not make the things casualties.
        let kind = kind.filter(|_| right_after.is_some() || unit.is_none_or(is_person_word));
        let unit = if percent { Some("%") } else { unit };
        if kind.is_none() && unit.is_none() {
            continue;
        }
        // The phrase runs from a hedge or casualty verb to the unit or casualty word.
        let mut phrase_end = whole.end();
        if percent {
            // The Arabic percent sign `٪` is two bytes.
            let sign = after.char_indices().find(|(_, c)| matches!(c, '%' | '٪'));
            phrase_end = whole.end() + sign.map_or(0, |(i, c)| i + c.len_utf8());
        }
        if let Some(i) = unit_index.filter(|_| unit.is_some()) {
            phrase_end = whole.end() + word_end(after, i + 1);
        }
        if let Some((_, true)) = kind.map(|k| {
            (
                k,
                first_kind(&after_kinds[..after_kinds.len().min(3)]) == Some(k),
            )
        }) && let Some(i) = after_kinds.iter().take(3).position(Option::is_some)
        {
            phrase_end = phrase_end.max(whole.end() + word_end(after, i + 1));
        } else if kind.is_some() {
            let verb = before_words.first().copied().unwrap_or("");
            if let Some(pos) = f[..phrase_start].rfind(verb)
                && before_kinds.first().copied().flatten().is_some()
            {
                phrase_start = pos;
            }
        }
        let (start, end) = folded.char_span(phrase_start, phrase_end);
        let (bs, be) = folded.byte_span(start, end);
        // The unit as the text writes it, in small letters: the folded word
        // has lost its accents (`людеи` for `людей`, `eleves` for `élèves`).
        let unit = match unit_index.filter(|_| unit.is_some() && !percent) {
            Some(i) => {
                let word_end_at = whole.end() + word_end(after, i + 1);
                let word_start_at = word_end_at - after_words[i].len();
                let (us, ue) = folded.char_span(word_start_at, word_end_at);
                let (ubs, ube) = folded.byte_span(us, ue);
                Some(text[ubs..ube].to_lowercase())
            }
            None => unit.map(str::to_string),
        };
        out.push(NumberMention {
            value,
            kind: kind.unwrap_or("count").to_string(),
            unit: unit.or_else(|| kind.map(|_| "people".to_string())),
            approximate,
            phrase: text[bs..be].to_string(),
            start,
            end,
        });
    }
    out
}

fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn words_of(s: &str) -> impl DoubleEndedIterator<Item = &str> {
    s.split(|c: char| !chars::is_alphanumeric(c))
        .filter(|w| !w.is_empty())
}

/// Byte offset in `s` of the end of its `n`-th word.
fn word_end(s: &str, n: usize) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for (i, c) in s.char_indices() {
        if chars::is_alphanumeric(c) {
            in_word = true;
        } else if in_word {
            in_word = false;
            count += 1;
            if count == n {
                return i;
            }
        }
    }
    s.len()
}

fn ends_with_word(s: &str, word: &str) -> bool {
    // The last byte first: a cheap test that rejects most words.
    word.as_bytes()
        .last()
        .is_none_or(|b| s.as_bytes().last() == Some(b))
        && s.ends_with(word)
        && s[..s.len() - word.len()]
            .chars()
            .next_back()
            .is_none_or(|c| !chars::is_alphanumeric(c))
}

/// Word starts of nouns for people, which casualty figures count.
const PERSON_WORDS: &[&str] = &[
    "people",
    "person",
    "civilian",
    "soldier",
    "child",
    "women",
    "men",
    "officer",
    "police",
    "militant",
    "fighter",
    "migrant",
    "refugee",
    "resident",
    "passenger",
    "worker",
    "tourist",
    "student",
    "victim",
    "pilgrim",
    "others",
    "autres",
    "suspect",
    "اخرين",
    "اخري",
    "personne",
    "civil",
    "soldat",
    "enfant",
    "femme",
    "homme",
    "habitant",
    "refugie",
    "policier",
    "militaire",
    "شخص",
    "اشخاص",
    "مدني",
    "جندي",
    "طفل",
    "اطفال",
    "مواطن",
    "menschen",
    "person",
    "zivilist",
    "soldat",
    "kinder",
    "persona",
    "civiles",
    "soldado",
    "ninos",
    "человек",
    "мирн",
    "военн",
    "детей",
];

fn is_person_word(word: &str) -> bool {
    PERSON_WORDS.iter().any(|p| word.starts_with(p))
}

/// The first kind found in `kinds` (of words in order).
fn first_kind(kinds: &[Option<&'static str>]) -> Option<&'static str> {
    kinds.iter().find_map(|k| *k)
}

/// (kind, word start, whole word only) of [`KINDS`] by the first byte of the
/// start, in table order: a word is compared with the few starts that share
/// its first byte rather than with all of them.
type KindStarts = Vec<Vec<(&'static str, &'static str, bool)>>;

static KIND_STARTS: LazyLock<KindStarts> = LazyLock::new(|| {
    let mut by_byte: KindStarts = vec![Vec::new(); 256];
    for &(kind, starts) in KINDS {
        for start in starts {
            let (start, whole) = match start.strip_prefix('=') {
                Some(exact) => (exact, true),
                None => (*start, false),
            };
            by_byte[usize::from(start.as_bytes()[0])].push((kind, start, whole));
        }
    }
    by_byte
});

/// The casualty kind a word signals (after a conjunction و or ف), if any:
/// the first kind of [`KINDS`] with a start the word matches.
fn word_kind(word: &str) -> Option<&'static str> {
    let w = word.trim_start_matches(['و', 'ف']);
    let first = *w.as_bytes().first()?;
    KIND_STARTS[usize::from(first)]
        .iter()
        .find(|&&(_, start, whole)| {
            if whole {
                w == start
            } else {
                w.starts_with(start)
            }
        })
        .map(|&(kind, _, _)| kind)
}

/// Whether a number is a day or year of a date (`November 13`, `13 novembre`, `2024`).
fn is_date_part(f: &str, start: usize, end: usize, value: f64) -> bool {
    let before = words_of(&f[floor(f, start.saturating_sub(12))..start]).last();
    let after = words_of(&f[end..floor(f, (end + 12).min(f.len()))]).next();
    let month = |w: Option<&str>| {
        w.is_some_and(|w| {
            MONTH_STARTS
                .iter()
                .any(|m| w.starts_with(&m[..3]) && m.starts_with(w))
        })
    };
    if value <= 31.0 && (month(before) || month(after)) {
        return true;
    }
    // A bare four-digit number in the years' range is a year unless a plural
    // noun or a casualty word follows (`2000 soldiers`).
    (1900.0..=2100.0).contains(&value)
        && value.fract() == 0.0
        && !f[start..end].contains([',', '.'])
        && after.is_none_or(|w| {
            !(w.chars().all(chars::is_alphabetic) && (w.ends_with('s') || word_kind(w).is_some()))
                || MONTH_STARTS.contains(&w)
        })
}

/// `6,000` → 6000, `2.000` → 2000, `2.5` → 2.5, `1.234,5` → 1234.5,
/// `3 000` → 3000, `3٬000٫5` → 3000.5; in a decimal-comma language
/// (`lang`) `3,000` → 3, in a decimal-point one `3.000` → 3.
fn parse_digits(s: &str, lang: Option<&str>) -> Option<f64> {
    // Spaces and the Arabic thousands separator only ever group; the Arabic
    // decimal separator is a decimal point.
    let s: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '٬'))
        .map(|c| if c == '٫' { '.' } else { c })
        .collect();
    let s = s.as_str();
    let separators: Vec<(usize, char)> = s
        .char_indices()
        .filter(|(_, c)| matches!(c, ',' | '.'))
        .collect();
    let Some(&(i, last)) = separators.last() else {
        return s.parse().ok();
    };
    let tail = &s[i + 1..];
    // The language decides a lone separator before three digits: the
    // decimal mark it writes is a decimal mark.
    let decimal_mark = match lang {
        Some(l) if DECIMAL_COMMA.contains(&l) => Some(','),
        Some(l) if DECIMAL_POINT.contains(&l) => Some('.'),
        _ => None,
    };
    let lone = separators.len() == 1;
    // Groups of three after one kind of separator are thousands; anything else
    // after the last separator is a decimal part.
    if tail.len() == 3
        && separators.iter().all(|&(_, c)| c == last)
        && !(lone && decimal_mark == Some(last))
    {
        return s
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok();
    }
    let int: String = s[..i].chars().filter(char::is_ascii_digit).collect();
    format!("{int}.{tail}").parse().ok()
}

/// `one hundred thirty` → 130, `mille deux cents` → 1200, `quatre vingt` → 80,
/// `une cinquantaine` → (50, approximate). A lone `one`/`un`/`une` is an article, not a count.
fn parse_words(s: &str) -> Option<(u64, bool)> {
    let words: Vec<&str> = s
        .split(' ')
        .filter(|w| !matches!(*w, "and" | "et" | ""))
        .collect();
    if words.len() == 1 && matches!(words[0], "one" | "un" | "une") {
        return None;
    }
    let (mut total, mut current, mut approx) = (0u64, 0u64, false);
    let mut previous = "";
    for w in &words {
        if let Some(&(_, v)) = WORDS.iter().find(|(x, _)| x == w) {
            if v == 20 && previous == "quatre" {
                current = current - 4 + 80;
            } else {
                current += v;
            }
        } else if let Some(&(_, m)) = MULTIPLIERS.iter().find(|(x, _)| x == w) {
            if m == 100 {
                current = current.max(1) * 100;
            } else {
                total += current.max(1) * m;
                current = 0;
            }
        } else if let Some(&(_, v)) = APPROX_NOUNS.iter().find(|(x, _)| x == w) {
            current = if current > 1 { current * v } else { v };
            approx = true;
        }
        previous = w;
    }
    Some((total + current, approx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(f64, String, Option<String>, bool, String)> {
        let folded = Folded::new(text);
        numbers(text, &folded)
            .into_iter()
            .map(|n| {
                let chars: Vec<char> = text.chars().collect();
                assert_eq!(chars[n.start..n.end].iter().collect::<String>(), n.phrase);
                (n.value, n.kind, n.unit, n.approximate, n.phrase)
            })
            .collect()
    }

    #[test]
    fn casualties_in_english() {
        assert_eq!(
            found("the November 13 Paris shootings that killed 130 people are"),
            vec![(
                130.0,
                "killed".into(),
                Some("people".into()),
                false,
                "killed 130 people".into()
            )]
        );
        assert_eq!(
            found("two bombings that struck Iran and killed about 100 people"),
            vec![
                (
                    2.0,
                    "count".into(),
                    Some("bombings".into()),
                    false,
                    "two bombings".into()
                ),
                (
                    100.0,
                    "killed".into(),
                    Some("people".into()),
                    true,
                    "killed about 100 people".into()
                )
            ]
        );
        assert_eq!(
            found("at least 12 people were injured"),
            vec![(
                12.0,
                "injured".into(),
                Some("people".into()),
                true,
                "at least 12 people were injured".into()
            )]
        );
    }

    #[test]
    fn casualties_in_arabic_and_french() {
        let n = found("أسفر الهجوم عن مقتل ١٣٠ شخصا");
        assert_eq!((n[0].0, n[0].1.as_str()), (130.0, "killed"));
        let n = found("L'attaque a fait 12 morts et 40 blessés.");
        assert_eq!(
            n.iter().map(|x| (x.0, x.1.as_str())).collect::<Vec<_>>(),
            [(12.0, "killed"), (40.0, "injured")]
        );
    }

    #[test]
    fn the_unit_is_written_as_in_the_text() {
        // Made up: the folded words had lost their accents and the short i.
        assert_eq!(
            value_and_unit("12 élèves, 40 Häuser, загинули 12 людей"),
            [
                (12.0, Some("élèves".into())),
                (40.0, Some("häuser".into())),
                (12.0, Some("людей".into()))
            ]
        );
    }

    #[test]
    fn a_preposition_or_an_ordinal_ending_is_no_unit() {
        // Made up.
        assert_eq!(
            value_and_unit("من 10 إلى 20 شخصا في 2015"),
            [(20.0, Some("شخصا".into()))]
        );
        assert_eq!(value_and_unit("for the 10th time, 12 as well"), []);
    }

    #[test]
    fn counts_with_units_digits_and_words() {
        assert_eq!(
            found("plus de 2.000 sujets sur 52 plates-formes pendant 48 heures"),
            vec![
                (
                    2000.0,
                    "count".into(),
                    Some("sujets".into()),
                    true,
                    "plus de 2.000 sujets".into()
                ),
                (
                    52.0,
                    "count".into(),
                    Some("plates".into()),
                    false,
                    "52 plates".into()
                ),
                (
                    48.0,
                    "count".into(),
                    Some("heures".into()),
                    false,
                    "48 heures".into()
                ),
            ]
        );
        let n = found(
            "Près de mille deux cents habitants et une cinquantaine de sauvetages, twenty-four hours",
        );
        assert_eq!(
            n.iter()
                .map(|x| (x.0, x.2.clone().unwrap(), x.3))
                .collect::<Vec<_>>(),
            [
                (1200.0, "habitants".into(), true),
                (50.0, "sauvetages".into(), true),
                (24.0, "hours".into(), false)
            ]
        );
    }

    #[test]
    fn dates_years_and_articles_are_not_counts() {
        assert!(found("On 13 November 2015, in 2024, one analyst said").is_empty());
    }

    #[test]
    fn digit_groups_and_decimals() {
        assert_eq!(parse_digits("6,000", None), Some(6000.0));
        assert_eq!(parse_digits("2.000", None), Some(2000.0));
        assert_eq!(parse_digits("2.5", None), Some(2.5));
        assert_eq!(parse_digits("1,234,567", None), Some(1_234_567.0));
        assert_eq!(parse_digits("1.234,5", None), Some(1234.5));
    }

    #[test]
    fn the_language_decides_a_lone_separator() {
        assert_eq!(parse_digits("3,000", Some("en")), Some(3000.0));
        assert_eq!(parse_digits("3.000", Some("en")), Some(3.0));
        assert_eq!(parse_digits("3.000", Some("de")), Some(3000.0));
        assert_eq!(parse_digits("3,000", Some("de")), Some(3.0));
        assert_eq!(parse_digits("3,5", Some("fr")), Some(3.5));
        assert_eq!(parse_digits("1.234.567", Some("en")), Some(1_234_567.0));
        let text = "3.000 Soldaten und 2,5 Prozent";
        let n = numbers_in(text, &Folded::new(text), Some("de"));
        assert_eq!((n[0].value, n[1].value), (3000.0, 2.5));
    }

    fn value_and_unit(text: &str) -> Vec<(f64, Option<String>)> {
        found(text).into_iter().map(|n| (n.0, n.2)).collect()
    }

    #[test]
    fn space_grouped_thousands() {
        assert_eq!(
            value_and_unit("sur 3 000 hectares"),
            [(3000.0, Some("hectares".into()))]
        );
        assert_eq!(
            value_and_unit("3\u{00A0}000 hectares, 12\u{202F}500 personnes"),
            [
                (3000.0, Some("hectares".into())),
                (12500.0, Some("personnes".into()))
            ]
        );
        // A year is not the head of a group.
        assert_eq!(
            value_and_unit("en 2019 300 personnes"),
            [(300.0, Some("personnes".into()))]
        );
    }

    #[test]
    fn arabic_and_persian_digits_and_separators() {
        assert_eq!(value_and_unit("٣٬٠٠٠ شخص"), [(3000.0, Some("شخص".into()))]);
        assert_eq!(value_and_unit("٢٫٥ مليون"), [(2.5, Some("مليون".into()))]);
        assert_eq!(value_and_unit("۱۲۰۰ نفر"), [(1200.0, Some("نفر".into()))]);
    }

    #[test]
    fn a_percent_sign_is_the_unit() {
        let n = found("80 % de leur production");
        assert_eq!(
            (n[0].0, n[0].2.as_deref(), n[0].4.as_str()),
            (80.0, Some("%"), "80 %")
        );
        let n = found("soit 12,5% des voix");
        assert_eq!((n[0].0, n[0].2.as_deref()), (12.5, Some("%")));
        // A real Arabic article's `٪` (two bytes) once cut the phrase
        // inside the sign and panicked.
        let n = found("ارتفعت النسبة إلى 40٪ من السكان");
        assert_eq!(
            (n[0].0, n[0].2.as_deref(), n[0].4.as_str()),
            (40.0, Some("%"), "40٪")
        );
        let n = found("ارتفعت النسبة إلى 40 ٪ من السكان");
        assert_eq!(n[0].4.as_str(), "40 ٪");
    }
}
