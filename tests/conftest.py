import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minigrad as mg

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def needs_dot() -> None:
    """Graphviz's `dot` program: CI installs it, so there its absence fails the test; on a
    developer's machine the test is skipped with a message saying how to get it."""
    from minigrad.viz import has_dot
    from minigrad.viz.output import INSTALL

    if not has_dot():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"the Graphviz `dot` program is not installed: {INSTALL}"
        )


@pytest.fixture
def float64_numbers():
    """Python numbers in float64 (the default dtype) for the duration of a test."""
    previous = mg.get_default_dtype()
    mg.set_default_dtype(np.float64)
    yield
    mg.set_default_dtype(previous)
