"""What the migration tests share: an engine on an empty database of the backend asked for."""

from __future__ import annotations

import pytest

from services.platform.db import make_engine


@pytest.fixture
def scratch_engine(scratch_database_url):
    """An engine on `scratch_database_url` (parametrised indirectly with "sqlite" or "postgresql")."""
    engine = make_engine(scratch_database_url)
    yield engine
    engine.dispose()
