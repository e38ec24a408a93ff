"""One Prefect API (the real test harness: a temporary server and database) for every flow test module
that needs one, started once for the package instead of once per module. Each test tells its own runs
apart (by tag, by flow run, by start time), so sharing the API changes nothing they assert."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="package")
def prefect_api() -> Iterator[str]:
    """The harness's API URL, for builds run in this process and as commands."""
    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())
