#!/usr/bin/env python3
"""Where the dedup process's CPU goes, from a perf profile with call graphs.

    PERF_OUT=dedup.perf deploy/local/bench.sh --stage dedup --articles 30000
    deploy/local/perf_breakdown.py dedup.perf

Each sample is put in the first part of the work whose frames its stack
holds (the rules below, most specific first), so a part counts everything
it calls: its allocations and the kernel's work for its system calls. The
leaf columns say where the samples of a part ended: the process's own code,
the kernel, or the C library's allocator.
"""

import collections
import subprocess
import sys

# (part, frames any of which puts a sample in it), most specific first.
PARTS = [
    ("verifying candidates (finish)", ["verify_candidates", "verify::Pairing", "on_story"]),
    ("decoding the staged article (transform)", ["decode_staged_keeping_json", "intake::decode"]),
    ("reading a raw page (transform)", ["html::attach_page"]),
    ("tokenizing, fingerprint (transform)",
     ["DedupStage<L,T>::prepare", "shingle::analyze", "Sketch::of", "KnownText", "Text::from_words", "blake3"]),
    ("encoding the outputs", ["newsflow_dedup::outcome", "newsflow_dedup::decided", "ReceivedJson::encode"]),
    ("fingerprint tail: applying records to the index", ["log::apply_record", "DupIndex::apply"]),
    ("fingerprint tail: the rest (timeouts, stream)", ["log::tail"]),
    ("index lookup", ["DupIndex::lookup", "DupIndex::candidates"]),
    ("kept texts", ["RecentTexts", "texts::"]),
    ("fingerprint append and wait for it", ["VerdictLog>::decide", "log::NatsLog"]),
    ("loop: publishing the outputs", ["runtime::publish_once", "runtime::publish_all"]),
    ("loop: ack", ["runtime::settle"]),
    ("loop: hand-off to the CPU threads and back", ["cpu_pool", "runtime::on_cpu", "oneshot"]),
    ("loop: message metadata", ["Message::info"]),
    ("loop: pull requests", ["free_workers", "consumer::pull"]),
    ("loop: the rest (metrics, span, permits)", ["runtime::handle", "runtime::consume"]),
    ("async-nats connection (socket reads and writes, parsing)", ["async_nats::"]),
    ("metrics", ["prometheus::"]),
    ("tracing", ["tracing::", "tracing_core", "tracing_subscriber"]),
    ("tokio: parking, epoll, timers", ["epoll_wait", "Driver::turn", "park"]),
    ("tokio: scheduling", ["tokio::runtime"]),
]

ALLOCATOR = ("malloc", "free", "realloc", "calloc", "unlink_chunk", "consolidate", "_int_")


def samples(perf_data):
    """(stack of frame names, leaf first) of every sample."""
    text = subprocess.run(
        ["perf", "script", "-i", perf_data, "-F", "comm,ip,sym,dso"],
        check=True, capture_output=True, text=True, errors="replace",
    ).stdout
    stack = None
    for line in text.splitlines():
        if not line.strip():
            if stack:
                yield stack
            stack = None
        elif not line.startswith("\t"):
            # A sample's header (its thread's name); its frames follow, indented by a tab.
            stack = []
        elif stack is not None:
            parts = line.strip().split(" ", 1)
            stack.append(parts[-1])
    if stack:
        yield stack


def part_of(stack):
    frames = "\n".join(stack)
    for part, keys in PARTS:
        if any(key in frames for key in keys):
            return part
    return "other"


def leaf_of(stack):
    leaf = stack[0] if stack else ""
    if "kallsyms" in leaf:
        return "kernel"
    if "libc.so" in leaf and any(key in leaf for key in ALLOCATOR):
        return "allocator"
    return "user"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    parts = collections.Counter()
    leaves = collections.Counter()
    total = 0
    for stack in samples(sys.argv[1]):
        part = part_of(stack)
        leaf = leaf_of(stack)
        parts[part] += 1
        leaves[(part, leaf)] += 1
        leaves[leaf] += 1
        total += 1
    if total == 0:
        sys.exit(f"{sys.argv[1]} holds no samples")
    pct = lambda n: 100 * n / total
    print(f"{total} samples; share of the process's CPU (own code / kernel / allocator)")
    for part, count in parts.most_common():
        split = " / ".join(f"{pct(leaves[(part, leaf)]):.1f}" for leaf in ("user", "kernel", "allocator"))
        print(f"{pct(count):5.1f} %  {part}  ({split})")
    print(" / ".join(f"{leaf} {pct(leaves[leaf]):.1f} %" for leaf in ("user", "kernel", "allocator")))


if __name__ == "__main__":
    main()
