"""Settings from the environment and .env, their errors, and keeping the token secret."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest

from articlebot.bot.settings import (
    BUNDLED_CONTENT,
    RedactingFilter,
    Settings,
    SettingsError,
    load_settings,
)
from articlebot.index.config import DEFAULT_URL_TEMPLATE

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.secret-part-of-the-token_0123456789abcdef"


def load(**env: str) -> Settings:
    return load_settings(env, env_file=None)


def test_defaults():
    s = load()
    assert s.token is None
    assert s.content_dir == BUNDLED_CONTENT
    assert Path(__file__).resolve().parents[2] / "content" == BUNDLED_CONTENT
    assert s.db_path.name == "index.sqlite3"
    assert "articlebot" in str(s.db_path)
    assert s.prefix == "!"
    assert s.url_template == DEFAULT_URL_TEMPLATE
    assert s.timezone == "UTC"
    assert s.admin_role_ids == frozenset() and s.admin_user_ids == frozenset()
    assert s.dev_guild_id is None
    assert s.log_level == "INFO"


def test_every_setting(tmp_path):
    s = load(
        DISCORD_TOKEN=TOKEN,
        ARTICLEBOT_CONTENT=str(tmp_path / "posts"),
        ARTICLEBOT_DB=str(tmp_path / "i.sqlite3"),
        ARTICLEBOT_PREFIX="?",
        ARTICLEBOT_URL_TEMPLATE="https://x.org/{year}/{slug}/",
        ARTICLEBOT_TIMEZONE="Europe/London",
        ARTICLEBOT_ADMIN_ROLE_IDS="123, 456,",
        ARTICLEBOT_ADMIN_USER_IDS="789",
        ARTICLEBOT_DEV_GUILD_ID="1000",
        ARTICLEBOT_LOG_LEVEL="debug",
    )
    assert s.token == TOKEN
    assert s.content_dir == tmp_path / "posts"
    assert s.db_path == tmp_path / "i.sqlite3"
    assert s.prefix == "?"
    assert s.url_template == "https://x.org/{year}/{slug}/"
    assert s.timezone == "Europe/London"
    assert s.admin_role_ids == {123, 456}
    assert s.admin_user_ids == {789}
    assert s.dev_guild_id == 1000
    assert s.log_level == "DEBUG"
    config = s.index_config()
    assert config.site_timezone == "Europe/London"
    assert config.url_template == "https://x.org/{year}/{slug}/"


def test_site_url_makes_the_template():
    assert load(ARTICLEBOT_SITE_URL="https://x.org/").url_template == "https://x.org/posts/{path}"
    both = load(ARTICLEBOT_SITE_URL="https://x.org", ARTICLEBOT_URL_TEMPLATE="https://y.org/{slug}")
    assert both.url_template == "https://y.org/{slug}"


def test_empty_values_count_as_unset():
    s = load(DISCORD_TOKEN="", ARTICLEBOT_DEV_GUILD_ID=" ", ARTICLEBOT_PREFIX="")
    assert s.token is None and s.dev_guild_id is None and s.prefix == "!"


def test_home_is_expanded():
    assert load(ARTICLEBOT_DB="~/x.sqlite3").db_path == Path.home() / "x.sqlite3"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARTICLEBOT_TIMEZONE", "Mars/Olympus_Mons"),
        ("ARTICLEBOT_TIMEZONE", "../../etc/passwd"),
        ("ARTICLEBOT_ADMIN_ROLE_IDS", "123,abc"),
        ("ARTICLEBOT_ADMIN_USER_IDS", "-5"),
        ("ARTICLEBOT_DEV_GUILD_ID", "guild"),
        ("ARTICLEBOT_PREFIX", "two words"),
        ("ARTICLEBOT_PREFIX", "x" * 11),
        ("ARTICLEBOT_URL_TEMPLATE", "https://x.org/posts/"),
        ("ARTICLEBOT_URL_TEMPLATE", "x.org/{slug}"),
        ("ARTICLEBOT_SITE_URL", "x.org"),
        ("ARTICLEBOT_LOG_LEVEL", "loud"),
    ],
)
def test_errors_name_the_setting(name, value):
    with pytest.raises(SettingsError) as caught:
        load(**{name: value})
    message = str(caught.value)
    assert name in message
    assert "\n" not in message


class TestTokenSecrecy:
    def test_not_in_repr_or_str(self):
        s = load(DISCORD_TOKEN=TOKEN)
        assert TOKEN not in repr(s)
        assert TOKEN not in str(s)
        assert "secret-part" not in repr(s)

    def test_bot_prefix_is_removed(self):
        assert load(DISCORD_TOKEN=f"Bot {TOKEN}").token == TOKEN

    def test_malformed_token_error_does_not_echo_it(self):
        bad = TOKEN[:30] + " " + TOKEN[30:]
        with pytest.raises(SettingsError) as caught:
            load(DISCORD_TOKEN=bad)
        assert "DISCORD_TOKEN" in str(caught.value)
        assert TOKEN[:30] not in str(caught.value)
        assert TOKEN[30:] not in str(caught.value)
        assert caught.value.__cause__ is None and caught.value.__context__ is None

    def test_errors_of_other_settings_do_not_echo_it(self):
        with pytest.raises(SettingsError) as caught:
            load(DISCORD_TOKEN=TOKEN, ARTICLEBOT_TIMEZONE="Nowhere/Land")
        assert TOKEN not in str(caught.value)

    def test_log_filter_redacts_message_args_and_traceback(self):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RedactingFilter(TOKEN))
        logger = logging.getLogger("test.redaction")
        logger.addHandler(handler)
        logger.propagate = False
        try:
            logger.warning("token in message %s", TOKEN)
            logger.warning(f"token formatted in {TOKEN}")
            try:
                raise RuntimeError(f"boom with {TOKEN}")
            except RuntimeError:
                logger.exception("failed")
        finally:
            logger.removeHandler(handler)
        output = stream.getvalue()
        assert TOKEN not in output
        assert output.count("[redacted]") == 3
        assert "RuntimeError" in output


class TestEnvFile:
    def test_file_values_are_read(self, tmp_path):
        env_file = tmp_path / ".env"
        env_file.write_text(f"DISCORD_TOKEN={TOKEN}\nARTICLEBOT_PREFIX=?\n", encoding="utf-8")
        s = load_settings({}, env_file=env_file)
        assert s.token == TOKEN and s.prefix == "?"

    def test_real_environment_wins(self, tmp_path):
        env_file = tmp_path / ".env"
        env_file.write_text("ARTICLEBOT_PREFIX=?\nARTICLEBOT_TIMEZONE=Asia/Tokyo\n")
        s = load_settings({"ARTICLEBOT_PREFIX": "$"}, env_file=env_file)
        assert s.prefix == "$" and s.timezone == "Asia/Tokyo"

    def test_missing_file_is_fine(self, tmp_path):
        assert load_settings({}, env_file=tmp_path / "absent.env").prefix == "!"

    def test_process_environment_is_not_modified(self, tmp_path, monkeypatch):
        monkeypatch.delenv("ARTICLEBOT_LOG_LEVEL", raising=False)
        env_file = tmp_path / ".env"
        env_file.write_text("ARTICLEBOT_LOG_LEVEL=DEBUG\n")
        assert load_settings(None, env_file=env_file).log_level == "DEBUG"
        assert "ARTICLEBOT_LOG_LEVEL" not in os.environ

    def test_errors_from_the_file_name_the_setting(self, tmp_path):
        env_file = tmp_path / ".env"
        env_file.write_text("ARTICLEBOT_DEV_GUILD_ID=my-guild\n")
        with pytest.raises(SettingsError, match="ARTICLEBOT_DEV_GUILD_ID"):
            load_settings({}, env_file=env_file)


def test_max_post_size_reaches_the_index_config() -> None:
    s = load_settings({"ARTICLEBOT_MAX_POST_MB": "0.5"}, env_file=None)
    assert s.index_config().max_post_bytes == 524_288
    assert load_settings({}, env_file=None).index_config().max_post_bytes == 4 << 20
    with pytest.raises(SettingsError, match="ARTICLEBOT_MAX_POST_MB"):
        load_settings({"ARTICLEBOT_MAX_POST_MB": "lots"}, env_file=None)


def test_the_site_language_is_a_code_or_one_clear_error():
    assert load().language == "" and load().index_config().site_language == ""
    assert load(ARTICLEBOT_LANGUAGE="Deutsch").index_config().site_language == "de"
    assert load(ARTICLEBOT_LANGUAGE="pt-BR").language == "pt"
    with pytest.raises(SettingsError, match="ARTICLEBOT_LANGUAGE"):
        load(ARTICLEBOT_LANGUAGE="klingon!")


def test_following_the_folder_is_set_or_one_clear_error():
    assert load().following.mode == "auto"
    polled = load(ARTICLEBOT_WATCH="POLL", ARTICLEBOT_WATCH_INTERVAL="0.5").following
    assert (polled.mode, polled.interval) == ("poll", 0.5)
    assert not load(ARTICLEBOT_WATCH="off").following.enabled
    with pytest.raises(SettingsError, match="ARTICLEBOT_WATCH must"):
        load(ARTICLEBOT_WATCH="sometimes")
    with pytest.raises(SettingsError, match="ARTICLEBOT_WATCH_INTERVAL"):
        load(ARTICLEBOT_WATCH_INTERVAL="0")


def test_announcement_settings(tmp_path):
    s = load(ARTICLEBOT_DB=str(tmp_path / "data" / "index.sqlite3"))
    assert s.state_path == tmp_path / "data" / "state.sqlite3"  # beside the index, not in it
    assert load(ARTICLEBOT_STATE_DB=str(tmp_path / "s.db")).state_path == tmp_path / "s.db"
    assert load().announce_max_days == 2.0
    assert load(ARTICLEBOT_ANNOUNCE_MAX_DAYS="0.5").announce_max_days == 0.5
    with pytest.raises(SettingsError, match="ARTICLEBOT_ANNOUNCE_MAX_DAYS"):
        load(ARTICLEBOT_ANNOUNCE_MAX_DAYS="forever")
    assert load().publish_announcements is False
    assert load(ARTICLEBOT_PUBLISH_ANNOUNCEMENTS="On").publish_announcements is True
    assert load(ARTICLEBOT_PUBLISH_ANNOUNCEMENTS="0").publish_announcements is False
    with pytest.raises(SettingsError, match="ARTICLEBOT_PUBLISH_ANNOUNCEMENTS must be on or off"):
        load(ARTICLEBOT_PUBLISH_ANNOUNCEMENTS="sometimes")


def test_query_log_settings():
    assert load().query_log is True and load().query_log_days == 90
    assert load(ARTICLEBOT_QUERY_LOG="off").query_log is False
    assert load(ARTICLEBOT_QUERY_LOG_DAYS="30").query_log_days == 30
    with pytest.raises(SettingsError, match="ARTICLEBOT_QUERY_LOG_DAYS must be whole days"):
        load(ARTICLEBOT_QUERY_LOG_DAYS="forever")


def test_git_pull_interval():
    assert load().following.pull == 0.0
    assert load(ARTICLEBOT_GIT_PULL="300").following.pull == 300.0
    with pytest.raises(SettingsError, match="ARTICLEBOT_GIT_PULL"):
        load(ARTICLEBOT_GIT_PULL="1")


def test_shards_of_this_process():
    assert (load().shard_count, load().shard_ids) == (None, None)
    assert load(ARTICLEBOT_SHARD_COUNT="8").shard_count == 8
    split = load(ARTICLEBOT_SHARD_COUNT="8", ARTICLEBOT_SHARD_IDS="0-2, 5,7")
    assert split.shard_ids == (0, 1, 2, 5, 7)
    for count, ids, why in [
        (None, "0-3", "needs ARTICLEBOT_SHARD_COUNT"),
        ("0", None, "ARTICLEBOT_SHARD_COUNT must be"),
        ("4", "2-8", "from 0 to 3"),
        ("4", "3-1", "from 0 to 3"),
        ("4", "one", "like 0-3"),
    ]:
        env = {"ARTICLEBOT_SHARD_IDS": ids} if ids else {}
        if count:
            env["ARTICLEBOT_SHARD_COUNT"] = count
        with pytest.raises(SettingsError, match=why):
            load(**env)


def test_state_url_is_postgresql_and_never_echoed():
    assert load().state_url is None
    url = "postgresql://bot:s3cret@db.example:5432/articlebot"
    assert load(ARTICLEBOT_STATE_URL=url).state_url == url
    assert "s3cret" not in repr(load(ARTICLEBOT_STATE_URL=url))
    with pytest.raises(SettingsError, match="postgresql://") as caught:
        load(ARTICLEBOT_STATE_URL="mysql://bot:s3cret@db/x")
    assert "s3cret" not in str(caught.value)
