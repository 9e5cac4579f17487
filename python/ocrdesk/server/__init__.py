"""The Open API server (Litestar). Build it with :func:`ocrdesk.server.app.create_app`."""
