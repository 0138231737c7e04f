"""basin: a self-hosted machine-learning platform compatible with Azure ML v2."""
