"""The CII XML passes the D16B XSD, the CEN EN 16931 rules and the XRechnung 3.0 rules (R10.5)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from partnerdesk.billing.cii import EN16931, NSMAP, XRECHNUNG, cii_xml
from tests.billing import samples

DOCUMENTS = {
    "german_19": samples.german_invoice,
    "eu_reverse_charge": samples.reverse_charge_invoice,
    "cancellation_384": lambda: samples.cancellation(384),
    "credit_note_381": lambda: samples.cancellation(381),
}


def _tree(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _text(tree: etree._Element, path: str) -> list[str]:
    return [element.text or "" for element in tree.iterfind(path, NSMAP)]


@pytest.mark.parametrize("profile", ["en16931", "xrechnung"])
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_r10_5_every_document_passes_xsd_and_schematron(validator, name, profile):
    validator.assert_valid(cii_xml(DOCUMENTS[name](), profile=profile), profile)


def test_r10_6_german_partner_invoice_has_19_percent_vat():
    tree = _tree(cii_xml(samples.german_invoice(), profile="en16931"))

    assert _text(tree, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [EN16931]
    assert _text(tree, "rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    tax = ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _text(tree, tax + "ram:CategoryCode") == ["S"]
    assert _text(tree, tax + "ram:RateApplicablePercent") == ["19"]
    assert _text(tree, tax + "ram:BasisAmount") == ["601.88"]
    assert _text(tree, tax + "ram:CalculatedAmount") == ["114.36"]
    assert _text(tree, ".//ram:GrandTotalAmount") == ["716.24"]
    assert _text(tree, ".//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["DE123456789", "30/123/45678"]


def test_r10_6_reverse_charge_is_category_ae_with_reason_and_note():
    tree = _tree(cii_xml(samples.reverse_charge_invoice(), profile="en16931"))

    tax = ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _text(tree, tax + "ram:CategoryCode") == ["AE"]
    assert _text(tree, tax + "ram:RateApplicablePercent") == ["0"]
    assert _text(tree, tax + "ram:CalculatedAmount") == ["0.00"]
    assert _text(tree, tax + "ram:ExemptionReason") == ["Reverse charge"]
    assert _text(tree, tax + "ram:ExemptionReasonCode") == ["VATEX-EU-AE"]
    assert any(
        "Reverse charge" in note for note in _text(tree, ".//rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    )
    assert _text(tree, ".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["ATU12345678"]


def test_r10_3_cancellation_is_384_with_preceding_invoice_reference_bg_3():
    tree = _tree(cii_xml(samples.cancellation(384), profile="xrechnung"))

    assert _text(tree, "rsm:ExchangedDocument/ram:TypeCode") == ["384"]
    assert _text(tree, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["RE-2026-0001"]
    assert _text(tree, ".//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString") == ["20261201"]
    assert [Decimal(q) for q in _text(tree, ".//ram:BilledQuantity")] == [
        Decimal(-1),
        Decimal(-3),
        Decimal("-0.5"),
        Decimal(-6),
    ]
    assert _text(tree, ".//ram:GrandTotalAmount") == ["-716.24"]


def test_r10_3_credit_note_variant_is_381_with_reference():
    tree = _tree(cii_xml(samples.cancellation(381), profile="en16931"))

    assert _text(tree, "rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert _text(tree, ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["RE-2026-0001"]
    assert _text(tree, ".//ram:GrandTotalAmount") == ["716.24"]


def test_r10_5_xrechnung_carries_its_identifier_buyer_reference_contact_and_addresses():
    tree = _tree(cii_xml(samples.german_invoice(), profile="xrechnung"))

    assert _text(tree, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [XRECHNUNG]
    assert _text(tree, ".//ram:BuyerReference") == ["P-0042"]  # BT-10, BR-DE-15
    contact = ".//ram:SellerTradeParty/ram:DefinedTradeContact/"
    assert _text(tree, contact + "ram:PersonName") == ["Erika Buchhalter"]  # BG-6, BR-DE-2
    assert _text(tree, contact + "ram:TelephoneUniversalCommunication/ram:CompleteNumber") == ["+49 30 1234567"]
    assert _text(tree, contact + "ram:EmailURIUniversalCommunication/ram:URIID") == ["buchhaltung@softwarehaus.example"]
    uri = [e.get("schemeID") for e in tree.iterfind(".//ram:URIUniversalCommunication/ram:URIID", NSMAP)]
    assert uri == ["EM", "EM"]  # BT-34, BT-49
    assert _text(tree, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
    assert _text(tree, ".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ["DE02120300000000202051"]


def test_r10_5_wrong_grand_total_fails_br_co_15(validator):
    xml = cii_xml(samples.german_invoice(), profile="en16931")
    tampered = xml.replace(b"<ram:GrandTotalAmount>716.24<", b"<ram:GrandTotalAmount>716.25<")
    assert tampered != xml

    rules = {failure.rule for failure in validator.failed_asserts(tampered, "en16931")}

    assert "BR-CO-15" in rules
    assert validator.errors(xml, "en16931") == []


def test_r10_5_wrong_vat_total_fails_br_co_14(validator):
    xml = cii_xml(samples.german_invoice(), profile="en16931")
    tampered = xml.replace(b'currencyID="EUR">114.36<', b'currencyID="EUR">114.37<')
    assert tampered != xml

    assert "BR-CO-14" in {failure.rule for failure in validator.failed_asserts(tampered, "en16931")}


def test_r10_5_xrechnung_without_buyer_reference_fails_br_de_15(validator):
    xml = cii_xml(samples.german_invoice(buyer_reference=""), profile="xrechnung")

    assert "BR-DE-15" in {failure.rule for failure in validator.failed_asserts(xml, "xrechnung")}
    assert validator.errors(xml, "en16931") == []  # plain EN 16931 does not ask for it


def test_r10_5_xsd_rejects_elements_out_of_order(validator):
    xml = cii_xml(samples.german_invoice(), profile="en16931")
    tree = _tree(xml)
    header = tree.find("rsm:ExchangedDocument", NSMAP)
    header.append(header.find("ram:ID", NSMAP))  # ID after IssueDateTime

    assert validator.xsd_errors(etree.tostring(tree)) != []


def test_r10_5_unknown_profile_is_refused():
    with pytest.raises(ValueError):
        cii_xml(samples.german_invoice(), profile="ubl")  # type: ignore[arg-type]


def test_r10_6_reverse_charge_without_buyer_vat_id_fails_br_ae_02(validator):
    doc = samples.reverse_charge_invoice(buyer=replace(samples.AUSTRIAN_PARTNER, vat_id=""))

    assert "BR-AE-02" in {failure.rule for failure in validator.failed_asserts(cii_xml(doc), "en16931")}


def test_r10_6_seller_with_tax_number_only_fails_br_co_26(validator):
    """Section 14 UStG accepts the tax number, EN 16931 does not: the vendor needs a VAT ID (BT-31)."""
    doc = samples.german_invoice(seller=replace(samples.VENDOR, vat_id=""))
    xml = cii_xml(doc)

    ids = [(e.get("schemeID"), e.text) for e in _tree(xml).iterfind(".//ram:SellerTradeParty//ram:ID", NSMAP)]
    assert ids == [("FC", "30/123/45678")]
    assert "BR-CO-26" in {failure.rule for failure in validator.failed_asserts(xml, "en16931")}
