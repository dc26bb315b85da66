"""Flask application of the web sandbox: realistic forms that record what was submitted.

The forms exercise the widgets a GUI agent has to master (text, email, textarea,
native select, checkboxes, radios, date, multi-step flows, login errors) and the
server stores each accepted submission in SQLite so the outcome can be verified
exactly. Stored ``data`` uses the HTML ``name`` of each field as key. Checkboxes
are always present as JSON booleans (``false`` when unchecked) so checks never
have to distinguish "absent" from "unchecked"; other missing fields are ``""``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from . import records, store
from .account import bp as account_bp

TOPICS = ("Support", "Sales", "Billing", "Other")
CONTACT_METHODS = ("Email", "Phone")
PLANS = ("Free", "Pro", "Business")
FORMS = ("contact", "login", "signup")

CONTACT_TEXT = ("full_name", "email", "message", "topic", "preferred_contact", "preferred_date")
CONTACT_CHECKBOXES = ("newsletter", "terms")


def _text(form: MultiDict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """Pick stripped text values; missing fields become "" so every key is always present.

    Browsers submit textarea line breaks as CRLF; storing LF only keeps checks
    independent of the browser and platform.
    """
    return {name: form.get(name, "").replace("\r\n", "\n").strip() for name in names}


def _checkboxes(form: MultiDict[str, str], names: tuple[str, ...]) -> dict[str, bool]:
    """Browsers omit unchecked boxes entirely; turn presence into an explicit boolean."""
    return {name: name in form for name in names}


def _looks_like_email(value: str) -> bool:
    """Mirror the browser's type=email check loosely, for clients that bypass it."""
    local, _, domain = value.partition("@")
    return bool(local) and "." in domain and not domain.startswith(".")


def _contact_errors(data: dict[str, Any]) -> list[str]:
    errors = []
    if not data["full_name"]:
        errors.append("Please enter your full name.")
    if not _looks_like_email(data["email"]):
        errors.append("Please enter a valid email address.")
    if not data["message"]:
        errors.append("Please enter a message.")
    if data["topic"] and data["topic"] not in TOPICS:
        errors.append("Please choose a topic from the list.")
    if data["preferred_contact"] and data["preferred_contact"] not in CONTACT_METHODS:
        errors.append("Please choose a preferred contact method.")
    if not data["terms"]:
        errors.append("You must accept the terms.")
    return errors


def _signup_step1_errors(data: dict[str, Any]) -> list[str]:
    errors = []
    if not data["name"]:
        errors.append("Please enter your name.")
    if not _looks_like_email(data["email"]):
        errors.append("Please enter a valid email address.")
    return errors


def _safe_next(target: str) -> str:
    """Only a path on this site may be returned to after login (no open redirect)."""
    return target if target.startswith("/") and target[1:2] not in ("/", "\\") else ""


def _stored(db_path: Path, sid: int, form: str) -> dict[str, Any]:
    """Fetch a submission for a confirmation page, 404 if it is missing or of another form."""
    row = store.get_submission(db_path, sid)
    if row is None or row["form"] != form:
        abort(404)
    return row


def _control_refusal() -> str | None:
    """Why this request may not use a control endpoint (None: it may).

    A page on another site can make a browser POST here with a form or a
    ``no-cors`` fetch, but neither can send ``Content-Type: application/json``
    without a CORS preflight, which this server never answers; browsers also
    say where a request comes from in ``Sec-Fetch-Site``.
    """
    if request.mimetype != "application/json":
        return "send Content-Type: application/json (a control request, not a form post)"
    if request.headers.get("Sec-Fetch-Site", "none") not in ("none", "same-origin"):
        return "control requests from other sites are refused"
    return None


