"""basin studio: the web pages, served under ``/studio`` by the management API's process."""

from basin.studio.app import create_studio

__all__ = ["create_studio"]
