"""The invoice PDF (section 14 UStG content, German and English) and its Factur-X form (R10.5, R10.6)."""

from __future__ import annotations

import io
from dataclasses import replace

import pikepdf
import pypdf
import pytest
from lxml import etree

from partnerdesk.billing.cii import cii_xml
from partnerdesk.billing.pdf import facturx_pdf, invoice_html, invoice_pdf
from tests.billing import samples

FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _xmp(pdf: pikepdf.Pdf) -> etree._Element:
    return etree.fromstring(pdf.Root.Metadata.read_bytes())


def _xmp_value(xmp: etree._Element, namespace: str, name: str) -> str:
    """An XMP property, written either as an element or as an attribute of rdf:Description."""
    for element in xmp.iter(f"{{{namespace}}}{name}"):
        return element.text or ""
    for element in xmp.iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        if f"{{{namespace}}}{name}" in element.attrib:
            return element.attrib[f"{{{namespace}}}{name}"]
    return ""


@pytest.fixture(scope="module")
def german_pdf() -> bytes:
    return invoice_pdf(samples.german_invoice())


@pytest.fixture(scope="module")
def facturx() -> bytes:
    return facturx_pdf(samples.german_invoice())


def test_r10_6_german_pdf_has_every_section_14_item(german_pdf):
    text = _text(german_pdf)

    for expected in [
        # both parties' names and addresses
        "Softwarehaus Muster GmbH",
        "Hauptstraße 1",
        "10115 Berlin",
        "Systemhaus Nord GmbH",
        "Hafenstraße 7",
        "20457 Hamburg",
        # the vendor's VAT ID and tax number
        "USt-IdNr.",
        "DE123456789",
        "Steuernummer",
        "30/123/45678",
        # date, number, service period
        "Rechnungsdatum",
        "01.12.2026",
        "Rechnungsnummer",
        "RE-2026-0001",
        "Leistungszeitraum",
        "01.11.2026 – 30.11.2026",
        # quantity and description of each line
        "Menge",
        "Support plan M, November 2026",
        "Ticket T-1001: extra support",
        "0,5 Std.",
        "111,75 EUR",
        # net per rate, rate, VAT, gross
        "Summe netto 601,88 EUR",
        "USt 19 % auf 601,88 EUR 114,36 EUR",
        "Gesamtbetrag 716,24 EUR",
    ]:
        assert expected in text, expected
    assert "Invoice" not in text


def test_r10_6_english_pdf_has_every_section_14_item():
    text = _text(invoice_pdf(replace(samples.german_invoice(), language="en")))

    for expected in [
        "Softwarehaus Muster GmbH",
        "Systemhaus Nord GmbH",
        "20457 Hamburg",
        "VAT ID",
        "DE123456789",
        "Tax number",
        "30/123/45678",
        "Invoice date",
        "2026-12-01",
        "Invoice number",
        "RE-2026-0001",
        "Service period",
        "2026-11-01 – 2026-11-30",
        "Quantity",
        "Ticket T-1001: extra support",
        "0.5 hours",
        "Total net amount 601.88 EUR",
        "VAT 19 % on 601.88 EUR 114.36 EUR",
        "Total amount 716.24 EUR",
    ]:
        assert expected in text, expected
    assert "Rechnung" not in text


def test_r10_6_reverse_charge_pdf_states_the_reverse_charge():
    english = _text(invoice_pdf(samples.reverse_charge_invoice()))
    german = _text(invoice_pdf(replace(samples.reverse_charge_invoice(), language="de")))

    assert "Reverse charge: VAT to be accounted for by the recipient" in english
    assert "ATU12345678" in english
    assert "Steuerschuldnerschaft des Leistungsempfängers (§ 13b UStG" in german


def test_r10_3_cancellation_pdf_names_itself_and_the_original():
    text = _text(invoice_pdf(samples.cancellation(384)))

    assert "Stornorechnung RE-2026-0003" in text
    assert "Dieses Dokument storniert die Rechnung RE-2026-0001 vom 01.12.2026." in text
    assert "-716,24 EUR" in text


def test_r10_6_html_escapes_what_the_invoice_copies():
    doc = samples.german_invoice(buyer=replace(samples.GERMAN_PARTNER, name="<script>x</script> GmbH"))
    assert "&lt;script&gt;" in invoice_html(doc)


def test_r10_5_invoice_pdf_is_pdf_a_3b(german_pdf):
    with pikepdf.open(io.BytesIO(german_pdf)) as pdf:
        metadata = pdf.open_metadata()
        assert (metadata.get("pdfaid:part"), metadata.get("pdfaid:conformance")) == ("3", "B")
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        assert "/DestOutputProfile" in pdf.Root.OutputIntents[0]


def test_r10_5_facturx_pdf_structure(facturx):
    with pikepdf.open(io.BytesIO(facturx)) as pdf:
        # PDF/A-3 identification in the XMP
        metadata = pdf.open_metadata()
        assert (metadata.get("pdfaid:part"), metadata.get("pdfaid:conformance")) == ("3", "B")
        # the embedded factur-x.xml, referenced from the catalogue's /AF with its AFRelationship
        assert list(pdf.attachments) == ["factur-x.xml"]
        [filespec] = list(pdf.Root.AF)
        assert (str(filespec.F), str(filespec.UF)) == ("factur-x.xml", "factur-x.xml")
        assert filespec.AFRelationship == "/Alternative"
        assert filespec.EF.F.Subtype == "/text/xml"
        # the Factur-X XMP extension: its schema is declared and its properties are set
        xmp = _xmp(pdf)
        assert FX in [_text_of(e) for e in xmp.iter(f"{{{PDFA_SCHEMA}}}namespaceURI")]
        assert list(xmp.iter(f"{{{PDFA_EXTENSION}}}schemas"))
        assert _xmp_value(xmp, FX, "DocumentFileName") == "factur-x.xml"
        assert _xmp_value(xmp, FX, "DocumentType") == "INVOICE"
        assert _xmp_value(xmp, FX, "ConformanceLevel") == "EN 16931"
        # an output intent
        [intent] = list(pdf.Root.OutputIntents)
        assert intent.S == "/GTS_PDFA1"
        assert "/DestOutputProfile" in intent


def _text_of(element: etree._Element) -> str:
    return element.text or ""


def test_r10_5_embedded_xml_is_the_en16931_cii_and_passes_the_rules(validator, facturx):
    with pikepdf.open(io.BytesIO(facturx)) as pdf:
        embedded = pdf.attachments["factur-x.xml"].get_file().read_bytes()

    assert embedded == cii_xml(samples.german_invoice(), profile="en16931")
    validator.assert_valid(embedded, "facturx")  # XSD, CEN EN 16931 and the Factur-X 1.09 EN 16931 rules


def test_r10_5_facturx_pdf_shows_the_same_invoice(facturx):
    assert "Gesamtbetrag 716,24 EUR" in _text(facturx)
