"""The report pages and the dashboards per role: a chart beside each table, no script and no inline style in
the SVG (strict CSP), German and English labels and number formats (R11.3, R12.1, issue 16 items 3, 4)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partnerdesk.reports.selectors import REPORTS

pytestmark = pytest.mark.django_db

VENDOR_ROLES = ["vendor_admin", "sales", "billing", "l2_agent", "l3_engineer"]
PARTNER_ROLES = ["partner_admin", "l1_agent"]


def page(user, url, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def assert_csp_clean(html):
    assert "<script" not in html.split("</header>", 1)[-1].replace('<script src="/static/', "")
    assert not re.search(r"\sstyle=", html), "an inline style attribute would be blocked by the CSP"


@pytest.mark.parametrize("role", VENDOR_ROLES + PARTNER_ROLES)
def test_r11_every_report_page_renders_for_every_role_it_is_for(data, role):
    user = data.world.user(role)
    for name, kind in REPORTS.items():
        if kind.vendor_only and user.is_partner:
            continue
        query = f"?partner={data.world.partner_a.pk}" if name == "next-invoice" and user.is_vendor else ""
        html = page(user, f"/reports/{name}/{query}")
        assert_csp_clean(html)


def test_r11_3_time_chart_is_svg_with_a_table_beside_it(data):
    html = page(data.world.user("vendor_admin"), "/reports/time/?from=2026-09-01&to=2026-10-31")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count('class="series-0"') == 2 and svg.count('class="series-1"') == 2  # two months, two series
    assert "<table" in html and "594.00" in html


def test_r12_1_german_labels_and_number_formats(data):
    html = page(data.world.user("vendor_admin"), "/reports/time/?from=2026-09-01&to=2026-10-31", "de")
    assert "Zeit je Partner, Vertrag und Monat" in html
    assert "594,00" in html and "Oktober 2026" in html
    english = page(data.world.user("vendor_admin"), "/reports/time/?from=2026-09-01&to=2026-10-31", "en")
    assert "594.00" in english and "October 2026" in english


def test_r11_1_the_page_exports_csv(data):
    client = Client()
    client.force_login(data.world.user("billing"))
    response = client.get("/reports/revenue/?from=2026-09-01&to=2026-10-31&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "594.00" in response.content.decode()


def test_r1_1_a_partner_page_with_another_partner_is_404(data):
    client = Client()
    client.force_login(data.world.user("partner_admin"))
    assert client.get(f"/reports/time/?partner={data.world.partner_b.pk}").status_code == 404
    assert client.get("/reports/revenue/").status_code == 404


@pytest.mark.parametrize("role", VENDOR_ROLES + PARTNER_ROLES)
def test_r11_3_dashboard_shows_the_role_panels(data, role):
    user = data.world.user(role)
    html = page(user, "/")
    assert_csp_clean(html)
    expected = {
        "l1_agent": ["Waiting for me", "With the vendor", "Included time in the current terms", "<svg"],
        "partner_admin": ["Open invoices", "Included time in the current terms", "<svg", "RP-"],
        "l2_agent": ["Breached", "At risk", "Tickets I follow", "Today's appointments"],
        "l3_engineer": ["Breached", "At risk"],
        "sales": ["Partners near or over their included time"],
        "billing": ["Last billing run", "This period's preview"],
        "vendor_admin": [],
    }[role]
    for text in expected:
        assert text in html, (role, text)


def test_r11_3_l2_dashboard_lists_the_breached_tickets(data):
    html = page(data.world.user("l2_agent"), "/")
    section = html[html.index("Breached") : html.index("At risk")]
    assert f"#{data.sla['silent'].pk} " in section


def test_r13_1_bad_filters_on_the_page_are_named_not_a_server_error(data):
    client = Client()
    client.force_login(data.world.user("vendor_admin"))
    response = client.get("/reports/time/?from=²&to=x&partner=abc&plan=-1")
    assert response.status_code in (200, 404)
    response = client.get("/reports/time/?from=²&to=x&partner=abc")
    assert response.status_code == 200
    html = response.content.decode()
    assert "from" in html and "partner" in html


def test_r13_1_the_next_invoice_page_without_a_partner_asks_for_one(data):
    client = Client(headers={"accept-language": "en"})
    client.force_login(data.world.user("billing"))
    response = client.get("/reports/next-invoice/")
    assert response.status_code == 200 and "Choose a partner." in response.content.decode()
