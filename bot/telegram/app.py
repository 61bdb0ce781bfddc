"""The python-telegram-bot Application: handlers for commands, text, buttons and files.

Updates are processed concurrently across users but strictly in order per user (a lock per user),
so one slow Rasa turn does not hold up everyone else and a user's messages reach Rasa in the order
they were typed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.backend_client import BackendClient, BackendError, BackendUnavailable
from bot.evidence import EvidenceService, IncomingFile
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.telegram import texts
from bot.telegram.config import Config
from bot.telegram.mapping import COMMAND_MESSAGES, Document, Outgoing, chosen_text, metadata, outgoing, sender_id
from bot.telegram.notifier import Notifier
from bot.telegram.state import StateDB

log = logging.getLogger(__name__)
TYPING_EVERY = 4.5  # Telegram shows a chat action for about five seconds
FALLBACKS = {"/greet": texts.WELCOME + "\n\n" + texts.HELP, "/help": texts.HELP, "/cancel": texts.CANCELLED}


class UserLocks:
    """One asyncio.Lock per user, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: Counter[int] = Counter()

    @contextlib.asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._users[user_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[user_id] -= 1
            if self._users[user_id] <= 0:
                del self._users[user_id]
                self._locks.pop(user_id, None)


@contextlib.asynccontextmanager
async def typing(bot: Any, chat_id: int, action: str = ChatAction.TYPING) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends."""

    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id=chat_id, action=action)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


FetchDocument = Callable[[Document], Awaitable[bytes]]


async def send_document(bot: Any, chat_id: int, document: Document, fetch: FetchDocument | None) -> None:
    """Download the report from the backend and send it as a file; if that fails, say so (the text before it
    already carries the number and code, so nothing is lost)."""
    if fetch is None:
        return
    try:
        async with typing(bot, chat_id, ChatAction.UPLOAD_DOCUMENT):
            data = await fetch(document)
        await bot.send_document(
            chat_id=chat_id,
            document=InputFile(data, filename=document.filename),
            caption=document.caption or None,
        )
    except (BackendUnavailable, BackendError, TelegramError) as exc:
        log.warning("credit report %s not sent as a document: %s", document.report_no, exc)
        await bot.send_message(chat_id=chat_id, text=texts.DOCUMENT_FAILED)


async def send_all(bot: Any, chat_id: int, messages: list[Outgoing], fetch: FetchDocument | None = None) -> None:
    for m in messages:
        if m.document:
            await send_document(bot, chat_id, m.document, fetch)
        elif m.photo:
            try:
                await bot.send_photo(chat_id=chat_id, photo=m.photo)
            except BadRequest:  # Telegram could not fetch the image: give the link instead
                await bot.send_message(chat_id=chat_id, text=m.photo)
        elif m.text:
            await bot.send_message(chat_id=chat_id, text=m.text, reply_markup=m.reply_markup)


class Bridge:
    def __init__(self, config: Config, rasa: RasaClient, backend: BackendClient, state: StateDB) -> None:
        self.config = config
        self.rasa = rasa
        self.backend = backend
        self.state = state
        self.evidence = EvidenceService(backend, config.max_evidence_bytes)
        self.locks = UserLocks()
        self.notifier_task: asyncio.Task[None] | None = None

    async def fetch_document(self, document: Document) -> bytes:
        """A credit report's PDF, downloaded from the backend with the bridge's own token."""
        return await self.backend.report_pdf(document.report_no, document.code)

    # -- talking to Rasa -----------------------------------------------------------------------
    async def talk(self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: str, **extra: Any) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        msg = update.effective_message
        meta = metadata(
            user.id, user.full_name, user.username, user.language_code, chat.id, msg.message_id if msg else None
        )
        meta.update(extra)
        async with self.locks.hold(user.id):
            async with typing(context.bot, chat.id):
                try:
                    answers = await self.rasa.send(sender_id(user.id), message, meta)
                except RasaUnavailable as exc:
                    log.warning("Rasa unavailable for %s: %s", sender_id(user.id), exc)
                    await context.bot.send_message(chat_id=chat.id, text=texts.RASA_DOWN)
                    return
            if not answers:
                # Rasa's trusted channel never answers a turn with nothing, except while a person holds the
                # conversation (a claimed hand-off): the message went to them, and they reply through the outbox.
                return
            messages = outgoing(answers, self.state) or [Outgoing(text=FALLBACKS.get(message, texts.NO_ANSWER))]
            await send_all(context.bot, chat.id, messages, self.fetch_document)

    # -- handlers ------------------------------------------------------------------------------
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        command = (msg.text or "").split()[0].lstrip("/").split("@")[0].lower() if msg else ""
        await self.talk(update, context, COMMAND_MESSAGES[command])

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        if msg and msg.text:
            await self.talk(update, context, msg.text)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(texts.HELP)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        choice = self.state.get(query.data or "")
        if choice is None:
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
            return
        await query.answer()
        chosen = texts.CHOSEN.format(title=choice.title)
        message = query.message if isinstance(query.message, Message) else None
        edited = chosen_text(message.text, choice.title) if message else None
        try:
            if edited:
                await query.edit_message_text(edited, reply_markup=None)
            else:
                if message:
                    await query.edit_message_reply_markup(reply_markup=None)
                if update.effective_chat:
                    await context.bot.send_message(chat_id=update.effective_chat.id, text=chosen)
        except BadRequest as exc:  # e.g. the message is too old to edit; the choice still counts
            log.info("could not mark the choice on message: %s", exc)
        await self.talk(update, context, choice.payload, button_title=choice.title)

    async def on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None:
            return
        if msg.document:
            doc = msg.document
            file = IncomingFile(doc.file_id, doc.file_name or "文件", doc.mime_type, doc.file_size)
        elif msg.photo:
            photo = msg.photo[-1]  # the largest size
            file = IncomingFile(photo.file_id, f"photo_{photo.file_unique_id}.jpg", "image/jpeg", photo.file_size)
        else:
            return

        async def download() -> bytes:
            tg_file = await context.bot.get_file(file.file_id)
            return bytes(await tg_file.download_as_bytearray())

        async with self.locks.hold(user.id), typing(context.bot, msg.chat_id, ChatAction.UPLOAD_DOCUMENT):
            answer = await self.evidence.receive(sender_id(user.id), file, msg.caption, download)
        await msg.reply_text(answer)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(texts.UNSUPPORTED)

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message:
            await update.effective_message.reply_text(texts.PRIVATE_ONLY)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling an update", exc_info=context.error)

    # -- lifecycle -------------------------------------------------------------------------------
    async def post_init(self, application: Application) -> None:
        bot = application.bot

        async def send(chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> int:
            sent = await bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
            return sent.message_id

        notifier = Notifier(self.backend, self.state, send, interval=self.config.notify_interval)
        self.notifier_task = asyncio.create_task(notifier.run_forever(), name="telegram-notifier")

    async def post_stop(self, application: Application) -> None:
        if self.notifier_task:
            self.notifier_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.notifier_task

    async def post_shutdown(self, application: Application) -> None:
        await self.rasa.close()
        await self.backend.close()
        self.state.close()

    def register(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE  # edits are not new turns
        application.add_handler(CommandHandler(list(COMMAND_MESSAGES), self.on_command, filters=private))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_unknown_command))
        application.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(private & (filters.Document.ALL | filters.PHOTO), self.on_file))
        application.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, self.on_other))
        application.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, self.on_group))
        application.add_error_handler(self.on_error)


def build_application(config: Config) -> Application:
    bridge = Bridge(
        config,
        RasaClient(config.rasa_url, config.rasa_secret),
        BackendClient(config.backend_url, config.backend_token),
        StateDB(config.state_db),
    )
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(64)
        .post_init(bridge.post_init)
        .post_stop(bridge.post_stop)
        .post_shutdown(bridge.post_shutdown)
    )
    if config.base_url:
        builder = builder.base_url(config.base_url).base_file_url(config.file_base_url)
    application = builder.build()
    bridge.register(application)
    return application


def run(config: Config) -> None:
    application = build_application(config)
    if config.mode == "webhook":
        application.run_webhook(
            listen=config.webhook_listen,
            port=config.webhook_port,
            url_path=config.webhook_path,
            webhook_url=config.webhook_url,
            secret_token=config.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
