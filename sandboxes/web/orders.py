"""Orders in the account area: a searchable, paginated table, edit, delete, a 3-step new order.

The table is where reading tasks happen ("what is the total of order 1023?"):
search (order number, customer or product), a status filter and ten rows per
page, so a value may sit on a later page. The new-order wizard carries its
earlier steps in hidden fields, like the signup flow, and validates each step.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from . import records, seed_data
from .account import PAGE_SIZE, bp, db, int_id, page_number, paginate

_ORDER_SQL = ("SELECT o.*, c.name AS customer FROM orders o JOIN customers c "
              "ON c.id = o.customer_id")


def _search(q: str, status: str) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if q:
        number = q.lstrip("#").strip()
        if number.isdigit():
            where.append("o.id = ?")
            params.append(int(number))
        else:
            where.append("(c.name LIKE ? OR o.product LIKE ?)")
            params += [f"%{q}%", f"%{q}%"]
    if status in seed_data.STATUSES:
        where.append("o.status = ?")
        params.append(status)
    return (" WHERE " + " AND ".join(where)) if where else "", params


@bp.get("/orders")
def order_list() -> str:
    """Newest orders first, ten a page."""
    q, status = request.args.get("q", "").strip(), request.args.get("status", "")
    where, params = _search(q, status)
    total = records.query(db(), f"SELECT COUNT(*) AS n FROM orders o JOIN customers c "
                                f"ON c.id = o.customer_id{where}", tuple(params))[0]["n"]
    pg = paginate(total, page_number())
    rows = records.query(db(), f"{_ORDER_SQL}{where} ORDER BY o.id DESC LIMIT ? OFFSET ?",
                         (*params, PAGE_SIZE, pg["offset"]))
    query = {k: v for k, v in (("q", q), ("status", status)) if v}
    return render_template("account/orders.html", rows=rows, pg=pg, q=q, status=status,
                           statuses=seed_data.STATUSES, query=query)


def _order(order_id: int) -> dict[str, Any]:
    rows = records.query(db(), f"{_ORDER_SQL} WHERE o.id = ?", (order_id,))
    if not rows:
        abort(404)
    return rows[0]


@bp.route("/orders/<order_id>", methods=["GET", "POST"])
def order_detail(order_id: str) -> Any:
    """Show one order; its status and note can be changed."""
    order = _order(int_id(order_id))
    if request.method == "POST":
        status = request.form.get("status", "")
        if status not in seed_data.STATUSES:
            abort(400)
        note = request.form.get("note", "").replace("\r\n", "\n").strip()
        diff = records.update(db(), "orders", "order", order["id"], {"status": status, "note": note})
        flash(f"Order #{order['id']} saved." if diff else "No changes to save.")
        return redirect(url_for("account.order_detail", order_id=order["id"]), code=303)
    return render_template("account/order.html", o=order, statuses=seed_data.STATUSES)


@bp.route("/orders/<order_id>/delete", methods=["GET", "POST"])
def order_delete(order_id: str) -> Any:
    """Ask first; delete on the confirming POST."""
    order = _order(int_id(order_id))
    if request.method == "POST":
        records.delete(db(), "orders", "order", order["id"])
        flash(f"Order #{order['id']} deleted.")
        return redirect(url_for("account.order_list"), code=303)
    return render_template("account/confirm_delete.html", what=f"order #{order['id']}",
                           detail=f"{order['product']} for {order['customer']}",
                           cancel=url_for("account.order_detail", order_id=order["id"]))


def _customer_id(name: str) -> int | None:
    rows = records.query(db(), "SELECT id FROM customers WHERE lower(name) = lower(?)", (name,))
    return rows[0]["id"] if rows else None


def _wizard_values() -> dict[str, str]:
    return {k: request.form.get(k, "").strip()
            for k in ("customer", "product", "quantity", "shipping", "gift_wrap")}


def _step_errors(v: dict[str, str], step: int) -> list[str]:
    errors = []
    if _customer_id(v["customer"]) is None:
        errors.append(f"No customer is named {v['customer']}." if v["customer"]
                      else "Please enter the customer's name.")
    if v["product"] not in seed_data.PRODUCTS:
        errors.append("Please choose a product.")
    if step >= 2:
        if not (v["quantity"].isdigit() and 1 <= int(v["quantity"]) <= 20):
            errors.append("Quantity must be a whole number from 1 to 20.")
        if v["shipping"] not in seed_data.SHIPPING:
            errors.append("Please choose a shipping method.")
    return errors


@bp.route("/orders/new", methods=["GET", "POST"])
def order_new() -> Any:
    """Step 1 (customer, product) -> step 2 (quantity, shipping) -> step 3 (review)."""
    v = _wizard_values()
    step = int(request.form.get("step", "1")) if request.method == "POST" else 0
    products = sorted(seed_data.PRODUCTS)
    if step == 0:
        return render_template("account/order_new1.html", v=v, errors=[], products=products)
    errors = _step_errors(v, step)
    if errors:
        back = "account/order_new1.html" if step == 1 or _step_errors(v, 1) else \
            "account/order_new2.html"
        return render_template(back, v=v, errors=errors, products=products,
                               shipping=seed_data.SHIPPING), 400
    if step == 1:
        return render_template("account/order_new2.html", v=v, errors=[],
                               shipping=seed_data.SHIPPING)
    total = seed_data.PRODUCTS[v["product"]] * int(v["quantity"])
    return render_template("account/order_new3.html", v=v, total=total)


@bp.post("/orders/new/place")
def order_place() -> Any:
    """Create the reviewed order (validated again: hidden fields are user input)."""
    v = _wizard_values()
    if _step_errors(v, 2):
        return redirect(url_for("account.order_new"), code=303)
    customer_id = _customer_id(v["customer"])
    last = records.query(db(), "SELECT MAX(placed_on) AS d FROM orders")[0]["d"] or "2026-12-01"
    order_id = records.create(db(), "orders", "order", {
        "customer_id": customer_id, "product": v["product"], "quantity": int(v["quantity"]),
        "total_cents": seed_data.PRODUCTS[v["product"]] * int(v["quantity"]), "status": "Pending",
        "shipping": v["shipping"], "gift_wrap": int(v["gift_wrap"] == "1"), "note": "",
        "placed_on": last,
    })
    flash(f"Order #{order_id} placed.")
    return redirect(url_for("account.order_detail", order_id=order_id), code=303)
