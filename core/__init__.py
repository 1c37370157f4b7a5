"""The bottom floor: contracts and small helpers every layer may import.

Nothing here imports any other lurewatch package (import-linter checks it), so
config, classifier, store, crawler and stages can all build on it.
"""
