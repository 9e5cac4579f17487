"""The web dashboard in headless Chromium against a real ``ocrdesk serve`` process.

Debian's ``chromium`` driven by Playwright for Python (``executable_path``; no browser
download). Every test fails on a JavaScript error or an error on the console, except the
failed requests the page makes on purpose (listed in ``EXPECTED_FAILURES``).

Screenshots of the main views are written to ``$OCRDESK_SCREENSHOTS`` (e.g. docs/screenshots)
when that variable is set.
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from server_support import API, Server  # noqa: E402

import docgen  # noqa: E402

pytest.importorskip("ocrdesk._core", reason="the compiled core is not built")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

CHROMIUM = os.environ.get("OCRDESK_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

SHOTS = os.environ.get("OCRDESK_SCREENSHOTS")
TIMEOUT_MS = 60_000

# Requests that fail on purpose, so Chromium logs "Failed to load resource" for them:
# the SSE probe before /events exists, the probe for the accepted export formats, a refused key.
EXPECTED_FAILURES = [
    (404, re.compile(r"/v1/openapi/events\b")),
    (405, re.compile(r"/v1/openapi/events\b")),
    (400, re.compile(r"/result\?.*format=_formats_")),
    (401, re.compile(r"/v1/openapi/projects$")),
    (415, re.compile(r"/v1/openapi/upload$")),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("web") / "data"
    srv = Server(data_dir, 2)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def key(server: Server) -> str:
    return server.key()


@pytest.fixture(scope="module")
def client(server: Server, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, headers={"X-API-Key": key}, timeout=30) as c:
        project_id = c.get(f"{API}/projects").json()[0]["id"]
        c.params = {"projectId": project_id}
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()


class Console:
    """Collects page errors and console errors; ``check()`` fails on any unexpected one."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)

    def _console(self, msg: Any) -> None:
        if msg.type not in ("error", "assert"):
            return
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource"):
            status = int(m.group(1)) if (m := re.search(r"status of (\d+)", msg.text)) else 0
            if any(status == s and pattern.search(url) for s, pattern in EXPECTED_FAILURES):
                return
        self.problems.append(f"console {msg.type}: {msg.text} ({url})")

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(TIMEOUT_MS)
    console = Console(p)
    p.console = console  # type: ignore[attr-defined]
    p.goto(server.base + "/")
    yield p
    try:
        console.check()
    finally:
        context.close()


def sign_in(page: Any, key: str) -> None:
    page.fill("input[name=apiKey]", key)
    page.press("input[name=apiKey]", "Enter")
    page.wait_for_selector("#view-dashboard:not([hidden])")
    page.wait_for_selector("#history-body tr")


def shot(page: Any, name: str, full_page: bool = False) -> None:
    """A PNG under $OCRDESK_SCREENSHOTS, palette-reduced so it stays small for the README."""
    if not SHOTS:
        return
    from PIL import Image

    raw = page.screenshot(full_page=full_page)
    img = Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    img.save(out / f"{name}.png", optimize=True)


