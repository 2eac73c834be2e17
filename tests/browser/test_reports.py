"""Reports and dashboards in a real browser, German and English: the SVG charts render with no
Content-Security-Policy refusal (the fixture fails on any), a table beside each chart (R11.3, R12.1).
Screenshots of each when PARTNERDESK_SCREENSHOTS names a directory."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from partnerdesk.reports.selectors import REPORTS
from tests.browser.conftest import screenshot
from tests.reports.conftest import data  # noqa: F401  (the reports' known data set)

pytestmark = pytest.mark.browser

LOCALES = {"de": "de-DE", "en": "en-US"}
ROLES = ["vendor_admin", "sales", "billing", "l2_agent", "l3_engineer", "partner_admin", "l1_agent"]


@pytest.mark.parametrize("language", LOCALES)
def test_r11_3_every_dashboard_in_both_languages(data, open_page, language):  # noqa: F811
    for role in ROLES:
        page = open_page(locale=LOCALES[language], user=data.world.user(role))
        page.goto("/")
        expect(page.locator("h1")).to_have_text("Übersicht" if language == "de" else "Overview")
        if role in ("partner_admin", "l1_agent"):
            expect(page.locator("svg.chart-svg").first).to_be_visible()
        screenshot(page, f"dashboard-{role}-{language}")


@pytest.mark.parametrize("language", LOCALES)
def test_r11_3_every_report_with_its_chart_and_table(data, open_page, language):  # noqa: F811
    page = open_page(locale=LOCALES[language], user=data.world.user("vendor_admin"))
    for name in REPORTS:
        period = "from=2026-11-10&to=2026-11-10" if name == "service-levels" else "from=2026-09-01&to=2026-10-31"
        partner = f"&partner={data.world.partner_a.pk}" if name == "next-invoice" else ""
        page.goto(f"/reports/{name}/?{period}{partner}")
        expect(page.locator("table.report-table")).to_be_visible()
        if name in ("time", "revenue", "service-levels"):
            expect(page.locator("svg.chart-svg").first).to_be_visible()
        screenshot(page, f"report-{name}-{language}")
    partner_page = open_page(locale=LOCALES[language], user=data.world.user("partner_admin"))
    partner_page.goto("/reports/time/?from=2026-09-01&to=2026-10-31")
    expect(partner_page.locator("svg.chart-svg").first).to_be_visible()
    screenshot(partner_page, f"report-time-partner-{language}")
