"""The message catalogue (Fluent): every text the person reads comes from here, by id."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"


class Markup(str):
    """Text that is already HTML and must not be escaped again."""


class Texts:
    def __init__(self, bundles: dict[str, FluentBundle]) -> None:
        self.bundles = bundles

    @classmethod
    def load(cls, directory: Path = LOCALES) -> Texts:
        bundles: dict[str, FluentBundle] = {}
        for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
            bundle = FluentBundle([folder.name], use_isolating=False)
            for file in sorted(folder.glob("*.ftl")):
                bundle.add_resource(FluentResource(file.read_text(encoding="utf-8")))
            bundles[folder.name] = bundle
        return cls(bundles)

    @property
    def languages(self) -> list[str]:
        return list(self.bundles)

    def has(self, key: str, language: str = DEFAULT_LANGUAGE) -> bool:
        return self._bundle(language).has_message(key)

    def get(self, language: str, key: str, *, html_args: bool = True, **args: Any) -> str:
        """The text for ``key``. String arguments are HTML-escaped unless they are Markup or
        ``html_args`` is off (button labels are plain text)."""
        bundle = self._bundle(language)
        if not bundle.has_message(key):
            bundle = self.bundles[DEFAULT_LANGUAGE]
        message = bundle.get_message(key)  # KeyError for an id no catalogue has: a bug
        if message.value is None:
            raise KeyError(f"message {key!r} has no value")
        safe = {
            name: value
            if isinstance(value, Markup) or not isinstance(value, str) or not html_args
            else html.escape(value, quote=False)
            for name, value in args.items()
        }
        text, errors = bundle.format_pattern(message.value, safe)
        if errors:
            raise KeyError(f"message {key!r}: {errors}")
        return str(text)

    def _bundle(self, language: str) -> FluentBundle:
        return self.bundles.get(language) or self.bundles[DEFAULT_LANGUAGE]
