"""Widgets of the main screen: the computers table, the per-computer tabs, dialogs, status line."""
