#!/usr/bin/env python3
# Stand-in for the workspace agent in the local image (`ops local image`): what the drills need
# from the real one and nothing more. It proves the workspace volume is writable for the
# non-root user, then serves GET /health on :AGENT_PORT (200) for the task's health check and
# the load drill. The team's own image replaces it with --image.
import http.server, os, sys

PORT = int(os.environ.get("AGENT_PORT", "9000"))
WORKSPACE = os.environ.get("WORKSPACE_DIR", "/workspace")

try:
    with open(os.path.join(WORKSPACE, ".agent-ready"), "w") as f:
        f.write("ok\n")
except OSError as e:
    sys.stderr.write("workspace-agent: %s is not writable: %s\n" % (WORKSPACE, e))
    sys.exit(1)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/health"
        body = b"ok\n" if ok else b"not found\n"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
