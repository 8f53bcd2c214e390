"""Password hashing (argon2id via pwdlib) off the event loop, and the hashing of high-entropy secrets."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from src.platform.config import Settings


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1),))


def _for(settings: Settings) -> PasswordHash:
    return _hasher(settings.password_hash_time_cost, settings.password_hash_memory_kib)


async def hash_password(settings: Settings, password: str) -> str:
    return await asyncio.to_thread(_for(settings).hash, password)


async def verify_password(settings: Settings, password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the account exists, so timing does not reveal usernames."""
    hasher = _for(settings)
    if password_hash is None:
        await asyncio.to_thread(hasher.hash, password)
        return False
    return await asyncio.to_thread(hasher.verify, password, password_hash)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_digest(secret: str) -> bytes:
    """Client secrets and refresh tokens are 256-bit random: a plain SHA-256 is enough and fast."""
    return hashlib.sha256(secret.encode()).digest()
