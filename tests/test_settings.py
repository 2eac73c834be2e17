"""Settings from the environment: a value that means nothing stops the start, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PARTNERDESK = Path(sys.executable).with_name("partnerdesk")


def _check(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PARTNERDESK_DATA_DIR": str(tmp_path), **variables}
    env.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603 - our own command
        [str(PARTNERDESK), "check"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("PARTNERDESK_HTTPS", "ture"), ("DEBUG", "maybe"), ("EMAIL_USE_TLS", "2"), ("SESSION_COOKIE_AGE", "12h")],
)
def test_unknown_setting_value_stops_the_start_naming_the_variable(tmp_path, name, value):
    result = _check(tmp_path, **{name: value})
    assert result.returncode != 0
    assert f"{name}={value!r}" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.parametrize("value", ["YES", " on ", "0", "off"])
def test_every_spelling_of_yes_and_no_is_accepted(tmp_path, value):
    assert _check(tmp_path, DEBUG=value).returncode == 0
