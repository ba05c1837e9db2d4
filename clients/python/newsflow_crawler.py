"""Publish articles to newsflow from Python with nats-py (pip install nats-py).

A crawler publishes each article to `news.raw` through JetStream with the
header `Nats-Msg-Id` set to the article id, and waits for the acknowledgement:
once it has it, the article is stored, and a resend within the duplicate
window (2 hours) is not stored twice.

As a program: reads articles (JSON objects, one per line) from the files
given, or stdin, publishes them and prints one JSON line per article:
{"id": ..., "seq": <NEWS_RAW sequence>, "duplicate": <already stored>}.
The server and credentials come from the variables the newsflow services
read: NATS_URL (comma-separated list), NATS_USER and NATS_PASSWORD, or
NATS_TOKEN, and NEWSFLOW__NATS__INBOX_PREFIX on a secured server.

Exit status: 0 when every article was stored, 1 otherwise.
"""

import asyncio
import json
import os
import sys

import nats

RAW_SUBJECT = "news.raw"


async def connect():
    """Connects with the settings of the environment, as the services do."""
    options = {
        "servers": [s.strip() for s in os.environ.get("NATS_URL", "nats://127.0.0.1:4222").split(",") if s.strip()],
        "name": "newsflow-python-crawler",
    }
    if os.environ.get("NATS_USER"):
        options["user"] = os.environ["NATS_USER"]
        options["password"] = os.environ.get("NATS_PASSWORD", "")
    if os.environ.get("NATS_TOKEN"):
        options["token"] = os.environ["NATS_TOKEN"]
    if os.environ.get("NEWSFLOW__NATS__INBOX_PREFIX"):
        options["inbox_prefix"] = os.environ["NEWSFLOW__NATS__INBOX_PREFIX"]
    return await nats.connect(**options)


async def publish_articles(js, articles):
    """Publishes each article (a dict with an `id`) and yields its acknowledgement."""
    for article in articles:
        article_id = article.get("id")
        if not article_id:
            raise ValueError(f"article without an id: {str(article)[:80]}")
        ack = await js.publish(
            RAW_SUBJECT,
            json.dumps(article, ensure_ascii=False).encode("utf-8"),
            headers={"Nats-Msg-Id": article_id},
        )
        yield article_id, ack


def read_articles(paths):
    streams = [open(p, encoding="utf-8") for p in paths] if paths else [sys.stdin]
    for stream in streams:
        for number, line in enumerate(stream, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as err:
                    raise SystemExit(f"{getattr(stream, 'name', 'stdin')} line {number}: not JSON: {err}")


async def main(paths):
    nc = await connect()
    js = nc.jetstream()
    stored = 0
    try:
        async for article_id, ack in publish_articles(js, read_articles(paths)):
            print(json.dumps({"id": article_id, "seq": ack.seq, "duplicate": bool(ack.duplicate)}), flush=True)
            stored += 1
    finally:
        await nc.drain()
    print(f"published {stored} articles to {RAW_SUBJECT}", file=sys.stderr)


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except Exception as err:  # the reason on stderr, exit status 1
        print(f"newsflow_crawler: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(1)
