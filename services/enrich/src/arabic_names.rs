//! Arabic persons' names after the tagger: what the words before a tagged
//! name say about it, and the first name a later mention of a full name
//! left out. Arabic has no capitals, so the rules of cased scripts in
//! `entities` (a capitalized word before a name, a lower-case word after
//! it) see none of this; these read Arabic usage instead:
//!
//! - names in a list are joined by a conjunction written on the next
//!   word (`وغادة عادل وياسمين عبد العزيز`): that word is a first name;
//! - an office or trade stands before a name (`الفنان طلعت زكريا`): the
//!   word between it and the name the tagger found is the first name;
//! - the head noun of a team's, a newspaper's or a company's name stands
//!   before it (`فريق الغرافة`, `صحيفة بيلد`): the name is an organization;
//! - a hospital, a university, a street or a stadium is named after a
//!   person (`مستشفى الملك فهد`): that name is the place's, no person.

use newsflow_core::contracts::{Entity, EntityType};

use crate::fold::{ARABIC_JOINED, Folded};

/// Offices and trades written before a person's name, with the article.
const TITLES: &[&str] = &[
    "الرئيس",
    "الوزير",
    "الشيخ",
    "الأمير",
    "الامير",
    "الملك",
    "الملكة",
    "السيد",
    "السيدة",
    "الدكتور",
    "الدكتورة",
    "السفير",
    "الجنرال",
    "العقيد",
    "اللواء",
    "الفنان",
    "الفنانة",
    "الكاتب",
    "الكاتبة",
    "النجم",
    "اللاعب",
    "المدرب",
    "الحارس",
    "المدافع",
    "المهاجم",
    "المتسابق",
    "نظيره",
];

/// Head nouns of an organization's name in construct, without the
/// article (`فريق الغرافة`: the team Al-Gharafa; `الفريق` with the article
/// is also a general's rank).
const ORGANIZATION_HEADS: &[&str] = &[
    "فريق",
    "نادي",
    "منتخب",
    "صحيفة",
    "جريدة",
    "مجلة",
    "وكالة",
    "شركة",
    "حزب",
    "قناة",
];

/// Head nouns of a place's or a building's name, without the article.
const PLACE_HEADS: &[&str] = &[
    "مستشفى",
    "مستشفي",
    "جامعة",
    "مطار",
    "شارع",
    "ميدان",
    "ملعب",
    "استاد",
    "مسجد",
    "جامع",
    "مدرسة",
    "ميناء",
    "جسر",
    "قاعة",
];

/// What the words before a tagged person's name say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// Nothing.
    Nothing,
    /// The name starts earlier, at this byte: a first name the tagger left out.
    StartsAt(usize),
    /// The name is an organization's (`فريق الغرافة`).
    Organization,
    /// The name is part of a place's name (`مستشفى الملك فهد`): no person.
    PartOfAPlace,
}

/// The last word of `text` (after its last whitespace) and where it starts.
fn last_word(text: &str) -> (&str, usize) {
    let trimmed = text.trim_end();
    let start = trimmed.rfind(char::is_whitespace).map_or(0, |i| {
        i + trimmed[i..].chars().next().map_or(1, char::len_utf8)
    });
    (&trimmed[start..], start)
}

/// `word` without one joined conjunction or preposition (`بنادي` → `نادي`).
fn without_proclitic(word: &str) -> Option<&str> {
    word.strip_prefix(ARABIC_JOINED)
}

/// Whether `word` is one of `heads`, also with a joined conjunction or
/// preposition or with `his` after it (`وفريقه فيراري`, his team Ferrari).
fn is_head(word: &str, heads: &[&str]) -> bool {
    let his = |w: &str| w.strip_suffix('ه').is_some_and(|w| heads.contains(&w));
    heads.contains(&word)
        || his(word)
        || without_proclitic(word).is_some_and(|w| heads.contains(&w) || his(w))
}

/// Whether `word` is written in Arabic letters only, without the article
/// (a first name; `اللبناني`, the Lebanese, is an adjective).
fn is_bare_arabic_word(word: &str) -> bool {
    !word.is_empty() && word.chars().all(crate::fold::is_arabic) && !word.starts_with("ال")
}

/// Whether `word` is an Arabic function word (ISO stopword list: `قال`,
/// `هما`, `امس`): not a first name.
fn is_function_word(word: &str) -> bool {
    crate::keywords::stopwords("ar").contains(word)
}

