"""A local stand-in for Discord's API v10, enough for the real discord.py client.

Tests drive a real ``discord.Client`` against it instead of against Discord, so they prove
what the bot actually sends over HTTP without a token or a network. It serves the REST
routes a bot uses, the gateway websocket (HELLO, IDENTIFY/READY, GUILD_CREATE, heartbeats,
RESUME, INVALID_SESSION, zlib-stream when asked for), pushes MESSAGE_CREATE and
INTERACTION_CREATE on the test's behalf, records every request, and has knobs for the
failures Discord produces: dropped connections, 429s, privileged-intent refusals.

It answers the way Discord does where the difference matters to a client: exact
``application/json`` content type, snowflakes that encode the current time, interaction
callbacks with ``with_response=1`` answered by an interaction callback object, one
acknowledgement per interaction within a deadline, a deferred response replaced by the
first follow-up, and (``strict``) 400 Invalid Form Body for payloads over Discord's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import secrets
import socket
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"
NONCE_SECONDS = 300  # how long Discord remembers an enforced nonce ("a few minutes")

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
EVERYONE_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
ALL_PERMISSIONS = (1 << 51) - 1

# Privileged gateway intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
MESSAGE_CONTENT_INTENT = 1 << 15

CROSSPOSTED = 1 << 0
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Interaction types and callback types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

_snowflake_lock_counter = itertools.count()


class _Snowflakes:
    """Ids that encode the current time, strictly increasing, as Discord's do."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        ms = time.time_ns() // 1_000_000 - DISCORD_EPOCH_MS
        value = (ms << 22) | (next(_snowflake_lock_counter) & 0xFFF)
        self._last = value if value > self._last else self._last + 1
        return self._last


def set_discord_urls(rest: str, gateway: str, cdn: str) -> tuple[str, str, str]:
    """Set this process's discord.py REST base, default gateway and CDN; returns the
    previous three, to restore them."""
    import discord.asset
    import discord.gateway
    import discord.http
    import yarl

    saved = (
        discord.http.Route.BASE,
        str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY),
        discord.asset.Asset.BASE,
    )
    discord.http.Route.BASE = rest
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    discord.asset.Asset.BASE = cdn
    return saved


def point_discord_at(http_base: str) -> tuple[str, str, str]:
    """Point this process's discord.py at a stand-in served at ``http_base``: how a bot
    in a child process reaches the stand-in its test serves."""
    gateway = http_base.replace("http://", "ws://", 1) + "/gateway"
    return set_discord_urls(http_base + API_PREFIX, gateway, f"{http_base}/cdn")


def snowflake_time(snowflake: int) -> float:
    """Unix time in seconds encoded in a snowflake."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class FakeUser:
    """A user of the fake guild; ``roles`` are role ids in that guild."""

    id: int
    name: str
    roles: tuple[int, ...] = ()
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name.title(),
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }

    def member_payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.payload()
        return data


@dataclass
class RecordedRequest:
    """One REST request the client made, with what the stand-in answered."""

    method: str
    path: str  # below /api/v10, without the query string
    route: str  # a name such as "create_message", "interaction_callback", "unknown"
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    at: float  # loop.time() when it arrived
    status: int = 0
    response: Any = None
    files: list[str] = field(default_factory=list)
    file_data: dict[str, bytes] = field(default_factory=dict)  # each file part's bytes

    @property
    def interaction_id(self) -> int | None:
        value = self.params.get("interaction_id")
        return int(value) if value else None

    @property
    def token(self) -> str | None:
        return self.params.get("token")

    @property
    def channel_id(self) -> int | None:
        value = self.params.get("channel_id")
        return int(value) if value else None

    @property
    def callback_type(self) -> int | None:
        if self.route == "interaction_callback" and isinstance(self.json, dict):
            return self.json.get("type")
        return None

    @property
    def message(self) -> dict[str, Any] | None:
        """The message payload this request carries, if it sends or edits a message."""
        if not isinstance(self.json, dict):
            return None
        if self.route == "interaction_callback":
            if self.json.get("type") in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
                return self.json.get("data") or {}
            if self.json.get("type") == DEFERRED_CHANNEL_MESSAGE:
                return self.json.get("data") or {}
            return None
        if self.route in MESSAGE_ROUTES:
            return self.json
        if self.route == "start_forum_thread":  # a forum post's starter message
            message = self.json.get("message")
            return message if isinstance(message, dict) else {}
        return None

    def text(self) -> str:
        """All human-visible text of the message payload (content, embeds, components)."""
        message = self.message
        return "" if message is None else message_text(message)


MESSAGE_ROUTES = frozenset(
    {
        "create_message",
        "edit_message",
        "followup",
        "edit_followup",
        "edit_original",
    }
)


def message_text(message: Mapping[str, Any]) -> str:
    """Every string a user would read in a message payload, joined by newlines."""
    parts: list[str] = []
    if message.get("content"):
        parts.append(str(message["content"]))
    for embed in message.get("embeds") or []:
        for key in ("title", "description", "url"):
            if embed.get(key):
                parts.append(str(embed[key]))
        for key in ("author", "footer"):
            sub = embed.get(key) or {}
            for inner in ("name", "text"):
                if sub.get(inner):
                    parts.append(str(sub[inner]))
        for fld in embed.get("fields") or []:
            parts.append(str(fld.get("name", "")))
            parts.append(str(fld.get("value", "")))

    def walk(components: Iterable[Mapping[str, Any]]) -> None:
        for comp in components:
            for key in ("label", "placeholder", "content"):
                if comp.get(key):
                    parts.append(str(comp[key]))
            for option in comp.get("options") or []:
                parts.append(str(option.get("label", "")))
                if option.get("description"):
                    parts.append(str(option["description"]))
            walk(comp.get("components") or [])

    walk(message.get("components") or [])
    return "\n".join(parts)


def discord_rejections(payload: Mapping[str, Any], *, edit: bool = False) -> list[str]:
    """What Discord's API would refuse in a message payload (its documented limits)."""
    problems: list[str] = []
    content = payload.get("content")
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    if content is not None and len(str(content)) > 2000:
        problems.append(f"content: {len(str(content))} > 2000 characters")
    has_body = content or embeds or components or payload.get("attachments")
    if not edit and not has_body and not payload.get("sticker_ids") and not payload.get("poll"):
        problems.append("Cannot send an empty message (50006)")
    if len(embeds) > 10:
        problems.append(f"embeds: {len(embeds)} > 10")
    total = 0
    for i, embed in enumerate(embeds):
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            value = embed.get(key)
            if value is not None:
                total += len(str(value))
                if len(str(value)) > limit:
                    problems.append(f"embeds[{i}].{key}: {len(str(value))} > {limit}")
        for key, inner, limit in (("author", "name", 256), ("footer", "text", 2048)):
            value = (embed.get(key) or {}).get(inner)
            if value is not None:
                total += len(str(value))
                if len(str(value)) > limit:
                    problems.append(f"embeds[{i}].{key}.{inner}: {len(str(value))} > {limit}")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append(f"embeds[{i}].fields: {len(fields)} > 25")
        for j, fld in enumerate(fields):
            name, value = str(fld.get("name", "")), str(fld.get("value", ""))
            total += len(name) + len(value)
            if not name or len(name) > 256:
                problems.append(f"embeds[{i}].fields[{j}].name: length {len(name)} not in 1..256")
            if not value or len(value) > 1024:
                problems.append(
                    f"embeds[{i}].fields[{j}].value: length {len(value)} not in 1..1024"
                )
        url = embed.get("url")
        if url is not None and not re.match(r"^https?://", str(url)):
            problems.append(f"embeds[{i}].url: not a http(s) URL: {url!r}")
    if total > 6000:
        problems.append(f"embeds: {total} > 6000 characters in total")
    if len(components) > 5 and not (payload.get("flags", 0) & (1 << 15)):
        problems.append(f"components: {len(components)} > 5 action rows")
    custom_ids: set[str] = set()

    def walk(items: Iterable[Mapping[str, Any]], where: str) -> None:
        for k, comp in enumerate(items):
            here = f"{where}[{k}]"
            ctype = comp.get("type")
            if ctype == 1 and len(comp.get("components") or []) > 5:
                problems.append(f"{here}: more than 5 components in a row")
            label = comp.get("label")
            if label is not None and len(str(label)) > 80:
                problems.append(f"{here}.label: {len(str(label))} > 80")
            cid = comp.get("custom_id")
            if cid is not None:
                if len(str(cid)) > 100:
                    problems.append(f"{here}.custom_id: {len(str(cid))} > 100")
                if cid in custom_ids:
                    problems.append(f"{here}.custom_id: duplicate {cid!r}")
                custom_ids.add(cid)
            if ctype == 2 and comp.get("style") != 5 and not cid and comp.get("style") != 6:
                problems.append(f"{here}: button without custom_id")
            if ctype == 2 and comp.get("style") == 5 and not comp.get("url"):
                problems.append(f"{here}: link button without url")
            options = comp.get("options")
            if options is not None and len(options) > 25:
                problems.append(f"{here}.options: {len(options)} > 25")
            walk(comp.get("components") or [], f"{here}.components")

    walk(components, "components")
    return problems


