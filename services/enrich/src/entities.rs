//! Named entities: known ones from a list with aliases across languages and
//! scripts, unknown ones as candidates.
//!
//! The list is a tab-separated file, one entity a line:
//!
//! ```text
//! # id        type          name            aliases (| between them)                 part of
//! Q2429253    organization  Islamic State   en:ISIS|en:Islamic State|=IS|ar:داعش      
//! nf:isis-k   organization  ISIS-K          en:ISIS-K|en:ISKP                          Q2429253
//! ```
//!
//! An alias may start with a language tag (`fr:`), for the reader only. `=`
//! before an alias makes it match only as written; all-capital aliases of
//! three letters or fewer (`IS`, `EI`, `UN`) are exact anyway. The project's
//! list is `data/entities.tsv`; a user's watch-list has the same format and
//! wins over the project's list for an id both define.
//!
//! `data/entities.generated.tsv` (cities, from GeoNames and CLDR through
//! `tools/gen_entities.py`) is a list to link to only: a name the tagger
//! found gets one of its ids when the tagger gave it the entity's type, but
//! its names are not looked for in the text on their own, as a city's name
//! is often a person's or a football club's (`Jackson`, `Newcastle`).

use std::collections::HashMap;
use std::sync::LazyLock;

use newsflow_core::contracts::{Entity, EntityType, Mention};
use regex::Regex;
use rustc_hash::FxHashMap;

use crate::fold::Folded;
use crate::gazetteer::{Case, Gazetteer, GazetteerBuilder};

/// The project's entity list.
pub const BUILTIN: &str = include_str!("../data/entities.tsv");

/// The generated list of entities to link to (see the module doc).
pub const GENERATED: &str = include_str!("../data/entities.generated.tsv");

/// The generated list, parsed.
pub fn generated() -> Vec<EntityDef> {
    parse_list(GENERATED).expect("the generated entity list parses")
}

/// A problem in an entity list.
#[derive(Debug, thiserror::Error)]
pub enum EntityListError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
}

/// One entity of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityDef {
    pub id: String,
    pub kind: EntityType,
    pub name: String,
    pub aliases: Vec<String>,
    pub part_of: Option<String>,
}

/// Reads an entity list.
///
/// # Errors
/// On a line with fewer than four fields or an unknown type.
pub fn parse_list(text: &str) -> Result<Vec<EntityDef>, EntityListError> {
    let mut defs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let error = |reason: &str| EntityListError::Line {
            line: n + 1,
            reason: reason.to_string(),
        };
        if fields.len() < 4 {
            return Err(error(
                "expected id, type, name, aliases[, part of] separated by tabs",
            ));
        }
        let kind = match fields[1] {
            "person" | "per" => EntityType::Person,
            "organization" | "org" => EntityType::Organization,
            "location" | "loc" => EntityType::Location,
            other => return Err(error(&format!("unknown type {other:?}"))),
        };
        let aliases = std::iter::once(fields[2])
            .chain(fields[3].split('|'))
            .map(strip_language_tag)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        defs.push(EntityDef {
            id: fields[0].to_string(),
            kind,
            name: fields[2].to_string(),
            aliases,
            part_of: fields
                .get(4)
                .filter(|p| !p.is_empty())
                .map(|p| p.to_string()),
        });
    }
    Ok(defs)
}

fn strip_language_tag(alias: &str) -> &str {
    let alias = alias.trim();
    match alias.split_once(':') {
        Some((tag, rest)) if tag.len() == 2 && tag.bytes().all(|b| b.is_ascii_lowercase()) => {
            rest.trim()
        }
        _ => alias,
    }
}

/// Compiled entity lists.
#[derive(Debug)]
pub struct EntityIndex {
    /// The listed entities, then the ones only linked to (from `linked_from` on).
    defs: Vec<EntityDef>,
    linked_from: usize,
    gazetteer: Gazetteer<u32>,
    /// Entity of each alias by its [`link_key`], to link the tagger's names
    /// written in another inflection or with clitics (`Эрдоганом`, `لداعش`).
    by_key: FxHashMap<String, u32>,
}

impl EntityIndex {
    /// Compiles `lists`; a later list's entity replaces an earlier one with the same id.
    pub fn new(lists: impl IntoIterator<Item = Vec<EntityDef>>) -> Self {
        Self::with_links(lists, Vec::new())
    }

    /// Compiles `lists` as [`EntityIndex::new`] does, and `linked`, the
    /// entities only linked to: a tagged name of the same type that
    /// matches one of their names gets their id, but their names are not
    /// looked for in the text. A listed entity wins over a linked one with
    /// the same id or name, and a person's one-word name is no link (a
    /// surname alone is someone else's as often as theirs: the article's
    /// full name is grouped with it instead). The linked entities' aliases
    /// are dropped once indexed, to keep the index small.
    pub fn with_links(
        lists: impl IntoIterator<Item = Vec<EntityDef>>,
        linked: Vec<EntityDef>,
    ) -> Self {
        let mut defs: Vec<EntityDef> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for def in lists.into_iter().flatten() {
            match by_id.get(&def.id) {
                Some(&i) => defs[i] = def,
                None => {
                    by_id.insert(def.id.clone(), defs.len());
                    defs.push(def);
                }
            }
        }
        let mut builder = GazetteerBuilder::default();
        let mut by_key = FxHashMap::default();
        for (i, def) in defs.iter().enumerate() {
            for alias in &def.aliases {
                let (alias, case) = match alias.strip_prefix('=') {
                    Some(exact) => (exact, Case::Exact),
                    None if is_short_capitals(alias) => (alias.as_str(), Case::Exact),
                    None => (alias.as_str(), Case::Fold),
                };
                builder.add(alias, i as u32, case);
                if case == Case::Fold {
                    by_key.entry(link_key(alias)).or_insert(i as u32);
                }
            }
        }
        let linked_from = defs.len();
        for mut def in linked {
            if by_id.contains_key(&def.id) {
                continue;
            }
            let i = defs.len() as u32;
            for alias in std::mem::take(&mut def.aliases) {
                let one_word = !alias.trim().contains(char::is_whitespace);
                if alias.starts_with('=')
                    || is_short_capitals(&alias)
                    || (def.kind == EntityType::Person && one_word)
                {
                    continue;
                }
                by_key.entry(unlisted_key(&alias)).or_insert(i);
            }
            by_id.insert(def.id.clone(), defs.len());
            defs.push(def);
        }
        by_key.shrink_to_fit();
        Self {
            defs,
            linked_from,
            gazetteer: builder.build(),
            by_key,
        }
    }

    /// The project's lists: the hand-written one, and the generated one
    /// to link to.
    pub fn builtin() -> Self {
        Self::with_links(
            [parse_list(BUILTIN).expect("the project's entity list parses")],
            generated(),
        )
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether the index has no entities.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// The entity with this id.
    pub fn get(&self, id: &str) -> Option<&EntityDef> {
        self.defs.iter().find(|d| d.id == id)
    }

    /// The listed entity a name refers to, in whatever inflection or with
    /// whatever clitics it is written (see [`link_key`]).
    pub fn link(&self, name: &str) -> Option<&EntityDef> {
        self.link_by_key(&link_key(name))
    }

    /// [`EntityIndex::link`] of a name by its [`link_key`], for a caller
    /// that needs the key too.
    fn link_by_key(&self, key: &str) -> Option<&EntityDef> {
        let i = *self.by_key.get(key)? as usize;
        (i < self.linked_from).then(|| &self.defs[i])
    }

    /// The entity only linked to (see [`EntityIndex::with_links`]) that a
    /// name of type `kind` refers to: it must be of that type (`Newcastle`
    /// the club is not the city).
    pub fn link_unlisted(&self, name: &str, kind: EntityType) -> Option<&EntityDef> {
        let i = *self.by_key.get(&unlisted_key(name))? as usize;
        let def = &self.defs[i];
        (i >= self.linked_from && def.kind == kind).then_some(def)
    }
}

/// Case endings of Russian and Ukrainian nouns and adjectives, longest first.
const SLAVIC_ENDINGS: &[&str] = &[
    "ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "ой", "ей", "ом", "ем", "ым", "им",
    "ах", "ях", "ую", "юю", "ая", "яя", "ое", "ее", "ые", "ие", "ых", "их", "ов", "ев", "а", "я",
    "у", "ю", "е", "ы", "и", "о", "і", "ї",
];

/// The form of a name that its inflections share: folded (case, diacritics,
/// Arabic letter variants), each Arabic word without its clitics (`لداعش` →
/// `داعش`), each Cyrillic word without its case ending (`Эрдоганом` →
/// `эрдоган`).
pub fn link_key(name: &str) -> String {
    key_with(name, crate::ner::tagger::strip_arabic_clitics)
}

/// The key of a name for the entities only linked to: as [`link_key`], but
/// an Arabic word loses a conjunction or preposition only with the article
/// after it (`بالرباط`, `الرباط` → `رباط`; `فزان` stays, not `زان`): the
/// foreign places of a generated list often start with those letters.
fn unlisted_key(name: &str) -> String {
    key_with(name, |word| {
        let stem = crate::ner::tagger::strip_arabic_clitics(word);
        let after_article = word
            .strip_suffix(stem)
            .is_some_and(|clitics| clitics.ends_with("ال") || clitics.ends_with("لل"));
        if after_article { stem } else { word }
    })
}

/// A name folded, each Arabic word through `arabic`, each Cyrillic word
/// without its case ending.
fn key_with(name: &str, arabic: impl Fn(&str) -> &str) -> String {
    let folded = crate::fold::fold_str(name);
    let mut key = String::with_capacity(folded.len());
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if !key.is_empty() {
            key.push(' ');
        }
        let stem = if word.chars().any(crate::fold::is_arabic) {
            arabic(word)
        } else if word.chars().any(crate::fold::is_cyrillic) {
            SLAVIC_ENDINGS
                .iter()
                .find_map(|e| {
                    word.strip_suffix(e)
                        .filter(|rest| rest.chars().count() >= 3)
                })
                .unwrap_or(word)
        } else {
            word
        };
        key.push_str(stem);
    }
    key
}

