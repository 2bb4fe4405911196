"""The routers of the HTTP service; ``thinfile.api.app.V1_ROUTERS`` lists those under /v1."""
