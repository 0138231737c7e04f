"""``basin storage container …`` and ``basin storage blob …`` over the blob endpoint (shared key).

They use the stock azure-storage-blob client with the account's key, as ``az storage`` does with
``--auth-mode key``; nothing here reads the server's store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import Group, Output, Query
from basin.cli._output import OutputFormat, emit
from basin.errors import ConflictError, NotFoundError, PreconditionFailedError, ValidationError

container_app = typer.Typer(help="Blob containers.", no_args_is_help=True, rich_markup_mode=None)
blob_app = typer.Typer(help="Blobs.", no_args_is_help=True, rich_markup_mode=None)

#: az reads the account from AZURE_STORAGE_ACCOUNT when --account-name is not given.
Account = Annotated[
    str,
    typer.Option("--account-name", envvar="AZURE_STORAGE_ACCOUNT", help="Storage account."),
]
ContainerName = Annotated[str, typer.Option("--name", "-n", help="Container name.")]
InContainer = Annotated[str, typer.Option("--container-name", "-c", help="Container name.")]
BlobName = Annotated[str, typer.Option("--name", "-n", help="Blob name.")]
#: az's --auth-mode: both use the account's key here (the caller may read the key anyway).
AuthMode = Annotated[
    str | None, typer.Option("--auth-mode", help="key or login (both use the account key).")
]


def _service(account: str, group: str | None) -> Any:
    # Account names are unique: -g is never needed (and the configured default group is not
    # used to look for the account, which may live in another group).
    return _context.client().storage_accounts.get_blob_service_client(account, resource_group=group)


def _storage_errors(call: Any) -> Any:
    """Run ``call``, turning the SDK's exceptions into basin's (one line on the terminal)."""
    from azure.core.exceptions import (
        HttpResponseError,
        ResourceExistsError,
        ResourceModifiedError,
        ResourceNotFoundError,
    )

    try:
        return call()
    except ResourceNotFoundError as exc:
        raise NotFoundError(_first_line(exc)) from None
    except ResourceExistsError as exc:
        raise ConflictError(_first_line(exc)) from None
    except ResourceModifiedError as exc:
        raise PreconditionFailedError(_first_line(exc)) from None
    except HttpResponseError as exc:
        raise ValidationError(_first_line(exc)) from None


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc).splitlines()[0]


def _properties(props: Any) -> dict[str, Any]:
    settings = getattr(props, "content_settings", None)
    return {
        "name": props.name,
        "size": getattr(props, "size", None),
        "etag": props.etag,
        "lastModified": props.last_modified.isoformat() if props.last_modified else None,
        "contentType": getattr(settings, "content_type", None),
        "metadata": dict(props.metadata or {}),
    }


@container_app.command("create")
def container_create(
    name: ContainerName,
    account_name: Account,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
) -> None:
    """Create a container."""
    _storage_errors(lambda: _service(account_name, resource_group).create_container(name))
    emit({"created": True})


@container_app.command("show")
def container_show(
    name: ContainerName,
    account_name: Account,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a container's properties."""
    client = _service(account_name, resource_group).get_container_client(name)
    emit(_properties(_storage_errors(client.get_container_properties)), output, query)


