"""Test configuration shared by the test suite and the doctests."""

import re

import matplotlib
import numpy as np
import pytest
from _pytest.doctest import DoctestItem

matplotlib.use("Agg")

# numpy 2 shows scalars as ``np.int64(3)`` and ``np.True_`` (NEP 51), numpy 1
# as ``3`` and ``True``; the docstrings show numpy 2's reprs.
_NUMPY_2_REPR = re.compile(r"\bnp\.(?:True_|False_|(?:u?int|float|complex|str_|bool)\w*\()")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Run torch on one thread: deterministic and robust to a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_collection_modifyitems(config, items):
    """Under numpy < 2, skip the doctests whose output shows numpy 2's scalar reprs."""
    if int(np.__version__.split(".")[0]) >= 2:
        return
    skip = pytest.mark.skip(reason="the expected output shows numpy 2's scalar reprs")
    for item in items:
        if isinstance(item, DoctestItem) and any(
            _NUMPY_2_REPR.search(example.want) for example in item.dtest.examples
        ):
            item.add_marker(skip)
