//! Inputs the fuzz targets (`fuzz/`) found crashing, kept as tests of the
//! code that replaced what crashed.

use newsflow_core::html::{HtmlLimits, extract};

/// The old entity decoder sliced 12 bytes after an `&` without looking for
/// a character boundary, so `&` before Korean (or Arabic, Cyrillic) text
/// panicked; found by the `html` and `langid` targets.
#[test]
fn an_ampersand_before_multibyte_text_decodes() {
    let page = extract("<p>&lt;안녕하세요</p>", None, &HtmlLimits::default());
    assert_eq!(page.text, "<안녕하세요");
    let page = extract("<p>&가가가가</p>", None, &HtmlLimits::default());
    assert_eq!(page.text, "&가가가가");
}
