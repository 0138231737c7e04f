"""The XML bodies of the blob REST API: listings, block lists, errors."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from basin.blobs import (
    BlobPage,
    BlobProperties,
    BlockList,
    BlockListType,
    BlockRef,
    ContainerPage,
)
from basin.server.blob._wire import http_date, quoted
from basin.server.blob.errors import WireError

_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'


def _element(name: str, value: str | int | None) -> str:
    if value is None or value == "":
        return f"<{name} />"
    return f"<{name}>{escape(str(value))}</{name}>"


def _metadata(metadata: Mapping[str, str]) -> str:
    return "<Metadata>" + "".join(_element(k, v) for k, v in metadata.items()) + "</Metadata>"


def error_body(code: str, message: str, request_id: str, detail: str | None = None) -> bytes:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
    extra = _element("AuthenticationErrorDetail", detail) if detail else ""
    text = f"{message}\nRequestId:{request_id}\nTime:{now}"
    return (
        f"{_DECLARATION}<Error>{_element('Code', code)}{_element('Message', text)}{extra}</Error>"
    ).encode()


def container_list(
    endpoint: str, page: ContainerPage, prefix: str, marker: str, max_results: int | None,
    include_metadata: bool,
) -> bytes:  # fmt: skip
    parts = [
        f"{_DECLARATION}<EnumerationResults ServiceEndpoint={quoteattr(endpoint)}>",
        _element("Prefix", prefix),
        _element("Marker", marker),
        _element("MaxResults", max_results),
        "<Containers>",
    ]
    for container in page.containers:
        parts.append(
            f"<Container>{_element('Name', container.name)}<Properties>"
            f"{_element('Last-Modified', http_date(container.last_modified))}"
            f"{_element('Etag', quoted(container.etag))}"
            "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
            "<HasImmutabilityPolicy>false</HasImmutabilityPolicy>"
            "<HasLegalHold>false</HasLegalHold></Properties>"
            f"{_metadata(container.metadata) if include_metadata else ''}</Container>"
        )
    parts.append("</Containers>")
    parts.append(_element("NextMarker", page.next_marker))
    parts.append("</EnumerationResults>")
    return "".join(parts).encode()


def _blob(blob: BlobProperties, include_metadata: bool) -> str:
    content = blob.content
    md5 = base64.b64encode(content.content_md5).decode() if content.content_md5 else None
    return (
        f"<Blob>{_element('Name', blob.name)}<Properties>"
        f"{_element('Creation-Time', http_date(blob.creation_time))}"
        f"{_element('Last-Modified', http_date(blob.last_modified))}"
        # Azure leaves blob ETags unquoted in listings (unlike container listings and headers).
        f"{_element('Etag', blob.etag)}"
        f"{_element('Content-Length', blob.size)}"
        f"{_element('Content-Type', content.content_type)}"
        f"{_element('Content-Encoding', content.content_encoding)}"
        f"{_element('Content-Language', content.content_language)}"
        f"{_element('Content-MD5', md5)}"
        f"{_element('Content-Disposition', content.content_disposition)}"
        f"{_element('Cache-Control', content.cache_control)}"
        "<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier>"
        "<AccessTierInferred>true</AccessTierInferred>"
        "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
        "<ServerEncrypted>true</ServerEncrypted></Properties>"
        f"{_metadata(blob.metadata) if include_metadata else ''}</Blob>"
    )


def blob_list(
    endpoint: str, container: str, page: BlobPage, prefix: str, marker: str,
    max_results: int | None, delimiter: str | None, include_metadata: bool,
) -> bytes:  # fmt: skip
    parts = [
        f"{_DECLARATION}<EnumerationResults ServiceEndpoint={quoteattr(endpoint)} "
        f"ContainerName={quoteattr(container)}>",
        _element("Prefix", prefix),
        _element("Marker", marker),
        _element("MaxResults", max_results),
        _element("Delimiter", delimiter) if delimiter else "",
        "<Blobs>",
    ]
    for item in page.items:
        if isinstance(item, str):
            parts.append(f"<BlobPrefix>{_element('Name', item)}</BlobPrefix>")
        else:
            parts.append(_blob(item, include_metadata))
    parts.append("</Blobs>")
    parts.append(_element("NextMarker", page.next_marker))
    parts.append("</EnumerationResults>")
    return "".join(parts).encode()


def block_list(blocks: BlockList, which: str) -> bytes:
    def section(tag: str, entries: list[tuple[str, int]]) -> str:
        inner = "".join(
            f"<Block>{_element('Name', name)}{_element('Size', size)}</Block>"
            for name, size in entries
        )
        return f"<{tag}>{inner}</{tag}>"

    parts = [f"{_DECLARATION}<BlockList>"]
    if which in ("committed", "all"):
        parts.append(section("CommittedBlocks", [(b.block_id, b.size) for b in blocks.committed]))
    if which in ("uncommitted", "all"):
        entries = [(b.block_id, b.size) for b in blocks.uncommitted]
        parts.append(section("UncommittedBlocks", entries))
    parts.append("</BlockList>")
    return "".join(parts).encode()


_KINDS = {kind.value: kind for kind in BlockListType}


def parse_block_list(body: bytes) -> list[BlockRef]:
    """Parse Put Block List's ``<BlockList><Latest>id</Latest>...</BlockList>``."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise WireError(400, "InvalidXmlDocument", "The block list is not valid XML.") from None
    if root.tag != "BlockList":
        raise WireError(400, "InvalidXmlDocument", "The body must be a <BlockList> element.")
    refs: list[BlockRef] = []
    for child in root:
        kind = _KINDS.get(child.tag)
        if kind is None:
            raise WireError(400, "InvalidXmlNodeValue", f"Unexpected element <{child.tag}>.")
        refs.append(BlockRef((child.text or "").strip(), kind))
    return refs