/// Whether `word` is a title as written before a name: with the article
/// (`الوزير`; `وزير خارجيتنا` is "our foreign minister"), also with a
/// joined conjunction (`والأمير`).
pub(crate) fn is_title(word: &str) -> bool {
    TITLES.contains(&word) || without_proclitic(word).is_some_and(|w| TITLES.contains(&w))
}

/// Whether `word` is a title, with the article or without it.
fn is_any_title(word: &str) -> bool {
    is_title(word) || TITLES.iter().any(|t| t.strip_prefix("ال") == Some(word))
}

/// Whether `word` may be a first name: Arabic letters without the
/// article, neither a function word nor a title (`العقيد دكتور عاطي`:
/// `دكتور` is no first name).
fn may_be_first_name(word: &str) -> bool {
    is_bare_arabic_word(word) && !is_function_word(word) && !is_any_title(word)
}

/// What the words before the person's name that starts at byte `start` of
/// `text` say about it. `earliest`: where the name before it ends (a first
/// name found here does not reach into it); `previous_person_end`: where
/// the last person's name before it ends, if one was.
pub fn before_person(
    text: &str,
    start: usize,
    earliest: usize,
    previous_person_end: Option<usize>,
) -> Before {
    let before = &text[..start];
    // A quotation mark may stand between a head noun and the name
    // (`صحيفة " بيلد "`).
    let unquoted = before.trim_end().trim_end_matches(['"', '«', '“', '\'']);
    let (word, word_start) = last_word(unquoted);
    if word_start < earliest || word.is_empty() {
        return Before::Nothing;
    }
    if is_head(word, ORGANIZATION_HEADS) {
        return Before::Organization;
    }
    let (word_2, word_2_start) = last_word(&before[..word_start]);
    if is_head(word, PLACE_HEADS) || (is_title(word) && is_head(word_2, PLACE_HEADS)) {
        return Before::PartOfAPlace;
    }
    // `وياسمين عبد العزيز` right after another person's name (a comma
    // between or not): the conjunction joins two persons, the word is a
    // first name. A verb (`وقال`) or a pronoun (`وهما`) opens a clause
    // instead; a noun with `his` (`ومواطنه`, and his compatriot) is no name.
    if let Some(first_name) = word.strip_prefix('و')
        && first_name.chars().count() >= 3
        && may_be_first_name(first_name)
        && !first_name.ends_with('ه')
    {
        let listed_after = before[..word_start].trim_end();
        let listed_after = listed_after
            .strip_suffix([',', '،'])
            .unwrap_or(listed_after)
            .trim_end();
        if previous_person_end == Some(listed_after.len()) {
            return Before::StartsAt(word_start + 'و'.len_utf8());
        }
    }
    // `الفنان طلعت زكريا`: the word between a title and the name.
    if word_2_start >= earliest
        && is_title(word_2)
        && may_be_first_name(word)
        && !word.starts_with('و')
    {
        return Before::StartsAt(word_start);
    }
    Before::Nothing
}

