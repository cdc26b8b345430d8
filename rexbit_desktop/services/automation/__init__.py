"""Automation: rules that react to order events, and signed outbound webhooks.

``events`` (emit, written with the order's transaction), ``rules`` (the rules as settings, the dry run),
``engine`` (running rules after the commit), ``webhooks`` (endpoints, the outbox, delivery).
"""
