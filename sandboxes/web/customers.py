"""Customers in the account area: searchable, paginated list; add, edit, delete.

A customer who still has orders cannot be deleted (the page says why), the
kind of rule a careful agent must read instead of assuming success.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from . import records
from .account import PAGE_SIZE, bp, db, int_id, page_number, paginate

FIELDS = ("name", "email", "city", "company")


@bp.get("/customers")
def customer_list() -> str:
    """Alphabetical, ten a page, searchable by name, email, city or company."""
    q = request.args.get("q", "").strip()
    where = ""
    params: tuple[str, ...] = ()
    if q:
        where = " WHERE name LIKE ? OR email LIKE ? OR city LIKE ? OR company LIKE ?"
        params = (f"%{q}%",) * 4
    total = records.query(db(), f"SELECT COUNT(*) AS n FROM customers{where}", params)[0]["n"]
    pg = paginate(total, page_number())
    rows = records.query(db(), f"SELECT * FROM customers{where} ORDER BY name LIMIT ? OFFSET ?",
                         (*params, PAGE_SIZE, pg["offset"]))
    return render_template("account/customers.html", rows=rows, pg=pg, q=q,
                           query={"q": q} if q else {})


def _values() -> dict[str, str]:
    return {k: request.form.get(k, "").strip() for k in FIELDS}


def _errors(v: dict[str, str]) -> list[str]:
    errors = []
    if not v["name"]:
        errors.append("Please enter the customer's name.")
    local, _, domain = v["email"].partition("@")
    if not local or "." not in domain:
        errors.append("Please enter a valid email address.")
    return errors


@bp.route("/customers/new", methods=["GET", "POST"])
def customer_new() -> Any:
    """Add a customer."""
    if request.method == "GET":
        return render_template("account/customer_form.html", v={}, errors=[], new=True)
    v = _values()
    errors = _errors(v)
    if errors:
        return render_template("account/customer_form.html", v=v, errors=errors, new=True), 400
    records.create(db(), "customers", "customer", v)
    flash(f"Customer {v['name']} added.")
    return redirect(url_for("account.customer_list"), code=303)


def _customer(customer_id: int) -> dict[str, Any]:
    rows = records.query(db(), "SELECT * FROM customers WHERE id = ?", (customer_id,))
    if not rows:
        abort(404)
    return rows[0]


@bp.route("/customers/<customer_id>", methods=["GET", "POST"])
def customer_edit(customer_id: str) -> Any:
    """Edit a customer's fields."""
    c = _customer(int_id(customer_id))
    if request.method == "GET":
        return render_template("account/customer_form.html", v=c, errors=[], new=False)
    v = _values()
    errors = _errors(v)
    if errors:
        return render_template("account/customer_form.html", v=v | {"id": c["id"]},
                               errors=errors, new=False), 400
    diff = records.update(db(), "customers", "customer", c["id"], v)
    flash(f"Customer {v['name']} saved." if diff else "No changes to save.")
    return redirect(url_for("account.customer_list"), code=303)


@bp.route("/customers/<customer_id>/delete", methods=["GET", "POST"])
def customer_delete(customer_id: str) -> Any:
    """Ask first; refuse while the customer has orders."""
    c = _customer(int_id(customer_id))
    n = records.query(db(), "SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?",
                      (c["id"],))[0]["n"]
    blocked = f"{c['name']} has {n} order(s) and cannot be deleted." if n else ""
    if request.method == "POST" and not blocked:
        records.delete(db(), "customers", "customer", c["id"])
        flash(f"Customer {c['name']} deleted.")
        return redirect(url_for("account.customer_list"), code=303)
    return render_template("account/confirm_delete.html", what=f"customer {c['name']}",
                           detail=c["email"], blocked=blocked,
                           cancel=url_for("account.customer_edit", customer_id=c["id"])), \
        409 if blocked and request.method == "POST" else 200
