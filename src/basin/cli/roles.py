"""``basin role definition list`` and ``basin role assignment create|list|delete`` (as ``az role``)."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit
from basin.errors import ValidationError

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
definition_app = typer.Typer(
    help="Role definitions (built in).", no_args_is_help=True, rich_markup_mode=None
)
assignment_app = typer.Typer(help="Role assignments.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(definition_app, name="definition")
app.add_typer(assignment_app, name="assignment")

Role = Annotated[str | None, typer.Option("--role", help="Role name or id.")]
Scope = Annotated[
    str | None, typer.Option("--scope", help="Resource id the assignment applies to.")
]


@definition_app.command("list")
def definition_list(
    name: Annotated[str | None, typer.Option("--name", "-n", help="Role name or id.")] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List the built-in role definitions (or one)."""
    emit(_context.client().role_definitions.list(name), output, query)


@assignment_app.command("create")
def assignment_create(
    role: Annotated[str, typer.Option("--role", help="Role name or id.")],
    scope: Annotated[str, typer.Option("--scope", help="Resource id.")],
    assignee_object_id: Annotated[
        str | None, typer.Option("--assignee-object-id", help="principalId.")
    ] = None,
    assignee: Annotated[
        str | None,
        typer.Option("--assignee", help="Object id, app id, or name of the principal."),
    ] = None,
    assignee_principal_type: Annotated[
        str | None, typer.Option("--assignee-principal-type", help="User or ServicePrincipal.")
    ] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Assign a role to a principal at a scope (and everything below it); the same
    assignment again returns the existing one, as az does."""
    if not (assignee_object_id or assignee):
        raise ValidationError("(--assignee | --assignee-object-id) is required.")
    ops = _context.client().role_assignments
    created = ops.create(
        assignee_object_id,
        role,
        scope,
        assignee_principal_type=assignee_principal_type,
        assignee=assignee,
    )
    emit(created.to_dict(), output, query)


@assignment_app.command("list")
def assignment_list(
    assignee: Annotated[str | None, typer.Option("--assignee", help="Object id or app id.")] = None,
    scope: Scope = None,
    role: Role = None,
    all_: Annotated[bool, typer.Option("--all", help="Assignments at every scope.")] = False,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List role assignments (subscription-scope ones unless --all, --assignee or --scope)."""
    found = _context.client().role_assignments.list(
        assignee=assignee, scope=scope, role=role, all=all_
    )
    emit([a.to_dict() for a in found], output, query)


@assignment_app.command("delete")
def assignment_delete(
    ids: Annotated[list[str] | None, typer.Option("--ids", help="Assignment ids.")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee", help="Object id or app id.")] = None,
    role: Role = None,
    scope: Scope = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete assignments by id, or those matching --assignee/--role/--scope."""
    ops = _context.client().role_assignments
    if not ids:
        if not (assignee or role or scope):
            raise ValidationError("Give --ids, or at least one of --assignee, --role, --scope.")
        ids = [a.id for a in ops.list(assignee=assignee, role=role, scope=scope, all=True) if a.id]
        if not ids:
            raise ValidationError("No role assignment matches --assignee/--role/--scope.")
    for assignment_id in ids:
        ops.delete(assignment_id)
