"""A small keep-alive HTTP load generator (asyncio, raw sockets): several
concurrent connections each sending requests back to back."""
import asyncio
import time


async def _client(host, port, paths, headers, deadline, counts, statuses, keepalive=True):
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    try:
        while time.perf_counter() < deadline:
            if not keepalive and i:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            path = paths[i % len(paths)]
            i += 1
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            counts[0] += 1
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _run(host, port, paths, clients, seconds, headers, keepalive):
    counts, statuses = [0], {}
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*[_client(host, port, paths[c::clients] or paths, headers, deadline, counts, statuses,
                                   keepalive) for c in range(clients)])
    return counts[0] / (time.perf_counter() - start), statuses


def load(host, port, paths, *, clients=4, seconds=5.0, headers=None, keepalive=True):
    """(requests per second, {status: count})."""
    return asyncio.run(_run(host, port, list(paths), clients, seconds, headers or {}, keepalive))
