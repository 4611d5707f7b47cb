"""The examples in docstrings are tests too."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from schakel.graph import analytics, brokerage, geo, names, netexport, privacy
from schakel.matching import activities, reciprocal
from schakel.service.application import network as network_use_cases
from schakel.service.web import pages


@pytest.mark.parametrize("module", [names, geo, analytics, brokerage, netexport, privacy,
                                    pages, network_use_cases, activities, reciprocal],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
