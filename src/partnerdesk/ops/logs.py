"""JSON log lines (issue 17 item 4) and the last guard against contact data in them.

No Django imports: the logging configuration loads this module while settings are read.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

# Addresses and phone numbers: whatever a message or an extra field carries, the line shows neither.
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w.:/+-])(?:\+|00|0)\d[\d ()/-]{5,}\d(?![\w.:/-])")
# Fields the formatter itself fills in (times, levels, ids): never contact data, never masked.
_OWN_FIELDS = {"time", "level", "logger", "request_id", "duration_ms", "status"}


def redact(text: str) -> str:
    return _PHONE.sub("[phone]", _EMAIL.sub("[address]", text))


class Formatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, request_id and any extra fields."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def process_log_record(self, log_data: dict[str, object]) -> dict[str, object]:
        for key, value in list(log_data.items()):
            if isinstance(value, str) and key not in _OWN_FIELDS:
                log_data[key] = redact(value)
        return super().process_log_record(log_data)  # type: ignore[no-any-return]

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """ISO 8601 in UTC with its offset: log lines from servers in any zone sort and compare as they are."""
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def formatException(self, ei: object) -> str:  # noqa: N802
        return redact(super().formatException(ei))  # type: ignore[arg-type]
