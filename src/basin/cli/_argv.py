"""az's command-line grammar, applied to argv before typer parses it.

typer (click) takes one value per flag and global flags only before the command; az takes
``--set a=1 b=2`` (several values after one flag), ``--add path k=v k2=v2`` (a path and its
values), global flags anywhere (``--only-show-errors``, ``--debug``), and applies ``--set``,
``--add`` and ``--remove`` in the order given. ``prepare`` rewrites argv into what typer
parses (one value per flag) and returns what typer cannot keep: the global flags and the
ordered generic-update operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GENERIC_UPDATE", "MULTI_VALUE", "Prepared", "prepare"]

#: Flags that take one or more space-separated values, as in az (``nargs='+'``).
MULTI_VALUE = (
    "--set",
    "--add",
    "--remove",
    "--ids",
    "--tags",
    "--defaults",
    "--secret-permissions",
    "--scopes",
)
#: az's generic update arguments, applied in the order given.
GENERIC_UPDATE = ("--set", "--add", "--remove")
#: Global flags az takes anywhere on the line (``--subscription`` takes a value).
GLOBAL_FLAGS = ("--only-show-errors", "--debug", "--verbose")
GLOBAL_WITH_VALUE = ("--subscription",)


@dataclass
class Prepared:
    argv: list[str]
    #: ``[(flag, [values...]), ...]`` for --set/--add/--remove, in command-line order.
    generic: list[tuple[str, list[str]]] = field(default_factory=list)
    only_show_errors: bool = False
    debug: bool = False
    subscription: str | None = None


def _is_flag(arg: str) -> bool:
    # "-1" or "-0.5" are values (a negative number), not flags.
    return arg.startswith("-") and len(arg) > 1 and not arg[1:2].isdigit()


def prepare(argv: list[str]) -> Prepared:
    """``--set a=1 b=2`` -> ``--set a=1 --set b=2``; global flags taken out wherever they are."""
    prepared = Prepared([])
    out = prepared.argv
    empty: list[str] = []  # multi-value flags given no value: typer will say so
    current: list[str] | None = None  # the values of the multi-value flag being read
    current_flag = ""

    def close() -> None:
        nonlocal current
        if current is not None and not current:
            empty.append(current_flag)
        current = None

    args = iter(argv)
    for arg in args:
        if arg == "--":  # everything after is literal
            close()
            out.append(arg)
            out.extend(args)
            break
        flag, eq, inline = arg.partition("=")
        if not _is_flag(arg):
            if current is not None:
                current.append(arg)
                out.extend((current_flag, arg))
            else:
                out.append(arg)
            continue
        close()
        if flag in GLOBAL_FLAGS and not eq:
            prepared.only_show_errors |= flag == "--only-show-errors"
            prepared.debug |= flag == "--debug"
        elif flag in GLOBAL_WITH_VALUE:
            prepared.subscription = inline if eq else next(args, None)
        elif flag in MULTI_VALUE:
            current_flag, current = flag, []
            if flag in GENERIC_UPDATE:
                prepared.generic.append((flag, current))
            if eq:  # --set=a=1
                current.append(inline)
                out.extend((flag, inline))
        else:
            out.append(arg)
    close()
    out.extend(empty)
    return prepared
