#!/usr/bin/env python3
"""A token introspection endpoint (RFC 7662) for the test mail stack's Dovecot.

Dovecot's oauth2 passdb (introspection_mode = post) posts `token=...` here; the answer
says whether the token is active and whose it is. Tokens live in TOKENS_FILE, one
`TOKEN USERNAME` pair per line, read again on every request so a test can add or revoke
one. Listens on 127.0.0.1 only.

    oauth2-introspect.py PORT TOKENS_FILE
"""
import http.server
import json
import sys
import urllib.parse


def lookup(tokens_file, token):
    try:
        with open(tokens_file, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[0] == token:
                    return parts[1]
    except OSError:
        pass
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    tokens_file = ""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0]
        user = lookup(self.tokens_file, token)
        answer = {"active": True, "username": user} if user else {"active": False}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        # One line per request on stderr (the stack's log), never the token.
        sys.stderr.write("introspect %s %s\n" % (self.command, self.path))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    Handler.tokens_file = sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
