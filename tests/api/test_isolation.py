"""Tenant isolation on every route, for every role (R1.1, R1.2, R1.4). See tests/isolation.py."""

from __future__ import annotations

import json
from types import ModuleType

import pytest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.test import Client, override_settings
from django.urls import include, path
from ninja import NinjaAPI

from partnerdesk.accounts.models import Partner
from partnerdesk.api.auth import api_auth
from tests import isolation


def _document(client: Client, url: str = "/api/v1/openapi.json") -> dict:
    return json.loads(client.get(url).content)


@pytest.mark.django_db
def test_r1_1_every_route_answers_foreign_ids_with_404_and_writes_nothing(world):
    for extend in isolation.WORLD_EXTENSIONS:
        extend(world)
    findings, exercised = isolation.walk(world, document=_document(Client()))
    assert not findings, "\n".join(str(f) for f in findings)
    # The walk really went through the API and the pages.
    assert any(route.startswith("GET /api/v1/partners/{partner_id}") for route in exercised)
    assert any(route.startswith("ANY /partners/{partner_id}") for route in exercised)


# --- the walker catches a route that bypasses the selectors ----------------------------------------

leaky_api = NinjaAPI(urls_namespace="leaky-api", auth=api_auth, openapi_url="/openapi.json", docs_url=None)


@leaky_api.get("/partners/{partner_id}/name")
def leaky_partner_name(request: HttpRequest, partner_id: int) -> dict[str, str]:
    return {"name": Partner.objects.get(pk=partner_id).name}  # no selector: leaks other tenants


def leaky_page(request: HttpRequest, partner_id: int) -> HttpResponse:
    return HttpResponse(Partner.objects.get(pk=partner_id).name)


def leaky_list(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"names": [p.name for p in Partner.objects.all()]})


leaky_urls = ModuleType("leaky_urls")
leaky_urls.urlpatterns = [  # type: ignore[attr-defined]
    path("api/v1/", leaky_api.urls),
    path("leaky/<int:partner_id>/", leaky_page),
    path("leaky-list/", leaky_list),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("partnerdesk.web.urls")),
]


@pytest.mark.django_db
def test_r1_1_walker_catches_a_route_that_bypasses_the_selectors(world):
    with override_settings(ROOT_URLCONF=leaky_urls):
        document = _document(Client())
        findings, _ = isolation.walk(
            world, document=document, urlconf=leaky_urls, only=lambda path: "leaky" in path or "/name" in path
        )
    problems = {(f.route, f.problem.split(" answered")[0]) for f in findings}
    assert ("GET /api/v1/partners/{partner_id}/name", "foreign path partner_id") in problems
    assert ("ANY /leaky/{partner_id}/", "foreign path partner_id") in problems
    assert any(f.route == "ANY /leaky-list/" and "foreign data" in f.problem for f in findings)


@pytest.mark.django_db
def test_r1_1_walker_fails_on_a_route_with_an_unknown_id(world):
    unknown_api = NinjaAPI(urls_namespace="unknown-api", auth=api_auth, docs_url=None)

    @unknown_api.get("/gadgets/{gadget_id}")
    def gadget(request: HttpRequest, gadget_id: int) -> dict[str, int]:
        return {"id": gadget_id}

    urls = ModuleType("unknown_urls")
    urls.urlpatterns = [path("api/v1/", unknown_api.urls)]  # type: ignore[attr-defined]
    with override_settings(ROOT_URLCONF=urls):
        findings, _ = isolation.walk(world, document=_document(Client()), urlconf=urls, only=lambda p: "gadget" in p)
    assert any("gadget_id" in f.problem for f in findings)


def unlogged_page(request: HttpRequest, partner_id: int) -> HttpResponse:
    if partner_id != request.user.partner_id:  # type: ignore[attr-defined]
        raise Http404  # refused, but not through get_visible_or_404: nothing is logged
    return HttpResponse("own partner")


@pytest.mark.django_db
def test_r1_5_walker_catches_a_refusal_that_is_not_logged(world):
    urls = ModuleType("unlogged_urls")
    urls.urlpatterns = [path("unlogged/<int:partner_id>/", unlogged_page)]  # type: ignore[attr-defined]
    with override_settings(ROOT_URLCONF=urls):
        findings, _ = isolation.walk(world, document={"paths": {}}, urlconf=urls, only=lambda p: "unlogged" in p)
    assert findings, "the walker accepted a refusal without a security-log row"
    assert all("refusal(s) logged" in f.problem and "(R1.5)" in f.problem for f in findings), findings
