//! HTML pages: main text, title, authors, dates, canonical URL, site name and
//! language, from the markup and its JSON-LD / OpenGraph metadata.
//!
//! The main text comes from dom_smoothie (a port of Mozilla's Readability):
//! boilerplate such as navigation, cookie banners and "most read" boxes is
//! scored away rather than listed by hand. When it finds no article (a page
//! that is not one), the core crate's linear text pass is the fallback.

use dom_smoothie::{Config, Readability, TextMode};
use newsflow_core::text::{collapse_whitespace, html_to_text, tidy_lines};

/// Elements that are never the article.
const BOILERPLATE: &str = "nav, footer, aside, form, button, noscript, iframe, \
    [class*=cookie], [id*=cookie], [class*=consent], [id*=consent], [class*=newsletter], \
    [class*=subscribe], [class*=paywall], [class*=promo], [class*=share], [class*=social], \
    [class*=related], [class*=breadcrumb], [class*=popup], [class*=modal], [class*=banner], \
    [class*=advert], [id*=advert]";

/// What a page says about itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Page {
    /// Main text, one paragraph a line.
    pub text: String,
    /// The page's `<title>`.
    pub title: Option<String>,
    /// The article's headline (JSON-LD / OpenGraph), when it differs from the `<title>`.
    pub headline: Option<String>,
    pub authors: Vec<String>,
    /// Publication time as the page states it (`article:published_time`, JSON-LD `datePublished`).
    pub published: Option<String>,
    pub canonical_url: Option<String>,
    pub site_name: Option<String>,
    /// The `lang` attribute of `<html>`.
    pub lang: Option<String>,
}

/// Extracts a page. `url` is the page's address, used to resolve relative links.
pub fn extract(html: &str, url: Option<&str>) -> Page {
    let document = dom_query::Document::from(html);
    let canonical_url = document
        .select(r#"link[rel="canonical"]"#)
        .attr("href")
        .map(|href| href.trim().to_string())
        .filter(|href| !href.is_empty());
    let title = document.select("head title").first().text().to_string();
    let title = Some(collapse_whitespace(&title)).filter(|t| !t.is_empty());
    let lang = document
        .select("html")
        .attr("lang")
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty());
    let json_ld = JsonLd::from_document(&document);
    // Page furniture that readability scoring can keep on short pages: removed
    // before scoring, by element and by the usual class and id words.
    document.select(BOILERPLATE).remove();
    let config = Config {
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let url = url.filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let article =
        Readability::with_document(document, url, Some(config)).and_then(|mut r| r.parse());
    let Ok(article) = article else {
        let fallback = html_to_text(html);
        return Page {
            text: fallback.text,
            title: fallback.title.or(title),
            lang: fallback.lang.or(lang),
            canonical_url,
            authors: json_ld.authors,
            published: json_ld.published,
            site_name: json_ld.publisher,
            ..Page::default()
        };
    };
    let headline = Some(collapse_whitespace(&article.title))
        .filter(|h| !h.is_empty() && Some(h) != title.as_ref());
    Page {
        text: tidy_lines(&article.text_content),
        title: title.or_else(|| headline.clone()),
        headline,
        authors: article
            .byline
            .as_deref()
            .map(split_byline)
            .filter(|a| !a.is_empty())
            .unwrap_or(json_ld.authors),
        published: article
            .published_time
            .filter(|t| !t.trim().is_empty())
            .or(json_ld.published),
        canonical_url: canonical_url.or(article.url),
        site_name: article
            .site_name
            .filter(|s| !s.trim().is_empty())
            .or(json_ld.publisher),
        lang: lang.or(article.lang),
    }
}

/// What the page's JSON-LD says, read directly: dom_smoothie only reads
/// JSON-LD that declares a schema.org `@context`, and many pages omit it.
#[derive(Debug, Default)]
struct JsonLd {
    authors: Vec<String>,
    published: Option<String>,
    publisher: Option<String>,
}

impl JsonLd {
    fn from_document(document: &dom_query::Document) -> Self {
        let mut out = Self::default();
        for script in document
            .select(r#"script[type="application/ld+json"]"#)
            .iter()
        {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&script.text()) else {
                continue;
            };
            let items = match &value {
                serde_json::Value::Array(items) => items.clone(),
                v => v["@graph"]
                    .as_array()
                    .cloned()
                    .unwrap_or_else(|| vec![v.clone()]),
            };
            for item in items
                .iter()
                .filter(|i| i.get("datePublished").is_some() || i.get("author").is_some())
            {
                if out.authors.is_empty() {
                    out.authors = names(&item["author"]);
                }
                if out.published.is_none() {
                    out.published = item["datePublished"].as_str().map(str::to_string);
                }
                if out.publisher.is_none() {
                    out.publisher = names(&item["publisher"]).into_iter().next();
                }
            }
        }
        out
    }
}

/// Names of a JSON-LD person or organization: a string, an object with
/// `name`, or a list of either.
fn names(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => split_byline(s),
        serde_json::Value::Object(o) => o
            .get("name")
            .and_then(|n| n.as_str())
            .map(|n| vec![n.trim().to_string()])
            .unwrap_or_default(),
        serde_json::Value::Array(items) => items.iter().flat_map(names).collect(),
        _ => Vec::new(),
    }
}