/// A person's surname alone after the word that stands before it in the
/// person's full name (`طلعت زكريا`, where the tagger found `زكريا` only)
/// is a mention of the full name: the mention takes the word in and
/// belongs to that person. Only Arabic names are looked at.
pub fn join_first_names(text: &str, folded: &Folded, entities: &mut Vec<Entity>) {
    // The last two words of each person's name of two words or more
    // whose word before the last may be a first name (`هما تيسير`, they
    // are Taysir, was tagged a person too) and that holds no function
    // word but `بن` (`يوسف يروي لي ملخص القصة`).
    let full: Vec<(usize, String)> = entities
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.kind == EntityType::Person
                && e.name.split(' ').all(|w| w == "بن" || !is_function_word(w))
        })
        .filter_map(|(i, e)| {
            let mut words = e.name.rsplit(' ');
            let last = words.next()?;
            let before = words.next().filter(|w| may_be_first_name(w))?;
            Some((i, format!("{before} {last}")))
        })
        .collect();
    if full.is_empty() {
        return;
    }
    let taken: Vec<(usize, usize)> = entities
        .iter()
        .flat_map(|e| e.mentions.iter().map(|m| (m.start, m.end)))
        .collect();
    // (entity, mention, entity it moves to, the longer mention)
    let mut moves = Vec::new();
    for (i, entity) in entities.iter().enumerate() {
        if entity.kind != EntityType::Person {
            continue;
        }
        for (k, m) in entity.mentions.iter().enumerate() {
            if m.text.contains(' ') || !m.text.chars().all(crate::fold::is_arabic) {
                continue;
            }
            let (start, _) = folded.byte_span(m.start, m.end);
            let (word, word_start) = last_word(&text[..start]);
            if word.is_empty() || !text[word_start + word.len()..start].trim().is_empty() {
                continue;
            }
            let pair = format!("{word} {}", m.text);
            let Some(&(j, _)) = full.iter().find(|(_, p)| *p == pair) else {
                continue;
            };
            let new_start = folded.original_char_index(word_start);
            if taken.iter().any(|&(s, e)| s < m.start && new_start < e) {
                continue;
            }
            let longer = crate::entities::mention(text, folded, new_start, m.end);
            moves.push((i, k, j, longer));
        }
    }
    // Mentions leave their entity from the last, so that the others'
    // positions hold.
    for &(i, k, _, _) in moves.iter().rev() {
        entities[i].mentions.remove(k);
    }
    for (_, _, j, longer) in moves {
        entities[j].mentions.push(longer);
        entities[j].mentions.sort_by_key(|m| m.start);
    }
    entities.retain(|e| !e.mentions.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `before_person` for the name that starts with `name` in `text`,
    /// with no name before it, or a person's name ending where `person`
    /// ends.
    fn before(text: &str, name: &str, person: Option<&str>) -> Before {
        let start = text.find(name).expect("name in text");
        let person_end = person.map(|p| text.find(p).expect("person in text") + p.len());
        before_person(text, start, person_end.unwrap_or(0), person_end)
    }

    #[test]
    fn a_conjunction_after_a_person_joins_a_first_name() {
        let text = "بطولة أحمد رزق ، وغادة عادل وياسمين عبد العزيز";
        let at = |name: &str| text.find(name).expect("in text");
        assert_eq!(
            before(text, "عادل", Some("رزق")),
            Before::StartsAt(at("غادة"))
        );
        assert_eq!(
            before(text, "عبد العزيز", Some("عادل")),
            Before::StartsAt(at("ياسمين"))
        );
        // A verb opens the sentence: no name.
        assert_eq!(before("وقال سعد الحريري", "سعد", None), Before::Nothing);
        // After a word that is no person's name, the conjunction may open a
        // clause (`وشدد هورست`).
        assert_eq!(
            before("النهائي وشدد هورست كوبل", "هورست", None),
            Before::Nothing
        );
        // After a person too, a verb or a pronoun in the ISO stopword list
        // (`وقال`, `وهما`) or a noun with `his` (`ومواطنه`) is no name.
        for (text, name) in [
            ("فايز المالكي، وقال الحمود", "الحمود"),
            ("فايز المالكي، وهما تيسير", "تيسير"),
            ("دانيال سوردو ومواطنه كزافييه بونز", "كزافييه"),
        ] {
            let person = text.split(['،', ' ']).nth(1).expect("a surname");
            assert_eq!(before(text, name, Some(person)), Before::Nothing, "{text}");
        }
    }

    #[test]
    fn the_word_between_a_title_and_a_name_is_a_first_name() {
        let text = "حقق الفنان طلعت زكريا حلمه";
        assert_eq!(
            before(text, "زكريا", None),
            Before::StartsAt(text.find("طلعت").expect("in text"))
        );
        // An adjective (`الرئيس اللبناني`) or a function word is none.
        assert_eq!(
            before("قال الرئيس اللبناني لحود", "لحود", None),
            Before::Nothing
        );
        assert_eq!(before("قال الرئيس امس لحود", "لحود", None), Before::Nothing);
        // Nor a word after a title without the article (`وزير خارجيتنا
        // عادل الجبير`, our foreign minister), nor a second title
        // (`العقيد دكتور عاطي`).
        assert_eq!(
            before("قال وزير خارجيتنا عادل الجبير", "عادل", None),
            Before::Nothing
        );
        assert_eq!(
            before("العقيد دكتور عاطي القرشي", "عاطي", None),
            Before::Nothing
        );
        // Nor a word already inside the name before.
        let text = "السيد محمد علي";
        let start = text.find("علي").expect("in text");
        let earlier_name_end = text.find(" علي").expect("in text");
        assert_eq!(
            before_person(text, start, earlier_name_end, None),
            Before::Nothing
        );
    }

    #[test]
    fn a_head_noun_makes_an_organization_or_a_place() {
        assert_eq!(
            before("كما فاز فريق الغرافة", "الغرافة", None),
            Before::Organization
        );
        assert_eq!(
            before("قالت صحيفة \" بيلد \" الألمانية", "بيلد", None),
            Before::Organization
        );
        assert_eq!(
            before("شوماخر وفريقه فيراري", "فيراري", Some("شوماخر")),
            Before::Organization
        );
        assert_eq!(
            before("نقل إلى مستشفى الملك فهد", "فهد", None),
            Before::PartOfAPlace
        );
        assert_eq!(
            before("على ملعب ثاني بن جاسم", "ثاني", None),
            Before::PartOfAPlace
        );
        // With the article, `الفريق` is a general's rank.
        assert_eq!(
            before("بدأ الفريق عبدالرحيم محمد حسين", "عبدالرحيم", None),
            Before::Nothing
        );
    }

    fn person(name: &str, mentions: &[(&str, usize)], text: &str) -> Entity {
        let folded = Folded::new(text);
        Entity {
            id: None,
            name: name.to_string(),
            kind: EntityType::Person,
            candidate: true,
            part_of: None,
            mentions: mentions
                .iter()
                .map(|&(m, nth)| {
                    let byte = text.match_indices(m).nth(nth).expect("in text").0;
                    let start = folded.original_char_index(byte);
                    crate::entities::mention(text, &folded, start, start + m.chars().count())
                })
                .collect(),
        }
    }

    #[test]
    fn a_surname_after_its_first_name_is_the_full_name() {
        let text = "حقق الفنان طلعت زكريا حلمه . وكان طلعت زكريا يتقمص . وقال زكريا إن";
        let folded = Folded::new(text);
        let mut entities = vec![
            person("طلعت زكريا", &[("طلعت زكريا", 0)], text),
            person("زكريا", &[("زكريا", 1), ("زكريا", 2)], text),
        ];
        join_first_names(text, &folded, &mut entities);
        assert_eq!(entities.len(), 2);
        let full: Vec<&str> = entities[0]
            .mentions
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(full, ["طلعت زكريا", "طلعت زكريا"]);
        // The surname alone after another word stays where it was.
        let alone: Vec<&str> = entities[1]
            .mentions
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(alone, ["زكريا"]);
        // A tagged "name" holding a verb (`قال الحمود`, said Al-Hamoud)
        // takes no mention in.
        let text = "وقال الحمود إن . قال الحمود";
        let folded = Folded::new(text);
        let mut entities = vec![
            person("قال الحمود", &[("قال الحمود", 0)], text),
            person("الحمود", &[("الحمود", 1)], text),
        ];
        join_first_names(text, &folded, &mut entities);
        assert_eq!(entities[1].mentions[0].text, "الحمود");
    }

    /// The rules as `entities::add_tagged_names` applies them to the
    /// tagger's persons.
    #[test]
    fn tagged_persons_read_with_the_words_before_them() {
        use crate::entities::{EntityIndex, add_tagged_names};
        use crate::ner::Name;
        let text = "نقل إلى مستشفى الملك فهد . فاز فريق الغرافة . بطولة أحمد رزق ، وغادة عادل";
        let person = |name: &str| {
            let start = text.find(name).expect("in text");
            Name {
                kind: EntityType::Person,
                start,
                end: start + name.len(),
            }
        };
        let names = [
            person("فهد"),
            person("الغرافة"),
            person("أحمد رزق"),
            person("عادل"),
        ];
        let mut entities = Vec::new();
        let index = EntityIndex::new(Vec::<Vec<crate::entities::EntityDef>>::new());
        add_tagged_names(
            text,
            &Folded::new(text),
            &names,
            "ar",
            &index,
            &mut entities,
        );
        let found: Vec<(&str, EntityType)> = entities
            .iter()
            .map(|e| (e.mentions[0].text.as_str(), e.kind))
            .collect();
        assert_eq!(
            found,
            [
                ("الغرافة", EntityType::Organization),
                ("أحمد رزق", EntityType::Person),
                ("غادة عادل", EntityType::Person),
            ]
        );
    }
}
