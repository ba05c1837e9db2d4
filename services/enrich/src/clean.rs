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
    let lines: Vec<&str> = text.lines().collect();
    let content_lines = lines.iter().filter(|l| !l.trim().is_empty()).count();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut seen = 0;
    for line in &lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            kept.push(line);
            continue;
        }
        seen += 1;
        let lower = trimmed.to_lowercase();
        let lower = lower.trim_end_matches([':', '.', '…']);
        // A trailer in the second half of the text ends the article.
        if TRAILER_LINES.contains(&lower) && seen * 2 > content_lines {
            break;
        }
        if CHROME_LINES.contains(&lower)
            || TRAILER_LINES.contains(&lower)
            || PROMO.is_match(trimmed)
            || TESTIMONIAL.is_match(trimmed)
            || SLUG.is_match(trimmed)
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
