# The HTTP the local stand-ins speak, on sockets alone: one request per connection (HTTP/1.0
# answers, Connection: close), a thread per connection. Python's http.server and http.client
# import email, html, mimetypes and more: about 70 ms of CPU at every container start on the
# 2-core build machine, paid twice per workspace (docs/drills.md, "Benchmark").
import _thread, socket

MAX_HEAD = 16384
REASONS = {200: "OK", 404: "Not Found", 400: "Bad Request", 502: "Bad Gateway", 503: "Service Unavailable"}


def _read_head(sock):
    head = b""
    while b"\r\n\r\n" not in head and b"\n\n" not in head:
        chunk = sock.recv(4096)
        if not chunk or len(head) > MAX_HEAD:
            return None
        head += chunk
    return head


def _handle(conn, answer):
    try:
        conn.settimeout(10)
        head = _read_head(conn)
        if head is None:
            return
        lines = head.decode("latin-1").split("\n")
        request = lines[0].split()
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        code, body = answer(request[0], request[1], headers) if len(request) == 3 else (400, b"bad request\n")
        conn.sendall(b"HTTP/1.0 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (code, REASONS.get(code, "").encode(), len(body), body))
    except OSError:
        pass
    finally:
        conn.close()


def listen(host, port):
    """A listening socket on host:port (the port answers from here on)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(128)
    return server


def serve_forever(server, answer):
    """answer(method, path, headers) -> (status, body bytes), for every request, each on its own thread."""
    while True:
        conn, _ = server.accept()
        _thread.start_new_thread(_handle, (conn, answer))


def get_status(host, port, path, timeout, user_agent):
    """The status code of GET path; raises OSError when nothing answers. Connects before it sends anything."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(b"GET %s HTTP/1.0\r\nHost: %s:%d\r\nUser-Agent: %s\r\n\r\n" % (path.encode(), host.encode(), port, user_agent.encode()))
        status = sock.makefile("rb").readline().split()
    if len(status) < 2 or not status[0].startswith(b"HTTP/") or not status[1].isdigit():
        raise OSError("no HTTP answer")
    return int(status[1])
