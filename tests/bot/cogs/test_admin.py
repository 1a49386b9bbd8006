"""Who may run the admin commands."""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from articlebot.bot import render
from articlebot.bot.permissions import NotAdmin, admin_check, is_admin_member
from articlebot.bot.settings import Settings
from tests.bot.fakes import member


class TestPermissions:
    settings = Settings(admin_role_ids=frozenset({77}), admin_user_ids=frozenset({99}))

    def test_manage_server(self):
        assert is_admin_member(member(manage_guild=True), self.settings)

    def test_interaction_permissions(self):
        m = member()
        m.resolved_permissions = discord.Permissions(administrator=True)
        assert is_admin_member(m, self.settings)

    def test_admin_role(self):
        assert is_admin_member(member(role_ids=(1, 77)), self.settings)

    def test_admin_user_even_in_dms(self):
        assert is_admin_member(SimpleNamespace(id=99), self.settings)

    def test_everyone_else(self):
        assert not is_admin_member(member(role_ids=(1,)), self.settings)
        assert not is_admin_member(SimpleNamespace(id=5), self.settings)

    async def test_check_refuses_politely(self, bot):
        bot.is_owner = AsyncMock(return_value=False)
        ctx = SimpleNamespace(bot=bot, author=member(), guild=None)
        with pytest.raises(NotAdmin) as caught:
            await admin_check(ctx)
        assert str(caught.value) == render.NOT_ALLOWED

    async def test_owner_passes(self, bot):
        bot.is_owner = AsyncMock(return_value=True)
        assert await admin_check(SimpleNamespace(bot=bot, author=member(), guild=None))

    async def test_owner_lookup_failure_is_a_refusal(self, bot):
        bot.is_owner = AsyncMock(side_effect=discord.HTTPException(MagicMock(status=500), "x"))
        with pytest.raises(NotAdmin):
            await admin_check(SimpleNamespace(bot=bot, author=member(), guild=None))
