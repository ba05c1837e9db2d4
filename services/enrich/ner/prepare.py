#!/usr/bin/env python3
"""Rebuild the NER training files for newsflow-enrich from pinned public sources.

Standard library only.  Every source is pinned to (owner/repo, commit, path) and,
for single files, to its git blob id, which is checked after reading.

    python3 services/enrich/ner/prepare.py --mirrors /work/.mirror
    python3 services/enrich/ner/prepare.py            # download from GitHub

--mirrors DIR  read from fetched git mirrors: DIR/<owner>+<repo>/ holding a git
               directory (repo/.git, repo, or the folder itself); files are read
               with `git --git-dir=... show COMMIT:PATH`.  Without it, files are
               downloaded from https://raw.githubusercontent.com/OWNER/REPO/COMMIT/PATH
               (folder listings from the GitHub git-trees API).
--out DIR      output folder (default: ../ner-train beside the repository root,
               i.e. /work/ner-train when the repo is /work/main).
--dev DIR      the shared dev folder (default: ../shared/data/ner beside the repo
               root).  Any training sentence whose token sequence equals a dev
               sentence (any language) is dropped; so is one whose text equals a
               dev sentence after removing all whitespace (same text, other
               tokenization).  Both counts are printed.
--only LANGS   comma-separated languages to build (default: all).

Output: <out>/<lang>-<corpus>.train.conll per corpus and <out>/<lang>.train.conll,
the concatenation of a language's corpora.  UTF-8, `token<TAB>tag`, blank line
after each sentence, IOB2 over PER/ORG/LOC/MISC, no -DOCSTART- lines.

Test splits are never read: CoNLL eng.testb/deu.testb/esp.testb/ned.testb,
GermEval test, factRuEval test and HIPE are not sources here.  ANERcorp is one
file holding train and test; only its first 125,114 tokens (CAMeL train part)
are used, minus the last 807 sentences of that part, which form the dev file.
German: GermEval 2014 and CoNLL-2003 deu.train are too large for the mirrors; the
mirror build uses DFKI SmartData v1 train and MobIE train (both CC BY 4.0).  Their
dev/test documents (SmartData v1 test, v2/v3 dev+test; MobIE dev+test) are read only
to drop those documents from training.
French: WikiNEuRal fr val+test files and HIPE-2020 v0.9 train fr; every HIPE dev/test
file is read only to drop those documents.  Arabic: NewsFANE Gold minus every sentence
sharing text with ANERcorp (read whole, only for that test); AQMAR and CAraNER minus every
sentence that is also in the ANERcorp test part (read only for that test), fitted to ANERcorp's
conventions with words of ANERcorp's train part (`fit_to_anercorp`).
See SOURCES.md beside this script for licences and counts.
"""

import argparse
import csv
import glob
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

# ---------------------------------------------------------------------------
# Pinned sources
# ---------------------------------------------------------------------------
SYNALP = ("synalp/NER", "c0ea07c81ec3512b5047dcd804b0ac2b10a3bdfc")
NLTK = ("nltk/nltk", "4dc39fbf6965509f7b74316eff239bd110a03b49")
ANER = ("HassanAzzam/Arabic-NER", "056cbc16483ae7e2a3ff86615cf46ed26af8c743")
NEREL = ("nerel-ds/NEREL", "8f07d3e410f322d5dbf6b68b13fbf4a4aa077fe9")
NERDS = ("davidsbatista/NER-datasets", "db7ff3ca4ba1df39907f8bdc036a556fed5ecde7")
MAVICC = ("MaviccPRP/ger_ner_evals", "091199e6d30885f6bba18dfd1ba1c7ea1dd51898")
FACTRU = ("dialogue-evaluation/factRuEval-2016", "dfe96237fce79fde13b2021d1938587e4ea3042e")
SMARTDATA = ("DFKI-NLP/smartdata-corpus", "796c8b8f5d76fcdeb7f2458c4f8df5711e2115af")
MOBIE = ("DFKI-NLP/MobIE", "bf164b5c5ff22d8cf5928b6eceaea9d823ad558f")
WIKINEURAL = ("Babelscape/wikineural", "d2e28c770cba2b285e742529ae18ed849e336c65")
HIPE2020 = ("impresso/CLEF-HIPE-2020", "be6f4aa65753e06b4ee4fa548ef50439c7e804c8")
VISBERT = ("bvanaken/visbert", "8c0f4a8b8eb821dca6d947206c3e3cbad9cda693")
AQMAR = ("HussamHallak/AQMAR-Arabic-NERC-Dataset", "02afd80a2c645b52e66d00e162cc5d652cbe6ef5")
CARANER = ("kacst-ncdaai/caraner", "fbc9c9b7da323812f7a6e67a9fe67e6600d8a2ea")
NERUK = ("lang-uk/ner-uk", "7772b45807453854883a8e6d23e4d145014a1a42")
INDONLU = ("IndoNLP/indonlu", "ce728f6926a36174b9923dfe49d6a6839b6e9bb7")
# The whole ANERcorp file (train part, our dev tail and the CAMeL test part).  Other Arabic
# sources read its test part only to drop sentences that are also there (`anercorp_test`).
ANERCORP_SPEC = dict(repo=ANER, path="ANERCorp", blob="7fd1883d4b6aae797b94798ad201f07ee6c35c77")

# HIPE-2020 dev and test files (every version in the repository).  Read only to drop training
# documents that are (or share text with) a dev/test document; never used as training data.
HIPE_HELDOUT = [
    ("data/v1.4/fr/HIPE-data-v1.4-dev-fr.tsv", "7727037114884a3ef23c99122c9afec943652e0d"),
    ("data/v1.4/fr/HIPE-data-v1.4-test-fr.tsv", "c7dd540aa62e148be4b47a1bce22175b6dc9db64"),
    ("data/test-v1.3/fr/HIPE-data-v1.3-test-fr.tsv", "fa2d2b8acbb56ff4ede9234148847492bdb0f647"),
    ("data/training-v1.2/fr/HIPE-data-v1.2-dev-fr.tsv", "c7b21a4bb7b742e0b0e1ca1aaa5bd28a2775cdd9"),
    ("data/training-v1.0/fr/HIPE-data-v1.0-dev-fr.tsv", "96b11062e496fe709ae129986b8754ac14021eb8"),
    ("data/training-v0.9/fr/HIPE-data-v0.9-dev-fr.tsv", "ba3467c3f31037984778be0bd7ad4ae373c878fd"),
]

# German human-annotated sets that fit the mirrors (both CC BY 4.0, DFKI).  The v2/v3 SmartData
# train files and the MobIE JSON train file are over 4 MiB; SmartData v1 train and MobIE's
# CoNLL zip are not.  Dev/test documents of every SmartData version and of MobIE are read only
# to drop them from training.
SMARTDATA_SPEC = dict(
    repo=SMARTDATA,
    train=("v1_20180119/train.json.gz", "d4c6b362df74e0f5b9f5646f120f45282559d5c2"),
    heldout=[("v1_20180119/test.json.gz", "77fb6c9f340e7642daed13c8b41de426da138f41"),
             ("v2_20190802/dev.json.gz", "50f05ff7b6737f1dc3a64ac5229221eff6ccabcc"),
             ("v2_20190802/test.json.gz", "9b6377db2ed9dbc52ec9026e3f784e8a8d3f55b2"),
             ("v3_20200302/dev.json.gz", "bf6371b862bd86989fbb8e3c2425297aecac3e4b"),
             ("v3_20200302/test.json.gz", "c5b09e4369916a60dd5049012bff8c4db722d3ca")])
MOBIE_SPEC = dict(repo=MOBIE, path="v1_20210811/ner_conll03_formatted.zip",
                  blob="f341310f5da0f358e476dd74cd93cc8b54e9661f",
                  heldout_members=["dev.conll2003", "test.conll2003"])

