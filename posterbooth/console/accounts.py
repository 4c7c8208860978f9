"""Operator accounts (hashed with werkzeug.security) and the audit log of everything operators do."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from posterbooth.db import Database
from posterbooth.models import OPERATOR_ROLES, AuditEntry, Operator

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 10
#: Checked against when a username is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("posterbooth-dummy-password")


class AccountError(ValueError):
    """A username, role or password that cannot be used."""


@dataclass(frozen=True)
class OperatorInfo:
    """What the console needs to know about a signed-in operator."""

    username: str
    role: str
    #: "db:<id>:<epoch>" for stored accounts, "env" for the ADMIN_USERNAME/ADMIN_PASSWORD bootstrap admin.
    key: str

    @property
    def is_admin(self) -> bool:
        """Tell whether this operator may act (hide, pause, export...)."""
        return self.role == "admin"


def _check(username: str, role: str | None, password: str | None) -> None:
    if not USERNAME.match(username):
        raise AccountError("the name must be 1-64 letters, digits or . _ - @")
    if role is not None and role not in OPERATOR_ROLES:
        raise AccountError(f"the role must be one of {', '.join(OPERATOR_ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


def add_operator(db: Database, username: str, role: str, password: str) -> None:
    """Create an operator account; raise AccountError if the name is taken or the input is bad."""
    _check(username, role, password)
    with db.session() as session:
        if session.scalar(select(Operator.id).where(Operator.username == username)) is not None:
            raise AccountError(f"an operator named {username!r} exists already")
        session.add(Operator(username=username, role=role, password_hash=generate_password_hash(password)))


def set_password(db: Database, username: str, password: str) -> None:
    """Change an operator's password and end their sessions."""
    _check(username, None, password)
    with db.session() as session:
        operator = session.scalar(select(Operator).where(Operator.username == username))
        if operator is None:
            raise AccountError(f"no operator named {username!r}")
        operator.password_hash = generate_password_hash(password)
        operator.session_epoch += 1


def remove_operator(db: Database, username: str) -> bool:
    """Delete an operator account; return True if it existed."""
    with db.session() as session:
        result = session.execute(delete(Operator).where(Operator.username == username))
        return bool(getattr(result, "rowcount", 0))


def list_operators(db: Database) -> list[tuple[str, str, datetime]]:
    """Return (username, role, created) of every operator, by name."""
    with db.session() as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(Operator.username, Operator.role, Operator.created_at).order_by(Operator.username))]


def verify(db: Database, username: str, password: str) -> OperatorInfo | None:
    """Return the operator if the name and password match a stored account, else None."""
    with db.session() as session:
        operator = session.scalar(select(Operator).where(Operator.username == username[:64]))
    if operator is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(operator.password_hash, password):
        return None
    return OperatorInfo(operator.username, operator.role, f"db:{operator.id}:{operator.session_epoch}")


def load(db: Database, key: str) -> OperatorInfo | None:
    """Return the stored operator of a session key, or None if it is gone or its password changed."""
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != "db" or not parts[1].isdigit():
        return None
    with db.session() as session:
        operator = session.get(Operator, int(parts[1]))
    if operator is None or str(operator.session_epoch) != parts[2]:
        return None
    return OperatorInfo(operator.username, operator.role, key)


def audit(db: Database, operator: str, action: str, *, campaign: str = "", target: str = "",
          detail: str = "") -> None:
    """Write one operator action to the audit log."""
    with db.session() as session:
        session.add(AuditEntry(operator=operator[:64], action=action[:32], campaign=campaign[:64],
                               target=target[:120], detail=detail))


def audit_entries(db: Database, campaign: str | None = None, limit: int = 200) -> list[AuditEntry]:
    """Return the newest audit entries, of one campaign or of all."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if campaign is not None:
        query = query.where(AuditEntry.campaign == campaign)
    with db.session() as session:
        return list(session.scalars(query))
