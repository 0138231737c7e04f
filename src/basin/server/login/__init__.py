"""Entra ID's token endpoints as basin answers them (``login.microsoftonline.com``)."""

from basin.server.login.app import AUTHORITY, create_login_app

__all__ = ["AUTHORITY", "create_login_app"]