# WikiNEuRal (Tedeschi et al. 2021, silver, sentence-level Wikipedia, CC BY-NC-SA 4.0): the val
# and test files of each language (train.conllu is over 4 MiB; neither is an evaluation corpus
# here), by language: (val blob, test blob, joined).  They join the German and Russian sets (dev
# scores rose) and are the French (with HIPE), Italian, Polish and Portuguese sets (for pt far
# better than WikiANN); for en, es and nl they lowered the dev scores, so those files are written
# but not joined (fallback).
WIKINEURAL_FILES = {
    "de": ("c56da0e130dcaeaf929e3a20d949d8bcf2aebf50", "3cdc18dca2256b1dc5762fc5d9ac67e794bbaf01", True),
    "en": ("a53bc9d4f943e89b8590155a5f7ee7d9a7e1e812", "9cedb1ca583debc671f9d12127602e09097a9509", False),
    "es": ("02261e78fab97c9e85735a6948ae50d4df25673d", "ee328188edc6b375cf9428ebc65bbfc7b0e68e3a", False),
    "nl": ("84a72acd59c4f0b24ef5d5b5d8ad5d5d553f24a9", "4f397ab1dfad35342523967c81df023217b5f4af", False),
    "ru": ("21ee3a63dbf217a9dcdb4bf0be42e9314297174f", "58f8fe26dae208e0cb092c1769b76cc82a849e96", True),
    "it": ("23d16eb75633e841bc3067e3cc4e1c555d7f83b7", "fa97febe3aca8eca3439120cfdc5825cc1c0732f", True),
    "pl": ("1a9c667a4afb7e77986a646960be2fb79e5cf50d", "cf539d3c86c03805f71152a64104f8c86b2ab223", True),
    "pt": ("a463898526fd13bffdb87a3e9803f1ce13d6764b", "3eabb3bbec52113591187eb757ce062df013db7b", True),
    "fr": ("0424bfd15048393350a6c4a7d06d23fdf80dfa4f", "0e90b230b6ff9f2d17ee811f46dad34172f585ee", True),
}


def wikineural(lang):
    """The CORPORA entry of one language's WikiNEuRal val and test files."""
    val, test, joined = WIKINEURAL_FILES[lang]
    folder = "data/wikineural/%s/" % lang
    return (lang, "wikineural", "wikineural",
            dict(repo=WIKINEURAL, path=folder + "{val,test}.conllu",
                 files=[(folder + "val.conllu", val), (folder + "test.conllu", test)],
                 fallback=not joined))


