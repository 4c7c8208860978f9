"""The attendee's drafts in the signed session cookie, one per campaign (see :mod:`posterbooth.draft`)."""

from __future__ import annotations

from typing import Any

from flask import session

from posterbooth.draft import Draft, new_draft


def get_draft(slug: str) -> Draft:
    """Return the session's draft for a campaign, starting one when there is none."""
    drafts = session.get("drafts", {})
    draft = drafts.get(slug)
    if draft is None:
        draft = new_draft()
        save_draft(slug, draft)
    return draft


def save_draft(slug: str, draft: Draft) -> None:
    """Keep the draft in the session (a week)."""
    drafts = session.get("drafts", {})
    drafts[slug] = draft
    session["drafts"] = drafts
    session.permanent = True


def finish_draft(slug: str, key: str, public_id: str) -> None:
    """Drop the submitted draft, remembering its key so a repeated tap finds the same poster."""
    drafts = session.get("drafts", {})
    drafts.pop(slug, None)
    session["drafts"] = drafts
    submitted = session.get("submitted", {})
    submitted[slug] = {"key": key, "public_id": public_id}
    session["submitted"] = submitted


def submitted_public_id(slug: str, key: str) -> str | None:
    """Return the result id of the draft ``key`` if it was already submitted from this session."""
    done: dict[str, Any] | None = session.get("submitted", {}).get(slug)
    if key and done and done.get("key") == key:
        return str(done["public_id"])
    return None
