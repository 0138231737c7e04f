"""az's prefix matching of long options: ``--deployment`` for ``--deployment-name``, ``--out``.

az parses with argparse, which takes any unambiguous prefix of a long option (the examples'
``az ml online-endpoint invoke --deployment blue``); click takes only whole names. Nothing is
done on the normal path: when click refuses an option it does not know, the command it was
parsing for names its options, and a prefix of exactly one of them is written out in full and
the line parsed again (before any command ran: click refuses while parsing).
"""

from __future__ import annotations

from basin.errors import ValidationError

__all__ = ["expand"]


def expand(error: Exception, argv: list[str]) -> list[str] | None:
    """``argv`` with the option click refused written out in full; None when ``error`` is not an
    unknown long option or no option starts with it; a ValidationError naming the candidates
    when several do (as argparse's "ambiguous option")."""
    given = getattr(error, "option_name", None)
    ctx = getattr(error, "ctx", None)
    if type(error).__name__ != "NoSuchOption" or not isinstance(given, str) or ctx is None:
        return None
    if not given.startswith("--") or len(given) < 3:
        return None
    names = sorted(
        {
            name
            for param in getattr(ctx.command, "params", [])
            for name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
            if name.startswith("--")
        }
    )
    matches = [name for name in names if name.startswith(given)]
    if not matches:
        return None
    if len(matches) > 1:
        raise ValidationError(f"ambiguous option: {given} could match {', '.join(matches)}")
    return _replaced(argv, given, matches[0])


def _replaced(argv: list[str], given: str, full: str) -> list[str] | None:
    for index, token in enumerate(argv):
        if token == given or token.startswith(given + "="):
            return [*argv[:index], full + token[len(given) :], *argv[index + 1 :]]
    return None