# (lang, corpus, loader, source spec)
# spec keys: repo, path, blob (git blob id, checked), encoding, tokens (expected token
# count before the dev-overlap filter, checked), optional (a missing file is reported
# and skipped, exit status stays 0), fallback (silver: joins <lang>.train.conll only
# when no other corpus of that language was built).
CORPORA = [
    ("en", "conll2003", "conll_iob1",
     dict(repo=SYNALP, path="corpus/CoNLL-2003/eng.train",
          blob="9b76f64e0f8001a5cdbb732026f4fb99913478af", encoding="utf-8", tokens=203621)),
    # GermEval 2014 train (7 MB) and CoNLL-2003 deu.train (5 MB): pinned, but larger than
    # the 4 MiB file limit of the mirror snapshots, so only the download mode gets them.
    # Their loaders reproduce the shared dev files of the same repositories exactly.
    ("de", "germeval2014", "germeval",
     dict(repo=NERDS, path="GermEval2014/NER-de-train.tsv",
          blob="4a05e1a8d9cbcd5ec61b4d4c7e3a8f69b588bf02", encoding="utf-8", tokens=452853,
          optional=True)),
    ("de", "conll2003", "conll_iob1",
     dict(repo=MAVICC, path="corpora/conll2003/deu.train",
          blob="8ef0a6e710f36bec8d5253f3040e7f1a7d3555af", encoding="iso-8859-1", tokens=206931,
          optional=True)),
    ("de", "smartdata", "smartdata",
     dict(repo=SMARTDATA, path=SMARTDATA_SPEC["train"][0], blob=SMARTDATA_SPEC["train"][1],
          documents=1244, heldout=SMARTDATA_SPEC["heldout"], mobie=MOBIE_SPEC)),
    ("de", "mobie", "mobie",
     dict(MOBIE_SPEC, member="train.conll2003", documents=2115, raw_tokens=59716,
          smartdata=SMARTDATA_SPEC)),
    ("es", "conll2002", "conll_iob2",
     dict(repo=NLTK, path="nltk_data/corpora/conll2002/esp.train",
          blob="3cd00ebf4c253e07f9a32373ac99692046182ef3", encoding="utf-8", tokens=264715)),
    ("nl", "conll2002", "conll_iob2",
     dict(repo=NLTK, path="nltk_data/corpora/conll2002/ned.train",
          blob="8c87e4b29b8b2d64ece042d5980c9a4d214183d9", encoding="utf-8", tokens=202644)),
    ("ar", "anercorp", "anercorp", ANERCORP_SPEC),
    # NewsFANE Gold (Alotaibi & Lee, COLING 2014; CC BY-SA 3.0): hand-annotated Arabic newswire,
    # fine-grained types.  Part of its text is ANERcorp: every sentence sharing text with
    # ANERcorp (train, our dev tail, or the CAMeL test part) is dropped.
    ("ar", "newsfane", "newsfane",
     dict(repo=VISBERT, path="data/Finegrained/WikiFANE_2014_Gold_standard/NewsFANE_Gold_2014_170K.txt",
          blob="1af8d11066088589e8721116bfeb6d4eb47ec65b", encoding="utf-8", raw_tokens=168080,
          anercorp=ANERCORP_SPEC)),
    # AQMAR (Mohit et al., EACL 2012; CC BY-SA 3.0): 28 Arabic Wikipedia articles, hand-annotated.
    # Sentences also in the ANERcorp test part are dropped (`anercorp_test`).
    # Two more hand-annotated Arabic sets, fitted to ANERcorp's conventions (`fit_to_anercorp`):
    # AQMAR (Mohit et al., EACL 2012; CC BY-SA 3.0), 28 Arabic Wikipedia articles, and CAraNER
    # (Al-Thubaity et al., WANLP 2022), Saudi newspaper sentences of 2019-2021.  Sentences also
    # in the ANERcorp test part are dropped (`anercorp_test`).
    ("ar", "aqmar", "aqmar",
     dict(repo=AQMAR, path="aqmar/articles", tree="c452d03d5ad555c2ff8b1cb2ef82e69dba4a9798",
          documents=28, raw_tokens=73853, anercorp_test=ANERCORP_SPEC, fit_to_anercorp=True)),
    ("ar", "caraner", "caraner",
     dict(repo=CARANER, path="CAraNER.csv", blob="27595cb1f4a1d5ea97180be446554592d84dc86d",
          sentences=1278, raw_tokens=55389, anercorp_test=ANERCORP_SPEC, fit_to_anercorp=True)),
    ("ru", "nerel", "nerel",
     dict(repo=NEREL, path="NEREL-v1.1/train",
          tree="b1fbc63fbeb3af08337d9042b9c8ed3a243738e8",
          # NEREL and factRuEval both draw on Russian Wikinews: NEREL train documents whose
          # text overlaps a factRuEval dev or TEST document are dropped whole.  The
          # factRuEval texts are read only for this comparison.
          exclude=dict(repo=FACTRU, folders=[("devset", "90418dfc788c56009637a905163c7436a8428ca1"),
                                             ("testset", "d39f505ba883581a37adfcb060fcceffadda1f54")]))),
    # WikiANN (silver, Pan et al. 2017; Rahimi et al. 2019 splits): only where no
    # human-annotated train set could be had (see SOURCES.md).
    ("de", "wikiann", "wikiann",
     dict(repo=NERDS, path="WikiANN/de/train",
          blob="885501a73e9a63b450e640259b92b6c7fcbba9aa", encoding="utf-8", fallback=True)),
    # WikiNEuRal (see WIKINEURAL_FILES).  HIPE-2020 v0.9 train fr (human, historical newspapers,
    # CC BY-NC-SA 4.0): the only HIPE train file under 4 MiB; documents of any HIPE dev/test file
    # are dropped.
    *[wikineural(lang) for lang in ("de", "en", "es", "nl", "ru", "it", "pl", "pt", "fr")],
    ("fr", "hipe2020", "hipe",
     dict(repo=HIPE2020, path="data/training-v0.9/fr/HIPE-data-v0.9-train-fr.tsv",
          blob="f556529c796bc0c398f97d8c09c3f8bfefbd0632", encoding="utf-8", documents=98,
          raw_tokens=97465, heldout=HIPE_HELDOUT)),
    ("fr", "wikiann", "wikiann",
     dict(repo=NERDS, path="WikiANN/fr/train",
          blob="732e879067d052ad665969e848f511dcb387248f", encoding="utf-8", fallback=True)),
    ("pt", "wikiann", "wikiann",
     dict(repo=NERDS, path="Portuguese/WikiANN/train",
          blob="69c22569203b30c833a8c3f752274b77f3bb1b19", encoding="utf-8", fallback=True)),
    # NER-UK 2.0 (lang-uk; human, two annotators and an editor; news, essays and fiction;
    # CC BY-NC-SA 4.0): the IOB files of the corpus's standard split.  Its test part is written
    # to <out>/heldout/ for scoring only, never trained on.  Types other than persons,
    # organizations, locations and MISC (dates, jobs, money, works of art, ...) become O.
    ("uk", "neruk", "conll_mapped",
     dict(repo=NERUK, path="v2.0/iob/train.iob", blob="92b962abeb732ca38b9205fba6859167b3b692ea",
          encoding="utf-8", types={"PERS": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"},
          heldout=[("test", "v2.0/iob/test.iob", "dd7c3ca8e49153da183cad6261c4177db9c4e0c1")])),
    # NERGrit (IndoNLU, Wilie et al. 2020; human-annotated Indonesian Wikipedia and news
    # sentences; the repository is Apache-2.0): train file; valid written as a dev file and test
    # as a held-out file, neither trained on.
    ("id", "nergrit", "conll_mapped",
     dict(repo=INDONLU, path="dataset/nergrit_ner-grit/train_preprocess.txt",
          blob="cf10b7ccfa307c8709a979011652ab5762847f27", encoding="utf-8",
          types={"PERSON": "PER", "ORGANISATION": "ORG", "PLACE": "LOC"},
          heldout=[("dev", "dataset/nergrit_ner-grit/valid_preprocess.txt",
                    "5fd2d618f9fe176c6ee2a414a3acb618d324a0f3"),
                   ("test", "dataset/nergrit_ner-grit/test_preprocess.txt",
                    "e76f578720a7d09906afaadf055c1c8bb442da04")])),
    # NER-PROSA (IndoNLU `nerp_ner-prosa`, Prosa.ai; human-annotated Indonesian news), train file
    # only: it is written in lower case throughout, so the capitals of names (every type, events
    # and food brands included) and of sentence starts are restored (`capitalize`); persons,
    # places and organizations (`IND`) kept, events and food brands O.  NERGrit dev, tagger alone:
    # PER+ORG+LOC 0.674 -> 0.680 (PER 0.674 -> 0.696); without the capitals 0.675.
    ("id", "nerp", "conll_mapped",
     dict(repo=INDONLU, path="dataset/nerp_ner-prosa/train_preprocess.txt",
          blob="e99e61df88303e0c04da1a9edb2b623746937fc5", encoding="utf-8",
          types={"PPL": "PER", "PLC": "LOC", "IND": "ORG"}, capitalize=True)),
]

# ANERcorp, CAMeL Lab split: train = first 125,114 tokens; our dev = its last 807 sentences.
ANER_TRAIN_TOKENS = 125114
ANER_DEV_SENTENCES = 807

TYPES = ("PER", "ORG", "LOC", "MISC")


class SourceError(Exception):
    pass


# ---------------------------------------------------------------------------
# Reading sources
# ---------------------------------------------------------------------------
def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Fetcher:
    def __init__(self, mirrors):
        self.mirrors = mirrors
        self._gitdirs = {}

    def gitdir(self, repo):
        if repo in self._gitdirs:
            return self._gitdirs[repo]
        base = os.path.join(self.mirrors, repo.replace("/", "+"))
        if not os.path.isdir(base):
            raise SourceError("no mirror folder %s for %s (fetch the repository first)" % (base, repo))
        cands = [os.path.join(base, "repo", ".git"), os.path.join(base, "repo"), os.path.join(base, ".git"), base]
        cands += sorted(glob.glob(os.path.join(base, "*.git")))
        for c in cands:
            if os.path.isfile(os.path.join(c, "HEAD")) and os.path.isdir(os.path.join(c, "objects")):
                self._gitdirs[repo] = c
                return c
        raise SourceError("no git directory found under %s for %s" % (base, repo))

    def _git(self, repo, *args):
        gd = self.gitdir(repo)
        p = subprocess.run(["git", "--git-dir=" + gd] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise SourceError("git %s failed in %s: %s" % (" ".join(args), gd, p.stderr.decode("utf-8", "replace").strip()))
        return p.stdout

    def _http(self, url):
        req = urllib.request.Request(url, headers={"User-Agent": "newsflow-ner-prepare"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            raise SourceError("HTTP %s for %s" % (e.code, url))
        except (urllib.error.URLError, OSError) as e:
            raise SourceError("cannot download %s: %s" % (url, e))

    def read(self, repo_commit, path, blob=None):
        repo, commit = repo_commit
        if self.mirrors:
            data = self._git(repo, "show", "%s:%s" % (commit, path))
        else:
            data = self._http("https://raw.githubusercontent.com/%s/%s/%s" % (repo, commit, path))
        if blob and git_blob_id(data) != blob:
            raise SourceError("%s@%s:%s has blob %s, expected %s (wrong or truncated copy)"
                              % (repo, commit[:10], path, git_blob_id(data), blob))
        return data

    def list_tree(self, repo_commit, path, tree):
        """Return [(name, blob)] of the files in folder `path`, checked against tree id."""
        repo, commit = repo_commit
        if self.mirrors:
            got = self._git(repo, "rev-parse", "%s:%s" % (commit, path)).decode().strip()
            if got != tree:
                raise SourceError("%s@%s:%s is tree %s, expected %s" % (repo, commit[:10], path, got, tree))
            out = self._git(repo, "ls-tree", tree).decode("utf-8")
            items = []
            for line in out.splitlines():
                meta, name = line.split("\t", 1)
                mode, typ, sha = meta.split()
                if typ == "blob":
                    items.append((name, sha))
            return items
        data = self._http("https://api.github.com/repos/%s/git/trees/%s" % (repo, tree))
        j = json.loads(data.decode("utf-8"))
        if j.get("truncated"):
            raise SourceError("tree listing of %s:%s truncated" % (repo, path))
        return [(e["path"], e["sha"]) for e in j["tree"] if e["type"] == "blob"]


# ---------------------------------------------------------------------------
# Tag helpers
# ---------------------------------------------------------------------------
def repair_iob2(tags):
    """I-X after O / another type -> B-X.  Returns (tags, repairs)."""
    out, n, prev = [], 0, "O"
    for t in tags:
        if t.startswith("I-") and (prev == "O" or prev[2:] != t[2:]):
            t = "B-" + t[2:]
            n += 1
        out.append(t)
        prev = t
    return out, n


def iob1_to_iob2(tags):
    out, prev = [], "O"
    for t in tags:
        if t.startswith("I-") and (prev == "O" or prev[2:] != t[2:]):
            t = "B-" + t[2:]
        out.append(t)
        prev = t
    return out


def check_tags(sents, name):
    ok = {"O"} | {p + t for t in TYPES for p in ("B-", "I-")}
    for s in sents:
        for w, t in s:
            if t not in ok:
                raise SourceError("%s: unexpected tag %r (token %r)" % (name, t, w))
            if not w or any(c.isspace() for c in w):
                raise SourceError("%s: bad token %r" % (name, w))


def split_blank(text):
    """Split column text into sentences of field lists; -DOCSTART- lines dropped."""
    sents, cur = [], []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
            continue
        f = line.split()
        if f[0] == "-DOCSTART-":
            continue
        cur.append(f)
    if cur:
        sents.append(cur)
    return sents


# ---------------------------------------------------------------------------
# Loaders: return (sentences, notes) with sentences = [[(tok, tag)]]
# ---------------------------------------------------------------------------
def load_conll_iob1(fx, spec):
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode(spec["encoding"])
    sents = []
    for s in split_blank(text):
        toks = [f[0] for f in s]
        sents.append(list(zip(toks, iob1_to_iob2([f[-1] for f in s]))))
    return sents, {"conversion": "IOB1->IOB2"}


def load_conll_iob2(fx, spec):
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode(spec["encoding"])
    sents, rep = [], 0
    for s in split_blank(text):
        tags, n = repair_iob2([f[-1] for f in s])
        rep += n
        sents.append(list(zip([f[0] for f in s], tags)))
    return sents, {"IOB2 repairs": rep}


def mapped_sentences(text, types, capitalize=False):
    """Column text with the tag last; B-/I- of a type in `types` renamed, every other tag O.

    With `capitalize` (a corpus written in lower case), the first letter of every word inside
    an annotated name of any type, of a text's first word and of a word after `.`, `!` or `?`
    is made a capital, as the news it was taken from writes them."""
    sents, rep = [], 0
    for s in split_blank(text):
        tags, words = [], []
        for i, f in enumerate(s):
            prefix, _, kind = f[-1].partition("-")
            tags.append(prefix + "-" + types[kind] if prefix in ("B", "I") and kind in types else "O")
            word = f[0]
            if capitalize and (prefix in ("B", "I") or i == 0 or s[i - 1][0] in (".", "!", "?")):
                word = word[:1].upper() + word[1:]
            words.append(word)
        tags, n = repair_iob2(tags)
        rep += n
        sents.append(list(zip(words, tags)))
    return sents, rep


def load_conll_mapped(fx, spec):
    """A corpus with its own type names (`spec["types"]`); its held-out files are checked
    against their blobs but only read by `write_heldout`."""
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode(spec["encoding"])
    sents, rep = mapped_sentences(text, spec["types"], spec.get("capitalize", False))
    notes = {"IOB2 repairs": rep, "types kept": "/".join(sorted(spec["types"]))}
    if spec.get("capitalize"):
        notes["capitals restored"] = "names, first words"
    return sents, notes


def write_heldout(fx, spec, lang, corpus, out):
    """Writes a corpus's dev and test files to <out>/heldout/<lang>-<corpus>-<split>.conll
    (scored with `newsflow-ner eval --data <out>/heldout`, never trained on)."""
    folder = os.path.join(out, "heldout")
    os.makedirs(folder, exist_ok=True)
    for split, path, blob in spec.get("heldout", []):
        text = fx.read(spec["repo"], path, blob).decode(spec["encoding"])
        sents, _ = mapped_sentences(text, spec["types"])
        check_tags(sents, "%s-%s-%s" % (lang, corpus, split))
        target = os.path.join(folder, "%s-%s-%s.conll" % (lang, corpus, split))
        write(target, sents)
        print(fmt(os.path.relpath(target, out), sents, "  (held out: not trained on)"))


GERMEVAL_TYPES = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "OTH": "MISC"}


def load_germeval(fx, spec):
    """Outer layer (3rd column); OTH->MISC, *deriv->MISC, *part->O."""
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode(spec["encoding"])
    sents, cur, rep = [], [], 0
    for line in text.split("\n"):
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
            continue
        f = line.split("\t")
        t = f[2]
        if t != "O":
            pre, _, ty = t.partition("-")
            if ty.endswith("part"):
                t = "O"
            elif ty.endswith("deriv"):
                t = pre + "-MISC"
            elif ty in GERMEVAL_TYPES:
                t = pre + "-" + GERMEVAL_TYPES[ty]
            else:
                raise SourceError("GermEval: unknown tag %r" % t)
        cur.append((f[1], t))
    if cur:
        sents.append(cur)
    out = []
    for s in sents:
        tags, n = repair_iob2([t for _, t in s])
        rep += n
        out.append([(w, t) for (w, _), t in zip(s, tags)])
    return out, {"IOB2 repairs": rep}


def anercorp_tokens(fx, spec):
    """All 150,122 (token, tag) pairs of the ANERcorp file: train part, dev tail and test part."""
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode("utf-8")
    toks = []
    for line in text.split("\n"):
        f = line.split()
        if len(f) < 2:  # blank, or a line with an empty token
            continue
        toks.append((f[0], f[-1]))  # extra field: keep first and last
    if len(toks) != 150122:
        raise SourceError("ANERCorp: %d tokens, expected 150122" % len(toks))
    return toks


def split_after_periods(toks):
    """Sentences of a token stream that ends one after each run of '.' tokens (ANERcorp's rule)."""
    sents, cur = [], []
    for i, (w, t) in enumerate(toks):
        cur.append((w, t))
        nxt = toks[i + 1][0] if i + 1 < len(toks) else None
        if w == "." and nxt != ".":
            sents.append(cur)
            cur = []
    if cur:
        sents.append(cur)
    return sents


def anercorp_test_sentences(fx, spec):
    """Token tuples and whitespace-free texts of the CAMeL test part's sentences, read only to
    drop the same sentences from other Arabic sources."""
    test = split_after_periods(anercorp_tokens(fx, spec)[ANER_TRAIN_TOKENS:])
    exact = {tuple(w for w, _ in s) for s in test}
    return exact, {"".join(t) for t in exact}


def load_anercorp(fx, spec):
    # CAMeL train part; the last 25,008 tokens (test) are never used
    sents = split_after_periods(anercorp_tokens(fx, spec)[:ANER_TRAIN_TOKENS])
    held = sents[-ANER_DEV_SENTENCES:]
    sents = sents[:-ANER_DEV_SENTENCES]
    out, rep = [], 0
    mp = {"PERS": "PER", "PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}
    for s in sents:
        tags = []
        for _, t in s:
            if t == "O":
                tags.append("O")
            else:
                p, _, ty = t.partition("-")
                if ty not in mp or p not in ("B", "I"):
                    raise SourceError("ANERCorp: unknown tag %r" % t)
                tags.append(p + "-" + mp[ty])
        tags, n = repair_iob2(tags)
        rep += n
        out.append([(w, t) for (w, _), t in zip(s, tags)])
    return out, {"dev tail removed (sentences)": len(held),
                 "dev tail removed (tokens)": sum(map(len, held)),
                 "IOB2 repairs": rep}


def load_wikiann(fx, spec):
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode(spec["encoding"])
    sents, rep = [], 0
    for s in split_blank(text):
        toks = []
        for f in s:
            w = f[0]
            m = re.match(r"^[a-z]{2,3}:", w)
            if m:
                w = w[m.end():]  # strip the "fr:" language prefix
            toks.append(w)
        tags, n = repair_iob2([f[-1] for f in s])
        rep += n
        sents.append([(w, t) for w, t in zip(toks, tags) if w])
    return [s for s in sents if s], {"IOB2 repairs": rep}


# NEREL: brat stand-off over raw text; we tokenize and split sentences ourselves.
NEREL_MAP = {
    "PERSON": "PER",
    "ORGANIZATION": "ORG",
    "COUNTRY": "LOC", "CITY": "LOC", "STATE_OR_PROVINCE": "LOC", "LOCATION": "LOC", "DISTRICT": "LOC",
    "NATIONALITY": "MISC",
}
TOKEN_RE = re.compile(r"\d+(?:[.,:]\d+)*|\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
SENT_END = {".", "!", "?", "…"}
CLOSERS = {'"', "»", ")", "”", "'", "]"}
ABBREV = {"г", "гг", "ул", "им", "св", "т", "д", "пр", "др", "см", "стр", "тыс", "млн", "млрд", "руб",
          "долл", "проф", "акад", "ген", "чел", "р", "с", "в", "п", "обл", "пос", "просп", "наб", "пер",
          "ст", "кв", "км", "м", "н", "э", "Mr", "Dr", "St"}


def nerel_doc(text, ann):
    spans, discont = [], 0
    for line in ann.split("\n"):
        if not line.startswith("T"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        typ, _, offs = parts[1].partition(" ")
        if typ not in NEREL_MAP:
            continue
        frags = [tuple(map(int, f.split())) for f in offs.split(";")]
        if len(frags) > 1:
            discont += 1
        s, e = frags[0]  # discontinuous mention: keep its first fragment
        if s < e:
            spans.append((s, e, NEREL_MAP[typ]))
    out, dropped = spans_to_sentences(text, spans, TOKEN_RE, ABBREV)
    return out, dropped, discont


def spans_to_sentences(text, spans, token_re, abbrev, ordinal_dot=False):
    """Raw text + character spans [(start, end, TYPE)] -> IOB2 sentences.

    Nested/overlapping spans are flattened longest first; tokens are cut at entity
    boundaries; sentences end at line breaks and at . ! ? ... followed by whitespace and an
    upper-case letter, digit, quote or dash (not inside an entity, not after an initial or
    an abbreviation in `abbrev`; with ordinal_dot, not after a number of one or two digits,
    as in German "12. April").  Returns (sentences, dropped spans)."""
    # nested -> flat: longest first, drop anything overlapping a kept span
    kept, dropped = [], 0
    for s, e, t in sorted(set(spans), key=lambda x: (-(x[1] - x[0]), x[0], x[2])):  # x[2]: same span, two types -> deterministic
        if any(s < ke and ks < e for ks, ke, _ in kept):
            dropped += 1
            continue
        kept.append((s, e, t))
    kept.sort()
    # tokens, forced to split at entity boundaries
    bounds = set()
    for s, e, _ in kept:
        bounds.add(s)
        bounds.add(e)
    toks = []  # (start, end)
    for m in token_re.finditer(text):
        a, b = m.start(), m.end()
        cuts = sorted(x for x in bounds if a < x < b)
        for c in cuts + [b]:
            toks.append((a, c))
            a = c
    # tags
    tags = ["O"] * len(toks)
    starts = {s: (e, t) for s, e, t in kept}
    inside = None
    for k, (a, b) in enumerate(toks):
        if inside and a >= inside[0]:
            inside = None
        if a in starts:
            e, t = starts[a]
            inside = (e, t)
            tags[k] = "B-" + t
        elif inside:
            tags[k] = "I-" + inside[1]
    # sentences: paragraph breaks, and . ! ? … (optionally followed by a closing quote
    # or bracket) when whitespace and an upper-case letter, digit, quote or dash follow;
    # never inside an entity, after an initial (В. Путин) or a listed abbreviation (г. Москва)
    def tok(k):
        return text[toks[k][0]:toks[k][1]]

    def ends_sentence(k):
        if k + 1 >= len(toks):
            return True
        gap = text[toks[k][1]:toks[k + 1][0]]
        if "\n" in gap:
            return True
        if tags[k + 1].startswith("I-") or not gap:
            return False
        w = tok(k)
        if w in CLOSERS:
            if k == 0 or toks[k - 1][1] != toks[k][0] or tok(k - 1) not in SENT_END:
                return False
        elif w not in SENT_END:
            return False
        elif w == "." and k > 0:
            prev = tok(k - 1)
            if prev in abbrev or (len(prev) == 1 and prev.isalpha() and prev.isupper()):
                return False
            if ordinal_dot and prev.isdigit() and len(prev) <= 2:
                return False
        nw = tok(k + 1)
        return nw[:1].isupper() or nw[:1].isdigit() or nw in ('"', "«", "„", "“", "-", "—", "–")

    sents, cur = [], []
    for k in range(len(toks)):
        cur.append(k)
        if ends_sentence(k):
            sents.append(cur)
            cur = []
    if cur:
        sents.append(cur)
    out = []
    for s in sents:
        sent = [(text[toks[k][0]:toks[k][1]], tags[k]) for k in s]
        st, _ = repair_iob2([t for _, t in sent])  # an entity cut by a sentence break
        out.append([(w, t) for (w, _), t in zip(sent, st)])
    return out, dropped


SHINGLE = 40


def shingles(text):
    t = re.sub(r"\s+", "", text)
    return {t[i:i + SHINGLE] for i in range(0, max(1, len(t) - SHINGLE + 1))}


def load_nerel(fx, spec):
    ex = spec["exclude"]
    index = {}
    for folder, tree in ex["folders"]:
        for name, blob in fx.list_tree(ex["repo"], folder, tree):
            if name.endswith(".txt"):
                t = fx.read(ex["repo"], folder + "/" + name, blob).decode("utf-8", "replace")
                for h in shingles(t):
                    index.setdefault(h, set()).add(folder + "/" + name)
    items = dict(fx.list_tree(spec["repo"], spec["path"], spec["tree"]))
    docs = sorted(n[:-4] for n in items if n.endswith(".txt"))
    if len(docs) != 746:
        raise SourceError("NEREL train: %d documents, expected 746" % len(docs))
    sents, dropped, discont, excluded = [], 0, 0, []
    for d in docs:
        txt = fx.read(spec["repo"], spec["path"] + "/" + d + ".txt", items[d + ".txt"]).decode("utf-8")
        sh = shingles(txt)
        hits = {}
        for h in sh:
            for doc in index.get(h, ()):
                hits[doc] = hits.get(doc, 0) + 1
        best = max(hits.items(), key=lambda kv: kv[1]) if hits else None
        if best and best[1] / len(sh) > 0.1:
            excluded.append("%s~factRuEval %s (%.0f%%)" % (d, best[0], 100.0 * best[1] / len(sh)))
            continue
        ann = fx.read(spec["repo"], spec["path"] + "/" + d + ".ann", items[d + ".ann"]).decode("utf-8")
        s, dr, dc = nerel_doc(txt, ann)
        sents.extend(s)
        dropped += dr
        discont += dc
    return sents, {"documents": len(docs) - len(excluded),
                   "documents dropped for overlap with factRuEval dev/test": "%d [%s]" % (len(excluded), "; ".join(excluded)),
                   "nested/overlapping spans dropped": dropped,
                   "discontinuous spans (first fragment kept)": discont}


# DFKI SmartData (v1) and MobIE: German news, RSS traffic reports and tweets (CC BY 4.0).
# Fine-grained types -> CoNLL types; everything else (dates, numbers, triggers, routes ...) -> O.
DFKI_MAP = {
    "person": "PER",
    "organization": "ORG", "organization-company": "ORG",
    "location": "LOC", "location-city": "LOC", "location-street": "LOC", "location-stop": "LOC",
}
# location-route (A7, S4, RE 1, Linie 5) -> O: road and transit-line numbers are not names in
# the CoNLL/GermEval sense.  org-position (CEO) -> O.
DE_TOKEN_RE = re.compile(r"https?://\S+|www\.\S+|\d+(?:[.,:]\d+)*|\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
DE_ABBREV = {"Dr", "Prof", "St", "Nr", "Str", "bzw", "ca", "vgl", "usw", "etc", "Mio", "Mrd", "Hr", "Fr",
             "Abs", "Art", "Jh", "Jan", "Feb", "Mrz", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Okt", "Nov",
             "Dez", "inkl", "evtl", "ggf", "Chr", "geb", "Tel", "ehem", "Bhf", "Hbf", "Std", "Min", "min",
             "Co", "Inc", "Ltd", "Corp", "Mr", "Mrs", "z", "u", "a", "d", "h", "v", "o", "s", "i", "e", "gg",
             "Ing", "Dipl", "Mag", "Verf", "Ziff", "ff", "rd", "tgl", "km", "kg", "Pkw", "Lkw", "PKW", "LKW"}


# A one-word LOC mention that is an adjective ("deutschen", "europäischen") -> MISC, like
# GermEval's LOCderiv and CoNLL's nationality adjectives.
DE_ADJ_RE = re.compile(r"^[a-zäöü][\w-]*(?:isch|deutsch)\w*$")


def doc_key(doc_id):
    """SmartData/MobIE document id without MobIE's '/<16 hex>' suffix (tweet id or URL@time)."""
    return re.sub(r"/[0-9a-f]{16}$", "", doc_id.strip().strip("-"))


def read_json_stream(data):
    """Concatenated (pretty-printed) JSON objects, as in the SmartData *.json.gz files."""
    import gzip
    text = gzip.decompress(data).decode("utf-8")
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def mobie_docs(fx, spec, member):
    import io
    import zipfile
    data = fx.read(spec["repo"], spec["path"], spec["blob"])
    text = zipfile.ZipFile(io.BytesIO(data)).read(member).decode("utf-8")
    docs = []  # [(key, [sentence as field lists])]
    for block in re.split(r"\n(?=-DOCSTART- )", "\n" + text):
        lines = block.strip("\n").split("\n")
        if not lines or not lines[0].startswith("-DOCSTART- "):
            if any(l.strip() for l in lines):
                raise SourceError("MobIE %s: text before the first -DOCSTART-" % member)
            continue
        key = doc_key(lines[0].split(" ")[1])
        docs.append((key, split_blank("\n".join(lines[1:]))))
    return docs


def smartdata_heldout(fx, spec):
    """Keys and whitespace-free texts of every SmartData dev/test document (all versions) and of
    MobIE dev/test.  Read only to drop those documents from training."""
    keys, texts = set(), set()
    sd = spec.get("smartdata") or spec
    for path, blob in sd["heldout"]:
        for d in read_json_stream(fx.read(sd["repo"], path, blob)):
            keys.add(doc_key(d["id"]))
            texts.add(re.sub(r"\s+", "", d["text"]["string"]))
    mb = spec.get("mobie") or spec
    for member in mb["heldout_members"]:
        for key, _ in mobie_docs(fx, mb, member):
            keys.add(key)
    return keys, texts


def load_smartdata(fx, spec):
    keys, texts = smartdata_heldout(fx, spec)
    docs = read_json_stream(fx.read(spec["repo"], spec["path"], spec["blob"]))
    if len(docs) != spec["documents"]:
        raise SourceError("SmartData: %d documents, expected %d" % (len(docs), spec["documents"]))
    sents, seen, held, dup, dropped, utf16, ment, mism, adj = [], set(), 0, 0, 0, 0, 0, 0, 0
    for d in docs:
        text = d["text"]["string"]
        key, flat = doc_key(d["id"]), re.sub(r"\s+", "", text)
        if key in keys or flat in texts:
            held += 1
            continue
        if key in seen or flat in seen:
            dup += 1
            continue
        seen.update((key, flat))
        # spans are Java (UTF-16) offsets: convert where the text has non-BMP characters (emoji)
        pos = None
        if any(ord(c) > 0xFFFF for c in text):
            utf16 += 1
            pos, n = {}, 0
            for i, c in enumerate(text):
                pos[n] = i
                n += 2 if ord(c) > 0xFFFF else 1
            pos[n] = len(text)
        spans = []
        for c in (d.get("conceptMentions") or {}).get("array") or []:
            t = DFKI_MAP.get(c["type"])
            if not t:
                continue
            a, b = c["span"]["start"], c["span"]["end"]
            if pos is not None:
                a, b = pos[a], pos[b]
            ment += 1
            nv = (c.get("normalizedValue") or {}).get("string")
            if nv is not None and text[a:b] != nv:
                mism += 1
            if t == "LOC" and DE_ADJ_RE.match(text[a:b]):
                t = "MISC"
                adj += 1
            if a < b:
                spans.append((a, b, t))
        s, dr = spans_to_sentences(text, spans, DE_TOKEN_RE, DE_ABBREV, ordinal_dot=True)
        sents.extend(x for x in s if x)
        dropped += dr
    return sents, {"documents": len(docs) - held - dup,
                   "documents dropped as SmartData v1-test/v2/v3 dev/test or MobIE dev/test": held,
                   "duplicate documents dropped": dup,
                   "documents with UTF-16 offsets converted": utf16,
                   "mapped mentions": ment, "mentions whose text differs from their normalizedValue": mism,
                   "adjective LOC->MISC": adj,
                   "nested/overlapping spans dropped": dropped}


def load_mobie(fx, spec):
    keys, _ = smartdata_heldout(fx, spec)
    # SmartData v1 train documents are also MobIE documents: drop them here, they are in de-smartdata
    sd = spec["smartdata"]
    for d in read_json_stream(fx.read(sd["repo"], sd["train"][0], sd["train"][1])):
        keys.add(doc_key(d["id"]))
    docs = mobie_docs(fx, spec, spec["member"])
    if len(docs) != spec["documents"]:
        raise SourceError("MobIE: %d documents, expected %d" % (len(docs), spec["documents"]))
    ntok = sum(len(x) for _, ss in docs for x in ss)
    if ntok != spec["raw_tokens"]:
        raise SourceError("MobIE: %d tokens, expected %d" % (ntok, spec["raw_tokens"]))
    sents, held, rep, adj = [], 0, 0, 0
    for key, ss in docs:
        if key in keys:
            held += 1
            continue
        for f in ss:
            tags = []
            for x in f:
                t = x[-1]
                if t != "O":
                    pre, _, ty = t.partition("-")
                    if pre not in ("B", "I"):
                        raise SourceError("MobIE: bad tag %r" % t)
                    t = pre + "-" + DFKI_MAP[ty] if ty in DFKI_MAP else "O"
                tags.append(t)
            tags, n = repair_iob2(tags)
            rep += n
            for k, t in enumerate(tags):
                if t == "B-LOC" and (k + 1 == len(tags) or tags[k + 1] != "I-LOC") and DE_ADJ_RE.match(f[k][0]):
                    tags[k] = "B-MISC"
                    adj += 1
            sents.append([(x[0], t) for x, t in zip(f, tags)])
    return sents, {"documents": len(docs) - held,
                   "documents dropped as SmartData (train duplicate or dev/test)": held,
                   "IOB2 repairs": rep, "adjective LOC->MISC": adj}


def load_wikineural(fx, spec):
    """WikiNEuRal CoNLL-U-like files: index<TAB>token<TAB>tag, IOB2 over PER/ORG/LOC/MISC."""
    sents, rep = [], 0
    for path, blob in spec["files"]:
        text = fx.read(spec["repo"], path, blob).decode("utf-8")
        for s in split_blank(text):
            if any(len(f) != 3 for f in s):
                raise SourceError("WikiNEuRal %s: line with %s fields" % (path, [len(f) for f in s if len(f) != 3][0]))
            tags, n = repair_iob2([f[2] for f in s])
            rep += n
            sents.append(list(zip([f[1] for f in s], tags)))
    return sents, {"files": len(spec["files"]), "IOB2 repairs": rep}


HIPE_TYPES = {"pers": "PER", "org": "ORG", "loc": "LOC", "prod": "MISC", "time": None}
FR_ABBREV = {"M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Dr", "St", "Ste", "Mgr", "Me", "Cie", "No", "no",
             "art", "Art", "cf", "env", "p", "ex", "MM", "Vve", "av", "fr", "Fr", "ch", "Ch", "etc"}


def hipe_docs(text):
    """HIPE TSV -> [(document_id, [(token, NE-COARSE-LIT, MISC column)])]."""
    docs, cur = [], None
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.startswith("# document_id"):
            cur = (line.split("=", 1)[1].strip(), [])
            docs.append(cur)
            continue
        if not line.strip() or line.startswith("#") or line.startswith("TOKEN\t"):
            continue
        f = line.split("\t")
        if cur is None or len(f) < 10:
            raise SourceError("HIPE: unexpected line %r" % line[:60])
        cur[1].append((f[0], f[1], f[-1]))
    return docs


def load_hipe(fx, spec):
    """HIPE-2020 train, mapped like the shared dev file: NE-COARSE-LIT; pers/org/loc, prod->MISC,
    time->O.  v0.9 has no sentence segmentation: we split at . ! ? followed by a capital, digit,
    quote or dash, not inside an entity, not after an initial or a French abbreviation."""
    held_ids, held_sh = set(), {}
    for path, blob in spec["heldout"]:
        for did, toks in hipe_docs(fx.read(spec["repo"], path, blob).decode("utf-8")):
            held_ids.add(did)
            for h in shingles("".join(t[0] for t in toks)):
                held_sh[h] = did
    docs = hipe_docs(fx.read(spec["repo"], spec["path"], spec["blob"]).decode(spec["encoding"]))
    if len(docs) != spec["documents"]:
        raise SourceError("HIPE: %d documents, expected %d" % (len(docs), spec["documents"]))
    ntok = sum(len(t) for _, t in docs)
    if ntok != spec["raw_tokens"]:
        raise SourceError("HIPE: %d tokens, expected %d" % (ntok, spec["raw_tokens"]))
    sents, by_id, by_text, rep = [], 0, [], 0
    for did, toks in docs:
        if did in held_ids:
            by_id += 1
            continue
        sh = shingles("".join(t[0] for t in toks))
        hit = sum(1 for h in sh if h in held_sh)
        if hit / len(sh) > 0.1:
            by_text.append("%s (%.0f%%)" % (did, 100.0 * hit / len(sh)))
            continue
        tags = []
        for w, t, _ in toks:
            if t != "O":
                pre, _, ty = t.partition("-")
                if ty not in HIPE_TYPES or pre not in ("B", "I"):
                    raise SourceError("HIPE: unknown tag %r" % t)
                t = pre + "-" + HIPE_TYPES[ty] if HIPE_TYPES[ty] else "O"
            tags.append(t)
        tags, n = repair_iob2(tags)
        rep += n
        cur = []
        for k, (w, _, _) in enumerate(toks):
            cur.append((w, tags[k]))
            nxt = toks[k + 1][0] if k + 1 < len(toks) else None
            if nxt is None:
                break
            if w in (".", "!", "?") and not tags[k + 1].startswith("I-") and \
                    (nxt[:1].isupper() or nxt[:1].isdigit() or nxt[:1] in "«\"-—–"):
                prev = toks[k - 1][0] if k else ""
                if w == "." and (prev in FR_ABBREV or (len(prev) == 1 and prev.isupper())):
                    continue
                sents.append(cur)
                cur = []
        if cur:
            sents.append(cur)
    return sents, {"documents": len(docs) - by_id - len(by_text),
                   "documents dropped as HIPE dev/test (id)": by_id,
                   "documents dropped for text shared with HIPE dev/test": "%d [%s]" % (len(by_text), "; ".join(by_text)),
                   "IOB2 repairs": rep}


# NewsFANE Gold: Alotaibi & Lee's fine-grained taxonomy (ACE-like) -> CoNLL types.
NEWSFANE_MAP = {}
for _t in ("Politician", "Athlete", "Artist", "Businessperson", "Scientist", "Lawyer", "Engineer", "Police",
           "Religious_PER", "Other_PER"):
    NEWSFANE_MAP[_t] = "PER"
for _t in ("Government", "Non-Governmental", "Commercial", "Educational", "Entertainment", "Media",
           "Medical-Science", "Religious_ORG", "Sports"):
    NEWSFANE_MAP[_t] = "ORG"
for _t in ("Nation", "Population-Center", "State-or-Province", "County-or-District", "GPE-Cluster", "Continent",
           "Water-Body", "Land-Region-Natural", "Celestial", "Building-Grounds", "Airport", "Path",
           "Subarea-Facility", "Plant"):
    NEWSFANE_MAP[_t] = "LOC"
for _t in ("Book", "Movie", "Software", "Hardware", "Land", "Air", "Water"):
    NEWSFANE_MAP[_t] = "MISC"
# Group (العرب, المسلمين: peoples, as ANERcorp leaves them O), Food, Drug and weapons -> O.
for _t in ("Group", "Food", "Drug", "Projectile", "Shooting"):
    NEWSFANE_MAP[_t] = None
AR_PROCLITICS = {"و", "ف", "ب", "ل", "ك"}
AR_ENCLITICS = {"ه", "ها", "هم", "هما", "هن", "نا", "ي", "ك", "كم", "كما", "كن", "ني"}
AR_DIACRITICS_RE = re.compile("[\u064b-\u0652\u0640]")


def ar_flat(text):
    """Whitespace-free, hamza/alef-maqsura/ta-marbuta-normalized text, for overlap tests."""
    t = AR_DIACRITICS_RE.sub("", re.sub(r"\s+", "", text))
    return re.sub("[أإآ]", "ا", t).replace("ى", "ي").replace("ة", "ه")


def load_newsfane(fx, spec):
    """NewsFANE Gold: token<TAB>tag, CRLF, a U+200E mark before each token, blank line after each
    sentence.  The text is normalized (no hamza on alef) and clitics are split off (و, ه, ها ...);
    we glue standalone clitics back onto their word, as in ANERcorp's whitespace tokens."""
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode("utf-8-sig")
    text = text.replace("\r", "").replace("\u200e", "")
    raw = split_blank(text)
    ntok = sum(map(len, raw))
    if ntok != spec["raw_tokens"]:
        raise SourceError("NewsFANE: %d tokens, expected %d" % (ntok, spec["raw_tokens"]))
    # ANERcorp (all of it: train, our dev tail and the CAMeL test part) is read only to drop
    # NewsFANE sentences that share text with it.
    an = spec["anercorp"]
    atoks = [w for w, _ in anercorp_tokens(fx, an)]
    ash = set()
    flat = ar_flat("".join(atoks))
    for i in range(0, max(1, len(flat) - SHINGLE + 1)):
        ash.add(flat[i:i + SHINGLE])
    sents, overlap, glued, unknown = [], 0, 0, {}
    for s in raw:
        f = ar_flat("".join(x[0] for x in s))
        sh = {f[i:i + SHINGLE] for i in range(0, max(1, len(f) - SHINGLE + 1))}
        if any(h in ash for h in sh):
            overlap += 1
            continue
        toks = []
        for x in s:
            w, t = x[0], x[-1]
            if t != "O":
                pre, _, ty = t.partition("-")
                if ty not in NEWSFANE_MAP or pre not in ("B", "I"):
                    unknown[t] = unknown.get(t, 0) + 1
                    t = "O"
                else:
                    t = pre + "-" + NEWSFANE_MAP[ty] if NEWSFANE_MAP[ty] else "O"
            toks.append([w, t])
        out = []
        k = 0
        while k < len(toks):
            w, t = toks[k]
            if w in AR_PROCLITICS and k + 1 < len(toks) and re.match("[\u0621-\u064a]", toks[k + 1][0]):
                nw, nt = toks[k + 1]
                toks[k + 1] = [w + nw, nt if nt != "O" else t]
                glued += 1
                k += 1
                continue
            if w in AR_ENCLITICS and out and re.search("[\u0621-\u064a]$", out[-1][0]):
                out[-1][0] += w
                glued += 1
                k += 1
                continue
            out.append([w, t])
            k += 1
        tags, _ = repair_iob2([t for _, t in out])
        sents.append([(w, t) for (w, _), t in zip(out, tags)])
    if unknown:
        raise SourceError("NewsFANE: unknown tags %s" % unknown)
    return sents, {"sentences dropped for text shared with ANERcorp (any part)": overlap,
                   "clitics glued": glued}


# AQMAR tags: PER, ORG, LOC and the article-specific MIS0-MIS3 classes (elements, software,
# competitions ...), which are the CoNLL MISC.  A few tags are misspelled in the files.
AQMAR_TYPES = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MIS": "MISC", "MIS0": "MISC", "MIS1": "MISC",
               "MIS2": "MISC", "MIS3": "MISC", "MIS-1": "MISC", "MIS-2": "MISC", "MISS1": "MISC",
               "MIS1`": "MISC", "-ORG": "ORG"}
# Tags that name no entity class: `OO`, `IO` (typos of O) and the language of a foreign word.
AQMAR_NOT_ENTITIES = {"OO", "IO", "B-SPANISH", "B-ENGLISH"}


def load_aqmar(fx, spec):
    """AQMAR: one article a file, `token tag` lines, no sentence breaks but a few blank lines;
    sentences end after each run of '.' tokens, as in ANERcorp, and at blank lines."""
    items = fx.list_tree(spec["repo"], spec["path"], spec["tree"])
    if len(items) != spec["documents"]:
        raise SourceError("AQMAR: %d articles, expected %d" % (len(items), spec["documents"]))
    sents, ntok, fixed = [], 0, 0
    for name, blob in sorted(items):
        text = fx.read(spec["repo"], spec["path"] + "/" + name, blob).decode("utf-8")
        for para in split_blank(text):
            toks = []
            for f in para:
                if len(f) != 2:
                    raise SourceError("AQMAR %s: line %r is not `token tag`" % (name, " ".join(f)))
                w, t = f
                if t in AQMAR_NOT_ENTITIES:
                    t, fixed = "O", fixed + 1
                elif t != "O":
                    pre, _, ty = t.partition("-")
                    if pre not in ("B", "I") or ty not in AQMAR_TYPES:
                        raise SourceError("AQMAR %s: unknown tag %r" % (name, t))
                    fixed += ty not in ("PER", "ORG", "LOC", "MIS0", "MIS1", "MIS2", "MIS3")
                    t = pre + "-" + AQMAR_TYPES[ty]
                toks.append((w, t))
            ntok += len(toks)
            sents.extend(split_after_periods(toks))
    if ntok != spec["raw_tokens"]:
        raise SourceError("AQMAR: %d tokens, expected %d" % (ntok, spec["raw_tokens"]))
    out, rep = [], 0
    for s in sents:
        tags, n = repair_iob2([t for _, t in s])
        rep += n
        out.append([(w, t) for (w, _), t in zip(s, tags)])
    return out, {"articles": len(items), "misspelled tags read": fixed, "IOB2 repairs": rep}


# CAraNER tags (`B_PER`, `I_ORG` ...): TIT (titles and functions, `السفير السوفيتي`) are O, as
# ANERcorp leaves them outside names.
CARANER_TYPES = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MIS": "MISC", "TIT": None}


def load_caraner(fx, spec):
    """CAraNER: a CSV of words (Sentence_ID, Word_ID, Word, two annotators' tags, the agreed tag,
    Revised_Label = the final tag), sentences in shuffled order, words in order."""
    text = fx.read(spec["repo"], spec["path"], spec["blob"]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) != spec["raw_tokens"]:
        raise SourceError("CAraNER: %d words, expected %d" % (len(rows), spec["raw_tokens"]))
    by_sentence = {}
    for r in rows:
        by_sentence.setdefault(r["Sentence_ID"], []).append(r)
    if len(by_sentence) != spec["sentences"]:
        raise SourceError("CAraNER: %d sentences, expected %d" % (len(by_sentence), spec["sentences"]))
    sents, rep = [], 0
    for sid, words in by_sentence.items():
        if [int(r["Word_ID"]) for r in words] != sorted(int(r["Word_ID"]) for r in words):
            raise SourceError("CAraNER: sentence %s has its words out of order" % sid)
        tags = []
        for r in words:
            t = r["Revised_Label"]
            if t != "O":
                pre, _, ty = t.partition("_")
                if pre not in ("B", "I") or ty not in CARANER_TYPES:
                    raise SourceError("CAraNER: unknown tag %r in sentence %s" % (t, sid))
                t = pre + "-" + CARANER_TYPES[ty] if CARANER_TYPES[ty] else "O"
            tags.append(t)
        tags, n = repair_iob2(tags)
        rep += n
        sents.append([(r["Word"], t) for r, t in zip(words, tags)])
    return sents, {"IOB2 repairs": rep}


def anercorp_mostly_o(sents):
    """Words that ANERcorp's train part tags O at least 4 times in 5 (seen 3 times or more)."""
    seen, outside = {}, {}
    for s in sents:
        for w, t in s:
            seen[w] = seen.get(w, 0) + 1
            outside[w] = outside.get(w, 0) + (t == "O")
    return {w for w, n in seen.items() if n >= 3 and outside[w] >= 0.8 * n}


# A plural of a people or sect (`الصليبيين`, `فرنسيون`): AQMAR tags them persons, ANERcorp O.
AR_PEOPLES_RE = re.compile(r"^[وفبلك]{0,2}(?:ال|لل)?\S+ي(?:ون|ين)$")


def fit_to_anercorp(sents, mostly_o):
    """Fit another Arabic set to ANERcorp's conventions, which the dev file follows.
    - Words that ANERcorp leaves outside names (`mostly_o`) at the start of a mention go: titles
      (`الملك`), the kind of body or place (`منتخب`, `وزارة`, `العاصمة`), peoples (`المسلمين`,
      tagged persons in AQMAR).  An organization or place whose last word is such a word is no
      name in ANERcorp (`قوات الأمن`, `حرس الحدود`, `العاصمة السورية`) and is dropped, where
      cutting it would leave a fragment (`حرس`); a person keeps its last word, since surnames
      are often common words (`حامد الخيال`).  A person named by a plural of a people
      (`AR_PEOPLES_RE`) is dropped.  MISC is dropped: these sets' MISC classes (chemical
      elements, software, diseases, programmes) are not ANERcorp's.
    - Only sentences that name a person are kept: the others mostly teach the other sets'
      organization and place conventions.
    Tagger alone on the dev file, mean of seeds 1-5, PER/ORG/LOC F1: ANERcorp and NewsFANE
    0.580/0.477/0.805; with AQMAR and CAraNER as they are 0.581/0.394/0.771, fitted but with
    every sentence 0.611/0.454/0.788, fitted as here 0.610/0.483/0.805."""
    out, trimmed, dropped = [], 0, 0
    for s in sents:
        tags = ["O"] * len(s)
        k = 0
        while k < len(s):
            t = s[k][1]
            if not t.startswith("B-"):
                k += 1
                continue
            ty, start, end = t[2:], k, k + 1
            while end < len(s) and s[end][1] == "I-" + ty:
                end += 1
            k = end
            if ty == "MISC" or (ty != "PER" and s[end - 1][0] in mostly_o):
                dropped += 1
                continue
            first = start
            while start < end and s[start][0] in mostly_o:
                start += 1
            if start == end or (ty == "PER" and AR_PEOPLES_RE.match(s[end - 1][0])):
                dropped += 1
                continue
            trimmed += start != first
            tags[start:end] = ["B-" + ty] + ["I-" + ty] * (end - start - 1)
        if "B-PER" in tags:
            out.append([(w, t) for (w, _), t in zip(s, tags)])
    return out, {"mentions cut to ANERcorp's name words": trimmed,
                 "mentions dropped (MISC, or no name in ANERcorp's terms)": dropped,
                 "sentences without a person dropped": len(sents) - len(out)}


LOADERS = {"wikineural": load_wikineural, "hipe": load_hipe, "newsfane": load_newsfane, "germeval": load_germeval, "conll_iob1": load_conll_iob1, "conll_iob2": load_conll_iob2, "anercorp": load_anercorp,
           "aqmar": load_aqmar, "caraner": load_caraner,
           "wikiann": load_wikiann, "nerel": load_nerel, "smartdata": load_smartdata, "mobie": load_mobie,
           "conll_mapped": load_conll_mapped}


# ---------------------------------------------------------------------------
# Dev overlap, stats, output
# ---------------------------------------------------------------------------
def load_dev(dev_dir):
    files = sorted(glob.glob(os.path.join(dev_dir, "*.conll")))
    if not files:
        raise SourceError("no *.conll dev files in %s (use --dev)" % dev_dir)
    exact, glued = set(), set()
    for fn in files:
        with open(fn, encoding="utf-8") as f:
            for s in split_blank(f.read()):
                toks = tuple(x[0] for x in s)
                exact.add(toks)
                glued.add("".join(toks))
    return exact, glued, len(files)


def stats(sents):
    ents = {t: 0 for t in TYPES}
    for s in sents:
        for _, t in s:
            if t.startswith("B-"):
                ents[t[2:]] += 1
    return len(sents), sum(map(len, sents)), ents


def write(path, sents):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for s in sents:
            for w, t in s:
                f.write("%s\t%s\n" % (w, t))
            f.write("\n")
    os.replace(tmp, path)


def fmt(name, sents, extra=""):
    n, t, e = stats(sents)
    return "%-32s sentences %7d  tokens %9d  PER %6d ORG %6d LOC %6d MISC %6d%s" % (
        name, n, t, e["PER"], e["ORG"], e["LOC"], e["MISC"], extra)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", help="folder of fetched git mirrors (owner+repo/...); default: download")
    ap.add_argument("--out", default=os.path.join(REPO_ROOT, "..", "ner-train"))
    ap.add_argument("--dev", default=os.path.join(REPO_ROOT, "..", "shared", "data", "ner"))
    ap.add_argument("--only", help="comma-separated languages")
    a = ap.parse_args()

    only = set(a.only.split(",")) if a.only else None
    try:
        exact, glued, nfiles = load_dev(a.dev)
    except (SourceError, OSError) as e:
        print("error: dev files: %s" % e, file=sys.stderr)
        return 2
    print("dev: %d files, %d distinct sentences (%s)" % (nfiles, len(exact), os.path.abspath(a.dev)))
    os.makedirs(a.out, exist_ok=True)
    fx = Fetcher(a.mirrors)
    by_lang, failed = {}, []
    aner_test = None  # the ANERcorp test part's sentences, read once if a source needs them
    aner_mostly_o = None  # the words ANERcorp's train part leaves outside names
    for lang, corpus, loader, spec in CORPORA:
        if only and lang not in only:
            continue
        name = "%s-%s" % (lang, corpus)
        src = "%s@%s:%s" % (spec["repo"][0], spec["repo"][1][:10], spec["path"])
        try:
            if spec.get("anercorp_test") and aner_test is None:
                aner_test = anercorp_test_sentences(fx, spec["anercorp_test"])
            sents, notes = LOADERS[loader](fx, spec)
            check_tags(sents, name)
            ntok = sum(map(len, sents))
            if spec.get("tokens") and ntok != spec["tokens"]:
                raise SourceError("%d tokens, expected %d" % (ntok, spec["tokens"]))
        except SourceError as e:
            if spec.get("optional"):
                print("MISSING %s (%s), skipped: %s" % (name, src, e))
                stale = os.path.join(a.out, name + ".train.conll")
                if os.path.exists(stale):
                    os.remove(stale)
            else:
                print("FAILED %s (%s): %s" % (name, src, e), file=sys.stderr)
                failed.append(name)
            continue
        keep, d_exact, d_glued, d_test = [], 0, 0, 0
        test_exact, test_glued = aner_test if spec.get("anercorp_test") else (set(), set())
        for s in sents:
            toks = tuple(w for w, _ in s)
            if toks in exact:
                d_exact += 1
            elif "".join(toks) in glued:
                d_glued += 1
            elif toks in test_exact or "".join(toks) in test_glued:
                d_test += 1
            else:
                keep.append(s)
        if spec.get("anercorp_test"):
            notes["sentences dropped as ANERcorp test sentences"] = d_test
        if spec.get("fit_to_anercorp"):
            if aner_mostly_o is None:
                aner_mostly_o = anercorp_mostly_o(load_anercorp(fx, ANERCORP_SPEC)[0])
            keep, fit_notes = fit_to_anercorp(keep, aner_mostly_o)
            notes.update(fit_notes)
        write(os.path.join(a.out, name + ".train.conll"), keep)
        if spec.get("heldout"):
            write_heldout(fx, spec, lang, corpus, a.out)
        by_lang.setdefault(lang, []).append((name, keep, bool(spec.get("fallback"))))
        print(fmt(name + ".train.conll", keep))
        print("    source %s; dropped for dev overlap: %d identical, %d same text other tokenization; %s"
              % (src, d_exact, d_glued, ", ".join("%s %s" % kv for kv in notes.items())))
    for lang, parts in sorted(by_lang.items()):
        primary = [(n, p) for n, p, fb in parts if not fb]
        parts = primary or [(n, p) for n, p, _ in parts]
        allsents = [s for _, p in parts for s in p]
        write(os.path.join(a.out, lang + ".train.conll"), allsents)
        print(fmt(lang + ".train.conll", allsents, "  (= " + " + ".join(n for n, _ in parts) + ")"))
    if failed:
        print("error: %d source(s) failed: %s" % (len(failed), ", ".join(failed)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
