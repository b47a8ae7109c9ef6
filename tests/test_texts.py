"""The English catalogue holds every text the conversation and the services can ask for, and each
one formats with the arguments its callers pass.

Message ids are collected from the source itself (literal ids in ``ctx.t``/``ctx.choice``/
``texts.get`` calls, ``ServiceError``/``AmountError``/``ProviderError`` codes) plus the families
built at run time from known values (KYC fields, ID types, card statuses, brands, …).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast

from handlers.texts import LOCALES, Texts
from services import kyc_rules
from services.providers.base import CardStatus
from services.providers.sandbox import BINS

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = sorted((ROOT / "handlers").glob("*.py"))
SERVICES = sorted((ROOT / "services").rglob("*.py"))
CATALOGUES = sorted((LOCALES / "en").glob("*.ftl"))  # cardbot.ftl + one per provider
TEXTS = Texts.load()


def _variables() -> dict[str, set[str]]:
    """Each message id in the English catalogue files → the variables it uses."""
    resource = FluentParser().parse(
        "\n".join(path.read_text(encoding="utf-8") for path in CATALOGUES)
    )
    junk = [entry for entry in resource.body if isinstance(entry, fluent_ast.Junk)]
    assert not junk, f"unparseable catalogue entries: {[(j.content or '')[:60] for j in junk]}"
    found: dict[str, set[str]] = {}

    def walk(node: object, into: set[str]) -> None:
        if isinstance(node, fluent_ast.VariableReference):
            into.add(node.id.name)
        if isinstance(node, fluent_ast.BaseNode):
            for value in vars(node).values():
                for child in value if isinstance(value, list) else [value]:
                    walk(child, into)

    for entry in resource.body:
        if isinstance(entry, fluent_ast.Message):
            names: set[str] = set()
            walk(entry, names)
            found[entry.id.name] = names
    return found


VARIABLES = _variables()


def dummy(key: str, value: str = "1") -> dict[str, Any]:
    """A value for every variable the message uses."""
    return dict.fromkeys(VARIABLES[key], value)


@dataclass(frozen=True)
class Use:
    key: str
    where: str
    keywords: frozenset[str] | None  # None: arguments passed with ** (not checked by name)


def _constant_ids(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _constant_ids(node.body)
        yield from _constant_ids(node.orelse)


def _keywords(call: ast.Call) -> frozenset[str] | None:
    if any(kw.arg is None for kw in call.keywords):
        return None
    return frozenset(kw.arg for kw in call.keywords if kw.arg and kw.arg != "html_args")


def _text_uses() -> list[Use]:
    """Literal ids in ctx.t(...), ctx.choice(...) (self.t inside Ctx itself),
    texts.get(lang, ...) in handlers/."""
    uses = []
    for file in HANDLERS:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name, receiver = node.func.attr, ast.unparse(node.func.value)
            if name in ("t", "choice") and receiver in ("ctx", "self") and node.args:
                key_node = node.args[0]
            elif name == "get" and receiver.endswith("texts") and len(node.args) >= 2:
                key_node = node.args[1]
            else:
                continue
            where = f"{file.name}:{node.lineno}"
            for key in _constant_ids(key_node):
                uses.append(Use(key, where, _keywords(node)))
    return uses


def _raised_codes() -> list[Use]:
    """Literal codes of ServiceError/AmountError/ProviderError raised in services/."""
    uses = []
    for file in SERVICES:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("ServiceError", "AmountError", "ProviderError")
                and node.args
            ):
                for key in _constant_ids(node.args[0]):
                    keywords = _keywords(node)
                    if node.func.id == "ProviderError":
                        keywords = frozenset()  # shown as a reason, without arguments
                    rel = file.relative_to(ROOT)
                    uses.append(Use(key, f"{rel}:{node.lineno}", keywords))
    return uses


TEXT_USES = _text_uses()
RAISED = _raised_codes()
STATUSES = [str(s) for s in CardStatus]
NOT_ACTIVE = [s for s in STATUSES if s != CardStatus.ACTIVE]

FAMILIES = sorted(
    {
        *(f"kyc-ask-{field}" for field in kyc_rules.FIELDS),
        *(f"kyc-field-{field}" for field in kyc_rules.FIELDS),
        *(
            f"id-type-{t.code}"
            for types in [*kyc_rules.ID_TYPES.values(), kyc_rules.id_types_for("ZZ")]
            for t in types
        ),
        *(f"card-status-{status}" for status in STATUSES),
        *(f"brand-{brand}" for brand in BINS),
        *(f"option-{kind}" for kind in ("regular", "wallet", "single")),
        *(f"wallet-{wallet}" for wallet in ("apple_pay", "google_pay")),
        *(f"limit-ask-{which}" for which in ("daily", "txn")),
        *(
            f"airline-{state}{suffix}"
            for state in ("enabled", "disabled")
            for suffix in ("", "-toast")
        ),
        *(
            f"decline-{reason}"
            for reason in ("airline_blocked", "over_transaction_limit", "over_daily_limit")
        ),
        *(f"provider-kyc-{status}" for status in ("pending", "rejected")),
        *(f"menu-kyc-{status}" for status in ("none", "draft", "pending", "rejected")),
        *(f"done-{kind}" for kind in ("issue", "topup", "withdraw")),
        *(f"done-{kind}-toast" for kind in ("issue", "topup", "withdraw")),
        *(f"quote-{kind}" for kind in ("issue", "issue-initial", "topup", "withdraw")),
        *(f"card-not-active-{status}" for status in NOT_ACTIVE),
        *(f"card-not-revealable-{status}" for status in ("pending", "terminated")),
        *(f"provider-card-{status}" for status in STATUSES),
        *(
            f"kyc-{field.replace('_', '-')}-invalid"
            for field in ("address_line1", "city", "region")
        ),
        *(f"kyc-reason-{reason}" for reason in ("document_unverified", "id_not_found", "other")),
        *(f"txn-{kind}" for kind in ("topup", "withdraw", "purchase", "refund")),
        "txn-purchase-declined",
        *(f"decline-card_{status}" for status in NOT_ACTIVE),
        "decline-insufficient_funds",
    }
)


def test_the_source_scan_finds_what_it_should() -> None:
    """Guard the collectors themselves: if they found nothing, the tests below would pass empty."""
    keys = {use.key for use in TEXT_USES}
    assert {"welcome-back", "button-stale", "card-line", "cards-title", "cards-empty"} <= keys
    codes = {use.key for use in RAISED}
    assert {"kyc-dob-under-age", "amount-over-card-cap", "amount-too-precise"} <= codes
    assert "provider-insufficient-funds" in codes
    assert len(VARIABLES) > 150


@pytest.mark.parametrize("use", TEXT_USES + RAISED, ids=lambda use: f"{use.key}@{use.where}")
def test_literal_id_exists_and_gets_its_arguments(use: Use) -> None:
    assert use.key in VARIABLES, f"{use.where}: no message {use.key!r} in the English catalogue"
    if use.keywords is not None:
        missing = VARIABLES[use.key] - use.keywords
        unused = use.keywords - VARIABLES[use.key]
        assert not missing, f"{use.where}: {use.key} needs {sorted(missing)}"
        assert not unused, f"{use.where}: {use.key} ignores {sorted(unused)}"
    TEXTS.get("en", use.key, **dummy(use.key))


@pytest.mark.parametrize("key", FAMILIES)
def test_dynamic_family_member_exists_and_formats(key: str) -> None:
    assert TEXTS.has(key), f"no message {key!r}"
    text = TEXTS.get("en", key, **dummy(key))
    assert text.strip()


@pytest.mark.parametrize("key", sorted(VARIABLES))
def test_every_message_formats_with_its_variables(key: str) -> None:
    text = TEXTS.get("en", key, **dummy(key, "<x&y>"))
    assert text.strip()
    if key.startswith("btn-"):
        return
    # string arguments are HTML-escaped in texts, so a name cannot inject markup
    assert "<x&y>" not in text


def test_a_missing_argument_is_an_error_not_a_silent_gap() -> None:
    with pytest.raises(KeyError):
        TEXTS.get("en", "kyc-dob-under-age")


def test_button_labels_are_plain_text() -> None:
    for key in VARIABLES:
        if key.startswith("btn-"):
            text = TEXTS.get("en", key, html_args=False, **dummy(key))
            assert "<" not in text, key