/// Sentence openers the tagger may take into a name after them (not
/// articles: `Los Angeles`, `Le Monde`, `The Guardian`).
const NAME_OPENERS: &[&str] = &[
    "According",
    "As",
    "But",
    "And",
    "In",
    "At",
    "For",
    "With",
    "Selon",
    "Quand",
    "Lorsque",
    "Pour",
    "Avec",
    "Mais",
    "Et",
    "Pendant",
    "Dans",
    "Laut",
    "Según",
    "Para",
    "Con",
];

/// Titles the tagger may take into a person's name.
const PERSON_TITLES: &[&str] = &["Mr", "Mrs", "Ms", "Dr", "Prof", "Sir", "Dame"];

/// Titles of one language only: elsewhere they are an initial (`M. Waugh`)
/// or a first name (`Don King`).
const PERSON_TITLES_BY_LANGUAGE: &[(&str, &[&str])] = &[
    // Members of parliaments and assemblies (`Alliance Party MLA Kate
    // Nicholl`, `SDLP MP Clare Hanna`), and offices written before the name
    // as a title (`Mayor Klitschko`), not those that also open other names
    // (`General Motors`, `President Hotel`).
    (
        "en",
        &[
            "MP", "MLA", "MSP", "MEP", "Mayor", "Governor", "Senator", "Sen",
        ],
    ),
    ("fr", &["M", "Mme", "Mlle"]),
    ("de", &["Herr", "Frau"]),
    ("es", &["Sr", "Sra", "Dña", "Don"]),
    ("it", &["Don"]),
    ("ru", &["г-н", "г-жа"]),
];

/// Whether `word` (without its final period) is a person's title in `lang`.
fn is_person_title(word: &str, lang: &str) -> bool {
    let word = word.trim_end_matches('.');
    PERSON_TITLES.contains(&word)
        || PERSON_TITLES_BY_LANGUAGE
            .iter()
            .any(|(l, titles)| *l == lang && titles.contains(&word))
}

/// Where the name after a title inside `name` starts (the byte after the
/// title and its space), when a title stands between two of its words.
fn title_inside(name: &str, lang: &str) -> Option<usize> {
    let mut offset = 0;
    let words: Vec<&str> = name.split(' ').collect();
    for (i, word) in words.iter().enumerate() {
        let after = offset + word.len() + 1;
        if i > 0 && i + 1 < words.len() && is_person_title(word, lang) {
            return Some(after);
        }
        offset = after;
    }
    None
}

/// The name of a candidate as written, without an Arabic conjunction glued
/// to its article (`والولايات المتحدة` → `الولايات المتحدة`): a conjunction
/// before another first letter may be the name's own (`وليد`, `فلسطين`).
fn candidate_name(written: &str) -> String {
    ["وال", "فال"]
        .iter()
        .find_map(|p| written.strip_prefix(p).map(|rest| format!("ال{rest}")))
        .unwrap_or_else(|| written.to_string())
}

/// Every entity of `text`: the listed ones, and the names the tagger for
/// `lang` finds (linked to a listed entity where one matches, the others
/// as candidates with grouped mentions). Languages without a tagger get
/// the listed entities and the names after titles and speech verbs.
pub fn find_entities(
    text: &str,
    folded: &Folded,
    sentences: &[std::ops::Range<usize>],
    lang: Option<&str>,
    index: &EntityIndex,
) -> Vec<Entity> {
    let mut entities = known_entities(text, folded, index);
    match lang.and_then(|lang| Some((lang, crate::ner::model_for(lang)?))) {
        Some((lang, model)) => {
            let (mut names, tokens) = crate::ner::names_and_tokens(text, sentences, model);
            if lang == "de" {
                crate::german_names::add_speakers(text, &tokens, &mut names);
            }
            add_tagged_names(text, folded, &names, lang, index, &mut entities);
            if lang == "ar" {
                crate::arabic_names::join_first_names(text, folded, &mut entities);
            }
            add_line_up_names(text, folded, &mut entities, &crate::countries::COUNTRIES);
            give_surnames_to_the_article_s_own_persons(&mut entities);
            give_first_names_to_their_full_names(&mut entities);
            correct_places(&mut entities, &crate::countries::COUNTRIES);
            link_candidates(&mut entities, index);
        }
        None => {
            let candidates = candidate_entities(text, folded, &entities);
            entities.extend(candidates);
        }
    }
    entities
}

