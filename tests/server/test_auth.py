"""The auth matrix of SPEC §4.1 over every endpoint: org key, project key, other organization,
expired, revoked, unknown, JWT, Bearer key; 404 for another project's resources."""

from __future__ import annotations

from typing import Any

import pytest

from server_support import API, World, assert_error, h, tiny_pdf, upload

SCHEMA = {"invoiceNumber": {"type": "string", "description": "Invoice number"}}


@pytest.fixture
def resources(client: Any, world: World) -> dict[str, str]:
    """A template, an upload/record and a batch in project P1."""
    t = client.post(f"{API}/templates", json={"name": "Invoice", "templateSchema": SCHEMA, "projectId": world.project_id}, headers=h(world.org_key))
    assert t.status_code == 201, t.text
    u = upload(client, world.org_key, projectId=world.project_id)
    assert u.status_code == 201, u.text
    b = client.post(
        f"{API}/batch/upload",
        files=[("files", ("a.pdf", tiny_pdf(), "application/pdf"))],
        data={"projectId": world.project_id},
        headers=h(world.org_key),
    )
    assert b.status_code == 201, b.text
    return {
        "template": t.json()["templateId"],
        "upload": u.json()["id"],
        "record": u.json()["processingHistoryId"],
        "batch": b.json()["id"],
    }


