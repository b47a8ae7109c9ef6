"""Errors the services raise for the person to read; ``code`` is a message-catalogue id."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, **args: object) -> None:
        super().__init__(code)
        self.code = code
        self.args_for_text = args