/// Adds the tagger's names to `entities` (which hold the listed ones):
/// a name overlapping a listed mention is that mention; a name that links
/// to a listed entity is a mention of it; the others are candidates, one
/// per name, a person's later surname alone (`Retailleau` after `Bruno
/// Retailleau`) a mention of the full name.
pub fn add_tagged_names(
    text: &str,
    folded: &Folded,
    names: &[crate::ner::Name],
    lang: &str,
    index: &EntityIndex,
    entities: &mut Vec<Entity>,
) {
    let mut taken: Vec<(usize, usize)> = entities
        .iter()
        .flat_map(|e| e.mentions.iter().map(|m| (m.start, m.end)))
        .collect();
    // Byte to character offsets, in one pass: names come in text order.
    let (mut byte, mut chars) = (0, 0);
    let mut char_at = |to: usize| {
        chars += text[byte..to].chars().count();
        byte = to;
        chars
    };
    // Each candidate: its entity, its link key, and the kinds the tagger
    // gave its mentions (a name tagged a person once and an organization
    // three times is an organization).
    let mut candidates: Vec<(usize, String, KindVotes)> = Vec::new();
    let mut mention_keys = LinkKeys::default();
    let mut previous: Option<&crate::ner::Name> = None;
    // Where the last name taken ends: a name the one before took in (see
    // the particles below) is skipped.
    let mut taken_to = 0;
    for name in names {
        if name.start < taken_to {
            continue;
        }
        let before = previous.replace(name);
        // A title is not part of a person's name (`Mr Waters`, `Dr. Bogoch`),
        // and what follows one is a person whatever the tagger said.
        let mut name_start = name.start;
        let mut kind = name.kind;
        let word_before = text[..name.start]
            .trim_end()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("");
        let mut titled = is_person_title(word_before, lang);
        if titled {
            kind = EntityType::Person;
        }
        // A person's name ends before an apposition (`Chandramohan, un
        // habitant du district`), which some training corpora (HIPE) take in.
        let mut name_end = name.end;
        if kind == EntityType::Person
            && let Some(comma) = text[name_start..name.end].find([',', '،'])
        {
            name_end = name_start + comma;
        }
        // A person's or place's name does not end in a lower-case word: the
        // tagger ran on into the verb (`Dadzie donne l'exemple`, tagged one
        // place). Particles inside stay (`Jean de La Fontaine`). Russian and
        // its neighbours capitalize a name's first word only (`Красная
        // площадь`).
        let cyrillic = text[name_start..name_end]
            .chars()
            .next()
            .is_some_and(crate::fold::is_cyrillic);
        if matches!(kind, EntityType::Person | EntityType::Location) && !cyrillic {
            while let Some((head, last)) = text[name_start..name_end].rsplit_once(' ')
                && last
                    .chars()
                    .next()
                    .is_some_and(newsflow_core::chars::is_lowercase)
            {
                name_end = name_start + head.trim_end().len();
            }
        }
        // A capitalized word before an office (`le Premier ministre a
        // démissionné`) is a title's, not a name.
        if kind == EntityType::Person
            && !text[name_start..name_end].contains(' ')
            && text[name_end..]
                .split_whitespace()
                .next()
                .is_some_and(|next| OFFICE_NOUNS.contains(&next))
        {
            continue;
        }
        // Nor does a person's name start with a lower-case word but a short
        // particle (`président Donald Trump`, `monde - Suki Hoagland`; `van
        // Gogh`, `de Gaulle` keep theirs).
        if kind == EntityType::Person && !cyrillic {
            while let Some((first, rest)) = text[name_start..name_end].split_once(' ')
                && (first.chars().count() > 3
                    && first
                        .chars()
                        .next()
                        .is_some_and(newsflow_core::chars::is_lowercase)
                    || !first.chars().any(newsflow_core::chars::is_alphanumeric))
            {
                name_start = name_end - rest.trim_start().len();
            }
        }
        // Nor does it hold a title written in words (`Premier ministre
        // Narendra Modi`, `Prime minister Imran Khan`): it starts after the
        // last lower-case word but a particle.
        if kind == EntityType::Person && !cyrillic {
            let written = &text[name_start..name_end];
            let mut words = written.split(' ').scan(0, |at, word| {
                let start = *at;
                *at += word.len() + 1;
                Some((start, word))
            });
            let title_end = words
                .by_ref()
                .filter(|(_, word)| is_lower_case_word_of_a_title(word))
                .last()
                .map(|(start, word)| start + word.len() + 1);
            if let Some(end) = title_end
                && end < written.len()
            {
                name_start += end;
            }
        }
        // A capitalized sentence opener is not part of a name (`Selon M. X`).
        if let Some((first, rest)) = text[name_start..name_end].split_once(' ')
            && NAME_OPENERS.contains(&first)
        {
            name_start = name_end - rest.len();
        }
        while let Some((first, rest)) = text[name_start..name_end].split_once(' ')
            && is_person_title(first, lang)
        {
            name_start = name_end - rest.len();
            kind = EntityType::Person;
            titled = true;
        }
        // A title inside the name ends an organization's name and starts a
        // person's (`Alliance Party MLA Kate Nicholl`).
        if let Some(at) = title_inside(&text[name_start..name_end], lang) {
            name_start += at;
            kind = EntityType::Person;
            titled = true;
        }
        // A foreign particle and the word after it go on with a German
        // article's person (`Jean-François-Marie de Surville`): the tagger
        // stops at the small word; a name of its there is this one's.
        if lang == "de" && kind == EntityType::Person && name_end == name.end {
            name_end += crate::german_names::particle_continuation(&text[name_end..]);
        }
        if lang == "de" && kind == EntityType::Person {
            name_end =
                name_start + crate::german_names::person_name_len(&text[name_start..name_end]);
            let written = &text[name_start..name_end];
            if crate::german_names::is_lone_initial(written)
                || crate::german_names::is_an_amount(&text[..name_start], written)
                || crate::german_names::starts_with_article(written)
                || !titled && crate::german_names::names_an_organization(written)
            {
                continue;
            }
        }
        if is_person_title(&text[name_start..name_end], lang) {
            continue;
        }
        // Arabic has no capitals: the words before a person's name say
        // more (a first name, an organization's or a place's head noun).
        if lang == "ar" && kind == EntityType::Person {
            use crate::arabic_names::{Before, before_person};
            let earliest = before.map_or(0, |n| n.end);
            let person_end = before
                .filter(|n| n.kind == EntityType::Person)
                .map(|n| n.end);
            match before_person(text, name_start, earliest, person_end) {
                Before::Nothing => {}
                Before::StartsAt(at) => name_start = at,
                // Weighed as a title is for a person.
                Before::Organization => {
                    kind = EntityType::Organization;
                    titled = true;
                }
                Before::PartOfAPlace => continue,
            }
        }
        taken_to = name_end;
        let start = char_at(name_start);
        let end = char_at(name_end);
        // A listed mention inside a longer tagged person's name (`Scholz` in
        // `Jaqueline Scholz`, when the list knows Olaf Scholz) is that
        // person's, unless the whole name is the listed entity's.
        let inside: Vec<(usize, usize)> = taken
            .iter()
            .copied()
            .filter(|&(s, e)| start <= s && e <= end && (s, e) != (start, end))
            .collect();
        if kind == EntityType::Person
            && !inside.is_empty()
            && index.link(&text[name_start..name_end]).is_none()
            && inside.len() == taken.iter().filter(|&&(s, e)| s < end && start < e).count()
        {
            for entity in entities.iter_mut() {
                entity
                    .mentions
                    .retain(|m| !inside.contains(&(m.start, m.end)));
            }
            taken.retain(|t| !inside.contains(t));
        }
        if taken.iter().any(|&(s, e)| s < end && start < e) {
            continue;
        }
        let written = &text[name_start..name_end];
        if !written.chars().any(newsflow_core::chars::is_alphabetic) {
            continue;
        }
        // In a script with capitals a name has a capitalized word: a
        // lower-case word alone is the tagger's slip (`le président a géré`).
        if written
            .chars()
            .next()
            .is_some_and(newsflow_core::chars::is_lowercase)
            && !written.split(' ').any(|w| {
                w.chars()
                    .next()
                    .is_some_and(newsflow_core::chars::is_uppercase)
            })
        {
            continue;
        }
        // A capitalized pronoun or article alone (`Cela l'a surpris`) is no
        // name. (Stopword lists hold names too: `Россия`, `UK`, `Shell`.)
        if !titled && NOT_NAMES.contains(&written) {
            continue;
        }
        if kind == EntityType::Person
            && !written.contains(char::is_whitespace)
            && after_a_number(&text[..name_start])
        {
            continue;
        }
        let mention = mention(text, folded, start, end);
        let key = link_key(written);
        if let Some(def) = index.link_by_key(&key) {
            match entities
                .iter_mut()
                .find(|e| e.id.as_deref() == Some(&def.id))
            {
                Some(entity) => entity.mentions.push(mention),
                None => entities.push(Entity {
                    id: Some(def.id.clone()),
                    name: def.name.clone(),
                    kind: def.kind,
                    candidate: false,
                    part_of: def.part_of.clone(),
                    mentions: vec![mention],
                }),
            }
            continue;
        }
        if let Some(i) = listed_person_named_in_full(entities, &key, &mut mention_keys) {
            entities[i].mentions.push(mention);
            continue;
        }
        // The same name, or a person's surname alone (whatever kind the
        // tagger gave it there).
        let same = candidates.iter_mut().find(|(i, k, _)| {
            *k == key || (entities[*i].kind == EntityType::Person && is_surname_of(&key, k))
        });
        // A title makes a person more surely than the tagger does.
        let weight = if titled { 2 } else { 1 };
        match same {
            Some((i, _, votes)) => {
                entities[*i].mentions.push(mention);
                votes.add(kind, weight);
                entities[*i].kind = votes.winner();
            }
            None => {
                let mut votes = KindVotes::default();
                votes.add(kind, weight);
                candidates.push((entities.len(), key, votes));
                entities.push(Entity {
                    id: None,
                    name: candidate_name(written),
                    kind,
                    candidate: true,
                    part_of: None,
                    mentions: vec![mention],
                });
            }
        }
    }
    entities.retain(|e| !e.mentions.is_empty());
    add_repeated_surnames(text, folded, lang, entities);
}

/// Gives each candidate that an entity only linked to names, with the
/// candidate's final type, that entity's id (see
/// [`EntityIndex::with_links`]). Done last, once the tagger's mentions are
/// grouped and typed, so that linking changes no span, grouping or type;
/// two candidates of one entity (`Moskau`, `Moskva`) become one.
fn link_candidates(entities: &mut Vec<Entity>, index: &EntityIndex) {
    for i in 0..entities.len() {
        if !entities[i].candidate {
            continue;
        }
        let Some(def) = index.link_unlisted(&entities[i].name, entities[i].kind) else {
            continue;
        };
        match entities[..i]
            .iter()
            .position(|e| e.id.as_deref() == Some(&def.id))
        {
            Some(first) => {
                let mentions = std::mem::take(&mut entities[i].mentions);
                entities[first].mentions.extend(mentions);
                entities[first].mentions.sort_by_key(|m| m.start);
            }
            None => {
                let entity = &mut entities[i];
                entity.id = Some(def.id.clone());
                entity.name = def.name.clone();
                entity.candidate = false;
                entity.part_of = def.part_of.clone();
            }
        }
    }
    entities.retain(|e| !e.mentions.is_empty());
}

/// Words before a father's name, which ends many Arabic names (`محمد بن
/// سلمان`): that last word is no surname.
const PATRONYMIC_PARTICLES: &[&str] = &["بن", "ابن", "bin", "ben", "ibn"];

/// The link keys of an article's mentions, each computed once: the listed
/// persons' mentions are looked at again for every tagged name.
#[derive(Debug, Default)]
struct LinkKeys(FxHashMap<String, String>);

impl LinkKeys {
    /// The [`link_key`] of `name`.
    fn of(&mut self, name: &str) -> &str {
        if !self.0.contains_key(name) {
            self.0.insert(name.to_string(), link_key(name));
        }
        &self.0[name]
    }
}

/// The listed person in `entities` that a mention names in full and whose
/// last word is the one-word name of link key `key` (`Johnson` after
/// `Boris Johnson`): a later surname alone is theirs.
fn listed_person_named_in_full(
    entities: &[Entity],
    key: &str,
    mention_keys: &mut LinkKeys,
) -> Option<usize> {
    if key.contains(' ') {
        return None;
    }
    entities.iter().position(|e| {
        e.kind == EntityType::Person
            && !e.candidate
            && e.mentions.iter().any(|m| {
                let full = mention_keys.of(&m.text);
                is_surname_of(key, full)
                    && !full
                        .split(' ')
                        .rev()
                        .nth(1)
                        .is_some_and(|w| PATRONYMIC_PARTICLES.contains(&w))
            })
    })
}

/// Whether the link key `key` is the last word of the longer name's key
/// `name` (`kowalczyk` of `marta kowalczyk`).
fn is_surname_of(key: &str, name: &str) -> bool {
    name.strip_suffix(key)
        .is_some_and(|rest| rest.ends_with(' '))
}

