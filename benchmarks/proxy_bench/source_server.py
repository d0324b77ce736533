"""An endless source on HOST:PORT, run inside the tc-tbf namespace: `python3 -m
benchmarks.proxy_bench.source_server HOST PORT SECONDS` (exits after SECONDS)."""

import asyncio
import sys

from benchmarks.proxy_bench.peers import endless_source


async def main(host: str, port: int, seconds: float) -> None:
    server = await asyncio.start_server(endless_source, host, port, backlog=4096)
    print("ready", flush=True)
    await asyncio.sleep(seconds)
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
