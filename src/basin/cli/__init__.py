"""The ``basin`` command line: typer commands over the SDK, with az's verbs and flags."""
