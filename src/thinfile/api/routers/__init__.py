"""The routers of the HTTP service; ``thinfile.api.V1_ROUTERS`` lists those under /v1."""