def create_app(
    db_path: str | Path, username: str = "demo", password: str = "demo123"
) -> Flask:
    """Build the sandbox app writing to ``db_path`` (created if needed).

    ``username``/``password`` are the only credentials ``/login`` accepts, so a
    benchmark can choose credentials the model cannot have memorised.
    """
    db = Path(db_path)
    store.init_db(db)
    records.init(db)
    app = Flask(__name__)
    # A fresh key per app: sessions only need to survive one sandbox lifetime.
    app.secret_key = secrets.token_hex(16)
    app.config["SANDBOX_DB"] = db
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep form field order
    app.register_blueprint(account_bp)

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    @app.route("/contact", methods=["GET", "POST"])
    def contact() -> Any:
        if request.method == "GET":
            return render_template("contact.html", v={}, errors=[], topics=TOPICS,
                                   methods=CONTACT_METHODS)
        data = _text(request.form, CONTACT_TEXT) | _checkboxes(request.form, CONTACT_CHECKBOXES)
        errors = _contact_errors(data)
        if errors:
            return render_template("contact.html", v=data, errors=errors, topics=TOPICS,
                                   methods=CONTACT_METHODS), 400
        sid = store.add_submission(db, "contact", data)
        return redirect(url_for("contact_thanks", sid=sid), code=303)

    @app.get("/contact/thanks/<int:sid>")
    def contact_thanks(sid: int) -> str:
        return render_template("thanks.html", row=_stored(db, sid, "contact"))

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = _safe_next(request.values.get("next", ""))
        if request.method == "GET":
            return render_template("login.html", error=None, username="", next=target)
        user = request.form.get("username", "").strip()
        ok = secrets.compare_digest(user, username) and secrets.compare_digest(
            request.form.get("password", ""), password
        )
        # The password itself is deliberately not stored; success says enough.
        store.add_submission(db, "login", {"username": user, "success": ok})
        if not ok:
            return render_template(
                "login.html", error="Invalid username or password", username=user, next=target
            ), 401
        session["user"] = user
        return redirect(target or url_for("welcome"), code=303)

    @app.get("/welcome")
    def welcome() -> Any:
        if "user" not in session:
            return redirect(url_for("login"))
        return render_template("welcome.html", user=session["user"])

    @app.post("/logout")
    def logout() -> Any:
        session.pop("user", None)
        return redirect(url_for("login"), code=303)

    @app.route("/signup", methods=["GET", "POST"])
    def signup() -> Any:
        """Step 1 on GET; on POST validate it and show step 2 carrying it in hidden fields."""
        if request.method == "GET":
            return render_template("signup_step1.html", v={}, errors=[])
        data = _text(request.form, ("name", "email"))
        errors = _signup_step1_errors(data)
        if errors:
            return render_template("signup_step1.html", v=data, errors=errors), 400
        return render_template("signup_step2.html", v=data, errors=[], plans=PLANS)

    @app.post("/signup/complete")
    def signup_complete() -> Any:
        data = _text(request.form, ("name", "email", "plan", "address"))
        errors = _signup_step1_errors(data)
        if errors:  # hidden fields tampered with or step 1 skipped: start over
            return render_template("signup_step1.html", v=data, errors=errors), 400
        if data["plan"] not in PLANS:
            errors.append("Please choose a plan.")
        if not data["address"]:
            errors.append("Please enter your address.")
        if errors:
            return render_template("signup_step2.html", v=data, errors=errors, plans=PLANS), 400
        sid = store.add_submission(db, "signup", data)
        return redirect(url_for("signup_done", sid=sid), code=303)

    @app.get("/signup/done/<int:sid>")
    def signup_done(sid: int) -> str:
        return render_template("signup_done.html", row=_stored(db, sid, "signup"))

    @app.get("/api/submissions")
    def api_submissions() -> Any:
        return jsonify(store.list_submissions(db, request.args.get("form") or None))

    @app.post("/api/reset")
    def api_reset() -> Any:
        """Forget all submissions and restore the account area's demo data.

        Only for a control client (a test, a benchmark): see :func:`_control_refusal`.
        """
        refusal = _control_refusal()
        if refusal:
            return jsonify({"ok": False, "error": refusal}), 403
        deleted = store.clear(db)
        records.reset(db)
        return jsonify({"ok": True, "deleted": deleted})

    @app.post("/api/seed")
    def api_seed() -> Any:
        """Add rows for a task: ``{"table": "orders", "rows": [{...}]}`` -> their ids."""
        refusal = _control_refusal()
        if refusal:
            return jsonify({"ok": False, "error": refusal}), 403
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
            return jsonify({"ok": False, "error": 'send {"table": NAME, "rows": [...]}'}), 400
        try:
            ids = records.seed(db, str(body.get("table")), body["rows"])
        except records.SeedError as exc:
            return jsonify({"ok": False, "error": str(exc)}), 400
        return jsonify({"ok": True, "ids": ids})

    return app
