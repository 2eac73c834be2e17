"""Hostile input on every page (R13.1): every query parameter and form field, as every kind of user,
answers a page, a field error or 400, never a server error. The pages' counterpart of schemathesis."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partnerdesk.accounts.choices import Role
from tests import isolation

# Values that broke pages before: NUL (PostgreSQL refuses it), digits `isdigit()` accepts but `int()`
# does not, numbers beyond any database's integers, and the usual suspects.
HOSTILE = [
    "\x00",
    "a\x00b",
    "²",
    "٣",
    "-1",
    "0",
    "99999999999999999999",
    "1e9",
    "",
    " ",
    "<script>x</script>",
    "ä" * 3000,
]
# Names pages read by hand (not through a form), tried on every page.
COMMON_PARAMS = ["q", "page", "state", "category", "partner", "ticket", "end_customer_id", "level", "kind", "key"]
HTML_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
# The roles with the most pages and forms; the others see subsets of the same pages.
ROLES = [Role.VENDOR_ADMIN, Role.L2_AGENT, Role.PARTNER_ADMIN]


def _pages():
    return [
        route
        for route in isolation.page_routes()
        if route.path not in isolation.PUBLIC_ROUTES
        and not any(route.path.startswith(prefix) for prefix in isolation.EXCLUDED_PREFIXES)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_r13_1_hostile_values_on_every_page_never_give_a_server_error(world, role):
    for extend in isolation.WORLD_EXTENSIONS:
        extend(world)
    failures: list[str] = []
    pages = _pages()
    assert len(pages) > 20  # the walk really found the pages
    user = world.users[role]
    client = Client()
    client.force_login(user, backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    for route in pages:
        own = {p: isolation.ID_KINDS[p].own(world, user) for p in route.params}
        url = isolation._fill(route.path, own)
        page = client.get(url)
        html = b"" if getattr(page, "streaming", False) else page.content
        names = set(COMMON_PARAMS) | set(HTML_NAME.findall(html.decode("utf-8", "replace")))
        names.discard("csrfmiddlewaretoken")
        for value in HOSTILE:
            for method in ("get", "post"):
                data = {name: value for name in names}
                response = getattr(client, method)(url, data=data)
                if response.status_code >= 500:
                    failures.append(f"{role} {method.upper()} {url} {value!r}: {response.status_code}")
        for name in names:  # one field at a time too: a valid rest reaches deeper code
            response = client.post(url, data={name: "\x00"})
            if response.status_code >= 500:
                failures.append(f"{role} POST {url} {name}=NUL: {response.status_code}")
    assert not failures, "\n".join(failures[:50])


@pytest.mark.django_db
def test_r13_1_nul_in_a_page_query_is_400_naming_the_field_in_the_users_language(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(world.users[Role.L1_AGENT], backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    response = client.get("/tickets/", {"q": "\x00"})
    assert response.status_code == 400
    assert "Das Feld „q“ enthält ein unzulässiges Zeichen." in response.content.decode()


@pytest.mark.django_db
def test_r13_1_ids_beyond_any_database_are_404_on_pages(world):
    client = Client()
    client.force_login(world.users[Role.L1_AGENT], backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    assert client.get("/tickets/99999999999999999999/").status_code == 404
    assert client.get("/tickets/9223372036854775808/").status_code == 404
