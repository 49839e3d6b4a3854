"""Staff passwords, console sessions and login throttling.

Passwords are argon2id hashes (memory-hard); a hash made with older parameters is replaced at
the next successful login. A session is a random token in the staff member's cookie; the
database keeps only its SHA-256, so a copy of the table logs no one in. Every function takes
``now`` (naive UTC, like the tables) so tests can move the clock.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import secrets
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, true, update

from bot.store import LoginAttempt, Staff, StaffSession, Store
from bot.store.models import utcnow

log = logging.getLogger(__name__)

SESSION_ABSOLUTE = timedelta(hours=8)
SESSION_IDLE = timedelta(hours=1)
# Writing last_seen on every request would turn each page view into a write; a minute is close
# enough for a one-hour idle limit.
SEEN_RESOLUTION = timedelta(minutes=1)

LOCK_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
NAME_FAILURES = 5
REMOTE_FAILURES = 20
ATTEMPTS_KEPT = timedelta(days=1)
# Longer input is refused before hashing: a megabyte "password" should not cost a megabyte hash.
MAX_PASSWORD = 1024
MAX_NAME = 64

# argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes).
HASHER = PasswordHasher()
# Each hash holds 64 MiB: a burst of logins must not take the machine's memory with it.
_HASH_SLOTS = threading.BoundedSemaphore(4)


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    with _HASH_SLOTS:
        return hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; a malformed hash is a mismatch, not an error."""
    with _HASH_SLOTS:
        try:
            return HASHER.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@functools.lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash no password matches, verified for unknown names so they cost what known ones do."""
    return hash_password(secrets.token_urlsafe(32))


# ---- login throttling


def locked_until(failures: Sequence[datetime], limit: int) -> datetime | None:
    """When the lock earned by ``failures`` (oldest first) ends, or None if they earn none.

    ``limit`` failures within LOCK_WINDOW lock for LOCK_DURATION from the last of them.
    """
    until = None
    for last in range(limit - 1, len(failures)):
        if failures[last] - failures[last - limit + 1] <= LOCK_WINDOW:
            until = failures[last] + LOCK_DURATION
    return until


async def is_locked(store: Store, *, name: str, remote: str, now: datetime | None = None,
                    besides: int | None = None) -> bool:
    """True while the name or the address has failed too often recently (attempts still being
    verified count as failures; ``besides``: the id of the caller's own attempt, not counted)."""
    now = now or utcnow()
    others = LoginAttempt.id != besides if besides is not None else true()
    since = now - LOCK_WINDOW - LOCK_DURATION
    async with store.session() as session:
        # A successful login starts the name's count afresh (not the address's: one valid
        # account must not let an address go on guessing others).
        last_ok = (
            await session.execute(
                select(func.max(LoginAttempt.at)).where(
                    LoginAttempt.name == name, LoginAttempt.ok.is_(True), LoginAttempt.at > since
                )
            )
        ).scalar()
        by_name = (
            await session.execute(
                select(LoginAttempt.at)
                .where(
                    LoginAttempt.name == name,
                    LoginAttempt.ok.is_(False),
                    LoginAttempt.at > (last_ok or since),
                    others,
                )
                .order_by(LoginAttempt.at)
            )
        ).scalars().all()
        by_remote = (
            await session.execute(
                select(LoginAttempt.at)
                .where(
                    LoginAttempt.remote == remote,
                    LoginAttempt.ok.is_(False),
                    LoginAttempt.at > since,
                    others,
                )
                .order_by(LoginAttempt.at)
            )
        ).scalars().all()
    locks = (locked_until(by_name, NAME_FAILURES), locked_until(by_remote, REMOTE_FAILURES))
    return any(until is not None and now < until for until in locks)


async def login(
    store: Store, name: str, password: str, remote: str, *, now: datetime | None = None
) -> Staff | None:
    """The active staff member these credentials name, or None (the caller says nothing more).

    A locked name or address is refused without looking at the password. An unknown or
    disabled name costs the same hash verification as a known one and counts as a failure.
    The attempt is counted (as a failure) before its password is verified, so that guesses sent
    at once cannot all be verified before the first of them is counted: of a burst, only as many
    as the lock allows are verified.
    """
    now = now or utcnow()
    name = name.strip()[:MAX_NAME]
    remote = (remote or "unknown")[:64]
    attempt = LoginAttempt(name=name, remote=remote, at=now, ok=False)
    async with store.session() as session, session.begin():
        session.add(attempt)
    if await is_locked(store, name=name, remote=remote, now=now, besides=attempt.id):
        async with store.session() as session, session.begin():
            # refused unverified: no failure of its own (a lock is not prolonged by knocking)
            await session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt.id))
        log.warning("console login refused: %r or %s is locked", name, remote)
        return None
    async with store.session() as session:
        staff = (
            await session.execute(select(Staff).where(Staff.name == name))
        ).scalar_one_or_none()
    stored = staff.password_hash if staff else await asyncio.to_thread(dummy_hash)
    ok = len(password) <= MAX_PASSWORD and await asyncio.to_thread(
        verify_password, stored, password
    )
    ok = ok and staff is not None and not staff.disabled
    fresh_hash = None
    if ok and needs_rehash(stored):
        fresh_hash = await asyncio.to_thread(hash_password, password)
    async with store.session() as session, session.begin():
        if ok:
            await session.execute(
                update(LoginAttempt).where(LoginAttempt.id == attempt.id).values(ok=True))
        if fresh_hash is not None:
            await session.execute(
                update(Staff).where(Staff.id == staff.id).values(password_hash=fresh_hash)
            )
    if not ok:
        log.info("console login failed for %r from %s", name, remote)
        return None
    return staff


# ---- sessions


def token_id(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    store: Store, staff: Staff, *, now: datetime | None = None
) -> tuple[str, StaffSession]:
    """A new session for ``staff``: the token for the cookie, and the row."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        id=token_id(token),
        staff_id=staff.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_ABSOLUTE,
        last_seen=now,
    )
    async with store.session() as session, session.begin():
        session.add(row)
    return token, row


async def find_session(
    store: Store, token: str, *, now: datetime | None = None
) -> tuple[StaffSession, Staff] | None:
    """The live session of this token and its staff member; an expired one is deleted."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    async with store.session() as session, session.begin():
        row = await session.get(StaffSession, token_id(token))
        if row is None:
            return None
        staff = await session.get(Staff, row.staff_id)
        if (
            staff is None
            or staff.disabled
            or now >= row.expires_at
            or now - row.last_seen >= SESSION_IDLE
        ):
            await session.delete(row)
            return None
        if now - row.last_seen >= SEEN_RESOLUTION:
            row.last_seen = now
        return row, staff


async def end_session(store: Store, token: str) -> bool:
    """Log out: the token stops working at once. False if it was not a live session."""
    async with store.session() as session, session.begin():
        result = await session.execute(
            delete(StaffSession).where(StaffSession.id == token_id(token))
        )
        return bool(result.rowcount)


async def prune(store: Store, *, now: datetime | None = None) -> None:
    """Forget old login attempts and dead sessions."""
    now = now or utcnow()
    async with store.session() as session, session.begin():
        await session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPTS_KEPT))
        await session.execute(
            delete(StaffSession).where(
                or_(StaffSession.expires_at <= now, StaffSession.last_seen <= now - SESSION_IDLE)
            )
        )
