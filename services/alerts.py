"""Alerts a cardholder gets without asking: what happened, in a neutral form. The words and
buttons come from the message catalogue (handlers/alerts.py), and the outbound queue sends them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Alert:
    user_id: str
    kind: str  # purchase decline refund topup-done card-frozen card-terminated kyc low-balance …
    key: str  # unique per cause (provider:event id), so one event never alerts twice
    args: dict[str, Any] = field(default_factory=dict)
    card_id: str | None = None


class AlertSink(Protocol):
    async def publish(self, alert: Alert) -> None: ...


class DropAlerts:
    """For tools that apply events without a chat to tell (tests, `cardbot reconcile`)."""

    def __init__(self) -> None:
        self.published: list[Alert] = []

    async def publish(self, alert: Alert) -> None:
        self.published.append(alert)
