"""One spider module per kind of source: jsonld, telegram, board, feed (base: shared parts).

Spiders are named after the configured source they crawl (crawler.loader).
"""