def endpoints(r: dict[str, str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request kwargs) of every endpoint that acts in a project."""
    return [
        ("GET", "/templates", {}),
        ("POST", "/templates", {"json": {"name": "X", "templateSchema": SCHEMA}}),
        ("GET", f"/templates/{r['template']}", {}),
        ("PATCH", f"/templates/{r['template']}", {"json": {"description": "changed"}}),
        ("DELETE", f"/templates/{r['template']}", {}),
        ("POST", "/upload", {"files": {"file": ("x.pdf", tiny_pdf(), "application/pdf")}}),
        ("POST", "/batch/upload", {"files": [("files", ("x.pdf", tiny_pdf(), "application/pdf"))]}),
        ("GET", "/batch", {}),
        ("GET", f"/batch/{r['batch']}", {}),
        ("GET", f"/batch/{r['batch']}/result", {}),
        ("GET", "/processing-history", {}),
        ("GET", "/processing-history/stats", {}),
        ("GET", f"/processing-history/{r['record']}", {}),
        ("GET", f"/processing-history/{r['record']}/result", {}),
    ]


def call(client: Any, method: str, path: str, kwargs: dict[str, Any], headers: dict[str, str], project_id: str | None) -> Any:
    kwargs = dict(kwargs)
    if project_id is not None:
        if method == "POST" and path in ("/upload", "/batch/upload"):
            kwargs["data"] = {"projectId": project_id}
        elif method == "POST":
            kwargs["json"] = {**kwargs["json"], "projectId": project_id}
        else:
            kwargs["params"] = {"projectId": project_id}
    return client.request(method, API + path, headers=headers, **kwargs)


def ok(status: int) -> bool:
    # 409 is the result endpoint of a record that is not processed yet: past auth and scope.
    return status in (200, 201, 409)


@pytest.mark.parametrize("credential", ["none", "unknown", "malformed", "expired", "revoked", "bad-jwt"])
def test_invalid_credentials_are_401_everywhere(client: Any, world: World, resources: dict[str, str], credential: str) -> None:
    headers = {
        "none": {},
        "unknown": h("ocr_" + "A" * 40),
        "malformed": h("not-a-key"),
        "expired": h(world.expired_key),
        "revoked": h(world.revoked_key),
        "bad-jwt": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"},
    }[credential]
    for method, path, kwargs in [*endpoints(resources), ("GET", "/projects", {}), ("GET", f"/files/{resources['upload']}", {})]:
        response = call(client, method, path, kwargs, headers, world.project_id)
        assert_error(response, 401)


def test_org_key_needs_project_id(client: Any, world: World, resources: dict[str, str]) -> None:
    for method, path, kwargs in endpoints(resources):
        response = call(client, method, path, kwargs, h(world.org_key), None)
        body = assert_error(response, 400)
        assert any("projectId" in m for m in body["message"]), (path, body)


def test_org_key_with_its_project(client: Any, world: World, resources: dict[str, str]) -> None:
    for method, path, kwargs in endpoints(resources):
        response = call(client, method, path, kwargs, h(world.org_key), world.project_id)
        assert ok(response.status_code), (method, path, response.text)


def test_org_key_outside_its_org_is_401(client: Any, world: World, resources: dict[str, str]) -> None:
    for method, path, kwargs in endpoints(resources):
        response = call(client, method, path, kwargs, h(world.org_key), world.other_project_id)
        assert_error(response, 401)
        # A project id that does not exist at all is just as unauthorized.
        response = call(client, method, path, kwargs, h(world.org_key), "0" * 24)
        assert_error(response, 401)


def test_other_org_key_is_401_for_our_project(client: Any, world: World, resources: dict[str, str]) -> None:
    for method, path, kwargs in endpoints(resources):
        assert_error(call(client, method, path, kwargs, h(world.other_org_key), world.project_id), 401)
    assert_error(client.get(f"{API}/files/{resources['upload']}", headers=h(world.other_org_key)), 404)


def test_project_key_without_and_with_its_project(client: Any, world: World, resources: dict[str, str]) -> None:
    for project_id in (None, world.project_id):
        for method, path, kwargs in endpoints(resources):
            response = call(client, method, path, kwargs, h(world.project_key), project_id)
            assert ok(response.status_code), (method, path, project_id, response.text)


def test_project_key_for_another_project_is_401(client: Any, world: World, resources: dict[str, str]) -> None:
    for method, path, kwargs in endpoints(resources):
        assert_error(call(client, method, path, kwargs, h(world.project_key), world.project2_id), 401)


def test_resources_of_another_project_are_404(client: Any, world: World, resources: dict[str, str]) -> None:
    """A P2 key asking for P1's template, batch, record or file: 404, never a hint it exists."""
    paths = sorted({p for _, p, _ in endpoints(resources) if any(v in p for v in resources.values())})
    assert len(paths) == 5
    for path in paths:
        for method in ("GET", "PATCH", "DELETE") if path.startswith("/templates/") else ("GET",):
            kwargs = {"json": {"description": "x"}} if method == "PATCH" else {}
            response = call(client, method, path, kwargs, h(world.project2_key), None)
            body = assert_error(response, 404)
            assert resources["record"] not in str(body)
    assert_error(client.get(f"{API}/files/{resources['upload']}", headers=h(world.project2_key)), 404)
    # ... and the org key, naming P2, does not see P1's records either.
    for path in paths:
        assert_error(call(client, "GET", path, {}, h(world.org_key), world.project2_id), 404)


def test_bearer_key_and_jwt_login(client: Any, world: World, resources: dict[str, str]) -> None:
    bearer = {"Authorization": f"Bearer {world.project_key}"}
    assert client.get(f"{API}/processing-history", headers=bearer).status_code == 200

    login = client.post(f"{API}/auth/login", json={"token": world.org_key})
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["expiresIn"] > 0
    assert body["tokenInfo"] == {
        "id": world.org_key_id,
        "name": "org",
        "type": "organization",
        "organizationId": world.org_id,
        "projectId": None,
        "expiresAt": None,
    }
    jwt_headers = {"Authorization": f"Bearer {body['accessToken']}"}
    for method, path, kwargs in endpoints(resources):
        response = call(client, method, path, kwargs, jwt_headers, world.project_id)
        assert ok(response.status_code), (method, path, response.text)
    assert_error(call(client, "GET", "/templates", {}, jwt_headers, world.other_project_id), 401)
    # A tampered token is refused.
    assert_error(client.get(f"{API}/projects", headers={"Authorization": f"Bearer {body['accessToken']}x"}), 401)


@pytest.mark.parametrize("token", ["", "ocr_" + "A" * 40, "garbage"])
def test_login_with_bad_key_is_401(client: Any, world: World, token: str) -> None:
    assert_error(client.post(f"{API}/auth/login", json={"token": token}), 401)


def test_login_with_expired_or_revoked_key_is_401(client: Any, world: World) -> None:
    for key in (world.expired_key, world.revoked_key):
        assert_error(client.post(f"{API}/auth/login", json={"token": key}), 401)


def test_login_body_must_have_token(client: Any, world: World) -> None:
    assert_error(client.post(f"{API}/auth/login", json={}), 400)
    assert_error(client.post(f"{API}/auth/login", content=b"{not json", headers={"content-type": "application/json"}), 400)


def test_jwt_dies_with_its_key(client: Any, world: World, settings: Any) -> None:
    import asyncio

    from ocrdesk.store.db import Database
    from ocrdesk.store.repositories import ApiKeys

    token = client.post(f"{API}/auth/login", json={"token": world.project_key}).json()["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/projects", headers=headers).status_code == 200

    async def revoke() -> None:
        async with Database(settings.db_path, readers=1) as db:
            key = await ApiKeys(db).authenticate(world.project_key)
            assert key is not None
            await ApiKeys(db).revoke(key.id)

    asyncio.run(revoke())
    assert_error(client.get(f"{API}/projects", headers=headers), 401)
    assert_error(client.get(f"{API}/projects", headers=h(world.project_key)), 401)


def test_projects_by_scope(client: Any, world: World) -> None:
    org = client.get(f"{API}/projects", headers=h(world.org_key))
    assert org.status_code == 200
    assert sorted(p["id"] for p in org.json()) == sorted([world.project_id, world.project2_id])
    assert set(org.json()[0]) == {"id", "name", "description", "organizationId", "isActive", "settings", "createdAt", "updatedAt"}
    proj = client.get(f"{API}/projects", headers=h(world.project_key))
    assert [p["id"] for p in proj.json()] == [world.project_id]
    other = client.get(f"{API}/projects", headers=h(world.other_org_key))
    assert [p["id"] for p in other.json()] == [world.other_project_id]


def test_keys_and_projects_changed_elsewhere_are_seen(client: Any, world: World, settings: Any) -> None:
    """The server keeps keys and projects it has read for a moment; changes by another process
    (``ocrdesk admin``, a worker) are seen on the next request, and plain SQL edits within
    ``CACHE_SECONDS``."""
    import asyncio
    import sqlite3
    import time

    from ocrdesk.store.cache import CACHE_SECONDS
    from ocrdesk.store.db import Database
    from ocrdesk.store.repositories import ApiKeys, Projects

    key = h(world.project_key)
    assert client.get(f"{API}/projects", headers=key).status_code == 200  # now cached
    renamed = client.get(f"{API}/projects", headers=key).json()[0]["name"] + " (renamed)"

    async def change() -> None:
        async with Database(settings.db_path, readers=1) as db:  # another connection, as another process has
            project = await Projects(db).get(world.project_id)
            assert project is not None
            await Projects(db).update(project.id, name=renamed, description="", settings={})

    asyncio.run(change())
    assert client.get(f"{API}/projects", headers=key).json()[0]["name"] == renamed

    # Revoked by plain SQL, behind the application's back: refused once the cache lapses.
    conn = sqlite3.connect(settings.db_path)
    conn.execute("UPDATE api_keys SET revoked_at = '2020-01-01T00:00:00.000Z' WHERE key_prefix = ?",
                 (world.project_key[:8],))
    conn.commit()
    conn.close()
    time.sleep(CACHE_SECONDS + 0.2)
    assert_error(client.get(f"{API}/projects", headers=key), 401)
