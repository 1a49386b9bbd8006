"""The bot's settings, read once from the environment and an optional ``.env`` file.

Every problem is a ``SettingsError`` whose message is one line naming the setting. The
Discord token is kept out of ``repr``/``str`` and out of every error message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from platformdirs import user_data_dir

from articlebot.bot.follow import Following
from articlebot.index import DEFAULT_URL_TEMPLATE, IndexConfig
from articlebot.index.posts.language import code_of


def bundled_content() -> Path:
    """The sample posts shipped with the package (``articlebot/content`` in the wheel),
    found through importlib.resources. An editable install maps ``articlebot.content`` to
    the checkout's ``content/`` folder, which importlib.resources cannot list for a
    package without ``__init__.py``; there the folder beside ``bot/`` is the same one."""
    try:
        found = Path(str(resources.files("articlebot.content")))
    except (ModuleNotFoundError, NotADirectoryError, TypeError):
        found = None
    if found is not None and found.is_dir():
        return found
    return Path(__file__).resolve().parents[1] / "content"


BUNDLED_CONTENT = bundled_content()
MAX_PREFIX = 10


def default_db_path() -> Path:
    return Path(user_data_dir("articlebot")) / "index.sqlite3"


class SettingsError(ValueError):
    """A setting that cannot be used; ``str(error)`` is one line naming it."""


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    content_dir: Path = BUNDLED_CONTENT
    db_path: Path = field(default_factory=default_db_path)
    prefix: str = "!"
    url_template: str = DEFAULT_URL_TEMPLATE
    timezone: str = "UTC"
    admin_role_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    max_post_mb: float = 4.0
    language: str = ""  # the site's language; "" detects each post's
    following: Following = field(default_factory=Following)
    state_db: Path | None = None  # subscriptions and the ledger; default: beside the index
    state_url: str | None = field(default=None, repr=False)  # PostgreSQL, shared by processes
    announce_max_days: float = 2.0  # older articles are never announced
    publish_announcements: bool = False  # crosspost them in announcement channels
    query_log: bool = True  # servers may turn theirs off; off here is off everywhere
    query_log_days: int = 90  # the log's retention
    shard_count: int | None = None  # None: discord.py's automatic sharding
    shard_ids: tuple[int, ...] | None = None  # this process's shards; None: all of them
    global_rate: float = 50.0  # requests a second Discord allows the whole bot

    @property
    def state_path(self) -> Path:
        """The state file: not derived data like the index, so never inside it."""
        return self.state_db or self.db_path.with_name("state.sqlite3")

    def index_config(self) -> IndexConfig:
        return IndexConfig(
            site_timezone=self.timezone,
            url_template=self.url_template,
            site_language=self.language,
            max_post_bytes=int(self.max_post_mb * 1_048_576),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings(
    env: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Settings from ``env`` (default: the process environment) over ``env_file``.

    Values in the real environment win over the file, as python-dotenv's ``load_dotenv``
    would have it; the process environment itself is never modified. Empty values count
    as unset, so a copied ``example.env`` with blanks is fine.
    """
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        try:
            file_values = dotenv_values(env_file)
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read {env_file}: {exc.__class__.__name__}") from None
        values.update({k: v for k, v in file_values.items() if v is not None})
    values.update(os.environ if env is None else env)

    def get(name: str) -> str | None:
        value = values.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    return Settings(
        token=_token(get("DISCORD_TOKEN")),
        content_dir=_path(get("ARTICLEBOT_CONTENT"), BUNDLED_CONTENT),
        db_path=_path(get("ARTICLEBOT_DB"), None) or default_db_path(),
        prefix=_prefix(get("ARTICLEBOT_PREFIX")),
        url_template=_url_template(get("ARTICLEBOT_URL_TEMPLATE"), get("ARTICLEBOT_SITE_URL")),
        timezone=_timezone(get("ARTICLEBOT_TIMEZONE")),
        admin_role_ids=_ids("ARTICLEBOT_ADMIN_ROLE_IDS", get("ARTICLEBOT_ADMIN_ROLE_IDS")),
        admin_user_ids=_ids("ARTICLEBOT_ADMIN_USER_IDS", get("ARTICLEBOT_ADMIN_USER_IDS")),
        dev_guild_id=_id("ARTICLEBOT_DEV_GUILD_ID", get("ARTICLEBOT_DEV_GUILD_ID")),
        log_level=_log_level(get("ARTICLEBOT_LOG_LEVEL")),
        max_post_mb=_max_post_mb(get("ARTICLEBOT_MAX_POST_MB")),
        language=_language(get("ARTICLEBOT_LANGUAGE")),
        following=_following(
            get("ARTICLEBOT_WATCH"), get("ARTICLEBOT_WATCH_INTERVAL"), get("ARTICLEBOT_GIT_PULL")
        ),
        state_db=_path(get("ARTICLEBOT_STATE_DB"), None),
        state_url=_state_url(get("ARTICLEBOT_STATE_URL")),
        announce_max_days=_days(get("ARTICLEBOT_ANNOUNCE_MAX_DAYS")),
        publish_announcements=_switch(
            "ARTICLEBOT_PUBLISH_ANNOUNCEMENTS", get("ARTICLEBOT_PUBLISH_ANNOUNCEMENTS")
        ),
        query_log=_switch("ARTICLEBOT_QUERY_LOG", get("ARTICLEBOT_QUERY_LOG"), default=True),
        query_log_days=_retention(get("ARTICLEBOT_QUERY_LOG_DAYS")),
        **_shards(get("ARTICLEBOT_SHARD_COUNT"), get("ARTICLEBOT_SHARD_IDS")),
        global_rate=_global_rate(get("ARTICLEBOT_GLOBAL_RATE")),
    )


