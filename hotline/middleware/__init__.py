"""ASGI middleware every request passes through: the access log that cannot hold an address (``access_log``),
request-body limits (``body_limit``), security headers (``security_headers``) and request metrics with the
``/metrics`` endpoint (``metrics``)."""