/// The players of the article's team line-ups (`crate::line_ups`) that
/// no mention covers, as persons: a later mention of a candidate person
/// already found (its whole name or its surname) is theirs, a country's
/// name (`Belgium - 1 - Filip De Wilde, ...`) is the team, not a player.
fn add_line_up_names(
    text: &str,
    folded: &Folded,
    entities: &mut Vec<Entity>,
    countries: &crate::countries::CountryIndex,
) {
    let names = crate::line_ups::names(text);
    if names.is_empty() {
        return;
    }
    let char_starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    let char_of = |byte: usize| char_starts.partition_point(|&b| b < byte);
    let spans: Vec<(usize, usize)> = names
        .iter()
        .map(|r| (char_of(r.start), char_of(r.end)))
        .collect();
    // The line's shape says more than the tagger, which reads a line-up
    // as a sentence (`Mauksch - Schößler` as one place): its candidates
    // there give way, but for a player it found exactly.
    for entity in entities.iter_mut().filter(|e| e.candidate) {
        let person = entity.kind == EntityType::Person;
        entity.mentions.retain(|m| {
            spans.iter().all(|&(s, e)| {
                !(s < m.end && m.start < e) || (person && (s, e) == (m.start, m.end))
            })
        });
    }
    entities.retain(|e| !e.mentions.is_empty());
    let mut taken: Vec<(usize, usize)> = entities
        .iter()
        .flat_map(|e| e.mentions.iter().map(|m| (m.start, m.end)))
        .collect();
    for (range, (start, end)) in names.into_iter().zip(spans) {
        let written = &text[range];
        if taken.iter().any(|&(s, e)| s < end && start < e) || countries.place(written).is_some() {
            continue;
        }
        taken.push((start, end));
        let mention = mention(text, folded, start, end);
        let key = link_key(written);
        let same = entities.iter_mut().find(|e| {
            e.candidate && e.kind == EntityType::Person && {
                let k = link_key(&e.name);
                k == key || is_surname_of(&key, &k)
            }
        });
        match same {
            Some(entity) => {
                entity.mentions.push(mention);
                entity.mentions.sort_by_key(|m| m.start);
            }
            None => entities.push(Entity {
                id: None,
                name: written.to_string(),
                kind: EntityType::Person,
                candidate: true,
                part_of: None,
                mentions: vec![mention],
            }),
        }
    }
}

/// A candidate the tagger took for a person whose name is a country, a
/// capital or a region in the country table is a location (`Israël` next to `Arafat`
/// and `Barak`); one that names a people (`Palestijnen`) is no person,
/// organization or location at all and is dropped. Organizations stay:
/// a country's name is also its team or its government.
fn correct_places(entities: &mut Vec<Entity>, countries: &crate::countries::CountryIndex) {
    use crate::countries::Place;
    entities.retain_mut(|entity| {
        if !entity.candidate || entity.kind != EntityType::Person {
            return true;
        }
        match countries.place(&entity.name) {
            Some(Place::Country | Place::Capital | Place::Region) => {
                entity.kind = EntityType::Location;
                true
            }
            Some(Place::Demonym) => false,
            None => true,
        }
    });
}

/// Whether the text before a word ends with an amount written in digits:
/// a single word after it is a unit or a currency (`450 Mark`), not a
/// person. A rank (`1.`, `2)`) before a name is not an amount.
fn after_a_number(before: &str) -> bool {
    let trimmed = before.trim_end();
    let amount = |word: &str| {
        word.starts_with(|c: char| c.is_ascii_digit())
            && word.ends_with(|c: char| c.is_ascii_digit())
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
    };
    trimmed.len() < before.len()
        && trimmed
            .rsplit(char::is_whitespace)
            .next()
            .is_some_and(amount)
}

/// How often the tagger gave each kind to one candidate's mentions.
#[derive(Debug, Default)]
struct KindVotes {
    /// Person, organization, location; the first kind given wins a tie.
    counts: [u32; 3],
    first: Option<EntityType>,
}

impl KindVotes {
    fn slot(kind: EntityType) -> usize {
        match kind {
            EntityType::Person => 0,
            EntityType::Organization => 1,
            EntityType::Location => 2,
        }
    }

    fn add(&mut self, kind: EntityType, weight: u32) {
        self.counts[Self::slot(kind)] += weight;
        self.first.get_or_insert(kind);
    }

    fn winner(&self) -> EntityType {
        let first = self.first.unwrap_or(EntityType::Person);
        let best = self.counts.iter().copied().max().unwrap_or(0);
        if self.counts[Self::slot(first)] == best {
            return first;
        }
        [
            EntityType::Person,
            EntityType::Organization,
            EntityType::Location,
        ]
        .into_iter()
        .find(|&k| self.counts[Self::slot(k)] == best)
        .unwrap_or(first)
    }
}

/// A listed person named only by a surname (`Scholz`, listed as Olaf
/// Scholz) is the article's own person of that surname (`la cardiologue
/// Jaqueline Scholz`) when the article names one in full who is someone
/// else: the surname's mentions move to them.
fn give_surnames_to_the_article_s_own_persons(entities: &mut Vec<Entity>) {
    let surname = |name: &str| name.rsplit(' ').next().unwrap_or(name).to_string();
    let mut moves: Vec<(usize, usize)> = Vec::new();
    for (i, listed) in entities.iter().enumerate() {
        if listed.kind != EntityType::Person || listed.candidate {
            continue;
        }
        let listed_surname = surname(&listed.name);
        if listed.mentions.iter().any(|m| m.text != listed_surname) {
            continue;
        }
        let own = entities.iter().position(|e| {
            e.kind == EntityType::Person
                && e.candidate
                && e.name.contains(' ')
                && e.name != listed.name
                && surname(&e.name) == listed_surname
        });
        if let Some(j) = own {
            moves.push((i, j));
        }
    }
    move_mentions(entities, &moves);
}

/// A person named by the first name alone (`Daria` after `Daria
/// Yakovenko`: feature stories name ordinary people so) is the one person
/// of the article whose full name starts with it; with two such persons
/// (`John Smith`, `John Brown`) it stays on its own. Only in scripts with
/// capitals.
fn give_first_names_to_their_full_names(entities: &mut Vec<Entity>) {
    // Each full-named person's first word, as a link key, computed once.
    let first_names: Vec<Option<String>> = entities
        .iter()
        .map(|e| {
            (e.kind == EntityType::Person)
                .then(|| link_key(&e.name))
                .and_then(|key| key.split_once(' ').map(|(first, _)| first.to_string()))
        })
        .collect();
    let mut moves: Vec<(usize, usize)> = Vec::new();
    for (i, alone) in entities.iter().enumerate() {
        // Arabic has no capitals, and its tagger's one-word persons are
        // often common words (`حسن الجوار`, good neighbourliness).
        let capitalized = alone
            .name
            .chars()
            .next()
            .is_some_and(newsflow_core::chars::is_uppercase);
        if alone.kind != EntityType::Person
            || !alone.candidate
            || !capitalized
            || alone.name.contains(' ')
        {
            continue;
        }
        let key = link_key(&alone.name);
        let mut full = first_names
            .iter()
            .enumerate()
            .filter(|(_, first)| first.as_deref() == Some(key.as_str()));
        if let (Some((j, _)), None) = (full.next(), full.next()) {
            moves.push((i, j));
        }
    }
    move_mentions(entities, &moves);
}

/// Moves all mentions of entity `i` to entity `j` for each `(i, j)`, keeps
/// `j`'s mentions in text order, and drops the entities left without one.
fn move_mentions(entities: &mut Vec<Entity>, moves: &[(usize, usize)]) {
    for &(i, j) in moves {
        let mentions = std::mem::take(&mut entities[i].mentions);
        entities[j].mentions.extend(mentions);
        entities[j].mentions.sort_by_key(|m| m.start);
    }
    entities.retain(|e| !e.mentions.is_empty());
}

/// One-letter conjunctions and prepositions Arabic writes joined to the
/// next word.
const ARABIC_PROCLITICS: &[char] = &['و', 'ف', 'ب', 'ل', 'ك'];

/// Arabic words that end many persons' names but are words of their own
/// too (`عبد الله`: God; `علي`, also a spelling of `على`, on).
const ARABIC_COMMON_NAME_ENDS: &[&str] = &["الله", "علي", "الدين", "الرحمن", "مبارك"];

/// Whether a person's last name word may be taken for the person wherever
/// it stands alone: written with a capital and three letters or more, or,
/// in Arabic (which has no capitals), four letters or more and not a word
/// of its own.
fn is_repeatable_surname(word: &str) -> bool {
    let letters = word.chars().count();
    match word.chars().next() {
        Some(c) if crate::fold::is_arabic(c) => {
            letters >= 4 && !ARABIC_COMMON_NAME_ENDS.contains(&word)
        }
        Some(c) => letters >= 3 && newsflow_core::chars::is_uppercase(c),
        None => false,
    }
}

/// Languages whose genitive adds `s` to a name without an apostrophe
/// (`Nadscharows Heimatstadt`). Dutch writes one too (`Rabins coalitie`),
/// but its news corpus (CoNLL-2002) does not count it as a name.
const GENITIVE_S: &[&str] = &["de"];

