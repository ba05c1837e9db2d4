//! Categories from readable multilingual rules (`data/categories.tsv`).
//!
//! A rule is a category, a rule id, a weight and a list of terms (words,
//! phrases, `word*` prefixes, `@entity-id`). Each distinct term found adds its
//! rule's weight once, so one word repeated does not make a topic; a category
//! is reported from [`THRESHOLD`], with every rule that fired and what it matched.

use std::collections::BTreeMap;

use newsflow_core::contracts::{Category, Entity};

use crate::fold::Folded;
use crate::gazetteer::{Case, Gazetteer, GazetteerBuilder};

/// The project's rules.
pub const BUILTIN: &str = include_str!("../data/categories.tsv");

/// Score from which a category is reported.
pub const THRESHOLD: u32 = 3;

/// A problem in a rules file.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
}

#[derive(Debug, Clone)]
struct Rule {
    category: String,
    id: String,
    weight: u32,
}

/// Compiled rules.
#[derive(Debug)]
pub struct Rules {
    rules: Vec<Rule>,
    gazetteer: Gazetteer<u32>,
    /// (entity id, rule index)
    entity_terms: Vec<(String, u32)>,
}

impl Rules {
    /// Compiles a rules file.
    ///
    /// # Errors
    /// On a line without four fields or with a weight that is not a number.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let mut rules = Vec::new();
        let mut builder = GazetteerBuilder::default();
        let mut entity_terms = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            let error = |reason: &str| RulesError::Line {
                line: n + 1,
                reason: reason.to_string(),
            };
            let [category, id, weight, terms] = fields[..] else {
                return Err(error(
                    "expected category, rule id, weight, terms separated by tabs",
                ));
            };
            let weight = weight
                .parse()
                .map_err(|_| error("the weight is not a number"))?;
            let index = rules.len() as u32;
            rules.push(Rule {
                category: category.to_string(),
                id: id.to_string(),
                weight,
            });
            for term in terms.split('|').map(str::trim).filter(|t| !t.is_empty()) {
                if let Some(entity) = term.strip_prefix('@') {
                    entity_terms.push((entity.to_string(), index));
                    continue;
                }
                builder.add(term, index, Case::Fold);
                // Arabic terms also take the article after a proclitic (والإرهاب).
                if term.chars().next().is_some_and(crate::fold::is_arabic)
                    && !term.starts_with("ال")
                {
                    builder.add(&format!("ال{term}"), index, Case::Fold);
                }
            }
        }
        Ok(Self {
            rules,
            gazetteer: builder.build(),
            entity_terms,
        })
    }

    /// The project's rules.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).expect("the project's rules parse")
    }
}

/// The categories of a text, strongest first.
pub fn categorize(
    text: &str,
    folded: &Folded,
    entities: &[Entity],
    rules: &Rules,
) -> Vec<Category> {
    categorize_all(&[(text, folded)], entities, rules)
}

/// [`categorize`] over several texts of one article (its body and headline).
pub fn categorize_all(
    texts: &[(&str, &Folded)],
    entities: &[Entity],
    rules: &Rules,
) -> Vec<Category> {
    // category -> (score, fired rules), each (rule, term) counted once.
    let mut fired: BTreeMap<&str, (u32, Vec<String>)> = BTreeMap::new();
    let mut seen: Vec<(u32, String)> = Vec::new();
    let mut add = |rule_index: u32, term: &str| {
        if seen.iter().any(|(r, t)| *r == rule_index && t == term) {
            return;
        }
        let rule = &rules.rules[rule_index as usize];
        let entry = fired.entry(rule.category.as_str()).or_default();
        entry.0 += rule.weight;
        entry.1.push(format!("{}: {}", rule.id, term));
        seen.push((rule_index, term.to_string()));
    };
    for &(text, folded) in texts {
        for hit in rules.gazetteer.find(text, folded) {
            // The matched words folded, as `fold_str` of the original would give.
            add(*hit.target, &folded.text[hit.folded]);
        }
    }
    for (entity, rule) in &rules.entity_terms {
        if let Some(found) = entities.iter().find(|e| e.id.as_deref() == Some(entity)) {
            add(*rule, &format!("@{entity} ({})", found.name));
        }
    }
    let mut out: Vec<Category> = fired
        .into_iter()
        .filter(|(_, (score, _))| *score >= THRESHOLD)
        .map(|(id, (score, rules))| Category {
            id: id.to_string(),
            score,
            rules,
        })
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(String, u32)> {
        let folded = Folded::new(text);
        categorize(text, &folded, &[], &Rules::builtin())
            .into_iter()
            .map(|c| (c.id, c.score))
            .collect()
    }

    #[test]
    fn rules_fire_in_several_languages() {
        assert_eq!(
            ids("Les terroristes ont commis un attentat."),
            vec![("terrorism".into(), 4)]
        );
        assert_eq!(
            ids("تصاعد الإرهاب والمتطرفين"),
            vec![("terrorism".into(), 4)]
        );
        assert_eq!(
            ids("Ransomware hit hospital networks; hackers demanded money."),
            vec![("cybersecurity".into(), 4)]
        );
    }

    #[test]
    fn one_word_repeated_is_not_a_topic() {
        assert!(ids("terrorism, terrorism, terrorism").is_empty());
    }

    #[test]
    fn each_category_names_the_rules_that_fired() {
        let text = "ISIS militants";
        let folded = Folded::new(text);
        let entities = vec![Entity {
            id: Some("Q2429253".into()),
            name: "Islamic State".into(),
            kind: newsflow_core::contracts::EntityType::Organization,
            candidate: false,
            part_of: None,
            mentions: vec![],
        }];
        let found = categorize(text, &folded, &entities, &Rules::builtin());
        assert_eq!(found[0].id, "terrorism");
        assert_eq!(
            found[0].rules,
            ["terrorism.groups: @Q2429253 (Islamic State)"]
        );
    }

    #[test]
    fn bad_rules_are_reported() {
        assert!(Rules::parse("x\ty\tmany\tz").is_err());
    }
}
