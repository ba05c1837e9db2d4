//! Synthetic articles for benchmarks: 2–6 KB, several languages and scripts,
//! with a share of exact copies under new ids. The words are common news
//! vocabulary written for this project; the mix of scripts and sizes is what
//! matters for throughput, not the prose.

use serde_json::json;

const ENGLISH: &[&str] = &[
    "government",
    "officials",
    "said",
    "on",
    "Tuesday",
    "the",
    "security",
    "forces",
    "were",
    "deployed",
    "after",
    "talks",
    "between",
    "ministers",
    "ended",
    "without",
    "agreement",
    "and",
    "the",
    "opposition",
    "called",
    "for",
    "new",
    "elections",
    "while",
    "prices",
    "of",
    "energy",
    "continued",
    "to",
    "rise",
    "across",
    "the",
    "region",
    "police",
    "arrested",
    "several",
    "suspects",
    "in",
    "connection",
    "with",
    "the",
    "attack",
    "hospital",
    "reported",
];
const FRENCH: &[&str] = &[
    "le",
    "gouvernement",
    "a",
    "annoncé",
    "mardi",
    "que",
    "les",
    "forces",
    "de",
    "sécurité",
    "ont",
    "été",
    "déployées",
    "après",
    "des",
    "négociations",
    "entre",
    "ministres",
    "sans",
    "accord",
    "et",
    "l'opposition",
    "réclame",
    "de",
    "nouvelles",
    "élections",
    "tandis",
    "que",
    "les",
    "prix",
    "de",
    "l'énergie",
    "continuent",
    "d'augmenter",
    "dans",
    "la",
    "région",
    "police",
    "a",
    "interpellé",
    "plusieurs",
    "suspects",
];
const SPANISH: &[&str] = &[
    "el",
    "gobierno",
    "anunció",
    "el",
    "martes",
    "que",
    "las",
    "fuerzas",
    "de",
    "seguridad",
    "fueron",
    "desplegadas",
    "tras",
    "las",
    "negociaciones",
    "entre",
    "ministros",
    "sin",
    "acuerdo",
    "y",
    "la",
    "oposición",
    "pidió",
    "nuevas",
    "elecciones",
    "mientras",
    "los",
    "precios",
    "de",
    "la",
    "energía",
    "siguen",
    "subiendo",
    "en",
    "toda",
    "la",
    "región",
    "la",
    "policía",
    "detuvo",
    "a",
    "varios",
    "sospechosos",
];
const GERMAN: &[&str] = &[
    "die",
    "Regierung",
    "teilte",
    "am",
    "Dienstag",
    "mit",
    "dass",
    "die",
    "Sicherheitskräfte",
    "nach",
    "den",
    "Gesprächen",
    "zwischen",
    "den",
    "Ministern",
    "ohne",
    "Einigung",
    "eingesetzt",
    "wurden",
    "und",
    "die",
    "Opposition",
    "forderte",
    "Neuwahlen",
    "während",
    "die",
    "Preise",
    "für",
    "Energie",
    "in",
    "der",
    "ganzen",
    "Region",
    "weiter",
    "steigen",
    "die",
    "Polizei",
    "nahm",
    "mehrere",
    "Verdächtige",
    "fest",
];
const RUSSIAN: &[&str] = &[
    "правительство",
    "заявило",
    "во",
    "вторник",
    "что",
    "силы",
    "безопасности",
    "были",
    "направлены",
    "после",
    "переговоров",
    "между",
    "министрами",
    "без",
    "соглашения",
    "и",
    "оппозиция",
    "потребовала",
    "новых",
    "выборов",
    "в",
    "то",
    "время",
    "как",
    "цены",
    "на",
    "энергию",
    "продолжают",
    "расти",
    "по",
    "всему",
    "региону",
    "полиция",
    "задержала",
    "нескольких",
    "подозреваемых",
];
const ARABIC: &[&str] = &[
    "أعلنت",
    "الحكومة",
    "يوم",
    "الثلاثاء",
    "أن",
    "قوات",
    "الأمن",
    "انتشرت",
    "بعد",
    "المحادثات",
    "بين",
    "الوزراء",
    "دون",
    "اتفاق",
    "وطالبت",
    "المعارضة",
    "بإجراء",
    "انتخابات",
    "جديدة",
    "بينما",
    "تواصل",
    "أسعار",
    "الطاقة",
    "الارتفاع",
    "في",
    "المنطقة",
    "واعتقلت",
    "الشرطة",
    "عددا",
    "من",
    "المشتبه",
    "بهم",
    "في",
    "الهجوم",
    "وقال",
    "المسؤولون",
];
const CHINESE: &[&str] = &[
    "政府",
    "周二",
    "宣布",
    "安全",
    "部队",
    "已经",
    "部署",
    "部长",
    "之间",
    "会谈",
    "没有",
    "达成",
    "协议",
    "反对派",
    "要求",
    "举行",
    "新的",
    "选举",
    "能源",
    "价格",
    "继续",
    "上涨",
    "警方",
    "逮捕",
    "多名",
    "嫌疑人",
    "地区",
    "经济",
    "发展",
    "表示",
];

