"""The dashboard's files: one page, a script and a style sheet, served by the admin API (``GET /_mockingjob/``).

No build step, nothing fetched from elsewhere: the page reads everything from the admin API (same origin), and
renders what it reads as text, never as markup.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

__all__ = ["HEADERS", "asset", "page"]

_MEDIA_TYPES = {"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}

HEADERS = {
    # Only our own script, style sheet and API: nothing inline, nothing from elsewhere. Never framed, so that no
    # other site can lay the page's buttons under its own (clickjacking).
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
"""The headers of the page and its files."""


@cache
def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def page(admin_path: str) -> str:
    """The page, for the admin API at `admin_path` (``/_mockingjob``, or under a proxy's root path)."""
    home = admin_path.rsplit("/", 1)[0] + "/"
    return (_read("index.html").replace("%ADMIN%", html.escape(admin_path, quote=True))
            .replace("%HOME%", html.escape(home, quote=True)))


def asset(name: str) -> tuple[str, str]:
    """The text of the dashboard's file `name` (``dashboard.js``, ``dashboard.css``) and its media type."""
    media_type = _MEDIA_TYPES[name]  # only these: never a path taken from the request
    return _read(name), media_type
