"""A server's settings, and the one-sentence confirmation of a change."""

from __future__ import annotations

from articlebot.bot.render import strings
from articlebot.bot.render.reply import BRAND, DISCORD, GREEN, Reply, Style, finish
from articlebot.bot.servers import ServerSettings

LABELS = {
    "prefix": "Prefix",
    "channels": "Channels",
    "elsewhere": "Elsewhere",
    "replies": "Slash replies",
    "page_size": "Results per page",
    "latest_count": "Latest shows",
    "admin_roles": "Admin roles",
    "query_log": "Query log",
}


def shown(name: str, value: object, style: Style = DISCORD) -> str:
    """A setting's value as people read it."""
    if name == "prefix":
        return style.code(str(value))
    if name == "channels":
        return ", ".join(f"<#{c}>" for c in value) if value else "every channel"  # type: ignore[attr-defined]
    if name == "admin_roles":
        return ", ".join(f"<@&{r}>" for r in value) if value else "none (Manage Server only)"  # type: ignore[attr-defined]
    if name == "elsewhere":
        return "a one-line hint" if value == "hint" else "silence"
    if name == "replies":
        return "only the asker sees them" if value == "private" else "everyone sees them"
    if name == "query_log":
        return "on" if value else "off"
    return str(value)


def settings_list(mine: ServerSettings, base: ServerSettings, *, log_allowed: bool = True) -> Reply:
    """Every setting with its value; the ones changed from the default are marked."""
    lines = []
    for name, label in LABELS.items():
        value = getattr(mine, name)
        text = shown(name, value)
        if name == "query_log" and not log_allowed:
            text = "off for every server (ARTICLEBOT_QUERY_LOG)"
        changed = "" if value == getattr(base, name) else " (changed)"
        lines.append(f"**{label}** ({DISCORD.code(name.replace('_', '-'))}): {text}{changed}")
    return finish(
        Reply(
            title="Settings for this server",
            description="\n".join(lines) + "\n\n" + strings.SETTINGS_HOW,
            colour=BRAND,
        )
    )


def setting_changed(name: str, value: object) -> Reply:
    """The confirmation of one change, in one sentence."""
    return finish(
        Reply(
            description=strings.SETTING_CHANGED.format(
                label=LABELS.get(name, name), value=shown(name, value)
            ),
            colour=GREEN,
        )
    )
