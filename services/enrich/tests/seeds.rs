//! The enrichment over the shared seed articles (`../shared/seeds/`), when
//! they are beside the checkout: the checks the issue names. The seeds are
//! third-party text and are read from there, never copied into the project.

use std::path::{Path, PathBuf};

use newsflow_core::contracts::{Article, EnrichedRecord};
use newsflow_enrich::{enrich, staged_with_language};

fn seeds_dir() -> Option<PathBuf> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/seeds"
    ));
    dir.is_dir().then(|| dir.to_path_buf())
}

fn seed(prefix: &str) -> Option<EnrichedRecord> {
    let Some(dir) = seeds_dir() else {
        eprintln!("../shared/seeds is not beside the checkout; skipping the seed checks");
        return None;
    };
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no seed {prefix}"));
    let text = std::fs::read_to_string(&path).unwrap();
    let iso = match prefix {
        "000" => "ar",
        "003" => "fr",
        _ => "en",
    };
    let mut staged = staged_with_language(
        Article {
            id: Some(prefix.into()),
            text: Some(text),
            ..Default::default()
        },
        iso,
    );
    staged.received_at = "2024-01-17T08:00:00.000Z".into();
    Some(enrich(staged))
}

fn ids(record: &EnrichedRecord) -> Vec<&str> {
    record
        .entities
        .iter()
        .filter_map(|e| e.id.as_deref())
        .collect()
}

fn codes(record: &EnrichedRecord) -> Vec<&str> {
    record.countries.iter().map(|c| c.code.as_str()).collect()
}

#[track_caller]
fn assert_has(have: &[&str], want: &[&str], what: &str) {
    for w in want {
        assert!(have.contains(w), "{what}: {w} missing from {have:?}");
    }
}

#[test]
fn seed_000_arabic_isis_clapper_and_six_countries() {
    let Some(r) = seed("000") else { return };
    assert_has(&ids(&r), &["Q2429253", "nf:james-clapper"], "entities");
    assert_has(
        &codes(&r),
        &["DE", "GB", "IT", "FR", "BE", "US"],
        "countries",
    );
    let isis = r
        .entities
        .iter()
        .find(|e| e.id.as_deref() == Some("Q2429253"))
        .unwrap();
    let forms: Vec<&str> = isis.mentions.iter().map(|m| m.text.as_str()).collect();
    assert!(
        forms.contains(&"الدواعش") && forms.contains(&"داعش"),
        "{forms:?}"
    );
    assert!(
        r.dates_mentioned.iter().any(|d| d.text == "أمس الاثنين"),
        "{:?}",
        r.dates_mentioned
    );
    assert!(
        r.quotes
            .iter()
            .any(|q| q.speaker_id.as_deref() == Some("nf:james-clapper")),
        "{:?}",
        r.quotes
    );
    assert!(
        r.categories.iter().any(|c| c.id == "terrorism"),
        "{:?}",
        r.categories
    );
}

#[test]
fn seed_001_isis_k_is_its_own_entity_and_the_asian_countries() {
    let Some(r) = seed("001") else { return };
    let k = r
        .entities
        .iter()
        .find(|e| e.id.as_deref() == Some("nf:isis-k"))
        .expect("ISIS-K");
    assert_eq!(k.part_of.as_deref(), Some("Q2429253"));
    assert_has(&ids(&r), &["Q2429253"], "entities");
    assert_has(
        &codes(&r),
        &["IR", "AF", "BD", "MM", "LK", "KG", "MV"],
        "countries",
    );
    assert_eq!(r.published_at.as_deref(), Some("2024-01-15T00:00:00Z"));
    assert!(
        r.numbers
            .iter()
            .any(|n| n.kind == "killed" && n.value == 100.0 && n.approximate),
        "{:?}",
        r.numbers
    );
}

#[test]
fn seed_002_page_debris_is_cleaned() {
    let Some(r) = seed("002") else { return };
    for debris in [
        "Subscriber+",
        "Related Articles",
        "Search\n",
        "\nClose",
        "Studies in Intelligence",
        "Section 702",
    ] {
        assert!(!r.text.contains(debris), "{debris:?} left in {}", r.text);
    }
    assert!(r.text.contains("There’s been a marked increase"));
    assert_has(&ids(&r), &["Q2429253"], "entities");
}

#[test]
fn seed_003_europol_wainwright_and_five_countries() {
    let Some(r) = seed("003") else { return };
    assert_has(
        &ids(&r),
        &["Q207203", "nf:rob-wainwright", "Q2429253", "Q130879"],
        "entities",
    );
    assert_has(&codes(&r), &["BE", "GR", "PL", "PT", "US"], "countries");
    assert!(
        r.quotes
            .iter()
            .filter(|q| q.speaker.as_deref() == Some("Rob Wainwright"))
            .count()
            >= 3,
        "{:?}",
        r.quotes
    );
    assert!(
        r.dates_mentioned.iter().any(|d| d.text == "mercredi"),
        "{:?}",
        r.dates_mentioned
    );
}

#[test]
fn seed_004_the_130_killed_in_paris() {
    let Some(r) = seed("004") else { return };
    let killed: Vec<_> = r.numbers.iter().filter(|n| n.kind == "killed").collect();
    assert!(
        killed
            .iter()
            .any(|n| n.value == 130.0 && n.phrase.contains("killed 130")),
        "{:?}",
        r.numbers
    );
    assert_has(&ids(&r), &["Q2429253", "Q48340", "Q90"], "entities");
    assert_has(
        &codes(&r),
        &["FR", "US", "BE", "NL", "GB", "DK", "DE"],
        "countries",
    );
}

#[test]
#[ignore = "prints the records of the seeds for inspection"]
fn print_seed_records() {
    for prefix in ["000", "001", "002", "003", "004"] {
        if let Some(r) = seed(prefix) {
            println!("{}", serde_json::to_string_pretty(&r).unwrap());
        }
    }
}