def _language(value: str | None) -> str:
    if value is None:
        return ""
    code = code_of(value)
    if not code:
        raise SettingsError(
            f"ARTICLEBOT_LANGUAGE must be a language code like en, de or ja (got {value[:40]!r})"
        )
    return code


def _token(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith("Bot "):  # pasted from an Authorization header
        value = value[4:].strip()
    # Never echo the value: only its shape is described.
    if not value or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise SettingsError("DISCORD_TOKEN contains spaces or control characters; paste it again")
    return value


def _path(value: str | None, default: Path | None) -> Path | None:
    return Path(value).expanduser() if value else default


def _prefix(value: str | None) -> str:
    if value is None:
        return "!"
    if len(value) > MAX_PREFIX or any(ch.isspace() for ch in value):
        raise SettingsError(
            f"ARTICLEBOT_PREFIX must be 1 to {MAX_PREFIX} characters without spaces "
            f"(got {value[:20]!r})"
        )
    return value


def _url_template(template: str | None, site: str | None) -> str:
    if template is None:
        if site is None:
            return DEFAULT_URL_TEMPLATE
        parts = urlsplit(site)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(
                f"ARTICLEBOT_SITE_URL must be an http(s) address like https://example.org "
                f"(got {site[:80]!r})"
            )
        return site.rstrip("/") + "/posts/{path}"
    if "{slug}" not in template and "{path}" not in template:
        raise SettingsError(
            "ARTICLEBOT_URL_TEMPLATE must contain {slug} (or {path}), "
            "e.g. https://example.org/posts/{path}"
        )
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"ARTICLEBOT_URL_TEMPLATE must start with http:// or https:// (got {template[:80]!r})"
        )
    return template


def _timezone(value: str | None) -> str:
    if value is None:
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"ARTICLEBOT_TIMEZONE {value[:60]!r} is not a known time zone; "
            "use a name like Europe/London or UTC"
        ) from None
    return value


