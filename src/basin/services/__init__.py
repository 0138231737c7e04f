"""The use cases: verbs on nouns (``workspaces.create``, ``groups.delete``), over the back ends."""
