"""Helpers the core's tests share: fake installed plugins, toy cards, the rendered template."""
