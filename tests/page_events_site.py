"""A small site on 127.0.0.1 with everything a page does beyond drawing: JS dialogs, a file
upload form, a download, HTTP basic auth and a target=_blank link. What the page saw is
posted back and kept in ``seen`` (the tests assert on it, not on our own records)."""

from __future__ import annotations

import base64

from flask import Flask, Response, request

from guiagent.serving import ThreadedWsgiServer

REPORT_CSV = b"id,name\n7,Ada\n8,Grace\n"


def _button(ident: str, label: str, script: str) -> str:
    """A button whose click runs ``script`` and tells the server what it returned."""
    return (f'<p><button id={ident} style="font-size:24px" '
            f"onclick=\"fetch('/seen', {{method: 'POST', body: {script}}})\">{label}</button></p>")


PAGES = {
    "/dialogs": "<!doctype html><title>Records</title>" + "".join([
        _button("remove", "Remove record 7", "'confirm:' + confirm('Remove record 7?')"),
        _button("delete", "Erase record 8", "'confirm:' + confirm('Delete record 8?')"),
        _button("ask", "Sign", "'prompt:' + prompt('Your name?', 'nobody')"),
        _button("hello", "Save", "'alert:' + alert('Saved!')"),
    ]),
    "/leave": """<!doctype html><title>Draft</title><input id=draft style="font-size:24px">
<p><a id=away href="/child" style="font-size:24px">Away</a></p>
<script>addEventListener('beforeunload', (e) => { e.preventDefault(); e.returnValue = ''; });</script>""",
    "/upload": """<!doctype html><title>Upload</title>
<form method=post action=/upload enctype=multipart/form-data>
  <p><label for=file style="font-size:20px">Your CV</label>
     <input type=file name=doc id=file style="font-size:20px"></p>
  <p><button id=send style="font-size:24px">Send</button></p></form>""",
    "/download": """<!doctype html><title>Export</title>
<p><a id=dl href="/export" style="font-size:24px">Export records</a></p>""",
    "/download-plain": """<!doctype html><title>Export</title>
<p><a id=dl href="/export-plain" style="font-size:24px">Export records</a></p>""",
    "/tabs": """<!doctype html><title>Home</title>
<p><a id=open href="/child" target=_blank style="font-size:24px">Open help</a></p>
<p><button id=after style="font-size:24px" onclick="fetch('/seen', {method: 'POST', body: 'home'})">
  Home button</button></p>""",
    "/child": """<!doctype html><title>Help</title>
<p><button id=child style="font-size:24px" onclick="fetch('/seen', {method: 'POST', body: 'child'})">
  Help button</button></p>""",
}


class EventsSite:
    """The site, with what it saw."""

    def __init__(self, user: str = "alice", password: str = "s3cret-Pa55") -> None:
        self.user, self.password = user, password
        self.seen: list[str] = []
        self.uploads: list[tuple[str, bytes]] = []
        self.upload_posts = 0
        self.server = ThreadedWsgiServer(self._app(), name="page-events-site")

    @property
    def url(self) -> str:
        return self.server.origin

    def reset(self) -> None:
        self.seen.clear()
        self.uploads.clear()
        self.upload_posts = 0

    def __enter__(self) -> EventsSite:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def _app(self) -> Flask:
        app = Flask("page-events-site")

        @app.get("/<name>")
        def page(name: str) -> Response:
            html = PAGES.get("/" + name)
            return Response(html, mimetype="text/html") if html else Response("no", status=404)

        @app.post("/seen")
        def seen() -> str:
            self.seen.append(request.get_data(as_text=True))
            return "ok"

        @app.post("/upload")
        def upload() -> str:
            self.upload_posts += 1  # every post, with or without a file
            for f in request.files.getlist("doc"):
                if f.filename:
                    self.uploads.append((f.filename, f.read()))
            return "<title>Received</title><p>Received</p>"

        @app.get("/export-plain")
        def export_plain() -> Response:
            return Response(REPORT_CSV, mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="records.csv"'})

        @app.get("/export")
        def export() -> Response:
            return Response(REPORT_CSV, mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="../../records export.csv"'})

        @app.get("/private/page")
        def private() -> Response:
            expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                return Response("who are you?", status=401,
                                headers={"WWW-Authenticate": 'Basic realm="records"'})
            self.seen.append("auth:ok")
            return Response("<title>Private</title><p>Welcome, member</p>", mimetype="text/html")

        return app
