"""Endpoints of SPEC §4.3 against the real app and a real SQLite file (no OCR workers here)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest

from server_support import API, World, assert_error, h, make_settings, running_app, tiny_pdf, upload

ID = re.compile(r"^[0-9a-f]{24}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RECORD_KEYS = {
    "id", "uploadId", "projectId", "userId", "fileName", "fileUrl", "filePath", "fileSize", "mimeType", "status",
    "templateId", "templateName", "batchId", "resultFormat", "priority", "processingResult", "error", "pageCount",
    "startedAt", "completedAt", "createdAt", "updatedAt",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SCHEMA = {"invoiceNumber": {"type": "string"}, "total": {"type": "number"}}


# --- templates ----------------------------------------------------------------------------
def test_template_crud(client: Any, world: World) -> None:
    key = h(world.project_key)
    created = client.post(
        f"{API}/templates",
        json={"name": "Invoice", "description": "d", "templateSchema": SCHEMA, "instructions": "be careful"},
        headers=key,
    )
    assert created.status_code == 201, created.text
    t = created.json()
    assert set(t) == {"templateId", "name", "description", "templateSchema", "instructions", "projectId", "isActive",
                      "resultFormat", "extractionMode", "createdAt", "updatedAt"}
    assert ID.match(t["templateId"]) and TIME.match(t["createdAt"])
    assert (t["resultFormat"], t["extractionMode"], t["isActive"]) == ("json", "structured", True)
    assert t["templateSchema"] == SCHEMA and t["projectId"] == world.project_id

    text = client.post(f"{API}/templates", json={"name": "Letter", "templateSchema": {"type": "object", "properties": {"body": {"type": "string"}}}, "resultFormat": "text"}, headers=key).json()
    assert text["extractionMode"] == "freeText"

    listed = client.get(f"{API}/templates", headers=key).json()
    assert [x["templateId"] for x in listed] == [t["templateId"], text["templateId"]]

    patched = client.patch(f"{API}/templates/{t['templateId']}", json={"name": "Invoice v2", "resultFormat": "xml"}, headers=key)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["extractionMode"], patched.json()["description"]) == ("Invoice v2", "freeText", "d")

    deleted = client.delete(f"{API}/templates/{t['templateId']}", headers=key)
    assert deleted.status_code == 200 and deleted.json()["isActive"] is False
    assert client.get(f"{API}/templates/{t['templateId']}", headers=key).json()["isActive"] is False
    # A deactivated template cannot take new uploads.
    assert_error(upload(client, world.project_key, templateId=t["templateId"]), 404)


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"templateSchema": SCHEMA}, "name"),
        ({"name": "x"}, "templateSchema"),
        ({"name": " ", "templateSchema": SCHEMA}, "name"),
        ({"name": "x", "templateSchema": {}}, "templateSchema"),
        ({"name": "x", "templateSchema": {"a": {"type": "wrong"}}}, "templateSchema.a.type"),
        ({"name": "x", "templateSchema": {"a": 3}}, "templateSchema.a"),
        ({"name": "x", "templateSchema": SCHEMA, "resultFormat": "exe"}, "resultFormat"),
    ],
)
def test_template_validation(client: Any, world: World, body: dict[str, Any], fragment: str) -> None:
    response = client.post(f"{API}/templates", json=body, headers=h(world.project_key))
    error = assert_error(response, 400)
    assert any(fragment in m for m in error["message"]), error


def test_template_bad_and_unknown_ids(client: Any, world: World) -> None:
    assert_error(client.get(f"{API}/templates/nope", headers=h(world.project_key)), 400)
    assert_error(client.get(f"{API}/templates/{'a' * 24}", headers=h(world.project_key)), 404)
    assert_error(client.patch(f"{API}/templates/{'a' * 24}", json={}, headers=h(world.project_key)), 404)


# --- upload -------------------------------------------------------------------------------
def test_upload_creates_a_queued_record(client: Any, world: World) -> None:
    t = client.post(f"{API}/templates", json={"name": "Invoice", "templateSchema": SCHEMA, "resultFormat": "csv"}, headers=h(world.project_key)).json()
    response = upload(client, world.project_key, name="scan 2026.pdf", templateId=t["templateId"], priority="high", metadata='{"a": 1}')
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "processingHistoryId", "fileName", "fileUrl", "fileSize", "mimeType", "status", "templateId", "batchId", "createdAt"}
    assert body["status"] == "uploaded" and body["fileName"] == "scan 2026.pdf"
    assert body["fileSize"] == str(len(tiny_pdf())) and body["mimeType"] == "application/pdf"
    assert body["fileUrl"].endswith(f"/v1/openapi/files/{body['id']}") and body["fileUrl"].startswith("http")

    record = client.get(f"{API}/processing-history/{body['processingHistoryId']}", headers=h(world.project_key)).json()
    assert set(record) == RECORD_KEYS
    assert record["status"] == "queued" and record["priority"] == "high"
    assert record["templateName"] == "Invoice" and record["resultFormat"] == "csv"
    assert record["userId"] == _key_id(client, world.project_key)
    assert record["fileSize"] == str(len(tiny_pdf())) and record["fileUrl"] == body["fileUrl"]
    assert record["processingResult"] is None and record["startedAt"] is None
    for field in ("createdAt", "updatedAt"):
        assert TIME.match(record[field])

    file = client.get(body["fileUrl"].split("testserver.local")[-1], headers=h(world.project_key))
    assert file.status_code == 200 and file.content == tiny_pdf()
    assert file.headers["content-type"].startswith("application/pdf")
    # An org key follows the same fileUrl without a projectId.
    assert client.get(f"{API}/files/{body['id']}", headers=h(world.org_key)).content == tiny_pdf()


def _key_id(client: Any, key: str) -> str:
    return client.post(f"{API}/auth/login", json={"token": key}).json()["tokenInfo"]["id"]


def test_upload_type_is_sniffed_not_trusted(client: Any, world: World) -> None:
    response = upload(client, world.project_key, PNG, name="looks.pdf", mimeType="application/pdf", fileType="pdf")
    assert response.status_code == 201, response.text
    assert response.json()["mimeType"] == "image/png"
    error = assert_error(upload(client, world.project_key, b"MZ\x90\x00 an exe", name="doc.pdf"), 415)
    assert "PDF" in error["message"]
    assert_error(upload(client, world.project_key, b"", name="empty.pdf"), 400)


@pytest.mark.parametrize(
    "fields, fragment",
    [
        ({"priority": "urgent"}, "priority"),
        ({"metadata": "{not json"}, "metadata"),
        ({"metadata": "[1, 2]"}, "metadata"),
        ({"templateId": "xyz"}, "templateId"),
        ({"fileType": "video"}, "fileType"),
        ({"fileSize": "12"}, "fileSize"),
        ({"fileSize": "-5"}, "fileSize"),
        ({"batchId": "../../etc"}, "batchId"),
        ({"projectId": "1; DROP TABLE projects"}, "projectId"),
    ],
)
def test_upload_field_errors(client: Any, world: World, fields: dict[str, str], fragment: str) -> None:
    error = assert_error(upload(client, world.project_key, **fields), 400)
    assert any(fragment in m for m in error["message"]), error


def test_upload_needs_a_file_and_multipart(client: Any, world: World) -> None:
    error = assert_error(client.post(f"{API}/upload", data={"projectId": world.project_id}, files={"other": ("a", b"x")}, headers=h(world.org_key)), 400)
    assert error["message"]
    error = assert_error(client.post(f"{API}/upload", json={"file": "x"}, headers=h(world.project_key)), 400)
    assert "multipart" in error["message"][0]
    bad = b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 trunc"
    response = client.post(f"{API}/upload", content=bad, headers={**h(world.project_key), "content-type": "multipart/form-data; boundary=XX"})
    assert_error(response, 400)
    nothing = client.post(f"{API}/upload", content=b"", headers={**h(world.project_key), "content-type": "multipart/form-data; boundary=XX"})
    assert_error(nothing, 400)


def test_unknown_template_and_batch_are_404(client: Any, world: World) -> None:
    assert_error(upload(client, world.project_key, templateId="b" * 24), 404)
    assert_error(upload(client, world.project_key, batchId="b" * 24), 404)


def test_413_before_the_body_is_read(tmp_path: Any, world: World) -> None:
    settings = make_settings(tmp_path, max_upload_bytes=10_000)
    with running_app(settings) as client:
        error = assert_error(upload(client, world.project_key, b"%PDF-1.4\n" + b"0" * 20_000), 413)
        assert "limit" in error["message"]

        # Declared size over the limit: refused from the header alone; the body never arrives.
        def never_sent() -> Any:
            raise AssertionError("the body was read")
            yield b""  # pragma: no cover

        response = client.post(
            f"{API}/upload",
            content=b"x",
            headers={**h(world.project_key), "content-type": "multipart/form-data; boundary=XX", "content-length": str(10**9)},
        )
        assert_error(response, 413)
        # Just under the limit is fine.
        assert upload(client, world.project_key, b"%PDF-1.4\n" + b"0" * 9_000).status_code == 201


def test_file_names_are_stored_safely(client: Any, world: World) -> None:
    for name, expected in [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\scan.pdf", "scan.pdf"),
        ("bad\x1bname.pdf", "badname.pdf"),
        ("ใบแจ้งหนี้ 2026.pdf", "ใบแจ้งหนี้ 2026.pdf"),
    ]:
        response = upload(client, world.project_key, name=name)
        assert response.status_code == 201, (name, response.text)
        assert response.json()["fileName"] == expected
    # Stored only under content hashes.
    record = client.get(f"{API}/processing-history", headers=h(world.project_key)).json()["data"][0]
    assert re.match(r"^files/[0-9a-f]{2}/[0-9a-f]{64}$", record["filePath"])
    download = client.get(f"{API}/files/{record['uploadId']}", headers=h(world.project_key))
    assert "attachment" not in download.headers["content-disposition"]
    assert "filename*=UTF-8''" in download.headers["content-disposition"]


def test_idempotency_key(client: Any, world: World) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    first = upload(client, world.project_key, headers=headers)
    second = upload(client, world.project_key, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    total = client.get(f"{API}/processing-history/stats", headers=h(world.project_key)).json()["total"]
    assert total == 1
    assert_error(upload(client, world.project_key, PNG, headers=headers), 409)
    # Another key may use the same Idempotency-Key value independently.
    assert upload(client, world.project2_key, headers=headers).json()["id"] != first.json()["id"]


# --- batches ------------------------------------------------------------------------------
def _batch(client: Any, key: str, n: int, **data: str) -> Any:
    files = [("files", (f"f{i}.pdf", tiny_pdf(f"page {i}"), "application/pdf")) for i in range(n)]
    return client.post(f"{API}/batch/upload", files=files, data=data, headers=h(key))


def test_batch_upload_and_list(client: Any, world: World) -> None:
    response = _batch(client, world.project_key, 3, priority="low")
    assert response.status_code == 201, response.text
    batch = response.json()
    assert set(batch) == {"id", "name", "projectId", "organizationId", "templateId", "templateName", "totalFiles",
                          "completedFiles", "failedFiles", "status", "progress", "uploadIds", "createdAt", "updatedAt"}
    assert batch["name"] == f"Batch {dt.datetime.now(dt.timezone.utc):%Y-%m-%d}"
    assert (batch["totalFiles"], batch["completedFiles"], batch["status"], batch["progress"]) == (3, 0, "processing", 0)
    assert len(batch["uploadIds"]) == 3
    named = _batch(client, world.project_key, 1, name="March").json()
    listing = client.get(f"{API}/batch", headers=h(world.project_key), params={"limit": 1}).json()
    assert listing["pagination"] == {"page": 1, "limit": 1, "total": 2, "pages": 2}
    assert listing["data"][0]["id"] == named["id"]
    assert client.get(f"{API}/batch/{batch['id']}", headers=h(world.project_key)).json() == batch
    records = client.get(f"{API}/processing-history", params={"batchId": batch["id"]}, headers=h(world.project_key)).json()
    assert records["pagination"]["total"] == 3 and {r["priority"] for r in records["data"]} == {"low"}
    # POST /upload with batchId adds to the batch.
    assert upload(client, world.project_key, batchId=batch["id"]).status_code == 201
    assert client.get(f"{API}/batch/{batch['id']}", headers=h(world.project_key)).json()["totalFiles"] == 4
    result = client.get(f"{API}/batch/{batch['id']}/result", headers=h(world.project_key))
    assert result.status_code == 200 and len(result.json()["records"]) == 4


def test_batch_limits(client: Any, world: World) -> None:
    error = assert_error(_batch(client, world.project_key, 51), 400)
    assert "50" in error["message"][0]
    assert_error(client.post(f"{API}/batch/upload", data={"name": "x"}, files={"x": ("a", b"")}, headers=h(world.project_key)), 400)
    assert_error(_batch(client, world.project_key, 0), 400)


# --- history ------------------------------------------------------------------------------
def test_history_list_filters_and_errors(client: Any, world: World) -> None:
    for i in range(3):
        upload(client, world.project_key, name=f"invoice-{i}.pdf")
    upload(client, world.project_key, name="receipt.pdf")
    key = h(world.project_key)
    page = client.get(f"{API}/processing-history", headers=key).json()
    assert page["pagination"] == {"page": 1, "limit": 10, "total": 4, "pages": 1}
    assert [r["fileName"] for r in page["data"]] == ["receipt.pdf", "invoice-2.pdf", "invoice-1.pdf", "invoice-0.pdf"]
    assert client.get(f"{API}/processing-history", params={"search": "INVOICE"}, headers=key).json()["pagination"]["total"] == 3
    assert client.get(f"{API}/processing-history", params={"search": "' OR 1=1 --"}, headers=key).json()["pagination"]["total"] == 0
    assert client.get(f"{API}/processing-history", params={"search": "%"}, headers=key).json()["pagination"]["total"] == 0
    today = dt.datetime.now(dt.timezone.utc).date()
    params = {"fromDate": today.isoformat(), "toDate": today.isoformat(), "status": "queued", "limit": 2, "page": 2}
    assert client.get(f"{API}/processing-history", params=params, headers=key).json()["pagination"] == {"page": 2, "limit": 2, "total": 4, "pages": 2}
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert client.get(f"{API}/processing-history", params={"fromDate": tomorrow}, headers=key).json()["data"] == []
    for params, fragment in [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
        ({"fromDate": "2026-13-01"}, "fromDate"),
        ({"toDate": "yesterday"}, "toDate"),
        ({"fromDate": "2026-02-02", "toDate": "2026-02-01"}, "fromDate"),
        ({"status": "done"}, "status"),
        ({"templateId": "nope"}, "templateId"),
        ({"batchId": "nope"}, "batchId"),
    ]:
        error = assert_error(client.get(f"{API}/processing-history", params=params, headers=key), 400)
        assert any(fragment in m for m in error["message"]), (params, error)


def test_stats_and_result_of_unfinished_record(client: Any, world: World) -> None:
    body = upload(client, world.project_key).json()
    assert client.get(f"{API}/processing-history/stats", headers=h(world.project_key)).json() == {
        "total": 1, "pending": 0, "processing": 1, "completed": 0, "failed": 0,
    }
    record_id = body["processingHistoryId"]
    assert_error(client.get(f"{API}/processing-history/{record_id}/result", headers=h(world.project_key)), 409)
    error = assert_error(client.get(f"{API}/processing-history/{record_id}/result", params={"format": "exe"}, headers=h(world.project_key)), 400)
    assert "json" in error["message"][0]
    assert_error(client.get(f"{API}/processing-history/{'c' * 24}", headers=h(world.project_key)), 404)
    assert_error(client.get(f"{API}/processing-history/not-an-id", headers=h(world.project_key)), 400)


def test_result_download_of_completed_record(client: Any, world: World, settings: Any) -> None:
    body = upload(client, world.project_key, name="scan.final.pdf").json()
    asyncio.run(_complete_all(settings, '{"text":"Hello\\fWorld","pages":[]}', "Hello\fWorld"))
    key = h(world.project_key)
    record_id = body["processingHistoryId"]
    record = client.get(f"{API}/processing-history/{record_id}", headers=key).json()
    assert record["status"] == "completed" and record["processingResult"]["text"] == "Hello\fWorld"
    assert record["pageCount"] == 2 and TIME.match(record["completedAt"])
    as_json = client.get(f"{API}/processing-history/{record_id}/result", headers=key)
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.headers["content-disposition"] == 'attachment; filename="scan.final.json"'
    assert as_json.json() == record["processingResult"]
    as_text = client.get(f"{API}/processing-history/{record_id}/result", params={"format": "text"}, headers=key)
    assert as_text.headers["content-type"] == "text/plain; charset=utf-8"
    assert as_text.text == "Hello\fWorld"
    assert as_text.headers["content-disposition"] == 'attachment; filename="scan.final.txt"'
    assert client.get(f"{API}/processing-history/stats", headers=key).json()["completed"] == 1
    assert client.get(f"{API}/processing-history", params={"status": "completed"}, headers=key).json()["pagination"]["total"] == 1


async def _complete_all(settings: Any, result: str, text: str) -> None:
    """Complete every queued job through the queue's own transitions (what a worker does)."""
    from ocrdesk.store.db import Database
    from ocrdesk.store.repositories import Workers

    async with Database(settings.db_path, readers=1) as db:
        jobs = Workers(db)
        worker = await jobs.register()
        while (claimed := await jobs.claim(worker)) is not None:
            await jobs.complete(worker, claimed[0].id, result, text, 2)
        await jobs.unregister(worker)


