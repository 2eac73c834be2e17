"""UN/CEFACT Cross Industry Invoice (CII D16B) for EN 16931 and XRechnung 3.0 (R10.5).

Built with lxml from an `InvoiceDocument`; element order follows the D16B schema. The same builder
serves Factur-X (profile EN 16931, embedded in the PDF) and XRechnung (the German CIUS, sent as XML).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final, Literal

from lxml import etree

from partnerdesk.billing.documents import CENT, InvoiceDocument, Party, legal_notes, totals

RSM: Final = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM: Final = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT: Final = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT: Final = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP: Final = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

EN16931: Final = "urn:cen.eu:en16931:2017"
XRECHNUNG: Final = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
# BT-23, business process; XRechnung recommends the Peppol billing process identifier.
PEPPOL_BILLING: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SEPA_CREDIT_TRANSFER: Final = "58"
CREDIT_TRANSFER: Final = "30"

Profile = Literal["en16931", "xrechnung"]
GUIDELINES: Final[dict[str, str]] = {"en16931": EN16931, "xrechnung": XRECHNUNG}


def _el(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    prefix, local = name.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{local}", attributes)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _number(value: Decimal) -> str:
    """A quantity, rate or price without trailing zeros beyond what it needs (19 -> "19", 1.50 -> "1.5")."""
    text = format(value.normalize(), "f")
    return text if text not in ("-0",) else "0"


def _date(parent: etree._Element, name: str, value: date, *, qualified: bool = False) -> None:
    holder = _el(parent, name)
    _el(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _period(parent: etree._Element, start: date, end: date) -> None:
    period = _el(parent, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", start)
    _date(period, "ram:EndDateTime", end)


def _party(parent: etree._Element, name: str, party: Party, *, with_contact: bool) -> None:
    element = _el(parent, name)
    _el(element, "ram:Name", party.name)
    if with_contact and (party.contact_name or party.contact_phone or party.contact_email):
        contact = _el(element, "ram:DefinedTradeContact")
        if party.contact_name:
            _el(contact, "ram:PersonName", party.contact_name)
        if party.contact_phone:
            _el(_el(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", party.contact_phone)
        if party.contact_email:
            _el(_el(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID", party.contact_email)
    address = _el(element, "ram:PostalTradeAddress")
    if party.postal_code:
        _el(address, "ram:PostcodeCode", party.postal_code)
    if party.street:
        _el(address, "ram:LineOne", party.street)
    if party.city:
        _el(address, "ram:CityName", party.city)
    _el(address, "ram:CountryID", party.country)
    electronic = party.electronic_address or party.email
    if electronic:
        _el(_el(element, "ram:URIUniversalCommunication"), "ram:URIID", electronic, schemeID="EM")
    if party.vat_id:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if party.tax_number:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")


def cii_xml(doc: InvoiceDocument, *, profile: Profile = "en16931") -> bytes:
    """The document as CII D16B XML (UTF-8), for profile EN 16931 or XRechnung 3.0."""
    if profile not in GUIDELINES:
        raise ValueError(f"unknown profile {profile!r}")
    xrechnung = profile == "xrechnung"
    sums = totals(doc)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    context = _el(root, "rsm:ExchangedDocumentContext")
    if xrechnung:
        _el(_el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", PEPPOL_BILLING)
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINES[profile])

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", doc.number)
    _el(header, "ram:TypeCode", str(doc.type_code))
    _date(header, "ram:IssueDateTime", doc.issue_date)
    for note in legal_notes(doc):
        _el(_el(header, "ram:IncludedNote"), "ram:Content", note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        line_document = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(line_document, "ram:LineID", str(line.number))
        if line.note:
            _el(_el(line_document, "ram:IncludedNote"), "ram:Content", line.note)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _number(line.unit_price))
        _el(
            _el(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            _number(line.quantity),
            unitCode=line.unit_code,
        )
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", line.vat_category)
        _el(tax, "ram:RateApplicablePercent", _number(line.vat_rate))
        if line.service_start and line.service_end:
            _period(settlement, line.service_start, line.service_end)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.net_amount))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    if doc.buyer_reference:
        _el(agreement, "ram:BuyerReference", doc.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", doc.seller, with_contact=True)
    _party(agreement, "ram:BuyerTradeParty", doc.buyer, with_contact=False)

    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:PaymentReference", doc.number)
    _el(settlement, "ram:InvoiceCurrencyCode", doc.currency)
    if doc.payment_iban:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
        _el(account, "ram:IBANID", doc.payment_iban.replace(" ", ""))
        if doc.bank_name:
            _el(account, "ram:AccountName", doc.seller.name)
        if doc.payment_bic:
            _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", doc.payment_bic)
    elif xrechnung:
        _el(_el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans"), "ram:TypeCode", CREDIT_TRANSFER)
    for part in sums.breakdown:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(part.vat))
        _el(tax, "ram:TypeCode", "VAT")
        if part.exemption_reason:
            _el(tax, "ram:ExemptionReason", part.exemption_reason)
        _el(tax, "ram:BasisAmount", _amount(part.basis))
        _el(tax, "ram:CategoryCode", part.category)
        if part.exemption_code:
            _el(tax, "ram:ExemptionReasonCode", part.exemption_code)
        _el(tax, "ram:RateApplicablePercent", _number(part.rate))
    _period(settlement, doc.period_start, doc.period_end)
    if doc.payment_terms or doc.due_date:
        terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
        if doc.payment_terms:
            _el(terms, "ram:Description", doc.payment_terms)
        if doc.due_date:
            _date(terms, "ram:DueDateDateTime", doc.due_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(sums.line_total))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(sums.tax_basis_total))
    _el(summation, "ram:TaxTotalAmount", _amount(sums.vat_total), currencyID=doc.currency)
    _el(summation, "ram:GrandTotalAmount", _amount(sums.grand_total))
    _el(summation, "ram:DuePayableAmount", _amount(sums.due_payable))
    if doc.preceding_number:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", doc.preceding_number)
        if doc.preceding_issue_date:
            _date(reference, "ram:FormattedIssueDateTime", doc.preceding_issue_date, qualified=True)

    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml
