"""The load generator: its own process, N concurrent HTTP clients, one JSON line per request.

    python -m bench.load --base http://127.0.0.1:8001 --requests requests.jsonl --clients 200 --out results.jsonl [--rate 20]

Without --rate every client sends its next request as soon as the last one is answered
(saturation: what the server can take). With --rate, request i leaves at i/rate seconds
(arrivals spread evenly, as bidders arrive), on whichever of the clients is free.
Each input line is {"path", "token", "body"}; each output line {"index", "status", "started",
"finished", "response"} with times in seconds since the epoch.
"""

import argparse
import asyncio
import json
import time

import aiohttp


async def client(session: aiohttp.ClientSession, base: str, queue: asyncio.Queue, results: list, start: float, rate: float | None) -> None:
    while True:
        try:
            index, request = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        if rate:
            await asyncio.sleep(max(0.0, start + index / rate - time.time()))
        headers = {"Authorization": f"Token {request['token']}", "Content-Type": "application/json"}
        started = time.time()
        try:
            async with session.post(base + request["path"], data=request["body"].encode(), headers=headers) as response:
                text = await response.text()
                status = response.status
        except aiohttp.ClientError as error:
            text, status = str(error), 0
        results.append({"index": index, "status": status, "started": started, "finished": time.time(), "response": text})


async def run(base: str, requests: list[dict], clients: int, rate: float | None) -> list[dict]:
    queue: asyncio.Queue = asyncio.Queue()
    for item in enumerate(requests):
        queue.put_nowait(item)
    results: list[dict] = []
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.time()
        await asyncio.gather(*(client(session, base, queue, results, start, rate) for _ in range(clients)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rate", type=float, help="requests per second (default: as fast as answered)")
    args = parser.parse_args()
    with open(args.requests) as source:
        requests = [json.loads(line) for line in source]
    results = asyncio.run(run(args.base, requests, args.clients, args.rate))
    with open(args.out, "w") as out:
        for result in sorted(results, key=lambda r: r["index"]):
            out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
