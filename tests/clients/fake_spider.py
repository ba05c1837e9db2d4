"""A Scrapy spider that scrapes nothing from the web: it yields the articles
of a JSON-lines file (`-a articles=FILE`) as items, so the newsflow Scrapy
pipeline (clients/python/newsflow_scrapy.py) runs inside a real crawl.
tests/e2e/clients.rs runs it with `scrapy runspider`."""

import json

import scrapy


class FakeNewsSpider(scrapy.Spider):
    name = "fake_news"
    # One local request: Scrapy's data: URI handler answers it without a network.
    start_urls = ["data:,newsflow"]
    custom_settings = {
        "ITEM_PIPELINES": {"newsflow_scrapy.NewsflowGatewayPipeline": 800},
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
    }

    def parse(self, response):
        with open(self.articles, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)
