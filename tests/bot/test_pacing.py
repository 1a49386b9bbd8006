"""Pacing requests under Discord's global limit: never more than the rate in any second,
interaction endpoints untouched, each process its shards' share."""

from __future__ import annotations

import asyncio

from discord.http import Route

from articlebot.bot.pacing import Pacer, paced, share


async def test_no_second_holds_more_than_the_rate() -> None:
    pacer = Pacer(20)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def one() -> None:
        await pacer.wait()
        times.append(loop.time())

    await asyncio.gather(*(one() for _ in range(50)))
    times.sort()
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 20
    assert times[-1] - times[0] >= (50 - 20) / 20  # the rest waited their turn


async def test_interaction_answers_are_not_paced() -> None:
    pacer = Pacer(1)
    seen: list[str] = []

    async def request(route: Route, **kwargs: object) -> str:
        seen.append(route.path)
        return "ok"

    send = paced(request, pacer)
    await send(Route("POST", "/channels/{channel_id}/messages", channel_id=1))
    due = pacer._due  # when the next paced request may go
    for _ in range(5):
        await send(Route("POST", "/interactions/{i}/{t}/callback", i=1, t="x"))
        await send(Route("PATCH", "/webhooks/{a}/{t}/messages/@original", a=1, t="x"))
    assert pacer._due == due  # they took no turn
    await send(Route("POST", "/channels/{channel_id}/messages", channel_id=1))
    assert pacer._due > due and len(seen) == 12


def test_each_process_gets_its_shards_share() -> None:
    assert share(50, None, None) == 50
    assert share(50, 4, (0, 1)) == 25
    assert share(50, 4, (3,)) == 12.5
