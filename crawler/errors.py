"""Domain errors of the crawler that the command line reports in one line (exit 1).

Kept apart from the modules that raise them so the command line can name them without
importing Scrapy or Redis.
"""


class FrontierError(Exception):
    """Redis is unreachable, or there is no shared crawl to join."""
