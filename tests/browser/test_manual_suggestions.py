"""While L1 types the capture, the page suggests manual sections without a reload (htmx, R8.2), under the
strict CSP; the ticked one is stored as a link when the capture is saved."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.manual.demo import load_manual
from partnerdesk.manual.models import Section
from partnerdesk.tickets import services
from partnerdesk.tickets.choices import ManualLinkKind

pytestmark = pytest.mark.browser


def test_r8_2_capture_suggests_sections_as_l1_types_and_stores_the_ticked_one(world, open_page, transactional_db):
    load_manual()
    l1 = world.user(Role.L1_AGENT)
    ticket = services.create_ticket(
        acting_user=l1, end_customer=world.customer_a, subject="Call from Hansen", product="groupios"
    )
    page = open_page(user=l1)
    page.goto(f"/tickets/{ticket.pk}/")
    assert "Describe the problem" in page.locator("#manual-suggestions").inner_text()
    page.fill("#id_product_version", "4.2.1")
    page.locator("#id_error_messages").type("charon: CHILD_SA rekeying failed; DPD timeout", delay=5)
    first = page.locator("#manual-suggestions input[name=manual_section_ids]").first
    first.wait_for()  # the suggestions arrived without a page load
    page.wait_for_load_state("networkidle")
    rekeying = Section.objects.filter(number="7.4").values_list("pk", flat=True)
    assert int(first.get_attribute("value")) in set(rekeying)
    first.check()
    page.wait_for_load_state("networkidle")  # ticking refreshes the suggestions; the tick stays
    with page.expect_navigation():
        page.locator("#capture-form button[type=submit]").click()
    links = list(ticket.manual_links.values_list("section__number", "kind"))
    assert links == [("7.4", ManualLinkKind.CONSULTED)]
    assert page.locator("#manual-suggestions input[checked]").count() == 1
