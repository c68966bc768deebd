#!/usr/bin/env python3
# Stand-in for the credential proxy in the local image (`ops local image`): it listens where the
# task definition says (PROXY_LISTEN, loopback of the task's network namespace) and is healthy
# only when it holds its credential (PROXY_CREDENTIAL, which only this container receives). There
# is no upstream on a local engine, so every other request gets 502. It logs when it listens and
# every request it answers (with the caller's User-Agent), in order: the record a test holds the
# agent's first request against.
import os, sys
from standin_http import listen, serve_forever

HOST, _, PORT = os.environ.get("PROXY_LISTEN", "127.0.0.1:8080").rpartition(":")
HAS_CREDENTIAL = bool(os.environ.get("PROXY_CREDENTIAL"))


def log(line):
    sys.stdout.write("credential-proxy: " + line + "\n")
    sys.stdout.flush()


def answer(method, path, headers):
    if method == "GET" and path == "/health":
        code, body = (200, b"ok\n") if HAS_CREDENTIAL else (503, b"no credential\n")
    else:
        code, body = 502, b"no upstream on a local engine\n"
    log("%s %s %d %s" % (method, path, code, headers.get("user-agent", "-")))
    return code, body


server = listen(HOST or "127.0.0.1", int(PORT))
log("listening on %s:%s" % server.getsockname()[:2])
serve_forever(server, answer)