def wait_completed(client: httpx.Client, record_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        record = client.get(f"{API}/processing-history/{record_id}").json()
        if record["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return record
        time.sleep(0.2)


def status_of_row(page: Any, file_name: str) -> str:
    return page.locator("#history-body tr", has=page.get_by_role("link", name=file_name, exact=True)).first.get_attribute("data-status") or ""


# ------------------------------------------------------------------------------------ tests


def test_sign_in_refuses_a_wrong_key_then_signs_in_and_out(page: Any, key: str) -> None:
    assert page.locator("#signin:not([hidden])").is_visible()
    page.fill("input[name=apiKey]", "ocr_" + "x" * 40)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#signin-error:not([hidden])")
    assert "refused" in page.text_content("#signin-error")
    shot(page, "signin")

    sign_in(page, key)
    assert page.evaluate("sessionStorage.getItem('ocrdesk.apiKey')") == key
    page.reload()  # the key survives a reload of the tab
    page.wait_for_selector("#view-dashboard:not([hidden])")

    page.click("#signout")
    page.wait_for_selector("#signin:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('ocrdesk.apiKey')") is None
    assert page.locator("#app").is_hidden()


def test_upload_watch_filter_open_record_download(page: Any, key: str, client: httpx.Client, tmp_path: Path) -> None:
    lines = ["Quarterly report for Northwind", "Revenue grew in every region", "Prepared by the finance team"]
    png = docgen.image_bytes(lines, dpi=150)
    sign_in(page, key)
    # live updates: the SSE stream when the server has one, polling otherwise
    expected_live = "Live" if sse_available(client) else "Polling"
    page.wait_for_function(f"() => document.getElementById('live').textContent === '{expected_live}'")

    # 1. single upload with the file picker: a progress bar, then a link to the record
    page.set_input_files("#file-input", files=[{"name": "northwind-report.png", "mimeType": "image/png", "buffer": png}])
    row = page.locator("#uploads li").first
    row.locator("a").wait_for()
    assert row.locator("progress").get_attribute("value") == "100"

    # 2. the history shows it and the page (polling, or SSE when the server has it) sees it complete
    page.wait_for_function(
        """() => [...document.querySelectorAll('#history-body tr')].some(tr =>
              tr.textContent.includes('northwind-report.png') && tr.dataset.status === 'completed')""",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_function("() => document.querySelector('[data-stat=completed] .stat-value').textContent !== '0'")
    stats = client.get(f"{API}/processing-history/stats").json()
    assert page.text_content("[data-stat=total] .stat-value") == f"{stats['total']:,}"

    # 3. a batch of two by drag and drop (a real DataTransfer with Files)
    page.check("#upload-as-batch")
    page.fill("#upload-batch-name", "March scans")
    pdf = docgen.text_pdf([["Invoice No: INV-1042", "Total due: 1,234.50"]])
    other = docgen.image_bytes(["Delivery note for Contoso"], dpi=150)
    data_transfer = page.evaluate_handle(
        """([pdf, png]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(pdf)], 'invoice-1042.pdf', {type: 'application/pdf'}));
            dt.items.add(new File([new Uint8Array(png)], 'contoso-delivery.png', {type: 'image/png'}));
            return dt;
        }""",
        [list(pdf), list(other)],
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": data_transfer})
    page.locator("#uploads li", has_text="2 files").locator("a").wait_for()
    page.uncheck("#upload-as-batch")
    page.wait_for_function(
        """() => ['invoice-1042.pdf', 'contoso-delivery.png'].every(name => [...document.querySelectorAll('#history-body tr')]
              .some(tr => tr.textContent.includes(name) && tr.dataset.status === 'completed'))""",
        timeout=TIMEOUT_MS,
    )
    shot(page, "dashboard")

    # a stats card is a link to its records
    page.click("[data-stat=completed] a")
    page.wait_for_function("() => location.hash === '#/?status=completed'")
    assert page.input_value("#filters select[name=status]") == "completed"
    page.click("#filters button[type=reset]")

    # 4. filters: search, status, batch, dates; each one is in the URL and served by the API
    page.fill("#filters input[name=search]", "northwind")
    page.wait_for_function("() => document.querySelectorAll('#history-body tr[data-id]').length === 1")
    assert "search=northwind" in page.url
    page.click("#filters button[type=reset]")
    page.wait_for_function("() => document.querySelectorAll('#history-body tr[data-id]').length === 3")

    batch_id = client.get(f"{API}/batch").json()["data"][0]["id"]
    page.select_option("#filters select[name=batchId]", batch_id)
    page.wait_for_function("() => document.querySelectorAll('#history-body tr[data-id]').length === 2")
    page.select_option("#filters select[name=status]", "failed")
    page.wait_for_selector("#history-body td.empty")
    page.click("#filters button[type=reset]")
    # the reset has gone through (URL and list) before the next filter is set
    page.wait_for_function(
        "() => !location.hash.includes('status=') && !location.hash.includes('batchId=')"
        " && document.querySelectorAll('#history-body tr[data-id]').length === 3"
    )

    today = time.strftime("%Y-%m-%d", time.gmtime())
    page.fill("#filters input[name=fromDate]", today)
    page.dispatch_event("#filters input[name=fromDate]", "change")
    page.wait_for_function("() => location.hash.includes('fromDate=')")
    page.wait_for_function("() => document.querySelectorAll('#history-body tr[data-id]').length === 3")
    page.fill("#filters input[name=fromDate]", "2999-01-01")
    page.dispatch_event("#filters input[name=fromDate]", "change")
    page.wait_for_selector("#history-body td.empty")
    page.click("#filters button[type=reset]")
    # the reset has gone through (URL and list) before the next filter is set
    page.wait_for_function(
        "() => !location.hash.includes('status=') && !location.hash.includes('batchId=')"
        " && document.querySelectorAll('#history-body tr[data-id]').length === 3"
    )

    # pagination is the server's: one record per page
    page.evaluate("location.hash = '#/?limit=1'")  # any limit the API takes; the menu offers 10..100
    page.wait_for_function("() => document.getElementById('page-info').textContent.startsWith('Page 1 of 3')")
    page.click(".pager [data-page=next]")
    page.wait_for_function("() => document.getElementById('page-info').textContent.startsWith('Page 2 of 3')")
    assert "page=2" in page.url
    page.click("#filters button[type=reset]")
    page.wait_for_function("() => document.querySelectorAll('#history-body tr[data-id]').length === 3")

    # 5. the record view of the PDF: page picture, word boxes when the result has them, text, downloads
    page.get_by_role("link", name="invoice-1042.pdf").click()
    page.wait_for_selector("#view-record:not([hidden])")
    page.wait_for_function("() => document.getElementById('record-title').textContent === 'invoice-1042.pdf'")
    page.wait_for_function("() => { const i = document.querySelector('#page-view img'); return i && i.complete && i.naturalWidth > 0; }")
    page.wait_for_selector("#downloads button[data-format=json]")
    assert "INV-1042" in page.text_content("#record-text")
    record_id = page.url.rsplit("/", 1)[-1]
    record = client.get(f"{API}/processing-history/{record_id}").json()
    if has_word_boxes(client, record):
        page.wait_for_selector("#page-view rect.word")
        word = page.locator("#page-view rect.word").first
        word.hover()
        assert "%" in page.text_content("#word-info")
    shot(page, "record")

    # every format the server accepts has a button; the text download is the recognised text
    formats = page.eval_on_selector_all("#downloads button[data-format]", "bs => bs.map(b => b.dataset.format)")
    assert {"json", "text"} <= set(formats)
    with page.expect_download() as info:
        page.click("#downloads button[data-format=text]")
    download = info.value
    assert download.suggested_filename == "invoice-1042.txt"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert "INV-1042" in target.read_text()
    with page.expect_download() as info:
        page.click("#downloads button[data-format=json]")
    assert info.value.suggested_filename == "invoice-1042.json"

    # back to the list with the keyboard
    page.focus("#record-back")
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-dashboard:not([hidden])")


def sse_available(client: httpx.Client) -> bool:
    with client.stream("GET", f"{API}/events") as response:
        return response.status_code == 200 and response.headers.get("content-type", "").startswith("text/event-stream")


def test_without_sse_the_page_polls(page: Any, key: str, client: httpx.Client) -> None:
    # A server without the stream (the 404 an older ocrdesk gives) must not leave the page stale.
    page.route("**/v1/openapi/events*", lambda route: route.fulfill(
        status=404, content_type="application/json", body='{"statusCode":404,"message":"Not Found","error":"Not Found"}'))
    sign_in(page, key)
    page.wait_for_function("() => document.getElementById('live').textContent === 'Polling'")
    png = docgen.image_bytes(["Uploaded behind the page's back"], dpi=100)
    response = client.post(f"{API}/upload", files={"file": ("polled.png", png, "image/png")},
                           data={"projectId": client.params["projectId"]})
    assert response.status_code == 201, response.text
    page.wait_for_function(
        """() => [...document.querySelectorAll('#history-body tr')].some(tr =>
              tr.textContent.includes('polled.png') && tr.dataset.status === 'completed')""",
        timeout=TIMEOUT_MS,
    )


def has_word_boxes(client: httpx.Client, record: dict[str, Any]) -> bool:
    result = record.get("processingResult") or {}
    if any(isinstance(p, dict) and p.get("words") for p in result.get("pages", []) or []):
        return True
    return client.get(f"{API}/processing-history/{record['id']}/result", params={"format": "hocr"}).status_code == 200


def test_image_record_shows_the_original_and_word_boxes_scale(page: Any, key: str, client: httpx.Client) -> None:
    png = docgen.image_bytes(["Boxes over a picture"], dpi=100)
    project_id = client.params["projectId"]
    response = client.post(f"{API}/upload", files={"file": ("picture.png", png, "image/png")}, data={"projectId": project_id})
    assert response.status_code == 201, response.text
    record_id = response.json()["processingHistoryId"]
    sign_in(page, key)
    page.goto(page.url.split("#")[0] + f"#/records/{record_id}")
    page.wait_for_function("() => { const i = document.querySelector('#page-view img'); return i && i.complete && i.naturalWidth > 0; }")
    page.wait_for_function("() => document.getElementById('record-status').textContent === 'Completed'", timeout=TIMEOUT_MS)
    # the overlay covers the picture exactly, so boxes in page pixels land on their words
    img = page.locator("#page-view img").bounding_box()
    overlay = page.locator("#page-view svg.overlay").bounding_box()
    assert img and overlay and abs(img["width"] - overlay["width"]) < 1 and abs(img["height"] - overlay["height"]) < 1


def test_templates_create_from_preset_and_json_edit_deactivate(page: Any, key: str, client: httpx.Client) -> None:
    sign_in(page, key)
    page.click("nav >> text=Templates")
    page.wait_for_selector("#view-templates:not([hidden])")

    page.select_option("#template-preset", "invoice")
    assert page.input_value("#template-form input[name=name]") == "Invoice"
    page.fill("#template-form input[name=name]", "Supplier invoice")
    page.click("#template-submit")
    page.wait_for_selector("#templates-body tr:has-text('Supplier invoice')")
    assert "totalAmount" in page.text_content("#templates-body tr:has-text('Supplier invoice')")

    # from JSON: a bad schema is refused in the page, a good one is created
    page.fill("#template-form input[name=name]", "Receipt total")
    page.fill("#template-form textarea[name=templateSchema]", "{not json")
    page.click("#template-submit")
    page.wait_for_selector("#template-form-error:not([hidden])")
    page.fill("#template-form textarea[name=templateSchema]", '{"total": {"type": "number", "description": "Total"}}')
    page.click("#template-submit")
    page.wait_for_selector("#templates-body tr:has-text('Receipt total')")
    shot(page, "templates")

    # edit, then deactivate and activate again
    page.click("#templates-body button[aria-label='Edit Receipt total']")
    assert page.text_content("#template-submit") == "Save changes"
    page.fill("#template-form input[name=name]", "Receipt grand total")
    page.click("#template-submit")
    page.wait_for_selector("#templates-body tr:has-text('Receipt grand total')")
    page.click("#templates-body button[aria-label='Deactivate Receipt grand total']")
    page.wait_for_selector("#templates-body tr.inactive:has-text('Receipt grand total')")
    templates = {t["name"]: t for t in client.get(f"{API}/templates").json()}
    assert templates["Receipt grand total"]["isActive"] is False
    page.click("#templates-body button[aria-label='Activate Receipt grand total']")
    page.wait_for_selector("#templates-body tr:not(.inactive):has-text('Receipt grand total')")

    # a template's records: the history filtered by it (none yet)
    page.click("#templates-body tr:has-text('Supplier invoice') >> text=Records")
    page.wait_for_selector("#view-dashboard:not([hidden])")
    assert page.input_value("#filters select[name=templateId]") == templates["Supplier invoice"]["templateId"]
    page.wait_for_selector("#history-body td.empty")

    # the dashboard offers the active templates for uploads and all of them as a filter
    options = page.eval_on_selector_all("#upload-template option", "os => os.map(o => o.textContent)")
    assert "Supplier invoice" in options


def test_structured_record_fields_highlight_their_box(page: Any, key: str, client: httpx.Client) -> None:
    project_id = client.params["projectId"]
    template = client.post(f"{API}/templates", json={
        "name": "Invoice number", "description": "", "projectId": project_id,
        "templateSchema": {"type": "object", "properties": {"invoiceNumber": {"type": "string", "description": "Invoice No"},
                                                            "total": {"type": "number", "description": "Total"}}},
    }).json()
    png = docgen.image_bytes(["Invoice No: INV-2077", "Total: 88.00"], dpi=150)
    response = client.post(f"{API}/upload", files={"file": ("inv-2077.png", png, "image/png")},
                           data={"projectId": project_id, "templateId": template["templateId"]})
    record = wait_completed(client, response.json()["processingHistoryId"])
    fields = ((record.get("processingResult") or {}).get("_meta") or {}).get("fields")
    if not fields:
        pytest.skip(f"the server stored no extracted fields (status {record['status']}, error {record.get('error')!r})")
    sign_in(page, key)
    page.goto(page.url.split("#")[0] + f"#/records/{record['id']}")
    page.wait_for_selector("#fields-card:not([hidden])")
    page.wait_for_selector("#fields-body tr[data-field=invoiceNumber]")
    button = page.locator("#fields-body tr[data-field=invoiceNumber] button")
    if button.count():
        button.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#page-view rect.field-box")
        assert page.locator("#fields-body tr.active").get_attribute("data-field") == "invoiceNumber"
    shot(page, "record-fields")


def test_phone_width_and_keyboard(browser: Any, server: Server, key: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console = Console(page)
    try:
        page.goto(server.base + "/")
        # keyboard only: the key field has the focus on arrival; type, Enter
        page.wait_for_selector("#signin:not([hidden])")
        assert page.evaluate("document.activeElement.name") == "apiKey"
        page.keyboard.type(key)
        page.keyboard.press("Enter")
        page.wait_for_selector("#view-dashboard:not([hidden])")
        page.wait_for_selector("#history-body tr")
        # nothing wider than the phone: no sideways scrolling of the page
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        # the file picker is reachable with the keyboard
        page.focus("#upload-priority")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.id") == "file-input"
        shot(page, "dashboard-phone", full_page=False)
        # the record view and the templates page fit too
        page.locator("#history-body td.file a").first.click()
        page.wait_for_selector("#view-record:not([hidden])")
        page.wait_for_selector("#page-view > *")
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        page.click("nav >> text=Templates")
        page.wait_for_selector("#view-templates:not([hidden])")
        assert page.evaluate("document.documentElement.scrollWidth") <= 391
        console.check()
    finally:
        context.close()


def test_record_view_pages_through_a_pdf(page: Any, key: str, client: httpx.Client) -> None:
    pdf = docgen.text_pdf([["First page of the contract"], ["Second page of the contract"]])
    response = client.post(f"{API}/upload", files={"file": ("contract.pdf", pdf, "application/pdf")},
                           data={"projectId": client.params["projectId"]})
    assert response.status_code == 201, response.text
    record_id = response.json()["processingHistoryId"]
    assert wait_completed(client, record_id)["status"] == "completed"
    sign_in(page, key)
    page.goto(page.url.split("#")[0] + f"#/records/{record_id}")
    page.wait_for_function("() => document.getElementById('page-label').textContent === '1 / 2'")
    first = page.locator("#page-view img").get_attribute("src")
    page.click("#page-next")
    page.wait_for_function("() => document.getElementById('page-label').textContent === '2 / 2'")
    page.wait_for_function(
        "(first) => { const i = document.querySelector('#page-view img'); return i && i.src !== first && i.complete && i.naturalWidth > 0; }",
        arg=first,
    )
    assert page.is_disabled("#page-next")
    assert "Second page" in page.text_content("#record-text")


def test_a_refused_upload_shows_the_reason(page: Any, key: str) -> None:
    sign_in(page, key)
    page.set_input_files("#file-input", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just text"}])
    row = page.locator("#uploads li.failed").first
    row.wait_for()
    assert "Unsupported file type" in row.text_content()