@container_app.command("list")
def container_list(
    account_name: Account,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List containers."""
    service = _service(account_name, resource_group)
    emit(
        [_properties(c) for c in _storage_errors(lambda: list(service.list_containers()))],
        output,
        query,
    )


@container_app.command("delete")
def container_delete(
    name: ContainerName,
    account_name: Account,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
) -> None:
    """Delete a container and its blobs."""
    _storage_errors(lambda: _service(account_name, resource_group).delete_container(name))
    emit({"deleted": True})


@blob_app.command("upload")
def blob_upload(
    name: BlobName,
    container_name: InContainer,
    account_name: Account,
    file: Annotated[Path, typer.Option("--file", "-f", help="Local file.")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing blob.")
    ] = False,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Upload a file (refused if the blob exists, unless --overwrite)."""
    if not file.is_file():
        raise ValidationError(f"--file '{file}' is not a file.")
    client = _service(account_name, resource_group).get_blob_client(container_name, name)
    result = _upload_file(client, file, overwrite)
    emit(
        {"etag": result.get("etag"), "lastModified": str(result.get("last_modified"))},
        output,
        query,
    )


@blob_app.command("upload-batch")
def blob_upload_batch(
    destination: Annotated[
        str,
        typer.Option("--destination", "-d", help="Container, or container/folder to upload into."),
    ],
    source: Annotated[Path, typer.Option("--source", "-s", help="Local folder.")],
    account_name: Account,
    destination_path: Annotated[
        str | None, typer.Option("--destination-path", help="Folder in the container.")
    ] = None,
    pattern: Annotated[
        str | None, typer.Option("--pattern", help="Only files matching this glob, e.g. *.py.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace blobs that exist.")
    ] = False,
    dryrun: Annotated[bool, typer.Option("--dryrun", help="List what would be uploaded.")] = False,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Upload a folder's files, keeping their relative paths (az's upload-batch)."""
    container, _, folder = destination.strip("/").partition("/")
    prefix = "/".join(p.strip("/") for p in (folder, destination_path or "") if p.strip("/"))
    files = _batch_files(source, pattern)
    names = [f"{prefix}/{relative}" if prefix else relative for relative in files]
    service = _service(account_name, resource_group)
    uploaded = []
    for relative, name in zip(files, names, strict=True):
        client = service.get_blob_client(container, name)
        if dryrun:
            uploaded.append({"Blob": client.url, "Type": None, "Last Modified": None})
            continue
        try:
            result = _upload_file(client, source / relative, overwrite)
        except ConflictError as exc:
            raise ConflictError(f"{exc} ({name}; add --overwrite to replace it)") from None
        uploaded.append(
            {
                "Blob": client.url,
                "Last Modified": str(result.get("last_modified")),
                "eTag": result.get("etag"),
            }
        )
    emit(uploaded, output, query)


def _upload_file(client: Any, path: Path, overwrite: bool) -> Any:
    """One file to one blob (the SDK's answer: etag, last_modified), errors as basin's."""

    def upload() -> Any:
        with path.open("rb") as handle:
            return client.upload_blob(handle, overwrite=overwrite, max_concurrency=4)

    return _storage_errors(upload)


def _batch_files(source: Path, pattern: str | None) -> list[str]:
    """The files under ``source`` (relative, with '/'), those matching ``pattern`` if given."""
    if not source.is_dir():
        raise ValidationError(f"--source '{source}' is not a folder.")
    files = sorted(
        path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()
    )
    if pattern:
        import fnmatch

        files = [f for f in files if fnmatch.fnmatch(f, pattern)]
    if not files:
        raise ValidationError(
            f"Nothing to upload: --source '{source}' holds no files"
            + (f" matching --pattern '{pattern}'." if pattern else ".")
        )
    return files


@blob_app.command("download")
def blob_download(
    name: BlobName,
    container_name: InContainer,
    account_name: Account,
    file: Annotated[Path, typer.Option("--file", "-f", help="Where to write it.")],
    auth_mode: AuthMode = None,
    resource_group: Group = None,
) -> None:
    """Download a blob to a file."""
    client = _service(account_name, resource_group).get_blob_client(container_name, name)

    def download() -> None:
        stream = client.download_blob(max_concurrency=4)
        with file.open("wb") as handle:
            stream.readinto(handle)

    _storage_errors(download)
    emit({"file": str(file)})


@blob_app.command("list")
def blob_list(
    container_name: InContainer,
    account_name: Account,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Only names starting with it.")
    ] = None,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List blobs."""
    client = _service(account_name, resource_group).get_container_client(container_name)
    found = _storage_errors(lambda: list(client.list_blobs(name_starts_with=prefix)))
    emit([_properties(b) for b in found], output, query)


@blob_app.command("show")
def blob_show(
    name: BlobName,
    container_name: InContainer,
    account_name: Account,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a blob's properties."""
    client = _service(account_name, resource_group).get_blob_client(container_name, name)
    emit(_properties(_storage_errors(client.get_blob_properties)), output, query)


@blob_app.command("delete")
def blob_delete(
    name: BlobName,
    container_name: InContainer,
    account_name: Account,
    auth_mode: AuthMode = None,
    resource_group: Group = None,
) -> None:
    """Delete a blob."""
    _storage_errors(
        lambda: (
            _service(account_name, resource_group)
            .get_blob_client(container_name, name)
            .delete_blob()
        )
    )
    emit({"deleted": True})
