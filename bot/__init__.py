"""Slack: the app factory, listeners, Block Kit views, the status card, notifications; the CLI."""