def autocomplete_rejections(data: Mapping[str, Any]) -> list[str]:
    """What Discord refuses in an autocomplete result (type 8)."""
    problems: list[str] = []
    choices = data.get("choices")
    if choices is None:
        return ["choices: missing"]
    if len(choices) > 25:
        problems.append(f"choices: {len(choices)} > 25")
    for i, choice in enumerate(choices):
        name = str(choice.get("name", ""))
        if not 1 <= len(name) <= 100:
            problems.append(f"choices[{i}].name: length {len(name)} not in 1..100")
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            problems.append(f"choices[{i}].value: {len(value)} > 100")
    return problems


@dataclass
class InteractionRef:
    """An interaction the test sent; ``payload`` is the INTERACTION_CREATE data."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    sent_at: float
    user: FakeUser
    acknowledged: bool = False
    callback_type: int | None = None
    original_id: int | None = None  # message the original response is (or edits)


@dataclass
class _Session:
    id: str
    intents: int
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    compressor: Any = None
    invalid: bool = False
    shard: tuple[int, int] = (0, 1)  # (shard id, shard count) from IDENTIFY


@dataclass
class _RateLimitRule:
    remaining: int
    retry_after: float
    predicate: Callable[[RecordedRequest], bool] | None
    is_global: bool


_ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"/gateway/bot", "get_gateway_bot"),
    ("GET", r"/gateway", "get_gateway"),
    ("GET", r"/users/@me", "get_me"),
    ("GET", r"/oauth2/applications/@me", "application_info"),
    ("GET", r"/applications/@me", "application_info"),
    ("PUT", r"/applications/(?P<app_id>\d+)/commands", "bulk_upsert_global"),
    ("GET", r"/applications/(?P<app_id>\d+)/commands", "get_global_commands"),
    (
        "PUT",
        r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
        "bulk_upsert_guild",
    ),
    (
        "GET",
        r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
        "get_guild_commands",
    ),
    ("POST", r"/channels/(?P<channel_id>\d+)/messages", "create_message"),
    ("GET", r"/channels/(?P<channel_id>\d+)/messages", "get_messages"),
    ("GET", r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)", "get_message"),
    ("PATCH", r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)", "edit_message"),
    ("DELETE", r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)", "delete_message"),
    (
        "PUT",
        r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/reactions/(?P<emoji>[^/]+)/@me",
        "add_reaction",
    ),
    (
        "DELETE",
        r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/reactions/(?P<emoji>[^/]+)/@me",
        "remove_reaction",
    ),
    ("POST", r"/channels/(?P<channel_id>\d+)/typing", "typing"),
    ("POST", r"/channels/(?P<channel_id>\d+)/threads", "start_forum_thread"),
    (
        "POST",
        r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/crosspost",
        "crosspost",
    ),
    ("GET", r"/guilds/(?P<guild_id>\d+)/threads/active", "active_threads"),
    ("GET", r"/channels/(?P<channel_id>\d+)", "get_channel"),
    ("GET", r"/guilds/(?P<guild_id>\d+)", "get_guild"),
    ("GET", r"/guilds/(?P<guild_id>\d+)/channels", "get_guild_channels"),
    ("GET", r"/guilds/(?P<guild_id>\d+)/roles", "get_roles"),
    ("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", "get_member"),
    ("GET", r"/users/(?P<user_id>\d+)", "get_user"),
    ("POST", r"/users/@me/channels", "create_dm"),
    (
        "POST",
        r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
        "interaction_callback",
    ),
    ("GET", r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/@original", "get_original"),
    ("PATCH", r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/@original", "edit_original"),
    (
        "DELETE",
        r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/@original",
        "delete_original",
    ),
    ("POST", r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)", "followup"),
    (
        "GET",
        r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>\d+)",
        "get_followup",
    ),
    (
        "PATCH",
        r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>\d+)",
        "edit_followup",
    ),
    (
        "DELETE",
        r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>\d+)",
        "delete_followup",
    ),
]
_COMPILED = [(m, re.compile(p + r"/?$"), name) for m, p, name in _ROUTES]
_NO_AUTH = {
    "interaction_callback",
    "get_original",
    "edit_original",
    "delete_original",
    "followup",
    "get_followup",
    "edit_followup",
    "delete_followup",
}


class StandinError(Exception):
    """An answer with a Discord-style JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


