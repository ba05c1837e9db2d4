//! Team line-ups: a paragraph of players' names between dashes and commas,
//! substitutes in brackets with their minute
//! (`Müller - Mauksch - Schößler, Wagenhaus - Hauptmann, Pilz (80. Kern)`).
//!
//! Sports pages print one for each team of a match. A tagger reading words
//! in context finds few names there, since a line-up has no context: it is
//! surnames and punctuation only. The shape of the line is the evidence.

use std::ops::Range;

/// Most capitalized words of one player's name (`Pieter Willem Botha`).
const MAX_NAME_WORDS: usize = 3;

/// Fewest names a line-up has (a handball or basketball five plus one).
const MIN_NAMES: usize = 6;

/// Fewest dashes standing alone between names (goalkeeper - defence -
/// midfield - attack).
const MIN_DASHES: usize = 2;

/// Most words of a line-up that are neither names, numbers nor punctuation
/// (a team's name, `inicial`), as a share of its words.
const MAX_OTHER_SHARE: f64 = 0.1;

/// Lower-case words inside a player's name (`van der Vaart`, `De Wilde`).
const NAME_PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "dos", "ter", "ten", "le",
    "la",
];

/// The byte ranges of the names in the line-ups of `text`: each run of
/// capitalized words between punctuation and numbers, in every line that
/// has the shape of a line-up. Other lines give nothing.
pub fn names(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (line_start, line) in newsflow_core::text::line_ranges(text) {
        names_in_line(line, line_start, &mut out);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Word {
    /// A capitalized word (`Schößler`, `Mayer-Vorfelder`, `O'Callaghan`).
    Name,
    /// A particle inside a name (`van`).
    Particle,
    /// A number (`80.`, `15`).
    Number,
    /// A match's score (`1:0`).
    Score,
    /// Punctuation alone; `dash` when it is a dash.
    Punctuation {
        dash: bool,
    },
    Other,
}

fn names_in_line(line: &str, line_start: usize, out: &mut Vec<Range<usize>>) {
    // Most lines of news have no dash standing alone: they are given up
    // before their words are classified (an eighth of enrichment's work
    // when every line was).
    if standalone_dashes(line) < MIN_DASHES {
        return;
    }
    // Each word: its class, the byte range of its core (without the
    // brackets and punctuation around it), and whether punctuation
    // follows it (which ends a name).
    let words: Vec<(Word, Range<usize>, bool)> = split_words(line)
        .map(|(at, word)| {
            let core = word.trim_start_matches(['(', '"', '„', '“', '«', '[']);
            let core_start = at + word.len() - core.len();
            let core = core.trim_end_matches([',', ';', ':', '.', ')', '"', '“', '”', '»', ']']);
            let punctuation_after = core_start + core.len() < at + word.len();
            (
                classify(word, core),
                core_start..core_start + core.len(),
                punctuation_after,
            )
        })
        .collect();
    let count = |wanted: fn(Word) -> bool| words.iter().filter(|(w, ..)| wanted(*w)).count();
    let dashes = count(|w| w == Word::Punctuation { dash: true });
    let others = count(|w| w == Word::Other);
    // Results (`Aston Villa - FC Southampton 1:1, Blackburn Rovers -
    // Manchester City 1:0`) pair teams with dashes too.
    let scores = count(|w| w == Word::Score);
    if scores >= 2 || dashes < MIN_DASHES || others as f64 > MAX_OTHER_SHARE * words.len() as f64 {
        return;
    }
    // Runs of capitalized words, each with how many names it holds.
    let mut runs: Vec<(Range<usize>, usize)> = Vec::new();
    let mut run: Option<(Range<usize>, usize)> = None;
    for (i, (word, core, punctuation_after)) in words.iter().enumerate() {
        let continues = match word {
            Word::Name => true,
            // A particle between two names of one run.
            Word::Particle => {
                run.is_some()
                    && !punctuation_after
                    && words.get(i + 1).is_some_and(|(w, ..)| *w == Word::Name)
            }
            _ => false,
        };
        if !continues {
            runs.extend(run.take());
            continue;
        }
        let (range, names) = run.get_or_insert((core.clone(), 0));
        range.end = core.end;
        *names += usize::from(*word == Word::Name);
        if *punctuation_after {
            runs.extend(run.take());
        }
    }
    runs.extend(run);
    // A player is named by at most three words; a longer run is a
    // headline in title case (`Woman Killed In Queens Hit - And - Run`).
    if runs.len() < MIN_NAMES || runs.iter().any(|(_, names)| *names > MAX_NAME_WORDS) {
        return;
    }
    out.extend(
        runs.into_iter()
            .map(|(range, _)| line_start + range.start..line_start + range.end),
    );
}

/// How many words of `line` are a dash alone (`-`, `–`, `—`): the words
/// [`classify`] calls dashes, counted without splitting the line.
fn standalone_dashes(line: &str) -> usize {
    // Dashes are found by their bytes: decoding every character of every
    // line to look for them costs more.
    let bytes = line.as_bytes();
    let mut count = 0;
    for at in memchr::memchr2_iter(b'-', 0xE2, bytes) {
        let len = match bytes[at] {
            b'-' => 1,
            0xE2 if bytes[at..].starts_with("–".as_bytes())
                || bytes[at..].starts_with("—".as_bytes()) =>
            {
                3
            }
            _ => continue,
        };
        let before = line[..at].chars().next_back();
        let after = line[at + len..].chars().next();
        count += usize::from(
            before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace),
        );
    }
    count
}

/// The words of `line` split at whitespace, each with its byte offset.
fn split_words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    line.split(char::is_whitespace)
        .scan(0, |offset, word| {
            let at = *offset;
            *offset += word.len() + 1;
            Some((at, word))
        })
        .filter(|(_, word)| !word.is_empty())
}

