//! The one HTML path: every stage that needs the text of a page gets it here.
//!
//! A page is parsed once by html5ever (through `dom_query`), which also
//! decodes every character reference. Page furniture is removed by the words
//! of its `class` and `id` (never by substrings, never an element holding
//! most of the page's paragraphs), then Readability scoring (`dom_smoothie`)
//! picks the article's container. A page without one, or too deep or too
//! large to score in bounded time, gives the visible text of its body.
//!
//! Metadata comes from the same parse: the headline without the site's name
//! (JSON-LD, OpenGraph, `<h1>`, `<title>`), authors split only between
//! person names, and every publication time the page states, most trusted
//! first, for the reader to parse and validate.
//!
//! langid runs [`attach_page`] once and carries the result to the later
//! stages in the staged article, so every stage sees the same text.

use std::cell::RefCell;

use dom_query::{Document, NodeRef};
use dom_smoothie::{Config, Readability, TextMode};
use html5ever::TokenizerResult;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde_json::Value;

use crate::contracts::{ExtractedPage, ExtractionMethod, StagedArticle};
use crate::text::{collapse_whitespace, tidy_lines};

/// Bounds on the work one page may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HtmlLimits {
    /// Deepest element nesting scored by Readability; deeper pages give their
    /// body text (scoring cost grows with depth times size).
    pub max_depth: usize,
    /// Most elements scored by Readability; larger pages give their body text.
    pub max_elements: usize,
    /// Longest main text kept, in bytes; the rest is cut at a line break.
    pub max_text_bytes: usize,
}

impl Default for HtmlLimits {
    fn default() -> Self {
        Self {
            max_depth: 256,
            max_elements: 100_000,
            max_text_bytes: 1024 * 1024,
        }
    }
}

/// Elements whose content is never text a reader sees.
const INVISIBLE: &[&str] = &[
    "head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas",
    "select", "button", "input", "textarea", "option",
];

/// Page furniture by element name (removed under the same guard as by class).
const FURNITURE_ELEMENTS: &[&str] = &["nav", "aside", "footer", "form", "dialog"];

/// Words of a `class` or `id` that mark page furniture. Whole words only:
/// `share-bar` and `shareBar` match `share`, `subtype-unsubscribed` does not
/// match `subscribe`.
const FURNITURE_WORDS: &[&str] = &[
    "ad",
    "ads",
    "adslot",
    "advert",
    "advertisement",
    "banner",
    "breadcrumb",
    "breadcrumbs",
    "comment",
    "comments",
    "consent",
    "cookie",
    "cookies",
    "gdpr",
    "menu",
    "modal",
    "navbar",
    "newsletter",
    "outbrain",
    "paywall",
    "popup",
    "promo",
    "recommended",
    "related",
    "share",
    "sharing",
    "sidebar",
    "social",
    "sponsored",
    "subscribe",
    "subscription",
    "taboola",
];

/// Elements that end a line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Meta tags (`property`, `name` or `itemprop`) that state the publication
/// time, most trusted first.
const PUBLISHED_META: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "dc.date",
    "date",
];

/// Separators between a headline and the site's name in a title.
const TITLE_SEPARATORS: &[&str] = &[
    " | ", " - ", " – ", " — ", " :: ", " · ", " » ", " « ", " / ",
];

/// Reads the main text and metadata of a page. `url` is the page's address
/// (to resolve links and read a date from the path). Never fails: a page
/// with no text gives an empty `text`, which the caller judges.
pub fn extract(html: &str, url: Option<&str>, limits: &HtmlLimits) -> ExtractedPage {
    // Building the tree costs depth x size (html5ever's scope checks walk
    // the stack of open elements), so the shape is measured on tokens first.
    let shape = Scan::run(html, false);
    if shape.max_depth > limits.max_depth || shape.elements > limits.max_elements {
        let (text, truncated) = cut_at_line(Scan::run(html, true).text, limits.max_text_bytes);
        return ExtractedPage {
            text,
            method: ExtractionMethod::BodyText,
            truncated,
            ..ExtractedPage::default()
        };
    }
    let document = Document::from(html);
    let meta = Metadata::read(&document, url);
    remove_furniture(&document);
    let mut readability_title = None;
    let mut byline = None;
    let (text, method) = match read_article(document, url) {
        Some(article) => {
            readability_title = Some(collapse_whitespace(&article.title));
            byline = article.byline;
            (
                tidy_lines(&article.text_content),
                ExtractionMethod::Readability,
            )
        }
        None => {
            // Readability consumed the document; parse again for the body text.
            let document = Document::from(html);
            remove_furniture(&document);
            (body_text(&document), ExtractionMethod::BodyText)
        }
    };
    let (text, truncated) = cut_at_line(text, limits.max_text_bytes);
    let title = meta.title(readability_title.as_deref());
    let mut authors = meta.json_ld.authors.clone();
    if authors.is_empty() {
        authors = byline
            .as_deref()
            .or(meta.author.as_deref())
            .map(split_byline)
            .unwrap_or_default();
    }
    ExtractedPage {
        text,
        title,
        page_title: meta.page_title.clone(),
        authors,
        published: meta.published(),
        canonical_url: meta.canonical_url.clone(),
        site_name: meta.site_names.first().cloned(),
        lang: meta.lang.clone(),
        method,
        truncated,
    }
}

