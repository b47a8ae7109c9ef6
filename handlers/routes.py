"""Where a command, a button route or a typed answer goes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.context import Ctx

ButtonHandler = Callable[[Ctx, list[str]], Awaitable[None]]
Handler = Callable[[Ctx], Awaitable[None]]


class Router:
    def __init__(self) -> None:
        self.buttons: dict[str, ButtonHandler] = {}
        self.commands: dict[str, Handler] = {}
        self.inputs: dict[str, Handler] = {}  # by the state's prefix, "kyc" for "kyc:phone"
        self.unknown_command: Handler | None = None
        self.stale_input: Handler | None = None

    async def command(self, ctx: Ctx, name: str) -> None:
        handler = self.commands.get(name) or self.unknown_command
        assert handler is not None
        await handler(ctx)

    async def input(self, ctx: Ctx) -> None:
        handler = self.inputs.get(ctx.state.partition(":")[0]) or self.stale_input
        assert handler is not None
        await handler(ctx)

    async def button(self, ctx: Ctx, route: str) -> None:
        name, *args = route.split(":")
        handler = self.buttons.get(name)
        if handler is None:
            ctx.answer(ctx.t("button-stale"), alert=True)
            return
        await handler(ctx, args)
