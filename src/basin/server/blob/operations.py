"""Which REST operation a request is, and what each one needs to be allowed.

| operation                          | bearer data action (any one)                 | service SAS | account SAS |
|------------------------------------|----------------------------------------------|-------------|-------------|
| ListContainers                     | containers/read                              | refused     | srt=s, l    |
| CreateContainer                    | containers/write                             | refused     | srt=c, c/w  |
| DeleteContainer                    | containers/delete                            | refused     | srt=c, d    |
| GetContainerProperties / metadata  | containers/read                              | sr=c, r     | srt=c, r    |
| SetContainerMetadata               | containers/write                             | sr=c, w     | srt=c, w    |
| ListBlobs                          | containers/blobs/read                        | sr=c, l     | srt=c, l    |
| GetBlob, GetBlobProperties,        | containers/blobs/read                        | r           | srt=o, r    |
|   GetBlobMetadata, GetBlockList    |                                              |             |             |
| PutBlob, PutBlockList              | blobs/write; also blobs/add/action when the  | w; also c   | srt=o, w;   |
|                                    |   request may only create (If-None-Match: *) |   likewise  |   also c    |
| PutBlock                           | blobs/write or blobs/add/action              | w or c      | srt=o, w/c  |
| SetBlobProperties, SetBlobMetadata | blobs/write                                  | w           | srt=o, w    |
| DeleteBlob                         | blobs/delete                                 | d           | srt=o, d    |

(data actions abbreviated: all start ``Microsoft.Storage/storageAccounts/blobServices/``; an
account SAS must also name the blob service, ``ss`` containing ``b``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from basin.blobs import access as a
from basin.server.blob._wire import BlobRequest
from basin.server.blob.errors import WireError

__all__ = ["Operation", "identify"]

Level = Literal["account", "container", "blob"]


@dataclass(frozen=True)
class Operation:
    name: str
    level: Level
    data_actions: tuple[str, ...]
    sas_permissions: str
    """Letters of which any one suffices with a service SAS; empty: not allowed with one."""
    account_sas_permissions: str
    """Letters of which any one suffices with an account SAS."""

    @property
    def account_resource_type(self) -> str:
        """The ``srt`` letter an account SAS needs: service, container or object."""
        return {"account": "s", "container": "c", "blob": "o"}[self.level]


def _op(
    name: str, level: Level, actions: tuple[str, ...], sas: str, account_sas: str | None = None
) -> Operation:
    return Operation(name, level, actions, sas, sas if account_sas is None else account_sas)


LIST_CONTAINERS = _op("ListContainers", "account", (a.CONTAINERS_READ,), "", "l")
CREATE_CONTAINER = _op("CreateContainer", "container", (a.CONTAINERS_WRITE,), "", "cw")
DELETE_CONTAINER = _op("DeleteContainer", "container", (a.CONTAINERS_DELETE,), "", "d")
GET_CONTAINER_PROPERTIES = _op("GetContainerProperties", "container", (a.CONTAINERS_READ,), "r")
SET_CONTAINER_METADATA = _op("SetContainerMetadata", "container", (a.CONTAINERS_WRITE,), "w")
LIST_BLOBS = _op("ListBlobs", "container", (a.BLOBS_READ,), "l")
GET_BLOB = _op("GetBlob", "blob", (a.BLOBS_READ,), "r")
GET_BLOB_PROPERTIES = _op("GetBlobProperties", "blob", (a.BLOBS_READ,), "r")
GET_BLOB_METADATA = _op("GetBlobMetadata", "blob", (a.BLOBS_READ,), "r")
GET_BLOCK_LIST = _op("GetBlockList", "blob", (a.BLOBS_READ,), "r")
PUT_BLOB = _op("PutBlob", "blob", (a.BLOBS_WRITE,), "w")
PUT_BLOB_CREATE_ONLY = _op("PutBlob", "blob", (a.BLOBS_WRITE, a.BLOBS_ADD), "wc")
PUT_BLOCK = _op("PutBlock", "blob", (a.BLOBS_WRITE, a.BLOBS_ADD), "wc")
PUT_BLOCK_LIST = _op("PutBlockList", "blob", (a.BLOBS_WRITE,), "w")
PUT_BLOCK_LIST_CREATE_ONLY = _op("PutBlockList", "blob", (a.BLOBS_WRITE, a.BLOBS_ADD), "wc")
SET_BLOB_PROPERTIES = _op("SetBlobProperties", "blob", (a.BLOBS_WRITE,), "w")
SET_BLOB_METADATA = _op("SetBlobMetadata", "blob", (a.BLOBS_WRITE,), "w")
DELETE_BLOB = _op("DeleteBlob", "blob", (a.BLOBS_DELETE,), "d")


def _unsupported(request: BlobRequest) -> WireError:
    what = request.query.get("comp") or request.method
    return WireError(501, "NotImplemented", f"basin's blob service does not implement {what!r}.")


def identify(request: BlobRequest) -> Operation:
    """Name the operation from the method, the path depth and ``restype`` / ``comp``."""
    method, comp = request.method, request.query.get("comp", "")
    if request.container is None:
        if method == "GET" and comp == "list":
            return LIST_CONTAINERS
        raise _unsupported(request)
    if request.blob is None:
        if request.query.get("restype") != "container":
            raise WireError(
                400, "InvalidUri", "Container requests need restype=container; basin has no $root."
            )
        table = {
            ("PUT", ""): CREATE_CONTAINER,
            ("DELETE", ""): DELETE_CONTAINER,
            ("GET", ""): GET_CONTAINER_PROPERTIES,
            ("HEAD", ""): GET_CONTAINER_PROPERTIES,
            ("GET", "metadata"): GET_CONTAINER_PROPERTIES,
            ("HEAD", "metadata"): GET_CONTAINER_PROPERTIES,
            ("PUT", "metadata"): SET_CONTAINER_METADATA,
            ("GET", "list"): LIST_BLOBS,
        }
        found = table.get((method, comp))
        if found is None:
            raise _unsupported(request)
        return found
    create_only = (request.header("if-none-match") or "").strip() == "*"
    blob_table = {
        ("GET", ""): GET_BLOB,
        ("HEAD", ""): GET_BLOB_PROPERTIES,
        ("GET", "metadata"): GET_BLOB_METADATA,
        ("HEAD", "metadata"): GET_BLOB_METADATA,
        ("GET", "blocklist"): GET_BLOCK_LIST,
        ("PUT", ""): PUT_BLOB_CREATE_ONLY if create_only else PUT_BLOB,
        ("PUT", "block"): PUT_BLOCK,
        ("PUT", "blocklist"): PUT_BLOCK_LIST_CREATE_ONLY if create_only else PUT_BLOCK_LIST,
        ("PUT", "properties"): SET_BLOB_PROPERTIES,
        ("PUT", "metadata"): SET_BLOB_METADATA,
        ("DELETE", ""): DELETE_BLOB,
    }
    found = blob_table.get((method, comp))
    if found is None or "snapshot" in request.query or "versionid" in request.query:
        raise _unsupported(request)
    return found
