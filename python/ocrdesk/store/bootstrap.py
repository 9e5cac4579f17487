"""First start on an empty data dir: organization ``default``, project ``default``, one key."""

from __future__ import annotations

from ocrdesk.store.db import Database
from ocrdesk.store.models import ApiKey, Organization, Project
from ocrdesk.store.repositories import ApiKeys, Organizations, Projects

__all__ = ["ensure_defaults", "DEFAULT_NAME"]

DEFAULT_NAME = "default"


async def ensure_defaults(db: Database) -> tuple[Organization, Project, str | None, ApiKey | None]:
    """Create the defaults when there is no organization yet.

    Returns (organization, project, raw key or None, key or None); the raw key only when it
    was created now, so it can be printed exactly once.
    """
    orgs, projects, keys = Organizations(db), Projects(db), ApiKeys(db)
    org = await orgs.by_name(DEFAULT_NAME)
    first_start = await orgs.count() == 0
    if org is None:
        org = await orgs.create(DEFAULT_NAME)
    project = await projects.by_name(org.id, DEFAULT_NAME)
    if project is None:
        project = await projects.create(org.id, DEFAULT_NAME, "Created on first start")
    raw = key = None
    if first_start and await keys.count() == 0:
        raw, key = await keys.create(name="default organization key", organization_id=org.id)
    return org, project, raw, key
