"""Every language is complete: each English message id exists in every other catalogue with the
same variables and the same plural selectors, and reads as a translation (not English left in
place). The language is taken from the Telegram client for a new person and changed in settings,
at once and for good.

Catalogues are parsed with fluent.syntax, as tests/test_texts.py does for English.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fluent.syntax import FluentParser
from fluent.syntax import ast as fluent_ast

from bot.app import App
from handlers.events import AnswerButton, Edit
from handlers.texts import LOCALES, Texts
from services.users import SUPPORTED_LANGUAGES, language_for
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import onboard

TEXTS = Texts.load()
OTHER_LANGUAGES = [code for code in SUPPORTED_LANGUAGES if code != "en"]

# Ids whose French is, rightly, the English word: proper nouns, brands, document names kept as
# issued, the language names (each written in its own language), and words French shares.
SAME_IN_FRENCH = frozenset(
    {
        "brand-visa",
        "brand-mastercard",
        "wallet-apple_pay",
        "wallet-google_pay",
        "id-type-bvn",  # Nigerian Bank Verification Number: the name on the document
        "id-type-nin",  # Nigerian National Identification Number
        "id-type-ghana_card",
        "language-name-en",
        "language-name-fr",
        "audit-who-system",  # the bot's name
        "btn-menu",  # 🏠 Menu
        "card-status-active",  # Active
        "kyc-field-selfie",  # Selfie
        "audit-history-line",  # "{ $who }, via { $via }": "via" is French too
        "btn-statement-csv",  # ⬇️ CSV
        "btn-statement-pdf",  # ⬇️ PDF
        "doc-chart-total",  # Total
        "doc-pdf-date",  # Date
        "doc-pdf-page",  # Page
        "doc-pdf-type",  # Type
    }
)
# Fluent variables may not shadow Texts.get's own parameters (a clash is a TypeError at run time).
RESERVED_VARIABLES = {"language", "key", "html_args"}


@dataclass(frozen=True)
class Entry:
    variables: frozenset[str]
    selectors: frozenset[str]  # variables a select expression (plural, …) switches on
    file: str


def _walk(node: object, variables: set[str], selectors: set[str]) -> None:
    if isinstance(node, fluent_ast.SelectExpression) and isinstance(
        node.selector, fluent_ast.VariableReference
    ):
        selectors.add(node.selector.id.name)
    if isinstance(node, fluent_ast.VariableReference):
        variables.add(node.id.name)
    if isinstance(node, fluent_ast.BaseNode):
        for value in vars(node).values():
            for child in value if isinstance(value, list) else [value]:
                _walk(child, variables, selectors)


def catalogue(language: str) -> tuple[dict[str, Entry], list[str]]:
    """Message id → its variables, for every .ftl file of one language; and problems found."""
    entries: dict[str, Entry] = {}
    problems: list[str] = []
    ids: Counter[str] = Counter()
    for path in sorted((LOCALES / language).glob("*.ftl")):
        resource = FluentParser().parse(path.read_text(encoding="utf-8"))
        for item in resource.body:
            if isinstance(item, fluent_ast.Junk):
                problems.append(f"{path.name}: unparseable: {(item.content or '')[:60]!r}")
            elif isinstance(item, fluent_ast.Message):
                variables: set[str] = set()
                selectors: set[str] = set()
                _walk(item, variables, selectors)
                if item.value is None:
                    problems.append(f"{path.name}: {item.id.name} has no value")
                ids[item.id.name] += 1
                entries[item.id.name] = Entry(frozenset(variables), frozenset(selectors), path.name)
    problems += [f"{key} is defined {n} times" for key, n in ids.items() if n > 1]
    return entries, problems


ENGLISH, ENGLISH_PROBLEMS = catalogue("en")


def dummy(key: str, value: Any = "1") -> dict[str, Any]:
    return dict.fromkeys(ENGLISH[key].variables, value)


def test_every_supported_language_has_a_catalogue_and_english_is_sizeable() -> None:
    assert set(SUPPORTED_LANGUAGES) <= set(TEXTS.languages)
    assert "fr" in SUPPORTED_LANGUAGES
    assert not ENGLISH_PROBLEMS, ENGLISH_PROBLEMS
    assert len(ENGLISH) > 250  # the collector found the real catalogue, not an empty one


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_catalogue_parses_cleanly_without_duplicates(language: str) -> None:
    _, problems = catalogue(language)
    assert not problems, problems


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_english_id_is_translated_with_the_same_variables(language: str) -> None:
    translated, _ = catalogue(language)
    missing = sorted(key for key in ENGLISH if key not in translated)
    assert not missing, f"{len(missing)} ids have no {language} translation: {missing}"
    extra = sorted(key for key in translated if key not in ENGLISH)
    assert not extra, f"{language} has ids English does not (renamed or removed?): {extra}"
    wrong = {
        key: (sorted(ENGLISH[key].variables), sorted(entry.variables))
        for key, entry in translated.items()
        if entry.variables != ENGLISH[key].variables
    }
    assert not wrong, f"variables differ (en, {language}): {wrong}"
    selectors = {
        key: (sorted(ENGLISH[key].selectors), sorted(entry.selectors))
        for key, entry in translated.items()
        if entry.selectors != ENGLISH[key].selectors
    }
    assert not selectors, f"plural/select expressions differ (en, {language}): {selectors}"


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_each_message_lives_in_the_file_of_the_same_name(language: str) -> None:
    translated, _ = catalogue(language)
    moved = {
        key: (ENGLISH[key].file, entry.file)
        for key, entry in translated.items()
        if key in ENGLISH and entry.file != ENGLISH[key].file
    }
    assert not moved, moved


def test_no_message_uses_a_variable_name_that_clashes_with_texts_get() -> None:
    for language in SUPPORTED_LANGUAGES:
        entries, _ = catalogue(language)
        clashes = {key: e.variables & RESERVED_VARIABLES for key, e in entries.items()}
        assert not {k: v for k, v in clashes.items() if v}, language


def _is_prose(text: str) -> bool:
    """Words a person reads, as opposed to placeholders, emoji, or a command typed verbatim
    (support usage lines such as "/agent add 123456789")."""
    plain = re.sub(r"<[^>]+>", "", text).strip()
    return not plain.startswith("/") and bool(re.search(r"[^\W\d_]{2,}", plain))


@pytest.mark.parametrize("key", sorted(ENGLISH))
def test_french_formats_and_is_a_translation(key: str) -> None:
    french = TEXTS.bundles["fr"]
    assert french.has_message(key), f"no French for {key}"  # the fallback must not hide it
    text = TEXTS.get("fr", key, **dummy(key, "<x&y>"))
    assert text.strip(), f"{key} is empty in French"
    if key.startswith("btn-"):
        assert "<" not in TEXTS.get("fr", key, html_args=False, **dummy(key)), key
    else:
        assert "<x&y>" not in text  # arguments are escaped in French too
    english = TEXTS.get("en", key, **dummy(key))
    if TEXTS.get("fr", key, **dummy(key)) == english and _is_prose(english):
        assert key in SAME_IN_FRENCH, f"{key} is still English in French: {english!r}"


def test_the_allow_list_names_real_ids_that_really_are_the_same() -> None:
    for key in SAME_IN_FRENCH:
        assert key in ENGLISH, key
        assert TEXTS.get("fr", key, **dummy(key)) == TEXTS.get("en", key, **dummy(key)), key


TELEGRAM_TAGS = re.compile(r"</?(?:b|i|u|s|em|strong|code|pre|a|tg-spoiler|blockquote)\b")


def test_html_tags_are_kept_in_translation() -> None:
    def tags(text: str) -> list[str]:
        return sorted(TELEGRAM_TAGS.findall(text))

    wrong = {
        key: (tags(TEXTS.get("en", key, **dummy(key))), tags(TEXTS.get("fr", key, **dummy(key))))
        for key in ENGLISH
    }
    assert not {k: v for k, v in wrong.items() if v[0] != v[1]}


@pytest.mark.parametrize(("strikes", "expected"), [(1, "Encore un refus"), (2, "Encore 2 refus")])
def test_french_plurals_follow_the_count(strikes: int, expected: str) -> None:
    text = TEXTS.get("fr", "alert-decline-strikes", strikes=strikes)
    assert expected in text


def test_a_missing_translation_falls_back_to_english_at_run_time(tmp_path: Path) -> None:
    """Safety net for a person (the tests above fail the build): never a crash, never an id."""
    (tmp_path / "en").mkdir()
    (tmp_path / "fr").mkdir()
    (tmp_path / "en" / "m.ftl").write_text("hello = Hello\nbye = Bye\n", encoding="utf-8")
    (tmp_path / "fr" / "m.ftl").write_text("hello = Bonjour\n", encoding="utf-8")
    texts = Texts.load(tmp_path)
    assert texts.get("fr", "hello") == "Bonjour"
    assert texts.get("fr", "bye") == "Bye"
    assert texts.get("de", "hello") == "Hello"  # a language with no catalogue


# -- the language a person gets --
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("fr", "fr"),
        ("fr-FR", "fr"),
        ("fr-CI", "fr"),
        ("fr-SN", "fr"),
        ("fr_CM", "fr"),
        ("FR", "fr"),
        ("en", "en"),
        ("en-GB", "en"),
        ("frr", "en"),  # North Frisian is not French
        ("pt-BR", "en"),
        ("ha", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_from_the_telegram_client(code: str | None, expected: str) -> None:
    assert language_for(code) == expected


@pytest.mark.parametrize(
    ("code", "welcome", "help_label"),
    [
        ("fr-CI", "Bienvenue chez", "❓ Aide"),
        ("fr", "Bienvenue chez", "❓ Aide"),
        ("en-US", "Welcome to", "❓ Help"),
        ("pt-BR", "Welcome to", "❓ Help"),
    ],
)
async def test_a_new_person_is_greeted_in_the_language_of_their_telegram_app(
    app: App, code: str, welcome: str, help_label: str
) -> None:
    user = ChatUser(app, language=code)
    await user.type("/start")
    assert welcome in user.log[0].plain
    assert help_label in user.labels()
    account = await app.services.users.load(user.user_id)
    assert account.language == language_for(code)


async def test_the_chosen_language_stays_when_the_telegram_app_changes(app: App) -> None:
    user = ChatUser(app, language="fr")
    await user.type("/start")
    user.language = "en"  # the person switched their phone to English; the bot keeps French
    await user.type("/menu")
    assert "vérifiez d'abord votre identité" in user.screen_text()


async def test_settings_switch_the_language_at_once_and_for_good(
    app: App, clock: FakeClock
) -> None:
    user = ChatUser(app, language="en")
    await onboard(user, clock)  # a verified person with $500.00 in the wallet
    await user.type("/menu")
    assert "Wallet: $500.00" in user.screen_text()
    menu_id = user.screen.id
    await user.press("Settings")
    assert user.screen.id == menu_id  # the menu turned into the settings screen, in place
    assert "Language: English" in user.screen_text()
    assert user.labels() == ["✅ English", "Français", "🏠 Menu"]

    actions = await user.press("Français")
    assert isinstance(actions[0], AnswerButton) and actions[0].text == "Langue modifiée"
    assert any(isinstance(a, Edit) and a.message_id == menu_id for a in actions)
    screen = user.screen_text()
    assert user.screen.id == menu_id
    assert screen.startswith("✅ Langue : Français")
    assert "Portefeuille : 500,00\xa0$US" in screen  # the menu re-rendered, amounts in French
    assert "Que souhaitez-vous faire ?" in screen
    assert user.labels() == [
        "💳 Mes cartes",
        "➕ Nouvelle carte",
        "💰 Portefeuille · ajouter de l'argent",
        "❓ Aide",
        "⚙️ Paramètres",
    ]
    assert (await app.services.users.load(user.user_id)).language == "fr"

    # Persisted: the next update, with the Telegram app still in English, is in French.
    await user.type("/settings")
    assert "Langue : Français" in user.screen_text()
    assert user.labels() == ["English", "✅ Français", "🏠 Menu"]
    await user.press("English")
    assert user.last_toast.text == "Language changed"
    assert "Wallet: $500.00" in user.screen_text()
    assert (await app.services.users.load(user.user_id)).language == "en"


async def test_a_forged_or_unknown_language_changes_nothing(app: App) -> None:
    user = ChatUser(app, language="fr")
    await user.type("/settings")
    message_id, data = user.find("English")
    seq = data.partition("|")[0]
    for route in ("s.lang:de", "s.lang:", "s.lang", "s.lang:../en"):
        actions = await user.press_data(message_id, f"{seq}|{route}")
        answer = actions[0]
        assert isinstance(answer, AnswerButton) and answer.alert
        assert "ne fonctionne plus" in answer.text
        assert (await app.services.users.load(user.user_id)).language == "fr"


async def test_settings_are_reachable_from_the_menu_before_verification(app: App) -> None:
    user = ChatUser(app, language="en")
    await user.type("/start")
    assert user.labels()[-2:] == ["❓ Help", "⚙️ Settings"]
    await user.press("Settings")
    await user.press("Français")
    assert "vérifiez d'abord votre identité" in user.screen_text()
    assert user.labels() == ["🪪 Vérifier mon identité", "❓ Aide", "⚙️ Paramètres"]
    await user.press("Vérifier mon identité")  # the next screens follow the new language
    assert "Étape 1 sur 13" in user.screen_text()
