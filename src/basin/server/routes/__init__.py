"""Management API routes: thin handlers that parse, call one service function and serialise."""
