//! Prints the verifier's evidence for every labelled pair (eval/pairs.tsv):
//! `cargo run -p newsflow-dedup --example pair_features -- [split]`, or for
//! any two articles: `... -- ID_A ID_B`.
use std::collections::HashMap;
use std::path::Path;

use newsflow_dedup::sketch::Sketch;
use newsflow_dedup::verify::{Text, verify};

fn main() {
    let split = std::env::args().nth(1).unwrap_or_else(|| "dev".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("../../../shared/data/news");
    let mut docs: HashMap<String, (String, String, String)> = HashMap::new();
    for name in [
        "saudinewsnet_ar.jsonl",
        "masakhanews_en_fr.jsonl",
        "ecbplus_en_events.jsonl",
    ] {
        for line in std::fs::read_to_string(data.join(name)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            docs.insert(
                v["id"].as_str().unwrap().into(),
                (
                    v["title"].as_str().unwrap_or_default().into(),
                    v["text"].as_str().unwrap_or_default().into(),
                    v["source"].as_str().unwrap_or_default().to_string(),
                ),
            );
        }
    }
    let pairs = match std::env::args().nth(2) {
        // Two ids: one unlabelled pair, in the columns of pairs.tsv.
        Some(id_b) => format!("header\n-\t-\t{split}\t{id_b}\t-\t-\tany"),
        None => std::fs::read_to_string(root.join("eval/pairs.tsv")).unwrap(),
    };
    let split = if std::env::args().nth(2).is_some() {
        "all".to_string()
    } else {
        split
    };
    for line in pairs.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        if split != "all" && c[6] != split {
            continue;
        }
        let (ta, ba, sa) = &docs[c[2]];
        let (tb, bb, sb) = &docs[c[3]];
        let v = verify(
            &Text::new(Some(ta), ba),
            &Text::new(Some(tb), bb),
            &[],
            sa == sb && !sa.is_empty(),
        );
        let estimate = Sketch::of_text(ba).compare(&Sketch::of_text(bb));
        let s = estimate.score();
        let e = &v.evidence;
        println!(
            "{:2} {:5} {:13} {} {} sk {:.2} j {:.2} c {:.2} pass {:.2} al {:.2} long {:4} lead {:.2}/{:.2} num {:2}/{:2} title {:.2} sub {:.2} rank {:.2} start {:.2} w {:4}/{:5} {} {} | {}",
            c[0],
            c[6],
            c[4],
            if v.copy == (c[4] == "republication") || c[4] == "partial" {
                "ok "
            } else {
                "BAD"
            },
            if sa == sb && !sa.is_empty() {
                "SAME"
            } else {
                "xsrc"
            },
            s,
            estimate.jaccard,
            estimate.containment,
            e.passage_share,
            e.aligned_share,
            e.longest_passage,
            e.lead_share,
            e.longer_lead_share,
            e.numbers_shared,
            e.numbers,
            e.title_similarity.unwrap_or(-1.0),
            e.substituted_share,
            v.rank,
            v.longer_start,
            e.shorter_words,
            e.longer_words,
            c[2],
            c[3],
            c[5]
        );
    }
}
