"""az's argument grammar as basin parses it: argv rewriting, field paths, generic update."""

from __future__ import annotations

from typing import Any

import pytest

from basin.cli._argv import prepare
from basin.cli._generic import apply_generic_update
from basin.cli._output import OutputFormat, render
from basin.entities import apply_overrides, parse_overrides
from basin.entities._paths import split_path
from basin.errors import ValidationError


def test_several_values_after_one_flag_become_one_value_per_flag() -> None:
    got = prepare(
        [
            "online-deployment",
            "create",
            "--set",
            "a=1",
            "b=2",
            "-f",
            "x.yml",
            "--tags",
            "t=1",
            "u=2",
        ]
    )
    assert got.argv == [
        "online-deployment", "create", "--set", "a=1", "--set", "b=2", "-f", "x.yml",
        "--tags", "t=1", "--tags", "u=2",
    ]  # fmt: skip
    assert got.generic == [("--set", ["a=1", "b=2"])]


def test_generic_update_keeps_its_order_and_groups() -> None:
    got = prepare(
        [
            "x",
            "update",
            "--remove",
            "tags.a",
            "--set",
            "a=1",
            "--add",
            "list",
            "k=v",
            "k2=v2",
            "--set",
            "b=2",
        ]
    )
    assert got.generic == [
        ("--remove", ["tags.a"]),
        ("--set", ["a=1"]),
        ("--add", ["list", "k=v", "k2=v2"]),
        ("--set", ["b=2"]),
    ]


def test_global_flags_anywhere_are_taken_out() -> None:
    got = prepare(
        ["group", "list", "--only-show-errors", "--subscription", "s1", "-o", "tsv", "--debug"]
    )
    assert got.argv == ["group", "list", "-o", "tsv"]
    assert got.only_show_errors and got.debug and got.subscription == "s1"


def test_negative_numbers_are_values_and_a_bare_flag_is_left_for_typer() -> None:
    assert prepare(["--set", "a=1", "-5"]).generic == [("--set", ["a=1", "-5"])]
    assert prepare(["x", "--ids", "--yes"]).argv == ["x", "--yes", "--ids"]


def test_paths_with_indexes_and_filters() -> None:
    assert split_path("identity.user_assigned_identities[0].resource_id") == [
        "identity", "user_assigned_identities", 0, "resource_id",
    ]  # fmt: skip
    assert split_path("a[name=x].b") == ["a", ("name", "x"), "b"]
    with pytest.raises(ValidationError):
        split_path("a..b")
    with pytest.raises(ValidationError):
        split_path("a[zz]")


def test_set_on_create_makes_list_items_and_keeps_text_maps_as_text() -> None:
    data: dict[str, Any] = {"identity": {"type": "user_assigned"}}
    apply_overrides(
        data,
        [
            "identity.user_assigned_identities[0].resource_id=/x/y",
            "instance_count=3",
            "tags.a=1",
            "environment_variables.N=007",
        ],
    )
    assert data["identity"]["user_assigned_identities"] == [{"resource_id": "/x/y"}]
    assert data["instance_count"] == 3 and data["tags"] == {"a": "1"}
    assert data["environment_variables"] == {"N": "007"}
    assert parse_overrides(["a[name=x]=1"]) == [{"a[name=x]": 1}]  # '=' inside brackets


def test_generic_update_set_add_remove_as_az() -> None:
    data: dict[str, Any] = {"tags": {"a": "1"}, "items": [{"name": "x", "v": 1}], "n": 1}
    apply_generic_update(
        data,
        [
            ("--set", ["items[name=x].v=5", "n=2", "new.deep=true"]),
            ("--add", ["items", "name=y", "v=2", "plain"]),
            ("--add", ["fresh", "1"]),
            ("--remove", ["tags.a"]),
            ("--remove", ["items", "0"]),
        ],
    )
    assert data == {
        "tags": {},
        "items": [{"name": "y", "v": "2"}, "plain"],
        "n": 2,
        "new": {"deep": True},
        "fresh": [1],
    }


@pytest.mark.parametrize(
    ("operations", "words"),
    [
        ([("--set", ["items[3]=1"])], "Index 3 doesn't exist"),
        ([("--remove", ["nope"])], "Couldn't find 'nope'"),
        ([("--add", ["n", "1"])], "is not a list"),
        ([("--set", ["=1"])], "path.to.field=value"),
        ([("--remove", ["items", "x"])], "is not an index"),
    ],
)
def test_generic_update_errors_say_what_is_wrong(
    operations: list[tuple[str, list[str]]], words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        apply_generic_update({"items": [1], "n": 1}, operations)
    assert words in str(refused.value)


def test_force_string_keeps_text() -> None:
    data: dict[str, Any] = {}
    apply_generic_update(data, [("--set", ["a=3"])], force_string=True)
    assert data == {"a": "3"}


def test_table_keeps_one_line_per_row() -> None:
    text = render(
        [{"name": "a", "description": "one\ntwo"}, {"name": "b", "description": None}],
        OutputFormat.table,
    )
    assert text.splitlines() == [
        "Name  Description",
        "----  -----------",
        "a     one …",
        "b",
    ]


def test_abbreviated_long_options_are_written_out_as_argparse_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--na=blue`` and ``--se a=1 b=2`` (a multi-value flag, abbreviated) reach the command
    as ``--name=blue`` and ``--set a=1 --set b=2``."""
    from basin.cli import _context
    from basin.cli.main import main

    seen: dict[str, Any] = {}

    def fake_client(*_args: Any, **_kwargs: Any) -> Any:  # the first call to the server: stop
        seen["generic"] = _context._run["prepared"].generic
        raise ValidationError("stop")

    monkeypatch.setattr(_context, "client", fake_client)
    monkeypatch.setenv("BASIN_NO_PROGRESS", "1")
    code = main(["online-deployment", "update", "--na=blue", "-e", "ep", "-g", "rg", "-w",
                 "ws", "--se", "instance_count=2", "tags.a=1"])  # fmt: skip
    assert code == 1 and "stop" in capsys.readouterr().err
    assert seen["generic"] == [("--set", ["instance_count=2", "tags.a=1"])]
