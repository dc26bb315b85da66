"""The web sandbox's account area: login required, table search and pages, edits recorded in SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from guiagent.sandboxes.web import create_app, records, seed_data


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "web.sqlite3"


@pytest.fixture()
def client(db: Path) -> FlaskClient:
    return create_app(db).test_client()


@pytest.fixture()
def signed_in(client: FlaskClient) -> FlaskClient:
    resp = client.post("/login", data={"username": "demo", "password": "demo123"})
    assert resp.status_code == 303
    return client


def sql(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def text(resp) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", resp.get_data(as_text=True)))


@pytest.mark.parametrize("path", ["/account", "/account/orders?page=2", "/account/customers",
                                  "/account/settings", "/account/orders/1007"])
def test_account_pages_require_login(client: FlaskClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")
    assert client.get(path.replace("/account", "/api/none")).status_code == 404


def test_login_returns_to_the_page_asked_for(client: FlaskClient) -> None:
    login_page = client.get("/login?next=/account/orders?page=2")
    assert 'name="next" value="/account/orders?page=2"' in login_page.get_data(as_text=True)
    resp = client.post("/login", data={"username": "demo", "password": "demo123",
                                       "next": "/account/orders?page=2"})
    assert resp.headers["Location"] == "/account/orders?page=2"
    assert "Page 2 of 6" in text(client.get("/account/orders?page=2"))
    # a foreign next is ignored (no open redirect)
    client.post("/logout")
    resp = client.post("/login", data={"username": "demo", "password": "demo123",
                                       "next": "//evil.example/x"})
    assert resp.headers["Location"] == "/welcome"


def test_seed_data_is_deterministic(db: Path, tmp_path: Path) -> None:
    create_app(db)
    other = tmp_path / "other.sqlite3"
    create_app(other)
    assert sql(db, "select * from orders order by id") == sql(other, "select * from orders order by id")
    assert sql(db, "select count(*) from orders") == [(57,)]
    assert sql(db, "select count(*) from customers") == [(36,)]
    # values the web suite's tasks depend on
    assert sql(db, "select c.name, o.total_cents, o.status from orders o join customers c "
                   "on c.id = o.customer_id where o.id = 1007") == [("Niklaus Wirth", 6900, "Shipped")]


def test_order_table_search_filter_and_pages(signed_in: FlaskClient) -> None:
    first = text(signed_in.get("/account/orders"))
    assert "Showing 1–10 of 57 orders" in first and "#1057" in first and "#1047" not in first
    last = text(signed_in.get("/account/orders?page=6"))
    assert "Showing 51–57 of 57 orders" in last and "#1001" in last and "Next" not in last
    found = text(signed_in.get("/account/orders?q=1023"))
    assert "Showing 1–1 of 1 orders" in found and "#1023" in found
    by_name = text(signed_in.get("/account/orders?q=Edsger"))
    assert "Edsger Dijkstra" in by_name and "Vint Cerf" not in by_name
    cancelled = signed_in.get("/account/orders?status=Cancelled")
    n = len(re.findall(r"<td>Cancelled</td>", cancelled.get_data(as_text=True)))
    assert f"of {n} orders" in text(cancelled)
    assert "No orders found." in text(signed_in.get("/account/orders?q=pizza"))
    assert "page=2&amp;status=Delivered" in signed_in.get(
        "/account/orders?status=Delivered").get_data(as_text=True)


def test_order_edit_and_delete_are_recorded(signed_in: FlaskClient, db: Path) -> None:
    resp = signed_in.post("/account/orders/1012", data={"status": "Cancelled", "note": "Customer called"})
    assert resp.status_code == 303
    assert "Order #1012 saved." in text(signed_in.get(resp.headers["Location"]))
    assert sql(db, "select status, note from orders where id = 1012") == [("Cancelled", "Customer called")]
    (entity, entity_id, action, detail), = sql(db, "select entity, entity_id, action, detail from changes")
    assert (entity, entity_id, action) == ("order", "1012", "update")
    assert json.loads(detail)["note"] == ["", "Customer called"]
    assert "Delete order #1031?" in text(signed_in.get("/account/orders/1031/delete"))
    assert sql(db, "select count(*) from orders where id = 1031") == [(1,)]  # asking deletes nothing
    signed_in.post("/account/orders/1031/delete")
    assert sql(db, "select count(*) from orders where id = 1031") == [(0,)]
    assert sql(db, "select action, entity_id from changes order by id") == [("update", "1012"),
                                                                          ("delete", "1031")]
    assert signed_in.get("/account/orders/1031").status_code == 404
    assert signed_in.post("/account/orders/1012", data={"status": "Lost"}).status_code == 400


def test_customer_add_edit_and_delete_rules(signed_in: FlaskClient, db: Path) -> None:
    resp = signed_in.post("/account/customers/new", data={"name": "Rear Admiral", "email": "bad"})
    assert resp.status_code == 400 and "valid email" in text(resp)
    signed_in.post("/account/customers/new", data={"name": "Kay Nygaard", "email": "kay@simula.no",
                                                   "city": "Oslo", "company": "Simula"})
    assert sql(db, "select id, city from customers where name = 'Kay Nygaard'") == [(37, "Oslo")]
    signed_in.post("/account/customers/2", data={"name": "Alan Turing", "email": "alan@bletchley.uk",
                                                 "city": "Manchester", "company": "Bletchley Labs"})
    assert sql(db, "select email, city from customers where id = 2") == [("alan@bletchley.uk", "Manchester")]
    blocked = signed_in.post("/account/customers/3/delete")  # Grace Hopper has orders
    assert blocked.status_code == 409 and "cannot be deleted" in text(blocked)
    signed_in.post("/account/customers/36/delete")
    assert sql(db, "select count(*) from customers where id = 36") == [(0,)]
    assert [a for a, in sql(db, "select action from changes order by id")] == ["create", "update", "delete"]
    page4 = text(signed_in.get("/account/customers?page=4"))
    assert "Showing 31–36 of 36 customers" in page4


def test_settings_and_profile_save(signed_in: FlaskClient, db: Path) -> None:
    form = {"email_notifications": "on", "sms_notifications": "on", "language": "Deutsch",
            "timezone": "Europe/Berlin"}
    resp = signed_in.post("/account/settings", data=form)
    assert "Settings saved." in text(signed_in.get(resp.headers["Location"]))
    assert dict(sql(db, "select key, value from settings where key in ('sms_notifications', "
                        "'weekly_report', 'language')")) == {
        "sms_notifications": "1", "weekly_report": "0", "language": "Deutsch"}
    signed_in.post("/account/settings", data=form | {"dark_mode": "on"})
    assert 'class="dark"' in signed_in.get("/account/settings").get_data(as_text=True)
    assert signed_in.post("/account/profile", data={"display_name": "", "profile_email": "x",
                                                    "phone": "abc"}).status_code == 400
    signed_in.post("/account/profile", data={"display_name": "Dana Demo", "profile_email": "dana@acme.test",
                                             "phone": "+44 20 7946 0000"})
    assert "Hello, Dana Demo" in text(signed_in.get("/account"))
    assert [e for e, in sql(db, "select entity from changes order by id")] == ["settings", "settings", "profile"]


def test_new_order_wizard_three_steps(signed_in: FlaskClient, db: Path) -> None:
    bad = signed_in.post("/account/orders/new", data={"step": "1", "customer": "Nobody", "product": "Webcam"})
    assert bad.status_code == 400 and "No customer is named Nobody." in text(bad)
    step2 = signed_in.post("/account/orders/new", data={"step": "1", "customer": "grace hopper",
                                                        "product": "Webcam"})
    assert "Step 2 of 3" in text(step2)
    step3 = signed_in.post("/account/orders/new", data={
        "step": "2", "customer": "grace hopper", "product": "Webcam", "quantity": "3",
        "shipping": "Express", "gift_wrap": "1"})
    assert "Step 3 of 3" in text(step3) and "$207.00" in text(step3)
    assert sql(db, "select count(*) from orders") == [(57,)]
    done = signed_in.post("/account/orders/new/place", data={
        "customer": "grace hopper", "product": "Webcam", "quantity": "3", "shipping": "Express",
        "gift_wrap": "1"})
    assert done.headers["Location"] == "/account/orders/1058"
    assert sql(db, "select customer_id, quantity, total_cents, status, shipping, gift_wrap from orders "
                   "where id = 1058") == [(3, 3, 20700, "Pending", "Express", 1)]


def test_reset_and_seed(client: FlaskClient, db: Path) -> None:
    client.post("/login", data={"username": "demo", "password": "demo123"})
    client.post("/account/orders/1031/delete")
    ok = client.post("/api/seed", json={"table": "orders", "rows": [
        {"id": 2001, "customer_id": 1, "product": "Keyboard", "quantity": 1, "total_cents": 5900,
         "status": "Pending", "placed_on": "2026-12-01"}]})
    assert ok.get_json() == {"ok": True, "ids": [2001]}
    bad = client.post("/api/seed", json={"table": "orders", "rows": [{"colour": "red"}]})
    assert bad.status_code == 400 and "unknown column(s) colour" in bad.get_json()["error"]
    assert client.post("/api/seed", json={"table": "users", "rows": []}).status_code == 400
    records.seed(db, "settings", [{"key": "language", "value": "Italiano"}])
    records.seed(db, "submissions", [{"form": "contact", "data": {"full_name": "Ada", "terms": True}}])
    assert client.get("/api/submissions?form=contact").get_json()[0]["data"] == {
        "full_name": "Ada", "terms": True}
    with pytest.raises(records.SeedError, match="refused by SQLite"):
        records.seed(db, "orders", [{"product": "Keyboard"}])  # required columns missing
    assert "Italiano" in text(client.get("/account"))
    assert client.post("/api/reset", json={}).get_json()["ok"] is True
    assert sql(db, "select count(*) from orders where id in (1031, 2001)") == [(1,)]
    assert sql(db, "select count(*) from changes") == [(0,)]
    assert sql(db, "select value from settings where key = 'language'") == [("English",)]
    assert seed_data.money(128450) == "$1,284.50"
