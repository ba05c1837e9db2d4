//! Page debris left in plain text by crawlers: menu words, subscription
//! prompts, "Related Articles" trailers and promotional testimonials.

use std::sync::LazyLock;

use regex::Regex;

/// Lines that are page furniture when they stand alone.
const CHROME_LINES: &[&str] = &[
    "search",
    "close",
    "menu",
    "subscriber+",
    "subscribe",
    "subscribe now",
    "sign in",
    "log in",
    "login",
    "sign up",
    "register",
    "share",
    "share this article",
    "share this",
    "print",
    "email",
    "comments",
    "advertisement",
    "advertising",
    "skip to content",
    "skip to main content",
    "read more",
    "more",
    "back to top",
    "follow us",
    "newsletter",
    "home",
    "accept",
    "cookies",
    "rechercher",
    "fermer",
    "partager",
    "publicité",
    "abonnez-vous",
    "s'abonner",
    "suchen",
    "schließen",
    "teilen",
    "anzeige",
    "werbung",
    "buscar",
    "cerrar",
    "compartir",
    "publicidad",
    "بحث",
    "إغلاق",
    "اغلاق",
    "شارك",
    "مشاركة",
    "إعلان",
    "اشترك",
];

/// A line from which the rest of the text is a list of other articles.
const TRAILER_LINES: &[&str] = &[
    "related articles",
    "related",
    "related stories",
    "read more",
    "more from",
    "recommended",
    "you may also like",
    "most read",
    "articles liés",
    "à lire aussi",
    "lire aussi",
    "weitere artikel",
    "mehr zum thema",
    "artículos relacionados",
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "مقالات ذات صلة",
];

/// Punctuation ignored at the end of a listed line.
const LINE_END: [char; 3] = [':', '.', '…'];

/// Bytes of the longest line of [`CHROME_LINES`] and [`TRAILER_LINES`].
const LONGEST_LISTED: usize = {
    let mut longest = 0;
    let lists: [&[&str]; 2] = [CHROME_LINES, TRAILER_LINES];
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            if lists[l][i].len() > longest {
                longest = lists[l][i].len();
            }
            i += 1;
        }
        l += 1;
    }
    longest
};

/// Subscription and promotion prompts inside a line.
static PROMO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)subscriber\+|subscribe now|subscribe today|sign up for (?:our|the) newsletter|by becoming a .{0,40}(?:subscriber|member)|abonnez-vous|jetzt abonnieren|suscríbete")
        .expect("valid regex")
});

/// A testimonial: a whole quotation followed by a dash and its source.
static TESTIMONIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^["“«„][^"”»“]{10,}["”»“]\s*[-—–]\s*\S.{0,80}$"#).expect("valid regex")
});

/// A URL slug left on its own line (`nov-13-paris-attacks`).
static SLUG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]+(?:-[a-z0-9]+){2,}$").expect("valid regex"));

/// Removes debris lines from `text`; keeps the other lines as they were.
pub fn clean_debris(text: &str) -> String {
    let lines: Vec<&str> = newsflow_core::text::lines(text).collect();
    let content_lines = lines.iter().filter(|l| !l.trim().is_empty()).count();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut seen = 0;
    // Where prompts start, found in one pass over the text rather than a
    // search per line: a prompt never spans lines.
    let mut promos = PROMO.find_iter(text).map(|m| m.start()).peekable();
    for line in &lines {
        let line_start = line.as_ptr() as usize - text.as_ptr() as usize;
        let line_end = line_start + line.len();
        while promos.next_if(|&at| at < line_start).is_some() {}
        let has_promo = promos.peek().is_some_and(|&at| at < line_end);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            kept.push(line);
            continue;
        }
        seen += 1;
        // Lower case never shrinks a character to less than a third of its
        // bytes (`K`, the Kelvin sign, is three bytes; `k` one): a longer
        // line is none of the listed ones, and is not lower-cased for nothing.
        let core = trimmed.trim_end_matches(LINE_END);
        let lower = if core.len() <= 3 * LONGEST_LISTED {
            trimmed.to_lowercase()
        } else {
            String::new()
        };
        let lower = lower.trim_end_matches(LINE_END);
        // A trailer in the second half of the text ends the article.
        if TRAILER_LINES.contains(&lower) && seen * 2 > content_lines {
            break;
        }
        if CHROME_LINES.contains(&lower)
            || TRAILER_LINES.contains(&lower)
            || has_promo
            // The first character tells most lines from a testimonial or a slug.
            || (trimmed.starts_with(['"', '“', '«', '„']) && TESTIMONIAL.is_match(trimmed))
            || (trimmed.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && SLUG.is_match(trimmed))
        {
            continue;
        }
        kept.push(line);
    }
    kept.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_menu_words_prompts_trailers_and_testimonials() {
        let text = "Subscriber+\nSearch\nClose\nnov-13-paris-attacks\nHeadline here\n\nFirst paragraph of the story.\n\
            “The best outlet there is, by far.” —Sept. 2018, Some Review\n\
            Access all of it by becoming a Brief Subscriber+ Member.\n\
            Second paragraph.\nThird paragraph.\n\nRelated Articles\n\nAnother story?\nSearch\nClose";
        assert_eq!(
            clean_debris(text),
            "Headline here\n\nFirst paragraph of the story.\nSecond paragraph.\nThird paragraph.\n"
        );
    }

    #[test]
    fn keeps_quotes_inside_the_story() {
        let text = "\"We will rebuild,\" the mayor said on Friday.\nSearch parties went out.";
        assert_eq!(clean_debris(text), text);
    }
}
