"""A pack that fails on import, as a pack with a missing dependency would."""

raise RuntimeError("nodeloom-broken-import cannot be imported (on purpose)")
