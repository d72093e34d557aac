"""Shared fixtures: small seeded models first, the full-size ones only where a test needs them."""

from __future__ import annotations

import pytest
import torch

from msg_model.spec import SMALL_CONFIG, random_generator


@pytest.fixture(autouse=True)
def fixed_seed():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def small_generator():
    return random_generator(SMALL_CONFIG)
