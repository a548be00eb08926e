from tests.dns_server import dns_zone  # noqa: F401  (the fixture)
