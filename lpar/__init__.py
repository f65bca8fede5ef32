"""Reaching LPARs: the inventory, SSH sessions, the four-stage run engine and reattach."""
