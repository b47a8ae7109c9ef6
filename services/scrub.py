"""Masking of card numbers, CVVs, tokens and keys in free text and structured values.

Pure functions shared by the log filters (bot/logging.py) and the audit log (services/audit.py):
services must not import bot/, so the one copy lives here.
"""

from __future__ import annotations

import re
from typing import Any

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
    """The text with bot tokens, ``key=value`` secrets and Luhn-valid 13–19 digit runs masked."""
    text = _BOT_TOKEN.sub("[TOKEN]", text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _DIGIT_RUN.sub(_mask_digits, text)


def scrub_value(key: str, value: Any) -> Any:
    """A structured value with secrets masked: a value under a secret-sounding key becomes
    ``***``, strings are scrubbed, dicts and lists are walked."""
    if key.lower() in SECRET_KEYS:
        return "***"
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value("", v) for v in value]
    return value
