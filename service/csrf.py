"""CSRF tokens for page forms: a random token in an HttpOnly, SameSite=Lax cookie, and the
same token in a hidden field of every form that changes something (double submit). Another
site can make a browser send the cookie, but cannot read it to fill in the field.

Templates write the field with ``{{ csrf_field() }}`` inside each ``<form method="post">``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

COOKIE = "schakel_csrf"
FIELD = "csrf_token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def same(sent: str, cookie: str) -> bool:
    return hmac.compare_digest(sent.encode(), cookie.encode())


@pass_context
def csrf_field(context: Any) -> Markup:
    """The hidden field with this visitor's token (set by the Csrf middleware)."""
    request = context["request"]
    token = request.scope.get("state", {}).get("csrf_token", "")
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(token)}">')