/// Mentions the tagger missed of the persons it found: each later
/// occurrence of a person's surname (its last word, written with a capital,
/// three letters or more) as a whole word, or with a genitive `s` in the
/// languages that write one, outside the mentions found.
fn add_repeated_surnames(text: &str, folded: &Folded, lang: &str, entities: &mut [Entity]) {
    let genitive_s = GENITIVE_S.contains(&lang);
    let mut taken: Vec<(usize, usize)> = entities
        .iter()
        .flat_map(|e| e.mentions.iter().map(|m| (m.start, m.end)))
        .collect();
    let char_of = |byte: usize| folded.original_char_index(byte);
    for entity in entities
        .iter_mut()
        .filter(|e| e.kind == EntityType::Person && e.candidate)
    {
        let Some(surname) = entity
            .name
            .rsplit(' ')
            .next()
            .filter(|w| is_repeatable_surname(w))
        else {
            continue;
        };
        let arabic = surname.chars().any(crate::fold::is_arabic);
        let first_mention = entity.mentions.first().map_or(0, |m| m.start);
        let surname = surname.to_string();
        // The whole text is searched for each person: memchr's search, with
        // vector instructions, finds the same matches as
        // `str::match_indices` (non-overlapping, left to right) in fewer.
        for mut at in memchr::memmem::find_iter(text.as_bytes(), surname.as_bytes()) {
            let mut end = at + surname.len();
            // Arabic glues a conjunction or preposition to the name
            // (`وألونسو`, `لشوماخر`); the word is the mention.
            if arabic
                && let Some(clitic) = text[..at].chars().next_back()
                && ARABIC_PROCLITICS.contains(&clitic)
                && !text[..at - clitic.len_utf8()]
                    .chars()
                    .next_back()
                    .is_some_and(newsflow_core::chars::is_alphanumeric)
            {
                at -= clitic.len_utf8();
            }
            if genitive_s
                && text[end..].starts_with('s')
                && !text[end + 1..]
                    .chars()
                    .next()
                    .is_some_and(newsflow_core::chars::is_alphanumeric)
            {
                end += 1;
            }
            let whole_word = !text[..at]
                .chars()
                .next_back()
                .is_some_and(newsflow_core::chars::is_alphanumeric)
                && !text[end..]
                    .chars()
                    .next()
                    .is_some_and(newsflow_core::chars::is_alphanumeric);
            if !whole_word || after_a_number(&text[..at]) {
                continue;
            }
            let (start_char, end_char) = (char_of(at), char_of(end));
            if start_char < first_mention
                || taken.iter().any(|&(s, e)| s < end_char && start_char < e)
            {
                continue;
            }
            taken.push((start_char, end_char));
            entity.mentions.push(Mention {
                text: text[at..end].to_string(),
                start: start_char,
                end: end_char,
            });
        }
        entity.mentions.sort_by_key(|m| m.start);
    }
}

fn is_short_capitals(alias: &str) -> bool {
    let letters = alias
        .chars()
        .filter(|&c| newsflow_core::chars::is_alphabetic(c))
        .count();
    letters <= 3 && alias.chars().all(|c| c.is_ascii_uppercase() || c == '.')
}

/// Lower-case nouns of an office that, after a capitalized word, make a
/// title (`Premier ministre`, `Prime minister`, `Secrétaire général`).
const OFFICE_NOUNS: &[&str] = &[
    "ministre",
    "minister",
    "ministro",
    "ministra",
    "président",
    "présidente",
    "president",
    "presidente",
    "secrétaire",
    "secretary",
    "général",
    "general",
    "directeur",
    "directrice",
];

/// Particles of more than three letters that join a person's name (`Pietro
/// della Valle`, `Mariam bint Ali`).
const LONG_NAME_PARTICLES: &[&str] = &["della", "delle", "degli", "dello", "dalla", "bint", "ould"];

/// Whether `word`, inside a person's name as the tagger found it, is a
/// lower-case word of a title before the name (`ministre` in `Premier
/// ministre Narendra Modi`) rather than a particle (`de`, `van`, `della`,
/// `al-` in `Zine al-Abidine Ben Ali`).
fn is_lower_case_word_of_a_title(word: &str) -> bool {
    word.chars().count() > 3
        && word
            .chars()
            .next()
            .is_some_and(newsflow_core::chars::is_lowercase)
        && word.chars().all(|c| !newsflow_core::chars::is_uppercase(c))
        && !LONG_NAME_PARTICLES.contains(&word)
}

/// Whether `text` is written all in lower case in a script whose writers
/// capitalize names (Latin, Greek, Cyrillic): there a name in lower case
/// is a common word (`le monde`, the world, is not the newspaper Le Monde).
fn written_in_lower_case(text: &str) -> bool {
    let capitalizes_names = |c: char| c < '\u{0530}' || ('\u{1E00}'..='\u{1EFF}').contains(&c);
    text.chars()
        .any(|c| newsflow_core::chars::is_lowercase(c) && capitalizes_names(c))
        && !text.chars().any(newsflow_core::chars::is_uppercase)
}

/// Whether the list writes one of `def`'s aliases in lower case, as the
/// language writes the name (French `talibans`, `dpa`), matching `text`.
fn has_lower_case_alias(def: &EntityDef, text: &str) -> bool {
    let key = link_key(text);
    def.aliases.iter().any(|alias| {
        let alias = alias.trim_start_matches('=');
        !alias.chars().any(newsflow_core::chars::is_uppercase) && link_key(alias) == key
    })
}

/// Known entities in `text`, each once with all its mentions, in order of first mention.
pub fn known_entities(text: &str, folded: &Folded, index: &EntityIndex) -> Vec<Entity> {
    let mut out: Vec<Entity> = Vec::new();
    let mut slot: FxHashMap<u32, usize> = FxHashMap::default();
    for hit in index.gazetteer.find(text, folded) {
        let def = &index.defs[*hit.target as usize];
        let mention = mention(text, folded, hit.start, hit.end);
        if written_in_lower_case(&mention.text) && !has_lower_case_alias(def, &mention.text) {
            continue;
        }
        let i = *slot.entry(*hit.target).or_insert_with(|| {
            out.push(Entity {
                id: Some(def.id.clone()),
                name: def.name.clone(),
                kind: def.kind,
                candidate: false,
                part_of: def.part_of.clone(),
                mentions: Vec::new(),
            });
            out.len() - 1
        });
        out[i].mentions.push(mention);
    }
    out
}

/// The mention of the characters `start..end` of `text`.
pub fn mention(text: &str, folded: &Folded, start: usize, end: usize) -> Mention {
    let (bs, be) = folded.byte_span(start, end);
    Mention {
        text: text[bs..be].to_string(),
        start,
        end,
    }
}

/// Titles and speech verbs after which a capitalised sequence is a person's
/// name. Without a word boundary before the title or verb: that is checked
/// apart (see [`candidate_entities`]), as a Unicode `\b` would keep the regex
/// engine off its DFA over any text with a letter beyond ASCII (`é`, `’`).
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    let cap = r"\p{Lu}[\p{Ll}'’\-]+";
    Regex::new(&format!(
        r"(?x)
        (?:
            (?:President|Prime\ Minister|Minister|Chancellor|Senator|Secretary|General|Gen\.|Colonel|Director|Chief|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Judge|King|Queen|Prince|Sheikh|spokesman|spokeswoman|spokesperson|leader|commander|
               président|présidente|ministre|M\.|Mme|porte-parole|directeur|directrice|
               Präsident|Präsidentin|Kanzler|Kanzlerin|Minister|Ministerin|Herr|Frau|
               presidente|ministro|ministra|señor|señora|portavoz)
            \s+(?P<t>{cap}(?:\s+{cap}){{0,2}})
          |
            (?:said|says|told|according\ to|added|selon|a\ déclaré|a\ dit|a\ affirmé|sagte|erklärte|dijo|afirmó|según)
            ,?\s+(?P<v>{cap}(?:\s+{cap}){{1,2}})
        )"
    ))
    .expect("valid regex")
});

/// One character of `\w` (what the regex engine's `\b` tells from the rest).
static WORD_CHAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\A\w\z").expect("valid regex"));

/// Whether a word starts at byte `at` of `text`, which has a word character
/// there: as `\b` there would tell.
fn word_starts_at(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !WORD_CHAR.is_match(c.encode_utf8(&mut [0; 4])))
}

/// Words that follow titles and verbs but are not names.
const NOT_NAMES: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "The",
    "This",
    "That",
    "In",
    "On",
    "At",
    "It",
    "He",
    "She",
    "They",
    "We",
    "Le",
    "La",
    "Les",
    "Cela",
    "Ceci",
    "Ce",
    "Il",
    "Elle",
    "Ils",
    "Elles",
    "On",
    "Nous",
    "Vous",
    "Der",
    "Die",
    "Das",
    "El",
    "Los",
];

