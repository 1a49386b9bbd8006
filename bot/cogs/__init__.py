"""The bot's commands, one cog per concern (loaded by ``bot.app``)."""
