"""`scanverify serve`: a verification page for phones and an HTTP API (the ``serve`` extra).

    from scanverify.serve import ServeConfig, create_app
    app = create_app(ServeConfig(redact=True))     # any ASGI server: uvicorn, hypercorn, ...

Importing this package needs the extra (``pip install 'scanverify[serve]'``).
"""

from __future__ import annotations

from .app import ServeConfig, app_from_environment, create_app

__all__ = ["ServeConfig", "app_from_environment", "create_app"]
