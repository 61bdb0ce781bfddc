"""Telegram bridge: python-telegram-bot in front of Rasa's REST channel and the credit backend.

Run with ``python -m bot.telegram`` (polling by default, webhook when TELEGRAM_MODE=webhook);
docs/telegram.md explains the set-up.
"""
