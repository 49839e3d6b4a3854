"""Staff accounts: add one with a role, list them, disable one (accounts are never deleted)."""

from __future__ import annotations

import asyncio
import unicodedata

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.console.auth import MAX_NAME, MAX_PASSWORD, hash_password
from bot.store import Staff, StaffSession, Store

ROLES = ("operator", "reviewer", "admin")
MIN_PASSWORD = 10


class StaffError(ValueError):
    """A request about an account that cannot be done; the message says why."""


class StaffExists(StaffError):
    pass


def check_name(name: str) -> str:
    """The name as stored (trimmed), or StaffError."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise StaffError(f"a staff name is 1 to {MAX_NAME} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise StaffError("a staff name cannot contain control characters")
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"a password is at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise StaffError(f"a password is at most {MAX_PASSWORD} characters")


async def add_staff(store: Store, name: str, role: str, password: str) -> Staff:
    """Create an account; StaffExists if the name is taken, StaffError if something is invalid."""
    name = check_name(name)
    if role not in ROLES:
        raise StaffError(f"the role is one of {', '.join(ROLES)}, not {role!r}")
    check_password(password)
    password_hash = await asyncio.to_thread(hash_password, password)
    staff = Staff(name=name, role=role, password_hash=password_hash)
    try:
        async with store.session() as session, session.begin():
            session.add(staff)
    except IntegrityError as exc:
        raise StaffExists(f"a staff member named {name!r} already exists") from exc
    return staff


async def list_staff(store: Store) -> list[Staff]:
    async with store.session() as session:
        rows = await session.execute(select(Staff).order_by(Staff.name))
        return list(rows.scalars().all())


async def disable_staff(store: Store, name: str) -> Staff | None:
    """Disable the account and end its sessions; None if there is no such name."""
    async with store.session() as session, session.begin():
        staff = (
            await session.execute(select(Staff).where(Staff.name == name.strip()))
        ).scalar_one_or_none()
        if staff is None:
            return None
        staff.disabled = True
        await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
        return staff
