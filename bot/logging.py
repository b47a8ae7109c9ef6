"""Structured, scrubbed logs: card numbers, CVVs, tokens and keys never reach a log line."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from services.scrub import SECRET_KEYS, scrub_text, scrub_value

__all__ = ["SECRET_KEYS", "ScrubFilter", "configure_logging", "scrub_processor", "scrub_text"]


def scrub_processor(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        event[key] = scrub_value(key, event[key])
    return event


class ScrubFilter(logging.Filter):
    """For library loggers (aiogram, telegram, httpx) that format their own messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub_text(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now (a test's capture, a redirected stream)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    handler = _StderrHandler()
    handler.addFilter(ScrubFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Request lines carry the bot token, and at DEBUG the frameworks log whole updates (names,
    # birth dates, ID numbers typed in the chat): hold them at INFO or above whatever the level.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for chatty in ("alembic", "fontTools"):  # migrations and PDF font subsetting narrate at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)
    for name in ("telegram", "aiogram", "aiohttp"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level.upper())))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            scrub_processor,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=False,
    )
