"""Per-server settings: what each server's admins changed over the environment's defaults.

Stored in the state file as {name: JSON value} per server (only what was changed, so a
new default in the environment reaches every server that did not choose otherwise), read
into memory at login and on each change, and looked up per command without I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from articlebot.bot.render.reply import PAGE_SIZE

if TYPE_CHECKING:
    from articlebot.bot.settings import Settings

MAX_PREFIX = 10
MAX_PER_PAGE = 10
MAX_CHANNELS = 25
MAX_ADMIN_ROLES = 10
ELSEWHERE = ("hint", "silent")  # what a prefix command outside the bot's channels gets
REPLIES = ("public", "private")  # who sees the replies to slash commands


class SettingError(ValueError):
    """A value that is not allowed; ``str(error)`` is one sentence naming what is."""


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """One server's settings, defaults filled in."""

    prefix: str = "!"
    channels: tuple[int, ...] = ()  # where the bot answers; () is everywhere
    elsewhere: str = "hint"
    replies: str = "public"
    page_size: int = PAGE_SIZE
    latest_count: int = 5
    admin_roles: tuple[int, ...] = ()  # besides Manage Server and the environment's
    query_log: bool = True

    def answers_in(self, channel_id: int | None, parent_id: int | None = None) -> bool:
        """Whether the bot answers in this channel (a thread counts as its channel's)."""
        if not self.channels or channel_id is None:
            return True
        return channel_id in self.channels or (parent_id is not None and parent_id in self.channels)


NAMES = tuple(f.name for f in fields(ServerSettings))


def defaults(settings: Settings) -> ServerSettings:
    """The environment's settings, for every server that changed nothing."""
    return ServerSettings(prefix=settings.prefix, query_log=settings.query_log)


def resolve(base: ServerSettings, changed: Mapping[str, object]) -> ServerSettings:
    """``base`` with a server's stored changes; values that no longer validate (an older
    or hand-edited file) are ignored rather than trusted."""
    values: dict[str, object] = {}
    for name, value in changed.items():
        if name not in NAMES:
            continue
        try:
            values[name] = check(name, value)
        except SettingError:
            continue
    return replace(base, **values)  # type: ignore[arg-type]


def check(name: str, value: object) -> object:
    """``value`` for setting ``name`` in its stored form, or SettingError saying what is
    allowed."""
    if name == "prefix":
        text = str(value)
        if not 1 <= len(text) <= MAX_PREFIX or any(ch.isspace() for ch in text) or "`" in text:
            raise SettingError(
                f"A prefix is 1 to {MAX_PREFIX} characters, without spaces or backticks."
            )
        return text
    if name in ("page_size", "latest_count"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SettingError(f"That must be a whole number from 1 to {MAX_PER_PAGE}.")
        try:
            number = int(value)
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PER_PAGE:
            raise SettingError(f"That must be a whole number from 1 to {MAX_PER_PAGE}.")
        return number
    if name == "elsewhere":
        return _one_of(
            value,
            ELSEWHERE,
            "Outside its channels the bot can give a hint or stay silent: choose hint or silent.",
        )
    if name == "replies":
        return _one_of(value, REPLIES, "Replies to slash commands can be public or private.")
    if name == "query_log":
        if isinstance(value, bool):
            return value
        return _one_of(value, ("on", "off"), "The query log can be on or off.") == "on"
    if name in ("channels", "admin_roles"):
        limit = MAX_CHANNELS if name == "channels" else MAX_ADMIN_ROLES
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise SettingError("That must be a list of ids.")
        if len(value) > limit:
            what = "channels" if name == "channels" else "admin roles"
            raise SettingError(f"A server can list at most {limit} {what}.")
        return tuple(dict.fromkeys(value))
    raise SettingError(f"There is no setting called {name}; the settings are {', '.join(NAMES)}.")


def _one_of(value: object, allowed: tuple[str, ...], sentence: str) -> str:
    text = str(value).strip().lower()
    if text not in allowed:
        raise SettingError(sentence)
    return text


def stored(value: object) -> object:
    """A checked value as JSON stores it (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


@dataclass
class Servers:
    """Every server's settings in memory, over the environment's defaults."""

    base: ServerSettings
    changed: dict[int, dict[str, object]] = field(default_factory=dict)

    def get(self, guild_id: int | None) -> ServerSettings:
        if guild_id is None or guild_id not in self.changed:
            return self.base
        return resolve(self.base, self.changed[guild_id])

    def set(self, guild_id: int, name: str, value: object) -> None:
        """Record a checked value (None: back to the default) after it was stored."""
        mine = self.changed.setdefault(guild_id, {})
        if value is None:
            mine.pop(name, None)
        else:
            mine[name] = value
