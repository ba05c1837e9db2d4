//! Sentences, the lead summary and the reading time.

/// Words read per minute by an average adult reader of news.
const WORDS_PER_MINUTE: usize = 230;

/// Abbreviations after which a period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "sgt", "gov", "sen", "rep", "prof", "jr",
    "sr", "inc", "ltd", "co", "corp", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "m", "mme", "mlle", "dept", "approx", "bzw", "sra", "av",
];

/// Splits `text` into sentences (byte ranges): at `.`, `!`, `?`, `؟`, `。`
/// followed by a space and a sentence start, and at line ends.
pub fn sentences(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for (line_start, line) in newsflow_core::text::line_ranges(text) {
        let mut start = 0;
        // Sentence ends are found by their bytes: most text has none, and
        // decoding every character to look costs more.
        let bytes = line.as_bytes();
        let mut from = 0;
        while let Some(next) = bytes[from..]
            .iter()
            .position(|&byte| MAY_END_SENTENCE[usize::from(byte)])
        {
            let mut i = from + next;
            from = i + 1;
            let c = match bytes[i] {
                b'.' | b'!' | b'?' => char::from(bytes[i]),
                // `؟` is found by its second byte: its first one starts
                // half the letters of Arabic text.
                0x9F if i > 0 && bytes[i - 1] == 0xD8 => {
                    i -= 1;
                    '؟'
                }
                0xE2 if bytes[i..].starts_with("…".as_bytes()) => '…',
                0xE3 if bytes[i..].starts_with("。".as_bytes()) => '。',
                _ => continue,
            };
            let end = i + c.len_utf8();
            // Closing quotes and brackets stay with their sentence.
            let mut after = line[end..]
                .char_indices()
                .map(|(k, a)| (end + k, a))
                .skip_while(|&(_, a)| matches!(a, '"' | '”' | '’' | '»' | ')' | '\''));
            let next = after.next();
            let following = after.next().map(|(_, a)| a);
            let end = next.map_or(line.len(), |(b, _)| b).max(end);
            let next_starts = match next {
                None => true,
                Some((_, n)) if n.is_whitespace() => following.is_some_and(|a| !a.is_lowercase()),
                _ => c == '。',
            };
            let before_digit = following.is_some_and(|a| a.is_ascii_digit());
            if !next_starts || (c == '.' && is_abbreviation(&line[start..i], before_digit)) {
                continue;
            }
            push_trimmed(&mut out, line, line_start, start, end);
            start = end;
        }
        push_trimmed(&mut out, line, line_start, start, line.len());
    }
    out
}

/// Bytes that may be or end a sentence end's character: `.`, `!`, `?`, the
/// second byte of `؟` and the first bytes of `…` and `。`.
const MAY_END_SENTENCE: [bool; 256] = {
    let mut table = [false; 256];
    table[b'.' as usize] = true;
    table[b'!' as usize] = true;
    table[b'?' as usize] = true;
    table[0x9F] = true;
    table[0xE2] = true;
    table[0xE3] = true;
    table
};

fn push_trimmed(
    out: &mut Vec<std::ops::Range<usize>>,
    line: &str,
    base: usize,
    start: usize,
    end: usize,
) {
    let piece = &line[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if !trimmed.is_empty() {
        out.push(base + start + lead..base + start + lead + trimmed.len());
    }
}

fn is_abbreviation(before: &str, before_digit: bool) -> bool {
    let word = before
        .rsplit(|c: char| !newsflow_core::chars::is_alphanumeric(c) && c != '.')
        .next()
        .unwrap_or("");
    let last = word.rsplit('.').next().unwrap_or(word);
    // Single letters (`U.S.`, `J. Doe`) and listed abbreviations.
    last.chars().count() == 1 && last.chars().all(char::is_uppercase)
        || ABBREVIATIONS.contains(&newsflow_core::chars::to_lowercase(last).as_ref())
        || before_digit && NUMBERED.contains(&newsflow_core::chars::to_lowercase(last).as_ref())
}

/// Abbreviations that stand before a number (`No. 5`, `Vol. 62`).
const NUMBERED: &[&str] = &["no", "vol", "art", "nr", "fig", "p", "pp"];

/// The first two sentences of at least five words: the lead.
pub fn summary(text: &str) -> Option<String> {
    summary_of(text, &sentences(text))
}

/// [`summary`] with the sentences of `text` already split.
pub fn summary_of(text: &str, sentences: &[std::ops::Range<usize>]) -> Option<String> {
    let lead: Vec<&str> = sentences
        .iter()
        .map(|r| &text[r.clone()])
        .filter(|s| s.split_whitespace().count() >= 5)
        .take(2)
        .collect();
    (!lead.is_empty()).then(|| lead.join(" "))
}

/// Seconds an average reader needs for `words` words.
pub fn reading_time_seconds(words: usize) -> u32 {
    (words * 60).div_ceil(WORDS_PER_MINUTE) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn splits_sentences_but_not_abbreviations() {
        assert_eq!(
            split("Mr. Smith went to the U.S. on Monday. He said: \"No.\" Then he left!\nNew line"),
            [
                "Mr. Smith went to the U.S. on Monday.",
                "He said: \"No.\"",
                "Then he left!",
                "New line"
            ]
        );
        assert_eq!(split("قال كلابر. وأضاف أن"), ["قال كلابر.", "وأضاف أن"]);
        assert_eq!(
            split("هل قال؟ نعم… Да. 是。好"),
            ["هل قال؟", "نعم…", "Да.", "是。", "好"]
        );
        assert_eq!(split("؟ قال"), ["؟", "قال"]);
    }

    #[test]
    fn the_summary_is_the_first_two_real_sentences() {
        let text = "nov-13-paris-attacks\nFollowing are points from a CNN article: one. The officials said this on Monday again. A third sentence here is long.";
        assert_eq!(
            summary(text).as_deref(),
            Some(
                "Following are points from a CNN article: one. The officials said this on Monday again."
            )
        );
        assert_eq!(summary("Too short."), None);
    }

    #[test]
    fn reading_time_rounds_up() {
        assert_eq!(reading_time_seconds(0), 0);
        assert_eq!(reading_time_seconds(230), 60);
        assert_eq!(reading_time_seconds(231), 61);
    }
}
