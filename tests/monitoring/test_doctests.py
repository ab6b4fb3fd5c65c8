"""The examples in the monitoring docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["monitoring.hj212", "monitoring.trace_rules", "monitoring.nearest", "monitoring.walknav",
                                    "monitoring.storage", "monitoring.mqtt5_link", "monitoring.wind",
                                    "monitoring.trajectory", "monitoring.plume", "monitoring.odour_profiles",
                                    "monitoring.incidents", "monitoring.attribution", "monitoring.evidence.model",
                                    "monitoring.evidence.upwind", "monitoring.evidence.odour",
                                    "monitoring.evidence.monitors", "monitoring.evidence.walknav",
                                    "monitoring.evidence.history", "monitoring.roses",
                                    "monitoring.pollutants", "monitoring.partitions",
                                    "monitoring.archive_reads", "envpetition.db_routing"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
