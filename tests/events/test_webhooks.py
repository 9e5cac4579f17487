"""Webhooks on the in-process app: scope and validation, and real deliveries to a loopback
receiver (signature, envelope, order per document, retries after 500s, batch and template events)."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest

from event_support import ENVELOPE_KEYS, Receiver, check_signature, first_receipts
from server_support import API, assert_error, build_world, h, make_settings, running_app, tiny_pdf, upload

from ocrdesk.config import Settings
from ocrdesk.queue.webhooks import DestinationPolicy, DestinationRefused, backoff_seconds, sign

EVENT_ID = re.compile(r"^evt_\d{13}_[a-z0-9]{6}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def fast(tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "workers": 0, "webhook_backoff_base": 0.05, "webhook_timeout": 3.0, "events_poll_interval": 0.05,
        "webhook_max_attempts": 6,
    }
    values.update(extra)
    return make_settings(tmp_path, **values)


def test_webhook_endpoints_are_scoped_and_validated(tmp_path: Path) -> None:
    settings = fast(tmp_path)
    settings.ensure_dirs()
    w = asyncio.run(build_world(settings.db_path))
    with running_app(settings) as c:
        hook = {"url": "https://example.com/hook", "events": ["document.processed"]}
        created = c.post(f"{API}/webhooks", json=hook, headers=h(w.org_key))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["projectId"] is None and body["organizationId"] == w.org_id and body["secret"].startswith("whsec_")
        narrowed = c.post(f"{API}/webhooks", json={**hook, "projectId": w.project2_id, "secret": "s3cret-value"}, headers=h(w.org_key)).json()
        assert narrowed["projectId"] == w.project2_id and narrowed["secret"] == "s3cret-value"
        mine = c.post(f"{API}/webhooks", json={**hook, "events": ["*"]}, headers=h(w.project_key)).json()
        assert mine["projectId"] == w.project_id and len(mine["events"]) == 8

        listed = c.get(f"{API}/webhooks", headers=h(w.org_key)).json()
        assert {x["id"] for x in listed} == {body["id"], narrowed["id"], mine["id"]}
        assert all("secret" not in x for x in listed)
        assert [x["id"] for x in c.get(f"{API}/webhooks", params={"projectId": w.project2_id}, headers=h(w.org_key)).json()] == [narrowed["id"]]
        assert [x["id"] for x in c.get(f"{API}/webhooks", headers=h(w.project_key)).json()] == [mine["id"]]
        assert c.get(f"{API}/webhooks", headers=h(w.other_org_key)).json() == []
        # Another project's key or organization cannot see or delete it: 404, never a leak.
        assert_error(c.get(f"{API}/webhooks/{narrowed['id']}", headers=h(w.project_key)), 404)
        assert_error(c.delete(f"{API}/webhooks/{body['id']}", headers=h(w.other_org_key)), 404)
        assert_error(c.get(f"{API}/webhooks/{body['id']}/deliveries", headers=h(w.project2_key)), 404)
        assert_error(c.post(f"{API}/webhooks", json={**hook, "projectId": w.other_project_id}, headers=h(w.org_key)), 401)
        assert_error(c.post(f"{API}/webhooks", json=hook, headers=h(w.revoked_key)), 401)

        for url in ["ftp://example.com/x", "file:///etc/passwd", "http://169.254.169.254/latest/meta-data",
                    "http://[fe80::1]/x", "http://metadata.google.internal/computeMetadata/v1/", "http://[::ffff:169.254.169.254]/",
                    "not a url", "https://user:pw@example.com/"]:
            assert_error(c.post(f"{API}/webhooks", json={**hook, "url": url}, headers=h(w.org_key)), 400)
        assert_error(c.post(f"{API}/webhooks", json={**hook, "events": ["document.exploded"]}, headers=h(w.org_key)), 400)
        assert_error(c.post(f"{API}/webhooks", json={**hook, "events": []}, headers=h(w.org_key)), 400)
        assert_error(c.post(f"{API}/webhooks", json={**hook, "secret": "short"}, headers=h(w.org_key)), 400)

        deleted = c.delete(f"{API}/webhooks/{mine['id']}", headers=h(w.project_key))
        assert deleted.status_code == 200 and deleted.json()["isActive"] is False
        assert c.get(f"{API}/webhooks", headers=h(w.project_key)).json() == []
        assert_error(c.get(f"{API}/webhooks/{mine['id']}", headers=h(w.project_key)), 404)
        page = c.get(f"{API}/webhooks/{body['id']}/deliveries", headers=h(w.org_key)).json()
        assert page == {"data": [], "pagination": {"page": 1, "limit": 10, "total": 0, "pages": 0}}


def test_destination_policy() -> None:
    policy = DestinationPolicy()
    for url in ["http://127.0.0.1:8080/x", "https://example.com/", "http://10.0.0.5/", "http://[::1]:9/"]:
        policy.check_url(url)
    for url in ["http://169.254.10.10/", "http://metadata/", "http://METADATA.google.internal./", "http://[fe80::2]/",
                "http://100.100.100.200/", "gopher://x/"]:
        with pytest.raises(DestinationRefused):
            policy.check_url(url)
    allowed = DestinationPolicy("169.254.0.0/16, metadata.google.internal")
    allowed.check_url("http://169.254.169.254/")
    allowed.check_url("http://metadata.google.internal/")
    # Resolution checks every address of a name.
    with pytest.raises(DestinationRefused):
        asyncio.run(DestinationPolicy().resolve("http://169.254.1.1./x", 2))
    parts, addresses = asyncio.run(DestinationPolicy().resolve("http://localhost:9/x", 2))
    assert parts.port == 9 and addresses
    # Backoff doubles (with jitter between half and the whole delay) and is capped.
    assert all(0.5 <= backoff_seconds(1, 1, 60) <= 1 for _ in range(50))
    assert all(4 <= backoff_seconds(4, 1, 60) <= 8 for _ in range(50))
    assert all(30 <= backoff_seconds(20, 1, 60) <= 60 for _ in range(50))
    assert sign("k", b"{}") == "sha256=" + __import__("hmac").new(b"k", b"{}", "sha256").hexdigest()


def test_deliveries_are_signed_ordered_retried_and_complete(tmp_path: Path, receiver: Receiver) -> None:
    # The receiver is down for its first 4 requests (500), then fine.
    receiver.answer = lambda n, body: 500 if n < 4 else 200
    settings = fast(tmp_path, workers=1)
    settings.ensure_dirs()
    w = asyncio.run(build_world(settings.db_path))
    with running_app(settings) as c:
        secret = "a-very-secret-secret"
        hook = c.post(f"{API}/webhooks", json={"url": receiver.url, "events": ["*"], "secret": secret, "projectId": w.project_id},
                      headers=h(w.org_key)).json()
        # Events of another project are not sent to this endpoint.
        assert upload(c, w.project2_key).status_code == 201
        records = []
        for i in range(3):
            r = upload(c, w.project_key, tiny_pdf(f"Document {i}"), name=f"d{i}.pdf")
            assert r.status_code == 201, r.text
            records.append(r.json()["processingHistoryId"])
        files = [("files", ("ok.pdf", tiny_pdf("Batch page"), "application/pdf")),
                 ("files", ("bad.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF", "application/pdf"))]
        batch = c.post(f"{API}/batch/upload", files=files, data={"name": "mixed"}, headers=h(w.project_key))
        assert batch.status_code == 201, batch.text
        batch_id = batch.json()["id"]
        tpl = c.post(f"{API}/templates", json={"name": "Invoice", "templateSchema": {"total": {"type": "number"}}},
                     headers=h(w.project_key)).json()
        assert c.patch(f"{API}/templates/{tpl['templateId']}", json={"name": "Invoice 2"}, headers=h(w.project_key)).status_code == 200
        assert c.delete(f"{API}/templates/{tpl['templateId']}", headers=h(w.project_key)).status_code == 200

        def done(hits: list[Any]) -> bool:
            kinds = [e["eventType"] for e in first_receipts(hits)]
            return kinds.count("batch.completed") == 1 and kinds.count("document.processed") + kinds.count("document.failed") == 5 \
                and "template.deleted" in kinds
        hits = receiver.wait_for(done, timeout=40)
        time.sleep(0.3)  # anything more (a second batch.completed, say) would arrive now
        hits = receiver.accepted()
        envelopes = first_receipts(hits)

        for hit in receiver.hits:
            check_signature(hit, secret)
            assert hit.headers["content-type"] == "application/json"
            env = hit.json
            assert set(env) == ENVELOPE_KEYS and list(env) == ["eventType", "eventId", "timestamp", "organizationId", "projectId", "payload"]
            assert EVENT_ID.match(env["eventId"]) and TIMESTAMP.match(env["timestamp"])
            assert env["organizationId"] == w.org_id and env["projectId"] == w.project_id
            assert hit.headers["x-webhook-event"] == env["eventType"] and hit.headers["x-webhook-id"] == env["eventId"]
        assert sum(1 for x in receiver.hits if x.status == 500) == 4  # and they were retried

        kinds = [e["eventType"] for e in envelopes]
        assert kinds.count("document.uploaded") == 5 and kinds.count("batch.uploaded") == 1
        assert kinds.count("document.processed") == 4 and kinds.count("document.failed") == 1
        assert [k for k in kinds if k.startswith("template.")] == ["template.created", "template.updated", "template.deleted"]
        # Per document: uploaded before processed/failed.
        by_doc: dict[str, list[str]] = {}
        for env in envelopes:
            if env["eventType"].startswith("document."):
                by_doc.setdefault(env["payload"]["id"], []).append(env["eventType"])
        assert set(records) <= set(by_doc)
        assert all(v[0] == "document.uploaded" and len(v) == 2 for v in by_doc.values()), by_doc
        processed = [e["payload"] for e in envelopes if e["eventType"] == "document.processed" and e["payload"]["id"] in records]
        assert all(p["status"] == "completed" and p["pageCount"] == 1 for p in processed)
        failed = [e["payload"] for e in envelopes if e["eventType"] == "document.failed"]
        assert failed[0]["fileName"] == "bad.pdf" and failed[0]["error"]
        [uploaded_batch] = [e["payload"] for e in envelopes if e["eventType"] == "batch.uploaded"]
        assert uploaded_batch["id"] == batch_id and len(uploaded_batch["uploadIds"]) == 2
        [completed] = [e["payload"] for e in envelopes if e["eventType"] == "batch.completed"]
        assert completed["status"] == "partial" and completed["completedFiles"] == 1 and completed["failedFiles"] == 1
        assert c.get(f"{API}/batch/{batch_id}", headers=h(w.project_key)).json()["status"] == "partial"

        log = c.get(f"{API}/webhooks/{hook['id']}/deliveries", params={"limit": "100"}, headers=h(w.org_key)).json()
        assert log["pagination"]["total"] == len(envelopes)
        assert all(d["status"] == "delivered" and d["lastStatusCode"] == 200 for d in log["data"])
        retried = [d for d in log["data"] if d["attempts"] > 1]
        assert retried and sum(d["attempts"] - 1 for d in log["data"]) == 4
        assert {d["eventId"] for d in log["data"]} == {e["eventId"] for e in envelopes}
        assert_error(c.get(f"{API}/webhooks/{hook['id']}/deliveries", params={"limit": "0"}, headers=h(w.org_key)), 400)


def test_a_delivery_gives_up_after_max_attempts_and_refused_destinations_are_not_contacted(tmp_path: Path, receiver: Receiver) -> None:
    receiver.answer = lambda n, body: 503
    settings = fast(tmp_path, webhook_max_attempts=5)
    settings.ensure_dirs()
    w = asyncio.run(build_world(settings.db_path))
    with running_app(settings) as c:
        hook = c.post(f"{API}/webhooks", json={"url": receiver.url, "events": ["document.uploaded"]}, headers=h(w.project_key)).json()
        assert upload(c, w.project_key).status_code == 201
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            log = c.get(f"{API}/webhooks/{hook['id']}/deliveries", headers=h(w.project_key)).json()["data"]
            if log and log[0]["status"] == "failed":
                break
            time.sleep(0.05)
        assert log[0]["status"] == "failed" and log[0]["attempts"] == 5 and log[0]["lastStatusCode"] == 503, log
        assert len(receiver.hits) == 5
        # A URL that passed registration but resolves to a refused address is never contacted.
        ctx = c.app.state.ctx
        from ocrdesk.store.repositories.webhooks import Webhooks

        async def register() -> str:
            bad = await Webhooks(ctx.db).create(organization_id=w.org_id, project_id=w.project_id, key_id="x" * 24,
                                                url="http://169.254.1.1./x", events=["document.uploaded"], secret="secret-secret")
            return bad.id
        with c.portal() as portal:
            bad_id = portal.call(register)
        assert upload(c, w.project_key).status_code == 201
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = c.get(f"{API}/webhooks/{bad_id}/deliveries", headers=h(w.project_key)).json()["data"]
            if log and log[0]["status"] == "failed":
                break
            time.sleep(0.05)
        assert log[0]["status"] == "failed" and log[0]["attempts"] == 1 and "refused" in log[0]["lastError"], log
