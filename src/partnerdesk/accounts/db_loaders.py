"""psycopg's C loader for timestamptz on PostgreSQL connections (speed issue).

Django registers its own timestamptz loader, a subclass of psycopg's pure-Python one that parses every
timestamp in Python and then replaces its tzinfo (django.db.backends.postgresql.psycopg_any). On a
connection whose session time zone is UTC, which Django sets with USE_TZ, psycopg's C loader returns the
very same values (aware, tzinfo ``datetime.timezone.utc``), several times faster. It is registered on each
new connection when those conditions hold (and psycopg's C implementation is installed); otherwise
Django's loader stays. PARTNERDESK_DB_C_LOADERS=false turns it off.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.backends.signals import connection_created


def _c_timestamptz_loader() -> type | None:
    try:
        from psycopg import adapters
        from psycopg.adapt import Loader
        from psycopg.pq import Format
    except ImportError:  # psycopg 2 or no PostgreSQL driver: nothing to do
        return None
    c_loader = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    if c_loader is None or not c_loader.__module__.startswith(("psycopg_binary", "psycopg_c")):
        return None

    class UtcTimestamptzLoader(Loader):
        """The C loader (its `load` is the C loader's own bound method), with the `timezone` attribute
        Django's cursors compare with the connection's before using the connection's loader."""

        timezone = datetime.UTC

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self.load = c_loader(oid, context).load  # type: ignore[method-assign]

        def load(self, data: Any) -> Any:  # replaced per instance; here for the abstract base
            raise NotImplementedError

    return UtcTimestamptzLoader


_LOADER: Any = None


def use_c_loaders(sender: Any, connection: Any, **kwargs: Any) -> None:
    global _LOADER
    if connection.vendor != "postgresql" or not settings.USE_TZ or connection.timezone is not datetime.UTC:
        return
    if connection.connection.info.parameter_status("TimeZone") != "UTC":
        return
    if _LOADER is None:
        _LOADER = _c_timestamptz_loader() or False
    if _LOADER:
        connection.connection.adapters.register_loader("timestamptz", _LOADER)


def connect() -> None:
    if getattr(settings, "PARTNERDESK_DB_C_LOADERS", True):
        connection_created.connect(use_c_loaders, dispatch_uid="partnerdesk-c-loaders")
