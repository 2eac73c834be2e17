"""Shared fixtures: a world with an owner partner, a colleague, and an outsider partner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson, EndCustomer, Partner, User
from partnerdesk.accounts.services import create_api_token
from tests.factories import (
    ContactPersonFactory,
    EndCustomerFactory,
    PartnerFactory,
    partner_user,
    vendor_user,
)


def pytest_configure(config: pytest.Config) -> None:
    # German and English catalogs are build output; make sure they exist for the i18n tests.
    import django
    from django.conf import settings

    django.setup()
    call_command("compilecatalogs", verbosity=0)
    # Argon2 is the production hasher (tested in tests/accounts); the suite uses a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@dataclass
class World:
    """Two partners (A = the asker's own, B = the outsider), their end customers, users of every role."""

    partner_a: Partner
    partner_b: Partner
    customer_a: EndCustomer
    customer_b: EndCustomer
    contact_a: ContactPerson
    contact_b: ContactPerson
    users: dict[str, User] = field(default_factory=dict)  # role -> user (partner roles at partner A)
    outsider: dict[str, User] = field(default_factory=dict)  # partner roles at partner B

    def user(self, role: str) -> User:
        return self.users[role]


@pytest.fixture
def world(db: Any) -> World:
    partner_a = PartnerFactory(name="Nordlicht Systemhaus GmbH")
    partner_b = PartnerFactory(name="Alpen IT-Service e.K.")
    customer_a = EndCustomerFactory(partner=partner_a, number=1, name="Bäckerei Hansen KG")
    customer_b = EndCustomerFactory(partner=partner_b, number=1, name="Brauerei Huber GmbH")
    contact_a = ContactPersonFactory(end_customer=customer_a, name="Jens Hansen", email="jens@hansen.example")
    contact_b = ContactPersonFactory(end_customer=customer_b, name="Franz Huber", email="franz@huber.example")
    world = World(partner_a, partner_b, customer_a, customer_b, contact_a, contact_b)
    for role in (Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER):
        world.users[role] = vendor_user(role, email=f"{role}@vendor.example")
    for role in (Role.PARTNER_ADMIN, Role.L1_AGENT):
        world.users[role] = partner_user(partner_a, role, email=f"{role}@a.example")
        world.outsider[role] = partner_user(partner_b, role, email=f"{role}@b.example")
    return world


class ApiClient:
    """A Django test client that talks JSON to /api/v1 with a bearer token."""

    def __init__(self, user: User) -> None:
        self.user = user
        _, self.token = create_api_token(acting_user=user, name="tests")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def _call(self, method: str, path: str, data: Any = None, **headers: Any) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs: dict[str, Any] = {"content_type": "application/json"} if data is not None else {}
        if data is not None:
            kwargs["data"] = data
        return getattr(self.client, method)(url, headers=headers or None, **kwargs)

    def get(self, path: str, **headers: Any) -> Any:
        return self._call("get", path, **headers)

    def post(self, path: str, data: Any = None, **headers: Any) -> Any:
        return self._call("post", path, data if data is not None else {}, **headers)

    def patch(self, path: str, data: Any = None, **headers: Any) -> Any:
        return self._call("patch", path, data if data is not None else {}, **headers)

    def put(self, path: str, data: Any = None, **headers: Any) -> Any:
        return self._call("put", path, data if data is not None else {}, **headers)

    def delete(self, path: str, **headers: Any) -> Any:
        return self._call("delete", path, **headers)


@pytest.fixture
def api_as(world: World) -> Any:
    """`api_as(role)` or `api_as(user)`: an API client for that user."""

    def make(who: str | User) -> ApiClient:
        user = who if isinstance(who, User) else world.user(who)
        return ApiClient(user)

    return make


@pytest.fixture
def full_world(world: World) -> World:
    """The world with every app's objects for partner A and partner B (those of the isolation walk)."""
    from tests import isolation

    for extend in isolation.WORLD_EXTENSIONS:
        extend(world)
    return world


@pytest.fixture
def run_worker(db: Any) -> Any:
    """`run_worker()`: one round of the outbox worker (nothing is sent from a request any more)."""
    from partnerdesk.outbox.delivery import deliver_due

    def run(**kwargs: Any) -> Any:
        return deliver_due(**kwargs)

    return run
