"""`python -m bot`: the same as the `articlebot` command."""

from articlebot.bot.cli import main

raise SystemExit(main())
