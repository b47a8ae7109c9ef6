"""The neutral vocabulary between a runtime (bot/) and the conversation (handlers/).

A runtime turns a Telegram update into one `Incoming`, calls the conversation, and executes
the returned actions in order. Texts are Telegram HTML (parse mode HTML) in every action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    CONTACT = "contact"
    PHOTO = "photo"
    OTHER = "other"  # a sticker, a voice note, a file: anything the bot cannot read


@dataclass(frozen=True)
class Incoming:
    user_id: int
    chat_id: int
    kind: Kind
    text: str = ""  # message text; for a command, the text after the command
    command: str = ""  # "start" for "/start"
    data: str = ""  # callback data of a button press
    callback_id: str = ""  # to answer a button press
    message_id: int | None = None  # the message the button sits on, or the user's message
    contact_phone: str = ""
    contact_user_id: int | None = None  # whose contact was shared (must be the sender's own)
    photo: bytes | None = None
    language_code: str = ""
    username: str = ""
    first_name: str = ""


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class ContactButton:
    """A reply-keyboard button that shares the user's own phone number."""

    label: str


Keyboard = list[list[Button]]


@dataclass(frozen=True)
class Send:
    chat_id: int
    text: str
    buttons: Keyboard | None = None
    contact_button: ContactButton | None = None  # reply keyboard asking for the phone
    remove_reply_keyboard: bool = False
    protect_content: bool = False
    # Seconds after sending when the runtime must delete this message; the runtime records the
    # deletion in the database as soon as Telegram returns the message id.
    self_destruct_after: int | None = None


@dataclass(frozen=True)
class Edit:
    chat_id: int
    message_id: int
    text: str
    buttons: Keyboard | None = None


@dataclass(frozen=True)
class Delete:
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class AnswerButton:
    callback_id: str
    text: str = ""
    alert: bool = False


@dataclass(frozen=True)
class SendDocument:
    chat_id: int
    filename: str
    content: bytes
    caption: str = ""


@dataclass(frozen=True)
class SendPhoto:
    """A picture (PNG or JPEG bytes) shown in the chat, with an optional caption (HTML) and
    buttons; `protect_content` keeps it from being forwarded or saved."""

    chat_id: int
    image: bytes
    caption: str = ""
    buttons: Keyboard | None = None
    protect_content: bool = False


Action = Send | Edit | Delete | AnswerButton | SendDocument | SendPhoto


@dataclass
class Reply:
    """What one incoming event produced, in order."""

    actions: list[Action] = field(default_factory=list)

    def add(self, action: Action) -> None:
        self.actions.append(action)
