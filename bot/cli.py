"""`articlebot`: run the bot, chat offline, or use the index from a terminal.

``articlebot`` alone opens the console when there is no DISCORD_TOKEN, else runs the bot.
``--content DIR`` and ``--db FILE`` go before or after the subcommand.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace

from articlebot.bot.settings import Settings, SettingsError, load_settings
from articlebot.bot.terminal import add_path_options, register, run_command


def _with_paths(settings: Settings, args: argparse.Namespace) -> Settings:
    return replace(
        settings,
        content_dir=getattr(args, "content", None) or settings.content_dir,
        db_path=getattr(args, "db", None) or settings.db_path,
    )


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="articlebot",
        description="A Discord bot that searches a website's Markdown articles.",
        epilog="With no command: chat when DISCORD_TOKEN is unset, else run.",
    )
    add_path_options(parser, settings, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    add_path_options(common, settings)
    p = sub.add_parser("run", parents=[common], help="connect to Discord and answer commands")
    p.set_defaults(handler=lambda a: cmd_run(_with_paths(settings, a)))
    p = sub.add_parser("chat", parents=[common], help="the bot's commands offline, in a terminal")
    p.set_defaults(handler=lambda a: cmd_chat(_with_paths(settings, a)))
    register(sub, settings)
    return parser


def cmd_run(settings: Settings) -> int:
    from articlebot.bot.run import run_bot

    try:
        return asyncio.run(run_bot(settings))
    except KeyboardInterrupt:
        return 130


def cmd_chat(settings: Settings) -> int:
    from articlebot.bot.console import chat

    return chat(settings)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"articlebot: {exc}", file=sys.stderr)
        return 2
    # Options before the subcommand are applied first, so every subcommand (including the
    # index ones, whose defaults come from the settings) sees them.
    pre = argparse.ArgumentParser(add_help=False)
    add_path_options(pre, settings, suppress=True)
    known, _ = pre.parse_known_args(argv)
    settings = _with_paths(settings, known)
    parser = build_parser(settings)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        return cmd_run(settings) if settings.token else cmd_chat(settings)
    return run_command(handler, args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
