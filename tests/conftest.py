"""Shared fixtures: a fresh SQLite database and key ring per test, and a clock tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from services.settings import Settings


@dataclass
class FakeClock:
    now: datetime = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        # Aware UTC, like storage.models.utcnow. Each reading moves a microsecond so rows
        # written in one test keep their order.
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'cardbot.db'}",
        "key_file": tmp_path / "cardbot.keys",
        "sandbox_delay_seconds": 5,
        "telegram_token": None,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock=clock, configure_logs=False)
    yield application
    await application.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def money_settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """The money tests run on SQLite and on PostgreSQL (CI's server; see tests/pg.py)."""
    if request.param == "sqlite":
        yield make_settings(tmp_path)
        return
    from tests.pg import fresh_database

    async with fresh_database() as url:
        yield make_settings(tmp_path, database_url=url)


@pytest.fixture
async def money_app(money_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    application = await build_app(money_settings, clock=clock, migrate=True, configure_logs=False)
    yield application
    await application.close()
