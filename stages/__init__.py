"""The stages of the nightly job: where crawler, classifier and store meet.

Each stage is a function ``(config, ...) -> result``; pipeline.py calls them.
"""
