"""Fixtures of the /learn tests: one app on a migrated SQLite file, figures cached per session."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from scarwise.clinic import Settings, create_app

PAGES = ("", "/how", "/evidence", "/scars", "/clinic", "/costs")


@pytest.fixture(scope="session")
def learn_app(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("learn")
    app = create_app(Settings(database_url=f"sqlite:///{data / 'scarwise.db'}", data_dir=data,
                              secret_key="learn-test", argon2_time_cost=1, argon2_memory_kib=8,
                              argon2_parallelism=1, clinic_name="Clinic Test Riyadh",
                              clinic_colour="#003366"))
    yield app
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def client(learn_app) -> TestClient:
    return TestClient(learn_app)


class Page(HTMLParser):
    """What a test needs from a page: <data>, <time>, quotes, section of each, and the other text."""

    SKIP = {"data", "time", "q", "code", "style", "script", "title"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.data: list[dict] = []  # value, what, text, section
        self.quotes: list[dict] = []  # study, field, text
        self.times: list[str] = []
        self.codes: list[str] = []
        self.other: list[str] = []  # text outside data/time/q/code and the price-list source line
        self.attrs_of_html: dict = {}
        self.landmarks: list[str] = []
        self._stack: list[tuple[str, dict]] = []
        self._section: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.attrs_of_html = a
        if tag in ("header", "nav", "main", "footer"):
            self.landmarks.append(tag)
        if tag in ("br", "img", "meta", "link", "input"):
            return
        if tag == "section":
            self._section.append(a.get("id"))
        self._stack.append((tag, a))
        if tag == "data":
            self.data.append({"value": a["value"], "what": a["data-what"], "text": "",
                              "section": next((s for s in reversed(self._section) if s), None)})
        elif tag == "q":
            self.quotes.append({"study": a.get("data-study"), "field": a.get("data-field"), "text": ""})

    def handle_endtag(self, tag):
        if tag in ("br", "img", "meta", "link", "input"):
            return
        while self._stack:
            t, _ = self._stack.pop()
            if t == "section":
                self._section.pop()
            if t == tag:
                break

    def handle_data(self, text):
        tags = [t for t, _ in self._stack]
        classes = " ".join(a.get("class", "") for _, a in self._stack)
        if "data" in tags:
            self.data[-1]["text"] += text
        elif "q" in tags:
            self.quotes[-1]["text"] += text
        elif "time" in tags:
            self.times.append(text)
        elif "code" in tags:
            self.codes.append(text)
        elif not (self.SKIP & set(tags)) and "source" not in classes.split():
            self.other.append(text)


def stray_digits(page: Page) -> list[str]:
    """Digits in text outside <data>/<time>/<q>/<code>, after the fixed phrases "95%", "3D" and "CO2"."""
    text = re.sub(r"95\s?[%٪]|\b3D\b|\bCO2\b", "", " ".join(page.other))
    return re.findall(r"\S*[0-9٠-٩]\S*", text)
