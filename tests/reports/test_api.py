"""GET /api/v1/reports and /api/v1/reports/{name}: JSON and CSV, the filters, and who sees what
(R11.1, R11.2, R12.2; R1.1 owner, colleague, outsider; R1.3 pseudonyms; R1.5 refusals logged)."""

from __future__ import annotations

import csv
import io

import pytest

from partnerdesk.accounts.choices import SecurityEvent
from partnerdesk.accounts.models import SecurityLog

pytestmark = pytest.mark.django_db

PERIOD = "from=2026-09-01&to=2026-10-31"


def test_r11_the_list_names_each_report_with_a_title(data, api_as):
    vendor = api_as("vendor_admin").get("reports").json()
    assert [r["name"] for r in vendor] == [
        "time",
        "revenue",
        "service-levels",
        "tickets",
        "manual-deflection",
        "usage",
        "next-invoice",
    ]
    assert all(r["title"] for r in vendor)
    partner = [r["name"] for r in api_as("l1_agent").get("reports").json()]
    assert "revenue" not in partner and "usage" not in partner and "time" in partner


def test_r11_1_time_report_as_json_with_money_as_decimal_strings(data, api_as):
    body = api_as("vendor_admin").get(f"reports/time?{PERIOD}").json()
    assert (body["name"], body["from"], body["to"]) == ("time", "2026-09-01", "2026-10-31")
    assert [(r["month"], r["minutes"], r["extra_units"], r["extra_amount"]) for r in body["rows"]] == [
        ("2026-09", 120, 0, "0.00"),
        ("2026-10", 60, 0, "0.00"),
        ("2026-10", 480, 24, "594.00"),
    ]
    assert body["totals"]["extra_amount"] == "594.00"


def test_r11_1_csv_export_carries_the_same_rows(data, api_as):
    response = api_as("vendor_admin").get(f"reports/revenue?{PERIOD}&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="revenue_2026-09-01_2026-10-31.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1:] == [["2026-09", "0.00", "100.00", "0.00"], ["2026-10", "594.00", "50.50", "-100.00"]]


@pytest.mark.parametrize("role", ["partner_admin", "l1_agent"])
def test_r1_1_r11_2_owner_and_colleague_see_only_their_partner(data, api_as, role):
    body = api_as(role).get(f"reports/time?{PERIOD}").json()
    assert {r["partner_id"] for r in body["rows"]} == {data.world.partner_a.pk}
    assert body["partner"] == data.world.partner_a.pk


def test_r1_1_the_outsider_sees_its_own_figures_only(data, api_as):
    outsider = api_as(data.world.outsider["partner_admin"])
    body = outsider.get(f"reports/time?{PERIOD}").json()
    assert [(r["partner_id"], r["minutes"]) for r in body["rows"]] == [(data.world.partner_b.pk, 60)]
    sla = outsider.get("reports/service-levels?from=2026-11-10&to=2026-11-10").json()
    assert [r["plan"] for r in sla["rows"]] == ["L"]


def test_r1_1_r1_5_another_partner_in_the_filter_is_404_and_logged(data, api_as):
    client = api_as("partner_admin")
    before = SecurityLog.objects.filter(event=SecurityEvent.ACCESS_REFUSED).count()
    response = client.get(f"reports/time?{PERIOD}&partner={data.world.partner_b.pk}")
    assert response.status_code == 404
    assert SecurityLog.objects.filter(event=SecurityEvent.ACCESS_REFUSED).count() == before + 1
    assert client.get(f"reports/time?{PERIOD}&partner={data.world.partner_a.pk}").status_code == 200


@pytest.mark.parametrize("name", ["revenue", "usage"])
def test_r1_4_vendor_reports_are_404_for_partners(data, api_as, name):
    assert api_as("partner_admin").get(f"reports/{name}").status_code == 404
    assert api_as("sales").get(f"reports/{name}").status_code == 200


def test_r1_3_vendor_sees_pseudonyms_in_the_breaches(data, api_as):
    body = api_as("l2_agent").get("reports/service-levels?from=2026-11-10&to=2026-11-10").json()
    text = str(body)
    assert data.world.customer_a.name not in text and data.world.customer_a.pseudonym in text


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2026-13-01", "from"), ("from=2026-10-01&to=2026-09-01", "to"), ("format=xml", "format")],
)
def test_r13_1_bad_filters_are_422_naming_the_field(data, api_as, query, field):
    response = api_as("vendor_admin").get(f"reports/time?{query}")
    assert response.status_code == 422
    assert field in str(response.json())


def test_r11_unknown_report_is_404(data, api_as):
    assert api_as("vendor_admin").get("reports/nothing").status_code == 404


def test_r8_3_manual_deflection_keeps_its_own_route(data, api_as):
    body = api_as("vendor_admin").get("reports/manual-deflection?from=2026-01-01&to=2026-12-31").json()
    assert "solved_at_first_level" in body and "consulted_before_escalation" in body


@pytest.mark.parametrize("query", ["to=0001-01-01", "from=9999-12-31&to=9999-12-31", "from=1999-12-31"])
def test_r13_1_days_out_of_range_are_422_not_500(data, api_as, query):
    response = api_as("vendor_admin").get(f"reports/time?{query}")
    assert response.status_code == 422
