"""The servers tier of `make test` really runs on PostgreSQL and Redis, not silently on SQLite."""

import pytest
from django.core.cache import cache, caches
from django.db import connection

from tests.conftest import ON_SERVERS


@pytest.mark.django_db
def test_the_suite_runs_on_the_backends_its_tier_names():
    backend = type(caches["default"]).__name__
    if ON_SERVERS:
        assert (connection.vendor, backend) == ("postgresql", "RedisCache")
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            assert cursor.fetchone()[0]
        cache.set("tier-probe", 1)
        assert cache.get("tier-probe") == 1
    else:
        assert (connection.vendor, backend) == ("sqlite", "LocMemCache")