/// Names that are in no list but follow a title or speech verb
/// (`President Jane Doe`, `said John Roe`): reported without an id.
pub fn candidate_entities(text: &str, folded: &Folded, known: &[Entity]) -> Vec<Entity> {
    let taken: Vec<(usize, usize)> = known
        .iter()
        .flat_map(|e| e.mentions.iter().map(|m| (m.start, m.end)))
        .collect();
    let mut out: Vec<Entity> = Vec::new();
    // The matches of `\b` + CANDIDATE, left to right: every title or verb
    // starts with a letter, so `\b` holds before one where no word
    // character precedes it.
    let mut at = 0;
    while let Some(caps) = CANDIDATE.captures_at(text, at) {
        let whole = caps.get(0).expect("group 0");
        if !word_starts_at(text, whole.start()) {
            // Inside a word: look again from the next character.
            at = whole.start()
                + text[whole.start()..]
                    .chars()
                    .next()
                    .map_or(1, char::len_utf8);
            continue;
        }
        at = whole.end();
        let Some(m) = caps.name("t").or_else(|| caps.name("v")) else {
            continue;
        };
        let name = m.as_str();
        if name.split_whitespace().any(|w| NOT_NAMES.contains(&w)) {
            continue;
        }
        let start = text[..m.start()].chars().count();
        let end = start + name.chars().count();
        if taken.iter().any(|&(s, e)| s < end && start < e) {
            continue;
        }
        let mention = mention(text, folded, start, end);
        match out.iter_mut().find(|e| e.name == name) {
            Some(entity) => entity.mentions.push(mention),
            None => out.push(Entity {
                id: None,
                name: name.to_string(),
                kind: EntityType::Person,
                candidate: true,
                part_of: None,
                mentions: vec![mention],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# test list\n\
        Q2429253\torganization\tIslamic State\ten:ISIS|en:Islamic State|=IS|fr:EI|fr:Daech|fr:État islamique|ar:داعش|ar:الدواعش\n\
        nf:isis-k\torganization\tISIS-K\ten:ISIS-K|en:ISIS-Khorasan|en:ISKP\tQ2429253\n\
        nf:james-clapper\tperson\tJames Clapper\ten:Clapper|ar:جيمس كلابر|ar:كلابر\n";

    fn index() -> EntityIndex {
        EntityIndex::new([parse_list(LIST).unwrap()])
    }

    fn ids(text: &str) -> Vec<(String, usize)> {
        let folded = Folded::new(text);
        known_entities(text, &folded, &index())
            .into_iter()
            .map(|e| (e.id.unwrap(), e.mentions.len()))
            .collect()
    }

    #[test]
    fn aliases_across_languages_resolve_to_one_id() {
        assert_eq!(
            ids("ISIS, the Islamic State (IS), is also Daesh; l'EI ou l'État islamique, Daech."),
            vec![("Q2429253".into(), 6)]
        );
        assert_eq!(
            ids("وقال جيمس كلابر إن صلات بـ\"داعش\" والدواعش، وأضاف كلابر"),
            vec![("nf:james-clapper".into(), 2), ("Q2429253".into(), 2)]
        );
    }

    fn candidate(name: &str, kind: EntityType) -> Entity {
        Entity {
            id: None,
            name: name.into(),
            kind,
            candidate: true,
            part_of: None,
            mentions: vec![Mention {
                text: name.into(),
                start: 0,
                end: name.chars().count(),
            }],
        }
    }

    #[test]
    fn a_country_or_capital_taken_for_a_person_is_a_location_and_a_people_is_dropped() {
        use crate::countries::{COUNTRIES, Place};
        assert_eq!(COUNTRIES.place("Israël"), Some(Place::Country));
        assert_eq!(COUNTRIES.place("Jeruzalem"), Some(Place::Capital));
        assert_eq!(COUNTRIES.place("Palestinians"), Some(Place::Demonym));
        // A first name that is also a country, and names that are no place.
        assert_eq!(COUNTRIES.place("Chad"), None);
        assert_eq!(COUNTRIES.place("Israël Katz"), None);
        assert_eq!(COUNTRIES.place("Barak"), None);
        let mut entities = vec![
            candidate("Israël", EntityType::Person),
            candidate("Palestinians", EntityType::Person),
            candidate("Barak", EntityType::Person),
            // A country's team or government stays an organization.
            candidate("Germany", EntityType::Organization),
        ];
        correct_places(&mut entities, &COUNTRIES);
        let kinds: Vec<(&str, EntityType)> =
            entities.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("Israël", EntityType::Location),
                ("Barak", EntityType::Person),
                ("Germany", EntityType::Organization)
            ]
        );
    }

    #[test]
    fn a_word_after_an_amount_is_no_person() {
        assert!(after_a_number("Erwachsene zahlen 450 "));
        assert!(after_a_number("jeweils 1.500,50 "));
        // A rank before a name, and no number at all.
        assert!(!after_a_number("Ergebnisse: 1. "));
        assert!(!after_a_number("sagte Trainer "));
        let text = "Trainer Mark Weber sagte am Montag in Berlin, das Team sei bereit. \
            Weber lobte die Spieler. Der Eintritt kostet 450 Mark.";
        let folded = Folded::new(text);
        let sentences = crate::summary::sentences(text);
        let entities = find_entities(text, &folded, &sentences, Some("de"), &index());
        let mentions: Vec<(&str, usize)> = entities
            .iter()
            .flat_map(|e| e.mentions.iter().map(|m| (m.text.as_str(), m.start)))
            .collect();
        assert!(mentions.contains(&("Mark Weber", 8)), "{mentions:?}");
        assert!(
            !mentions.iter().any(|&(t, start)| t == "Mark" && start > 8),
            "450 Mark is a currency: {mentions:?}"
        );
    }

    #[test]
    fn titles_of_one_language_are_initials_or_names_in_another() {
        assert!(is_person_title("M.", "fr"));
        assert!(!is_person_title("M.", "en"), "M. Waugh");
        assert!(!is_person_title("Don", "en"), "Don King");
        assert!(is_person_title("Don", "es"));
        assert!(is_person_title("Mr.", "de"));
    }

    /// The entities, with their kinds, that `add_tagged_names` keeps of
    /// the given tagger output `tagged` (each name at the first place it
    /// stands in `text`). No tagger runs here; `tagged` below runs one.
    /// The entities `add_tagged_names` makes of the tagger's names
    /// `tagged`, given in text order (each found after the one before).
    fn of_tagger_output(text: &str, tagged: &[(&str, EntityType)], lang: &str) -> Vec<Entity> {
        let mut from = 0;
        let names: Vec<crate::ner::Name> = tagged
            .iter()
            .map(|&(name, kind)| {
                let start = from
                    + text[from..]
                        .find(name)
                        .expect("the tagged name is in the text");
                from = start + name.len();
                crate::ner::Name {
                    kind,
                    start,
                    end: from,
                }
            })
            .collect();
        let mut entities = Vec::new();
        add_tagged_names(
            text,
            &Folded::new(text),
            &names,
            lang,
            &EntityIndex::builtin(),
            &mut entities,
        );
        entities
    }

    fn kept_of_tagger_output(
        text: &str,
        tagged: &[(&str, EntityType)],
        lang: &str,
    ) -> Vec<(String, EntityType)> {
        of_tagger_output(text, tagged, lang)
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect()
    }

    #[test]
    fn a_foreign_particle_goes_on_with_a_german_article_s_person() {
        let text = "Nach Cook entdeckte auch Jean-François-Marie de Surville Neuseeland.";
        assert_eq!(
            kept_of_tagger_output(
                text,
                &[
                    ("Jean-François-Marie", EntityType::Person),
                    ("Surville", EntityType::Location),
                ],
                "de"
            ),
            [(
                "Jean-François-Marie de Surville".to_string(),
                EntityType::Person
            )]
        );
    }

    #[test]
    fn a_title_inside_a_tagged_name_starts_a_person_s_name() {
        let text = "Alliance Party MLA Kate Nicholl said she was relieved.";
        assert_eq!(
            kept_of_tagger_output(
                text,
                &[("Alliance Party MLA Kate Nicholl", EntityType::Organization)],
                "en"
            ),
            [("Kate Nicholl".to_string(), EntityType::Person)]
        );
        assert_eq!(title_inside("Alliance Party MLA", "en"), None);
    }

    #[test]
    fn a_pronoun_the_tagger_took_for_a_name_is_dropped() {
        let text = "Cela l'a surpris, dit Isser Nener.";
        let tagged = [
            ("Cela", EntityType::Person),
            ("Isser Nener", EntityType::Person),
        ];
        assert_eq!(
            kept_of_tagger_output(text, &tagged, "fr"),
            [("Isser Nener".to_string(), EntityType::Person)]
        );
    }

    #[test]
    fn a_lower_case_word_is_no_name_and_starts_none() {
        let text = "le président a géré l'épidémie, dit le président Donald Trump.";
        let tagged = [
            ("géré", EntityType::Person),
            ("président Donald Trump", EntityType::Person),
        ];
        assert_eq!(
            kept_of_tagger_output(text, &tagged, "fr"),
            [("Donald Trump".to_string(), EntityType::Person)]
        );
        // Short particles open names.
        let text = "Il cite van Gogh.";
        assert_eq!(
            kept_of_tagger_output(text, &[("van Gogh", EntityType::Person)], "fr"),
            [("van Gogh".to_string(), EntityType::Person)]
        );
        // A spaced dash between a common word and the name is no part of it.
        let text = "Le monde - Suki Hoagland dit tout.";
        assert_eq!(
            kept_of_tagger_output(text, &[("monde - Suki Hoagland", EntityType::Person)], "fr"),
            [("Suki Hoagland".to_string(), EntityType::Person)]
        );
    }

    #[test]
    fn a_title_written_in_words_is_no_part_of_the_name() {
        let text = "Le Premier ministre Kassim Majaliwa visite Dodoma.";
        let tagged = [("Premier ministre Kassim Majaliwa", EntityType::Person)];
        assert_eq!(
            kept_of_tagger_output(text, &tagged, "fr"),
            [("Kassim Majaliwa".to_string(), EntityType::Person)]
        );
        // A title alone is no name.
        let text = "Le Premier ministre a démissionné.";
        for tagged in ["Premier ministre", "Premier"] {
            assert_eq!(
                kept_of_tagger_output(text, &[(tagged, EntityType::Person)], "fr"),
                []
            );
        }
        // Particles of more than three letters stay, so do joined ones; a
        // script without capitals has no lower-case words.
        for (name, lang) in [
            ("Pietro della Valle", "fr"),
            ("Zine al-Abidine Ben Ali", "fr"),
            ("عبد الله بن علي", "ar"),
        ] {
            let text = format!("Il cite {name}.");
            assert_eq!(
                kept_of_tagger_output(&text, &[(name, EntityType::Person)], lang),
                [(name.to_string(), EntityType::Person)]
            );
        }
    }

    #[test]
    fn an_office_before_the_name_is_a_title() {
        let text = "Kyiv Mayor Klitschko said the city was ready.";
        assert_eq!(
            kept_of_tagger_output(text, &[("Mayor Klitschko", EntityType::Person)], "en"),
            [("Klitschko".to_string(), EntityType::Person)]
        );
    }

    #[test]
    fn a_first_name_alone_is_the_one_person_of_that_first_name() {
        let grouped = |text: &str, tagged: &[(&str, EntityType)]| -> Vec<(String, usize)> {
            let mut entities = of_tagger_output(text, tagged, "en");
            give_first_names_to_their_full_names(&mut entities);
            entities
                .into_iter()
                .map(|e| (e.name, e.mentions.len()))
                .collect()
        };
        let person = EntityType::Person;
        let text = "Daria Yakovenko fled Kharkiv. Now Daria lives in Cork.";
        assert_eq!(
            grouped(text, &[("Daria Yakovenko", person), ("Daria", person)]),
            [("Daria Yakovenko".to_string(), 2)]
        );
        // Two persons of that first name: the first name alone is neither's.
        let text = "John Smith met John Brown. Later John left.";
        assert_eq!(
            grouped(
                text,
                &[
                    ("John Smith", person),
                    ("John Brown", person),
                    ("John", person)
                ]
            ),
            [
                ("John Smith".to_string(), 1),
                ("John Brown".to_string(), 1),
                ("John".to_string(), 1)
            ]
        );
    }

    #[test]
    fn a_listed_name_written_in_lower_case_is_a_common_word() {
        let index = EntityIndex::builtin();
        let text = "Le Monde écrit que le monde change.";
        let found = known_entities(text, &Folded::new(text), &index);
        let le_monde: Vec<&str> = found
            .iter()
            .filter(|e| e.id.as_deref() == Some("nf:le-monde"))
            .flat_map(|e| e.mentions.iter().map(|m| m.text.as_str()))
            .collect();
        assert_eq!(le_monde, ["Le Monde"]);
        // The list writes some names in lower case as the language does.
        let text = "Les talibans ont pris Kaboul.";
        let found = known_entities(text, &Folded::new(text), &index);
        assert!(found.iter().any(|e| e.id.as_deref() == Some("Q42418")));
    }

    #[test]
    fn a_person_or_place_ends_before_a_lower_case_word_but_in_cyrillic() {
        let names = |text: &str, tagged: &str, kind: EntityType, lang: &str| -> Vec<String> {
            kept_of_tagger_output(text, &[(tagged, kind)], lang)
                .into_iter()
                .map(|(name, _)| name)
                .collect()
        };
        let text = "Dadzie donne l'exemple de Jean de La Fontaine.";
        assert_eq!(
            names(text, "Dadzie donne", EntityType::Location, "fr"),
            ["Dadzie"]
        );
        assert_eq!(
            names(text, "Jean de La Fontaine", EntityType::Person, "fr"),
            ["Jean de La Fontaine"]
        );
        assert_eq!(
            names(
                "на Красная площадь",
                "Красная площадь",
                EntityType::Location,
                "ru"
            ),
            ["Красная площадь"]
        );
    }

    #[test]
    fn a_candidate_s_kind_is_the_one_its_mentions_were_given_most() {
        let mut votes = KindVotes::default();
        votes.add(EntityType::Person, 1);
        assert_eq!(votes.winner(), EntityType::Person);
        votes.add(EntityType::Organization, 1);
        // A tie goes to the first kind given.
        assert_eq!(votes.winner(), EntityType::Person);
        votes.add(EntityType::Organization, 1);
        assert_eq!(votes.winner(), EntityType::Organization);
        // A title counts twice.
        votes.add(EntityType::Person, 2);
        assert_eq!(votes.winner(), EntityType::Person);
    }

    #[test]
    fn a_listed_surname_goes_to_the_article_s_own_person_of_that_name() {
        let person = |id: Option<&str>, name: &str, mentions: &[(&str, usize)]| Entity {
            id: id.map(str::to_string),
            name: name.into(),
            kind: EntityType::Person,
            candidate: id.is_none(),
            part_of: None,
            mentions: mentions
                .iter()
                .map(|&(text, start)| Mention {
                    text: text.into(),
                    start,
                    end: start + text.chars().count(),
                })
                .collect(),
        };
        let mut entities = vec![
            person(
                Some("Q61053"),
                "Olaf Scholz",
                &[("Scholz", 90), ("Scholz", 200)],
            ),
            person(None, "Jaqueline Scholz", &[("Jaqueline Scholz", 10)]),
        ];
        give_surnames_to_the_article_s_own_persons(&mut entities);
        assert_eq!(entities.len(), 1);
        assert_eq!(entities[0].name, "Jaqueline Scholz");
        assert_eq!(entities[0].mentions.len(), 3);
        // Named in full, the listed person stays who they are.
        let mut entities = vec![
            person(
                Some("Q61053"),
                "Olaf Scholz",
                &[("Olaf Scholz", 90), ("Scholz", 200)],
            ),
            person(None, "Jaqueline Scholz", &[("Jaqueline Scholz", 10)]),
        ];
        give_surnames_to_the_article_s_own_persons(&mut entities);
        assert_eq!(entities.len(), 2);
    }

    #[test]
    fn a_branch_is_its_own_entity_linked_to_its_parent() {
        let text = "the wing known as ISIS-Khorasan, unlike ISIS";
        let folded = Folded::new(text);
        let found = known_entities(text, &folded, &index());
        assert_eq!(found[0].id.as_deref(), Some("nf:isis-k"));
        assert_eq!(found[0].part_of.as_deref(), Some("Q2429253"));
        assert_eq!(found[0].mentions[0].text, "ISIS-Khorasan");
        assert_eq!(found[1].id.as_deref(), Some("Q2429253"));
    }

    #[test]
    fn mentions_carry_character_offsets() {
        let text = "Der IS und État islamique";
        let folded = Folded::new(text);
        let found = known_entities(text, &folded, &index());
        let chars: Vec<char> = text.chars().collect();
        for m in &found[0].mentions {
            assert_eq!(chars[m.start..m.end].iter().collect::<String>(), m.text);
        }
        assert_eq!(found[0].mentions[1].text, "État islamique");
    }

    #[test]
    fn a_later_list_replaces_an_entity_with_the_same_id() {
        let watch = parse_list("Q2429253\torganization\tISIL\ten:ISIL\n").unwrap();
        let index = EntityIndex::new([parse_list(LIST).unwrap(), watch]);
        assert_eq!(index.get("Q2429253").unwrap().name, "ISIL");
        assert_eq!(index.len(), 3);
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let err = parse_list("# c\nx\tthing\tX\tx\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: unknown type \"thing\"");
    }

    fn tagged(text: &str, lang: &str, index: &EntityIndex) -> Vec<Entity> {
        let folded = Folded::new(text);
        let sentences = crate::summary::sentences(text);
        find_entities(text, &folded, &sentences, Some(lang), index)
    }

    /// The mentions, as written, of the entity named `name` in `found`.
    fn mention_texts<'e>(found: &'e [Entity], name: &str) -> Vec<&'e str> {
        found
            .iter()
            .find(|e| e.name == name)
            .expect("the person is found")
            .mentions
            .iter()
            .map(|m| m.text.as_str())
            .collect()
    }

    #[test]
    fn the_tagger_finds_unlisted_names_and_groups_a_surname_with_the_full_name() {
        let text = "Interior minister Marta Kowalczyk met officials of Nordvik Shipping in Rotterdam \
            on Tuesday. Mr Kowalczyk said the port would stay open.";
        let found = tagged(text, "en", &EntityIndex::builtin());
        let person = found
            .iter()
            .find(|e| e.name == "Marta Kowalczyk")
            .expect("the person is found");
        assert!(person.candidate && person.id.is_none());
        assert_eq!(person.kind, EntityType::Person);
        let mentions: Vec<&str> = person.mentions.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            mentions,
            ["Marta Kowalczyk", "Kowalczyk"],
            "the title is left out"
        );
        assert!(
            found
                .iter()
                .any(|e| e.name == "Rotterdam" && e.kind == EntityType::Location)
        );
    }

    #[test]
    fn a_german_surname_with_a_genitive_s_is_the_person_s_mention() {
        let text = "Der Flüchtling Said Nadscharow lebt heute in Baku.\n\
            Das war nach Ansicht Nadscharows ein Fehler.";
        let found = tagged(text, "de", &EntityIndex::builtin());
        assert_eq!(
            mention_texts(&found, "Said Nadscharow"),
            ["Said Nadscharow", "Nadscharows"]
        );
    }

    #[test]
    fn an_arabic_surname_alone_later_is_the_person_s_mention_with_its_clitic() {
        let text = "قال السائق الإسباني فرناندو ألونسو إن السباق كان صعبا.\n\
            وتعليقا على القرار اعتبر ألونسو أن الأمر مفاجئ ، وكان لألونسو رأي آخر.";
        let found = tagged(text, "ar", &EntityIndex::builtin());
        assert_eq!(
            mention_texts(&found, "فرناندو ألونسو"),
            ["فرناندو ألونسو", "ألونسو", "لألونسو"]
        );
        // A name's last word that is a word of its own is not repeated.
        assert!(!is_repeatable_surname("الله"));
    }

    #[test]
    fn the_players_of_a_line_up_are_persons_and_its_team_is_no_player() {
        let text = "Bochum gewann in Dresden mit 2:1.\n\
            Müller - Mauksch - Schößler, Wagenhaus - Hauptmann, Pilz, Zander, \
            Stevic (80. Gütschow), Kmetsch - Jähnig, Rath (80. Kern).\n\
            Belgium - 1 - Filip De Wilde, 2 - Bertrand Crasson, 3 - Dirk Medved, \
            4 - Pascal Renier, 16 - Geoffrey Claeys, 6 - Gunther Schepens.";
        let found = tagged(text, "de", &EntityIndex::builtin());
        let persons: Vec<&str> = found
            .iter()
            .filter(|e| e.kind == EntityType::Person)
            .flat_map(|e| e.mentions.iter().map(|m| m.text.as_str()))
            .collect();
        for player in [
            "Mauksch",
            "Schößler",
            "Gütschow",
            "Kern",
            "Filip De Wilde",
            "Gunther Schepens",
        ] {
            assert!(persons.contains(&player), "{player} in {persons:?}");
        }
        assert!(!persons.contains(&"Belgium"), "{persons:?}");
        assert!(
            !persons.iter().any(|p| p.contains(" - ")),
            "no name spans a dash: {persons:?}"
        );
    }

    #[test]
    fn a_tagged_name_in_another_inflection_links_to_the_listed_entity() {
        let list = parse_list("Q39259\tperson\tRecep Tayyip Erdoğan\tru:Эрдоган\n").unwrap();
        let index = EntityIndex::new([list]);
        assert_eq!(
            index.link("Эрдоганом").map(|d| d.id.as_str()),
            Some("Q39259")
        );
        assert_eq!(link_key("لداعش"), link_key("داعش"));
        assert!(index.link("Москва").is_none());
    }

    #[test]
    fn the_generated_list_loads_and_links_a_city_across_scripts() {
        let generated = generated();
        assert!(generated.len() > 1000, "{} entities", generated.len());
        assert!(
            generated
                .iter()
                .all(|d| d.id.starts_with("geonames:") && d.kind == EntityType::Location)
        );
        let index = EntityIndex::builtin();
        let id = |name: &str| {
            index
                .link_unlisted(name, EntityType::Location)
                .map(|d| d.id.clone())
        };
        // Rotterdam in Latin, Cyrillic and Arabic script: one id.
        let rotterdam = id("Rotterdam").expect("Rotterdam is linked");
        assert!(rotterdam.starts_with("geonames:"), "{rotterdam}");
        assert_eq!(id("Роттердам").as_ref(), Some(&rotterdam));
        assert_eq!(id("Роттердаме").as_ref(), Some(&rotterdam));
        assert_eq!(id("روتردام").as_ref(), Some(&rotterdam));
        assert_eq!(id("بروتردام").as_ref(), None);
        assert_eq!(id("بالدمام"), id("الدمام"));
        assert!(id("الدمام").is_some());
        // A first letter that could be a conjunction or preposition is the
        // name's own: `فزان` (Fezzan) is not `الزان` (a name of Ulsan), nor
        // `بورت` (of Port-Gentil) `فورت` (Fürth).
        assert!(id("الزان").is_some());
        assert_eq!(id("فزان"), None);
        assert_eq!(id("بورت"), None);
        // Nor is `سان` (the `San` of `سان خوسيه`) `ألسان` (Ulsan), whose
        // first letters fold to the article.
        assert_eq!(id("سان"), None);
        // The hand list wins: Moscow keeps its QID in every script.
        assert_eq!(id("Moscow"), None);
        assert_eq!(index.link("Москве").map(|d| d.id.as_str()), Some("Q649"));
        // Through the tagger: the tagged place gets the id, its span and
        // type as they were.
        let text = "Грузовое судно прибыло в Роттердам во вторник.";
        let found = tagged(text, "ru", &index);
        let city = found
            .iter()
            .find(|e| e.id.as_ref() == Some(&rotterdam))
            .expect("Роттердам is linked");
        assert_eq!(city.name, "Rotterdam");
        assert_eq!(city.kind, EntityType::Location);
        assert!(!city.candidate);
        assert_eq!(city.mentions[0].text, "Роттердам");
    }

    #[test]
    fn a_generated_entity_links_only_a_name_of_its_own_type() {
        let index = EntityIndex::builtin();
        // The football club, the person: not the cities.
        assert!(
            index
                .link_unlisted("Rotterdam", EntityType::Organization)
                .is_none()
        );
        assert!(
            index
                .link_unlisted("Rotterdam", EntityType::Person)
                .is_none()
        );
        // Names of the list to link to are not looked for on their own.
        assert!(index.link("Rotterdam").is_none());
        // A country's name is never a city's (`Mexico`, `Luxembourg`).
        for country in ["Mexico", "Luxembourg", "Djibouti", "Kuwait"] {
            assert!(
                index.link_unlisted(country, EntityType::Location).is_none(),
                "{country}"
            );
        }
        // A common word of an allowlist language is no city's other name
        // (GeoNames gives `Logos` for Lagos, `Apotheke` for Abu Tig, and
        // Persian `امان`, Arabic "safety", for Amman).
        let list = parse_list(GENERATED).unwrap();
        for word in ["Logos", "Apotheke", "امان"] {
            assert!(
                list.iter().all(|d| !d.aliases.iter().any(|a| a == word)),
                "{word}"
            );
        }
        let links_a_city = |name: &str| index.link_unlisted(name, EntityType::Location).is_some();
        assert!(links_a_city("Lagos"));
        // A name CLDR gives in one language that is a common word of
        // another: Persian `الجزیره` (Algiers) is Arabic "the island".
        assert!(!links_a_city("الجزيرة"));
        assert!(links_a_city("Algiers"));
        // A very common word is no city's other name whatever the city
        // (`المدينة`, "the city", for Medina), nor a US state's name a city's
        // (`suburban Virginia`).
        assert!(!links_a_city("المدينة"));
        assert!(links_a_city("المدينة المنورة"));
        assert!(!links_a_city("Virginia"));
    }

    #[test]
    fn a_listed_person_s_surname_alone_after_the_full_name_is_theirs() {
        // The list knows Boris Johnson, not `Johnson` alone.
        let text = "Boris Johnson visited the port on Monday.\n\
            Johnson said the new rules would help farmers.";
        let found = tagged(text, "en", &EntityIndex::builtin());
        assert_eq!(
            mention_texts(&found, "Boris Johnson"),
            ["Boris Johnson", "Johnson"]
        );
        assert!(!found.iter().any(|e| e.candidate && e.name == "Johnson"));
        // Without the full name, the surname is no one's in the list.
        let found = tagged(
            "Johnson said the rules would help.",
            "en",
            &EntityIndex::builtin(),
        );
        assert!(!found.iter().any(|e| e.id.as_deref() == Some("Q180589")));
        // An Arabic name's last word after `بن` is the father's name, no
        // surname (`سلمان` alone is King Salman, not Mohammed bin Salman).
        let listed = Entity {
            id: Some("Q1".into()),
            name: "Mohammed bin Salman".into(),
            kind: EntityType::Person,
            candidate: false,
            part_of: None,
            mentions: vec![Mention {
                text: "محمد بن سلمان".into(),
                start: 0,
                end: 13,
            }],
        };
        let salman = link_key("سلمان");
        assert_eq!(
            listed_person_named_in_full(
                std::slice::from_ref(&listed),
                &salman,
                &mut LinkKeys::default()
            ),
            None
        );
        let johnson = Entity {
            name: "Boris Johnson".into(),
            mentions: vec![Mention {
                text: "Boris Johnson".into(),
                start: 0,
                end: 13,
            }],
            ..listed
        };
        let surname = link_key("Johnson");
        assert_eq!(
            listed_person_named_in_full(&[johnson], &surname, &mut LinkKeys::default()),
            Some(0)
        );
    }

    #[test]
    fn a_linked_person_s_one_word_name_links_nothing() {
        let linked = parse_list("Q1\tperson\tBruno Retailleau\tfr:Retailleau|ru:Ретайо\n").unwrap();
        let index = EntityIndex::with_links([Vec::new()], linked);
        assert!(
            index
                .link_unlisted("Retailleau", EntityType::Person)
                .is_none()
        );
        assert!(index.link_unlisted("Ретайо", EntityType::Person).is_none());
        assert_eq!(
            index
                .link_unlisted("Bruno Retailleau", EntityType::Person)
                .map(|d| d.id.as_str()),
            Some("Q1")
        );
    }

    #[test]
    fn names_after_titles_and_speech_verbs_are_candidates() {
        let text = "President Jane Doe met Mr. Smith on Monday, said Ahmed Karim Nasser.";
        let folded = Folded::new(text);
        let names: Vec<String> = candidate_entities(text, &folded, &[])
            .into_iter()
            .map(|e| {
                assert!(e.candidate && e.id.is_none());
                e.name
            })
            .collect();
        assert_eq!(names, ["Jane Doe", "Smith", "Ahmed Karim Nasser"]);
    }
}
