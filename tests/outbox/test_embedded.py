"""Issue 11 item 2, the embedded default: without EMAIL_HOST, mail is written into files under the data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import override_settings

from partnerdesk.outbox.delivery import deliver_due

from .conftest import notice


def _settings_with(env: dict[str, str]) -> dict[str, object]:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k) for k in "
        "('EMAIL_BACKEND', 'EMAIL_FILE_PATH', 'EMAIL_TIMEOUT', 'PARTNERDESK_OUTBOX_MAX_ATTEMPTS')}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "partnerdesk.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_r13_1_without_email_host_mail_goes_into_files_under_the_data_folder(tmp_path):
    values = _settings_with({"PARTNERDESK_DATA_DIR": str(tmp_path)})
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    assert values["EMAIL_TIMEOUT"] == 30 and values["PARTNERDESK_OUTBOX_MAX_ATTEMPTS"] == 8
    smtp = _settings_with({"PARTNERDESK_DATA_DIR": str(tmp_path), "EMAIL_HOST": "mail.example", "EMAIL_TIMEOUT": "7"})
    assert smtp["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend" and smtp["EMAIL_TIMEOUT"] == 7


@pytest.mark.django_db
def test_r13_1_the_worker_writes_the_mail_file_with_its_message_id(tmp_path):
    row = notice()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(tmp_path / "mail")
    ):
        assert deliver_due().sent == [row.pk]
    (written,) = (tmp_path / "mail").iterdir()
    text = written.read_text()
    assert row.message_id in text and "Included time used." in text
