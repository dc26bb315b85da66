"""The sandbox's demo business data, the same on every start.

Evaluation tasks read values from these tables ("what is the total of order
1023?") and check edits against them in SQLite, so the data must never depend
on the clock or on the process: it is generated from fixed lists with a
``random.Random`` of a fixed seed, and the tests pin a few values.
"""

from __future__ import annotations

import random
from typing import Any

FIRST = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret",
         "Niklaus", "Radia", "Ken", "Dennis", "Katherine", "Tim", "Hedy", "Linus", "Sophie",
         "Claude", "Annie", "Guido", "Karen", "Bjarne", "Mary", "Leslie", "Shafi", "Adele",
         "Vint", "Jean", "Evelyn", "Carl", "Lynn", "Ivan", "Rosa", "Marco", "Yuki", "Omar",
         "Nadia", "Pablo", "Ingrid")
LAST = ("Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus",
        "Hamilton", "Wirth", "Perlman", "Thompson", "Ritchie", "Johnson", "Berners", "Lamarr",
        "Torvalds", "Wilson", "Shannon", "Easley", "Rossum", "Jones", "Stroustrup", "Keller",
        "Lamport", "Goldwasser", "Goldberg", "Cerf", "Sammet", "Berezin", "Sagan", "Conway",
        "Sutherland", "Franklin", "Rossi", "Tanaka", "Haddad", "Petrova", "Garcia", "Berg")
CITIES = ("London", "Paris", "Berlin", "Madrid", "Rome", "Vienna", "Oslo", "Lisbon", "Dublin",
          "Prague", "Zurich", "Amsterdam")
COMPANIES = ("Analytical Engines", "Bletchley Labs", "Cobol Works", "Shortest Path Ltd",
             "Substitution Inc", "TeX Press", "Fortran Forge", "Apollo Software",
             "Pascal Partners", "Spanning Tree Co")
#: Product name -> unit price in cents.
PRODUCTS = {
    "Desk Lamp": 3450, "Office Chair": 18900, "Standing Desk": 42900, "Monitor Arm": 7900,
    "Keyboard": 5900, "Wireless Mouse": 2900, "USB-C Hub": 4450, "Webcam": 6900,
}
STATUSES = ("Pending", "Shipped", "Delivered", "Cancelled")
SHIPPING = ("Standard", "Express")
LANGUAGES = ("English", "Deutsch", "Español", "Français", "Italiano")
TIMEZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
CUSTOMER_COUNT = 36
ORDER_COUNT = 57
FIRST_ORDER = 1001

#: Settings (and profile fields) with their initial values; booleans are "1"/"0".
DEFAULT_SETTINGS = {
    "email_notifications": "1", "sms_notifications": "0", "weekly_report": "1",
    "dark_mode": "0", "language": "English", "timezone": "UTC",
    "display_name": "Demo User", "profile_email": "demo@acme.test", "phone": "",
    "balance_cents": "128450",
}
TOGGLES = {
    "email_notifications": "Email notifications", "sms_notifications": "SMS notifications",
    "weekly_report": "Weekly report", "dark_mode": "Dark mode",
}


def customers() -> list[dict[str, Any]]:
    """Customers 1..36 with unique names; the last eight have no orders."""
    rng = random.Random(20261202)
    rows = []
    for i in range(CUSTOMER_COUNT):
        first, last = FIRST[i], LAST[i]
        rows.append({
            "id": i + 1, "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@example.org",
            "city": rng.choice(CITIES), "company": rng.choice(COMPANIES),
        })
    return rows


def orders() -> list[dict[str, Any]]:
    """Orders 1001..1057, dated through 2026, placed by customers 1..28."""
    rng = random.Random(1001)
    rows = []
    for n in range(ORDER_COUNT):
        product = rng.choice(sorted(PRODUCTS))
        quantity = rng.choice((1, 1, 1, 2, 2, 3, 4))
        month, day = 1 + n * 11 // ORDER_COUNT, 1 + (n * 7) % 28
        rows.append({
            "id": FIRST_ORDER + n, "customer_id": 1 + rng.randrange(CUSTOMER_COUNT - 8),
            "product": product, "quantity": quantity,
            "total_cents": PRODUCTS[product] * quantity,
            "status": rng.choices(STATUSES, weights=(3, 3, 5, 1))[0],
            "shipping": rng.choice(SHIPPING), "gift_wrap": int(rng.random() < 0.2), "note": "",
            "placed_on": f"2026-{month:02d}-{day:02d}",
        })
    return rows


def money(cents: int) -> str:
    """Cents as the pages show them: ``$1,284.50``."""
    return f"${cents / 100:,.2f}"
