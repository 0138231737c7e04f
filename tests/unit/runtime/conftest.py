"""Keep the runtime's logging set-up from leaking into other tests of the session."""

from __future__ import annotations

import builtins
import logging
import sys
from collections.abc import Iterator

import pytest

_LOGGERS = ("azmlinfsrv", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(autouse=True)
def _restore_logging_and_modules() -> Iterator[None]:
    saved = {
        name: (list(lg.handlers), lg.level, lg.propagate, lg.disabled)
        for name in _LOGGERS
        for lg in [logging.getLogger(name)]
    }
    modules = set(sys.modules)
    original_print = builtins.print
    yield
    builtins.print = original_print
    for name, (handlers, level, propagate, disabled) in saved.items():
        lg = logging.getLogger(name)
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled
    # Scripts loaded by the tests and the azureml.* shims are process-global.
    for name in set(sys.modules) - modules:
        if name == "entry_module" or name.startswith(("azureml", "real_score")):
            del sys.modules[name]
