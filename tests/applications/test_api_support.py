"""Shared pieces of the applications API tests (no tests here): a matter with a form and
materials, files to upload, and a token client."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from matters.forms_spec import load_spec
from tests import factories

ID_NUMBER = factories.make_id_number()
ENTERPRISE_USCC = factories.make_uscc(777, prefix="91442000")

SPEC = {
    "fields": [
        {"key": "shop_name", "label": "店铺名称", "type": "text", "max_length": 30},
        {"key": "area", "label": "经营面积", "type": "decimal", "min": 0, "required": False},
        {"key": "start", "label": "开始日期", "type": "date", "required": False},
        {"key": "end", "label": "结束日期", "type": "date", "required": False},
    ],
    "rules": [{"kind": "less_than", "field": "start", "other": "end"}],
}
ANSWERS = {"shop_name": "李记小食店", "area": "35.50", "start": "2030-01-01", "end": "2030-12-31"}

EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"PE\x00\x00"
    + b"\x00" * 400
)


def pdf_bytes(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(buffer, "PDF")
    return buffer.getvalue()


def pdf_upload(name: str = "营业执照.pdf", colour: str = "white") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(colour), content_type="application/pdf")


def exe_upload(name: str = "营业执照.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, EXE, content_type="application/pdf")


def token_client(user) -> APIClient:
    """A client as the mobile app is: ``Authorization: Token …``, no session."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


def error(response) -> dict:
    return response.json()["error"]


def setup_matter(matter):
    """The form and the materials of ``matter``: a key licence and a non-key floor plan."""
    load_spec(matter, SPEC)
    licence = factories.MaterialRequirementFactory(matter=matter, name="营业执照", sort_order=1)
    floor_plan = factories.MaterialRequirementFactory(
        matter=matter, name="经营场所平面图", sort_order=2, key_material=False
    )
    return licence, floor_plan
