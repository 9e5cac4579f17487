"""The dashboard's server side without a browser: the page and its files at ``/``, and the PDF
page preview ``GET /v1/openapi/files/{uploadId}/pages/{n}`` (a real app on a real SQLite file)."""

from __future__ import annotations

import asyncio
import io
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from server_support import API, World, assert_error, build_world, h, make_settings, running_app, tiny_pdf, upload  # noqa: E402

import docgen  # noqa: E402
from ocrdesk.server.controllers.web import WEB_DIR, gray_png  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::litestar.exceptions.LitestarDeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Deprecated:DeprecationWarning"),
]


@pytest.fixture
def world_client(tmp_path: Path) -> Iterator[tuple[World, Any]]:
    settings = make_settings(tmp_path)
    settings.ensure_dirs()
    world = asyncio.run(build_world(settings.db_path))
    with running_app(settings) as client:
        yield world, client


def test_the_page_and_its_files_come_from_this_server(world_client: tuple[World, Any]) -> None:
    _, client = world_client
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert 'name="apiKey"' in page.text
    for name, kind in (("app.js", "javascript"), ("app.css", "text/css"), ("favicon.svg", "image/svg+xml")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert kind in response.headers["content-type"]
    # no CDN, no build step: nothing the page loads points to another host
    for path in WEB_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        urls = set(re.findall(r"https?://[^\s\"')]+", text)) - {"http://www.w3.org/2000/svg"}
        assert not urls, (path.name, urls)
    assert client.get("/static/../controllers/web.py").status_code == 404
    assert client.get("/static/missing.js").status_code == 404


def test_the_web_files_live_inside_the_package() -> None:
    import ocrdesk

    package = Path(ocrdesk.__file__).resolve().parent
    assert WEB_DIR.is_relative_to(package)  # maturin puts every file under python/ocrdesk in the wheel
    assert {"index.html", "app.js", "app.css"} <= {p.name for p in WEB_DIR.iterdir()}


def test_gray_png_decodes_to_the_same_pixels() -> None:
    from PIL import Image

    width, height = 7, 3
    pixels = bytes((x * 30 + y * 5) % 256 for y in range(height) for x in range(width))
    img = Image.open(io.BytesIO(gray_png(width, height, pixels)))
    assert img.mode == "L" and img.size == (width, height)
    assert img.tobytes() == pixels


def test_pdf_page_preview(world_client: tuple[World, Any]) -> None:
    pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")
    from PIL import Image

    world, client = world_client
    pdf = docgen.text_pdf([["Page one"], ["Page two"]])
    response = upload(client, world.org_key, pdf, projectId=world.project_id)
    assert response.status_code == 201, response.text
    upload_id = response.json()["id"]

    preview = client.get(f"{API}/files/{upload_id}/pages/2", params={"dpi": 72}, headers=h(world.org_key))
    assert preview.status_code == 200, preview.text
    assert preview.headers["content-type"] == "image/png"
    img = Image.open(io.BytesIO(preview.content))
    assert img.size == (595, 842)  # A4 in points = pixels at 72 dpi
    assert int(preview.headers["x-page-width"]) == 595
    assert img.getextrema()[0] < 128  # the text is there: some dark pixels on the white page

    # default 100 dpi; the project's keys see it, other keys get 404, no key 401
    assert client.get(f"{API}/files/{upload_id}/pages/1", headers=h(world.project_key)).status_code == 200
    assert_error(client.get(f"{API}/files/{upload_id}/pages/1", headers=h(world.project2_key)), 404)
    assert_error(client.get(f"{API}/files/{upload_id}/pages/1", headers=h(world.other_org_key)), 404)
    assert_error(client.get(f"{API}/files/{upload_id}/pages/1"), 401)
    # pages that do not exist, bad ids and resolutions
    assert_error(client.get(f"{API}/files/{upload_id}/pages/3", headers=h(world.org_key)), 404)
    assert_error(client.get(f"{API}/files/{upload_id}/pages/0", headers=h(world.org_key)), 404)
    assert_error(client.get(f"{API}/files/nothex/pages/1", headers=h(world.org_key)), 400)
    assert_error(client.get(f"{API}/files/{upload_id}/pages/1", params={"dpi": 5000}, headers=h(world.org_key)), 400)

    # images are shown as they are: no preview for them
    png = docgen.image_bytes(["picture"], dpi=72)
    response = upload(client, world.org_key, png, name="p.png", projectId=world.project_id)
    assert response.status_code == 201, response.text
    assert_error(client.get(f"{API}/files/{response.json()['id']}/pages/1", headers=h(world.org_key)), 415)


def test_preview_of_a_tiny_pdf(world_client: tuple[World, Any]) -> None:
    pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")
    world, client = world_client
    response = upload(client, world.project_key, tiny_pdf())
    assert response.status_code == 201, response.text
    preview = client.get(f"{API}/files/{response.json()['id']}/pages/1", headers=h(world.project_key))
    assert preview.status_code == 200
    assert preview.content.startswith(b"\x89PNG\r\n\x1a\n")
