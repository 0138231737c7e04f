"""Benchmark scoring script: echo the JSON body back (measures the server, not the model)."""

import json


def init():
    pass


def run(raw_data):
    return json.loads(raw_data)
