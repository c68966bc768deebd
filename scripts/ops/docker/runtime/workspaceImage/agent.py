#!/usr/bin/env python3
# Stand-in for the workspace agent in the local image (`ops local image`): what the drills need
# from the real one and nothing more. It proves the workspace volume is writable for the
# non-root user, waits until the credential proxy answers (the task starts both containers
# together), then serves GET /health on :AGENT_PORT (200) for the task's health check and the
# load drill. The team's own image replaces it with --image, and must wait the same way.
import os, sys, time
from standin_http import get_status, listen, serve_forever

PORT = int(os.environ.get("AGENT_PORT", "9000"))
WORKSPACE = os.environ.get("WORKSPACE_DIR", "/workspace")
PROXY_URL = os.environ.get("CREDENTIAL_PROXY_URL", "")
# How long the agent waits for the credential proxy before it gives up (the task definition sets it).
PROXY_WAIT_S = float(os.environ.get("AGENT_STARTUP_WAIT_SECONDS", "60"))
# First pause between tries, doubled each time up to the cap: a proxy that starts with the agent
# answers within a few tries, and a try refused on loopback costs microseconds, so the cap is
# short (a proxy that answers just after a try is seen at most 0.1 s late).
FIRST_PAUSE_S, MAX_PAUSE_S = 0.02, 0.1


def fail(message):
    sys.stderr.write("workspace-agent: %s\n" % message)
    sys.exit(1)


def wait_for_credential_proxy():
    """Returns once the proxy's GET /health answers 200; exits 1 with the last answer after PROXY_WAIT_S.

    A try first connects and sends nothing until the proxy accepts: no request reaches a proxy
    that is not listening, and the first one the proxy sees is this GET /health.
    """
    scheme, _, address = PROXY_URL.partition("://")
    host, _, port = address.rstrip("/").rpartition(":")
    if scheme != "http" or not host or not port.isdigit():
        fail("CREDENTIAL_PROXY_URL=%r is not http://HOST:PORT (the task definition sets it)" % PROXY_URL)
    deadline = time.monotonic() + PROXY_WAIT_S
    pause, tries, last = FIRST_PAUSE_S, 0, "no answer"
    while True:
        tries += 1
        try:
            status = get_status(host, int(port), "/health", max(0.1, min(2.0, deadline - time.monotonic())), "workspace-agent")
            if status == 200:
                sys.stderr.write("workspace-agent: credential proxy at %s answered after %d tries\n" % (PROXY_URL, tries))
                return
            last = "GET /health answered %d" % status
        except OSError as e:
            last = "%s" % (getattr(e, "strerror", None) or e or type(e).__name__)
        if tries == 1:
            sys.stderr.write("workspace-agent: waiting for the credential proxy at %s (%s)\n" % (PROXY_URL, last))
        if time.monotonic() + pause > deadline:
            fail("the credential proxy at %s did not answer GET /health with 200 within %g s (%d tries; last: %s)" % (PROXY_URL, PROXY_WAIT_S, tries, last))
        time.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE_S)


try:
    with open(os.path.join(WORKSPACE, ".agent-ready"), "w") as f:
        f.write("ok\n")
except OSError as e:
    fail("%s is not writable: %s" % (WORKSPACE, e))

# Without CREDENTIAL_PROXY_URL the task has no credential proxy (`--credential-proxy-image none`): nothing to wait for.
if PROXY_URL:
    wait_for_credential_proxy()


def answer(method, path, headers):
    return (200, b"ok\n") if method == "GET" and path == "/health" else (404, b"not found\n")


serve_forever(listen("0.0.0.0", PORT), answer)
