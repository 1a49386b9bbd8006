"""`python -m bot`: the same as the `articlebot` command."""

from bot.cli import main

raise SystemExit(main())