/// `By Jane Doe and John Roe, Staff` → the names.
fn split_byline(byline: &str) -> Vec<String> {
    let byline = byline.trim();
    let byline = ["By ", "by ", "Par ", "par ", "Von ", "Por "]
        .iter()
        .find_map(|p| byline.strip_prefix(p))
        .unwrap_or(byline);
    byline
        .split([',', '&', ';'])
        .flat_map(|part| part.split(" and "))
        .map(str::trim)
        .filter(|name| !name.is_empty() && name.chars().count() <= 60)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en"><head>
        <title>Floods close the valley road | Valley News</title>
        <link rel="canonical" href="https://valley.test/news/floods">
        <meta property="og:site_name" content="Valley News">
        <meta property="article:published_time" content="2025-02-03T07:45:00Z">
        <script type="application/ld+json">{"@type":"NewsArticle","headline":"Floods close the valley road","author":{"@type":"Person","name":"Ana Lima"}}</script>
        </head><body>
        <nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
        <div class="cookie-banner">We use cookies. <button>OK</button></div>
        <article><h1>Floods close the valley road</h1>
        <p>Heavy rain on Sunday flooded the only road into the valley, cutting off three villages for most of the day while crews cleared mud and fallen trees.</p>
        <p>The regional council said the road would reopen on Monday morning once engineers had checked the bridge near the old mill for damage.</p>
        <p>Residents were asked to stay at home and to call the emergency number only in case of danger to life.</p>
        </article>
        <aside><h3>Most read</h3><ul><li>Cup final tickets</li></ul></aside>
        <footer>© Valley News</footer></body></html>"#;

    #[test]
    fn extracts_the_article_and_its_metadata() {
        let page = extract(PAGE, Some("https://valley.test/news/floods?utm=x"));
        assert!(
            page.text.contains("cutting off three villages"),
            "{}",
            page.text
        );
        assert!(!page.text.contains("cookies"), "{}", page.text);
        assert!(!page.text.contains("Most read"), "{}", page.text);
        assert!(!page.text.contains("Sport"), "{}", page.text);
        assert_eq!(
            page.title.as_deref(),
            Some("Floods close the valley road | Valley News")
        );
        assert_eq!(
            page.headline.as_deref(),
            Some("Floods close the valley road")
        );
        assert_eq!(page.authors, ["Ana Lima"]);
        assert_eq!(page.published.as_deref(), Some("2025-02-03T07:45:00Z"));
        assert_eq!(
            page.canonical_url.as_deref(),
            Some("https://valley.test/news/floods")
        );
        assert_eq!(page.site_name.as_deref(), Some("Valley News"));
        assert_eq!(page.lang.as_deref(), Some("en"));
    }

    #[test]
    fn bylines_are_split_into_names() {
        assert_eq!(
            split_byline("By Jane Doe and John Roe"),
            ["Jane Doe", "John Roe"]
        );
        assert_eq!(
            split_byline("Ana Lima, Sam Okafor"),
            ["Ana Lima", "Sam Okafor"]
        );
    }

    #[test]
    fn a_page_without_an_article_still_gives_its_text() {
        let page = extract("<html><body><p>Short.</p></body></html>", None);
        assert_eq!(page.text, "Short.");
    }
}
