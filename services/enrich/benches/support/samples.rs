//! The 4.5 KB articles of the enrich bench, made of the project's samples
//! (`deploy/local/samples`): shared by the bench and the `enrich_cost`
//! example, which counts their instructions under callgrind.

use std::path::Path;

fn samples() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/local/samples"
    ))
}

/// The samples of the 4.5 KB English article.
pub const ENGLISH: &[&str] = &["en-alliance.txt", "en-dateline.txt", "en-debris.txt"];

/// Articles in other languages and scripts, from the project's samples.
pub const OTHER_LANGUAGES: &[(&str, &[&str])] = &[
    ("ar", &["ar-ghazza.txt", "ar-hudud.txt"]),
    ("fr", &["fr-inondations.txt"]),
    ("de", &["de-energie.txt"]),
    ("es", &["es-migracion.txt"]),
    ("ru", &["ru-kiberataka.txt"]),
    ("hi", &["hi-chunav.txt"]),
    ("zh", &["zh-jingji.txt"]),
];

/// A 4.5 KB article made of the project's samples `names`: each once, then
/// the first repeated.
pub fn article_of(names: &[&str]) -> String {
    let mut text = String::new();
    for name in names {
        text.push_str(&std::fs::read_to_string(samples().join(name)).unwrap());
        text.push('\n');
    }
    while text.len() < 4_500 {
        text.push_str(&std::fs::read_to_string(samples().join(names[0])).unwrap());
    }
    let mut cut = 4_500;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text
}
