"""Delivery: the Starlette app, its web and voice routes, templates, and the ``hotline`` command line.

Handlers here parse a request, call one ``intake`` service and render the answer (docs/design.md#architecture).
"""
