"""A stand-in for the ``vllm`` (or ``transformers``) executable: records its argv, serves /health and /v1/models.

Copied onto PATH as ``vllm`` by tests/test_serve.py. ``FAKE_VLLM_LOG`` names the JSON
file it writes (argv, then "stopped" when it gets SIGTERM); ``FAKE_VLLM_FAIL=1`` makes it
exit with status 1 at once, as a server that cannot load its model does.
"""

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def main() -> None:
    log = os.environ["FAKE_VLLM_LOG"]
    args = sys.argv[1:]
    record = {"argv": args, "stopped": False}
    with open(log, "w") as f:
        json.dump(record, f)
    if os.environ.get("FAKE_VLLM_FAIL") == "1":
        sys.exit(1)
    model = args[args.index("--force-model") + 1] if "--force-model" in args else args[1]
    port = int(args[args.index("--port") + 1])
    host = args[args.index("--host") + 1]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path == "/health":
                body = b""
            elif self.path == "/v1/models":
                body = json.dumps({"object": "list", "data": [
                    {"id": model, "object": "model", "max_model_len": 32768}]}).encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    def on_term(signum, frame):
        record["stopped"] = True
        with open(log, "w") as f:
            json.dump(record, f)
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    HTTPServer((host, port), Handler).serve_forever()


if __name__ == "__main__":
    main()
