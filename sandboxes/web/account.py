"""The signed-in account area: dashboard, settings and profile (orders and customers elsewhere).

Every page here requires the session of a successful ``/login``; without it the
browser is sent to the login page, which returns to the page asked for. That is
what login tasks exercise. Pages are plain server-rendered HTML with a form per
change (POST, then redirect with a flash message), the way most business sites work.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from . import records, seed_data

bp = Blueprint("account", __name__, url_prefix="/account")
PAGE_SIZE = 10
F = TypeVar("F", bound=Callable[..., Any])


def db() -> Path:
    """The SQLite file of the running app."""
    return cast(Path, current_app.config["SANDBOX_DB"])


def login_required(view: F) -> F:
    """Send visitors without a session to ``/login?next=<this page>``."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "user" not in session:
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return cast(F, wrapper)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every route of the blueprint is protected (the decorator returns early otherwise)."""
    return None


def page_number() -> int:
    """The ``page`` query parameter, 1 when missing or not a positive number."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def paginate(total: int, page: int) -> dict[str, int]:
    """Page figures for the templates: which rows are shown and how many pages exist."""
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    first = (page - 1) * PAGE_SIZE
    return {"page": page, "pages": pages, "offset": first, "total": total,
            "first": first + 1 if total else 0, "last": min(first + PAGE_SIZE, total)}


def int_id(value: str) -> int:
    """A row id from a URL; 404 for anything else."""
    if not value.isdigit():
        abort(404)
    return int(value)


@bp.app_template_filter("money")
def _money(cents: int) -> str:
    return seed_data.money(int(cents))


@bp.app_context_processor
def _theme() -> dict[str, Any]:
    """Dark mode is a setting the account pages honour (a visible effect of saving it)."""
    if request.blueprint != "account":
        return {"dark": False}
    return {"dark": records.settings(db()).get("dark_mode") == "1"}


@bp.get("")
def dashboard() -> str:
    """Balance, order figures and shortcuts."""
    s = records.settings(db())
    counts = {r["status"]: r["n"] for r in records.query(
        db(), "SELECT status, COUNT(*) AS n FROM orders GROUP BY status")}
    return render_template("account/dashboard.html", s=s, counts=counts,
                           total=sum(counts.values()), balance=int(s.get("balance_cents", "0")),
                           customers=records.query(db(), "SELECT COUNT(*) AS n FROM customers")[0]["n"])


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Any:
    """Toggles and two selects, saved together."""
    if request.method == "POST":
        values = {k: "1" if k in request.form else "0" for k in seed_data.TOGGLES}
        language = request.form.get("language", "")
        timezone = request.form.get("timezone", "")
        if language not in seed_data.LANGUAGES or timezone not in seed_data.TIMEZONES:
            abort(400)
        values |= {"language": language, "timezone": timezone}
        diff = records.save_settings(db(), "settings", values)
        flash("Settings saved." if diff else "No changes to save.")
        return redirect(url_for("account.settings"), code=303)
    return render_template("account/settings.html", s=records.settings(db()),
                           toggles=seed_data.TOGGLES, languages=seed_data.LANGUAGES,
                           timezones=seed_data.TIMEZONES)


def _profile_errors(values: dict[str, str]) -> list[str]:
    errors = []
    if not values["display_name"]:
        errors.append("Please enter a display name.")
    local, _, domain = values["profile_email"].partition("@")
    if not local or "." not in domain:
        errors.append("Please enter a valid email address.")
    if values["phone"] and not all(c.isdigit() or c in "+-() " for c in values["phone"]):
        errors.append("A phone number may only contain digits, spaces and + - ( ).")
    return errors


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> Any:
    """Display name, email and phone of the signed-in user."""
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip()
                  for k in ("display_name", "profile_email", "phone")}
        errors = _profile_errors(values)
        if errors:
            return render_template("account/profile.html", v=values, errors=errors), 400
        diff = records.save_settings(db(), "profile", values)
        flash("Profile updated." if diff else "No changes to save.")
        return redirect(url_for("account.profile"), code=303)
    return render_template("account/profile.html", v=records.settings(db()), errors=[])


from . import customers, orders  # noqa: E402,F401 - they add their routes to ``bp``
