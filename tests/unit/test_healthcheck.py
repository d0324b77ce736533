"""The container healthcheck helper against real HTTP servers on port 0."""

import asyncio

from aiohttp import web

from stormlab_common.healthcheck import main


async def test_healthy_only_when_every_url_answers_2xx(aiohttp_server, capsys):
    async def ok_handler(_request):
        return web.Response(text="ok")

    async def down_handler(_request):
        return web.Response(status=503)

    app = web.Application()
    app.router.add_get("/ok", ok_handler)
    app.router.add_get("/down", down_handler)
    server = await aiohttp_server(app)
    ok, down = server.make_url("/ok"), server.make_url("/down")
    assert await asyncio.to_thread(main, [str(ok)]) == 0
    assert await asyncio.to_thread(main, [str(ok), str(down)]) == 1
    assert "HTTP 503" in capsys.readouterr().err
    assert await asyncio.to_thread(main, []) == 2
