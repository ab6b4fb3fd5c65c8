"""Analytics: hotspot statistics and bulletins, read from the owning packages' views.

Dependency place (DESIGN.md, tests/test_architecture.py): ``analytics`` may import ``envpetition``,
``ingest``, ``dispatch`` and ``monitoring`` read functions; only ``dashboard`` and
``envpetition/cli.py`` import it. It owns the ``bulletins`` table (migration 0400) and nothing else.
"""
