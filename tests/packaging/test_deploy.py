"""The deploy files say what the code accepts: every service's settings load, the shard
services cover each shard exactly once, and the systemd units run real commands."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from articlebot.bot.cli import build_parser
from articlebot.bot.settings import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def services() -> dict[str, dict]:
    return yaml.safe_load((DEPLOY / "compose.shards.yaml").read_text())["services"]


def test_the_shard_services_cover_every_shard_once() -> None:
    covered: list[int] = []
    count = None
    for name, service in services().items():
        if service.get("command") != ["run"]:
            continue
        env = {k: str(v) for k, v in service["environment"].items()}
        env["ARTICLEBOT_STATE_URL"] = "postgresql://articlebot@db/articlebot"  # unexpanded
        settings = load_settings(env, env_file=None)
        assert settings.following.mode == "index", name  # the indexer writes, bots read
        assert settings.state_url, name
        count = settings.shard_count
        covered.extend(settings.shard_ids or ())
    assert count and sorted(covered) == list(range(count))


def test_the_indexer_and_the_database_are_there() -> None:
    found = services()
    assert found["indexer"]["command"] == ["watch"]
    assert found["db"]["image"].startswith("postgres:15")
    assert "index" in {v.split(":")[0] for v in found["indexer"]["volumes"]}


def unit(name: str) -> dict[str, list[str]]:
    """A unit's [Service] lines: {key: [values]} (Environment= comes several times)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in (DEPLOY / name).read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_systemd_units_run_commands_that_exist() -> None:
    parser = build_parser(Settings())
    for name, command in (("articlebot@.service", "run"), ("articlebot-indexer.service", "watch")):
        service = unit(name)
        assert service["ExecStart"][0].split()[1:] == [command], name
        assert parser.parse_args([command]).command == command
        assert "User" in service  # one user for every unit: they share the index folder
    environment = unit("articlebot@.service")["Environment"]
    assert {"ARTICLEBOT_SHARD_IDS=%i", "ARTICLEBOT_WATCH=index"} <= set(environment)


def test_the_image_prepares_the_cache_folder_it_runs_with() -> None:
    """The build stage runs `articlebot prepare` into a folder that the final stage copies
    to where ARTICLEBOT_CACHE_DIR points, so the kernel numba built there is found."""
    text = (DEPLOY / "Dockerfile").read_text()
    build, final = text.split("\nFROM ", 2)[1:]
    logical = build.replace("\\\n", " ")
    (step,) = [line for line in logical.splitlines() if "articlebot.bot prepare" in line]
    built_into = re.search(r"ARTICLEBOT_CACHE_DIR=(\S+) python -m articlebot\.bot prepare", step)
    assert built_into, step
    assert build_parser(Settings()).parse_args(["prepare"]).command == "prepare"
    copied = re.search(rf"COPY --from=build {re.escape(built_into[1])} (\S+)", final)
    assert copied, final
    assert f"ARTICLEBOT_CACHE_DIR={copied[1]}" in final.replace("\\\n", " ")
