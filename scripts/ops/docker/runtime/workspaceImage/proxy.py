#!/usr/bin/env python3
# Stand-in for the credential proxy in the local image (`ops local image`): it listens where the
# task definition says (PROXY_LISTEN, loopback of the task's network namespace) and is healthy
# only when it holds its credential (PROXY_CREDENTIAL, which only this container receives). There
# is no upstream on a local engine, so every other request gets 502. It logs when it listens and
# every request it answers (with the caller's User-Agent), in order: the record a test holds the
# agent's first request against.
import http.server, os

HOST, _, PORT = os.environ.get("PROXY_LISTEN", "127.0.0.1:8080").rpartition(":")
HAS_CREDENTIAL = bool(os.environ.get("PROXY_CREDENTIAL"))


def log(line):
    print("credential-proxy: " + line, flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            code, body = (200, b"ok\n") if HAS_CREDENTIAL else (503, b"no credential\n")
        else:
            code, body = 502, b"no upstream on a local engine\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        log("%s %s %d %s" % (self.command, self.path, code, self.headers.get("User-Agent", "-")))

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer((HOST or "127.0.0.1", int(PORT)), Handler)
log("listening on %s:%s" % server.server_address[:2])
server.serve_forever()
