"""The service: FastAPI app, routes, Dutch pages and the schakel CLI."""
