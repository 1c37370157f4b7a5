"""Disjoint sets: which items end up linked, directly or through others."""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class UnionFind:
    """Union-find over hashable items (path halving); unseen items are their own set."""

    def __init__(self) -> None:
        self._parent: dict[Hashable, Hashable] = {}

    def find(self, item: Hashable) -> Hashable:
        """The representative of ``item``'s set."""
        parent = self._parent
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: Hashable, b: Hashable) -> None:
        """Put ``a`` and ``b`` in one set."""
        self._parent[self.find(a)] = self.find(b)

    def labels(self, items: Iterable[Hashable]) -> list[int]:
        """A set number for each item, sets numbered in order of their first item."""
        numbers: dict[Hashable, int] = {}
        return [numbers.setdefault(self.find(item), len(numbers)) for item in items]