# --- cross-cutting ------------------------------------------------------------------------
def test_rate_limit_headers_and_429(tmp_path: Any, world: World) -> None:
    with running_app(make_settings(tmp_path, rate_limit_per_minute=3)) as client:
        seen = []
        for _ in range(3):
            response = client.get(f"{API}/projects", headers=h(world.project_key))
            assert response.status_code == 200
            seen.append(int(response.headers["x-ratelimit-remaining"]))
            assert response.headers["x-ratelimit-limit"] == "3"
            assert 0 < int(response.headers["x-ratelimit-reset"]) <= 60
        assert seen == [2, 1, 0]
        limited = client.get(f"{API}/projects", headers=h(world.project_key))
        assert_error(limited, 429)
        assert 0 < int(limited.headers["retry-after"]) <= 60
        # Keys have separate budgets; a JWT shares its key's.
        assert client.get(f"{API}/projects", headers=h(world.org_key)).status_code == 200
        # Errors carry the headers too.
        unauthorized = client.get(f"{API}/projects")
        assert unauthorized.status_code == 401 and "x-ratelimit-remaining" in unauthorized.headers


def test_rate_limit_budget_is_per_key_across_endpoints(tmp_path: Any, world: World) -> None:
    """One key has one budget, whichever endpoints it calls."""
    with running_app(make_settings(tmp_path, rate_limit_per_minute=3)) as client:
        key = h(world.project_key)
        assert client.get(f"{API}/projects", headers=key).headers["x-ratelimit-remaining"] == "2"
        assert client.get(f"{API}/templates", headers=key).headers["x-ratelimit-remaining"] == "1"
        assert client.get(f"{API}/processing-history/stats", headers=key).headers["x-ratelimit-remaining"] == "0"
        assert_error(client.get(f"{API}/templates", headers=key), 429)


def test_unknown_route_and_method_use_the_error_body(client: Any, world: World) -> None:
    assert_error(client.get(f"{API}/nothing-here", headers=h(world.project_key)), 404)
    assert_error(client.put(f"{API}/projects", headers=h(world.project_key)), 405)


def test_openapi_schema_and_docs(client: Any) -> None:
    schema = client.get(f"{API}/docs/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ["/auth/login", "/projects", "/templates", "/templates/{template_id}", "/upload", "/batch/upload",
                 "/batch", "/batch/{batch_id}", "/processing-history", "/processing-history/stats",
                 "/processing-history/{record_id}", "/processing-history/{record_id}/result", "/files/{upload_id}"]:
        assert API + path in paths, path
    upload_body = paths[API + "/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "file" in upload_body["properties"]
    docs = client.get(f"{API}/docs")
    assert docs.status_code == 200 and "html" in docs.headers["content-type"]
