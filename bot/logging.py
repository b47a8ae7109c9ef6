"""Structured, scrubbed logs: card numbers, CVVs, tokens and keys never reach a log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from services.providers.luhn import luhn_valid

_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_BOT_TOKEN = re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}\b")
_SECRET_PAIR = re.compile(
    r"(?i)\b(cvv2?|cvc2?|pan|card_?number|api[_-]?key|token|secret|password|authorization)"
    r"(\s*[=:]\s*|\"\s*:\s*\"?)([^\s,\"'}&]+)"
)
SECRET_KEYS = {
    "cvv",
    "cvv2",
    "cvc",
    "pan",
    "card_number",
    "number",
    "api_key",
    "token",
    "secret",
    "password",
    "authorization",
    "master_key",
}


def _mask_digits(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[PAN]" if luhn_valid(digits) else match.group(0)


def scrub_text(text: str) -> str:
    text = _BOT_TOKEN.sub("[TOKEN]", text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _DIGIT_RUN.sub(_mask_digits, text)


def _scrub_value(key: str, value: Any) -> Any:
    if key.lower() in SECRET_KEYS:
        return "***"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value("", v) for v in value]
    return value


def scrub_processor(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event):
        event[key] = _scrub_value(key, event[key])
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