/// (language label, vocabulary, separator between words)
const LANGUAGES: &[(&str, &[&str], &str)] = &[
    ("en", ENGLISH, " "),
    ("fr", FRENCH, " "),
    ("es", SPANISH, " "),
    ("de", GERMAN, " "),
    ("ru", RUSSIAN, " "),
    ("ar", ARABIC, " "),
    ("zh", CHINESE, ""),
];

/// A small deterministic generator (no dependency needed for benchmark data).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One generated article as its JSON payload and id.
#[derive(Clone)]
pub struct Generated {
    pub id: String,
    pub payload: Vec<u8>,
}

/// `count` articles for run `run_id`; `duplicate_share` of them (0..1) are
/// exact copies of an earlier article under a new id.
pub fn articles(run_id: &str, count: usize, duplicate_share: f64) -> Vec<Generated> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ fxhash(run_id));
    let mut texts: Vec<(String, String, &str)> = Vec::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let id = format!("bench-{run_id}-{i:07}");
        let copy = i > 10 && (rng.below(10_000) as f64) < duplicate_share * 10_000.0;
        let (title, text, lang) = if copy {
            texts[rng.below(texts.len())].clone()
        } else {
            let (lang, words, sep) = LANGUAGES[rng.below(LANGUAGES.len())];
            let target = 2048 + rng.below(4096);
            let title_len = 6 + rng.below(5);
            let title = sentence(&mut rng, words, sep, title_len);
            let mut text = format!("{run_id}-{i}. ");
            while text.len() < target {
                for _ in 0..3 + rng.below(3) {
                    let len = 8 + rng.below(10);
                    text.push_str(&sentence(&mut rng, words, sep, len));
                    text.push_str(if sep.is_empty() { "。" } else { ". " });
                }
                text.push('\n');
            }
            texts.push((title.clone(), text.clone(), lang));
            (title, text, lang)
        };
        let article = json!({
            "id": id,
            "url": format!("https://bench.invalid/{lang}/{i}"),
            "source": "newsflow-bench",
            "title": title,
            "text": text,
            "lang_hint": lang,
        });
        out.push(Generated {
            id,
            payload: serde_json::to_vec(&article).expect("article serializes"),
        });
    }
    out
}

fn sentence(rng: &mut Rng, words: &[&str], sep: &str, len: usize) -> String {
    let mut s = String::new();
    for n in 0..len {
        if n > 0 {
            s.push_str(sep);
        }
        s.push_str(words[rng.below(words.len())]);
    }
    s
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_are_2_to_6_kb_with_the_requested_share_of_copies() {
        let articles = articles("t", 2000, 0.2);
        assert_eq!(articles.len(), 2000);
        let mut texts = std::collections::HashMap::new();
        for a in &articles {
            let v: serde_json::Value = serde_json::from_slice(&a.payload).unwrap();
            let text = v["text"].as_str().unwrap().to_string();
            assert!((2048..7000).contains(&text.len()), "{}", text.len());
            *texts.entry(text).or_insert(0) += 1;
        }
        let copies = 2000 - texts.len();
        assert!((300..500).contains(&copies), "{copies} copies");
    }

    #[test]
    fn runs_with_other_ids_produce_other_texts() {
        let a = articles("a", 5, 0.0);
        let b = articles("b", 5, 0.0);
        assert_ne!(a[0].payload, b[0].payload);
    }
}
