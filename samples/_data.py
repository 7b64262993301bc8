"""Static tables for the sample generator: countries, phone plans, e-mail domains, catalogue, user agents.

Everything random is drawn by the generator from its seeded RNG; this module only holds fixed lists.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: country -> (Faker locale, weight, currency, fx from USD, calling code, Zendesk time zone, IANA zone, locale tag)
COUNTRIES: dict[str, tuple[str, float, str, float, str, str, str, str]] = {
    "US": ("en_US", 0.45, "USD", 1.00, "1", "Pacific Time (US & Canada)", "America/Los_Angeles", "en-US"),
    "GB": ("en_GB", 0.17, "GBP", 0.79, "44", "London", "Europe/London", "en-GB"),
    "DE": ("de_DE", 0.17, "EUR", 0.92, "49", "Berlin", "Europe/Berlin", "de"),
    "FR": ("fr_FR", 0.11, "EUR", 0.92, "33", "Paris", "Europe/Paris", "fr"),
    "NL": ("nl_NL", 0.10, "EUR", 0.92, "31", "Amsterdam", "Europe/Amsterdam", "nl"),
}

#: Area codes (national significant number prefix) and subscriber-number length per country.
PHONE_PLANS: dict[str, list[tuple[str, int]]] = {
    "US": [(a, 7) for a in ("212", "213", "305", "312", "415", "503", "512", "617", "646", "702", "713", "718",
                            "206", "303", "404", "602", "619", "650", "720", "773", "808", "917", "978", "925")],
    "GB": [("20", 8), ("161", 7), ("121", 7), ("113", 7), ("131", 7), ("7700", 6), ("7911", 6), ("7400", 6)],
    "DE": [("30", 8), ("40", 7), ("89", 7), ("69", 7), ("221", 7), ("151", 8), ("160", 8), ("170", 8), ("176", 8)],
    "FR": [("1", 8), ("2", 8), ("3", 8), ("4", 8), ("5", 8), ("6", 8), ("7", 8)],
    "NL": [("20", 7), ("10", 7), ("30", 7), ("70", 7), ("6", 8)],
}

#: Personal e-mail providers per country (weighted by repetition).
EMAIL_DOMAINS: dict[str, list[str]] = {
    "US": ["gmail.com"] * 5 + ["yahoo.com"] * 2 + ["outlook.com", "hotmail.com", "icloud.com", "aol.com", "comcast.net"],
    "GB": ["gmail.com"] * 4 + ["hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "outlook.com", "sky.com"],
    "DE": ["gmail.com"] * 3 + ["web.de"] * 2 + ["gmx.de"] * 2 + ["t-online.de", "gmx.net", "outlook.de"],
    "FR": ["gmail.com"] * 4 + ["orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr"],
    "NL": ["gmail.com"] * 4 + ["ziggo.nl", "hotmail.nl", "kpnmail.nl", "outlook.com", "live.nl"],
}

#: Identifiers people type when they do not want to give theirs; shared by unrelated people.
JUNK_EMAILS = ["test@test.com", "noemail@example.com", "none@none.com", "no@email.com"]
JUNK_PHONES = ["0000000000", "n/a", "none", "000-000-0000", "1234567890"]

#: Street-type abbreviations (regex on a whole word or a word ending) -> replacement.
STREET_ABBREVIATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bStreet\b"), "St"),
    (re.compile(r"\bAvenue\b"), "Ave"),
    (re.compile(r"\bRoad\b"), "Rd"),
    (re.compile(r"\bDrive\b"), "Dr"),
    (re.compile(r"\bLane\b"), "Ln"),
    (re.compile(r"\bBoulevard\b"), "Blvd"),
    (re.compile(r"\bCourt\b"), "Ct"),
    (re.compile(r"\bPlace\b"), "Pl"),
    (re.compile(r"straße\b"), "str."),
    (re.compile(r"\bStraße\b"), "Str."),
    (re.compile(r"\bPlatz\b"), "Pl."),
    (re.compile(r"\bavenue\b"), "av."),
    (re.compile(r"\bboulevard\b"), "bd"),
    (re.compile(r"\brue\b"), "r."),
    (re.compile(r"\bplace\b"), "pl."),
    (re.compile(r"straat\b"), "str."),
    (re.compile(r"laan\b"), "ln."),
]

US_GB_STREET_TYPES = ["Street", "Street", "Avenue", "Road", "Road", "Lane", "Drive", "Court", "Place", "Boulevard"]

CATEGORIES: dict[str, tuple[list[str], float, float]] = {
    # category: (nouns, min price, max price) in USD
    "Apparel": (["T-Shirt", "Hoodie", "Jacket", "Jeans", "Sweater", "Dress", "Scarf", "Cap"], 12, 160),
    "Footwear": (["Sneakers", "Boots", "Sandals", "Running Shoes", "Loafers"], 35, 220),
    "Electronics": (["Headphones", "Speaker", "Charger", "Smartwatch", "Power Bank", "Keyboard", "Webcam"], 15, 350),
    "Home & Kitchen": (["Mug", "Kettle", "Knife Set", "Blender", "Pan", "Lamp", "Cushion", "Towel Set"], 8, 180),
    "Beauty": (["Moisturizer", "Shampoo", "Perfume", "Lip Balm", "Face Mask", "Serum"], 5, 120),
    "Outdoor": (["Tent", "Backpack", "Water Bottle", "Sleeping Bag", "Headlamp", "Rain Jacket"], 10, 400),
    "Books": (["Cookbook", "Novel", "Travel Guide", "Notebook", "Planner"], 6, 45),
    "Toys": (["Puzzle", "Board Game", "Building Set", "Plush Bear", "Kite"], 9, 90),
}
ADJECTIVES = ["Classic", "Everyday", "Premium", "Eco", "Urban", "Alpine", "Coastal", "Nordic", "Vintage", "Pro",
              "Essential", "Lightweight", "Deluxe", "Organic", "Compact"]

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
]
# E-mail clients as SendGrid reports them on opens and clicks.
MAIL_USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
]

REFERRERS = ["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/", "https://www.facebook.com/",
             "https://www.instagram.com/", "https://t.co/", "", "", ""]
UTM_CAMPAIGNS = [
    ("autumn_sale", "google", "cpc", "winter jacket", "ad_a"),
    ("autumn_sale", "facebook", "paid_social", None, "carousel"),
    ("newsletter_weekly", "sendgrid", "email", None, "hero"),
    ("brand", "google", "cpc", "c360 shop", None),
    ("retargeting", "instagram", "paid_social", None, "story"),
    ("black_friday_teaser", "sendgrid", "email", None, "cta"),
]

SUPPORT_TOPICS = [
    # (type, subject template, tags, description)
    ("question", "Where is my order #{order}?", ["order", "shipping"], "Hi, my order #{order} has not arrived yet. Can you check the status?"),
    ("incident", "Item arrived damaged", ["damaged", "order"], "The item in order #{order} arrived broken. What can I do?"),
    ("question", "How do I return an item?", ["returns"], "I would like to return something I bought. How does it work?"),
    ("problem", "Refund not received", ["refund", "billing"], "I returned my order #{order} two weeks ago and still have no refund."),
    ("question", "Change my delivery address", ["account", "shipping"], "Please change the delivery address of my order."),
    ("incident", "Cannot log in to my account", ["account", "login"], "The password reset e-mail never arrives."),
    ("task", "Cancel my order", ["order", "cancellation"], "Please cancel order #{order}, I ordered by mistake."),
    (None, "Question about sizes", ["product"], "Does the jacket run small? I usually wear M."),
    ("question", "Unsubscribe me from the newsletter", ["newsletter"], "Please stop sending me marketing e-mails."),
    ("problem", "Charged twice", ["billing", "payment"], "My card was charged twice for order #{order}."),
]
GOOD_COMMENTS = ["Thanks, quick and helpful!", "Great service", "Problem solved, thank you", "", "", "Very friendly agent"]
BAD_REASONS = [
    (7, "The issue took too long to resolve"),
    (6, "The issue was not resolved"),
    (8, "The agent's knowledge is unsatisfactory"),
    (9, "The agent's attitude was unsatisfactory"),
    (5, "Some other reason"),
]
BAD_COMMENTS = ["Still waiting for my refund", "Nobody answered for days", "Not helpful", "", "The answer did not help"]

BOUNCE_REASONS = [
    ("550 5.1.1 The email account that you tried to reach does not exist.", "5.1.1", "Invalid Address", "bounce"),
    ("552 5.2.2 The email account that you tried to reach is over quota.", "5.2.2", "Mailbox Unavailable", "bounce"),
    ("550 5.7.1 Message rejected due to content restrictions", "5.7.1", "Content", "blocked"),
    ("554 5.7.1 Service unavailable; Client host blocked using Spamhaus", "5.7.1", "Reputation", "blocked"),
]


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only, the way people build e-mail local parts from names."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("Ø", "o").replace("æ", "ae").replace("œ", "oe")
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


@lru_cache(maxsize=1)
def nicknames() -> dict[str, list[str]]:
    """Formal first name -> nicknames, from the shipped _nicknames.csv."""
    table: dict[str, list[str]] = {}
    with open(HERE / "_nicknames.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            table.setdefault(row["name"], []).append(row["nickname"])
    return table


@lru_cache(maxsize=1)
def name_groups() -> dict[str, str]:
    """Any first name or nickname -> a group key, so 'Bill' and 'William' count as one name."""
    groups: dict[str, str] = {}
    for name, nicks in nicknames().items():
        key = groups.setdefault(name, name)
        for nick in nicks:
            groups.setdefault(nick, key)
    return groups