def _id(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise SettingsError(f"{name} must be a Discord id (a positive number), not {value[:40]!r}")
    return number


def _ids(name: str, value: str | None) -> frozenset[int]:
    if value is None:
        return frozenset()
    ids = set()
    for part in value.split(","):
        if part.strip():
            ids.add(_id(name, part.strip()))
    return frozenset(i for i in ids if i is not None)


def _max_post_mb(value: str | None) -> float:
    if value is None:
        return 4.0
    try:
        size = float(value)
    except ValueError:
        size = 0.0
    if not 0 < size <= 1024:
        raise SettingsError(
            f"ARTICLEBOT_MAX_POST_MB must be a size in MB from 0.01 to 1024, not {value[:20]!r}"
        )
    return size


def _days(value: str | None) -> float:
    if value is None:
        return 2.0
    try:
        days = float(value)
    except ValueError:
        days = -1.0
    if not 0 < days <= 3650:
        raise SettingsError(
            f"ARTICLEBOT_ANNOUNCE_MAX_DAYS must be days from 0.01 to 3650, not {value[:20]!r}"
        )
    return days


def _global_rate(value: str | None) -> float:
    if value is None:
        return 50.0
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not 1 <= rate <= 100_000:
        raise SettingsError(
            "ARTICLEBOT_GLOBAL_RATE must be the requests a second Discord allows the bot "
            f"(50 unless Discord raised it), from 1, not {value[:20]!r}"
        )
    return rate


def _state_url(value: str | None) -> str | None:
    if value is None:
        return None
    if urlsplit(value).scheme not in ("postgresql", "postgres"):
        # Never echo it: it may hold a password.
        raise SettingsError("ARTICLEBOT_STATE_URL must be a postgresql://user@host/database URL")
    return value


MAX_SHARDS = 65_536


def _shards(count: str | None, ids: str | None) -> dict[str, Any]:
    """ARTICLEBOT_SHARD_COUNT and ARTICLEBOT_SHARD_IDS (``0-3``, ``0,2,5`` or ``0-1,4``):
    the shards this process runs, when a bot's shards are split over processes."""
    if count is None:
        if ids is not None:
            raise SettingsError("ARTICLEBOT_SHARD_IDS needs ARTICLEBOT_SHARD_COUNT (all shards)")
        return {}
    if not count.isdigit() or not 1 <= int(count) <= MAX_SHARDS:
        raise SettingsError(
            f"ARTICLEBOT_SHARD_COUNT must be a whole number from 1, not {count[:20]!r}"
        )
    total = int(count)
    if ids is None:
        return {"shard_count": total}
    chosen: list[int] = []
    for part in ids.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise SettingsError(
                f"ARTICLEBOT_SHARD_IDS must be shard numbers like 0-3 or 0,2,5, not {ids[:40]!r}"
            )
        low, high = int(first), int(last) if dash else int(first)
        if low > high or high >= total:
            raise SettingsError(
                f"ARTICLEBOT_SHARD_IDS must be from 0 to {total - 1} "
                f"(ARTICLEBOT_SHARD_COUNT is {total}), not {part!r}"
            )
        chosen.extend(range(low, high + 1))
    return {"shard_count": total, "shard_ids": tuple(sorted(set(chosen)))}


def _retention(value: str | None) -> int:
    if value is None:
        return 90
    if not value.isdigit() or not 1 <= int(value) <= 3650:
        raise SettingsError(
            f"ARTICLEBOT_QUERY_LOG_DAYS must be whole days from 1 to 3650, not {value[:20]!r}"
        )
    return int(value)


SWITCH = {"1": True, "true": True, "yes": True, "on": True}
SWITCH |= {"0": False, "false": False, "no": False, "off": False}


def _switch(name: str, value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    if value.lower() not in SWITCH:
        raise SettingsError(
            f"{name} must be on or off (or true/false, yes/no, 1/0), not {value[:20]!r}"
        )
    return SWITCH[value.lower()]


WATCH_MODES = ("auto", "poll", "index", "off")


def _following(mode: str | None, interval: str | None, pull: str | None = None) -> Following:
    chosen = (mode or "auto").lower()
    if chosen not in WATCH_MODES:
        raise SettingsError(
            "ARTICLEBOT_WATCH must be auto (file events), poll, index (another process, "
            f"`articlebot watch`, writes the index) or off, not {mode[:20]!r}"
        )
    seconds = 2.0
    if interval is not None:
        try:
            seconds = float(interval)
        except ValueError:
            seconds = 0.0
        if not 0.1 <= seconds <= 3600:
            raise SettingsError(
                "ARTICLEBOT_WATCH_INTERVAL must be seconds between polls, from 0.1 to 3600, "
                f"not {interval[:20]!r}"
            )
    every = 0.0
    if pull is not None:
        try:
            every = float(pull)
        except ValueError:
            every = -1.0
        if not (every == 0 or 10 <= every <= 86_400):
            raise SettingsError(
                "ARTICLEBOT_GIT_PULL must be seconds between pulls of the content folder's "
                f"git checkout, from 10 to 86400 (0 or unset: never), not {pull[:20]!r}"
            )
    return Following(mode=chosen, interval=seconds, pull=every)


def _log_level(value: str | None) -> str:
    if value is None:
        return "INFO"
    level = value.upper()
    if level not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
        raise SettingsError(
            f"ARTICLEBOT_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
            f"not {value[:20]!r}"
        )
    return level


# --- logging ------------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Replaces the secrets in every record (message, arguments, traceback) with ***."""

    def __init__(self, *secrets: str | None) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw message
            message = str(record.msg)
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def setup_logging(settings: Settings) -> None:
    """discord.py's log format on stderr, at the configured level, with the token redacted
    from every handler (including ones added later by discord.py go through root)."""
    import discord

    discord.utils.setup_logging(level=getattr(logging, settings.log_level), root=True)
    redactor = RedactingFilter(settings.token)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redactor)
