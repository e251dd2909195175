"""The OpenAPI schema at /api/v1/schema/ and the self-hosted docs page at /api/v1/docs/."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

CATALOGUE_PATHS = {
    "/api/v1/matters/",
    "/api/v1/matters/{implementation_code}/",
    "/api/v1/departments/",
    "/api/v1/departments/{uscc}/",
    "/api/v1/themes/",
    "/api/v1/themes/{slug}/",
    "/api/v1/auth/token/",
    "/api/v1/auth/token/revoke/",
}


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_the_schema_describes_the_catalogue_and_token_endpoints(schema):
    assert set(schema["paths"]) >= CATALOGUE_PATHS


def test_the_schema_leaves_out_the_docs_and_the_catch_all(schema):
    assert not any(path.startswith(("/api/v1/docs", "/api/v1/schema")) for path in schema["paths"])
    assert not any(".*" in path for path in schema["paths"])


def test_the_schema_documents_the_matter_filters_and_search(schema):
    names = {param["name"] for param in schema["paths"]["/api/v1/matters/"]["get"]["parameters"]}

    assert {"search", "department", "theme", "tag", "audience", "matter_type", "online_depth"} <= names
    assert {"online_apply", "page", "page_size"} <= names


def test_the_schema_is_served_as_yaml_by_default(client):
    response = client.get("/api/v1/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi:")


def test_the_schema_generates_without_warnings(tmp_path):
    # The same check as CI's `manage.py spectacular --validate --fail-on-warn`.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def _assets(html: str) -> list[str]:
    return re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)


def test_the_docs_page_loads_its_scripts_and_styles_from_this_site(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    assets = _assets(response.content.decode())
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), asset  # no CDN, no other origin
        assert client.get(asset).status_code == 200, asset


def test_the_docs_page_has_no_inline_script_so_the_strict_csp_allows_it(client):
    response = client.get("/api/v1/docs/")
    html = response.content.decode()

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_the_docs_init_script_is_served_separately_and_points_at_the_schema(client):
    html = client.get("/api/v1/docs/").content.decode()
    [script_url] = [src for src in _assets(html) if "script" in src.split("?", 1)[-1]]

    response = client.get(script_url.replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in response.content.decode()
