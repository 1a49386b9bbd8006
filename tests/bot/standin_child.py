"""`articlebot run` in a child process, pointed at a stand-in that the test process serves:
for tests that kill the bot for real (SIGKILL) and start it again.

    ARTICLEBOT_TEST_STANDIN=http://127.0.0.1:PORT python -m tests.bot.standin_child
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    from tests.bot.discord_standin import point_discord_at

    point_discord_at(os.environ["ARTICLEBOT_TEST_STANDIN"])
    from articlebot.bot.cli import main as articlebot

    return articlebot(["run"])


if __name__ == "__main__":
    sys.exit(main())
