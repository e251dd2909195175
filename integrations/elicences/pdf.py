"""The PDF of an e-licence (WeasyPrint, A4, Chinese fonts), as ``applications.pdf`` renders notices.

``render(licence)`` takes anything with the licence's attributes (an ``IssuedLicence``, or the
demo's plain objects for the sandbox) and returns the PDF bytes: holder, number, issuer, dates,
type code, identifier, trust level, the licence's own facts (``data``) and a QR code of the
identifier.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from applications.pdf import qr_data_uri
from integrations.elicences.models import HolderCodeType, TrustLevel

TEMPLATE = "elicences/pdf/licence.html"


def _facts(data: dict) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in (data or {}).items() if isinstance(v, str | int) and str(v).strip()]


def render(licence) -> bytes:
    from weasyprint import HTML  # heavy import: only where PDFs are made

    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "licence": licence,
            "facts": _facts(getattr(licence, "data", {})),
            "holder_code_label": HolderCodeType(licence.holder_code_type).label,
            "trust_label": TrustLevel(licence.trust_level).label,
            "qr": qr_data_uri(licence.identifier),
        }
        html = render_to_string(TEMPLATE, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
