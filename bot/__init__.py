"""The runtime: composition root, aiogram and python-telegram-bot adapters, terminal chat, CLI,
background loops. The only package that knows a bot framework."""
