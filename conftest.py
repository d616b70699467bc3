"""Test configuration shared by the test suite and the doctests."""

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Run torch on one thread: deterministic and robust to a busy machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