/// Reads the page of a staged article that carries raw HTML and no usable
/// text into `staged.page`, and drops the HTML from the envelope. langid
/// calls it; later stages call it too, for envelopes written before pages
/// were carried (a no-op otherwise).
pub fn attach_page(staged: &mut StagedArticle, limits: &HtmlLimits) {
    let has_text = staged
        .article
        .text
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty());
    if let Some(html) = staged.article.html.take()
        && !has_text
        && staged.page.is_none()
    {
        staged.page = Some(extract(&html, staged.article.url.as_deref(), limits));
    }
}

/// Raw HTML seen through html5ever's tokenizer alone: linear in the input
/// whatever its nesting. It measures how deep and large the tree would be
/// and, when asked, collects the visible text (for pages too deep or large
/// to build a tree of).
#[derive(Debug, Default)]
struct Scan {
    elements: usize,
    max_depth: usize,
    text: String,
}

/// Elements whose end tag may be left out: not counted as nesting, since a
/// list of a thousand unclosed `<li>` is not a thousand levels deep.
const IMPLIED_END: &[&str] = &[
    "html", "body", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody",
    "thead", "tfoot", "colgroup", "caption", "rb", "rt", "rp",
];

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

struct ScanSink {
    collect_text: bool,
    state: RefCell<ScanState>,
}

#[derive(Default)]
struct ScanState {
    scan: Scan,
    depth: usize,
    /// The depth at which an invisible element opened; its text is skipped.
    hidden_from: Option<usize>,
}

impl Scan {
    fn run(html: &str, collect_text: bool) -> Self {
        let sink = ScanSink {
            collect_text,
            state: RefCell::default(),
        };
        let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from(html));
        // A pause (for a script or a `<meta charset>`) only means "feed again".
        while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
        tokenizer.end();
        let mut scan = tokenizer.sink.state.take().scan;
        scan.text = tidy_lines(&scan.text);
        scan
    }
}

