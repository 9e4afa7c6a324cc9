"""Shared fixtures: one headless Chromium per session, a fresh page per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import CHROMIUM_ARGS, chromium_path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.page_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``calls(cls, name)``: a list that grows by one at each call of that method (still run)."""

    def watch(cls: type, name: str) -> list[int]:
        seen: list[int] = []
        real = getattr(cls, name)

        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(1)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, counted)
        return seen

    return watch
