"""A TestClient that submits page forms with the CSRF token, as a browser does."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient


class PageClient(TestClient):
    """A TestClient that submits page forms as a browser does: with the CSRF token the
    pages give (the hidden ``csrf_token`` field, from the ``schakel_csrf`` cookie)."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        path = httpx.URL(str(url)).path
        if (method.upper() in ("POST", "PUT", "PATCH", "DELETE")
                and not path.startswith("/api/") and kwargs.get("content") is None
                and kwargs.get("json") is None):
            token = self.cookies.get("schakel_csrf")
            if token is None:
                super().request("GET", "/inloggen")  # any page sets the cookie
                token = self.cookies.get("schakel_csrf")
            kwargs["data"] = {**(kwargs.get("data") or {}), "csrf_token": token}
        return super().request(method, url, *args, **kwargs)
