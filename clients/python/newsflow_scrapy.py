"""A Scrapy item pipeline that sends scraped articles to newsflow through the
HTTP ingest gateway (`newsflow-gateway`), in NDJSON batches.

Enable it in your project's settings:

    ITEM_PIPELINES = {"newsflow_scrapy.NewsflowGatewayPipeline": 800}
    NEWSFLOW_GATEWAY_URL = "http://127.0.0.1:8080"   # the gateway's --listen address
    NEWSFLOW_GATEWAY_TOKEN = None                     # the bearer token, if it asks for one
    NEWSFLOW_BATCH_SIZE = 100                         # articles per request

Each item becomes one article (`id`, `url`, `title`, `text` or `html`, ...:
proto/article.v1.schema.json; unknown fields are kept by newsflow). The
pipeline posts a batch when it has NEWSFLOW_BATCH_SIZE items and when the
spider closes. Refused articles (the gateway names the line and the reason)
are logged and counted in the crawl stats (`newsflow/refused`); when the
gateway answers 503 the batch is sent again after Retry-After, which is safe:
articles already stored are not stored twice. The request is made with the
standard library and blocks the crawl for its duration (one request per batch).
"""

import json
import logging
import time
import urllib.error
import urllib.request

from itemadapter import ItemAdapter

logger = logging.getLogger(__name__)


class GatewayError(RuntimeError):
    """The gateway did not take a batch."""


class NewsflowGatewayPipeline:
    def __init__(self, url, token=None, batch_size=100, attempts=5, stats=None):
        self.url = url.rstrip("/") + "/v1/articles"
        self.token = token
        self.batch_size = batch_size
        self.attempts = attempts
        self.stats = stats
        self.batch = []

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            url=settings.get("NEWSFLOW_GATEWAY_URL", "http://127.0.0.1:8080"),
            token=settings.get("NEWSFLOW_GATEWAY_TOKEN"),
            batch_size=settings.getint("NEWSFLOW_BATCH_SIZE", 100),
            attempts=settings.getint("NEWSFLOW_GATEWAY_ATTEMPTS", 5),
            stats=crawler.stats,
        )

    def process_item(self, item, spider=None):
        self.batch.append(ItemAdapter(item).asdict())
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self, spider=None):
        self.flush()

    def flush(self):
        if not self.batch:
            return
        body = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in self.batch).encode("utf-8")
        report = self.post(body)
        for refused in report["refused"]:
            article = self.batch[refused["line"] - 1]
            logger.warning("newsflow refused %s: %s (%s)", article.get("id") or article.get("url"), refused["reason"], refused["code"])
        self.count("newsflow/accepted", len(report["accepted"]))
        self.count("newsflow/refused", len(report["refused"]))
        self.batch = []

    def post(self, body):
        headers = {"Content-Type": "application/x-ndjson"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.load(response)
            except urllib.error.HTTPError as err:
                answer = err.read().decode("utf-8", "replace")
                if err.code in (207, 400):
                    return json.loads(answer)
                if err.code == 503 and attempt < self.attempts:
                    wait = int(err.headers.get("Retry-After", "1"))
                    logger.info("newsflow gateway unavailable (attempt %d): retrying in %d s", attempt, wait)
                    time.sleep(wait)
                    continue
                raise GatewayError(f"POST {self.url} answered {err.code}: {answer}") from err
            except urllib.error.URLError as err:
                if attempt < self.attempts:
                    time.sleep(1)
                    continue
                raise GatewayError(f"POST {self.url} failed: {err.reason}") from err
        raise GatewayError(f"POST {self.url}: no answer after {self.attempts} attempts")

    def count(self, key, value):
        if self.stats is not None and value:
            self.stats.inc_value(key, value)
