"""Shared test set-up: deterministic hypothesis runs and a seeded generator."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Derandomised, no example database on disk: the same examples on every machine and
# every run, so CI is never red by luck. HYPOTHESIS_PROFILE=explore searches afresh.
settings.register_profile(
    "default", derandomize=True, database=None, deadline=None, max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)