class DiscordStandin:
    """The fake Discord: one guild, three members and a bot, on a random local port.

    Use ``async with DiscordStandin() as standin:`` or ``start()``/``stop()``; point
    discord.py at it with ``standin.patch_discord()``.
    """

    def __init__(
        self,
        *,
        token: str = "standin-token",
        heartbeat_interval_ms: int = 41250,
        heartbeat_ack_delay: float = 0.03,
        interaction_deadline: float = 3.0,
        strict: bool = True,
        echo_bot_messages: bool = True,
        extra_channels: int = 0,
        second_guild: bool = False,
        servers: int = 0,
    ) -> None:
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.strict = strict
        self.echo_bot_messages = echo_bot_messages

        self._ids = _Snowflakes()
        self.guild_id = self._ids.next()
        self.admin_role_id = self._ids.next()
        self.category_id = self._ids.next()
        self.channel_id = self._ids.next()
        self.other_channel_id = self._ids.next()
        self.extra_channel_ids = [self._ids.next() for _ in range(extra_channels)]
        self.forum_channel_id = self._ids.next()  # a forum: messages go in as threads (posts)
        self.news_channel_id = self._ids.next()  # an announcement channel: can crosspost
        # The forum's tags; a forum with require_tag refuses posts without one, as Discord does.
        self.forum_tags = [
            {"id": str(self._ids.next()), "name": name, "moderated": False}
            for name in ("News", "Science", "Sport")
        ]
        self.forum_requires_tag = False
        # A second server with one text channel and the same members, when asked for: to
        # show that what one server does (its settings) stays there.
        self.second_guild_id = self._other_shard_id(self.guild_id) if second_guild else None
        self.second_channel_id = self._ids.next() if second_guild else None
        # ``servers`` more servers like the second (benchmarks at scale): {guild: channel}.
        # Their ids are spread over past milliseconds, so shards share them out evenly.
        self.lobbies: dict[int, int] = {}
        if self.second_guild_id is not None and self.second_channel_id is not None:
            self.lobbies[self.second_guild_id] = self.second_channel_id
        before = self.guild_id >> 22
        for n in range(servers):
            self.lobbies[((before - 1 - n) << 22) | 1] = self._ids.next()
        self._lobby_of = {channel: guild for guild, channel in self.lobbies.items()}
        self.bot_user = FakeUser(self._ids.next(), "articlebot", bot=True)
        self.application_id = self.bot_user.id
        self.owner = FakeUser(self._ids.next(), "owner")
        self.admin = FakeUser(self._ids.next(), "alice_admin", roles=(self.admin_role_id,))
        self.member = FakeUser(self._ids.next(), "bob_member")
        self.member2 = FakeUser(self._ids.next(), "carol_member")
        self.extra_users: list[FakeUser] = []
        self.roles = [
            {
                "id": str(self.guild_id),
                "name": "@everyone",
                "permissions": str(EVERYONE_PERMISSIONS),
                "position": 0,
                "color": 0,
                "colors": {"primary_color": 0},
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": str(self.admin_role_id),
                "name": "Server Admins",
                "permissions": str(EVERYONE_PERMISSIONS | MANAGE_GUILD),
                "position": 1,
                "color": 0,
                "colors": {"primary_color": 0},
                "hoist": False,
                "managed": False,
                "mentionable": True,
                "flags": 0,
            },
        ]

        # Observable state.
        self.requests: list[RecordedRequest] = []
        self.gateway_log: list[dict[str, Any]] = []  # frames the client sent
        self.gateway_urls: list[str] = []  # path + query of each websocket connection
        self.messages: dict[int, dict[str, Any]] = {}
        # Create-message nonces with enforce_nonce: a repeat within NONCE_SECONDS returns
        # the message already made, as Discord does, instead of a second one.
        self._nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self.deleted_channels: set[int] = set()  # REST answers 404 Unknown Channel
        self.forbidden_channels: set[int] = set()  # REST answers 403 Missing Permissions
        self.threads: dict[int, dict[str, Any]] = {}  # forum posts the bot created
        # Requests matching ``stall`` are carried out and then not answered until
        # ``unstall()``: the bot's send has happened but it has not heard so (a kill now is
        # a kill between send and record).
        self.stall: Callable[[RecordedRequest], bool] | None = None
        self.stalled: list[RecordedRequest] = []
        self._unstall = asyncio.Event()
        self.interactions: dict[int, InteractionRef] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.identify_count = 0
        self.resume_count = 0
        self.ready_count = 0
        self.resumed_count = 0
        self.heartbeat_count = 0
        self.presence_updates: list[dict[str, Any]] = []
        self._dm_channels: dict[int, int] = {}  # DM channel id -> user id

        # Knobs.
        self.reject_privileged_intents = False
        self.fail_resume = False
        self.ack_heartbeats = True
        self.heartbeat_ack_delay = heartbeat_ack_delay
        self._tasks: set[asyncio.Future[None]] = set()

        self._session: _Session | None = None  # the newest identified session
        self._sessions: dict[str, _Session] = {}
        self._shards: dict[int, _Session] = {}  # the live session of each shard id
        self._rate_limits: list[_RateLimitRule] = []
        self.bucket_limits: dict[str, tuple[int, float]] = {}
        # Requests a second for the whole bot (every process sharing the token) before a
        # global 429, as Discord's 50 a second; None: unlimited.
        self.global_limit: int | None = None
        self._last_second: deque[float] = deque()
        self._buckets: dict[tuple[str, str], tuple[float, int]] = {}
        self._cond: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.http_base}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway-resume"

    async def start(self) -> DiscordStandin:
        self._cond = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway-resume", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordStandin:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base, default gateway and CDN at this server; restore
        them afterwards so no other test (or a real bot) inherits the patch."""
        saved = point_discord_at(self.http_base)
        try:
            yield
        finally:
            set_discord_urls(*saved)

    # --- the fake guild ------------------------------------------------------------------

    @property
    def users(self) -> list[FakeUser]:
        return [self.admin, self.member, self.member2, *self.extra_users]

    def add_user(self, name: str, roles: tuple[int, ...] = ()) -> FakeUser:
        """Another guild member, known from the next GUILD_CREATE (add before connecting)."""
        user = FakeUser(self._ids.next(), name, roles=roles)
        self.extra_users.append(user)
        return user

    def add_role(self, name: str, permissions: int = EVERYONE_PERMISSIONS) -> int:
        """Another guild role (known from the next GUILD_CREATE); returns its id."""
        role_id = self._ids.next()
        self.roles.append(
            {
                "id": str(role_id),
                "name": name,
                "permissions": str(permissions),
                "position": len(self.roles),
                "color": 0,
                "colors": {"primary_color": 0},
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        )
        return role_id

    def user_by_id(self, user_id: int) -> FakeUser | None:
        for user in [*self.users, self.bot_user, self.owner]:
            if user.id == user_id:
                return user
        return None

    def permissions_of(self, user: FakeUser) -> int:
        if user.id == self.owner.id:
            return ALL_PERMISSIONS
        value = 0
        for role in self.roles:
            if int(role["id"]) == self.guild_id or int(role["id"]) in user.roles:
                value |= int(role["permissions"])
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def channel_payload(self, channel_id: int) -> dict[str, Any]:
        if channel_id == self.category_id:
            return {
                "id": str(channel_id),
                "type": 4,
                "guild_id": str(self.guild_id),
                "name": "Text Channels",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            }
        if channel_id == self.forum_channel_id:
            return {
                **self._text_payload(channel_id, "articles", 100),
                "type": 15,
                "available_tags": [
                    {**tag, "emoji_id": None, "emoji_name": None} for tag in self.forum_tags
                ],
                "default_auto_archive_duration": 1440,
                "default_sort_order": None,
                "default_forum_layout": 0,
                "flags": 1 << 4 if self.forum_requires_tag else 0,  # REQUIRE_TAG
            }
        if channel_id == self.news_channel_id:
            return {**self._text_payload(channel_id, "site-news", 101), "type": 5}
        if channel_id in self._lobby_of:
            return {
                **self._text_payload(channel_id, "lobby", 0),
                "guild_id": str(self._lobby_of[channel_id]),
                "parent_id": None,
            }
        names = {self.channel_id: "general", self.other_channel_id: "random"}
        ids = [self.channel_id, self.other_channel_id, *self.extra_channel_ids]
        return self._text_payload(
            channel_id,
            names.get(channel_id, f"room-{ids.index(channel_id)}"),
            ids.index(channel_id),
        )

    def _text_payload(self, channel_id: int, name: str, position: int) -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": str(self.category_id),
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    @property
    def channel_ids(self) -> list[int]:
        """The guild's text channels."""
        return [self.channel_id, self.other_channel_id, *self.extra_channel_ids]

    @property
    def guild_channel_ids(self) -> list[int]:
        """Every channel of the guild: category, text channels, the forum and the
        announcement channel."""
        return [self.category_id, *self.channel_ids, self.forum_channel_id, self.news_channel_id]

    def _other_shard_id(self, guild_id: int) -> int:
        """A new id that two shards put on the other shard from ``guild_id`` (so a test
        with two shards has a server on each)."""
        while True:
            candidate = self._ids.next()
            if (candidate >> 22) % 2 != (guild_id >> 22) % 2:
                return candidate

    @staticmethod
    def shard_of(guild_id: int, shard_count: int) -> int:
        """The shard that receives a server's events, as Discord routes them."""
        return (guild_id >> 22) % shard_count

    @property
    def guild_ids(self) -> list[int]:
        return [self.guild_id, *self.lobbies]

    def _session_for(self, event: str, data: Mapping[str, Any]) -> _Session | None:
        """The session an event goes to: the owner of its server's shard (DMs: shard 0)."""
        if self._session is None:
            return None
        count = self._session.shard[1]
        server = event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE")
        guild = data.get("id") if server else data.get("guild_id")
        shard = self.shard_of(int(guild), count) if guild else 0
        return self._shards.get(shard)

    def guild_of(self, channel_id: int) -> int:
        """The server a channel belongs to."""
        return self._lobby_of.get(channel_id, self.guild_id)

    def lobby_payload(self, guild_id: int) -> dict[str, Any]:
        """The second server (and the others): the same members and roles (its own
        @everyone), one channel."""
        channel = self.lobbies[guild_id]
        first = self.guild_payload()
        everyone = {**self.roles[0], "id": str(guild_id)}
        return {
            **first,
            "id": str(guild_id),
            "name": "Second Guild" if guild_id == self.second_guild_id else f"Server {guild_id}",
            "roles": [everyone, *self.roles[1:]],
            "system_channel_id": str(channel),
            "channels": [self.channel_payload(channel)],
        }

    def guild_payload(self) -> dict[str, Any]:
        members = [u.member_payload() for u in [*self.users, self.bot_user]]
        return {
            "id": str(self.guild_id),
            "name": "Stand-in Guild",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": self.roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": str(self.channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(members),
            "members": members,
            "channels": [self.channel_payload(c) for c in self.guild_channel_ids],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def application_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": "articlebot",
            "icon": None,
            "description": "",
            "summary": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner.payload(),
            "team": None,
            "verify_key": "0" * 64,
            # GATEWAY_MESSAGE_CONTENT_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED
            "flags": (1 << 19) | (1 << 15),
            "bot": self.bot_user.payload(),
        }

    # --- waiting and asserting -----------------------------------------------------------

    async def _changed(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    async def wait_until(self, check: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``check()`` is truthy; returns its value. Raises TimeoutError."""
        assert self._cond is not None
        result: Any = None

        def probe() -> bool:
            nonlocal result
            result = check()
            return bool(result)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._cond:
            while not probe():
                left = deadline - loop.time()
                if left <= 0:
                    raise TimeoutError(f"stand-in: condition not met within {timeout}s")
                # Woken by every request and gateway frame; polled as well, so conditions on
                # the client's own state (not only the stand-in's) are seen too.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), min(left, 0.02))
        return result

    def mark(self) -> int:
        """A position in ``requests``; pass as ``since`` to look only at later ones."""
        return len(self.requests)

    def requests_since(
        self, since: int = 0, predicate: Callable[[RecordedRequest], bool] | None = None
    ) -> list[RecordedRequest]:
        return [r for r in self.requests[since:] if predicate is None or predicate(r)]

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool],
        timeout: float = 5.0,
        since: int = 0,
    ) -> RecordedRequest:
        """The first recorded request at or after ``since`` that matches, waiting if none
        has come yet. Only answered (status set) requests count."""

        def find() -> RecordedRequest | None:
            for r in self.requests[since:]:
                if r.status and predicate(r):
                    return r
            return None

        return await self.wait_until(find, timeout)

    async def wait_quiet(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Return once no request has arrived for ``quiet`` seconds (the bot is done)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            last = self.requests[-1].at if self.requests else 0.0
            idle = loop.time() - last
            if idle >= quiet:
                return
            if loop.time() > deadline:
                raise TimeoutError("stand-in: the client never went quiet")
            await asyncio.sleep(quiet - idle)

    def message_requests(self, since: int = 0) -> list[RecordedRequest]:
        """Every request that sent or edited a message (channel or interaction)."""
        return [r for r in self.requests[since:] if r.message is not None]

    def replies_in(self, channel_id: int, since: int = 0) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests[since:]
            if r.route == "create_message" and r.channel_id == channel_id and r.status == 200
        ]

    async def wait_for_reply(
        self, message: Mapping[str, Any], timeout: float = 5.0, since: int | None = None
    ) -> RecordedRequest:
        """The bot's first channel message after ``message`` in its channel (or replying to
        it)."""
        channel_id = int(message["channel_id"])
        message_id = str(message["id"])
        start = message.get("_mark", 0) if since is None else since

        def is_reply(r: RecordedRequest) -> bool:
            if r.route != "create_message" or r.status != 200:
                return False
            ref = (r.json or {}).get("message_reference") or {}
            if ref.get("message_id") is not None:
                return str(ref["message_id"]) == message_id
            return r.channel_id == channel_id

        return await self.wait_for_request(is_reply, timeout, since=start)

    def for_interaction(self, ref: InteractionRef, since: int = 0) -> list[RecordedRequest]:
        """Callback, follow-ups and edits made with this interaction's id or token."""
        return [
            r
            for r in self.requests[since:]
            if r.interaction_id == ref.id or (r.token is not None and r.token == ref.token)
        ]

    async def wait_for_callback(self, ref: InteractionRef, timeout: float = 5.0) -> RecordedRequest:
        return await self.wait_for_request(
            lambda r: r.route == "interaction_callback" and r.interaction_id == ref.id,
            timeout,
        )

    async def wait_for_response(self, ref: InteractionRef, timeout: float = 5.0) -> dict[str, Any]:
        """The message the user finally sees for a slash command: the callback's message
        (type 4) or, after a deferral (type 5), the first follow-up or @original edit."""
        callback = await self.wait_for_request(
            lambda r: (
                r.route == "interaction_callback" and r.interaction_id == ref.id and r.status == 200
            ),
            timeout,
        )
        if callback.callback_type in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            return callback.message or {}
        later = await self.wait_for_request(
            lambda r: (
                r.token == ref.token
                and r.route in ("followup", "edit_original")
                and r.status == 200
            ),
            timeout,
        )
        return later.json or {}

    # --- REST ----------------------------------------------------------------------------

    def rate_limit(
        self,
        times: int = 1,
        retry_after: float = 0.5,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``times`` requests that match ``predicate`` with 429."""
        self._rate_limits.append(_RateLimitRule(times, retry_after, predicate, is_global))

    @staticmethod
    def _json(
        data: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)

    def set_bucket_limit(self, route: str, limit: int, per: float) -> None:
        """Model Discord's rate-limit buckets for ``route``: ``limit`` requests per ``per``
        seconds for each major parameter (channel, guild, interaction token), with true
        X-RateLimit headers and a 429 for a request over the limit (Discord: 5 messages per
        5 s per channel). Routes without a limit advertise a bucket that never runs out."""
        self.bucket_limits[route] = (limit, per)

    def _bucket(self, record: RecordedRequest) -> tuple[dict[str, str], float | None]:
        """The X-RateLimit headers for ``record``, and the retry_after when it is over."""
        rule = self.bucket_limits.get(record.route)
        if rule is None:
            return self._ratelimit_headers(record.route, 10_000, 9_999, 0.001), None
        limit, per = rule
        major = (
            record.params.get("channel_id")
            or record.params.get("guild_id")
            or record.params.get("token")
            or ""
        )
        now = asyncio.get_running_loop().time()
        start, used = self._buckets.get((record.route, major), (now, 0))
        if now - start >= per:
            start, used = now, 0
        reset_after = max(0.001, start + per - now)
        if used >= limit:
            return self._ratelimit_headers(record.route, limit, 0, reset_after), reset_after
        self._buckets[(record.route, major)] = (start, used + 1)
        return self._ratelimit_headers(record.route, limit, limit - used - 1, reset_after), None

    @staticmethod
    def _ratelimit_headers(
        route: str, limit: int, remaining: int, reset_after: float
    ) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"bucket-{route}",
        }

    @staticmethod
    def _too_many(retry_after: float, is_global: bool, headers: dict[str, str]) -> web.Response:
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        }
        headers = {
            **headers,
            "Retry-After": str(max(1, round(retry_after))),
            "Via": "1.1 google",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return DiscordStandin._json(body, 429, headers)

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        path = "/" + request.match_info["tail"]
        route, params = "unknown", {}
        for method, pattern, name in _COMPILED:
            if method == request.method:
                found = pattern.match(path)
                if found:
                    route, params = name, found.groupdict()
                    break
        payload: Any = None
        files: list[str] = []
        file_data: dict[str, bytes] = {}
        if request.body_exists:
            if request.content_type.startswith("multipart/"):
                reader = await request.multipart()
                async for part in reader:
                    if part.name == "payload_json":
                        payload = json.loads(await part.text())
                    else:
                        files.append(part.filename or part.name or "")
                        file_data[files[-1]] = bytes(await part.read())
            else:
                raw = await request.read()
                if raw:
                    try:
                        payload = json.loads(raw)
                    except ValueError:
                        payload = raw.decode("utf-8", "replace")
        record = RecordedRequest(
            method=request.method,
            path=path,
            route=route,
            params=params,
            query=dict(request.query),
            json=payload,
            headers=dict(request.headers),
            at=loop.time(),
            files=files,
            file_data=file_data,
        )
        self.requests.append(record)
        try:
            response = self._limited(record) or self._over_global(record)
            if response is None:
                headers, retry_after = self._bucket(record)
                if retry_after is not None:
                    response = self._too_many(retry_after, False, headers)
                else:
                    response = await self._handle(record, headers)
            if response.status == 429:
                record.response = json.loads(response.body)  # type: ignore[arg-type]
        except StandinError as exc:
            body: dict[str, Any] = {"message": exc.message, "code": exc.code}
            if exc.errors is not None:
                body["errors"] = exc.errors
            response = self._json(body, exc.status)
            record.response = body
        record.status = response.status
        await self._changed()
        return response

    def _limited(self, record: RecordedRequest) -> web.Response | None:
        for rule in self._rate_limits:
            if rule.remaining > 0 and (rule.predicate is None or rule.predicate(record)):
                rule.remaining -= 1
                headers = (
                    {}
                    if rule.is_global
                    else self._ratelimit_headers(record.route, 50, 0, rule.retry_after)
                )
                return self._too_many(rule.retry_after, rule.is_global, headers)
        return None

    def _over_global(self, record: RecordedRequest) -> web.Response | None:
        """A global 429 when ``global_limit`` requests came in the last second."""
        if self.global_limit is None or record.route in _NO_AUTH:
            return None
        window = self._last_second
        while window and record.at - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.global_limit:
            return self._too_many(1.0 - (record.at - window[0]), True, {})
        window.append(record.at)
        return None

    def _check_auth(self, record: RecordedRequest) -> None:
        if record.route in _NO_AUTH or record.route == "unknown":
            return
        if record.headers.get("Authorization") != f"Bot {self.token}":
            raise StandinError(401, 0, "401: Unauthorized")

    async def _handle(self, record: RecordedRequest, headers: dict[str, str]) -> web.Response:
        self._check_auth(record)
        handler = getattr(self, f"_r_{record.route}", None)
        if handler is None:
            raise StandinError(404, 0, f"404: Not Found ({record.method} {record.path})")
        result = await handler(record)
        record.response = result
        if self.stall is not None and self.stall(record):
            self.stalled.append(record)
            await self._changed()
            await self._unstall.wait()
        if result is None:
            return web.Response(status=204, headers=headers)
        return self._json(result, 200, headers)

    def _reject_invalid(self, payload: Any, *, edit: bool = False) -> None:
        if not isinstance(payload, dict):
            raise StandinError(400, 50109, "The request body contains invalid JSON.")
        if not self.strict:
            return
        problems = discord_rejections(payload, edit=edit)
        if problems:
            code = 50006 if problems == ["Cannot send an empty message (50006)"] else 50035
            raise StandinError(400, code, "Invalid Form Body", {"problems": problems})

    def _new_message(
        self,
        channel_id: int,
        payload: Mapping[str, Any],
        *,
        author: FakeUser | None = None,
        message_type: int = 0,
        webhook: bool = False,
        interaction: InteractionRef | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        author = author or self.bot_user
        message: dict[str, Any] = {
            "id": str(message_id or self._ids.next()),
            "type": message_type,
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_of(channel_id)),
            "author": author.payload(),
            "content": payload.get("content") or "",
            "embeds": list(payload.get("embeds") or []),
            "components": list(payload.get("components") or []),
            "attachments": [],
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "flags": int(payload.get("flags") or 0),
        }
        if payload.get("message_reference"):
            message["message_reference"] = payload["message_reference"]
            message["type"] = 19
        if webhook:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
        if interaction is not None:
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.payload(),
                "authorizing_integration_owners": {"0": str(self.guild_id)},
            }
        self.messages[int(message["id"])] = message
        return message

    async def _echo(self, message: dict[str, Any]) -> None:
        """Discord sends the bot its own non-ephemeral messages back over the gateway."""
        if self.echo_bot_messages and not message.get("flags", 0) & EPHEMERAL:
            with contextlib.suppress(RuntimeError):
                await self.dispatch("MESSAGE_CREATE", dict(message))

    def _edit(self, message: dict[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        for key in ("content", "embeds", "components", "flags", "attachments"):
            if key in payload:
                value = payload[key]
                if key == "flags":
                    value = int(value or 0) | (message.get("flags", 0) & EPHEMERAL)
                message[key] = value if value is not None else ([] if key != "content" else "")
        message["edited_timestamp"] = _now_iso()
        return message

    def _message_in(self, channel_id: int, message_id: int) -> dict[str, Any]:
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            raise StandinError(404, 10008, "Unknown Message")
        return message

    def _channel(self, channel_id: int) -> None:
        known = (
            channel_id in self.guild_channel_ids
            or channel_id in self._lobby_of
            or channel_id in self._dm_channels
            or channel_id in self.threads
        )
        if not known or channel_id in self.deleted_channels:
            raise StandinError(404, 10003, "Unknown Channel")

    async def _r_get_gateway_bot(self, record: RecordedRequest) -> dict[str, Any]:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    async def _r_get_gateway(self, record: RecordedRequest) -> dict[str, Any]:
        return {"url": self.gateway_url}

    def me_payload(self) -> dict[str, Any]:
        data = self.bot_user.payload()
        data.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"})
        return data

    async def _r_get_me(self, record: RecordedRequest) -> dict[str, Any]:
        return self.me_payload()

    async def _r_application_info(self, record: RecordedRequest) -> dict[str, Any]:
        return self.application_payload()

    def _upsert(self, payload: Any, guild_id: int | None) -> list[dict[str, Any]]:
        if not isinstance(payload, list):
            raise StandinError(400, 50035, "Invalid Form Body")
        if len(payload) > 100:
            raise StandinError(400, 30032, "Maximum number of application commands reached")
        out = []
        for command in payload:
            name = command.get("name", "")
            if not re.fullmatch(r"[-_\w]{1,32}", name) or name != name.lower():
                raise StandinError(400, 50035, "Invalid Form Body", {"name": name})
            if not 1 <= len(command.get("description") or "x") <= 100:
                raise StandinError(400, 50035, "Invalid Form Body", {"description": name})
            stored = dict(command)
            stored.update(
                id=str(self._ids.next()),
                application_id=str(self.application_id),
                version=str(self._ids.next()),
            )
            stored.setdefault("type", 1)
            stored.setdefault("description", "")
            stored.setdefault("default_member_permissions", None)
            stored.setdefault("dm_permission", True)
            stored.setdefault("nsfw", False)
            if guild_id is not None:
                stored["guild_id"] = str(guild_id)
            out.append(stored)
        return out

    async def _r_bulk_upsert_global(self, record: RecordedRequest) -> list[dict[str, Any]]:
        self.global_commands = self._upsert(record.json, None)
        return self.global_commands

    async def _r_get_global_commands(self, record: RecordedRequest) -> list[dict[str, Any]]:
        return self.global_commands

    async def _r_bulk_upsert_guild(self, record: RecordedRequest) -> list[dict[str, Any]]:
        guild_id = int(record.params["guild_id"])
        if guild_id != self.guild_id:
            raise StandinError(403, 50001, "Missing Access")
        self.guild_commands[guild_id] = self._upsert(record.json, guild_id)
        return self.guild_commands[guild_id]

    async def _r_get_guild_commands(self, record: RecordedRequest) -> list[dict[str, Any]]:
        return self.guild_commands.get(int(record.params["guild_id"]), [])

    async def _r_create_message(self, record: RecordedRequest) -> dict[str, Any]:
        channel_id = int(record.params["channel_id"])
        self._channel(channel_id)
        if channel_id in self.forbidden_channels:
            raise StandinError(403, 50013, "Missing Permissions")
        if channel_id == self.forum_channel_id:
            raise StandinError(400, 50024, "Cannot execute action on this channel type")
        self._reject_invalid(record.json)
        nonce = record.json.get("nonce")
        if nonce is not None and (not isinstance(nonce, str | int) or len(str(nonce)) > 25):
            raise StandinError(400, 50035, "Invalid Form Body", {"nonce": str(nonce)[:40]})
        key = (self.bot_user.id, str(nonce))
        if nonce is not None and record.json.get("enforce_nonce"):
            seen = self._nonces.get(key)
            if seen is not None and time.monotonic() - seen[0] < NONCE_SECONDS:
                return seen[1]
        message = self._new_message(channel_id, record.json)
        if nonce is not None and record.json.get("enforce_nonce"):
            self._nonces[key] = (time.monotonic(), message)
        await self._echo(message)
        return message

    async def _r_start_forum_thread(self, record: RecordedRequest) -> dict[str, Any]:
        """A forum post: a thread whose starter message has the thread's id, as Discord
        makes it (only in a forum here; threads from messages are not modelled)."""
        channel_id = int(record.params["channel_id"])
        self._channel(channel_id)
        if channel_id in self.forbidden_channels:
            raise StandinError(403, 50013, "Missing Permissions")
        if channel_id != self.forum_channel_id:
            raise StandinError(400, 50024, "Cannot execute action on this channel type")
        payload = record.json if isinstance(record.json, dict) else {}
        name = payload.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise StandinError(400, 50035, "Invalid Form Body", {"name": "1 to 100 characters"})
        message = payload.get("message")
        self._reject_invalid(message)
        tags = [str(t) for t in payload.get("applied_tags") or []]
        known = {t["id"] for t in self.forum_tags}
        if len(tags) > 5 or not set(tags) <= known:
            raise StandinError(400, 50035, "Invalid Form Body", {"applied_tags": tags})
        if self.forum_requires_tag and not tags:
            raise StandinError(
                400, 40067, "A tag is required to create a forum post in this channel"
            )
        thread_id = self._ids.next()
        thread = {
            "id": str(thread_id),
            "type": 11,
            "guild_id": str(self.guild_id),
            "parent_id": str(channel_id),
            "owner_id": str(self.bot_user.id),
            "name": name,
            "last_message_id": str(thread_id),
            "message_count": 0,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "applied_tags": tags,
            "total_message_sent": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(payload.get("auto_archive_duration") or 1440),
                "archive_timestamp": _now_iso(),
                "locked": False,
                "create_timestamp": _now_iso(),
            },
        }
        self.threads[thread_id] = thread
        starter = self._new_message(thread_id, message, message_id=thread_id)  # type: ignore[arg-type]
        with contextlib.suppress(RuntimeError):
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        await self._echo(starter)
        return {**thread, "message": starter}

    async def _r_active_threads(self, record: RecordedRequest) -> dict[str, Any]:
        if int(record.params["guild_id"]) != self.guild_id:
            raise StandinError(404, 10004, "Unknown Guild")
        live = [
            t for t in self.threads.values() if int(t["parent_id"]) not in self.deleted_channels
        ]
        return {"threads": live, "members": []}

    async def _r_crosspost(self, record: RecordedRequest) -> dict[str, Any]:
        """Publish a message of an announcement channel to the servers following it."""
        channel_id = int(record.params["channel_id"])
        self._channel(channel_id)
        message = self._message_in(channel_id, int(record.params["message_id"]))
        if channel_id != self.news_channel_id:
            raise StandinError(400, 50024, "Cannot execute action on this channel type")
        if message["flags"] & CROSSPOSTED:
            raise StandinError(400, 40033, "This message has already been crossposted.")
        message["flags"] |= CROSSPOSTED
        return message

    async def _r_get_messages(self, record: RecordedRequest) -> list[dict[str, Any]]:
        channel_id = int(record.params["channel_id"])
        self._channel(channel_id)
        found = [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]
        return list(reversed(found))[: int(record.query.get("limit", 50))]

    async def _r_get_message(self, record: RecordedRequest) -> dict[str, Any]:
        return self._message_in(int(record.params["channel_id"]), int(record.params["message_id"]))

    async def _r_edit_message(self, record: RecordedRequest) -> dict[str, Any]:
        message = self._message_in(
            int(record.params["channel_id"]), int(record.params["message_id"])
        )
        if int(message["author"]["id"]) != self.bot_user.id:
            raise StandinError(403, 50005, "Cannot edit a message authored by another user")
        self._reject_invalid(record.json, edit=True)
        return self._edit(message, record.json)

    async def _r_delete_message(self, record: RecordedRequest) -> None:
        message = self._message_in(
            int(record.params["channel_id"]), int(record.params["message_id"])
        )
        del self.messages[int(message["id"])]

    async def _r_add_reaction(self, record: RecordedRequest) -> None:
        self._message_in(int(record.params["channel_id"]), int(record.params["message_id"]))

    _r_remove_reaction = _r_add_reaction

    async def _r_typing(self, record: RecordedRequest) -> None:
        self._channel(int(record.params["channel_id"]))

    async def _r_get_channel(self, record: RecordedRequest) -> dict[str, Any]:
        channel_id = int(record.params["channel_id"])
        self._channel(channel_id)
        if channel_id in self._dm_channels:
            return self._dm_payload(channel_id)
        return self.channel_payload(channel_id)

    async def _r_get_guild(self, record: RecordedRequest) -> dict[str, Any]:
        if int(record.params["guild_id"]) != self.guild_id:
            raise StandinError(404, 10004, "Unknown Guild")
        data = self.guild_payload()
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            data.pop(key)
        return data

    async def _r_get_guild_channels(self, record: RecordedRequest) -> list[dict[str, Any]]:
        return [self.channel_payload(c) for c in self.guild_channel_ids]

    async def _r_get_roles(self, record: RecordedRequest) -> list[dict[str, Any]]:
        return self.roles

    async def _r_get_member(self, record: RecordedRequest) -> dict[str, Any]:
        user = self.user_by_id(int(record.params["user_id"]))
        if user is None or user is self.owner:
            raise StandinError(404, 10007, "Unknown Member")
        return user.member_payload()

    async def _r_get_user(self, record: RecordedRequest) -> dict[str, Any]:
        user = self.user_by_id(int(record.params["user_id"]))
        if user is None:
            raise StandinError(404, 10013, "Unknown User")
        return user.payload()

    def _dm_payload(self, channel_id: int) -> dict[str, Any]:
        user = self.user_by_id(self._dm_channels[channel_id])
        assert user is not None
        return {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "recipients": [user.payload()],
        }

    async def _r_create_dm(self, record: RecordedRequest) -> dict[str, Any]:
        user_id = int((record.json or {}).get("recipient_id", 0))
        if self.user_by_id(user_id) is None:
            raise StandinError(400, 50007, "Cannot send messages to this user")
        for channel_id, uid in self._dm_channels.items():
            if uid == user_id:
                return self._dm_payload(channel_id)
        channel_id = self._ids.next()
        self._dm_channels[channel_id] = user_id
        return self._dm_payload(channel_id)

    # interactions ------------------------------------------------------------------------

    def _interaction(self, record: RecordedRequest) -> InteractionRef:
        ref = self.interactions.get(int(record.params["interaction_id"]))
        if ref is None or ref.token != record.params["token"]:
            raise StandinError(404, 10062, "Unknown interaction")
        return ref

    def _by_token(self, token: str) -> InteractionRef:
        for ref in self.interactions.values():
            if ref.token == token:
                if not ref.acknowledged:
                    raise StandinError(404, 10015, "Unknown Webhook")
                return ref
        raise StandinError(401, 50027, "Invalid Webhook Token")

    async def _r_interaction_callback(self, record: RecordedRequest) -> dict[str, Any] | None:
        ref = self._interaction(record)
        loop = asyncio.get_running_loop()
        if ref.acknowledged:
            raise StandinError(400, 40060, "Interaction has already been acknowledged.")
        if loop.time() - ref.sent_at > self.interaction_deadline:
            raise StandinError(404, 10062, "Unknown interaction")
        body = record.json if isinstance(record.json, dict) else {}
        kind = body.get("type")
        data = body.get("data") or {}
        resource: dict[str, Any] | None = None
        info: dict[str, Any] = {"id": str(ref.id), "type": ref.type}
        channel_id = int(ref.payload["channel_id"])
        if kind == CHANNEL_MESSAGE:
            if ref.type == AUTOCOMPLETE:
                raise StandinError(400, 50035, "Invalid Form Body", {"type": kind})
            self._reject_invalid(data)
            message = self._new_message(
                channel_id, data, message_type=20, webhook=True, interaction=ref
            )
            ref.original_id = int(message["id"])
            resource = {"type": kind, "message": message}
            await self._echo(message)
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            if ref.type == AUTOCOMPLETE:
                raise StandinError(400, 50035, "Invalid Form Body", {"type": kind})
            flags = int(data.get("flags") or 0) & EPHEMERAL | LOADING
            message = self._new_message(
                channel_id,
                {"content": "", "flags": flags},
                message_type=20,
                webhook=True,
                interaction=ref,
            )
            ref.original_id = int(message["id"])
            resource = {"type": kind, "message": message}
        elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            if ref.type != MESSAGE_COMPONENT:
                raise StandinError(400, 40043, "Interaction type does not support this response")
            message = self.messages.get(int(ref.payload["message"]["id"]))
            if message is None:
                raise StandinError(404, 10008, "Unknown Message")
            if kind == UPDATE_MESSAGE:
                self._reject_invalid(data, edit=True)
                self._edit(message, data)
            ref.original_id = int(message["id"])
            resource = {"type": kind, "message": message}
        elif kind == AUTOCOMPLETE_RESULT:
            if ref.type != AUTOCOMPLETE:
                raise StandinError(400, 40043, "Interaction type does not support this response")
            problems = autocomplete_rejections(data)
            if problems and self.strict:
                raise StandinError(400, 50035, "Invalid Form Body", {"problems": problems})
        elif kind == MODAL:
            if ref.type == AUTOCOMPLETE:
                raise StandinError(400, 50035, "Invalid Form Body", {"type": kind})
        else:
            raise StandinError(400, 50035, "Invalid Form Body", {"type": kind})
        ref.acknowledged, ref.callback_type = True, kind
        if ref.original_id is not None:
            info["response_message_id"] = str(ref.original_id)
            original = self.messages[ref.original_id]
            info["response_message_loading"] = bool(original.get("flags", 0) & LOADING)
            info["response_message_ephemeral"] = bool(original.get("flags", 0) & EPHEMERAL)
        if record.query.get("with_response") not in ("1", "true", "True"):
            return None
        answer: dict[str, Any] = {"interaction": info}
        if resource is not None:
            answer["resource"] = resource
        return answer

    def _original(self, record: RecordedRequest) -> tuple[InteractionRef, dict[str, Any]]:
        if int(record.params["app_id"]) != self.application_id:
            raise StandinError(404, 10015, "Unknown Webhook")
        ref = self._by_token(record.params["token"])
        if ref.original_id is None or ref.original_id not in self.messages:
            raise StandinError(404, 10008, "Unknown Message")
        return ref, self.messages[ref.original_id]

    async def _r_get_original(self, record: RecordedRequest) -> dict[str, Any]:
        return self._original(record)[1]

    async def _r_edit_original(self, record: RecordedRequest) -> dict[str, Any]:
        _, message = self._original(record)
        self._reject_invalid(record.json, edit=True)
        was_loading = bool(message.get("flags", 0) & LOADING)
        self._edit(message, record.json)
        message["flags"] = int(message.get("flags", 0)) & ~LOADING
        if was_loading:
            await self._echo(message)
        return message

    async def _r_delete_original(self, record: RecordedRequest) -> None:
        ref, message = self._original(record)
        del self.messages[int(message["id"])]
        ref.original_id = None

    async def _r_followup(self, record: RecordedRequest) -> dict[str, Any] | None:
        if int(record.params["app_id"]) != self.application_id:
            raise StandinError(404, 10015, "Unknown Webhook")
        ref = self._by_token(record.params["token"])
        self._reject_invalid(record.json)
        data = record.json
        original = self.messages.get(ref.original_id or 0)
        if original is not None and original.get("flags", 0) & LOADING:
            # Discord: the first follow-up after a deferral replaces the loading message.
            flags = int(data.get("flags") or 0) & ~EPHEMERAL
            original.update(
                content=data.get("content") or "",
                embeds=list(data.get("embeds") or []),
                components=list(data.get("components") or []),
                flags=(original["flags"] & EPHEMERAL) | flags,
            )
            message = original
        else:
            message = self._new_message(
                int(ref.payload["channel_id"]),
                data,
                message_type=20 if ref.type == APPLICATION_COMMAND else 0,
                webhook=True,
                interaction=ref,
            )
        await self._echo(message)
        if record.query.get("wait") in ("1", "true", "True"):
            return message
        return None

    def _followup_message(self, record: RecordedRequest) -> dict[str, Any]:
        if int(record.params["app_id"]) != self.application_id:
            raise StandinError(404, 10015, "Unknown Webhook")
        self._by_token(record.params["token"])
        message = self.messages.get(int(record.params["message_id"]))
        if message is None or message.get("webhook_id") != str(self.application_id):
            raise StandinError(404, 10008, "Unknown Message")
        return message

    async def _r_get_followup(self, record: RecordedRequest) -> dict[str, Any]:
        return self._followup_message(record)

    async def _r_edit_followup(self, record: RecordedRequest) -> dict[str, Any]:
        message = self._followup_message(record)
        self._reject_invalid(record.json, edit=True)
        return self._edit(message, record.json)

    async def _r_delete_followup(self, record: RecordedRequest) -> None:
        message = self._followup_message(record)
        del self.messages[int(message["id"])]

    # --- gateway -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        session = self._session
        return session is not None and session.ws is not None and not session.ws.closed

    async def _send(self, session: _Session, payload: dict[str, Any]) -> None:
        ws = session.ws
        if ws is None or ws.closed:
            return
        text = json.dumps(payload)
        if session.compressor is not None:
            data = session.compressor.compress(text.encode()) + session.compressor.flush(
                zlib.Z_SYNC_FLUSH
            )
            await ws.send_bytes(data)
        else:
            await ws.send_str(text)

    def _ack_later(self, session: _Session) -> None:
        """HEARTBEAT_ACK after ``heartbeat_ack_delay``, as over a real network. discord.py's
        keep-alive thread records the send time only after its send completes, so an ACK
        with zero latency can beat it and be logged as "websocket is 41.3s behind"."""

        async def ack() -> None:
            await asyncio.sleep(self.heartbeat_ack_delay)
            await self._send(session, {"op": 11})

        task = asyncio.ensure_future(ack())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def dispatch(
        self, event: str, data: dict[str, Any], session: _Session | None = None
    ) -> int:
        """Send a DISPATCH to the bot (buffered for RESUME while it is disconnected): to
        ``session``, else to the shard that owns the event's server. Returns the sequence
        number."""
        session = session or self._session_for(event, data)
        if session is None or session.invalid:
            raise RuntimeError("stand-in: no gateway session (the bot has not identified)")
        if event == "MESSAGE_CREATE" and not session.intents & MESSAGE_CONTENT_INTENT:
            data = self._without_content(data)
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.sent.append(frame)
        await self._send(session, frame)
        return session.seq

    def _without_content(self, data: dict[str, Any]) -> dict[str, Any]:
        """What a bot without the Message Content intent receives: no content, embeds,
        attachments or components, unless it is mentioned or is the author (or in a DM)."""
        mentioned = any(str(m.get("id")) == str(self.bot_user.id) for m in data["mentions"])
        own = str(data["author"]["id"]) == str(self.bot_user.id)
        if mentioned or own or "guild_id" not in data:
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.gateway_urls.append(request.path_qs)
        compress = request.query.get("compress")
        compressor = zlib.compressobj() if compress == "zlib-stream" else None
        conn = _Session(id="", intents=0, ws=ws, compressor=compressor)  # until IDENTIFY
        await self._send(conn, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        session: _Session | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                self.gateway_log.append(frame)
                op = frame.get("op")
                data = frame.get("d")
                if op == 1:
                    self.heartbeat_count += 1
                    if self.ack_heartbeats:
                        self._ack_later(session or conn)
                elif op == 2:
                    session = await self._identify(ws, conn, data or {})
                    if session is None:
                        break
                elif op == 6:
                    session = await self._resume(ws, conn, data or {})
                elif op == 3:
                    self.presence_updates.append(data or {})
                elif op == 8 and session is not None:
                    await self._send_member_chunk(data or {})
                elif op in (4, 14, 31):
                    pass  # voice / lazy requests: not modelled
                else:
                    await ws.close(code=4001, message=b"Unknown opcode.")
                    break
                await self._changed()
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
            await self._changed()
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, conn: _Session, data: dict[str, Any]
    ) -> _Session | None:
        self.identify_count += 1
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if self.reject_privileged_intents and intents & PRIVILEGED_INTENTS:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        shard_id, shard_count = int(shard_id), int(shard_count)
        if not 0 <= shard_id < shard_count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        previous = self._shards.get(shard_id)
        if previous is not None:
            previous.invalid = True
        session = _Session(
            id=secrets.token_hex(16),
            intents=intents,
            ws=ws,
            compressor=conn.compressor,
            shard=(shard_id, shard_count),
        )
        self._sessions[session.id] = session
        self._session = session
        self._shards[shard_id] = session
        mine = [g for g in self.guild_ids if self.shard_of(g, shard_count) == shard_id]
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.me_payload(),
                "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                "session_id": session.id,
                "resume_gateway_url": self.resume_gateway_url,
                "shard": [shard_id, shard_count],
                "application": {"id": str(self.application_id), "flags": (1 << 19) | (1 << 15)},
                "private_channels": [],
                "relationships": [],
                "user_settings": {},
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "auth": {},
            },
            session,
        )
        self.ready_count += 1
        for guild in mine:
            payload = self.guild_payload() if guild == self.guild_id else self.lobby_payload(guild)
            await self.dispatch("GUILD_CREATE", payload, session)
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, conn: _Session, data: dict[str, Any]
    ) -> _Session | None:
        self.resume_count += 1
        session = self._sessions.get(str(data.get("session_id")))
        if (
            self.fail_resume
            or session is None
            or session.invalid
            or data.get("token") != self.token
            or session is not self._shards.get(session.shard[0])
        ):
            await self._send(conn, {"op": 9, "d": False})
            return None
        seq = int(data.get("seq") or 0)
        old = session.ws
        session.ws = ws
        session.compressor = conn.compressor
        if old is not None and old is not ws and not old.closed:
            await old.close(code=4000)
        for frame in session.sent:
            if frame["s"] > seq:
                await self._send(session, frame)
        await self.dispatch("RESUMED", {}, session)
        self.resumed_count += 1
        return session

    async def _send_member_chunk(self, data: dict[str, Any]) -> None:
        members = [u.member_payload() for u in [*self.users, self.bot_user]]
        ids = data.get("user_ids")
        if ids:
            wanted = {str(i) for i in (ids if isinstance(ids, list) else [ids])}
            members = [m for m in members if m["user"]["id"] in wanted]
        query = data.get("query")
        if query:
            members = [m for m in members if m["user"]["username"].startswith(query)]
        chunk: dict[str, Any] = {
            "guild_id": str(self.guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        chunk["guild_id"] = str(data.get("guild_id") or self.guild_id)
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # failure knobs ---------------------------------------------------------------------

    def unstall(self) -> None:
        """Answer the stalled requests (to a client that may be gone) and stall no more."""
        self.stall = None
        self._unstall.set()

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the bot's gateway socket, as a Discord restart or a network blip does.
        A resumable code (e.g. 4000, 1001) makes discord.py RESUME; ``invalidate_session``
        or ``fail_resume`` makes it re-identify."""
        session = self._session
        if session is None or session.ws is None:
            raise RuntimeError("stand-in: the bot is not connected")
        ws, session.ws = session.ws, None
        await ws.close(code=code, message=b"stand-in dropped the connection")

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION on the live connection."""
        session = self._session
        if session is None or session.ws is None:
            raise RuntimeError("stand-in: the bot is not connected")
        if not resumable:
            session.invalid = True
        await self._send(session, {"op": 9, "d": resumable})

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client must reconnect and resume."""
        session = self._session
        if session is None or session.ws is None:
            raise RuntimeError("stand-in: the bot is not connected")
        await self._send(session, {"op": 7, "d": None})

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Until the bot holds a live, identified (or resumed) gateway session."""
        await self.wait_until(lambda: self.connected, timeout)

    # --- things users do -----------------------------------------------------------------

    def mention(self, user: FakeUser) -> str:
        return user.mention

    async def send_message(
        self,
        content: str,
        author: FakeUser | None = None,
        channel: int | None = None,
        mentions: Iterable[FakeUser] = (),
        *,
        mention_everyone: bool = False,
        reference: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A member posts ``content``; returns the MESSAGE_CREATE data. Its ``_mark`` key is
        the request position when it was sent (for ``wait_for_reply``)."""
        author = author or self.member
        channel_id = channel or self.channel_id
        message = self._new_message(channel_id, {"content": content}, author=author)
        message["member"] = author.member_payload(with_user=False)
        message["mentions"] = [
            {**u.payload(), "member": u.member_payload(with_user=False)} for u in mentions
        ]
        message["mention_everyone"] = mention_everyone
        if reference is not None:
            message["message_reference"] = {
                "message_id": str(reference["id"]),
                "channel_id": str(reference["channel_id"]),
                "guild_id": str(self.guild_of(channel_id)),
            }
            message["referenced_message"] = dict(reference)
            message["type"] = 19
        mark = self.mark()
        await self.dispatch("MESSAGE_CREATE", message)
        return {**message, "_mark": mark}

    def _find_command(self, name: str) -> tuple[dict[str, Any] | None, bool]:
        for command in self.guild_commands.get(self.guild_id, []):
            if command["name"] == name and command.get("type", 1) == 1:
                return command, True
        for command in self.global_commands:
            if command["name"] == name and command.get("type", 1) == 1:
                return command, False
        return None, False

    def _options(
        self,
        definition: Mapping[str, Any] | None,
        options: Mapping[str, Any],
        focused: str | None,
        resolved: dict[str, Any],
    ) -> list[dict[str, Any]]:
        known = {o["name"]: o for o in (definition or {}).get("options") or []}
        out: list[dict[str, Any]] = []
        for name, value in options.items():
            spec = known.get(name)
            if isinstance(value, FakeUser):
                kind = 6
                resolved.setdefault("users", {})[str(value.id)] = value.payload()
                resolved.setdefault("members", {})[str(value.id)] = {
                    **value.member_payload(with_user=False),
                    "permissions": str(self.permissions_of(value)),
                }
                value = str(value.id)
            elif spec is not None:
                kind = spec["type"]
            elif isinstance(value, bool):
                kind = 5
            elif isinstance(value, int):
                kind = 4
            elif isinstance(value, float):
                kind = 10
            else:
                kind = 3
            if spec is not None and kind in (1, 2):
                sub_def = spec
                out.append(
                    {
                        "name": name,
                        "type": kind,
                        "options": self._options(sub_def, value or {}, focused, resolved),
                    }
                )
                continue
            option: dict[str, Any] = {"name": name, "type": kind, "value": _as_type(kind, value)}
            if focused == name:
                option["focused"] = True
            out.append(option)
        return out

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        user: FakeUser | None,
        channel: int | None,
        message: dict[str, Any] | None = None,
    ) -> InteractionRef:
        user = user or self.member
        channel_id = channel or self.channel_id
        interaction_id = self._ids.next()
        token = "itok_" + secrets.token_urlsafe(24)
        permissions = self.permissions_of(user)
        bot_permissions = self.permissions_of(self.bot_user)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(self.guild_of(channel_id)),
            "guild": {"id": str(self.guild_of(channel_id)), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": self.channel_payload(channel_id),
            "member": {**user.member_payload(), "permissions": str(permissions)},
            "token": token,
            "version": 1,
            "app_permissions": str(bot_permissions),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        ref = InteractionRef(
            interaction_id, token, kind, payload, asyncio.get_running_loop().time(), user
        )
        self.interactions[interaction_id] = ref
        await self.dispatch("INTERACTION_CREATE", payload)
        return ref

    def _command_data(
        self,
        command: str,
        options: Mapping[str, Any] | None,
        focused: str | None = None,
    ) -> dict[str, Any]:
        definition, in_guild = self._find_command(command)
        resolved: dict[str, Any] = {}
        data: dict[str, Any] = {
            "id": definition["id"] if definition else str(self._ids.next()),
            "name": command,
            "type": 1,
            "options": self._options(definition, dict(options or {}), focused, resolved),
        }
        if resolved:
            data["resolved"] = resolved
        if in_guild:
            data["guild_id"] = str(self.guild_id)
        return data

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        user: FakeUser | None = None,
        channel: int | None = None,
    ) -> InteractionRef:
        """A member runs ``/command``. Option types come from the synced command when the
        bot has synced it, else from the Python type of each value (str, int, bool, float,
        FakeUser); a nested mapping is a subcommand's options."""
        data = self._command_data(command, options)
        return await self._interact(APPLICATION_COMMAND, data, user, channel)

    async def autocomplete(
        self,
        command: str,
        options: Mapping[str, Any],
        focused: str,
        user: FakeUser | None = None,
        channel: int | None = None,
    ) -> InteractionRef:
        """A member types into option ``focused`` of ``/command``."""
        data = self._command_data(command, options, focused)
        return await self._interact(AUTOCOMPLETE, data, user, channel)

    async def click(
        self,
        message_id: int | str,
        custom_id: str,
        user: FakeUser | None = None,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> InteractionRef:
        """A member presses a button (or picks from a select) on a message the bot sent."""
        message = self.messages.get(int(message_id))
        if message is None:
            raise KeyError(f"stand-in: no message {message_id}")
        if custom_id not in _custom_ids(message.get("components") or []):
            raise KeyError(f"stand-in: message {message_id} has no component {custom_id!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        return await self._interact(
            MESSAGE_COMPONENT, data, user, int(message["channel_id"]), message=dict(message)
        )


def _as_type(kind: int, value: Any) -> Any:
    """An option value as Discord delivers it for the option's declared type (a string
    option carries "2", not 2)."""
    with contextlib.suppress(TypeError, ValueError):
        if kind == 3:
            return str(value)
        if kind == 4 and not isinstance(value, bool):
            return int(value)
        if kind == 10:
            return float(value)
    return value


def _custom_ids(components: Iterable[Mapping[str, Any]]) -> list[str]:
    found: list[str] = []
    for comp in components:
        if comp.get("custom_id"):
            found.append(comp["custom_id"])
        found.extend(_custom_ids(comp.get("components") or []))
    return found


def components_of(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flat list of buttons/selects in a message payload."""
    flat: list[dict[str, Any]] = []

    def walk(items: Iterable[Mapping[str, Any]]) -> None:
        for comp in items:
            if comp.get("type") != 1:
                flat.append(dict(comp))
            walk(comp.get("components") or [])

    walk(message.get("components") or [])
    return flat


@contextlib.asynccontextmanager
async def running(
    client: Any,
    standin: DiscordStandin,
    *,
    ready_timeout: float = 15.0,
    fast_reidentify: bool = True,
) -> AsyncIterator[Any]:
    """Start ``client`` (a discord.Client) against the stand-in, wait until it is ready,
    and close it afterwards. Any crash of the client task fails loudly.

    Two waits meant for the real Discord are shortened: READY is dispatched 0.05 s (not
    2 s) after the last GUILD_CREATE, and, with ``fast_reidentify``, discord.py's default
    5 s pause before a non-initial IDENTIFY (identify rate limit pacing, which the
    stand-in does not enforce) is skipped unless the client overrides that hook itself."""
    import discord

    client._connection.guild_ready_timeout = 0.05
    hook = getattr(type(client), "before_identify_hook", None)
    if fast_reidentify and hook is discord.Client.before_identify_hook:

        async def no_pause(shard_id: int | None, *, initial: bool = False) -> None:
            return None

        client.before_identify_hook = no_pause
    task = asyncio.create_task(client.start(standin.token), name="standin-client")
    waiter = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {task, waiter}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # raises what went wrong
            raise RuntimeError("client stopped before it was ready")
        if waiter not in done:
            raise TimeoutError("client was not ready in time")
        yield client
    finally:
        waiter.cancel()
        if not client.is_closed():
            await client.close()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 10)
