"""The desk's pages, one module per part: each view a small function over store or stage calls."""
