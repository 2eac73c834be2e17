"""Login lockout (django-axes) keyed on user name and address together (R1.5).

Driven through Django's test client rather than Chromium: the browser cannot present a second source
address to the live server, and the lockout is decided on the address alone.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from partnerdesk.accounts.choices import SecurityEvent
from partnerdesk.accounts.models import SecurityLog
from tests.factories import PASSWORD

EMAIL = "l1_agent@a.example"
ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


def _log_in(address: str, password: str, email: str = EMAIL) -> Any:
    return Client(REMOTE_ADDR=address).post("/login/", {"username": email, "password": password})


def test_r1_5_repeated_failures_lock_that_user_from_that_address_only(world):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = _log_in(ATTACKER, "wrong password")
        assert response.status_code == 200  # the form again, with its error
    response = _log_in(ATTACKER, "wrong password")
    assert response.status_code == 429  # AXES_HTTP_RESPONSE_CODE: Too Many Requests
    assert "Too many failed logins" in response.content.decode()

    # Locked: even the right password is refused from that address ...
    client = Client(REMOTE_ADDR=ATTACKER)
    locked = client.post("/login/", {"username": EMAIL, "password": PASSWORD})
    assert locked.status_code == 429
    assert client.get("/").status_code == 302  # still not signed in: sent to the login page

    # ... while the same user still logs in from the office, and another user from the attacker's address.
    office = _log_in(OFFICE, PASSWORD)
    assert office.status_code == 302 and office.url == "/"
    colleague = _log_in(ATTACKER, PASSWORD, email="partner_admin@a.example")
    assert colleague.status_code == 302

    events = list(SecurityLog.objects.filter(username=EMAIL).values_list("event", flat=True))
    assert SecurityEvent.LOGIN_LOCKED_OUT in events
    assert events.count(SecurityEvent.LOGIN_FAILED) >= limit - 1
    assert SecurityLog.objects.filter(event=SecurityEvent.LOGIN_LOCKED_OUT, ip_address=ATTACKER).exists()