fn classify(word: &str, core: &str) -> Word {
    if !core.chars().any(char::is_alphanumeric) {
        return Word::Punctuation {
            dash: matches!(word, "-" | "–" | "—"),
        };
    }
    if core.starts_with(|c: char| c.is_ascii_digit()) {
        return if !core
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '+' | '\''))
        {
            Word::Other
        } else if core.contains(':') {
            Word::Score
        } else {
            Word::Number
        };
    }
    if NAME_PARTICLES.contains(&core) {
        return Word::Particle;
    }
    let letters = core.chars().filter(|c| c.is_alphabetic()).count();
    let capitalized = core.chars().next().is_some_and(char::is_uppercase);
    // All capitals (`SOCCER`, `CRICKET`) are a headline's words, not a
    // player's name.
    let shouting = letters > 1 && !core.chars().any(char::is_lowercase);
    let name_chars = core
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’'));
    if capitalized && !shouting && name_chars {
        Word::Name
    } else {
        Word::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        names(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn every_player_of_a_line_up_is_a_name() {
        let text = "Bochum gewann knapp.\nMüller - Mauksch - Schößler, Wagenhaus - Hauptmann, \
                    Pilz, Zander, Stevic (80. Gütschow), Kmetsch - Jähnig, Rath (80. Kern).";
        assert_eq!(
            found(text),
            [
                "Müller",
                "Mauksch",
                "Schößler",
                "Wagenhaus",
                "Hauptmann",
                "Pilz",
                "Zander",
                "Stevic",
                "Gütschow",
                "Kmetsch",
                "Jähnig",
                "Rath",
                "Kern"
            ]
        );
    }

    #[test]
    fn full_names_with_particles_and_shirt_numbers_are_one_name_each() {
        let text = "Belgium - 1 - Filip De Wilde, 2 - Bertrand Crasson, 3 - Dirk Medved, \
                    4 - Pascal Renier, 16 - Geoffrey Claeys, 6 - Gunther Schepens \
                    (15 - Nico van Kerckhoven, 81st)";
        let names = found(text);
        assert!(names.contains(&"Filip De Wilde"), "{names:?}");
        assert!(names.contains(&"Nico van Kerckhoven"), "{names:?}");
        assert!(names.contains(&"Gunther Schepens"), "{names:?}");
    }

    #[test]
    fn dashes_alone_are_counted_as_the_words_split_at_whitespace_give_them() {
        assert_eq!(standalone_dashes("Müller - Mauksch – Schößler — Pilz"), 3);
        assert_eq!(standalone_dashes("- a five-year-old -"), 2);
        assert_eq!(standalone_dashes("a -- b -x y- z"), 0);
        // Any white space, as `split_words` takes it (no-break space, tab).
        assert_eq!(standalone_dashes("Kern\u{a0}-\u{a0}Rath\t-\tPilz"), 2);
        for line in [
            "Müller - Mauksch - Schößler, Wagenhaus - Hauptmann",
            "a -- b -x y- z - w",
            "Kern\u{a0}-\u{a0}Rath\t—\tPilz – ",
        ] {
            let by_words = split_words(line)
                .filter(|(_, word)| matches!(*word, "-" | "–" | "—"))
                .count();
            assert_eq!(standalone_dashes(line), by_words, "{line}");
        }
    }

    #[test]
    fn prose_and_headlines_are_no_line_ups() {
        // Names in a sentence: no dashes, words between them.
        assert!(
            found("Merkel, Macron, Scholz, Sánchez, Meloni und Tusk trafen sich in Brüssel.")
                .is_empty()
        );
        // A headline in capitals with dashes.
        assert!(
            found("SOCCER - SHEARER NAMED AS ENGLAND CAPTAIN - ROMANIA BEAT LITHUANIA - REPORT")
                .is_empty()
        );
        // Results: teams, not players.
        assert!(found(
            "Austria Wien - Austria Salzburg 3:2, Sturm Graz - Admira Wacker 0:0, Rapid Wien - Linzer Athletik 1:1."
        )
        .is_empty());
        // A headline in title case.
        assert!(
            found(
                "Woman Killed In Queens Hit - And - Run, Driver Charged By Police, Officials Say"
            )
            .is_empty()
        );
        // Too few names.
        assert!(found("Berlin - Hamburg - München").is_empty());
        // Dashes, but a sentence's words between the names.
        assert!(found(
            "Die Minister Müller - er kam spät - und Schmidt - sie sprach zuerst - trafen Meier, Lehmann, Koch und Wagner."
        )
        .is_empty());
    }
}