impl TokenSink for ScanSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                let nests =
                    !tag.self_closing && !VOID.contains(&name) && !IMPLIED_END.contains(&name);
                if tag.kind == TagKind::StartTag {
                    state.scan.elements += 1;
                    if name == "body" {
                        state.hidden_from = None;
                    }
                    let hides = left_out_of_body_text(name);
                    if nests {
                        state.depth += 1;
                        state.scan.max_depth = state.scan.max_depth.max(state.depth);
                        if hides && state.hidden_from.is_none() {
                            state.hidden_from = Some(state.depth);
                        }
                    }
                    if self.collect_text && BLOCKS.contains(&name) {
                        state.scan.text.push('\n');
                    }
                    // The tree builder would switch the tokenizer for these; so do we,
                    // so that a `<` inside a script is not read as a tag.
                    return match name {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                            TokenSinkResult::RawData(RawKind::Rawtext)
                        }
                        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                        "plaintext" => TokenSinkResult::Plaintext,
                        _ => TokenSinkResult::Continue,
                    };
                }
                if nests {
                    if state.hidden_from == Some(state.depth) {
                        state.hidden_from = None;
                    }
                    state.depth = state.depth.saturating_sub(1);
                }
                if self.collect_text && BLOCKS.contains(&name) {
                    state.scan.text.push('\n');
                }
            }
            Token::CharacterTokens(text) if self.collect_text && state.hidden_from.is_none() => {
                state.scan.text.push_str(&text);
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn read_article(document: Document, url: Option<&str>) -> Option<dom_smoothie::Article> {
    let config = Config {
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let url = url.filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let article = Readability::with_document(document, url, Some(config))
        .and_then(|mut r| r.parse())
        .ok()?;
    (!article.text_content.trim().is_empty()).then_some(article)
}

/// Removes page furniture, by element name and by the words of `class` and
/// `id`, except elements that hold a large share of the page's paragraph
/// text (the article or one of its ancestors, whatever their class says).
fn remove_furniture(document: &Document) {
    let total = prose_chars(document.root());
    let mut doomed = Vec::new();
    for node in document.root().descendants_it() {
        let Some(name) = node.node_name() else {
            continue;
        };
        if matches!(&*name, "main" | "article" | "body" | "html" | "head") {
            continue;
        }
        let furniture = FURNITURE_ELEMENTS.contains(&&*name)
            || ["class", "id"].iter().any(|attr| {
                node.attr(attr)
                    .is_some_and(|value| has_furniture_word(&value))
            });
        if furniture {
            doomed.push(node);
        }
    }
    for node in doomed {
        // An ancestor already removed took this one with it. An element
        // holding a third of the page's prose or more is the article or
        // surrounds it, whatever its class says.
        if node.parent().is_some() && !holds_the_article(prose_chars(node), total) {
            node.remove_from_parent();
        }
    }
}

/// Whether a `class` or `id` value has a furniture word: split at
/// non-alphanumerics and lower-to-upper case changes.
fn has_furniture_word(value: &str) -> bool {
    let mut word = String::new();
    let mut previous_lower = false;
    let check = |word: &mut String| {
        let found = FURNITURE_WORDS.contains(&word.as_str());
        word.clear();
        found
    };
    for c in value.chars() {
        if !c.is_ascii_alphanumeric() {
            if check(&mut word) {
                return true;
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && check(&mut word) {
            return true;
        }
        previous_lower = c.is_ascii_lowercase();
        word.push(c.to_ascii_lowercase());
    }
    check(&mut word)
}

/// Whether an element with `prose` characters of a page's `total` holds
/// the article: a third of the prose or more, and more than a label's worth.
fn holds_the_article(prose: usize, total: usize) -> bool {
    prose >= MIN_ARTICLE_PROSE && prose * 3 >= total
}

/// Characters of prose below which an element is not taken for the article.
const MIN_ARTICLE_PROSE: usize = 50;

/// Characters of prose under `node`: visible text outside links (link text
/// is what menus, "most read" boxes and footers are made of).
fn prose_chars(node: NodeRef) -> usize {
    let mut chars = 0;
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        if node.is_text() {
            chars += node.text().trim().len();
            continue;
        }
        let name = node.node_name();
        let name = name.as_deref().unwrap_or_default();
        if name == "a" || INVISIBLE.contains(&name) {
            continue;
        }
        stack.extend(node.children_it(false));
    }
    chars
}

/// The visible text of a document: invisible elements and page chrome left
/// out, block elements on their own lines.
pub fn body_text(document: &Document) -> String {
    let body = document.select("body");
    let start = body
        .nodes()
        .first()
        .cloned()
        .unwrap_or_else(|| document.root());
    let mut text = String::new();
    // Visit children in order with an explicit stack; `None` marks the end
    // of a block element.
    let mut stack: Vec<Option<NodeRef>> = vec![Some(start)];
    while let Some(entry) = stack.pop() {
        let Some(node) = entry else {
            text.push('\n');
            continue;
        };
        if node.is_text() {
            text.push_str(&node.text());
            continue;
        }
        let name = node.node_name();
        let name = name.as_deref().unwrap_or_default();
        if left_out_of_body_text(name) {
            continue;
        }
        if BLOCKS.contains(&name) {
            text.push('\n');
            stack.push(None);
        }
        let children: Vec<_> = node.children_it(true).collect();
        stack.extend(children.into_iter().map(Some));
    }
    tidy_lines(&text)
}

/// Elements whose text the body-text reading leaves out: the invisible
/// ones and page chrome.
fn left_out_of_body_text(name: &str) -> bool {
    INVISIBLE.contains(&name) || matches!(name, "nav" | "aside" | "footer")
}

/// Cuts `text` to at most `max_bytes`, at the last line break before the
/// limit (else at a character boundary).
fn cut_at_line(mut text: String, max_bytes: usize) -> (String, bool) {
    if text.len() <= max_bytes {
        return (text, false);
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = text[..end].rfind('\n').unwrap_or(end);
    text.truncate(end);
    (text, true)
}

/// What the head and the structured data of a page say.
#[derive(Debug, Default)]
struct Metadata {
    page_title: Option<String>,
    /// Headlines stated as such: JSON-LD, OpenGraph, Twitter.
    headlines: Vec<String>,
    /// `<h1>` texts (those inside `<article>` or `<main>` first).
    h1s: Vec<String>,
    /// `<h2>` texts.
    h2s: Vec<String>,
    /// The site's names: `og:site_name`, JSON-LD publisher, `application-name`,
    /// then the domain's name.
    site_names: Vec<String>,
    canonical_url: Option<String>,
    lang: Option<String>,
    author: Option<String>,
    /// `<meta>` publication times in [`PUBLISHED_META`] order.
    meta_published: Vec<String>,
    /// `<time datetime>` of the article.
    time_published: Vec<String>,
    /// A day in the page's address (`/2024/01/15/`).
    url_date: Option<String>,
    json_ld: JsonLd,
}

impl Metadata {
    fn read(document: &Document, url: Option<&str>) -> Self {
        let mut meta = Self {
            page_title: non_empty(&document.select("title").first().text()),
            h1s: headings(document, &["article h1, main h1", "h1"]),
            h2s: headings(document, &["h2"]),
            lang: document
                .select("html")
                .attr("lang")
                .and_then(|l| non_empty(&l)),
            canonical_url: document
                .select(r#"link[rel="canonical"]"#)
                .attr("href")
                .and_then(|h| non_empty(&h)),
            json_ld: JsonLd::read(document),
            ..Self::default()
        };
        let mut og_title = None;
        let mut twitter_title = None;
        let mut og_url = None;
        let mut published: Vec<(usize, String)> = Vec::new();
        for node in document.select("meta").nodes() {
            let Some(content) = node.attr("content").and_then(|c| non_empty(&c)) else {
                continue;
            };
            for key in ["property", "name", "itemprop"] {
                let Some(key) = node.attr(key) else {
                    continue;
                };
                let key = key.trim().to_ascii_lowercase();
                match key.as_str() {
                    "og:title" => og_title = Some(content.clone()),
                    "twitter:title" => twitter_title = Some(content.clone()),
                    "og:site_name" | "application-name" => meta.site_names.push(content.clone()),
                    "og:url" => og_url = Some(content.clone()),
                    "author" | "article:author" | "byl" | "dc.creator"
                        if !content.starts_with("http") =>
                    {
                        meta.author.get_or_insert(content.clone());
                    }
                    _ => {
                        if let Some(rank) = PUBLISHED_META.iter().position(|k| *k == key) {
                            published.push((rank, content.clone()));
                        }
                    }
                }
            }
        }
        published.sort_by_key(|(rank, _)| *rank);
        meta.meta_published = published.into_iter().map(|(_, value)| value).collect();
        for node in document
            .select(r#"time[itemprop="datePublished"], time[pubdate], article time[datetime], time[datetime]"#)
            .nodes()
        {
            if let Some(value) = node.attr("datetime").and_then(|v| non_empty(&v)) {
                meta.time_published.push(value);
                break;
            }
        }
        meta.headlines = [meta.json_ld.headline.clone(), og_title, twitter_title]
            .into_iter()
            .flatten()
            .collect();
        if let Some(publisher) = &meta.json_ld.publisher {
            meta.site_names.push(publisher.clone());
        }
        meta.canonical_url = meta.canonical_url.take().or(og_url);
        let address = meta.canonical_url.as_deref().or(url);
        if let Some(host) = address.and_then(host_name) {
            meta.site_names.push(host);
        }
        meta.url_date = address.and_then(date_in_url);
        meta
    }

    /// The headline: stated headlines first; then a heading the `<title>`
    /// repeats (pages put section names and logos in `<h1>` too); then the
    /// scored title, `<h1>` and `<title>`. Each without the site's name
    /// around it, and none that is markup or a page's worth of text (a
    /// `<title>` left open swallows the page).
    fn title(&self, readability_title: Option<&str>) -> Option<String> {
        let page_title = self.page_title.as_deref().map(squash).unwrap_or_default();
        let repeated = self
            .h1s
            .iter()
            .chain(&self.h2s)
            .find(|h| {
                let h = squash(h);
                h.chars().count() >= 12 && page_title.contains(&h)
            })
            .map(String::as_str);
        let h1 = self.h1s.first().map(String::as_str);
        self.headlines
            .iter()
            .map(String::as_str)
            .chain(repeated)
            .chain(readability_title)
            .chain(h1)
            .chain(self.page_title.as_deref())
            .map(|t| strip_site_name(t, &self.site_names, repeated.or(h1)))
            .find(|t| (3..=MAX_TITLE_CHARS).contains(&t.chars().count()) && !t.contains('<'))
    }

    /// Publication times, most trusted first, duplicates removed.
    fn published(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .json_ld
            .published
            .iter()
            .chain(&self.meta_published)
            .chain(&self.time_published)
            .chain(&self.url_date);
        for value in all {
            if !out.contains(value) {
                out.push(value.clone());
            }
        }
        out
    }
}

/// Longest headline taken; longer text is not a title.
const MAX_TITLE_CHARS: usize = 250;

/// The texts of the first few elements each selector matches, in order, once each.
fn headings(document: &Document, selectors: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for selector in selectors {
        for node in document.select(selector).nodes().iter().take(8) {
            if let Some(text) = non_empty(&node.text())
                && !out.contains(&text)
            {
                out.push(text);
            }
        }
    }
    out
}

/// `Floods close the road | Valley News` → `Floods close the road`: drops the
/// parts of a title that name the site, or keeps the part that is the `<h1>`.
fn strip_site_name(title: &str, site_names: &[String], h1: Option<&str>) -> String {
    let title = collapse_whitespace(title);
    let Some(separator) = TITLE_SEPARATORS.iter().find(|s| title.contains(**s)) else {
        return title;
    };
    let parts: Vec<&str> = title.split(separator).map(str::trim).collect();
    if let Some(h1) = h1.map(squash)
        && let Some(part) = parts.iter().find(|p| squash(p) == h1)
    {
        return (*part).to_string();
    }
    let is_site = |part: &str| {
        let part = squash(part);
        part.len() >= 3
            && site_names.iter().any(|name| {
                let name = squash(name);
                !name.is_empty() && (name == part || name.contains(&part) || part.contains(&name))
            })
    };
    let kept: Vec<&str> = parts.iter().copied().filter(|p| !is_site(p)).collect();
    if kept.is_empty() || kept.len() == parts.len() {
        return title;
    }
    kept.join(separator)
}

/// Lower-case letters and digits only, for comparing names.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The name part of a URL's host: `https://www.profootballtalk.nbcsports.com/x`
/// → `profootballtalk.nbcsports`, compared after squashing.
fn host_name(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()?
        .to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let name = host.rsplit_once('.').map_or(host, |(name, _tld)| name);
    (name.len() >= 3).then(|| name.to_string())
}

/// A day written in a URL's path: `/2024/01/15/` or `/2024-01-15`.
fn date_in_url(url: &str) -> Option<String> {
    let path = url.split_once("://").map_or(url, |(_, r)| r);
    let path = path.split_once('/')?.1;
    let numbers: Vec<&str> = path
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    numbers.windows(3).find_map(|w| {
        let (y, m, d) = (w[0], w[1], w[2]);
        let (year, month, day) = (
            y.parse::<u32>().ok()?,
            m.parse::<u32>().ok()?,
            d.parse::<u32>().ok()?,
        );
        (y.len() == 4
            && (1990..=2100).contains(&year)
            && (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && m.len() <= 2
            && d.len() <= 2)
            .then(|| format!("{year:04}-{month:02}-{day:02}"))
    })
}

fn non_empty(s: &str) -> Option<String> {
    let s = collapse_whitespace(s);
    (!s.is_empty()).then_some(s)
}

/// What a page's JSON-LD says about its article.
#[derive(Debug, Default)]
struct JsonLd {
    headline: Option<String>,
    authors: Vec<String>,
    published: Option<String>,
    publisher: Option<String>,
}

impl JsonLd {
    fn read(document: &Document) -> Self {
        let mut out = Self::default();
        for script in document
            .select(r#"script[type="application/ld+json"]"#)
            .nodes()
        {
            let Ok(value) = serde_json::from_str::<Value>(script.text().trim()) else {
                continue;
            };
            let mut items = Vec::new();
            collect_items(&value, &mut items, 0);
            // Articles first: a page's JSON-LD often describes the site too.
            items.sort_by_key(|item| !is_article(item));
            for item in items {
                if out.headline.is_none() {
                    out.headline = item["headline"].as_str().and_then(non_empty);
                }
                if out.authors.is_empty() {
                    out.authors = names(&item["author"]);
                }
                if out.published.is_none() {
                    out.published = item["datePublished"].as_str().and_then(non_empty);
                }
                if out.publisher.is_none() {
                    out.publisher = names(&item["publisher"]).into_iter().next();
                }
            }
        }
        out
    }
}

/// The objects of a JSON-LD value: itself, the items of a list or `@graph`.
fn collect_items<'a>(value: &'a Value, items: &mut Vec<&'a Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match value {
        Value::Array(list) => list.iter().for_each(|v| collect_items(v, items, depth + 1)),
        Value::Object(object) => {
            if let Some(graph) = object.get("@graph") {
                collect_items(graph, items, depth + 1);
            }
            if object.contains_key("headline")
                || object.contains_key("datePublished")
                || object.contains_key("author")
            {
                items.push(value);
            }
        }
        _ => {}
    }
}

fn is_article(item: &Value) -> bool {
    let is = |t: &str| t.contains("Article") || t.contains("Posting") || t == "Report";
    match &item["@type"] {
        Value::String(t) => is(t),
        Value::Array(types) => types.iter().filter_map(Value::as_str).any(is),
        _ => false,
    }
}

/// Names of a JSON-LD person or organization: a string, an object with
/// `name`, or a list of either.
fn names(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => split_byline(s),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .and_then(non_empty)
            .into_iter()
            .collect(),
        Value::Array(items) => items.iter().flat_map(names).collect(),
        _ => Vec::new(),
    }
}

/// Words that introduce a byline.
const BYLINE_PREFIXES: &[&str] = &["by", "par", "von", "por", "door", "di", "da", "av", "af"];
/// Conjunctions between two names.
const NAME_CONJUNCTIONS: &[&str] = &[" and ", " et ", " und ", " y ", " e ", " en ", " i ", " и "];
/// Lower-case words that stand inside person names.
const NAME_PARTICLES: &[&str] = &[
    "al", "bin", "ben", "ibn", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du",
    "el", "la", "le", "st", "ter", "van", "von", "y", "zu",
];

/// `By Jane Doe and John Roe, Nairobi` → `["Jane Doe", "John Roe"]`.
///
/// Splits only between person names: `The Russian and Syrian defense
/// ministries` stays one author; a one-word part beside a person's name (a
/// place, an agency) is dropped.
pub fn split_byline(byline: &str) -> Vec<String> {
    let byline = collapse_whitespace(byline);
    let byline = byline
        .split_once(' ')
        .filter(|(first, _)| BYLINE_PREFIXES.contains(&first.to_lowercase().as_str()))
        .map_or(byline.as_str(), |(_, rest)| rest);
    let mut parts: Vec<String> = Vec::new();
    for chunk in byline.split([',', ';', '|', '/']).map(str::trim) {
        if chunk.is_empty() {
            continue;
        }
        let mut pieces = vec![chunk.to_string()];
        for conjunction in NAME_CONJUNCTIONS.iter().chain(&[" & "]) {
            pieces = pieces
                .iter()
                .flat_map(|p| p.split(conjunction).map(str::trim).map(str::to_string))
                .collect();
        }
        if pieces.len() > 1 && pieces.iter().all(|p| looks_like_person(p)) {
            parts.extend(pieces);
        } else {
            parts.push(chunk.to_string());
        }
    }
    if parts.iter().any(|p| looks_like_person(p)) {
        parts.retain(|p| p.split_whitespace().count() > 1);
    }
    parts.retain(|p| p.chars().count() <= 80);
    parts
}

/// Two to five words, each capitalized (or a name particle), no digits.
fn looks_like_person(name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    (2..=5).contains(&words.len())
        && !name.chars().any(|c| c.is_ascii_digit())
        && words.iter().all(|w| {
            let first = w.chars().next().unwrap_or(' ');
            first.is_uppercase()
                || !first.is_lowercase() && first.is_alphabetic()
                || NAME_PARTICLES.contains(&w.trim_end_matches('-'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en"><head>
        <title>Floods close the valley road | Valley News</title>
        <link rel="canonical" href="https://valley.test/news/2025/02/03/floods">
        <meta property="og:site_name" content="Valley News">
        <meta property="og:title" content="Floods close the valley road | Valley News">
        <meta property="article:published_time" content="2025-02-03T07:45:00Z">
        <script type="application/ld+json">{"@type":"NewsArticle","author":{"@type":"Person","name":"Ana Lima"}}</script>
        </head><body class="modal-enabled subtype-unsubscribed">
        <nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
        <div class="cookie-banner">We use cookies. <button>OK</button></div>
        <form id="aspnetForm"><div class="paywall-article">
        <article><h1>Floods close the valley road</h1>
        <p>Heavy rain on Sunday flooded the only road into the valley, cutting off three villages for most of the day while crews cleared mud and fallen trees.</p>
        <p>The regional council said the road would reopen on Monday morning once engineers had checked the bridge near the old mill for damage.</p>
        <p>Residents were asked to stay at home and to call the emergency number only in case of danger to life &amp; property.</p>
        </article></div></form>
        <aside><h3>Most read</h3><ul><li>Cup final tickets</li></ul></aside>
        <div class="shareBar">Share on social media</div>
        <footer>© Valley News</footer></body></html>"#;

    fn page(html: &str) -> ExtractedPage {
        extract(html, None, &HtmlLimits::default())
    }

    #[test]
    fn extracts_the_article_and_its_metadata() {
        let page = extract(
            PAGE,
            Some("https://valley.test/news/floods?utm=x"),
            &HtmlLimits::default(),
        );
        assert!(
            page.text.contains("cutting off three villages"),
            "{}",
            page.text
        );
        assert!(page.text.contains("life & property"), "{}", page.text);
        for furniture in ["cookies", "Most read", "Sport", "Share on"] {
            assert!(!page.text.contains(furniture), "{furniture}: {}", page.text);
        }
        assert_eq!(page.method, ExtractionMethod::Readability);
        assert_eq!(page.title.as_deref(), Some("Floods close the valley road"));
        assert_eq!(
            page.page_title.as_deref(),
            Some("Floods close the valley road | Valley News")
        );
        assert_eq!(page.authors, ["Ana Lima"]);
        assert_eq!(page.published, ["2025-02-03T07:45:00Z", "2025-02-03"]);
        assert_eq!(
            page.canonical_url.as_deref(),
            Some("https://valley.test/news/2025/02/03/floods")
        );
        assert_eq!(page.site_name.as_deref(), Some("Valley News"));
        assert_eq!(page.lang.as_deref(), Some("en"));
    }

    #[test]
    fn a_less_than_sign_in_a_script_hides_no_text() {
        let html = "<html><body><script>for (i=0;i<n;i++) { x('</p>') }</script>\
            <div class=\"sidebar-layout\"><p>The council met on Tuesday and approved the new budget for the district schools after a long debate.</p></div></body></html>";
        let page = page(html);
        assert!(page.text.contains("approved the new budget"), "{page:?}");
    }

    #[test]
    fn entities_next_to_other_scripts_decode_without_panicking() {
        let html = "<p>&lt;한국어 &amp;Русский &lt;العربية &#xD55C; &bogus; &#99999999;</p>";
        let page = page(html);
        assert!(
            page.text.starts_with("<한국어 &Русский <العربية 한"),
            "{}",
            page.text
        );
    }

    #[test]
    fn furniture_words_are_whole_words() {
        assert!(has_furniture_word("cookie-banner"));
        assert!(has_furniture_word("shareBar"));
        assert!(has_furniture_word("site_ad top"));
        assert!(!has_furniture_word("subtype-unsubscribed"));
        assert!(!has_furniture_word("header download"));
        assert!(!has_furniture_word("paywalled-content-body"));
    }

    #[test]
    fn a_page_without_an_article_still_gives_its_text() {
        let page = page("<html><body><nav>Menu</nav><p>Short.</p><p>Second</p></body></html>");
        assert_eq!(page.text, "Short.\nSecond");
    }

    #[test]
    fn deep_pages_give_their_body_text_in_bounded_time() {
        let depth = 40_000;
        let html = format!(
            "{}<p>Deep words here.</p>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let started = std::time::Instant::now();
        let page = page(&html);
        assert_eq!(page.method, ExtractionMethod::BodyText);
        assert_eq!(page.text, "Deep words here.");
        // Far above the real cost (milliseconds); building the tree of the
        // same page takes minutes.
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn the_token_scan_measures_nesting_and_reads_visible_text() {
        let html = "<html><head><title>T</title><style>p{}</style></head><body>\
            <ul><li>one<li>two</ul><script>if (a<b) { document.write('<p>x</p>') }</script>\
            <nav>Menu</nav><div><div><p>Deep &amp; visible</div></div><img src=x></body></html>";
        let scan = Scan::run(html, true);
        assert_eq!(
            scan.max_depth, 2,
            "unclosed li and p do not nest; void img does not"
        );
        assert_eq!(scan.text, "one\ntwo\nDeep & visible");
        assert!(scan.elements >= 14, "{}", scan.elements);
    }

    #[test]
    fn the_text_is_cut_at_a_line_break() {
        let limits = HtmlLimits {
            max_text_bytes: 20,
            ..HtmlLimits::default()
        };
        let page = extract("<p>first line here</p><p>second line</p>", None, &limits);
        assert_eq!(page.text, "first line here");
        assert!(page.truncated);
    }

    #[test]
    fn site_names_are_stripped_from_titles() {
        let sites = ["Fox News".to_string(), "foxnews".to_string()];
        assert_eq!(
            strip_site_name("Storm hits coast | Fox News", &sites, None),
            "Storm hits coast"
        );
        assert_eq!(
            strip_site_name(
                "Rams sign kicker – ProFootballTalk",
                &["profootballtalk.nbcsports".to_string()],
                None
            ),
            "Rams sign kicker"
        );
        assert_eq!(
            strip_site_name(
                "Home - Storm hits coast - Daily",
                &[],
                Some("Storm hits coast")
            ),
            "Storm hits coast"
        );
        assert_eq!(
            strip_site_name("Left - right debate", &sites, None),
            "Left - right debate"
        );
    }

    #[test]
    fn the_heading_the_title_repeats_beats_a_section_h1() {
        let html = "<html><head><title>Anand draws with Aronian - Latest News - Chess Daily</title>\
            </head><body><h1>Latest News</h1><h2>Anand draws with Aronian</h2>\
            <p>Viswanathan Anand drew with Levon Aronian in the fifth round on Sunday.</p></body></html>";
        assert_eq!(
            page(html).title.as_deref(),
            Some("Anand draws with Aronian")
        );
        let open_title = "<html><head><title>Storm hits the coast<script>x()</script></head><body><p>Body text.</p></body></html>";
        let title = page(open_title).title.unwrap_or_default();
        assert!(!title.contains('<'), "{title}");
    }

    #[test]
    fn bylines_split_only_between_person_names() {
        assert_eq!(
            split_byline("By Jane Doe and John Roe"),
            ["Jane Doe", "John Roe"]
        );
        assert_eq!(
            split_byline("Ana Lima, Sam Okafor"),
            ["Ana Lima", "Sam Okafor"]
        );
        assert_eq!(split_byline("By Grace Wanjiru, Nairobi"), ["Grace Wanjiru"]);
        assert_eq!(
            split_byline("The Russian and Syrian defense ministries"),
            ["The Russian and Syrian defense ministries"]
        );
        assert_eq!(
            split_byline("Par Jean de la Fontaine"),
            ["Jean de la Fontaine"]
        );
    }

    #[test]
    fn dates_in_urls() {
        assert_eq!(
            date_in_url("https://x.test/2024/01/15/story").as_deref(),
            Some("2024-01-15")
        );
        assert_eq!(
            date_in_url("https://x.test/news/2024-1-5-story").as_deref(),
            Some("2024-01-05")
        );
        assert_eq!(date_in_url("https://x.test/item/12345/678/9"), None);
    }

    #[test]
    fn published_times_come_in_order_of_trust() {
        let html = r#"<html><head>
            <meta name="date" content="2024-03-02">
            <meta property="article:published_time" content="2024-03-01T10:00:00Z">
            <script type="application/ld+json">{"@graph":[{"@type":"WebSite","name":"X"},{"@type":"NewsArticle","datePublished":"2024-03-01T09:00:00Z","headline":"Real headline"}]}</script>
            </head><body><time datetime="2024-02-28">x</time><p>text</p></body></html>"#;
        let page = page(html);
        assert_eq!(
            page.published,
            [
                "2024-03-01T09:00:00Z",
                "2024-03-01T10:00:00Z",
                "2024-03-02",
                "2024-02-28"
            ]
        );
        assert_eq!(page.title.as_deref(), Some("Real headline"));
    }

    #[test]
    fn attach_page_reads_html_once_and_drops_it() {
        let mut staged = StagedArticle {
            schema_version: crate::contracts::STAGED_SCHEMA_VERSION,
            article: crate::contracts::Article {
                id: Some("a".into()),
                html: Some("<p>Hello there</p>".into()),
                ..Default::default()
            },
            source_seq: 1,
            received_at: String::new(),
            language: None,
            dedup: None,
            page: None,
            pipeline: Vec::new(),
        };
        attach_page(&mut staged, &HtmlLimits::default());
        assert!(staged.article.html.is_none());
        assert_eq!(staged.body(), "Hello there");
    }
}
