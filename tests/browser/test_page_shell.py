"""The page shell in a real browser: login, logout, language, menus per role, end customers,
the htmx search, pseudonyms for the vendor, API tokens (R12.1, R1.3, R1.4, R1.5, R9.1, R12.2)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson, EndCustomer, User
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD, ContactPersonFactory, EndCustomerFactory

pytestmark = pytest.mark.browser


def _menu(page) -> list[str]:
    return [text.strip() for text in page.locator("header nav a").all_inner_texts()]


# --- login, logout ------------------------------------------------------------------------------


def test_r12_1_login_with_email_and_password_then_logout(world, open_page):
    page = open_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    log_in(page, "L1_Agent@A.example", PASSWORD)  # e-mail is case-insensitive
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("header .who")).to_contain_text("First-level agent")

    page.get_by_role("button", name="Log out").click()  # a POST form, not a link
    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_r12_1_wrong_password_shows_an_error(world, open_page):
    page = open_page()
    log_in(page, "l1_agent@a.example", "not the password")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("correct")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("#id_username")).to_have_value("l1_agent@a.example")


# --- language -----------------------------------------------------------------------------------


def test_r12_1_language_buttons_switch_the_interface(world, open_page):
    page = open_page(locale="en-US", user=world.user(Role.L1_AGENT))
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Overview")

    page.get_by_role("button", name="DE", exact=True).click()
    expect(page.locator("h1")).to_have_text("Übersicht")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    menu = _menu(page)
    assert menu[0] == "Übersicht" and "Endkunden" in menu and menu[-1] == "Profil"
    expect(page.locator("html")).to_have_attribute("lang", "de")

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("h1")).to_have_text("Overview")


def test_r12_1_browser_language_is_used_before_login(db, open_page):
    page = open_page(locale="de-DE")
    page.goto("/login/")
    expect(page.locator("h1")).to_have_text("Anmelden")
    expect(page.locator("label[for=id_password]")).to_have_text("Passwort")


def test_r12_1_saved_language_wins_over_the_browser_language(world, open_page):
    user = world.user(Role.L1_AGENT)
    page = open_page(locale="de-DE", user=user)
    page.goto("/profile/")
    expect(page.locator("h1")).to_have_text("Profil")  # nothing saved yet: the browser's German

    page.select_option("#id_language", "en")
    page.locator("form:has(#id_language) button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Your language was saved.")
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Overview")  # saved English beats Accept-Language: de
    user.refresh_from_db()
    assert user.language == "en"

    # The header buttons change a saved language too; otherwise they would seem to do nothing.
    page.get_by_role("button", name="DE", exact=True).click()
    expect(page.locator("h1")).to_have_text("Übersicht")
    user.refresh_from_db()
    assert user.language == "de"


# --- menus per role -----------------------------------------------------------------------------

VENDOR_ROLES = [Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER]
PARTNER_ROLES = [Role.PARTNER_ADMIN, Role.L1_AGENT]
ADMINS = {Role.VENDOR_ADMIN, Role.PARTNER_ADMIN}


@pytest.mark.parametrize("role", VENDOR_ROLES + PARTNER_ROLES)
def test_r1_4_each_role_sees_only_its_menu(world, open_page, role):
    page = open_page(user=world.user(role))
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Overview")
    menu = _menu(page)
    assert menu[0] == "Overview" and menu[-1] == "Profile"
    assert ("Partners" in menu) == (role in VENDOR_ROLES)
    assert ("End customers" in menu) == (role in PARTNER_ROLES)
    assert ("Users" in menu) == (role in ADMINS)
    # The server refuses what the menu hides, whatever the client asks for.
    response = page.goto("/users/")
    assert response.status == (200 if role in ADMINS else 403)
    if role in PARTNER_ROLES:
        assert page.goto("/partners/").url.endswith(f"/partners/{world.partner_a.pk}/")  # only its own


def test_r1_2_vendor_dashboard_counts_active_partners(world, open_page):
    page = open_page(user=world.user(Role.VENDOR_ADMIN))
    page.goto("/")
    expect(page.locator(".tile", has_text="active partners").locator("strong")).to_have_text("2")
    screenshot(page, "dashboard")


# --- end customers ------------------------------------------------------------------------------


def test_r1_1_partner_agent_adds_end_customer_with_contact_person(world, open_page):
    page = open_page(user=world.user(Role.L1_AGENT))
    page.goto("/")
    page.get_by_role("link", name="End customers").first.click()
    expect(page.locator("h1")).to_contain_text("Nordlicht Systemhaus GmbH")
    page.get_by_role("link", name="Add end customer").click()

    page.fill("#id_name", "Praxis Dr. Wolff")
    page.fill("#id_city", "Kiel")
    page.fill("#id_contacts-0-name", "Katrin Wolff")
    page.fill("#id_contacts-0-email", "kw@wolff.example")
    page.fill("#id_contacts-0-phone", "+49 431 555010")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messages")).to_contain_text("was added")
    row = page.locator("#end-customers tr", has_text="Praxis Dr. Wolff")
    expect(row).to_contain_text(f"P{world.partner_a.number:02d}-C0002")
    created = EndCustomer.objects.get(partner=world.partner_a, name="Praxis Dr. Wolff")
    assert list(created.contacts.values_list("name", "email")) == [("Katrin Wolff", "kw@wolff.example")]


def test_r13_1_end_customer_form_names_the_bad_field(world, open_page):
    page = open_page(user=world.user(Role.L1_AGENT))
    page.goto(f"/partners/{world.partner_a.pk}/end-customers/new/")
    page.fill("#id_name", "Neu GmbH")
    page.fill("#id_contacts-0-name", "A. Neu")
    page.fill("#id_contacts-0-email", "not-an-address")
    page.evaluate("document.querySelector('form.card').noValidate = true")  # let the server judge
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("valid email")
    assert not EndCustomer.objects.filter(name="Neu GmbH").exists()


def test_htmx_search_filters_end_customers_without_reload(world, open_page):
    EndCustomerFactory(partner=world.partner_a, number=2, name="Praxis Dr. Wolff", city="Kiel")
    EndCustomerFactory(partner=world.partner_a, number=3, name="Autohaus Petersen", city="Husum")
    page = open_page(user=world.user(Role.L1_AGENT))
    page.goto(f"/partners/{world.partner_a.pk}/")
    rows = page.locator("#end-customers tbody tr")
    expect(rows).to_have_count(3)
    page.evaluate("window.__notReloaded = true")

    with page.expect_response(lambda r: "q=wolff" in r.url.lower()) as searched:
        page.get_by_placeholder("Search end customers").fill("Wolff")
    assert searched.value.request.headers.get("hx-request") == "true"
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Praxis Dr. Wolff")

    page.get_by_placeholder("Search end customers").fill("Jens Hansen")  # a contact person's name
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bäckerei Hansen KG")

    page.get_by_placeholder("Search end customers").fill("nothing like this")
    expect(page.locator("#end-customers")).to_contain_text("No end customer matches your search.")
    assert page.evaluate("window.__notReloaded") is True
    page.get_by_placeholder("Search end customers").fill("")
    expect(rows).to_have_count(3)
    screenshot(page, "partner")


def test_r1_3_r9_1_vendor_agent_sees_pseudonym_only(world, open_page):
    ContactPersonFactory(end_customer=world.customer_a, name="Birte Hansen", phone="+49 40 5550123")
    page = open_page(user=world.user(Role.L2_AGENT))
    page.goto("/partners/")
    page.get_by_role("link", name="Nordlicht Systemhaus GmbH").click()
    pseudonym = f"P{world.partner_a.number:02d}-C0001"
    expect(page.locator("#end-customers")).to_contain_text(pseudonym)
    expect(page.get_by_role("link", name="Add end customer")).to_have_count(0)
    body = page.locator("body").inner_text()
    for secret in ("Bäckerei", "Hansen", "jens@hansen.example", "5550123"):
        assert secret not in body

    # Searching for the hidden name finds nothing, so the name cannot be guessed either.
    page.get_by_placeholder("Search end customers").fill("Hansen")
    expect(page.locator("#end-customers")).to_contain_text("No end customer matches your search.")
    page.get_by_placeholder("Search end customers").fill("")

    page.get_by_role("link", name=pseudonym).click()
    expect(page.locator("h1")).to_contain_text(pseudonym)
    body = page.locator("body").inner_text()
    for secret in ("Bäckerei", "Hansen", "jens@hansen.example", "5550123"):
        assert secret not in body


# --- API tokens ---------------------------------------------------------------------------------


def test_r12_2_api_token_is_shown_once_and_works(world, open_page):
    page = open_page(user=world.user(Role.L1_AGENT))
    page.goto("/profile/")
    page.fill("#id_name", "Ticket bridge")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("code.token").inner_text().strip()
    assert token.startswith("pd_") and len(token) > 30
    expect(page.locator("table")).to_contain_text("Ticket bridge")

    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200 and me.json()["email"] == "l1_agent@a.example"

    page.goto("/profile/")
    expect(page.locator("code.token")).to_have_count(0)
    assert token not in page.content()
    expect(page.locator("table")).to_contain_text(token[:10])  # only the prefix stays visible

    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("The token was revoked.")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


# --- the policy the tests rely on ----------------------------------------------------------------


def test_csp_refuses_inline_script_and_the_tests_notice(world, open_page):
    """The CSP check of every test above is only worth something if it would see a violation."""
    page = open_page()
    response = page.goto("/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.__ran") is None
    assert page.console.csp_violations
    page.console.errors.clear()  # seen on purpose; the fixture must not fail this test


def test_r1_5_disabled_user_is_logged_out_at_once(world, open_page):
    user = world.user(Role.L1_AGENT)
    page = open_page(user=user)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Overview")
    admin_page = open_page(user=world.user(Role.PARTNER_ADMIN))
    admin_page.goto("/users/")
    admin_page.locator("tr", has_text=user.email).get_by_role("button", name="Disable").click()
    expect(admin_page.locator(".messages")).to_contain_text("sessions and tokens ended")
    assert not User.objects.get(pk=user.pk).is_active
    page.reload()
    expect(page).to_have_url(re.compile(r"/login/"))
    assert ContactPerson.objects.filter(end_customer__partner=world.partner_a).exists()
