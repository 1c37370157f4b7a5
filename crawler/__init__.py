"""The Scrapy project: spiders per kind of source, the JobAd item, item pipelines, settings.

``scrapy list`` / ``scrapy crawl SOURCE`` work from the project folder (scrapy.cfg);
the nightly job crawls through stages.crawl, which runs crawler.run in a child process.
"""
