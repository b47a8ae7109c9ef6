"""A throwaway PostgreSQL database on CI's server (CARDBOT_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import async_url

ENV = "CARDBOT_TEST_POSTGRES_URL"


def server_url() -> str:
    url = os.environ.get(ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{ENV} is not set: CI must run the PostgreSQL tests")
        pytest.skip(f"{ENV} not set (CI sets it; e.g. postgresql://postgres@127.0.0.1/test)")
    return async_url(url)


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """Create an empty database for one test, yield its URL, drop it afterwards."""
    base = server_url()
    name = f"cardbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server CI promised is not there: say so loudly
        await admin.dispose()
        pytest.fail(f"cannot reach PostgreSQL at {base}: {exc}")
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
