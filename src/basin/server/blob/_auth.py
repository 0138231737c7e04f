"""Who may do what: shared key signatures, service and account SAS, bearer tokens (via the
injected authorizer).

Every refusal is a WireError with Azure's status and code. Keys, signatures and tokens are never
put into an error message or a log line.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import anyio.to_thread

from basin.blobs import sas
from basin.blobs.access import AccountDirectory, BearerAuthorizer
from basin.errors import AuthenticationError, AuthorizationError
from basin.server.blob._wire import BlobRequest, parse_http_date
from basin.server.blob.errors import WireError
from basin.server.blob.operations import Operation

_MAX_CLOCK_SKEW = timedelta(minutes=15)
_OLDEST_SAS_VERSION = "2018-11-09"
_SAS_ENCRYPTION_SCOPE_VERSION = sas.ENCRYPTION_SCOPE_VERSION
_SIGNED_HEADERS = (
    "content-encoding", "content-language", "content-length", "content-md5", "content-type",
    "date", "if-modified-since", "if-match", "if-none-match", "if-unmodified-since", "range",
)  # fmt: skip
_SAS_OVERRIDES = {
    "rscc": "Cache-Control",
    "rscd": "Content-Disposition",
    "rsce": "Content-Encoding",
    "rscl": "Content-Language",
    "rsct": "Content-Type",
}


def _collation_weight(char: str) -> int:
    # The service orders x-ms-* names with a collation where '-' is ignored and '_' sorts
    # before digits before letters; the SDK signs in that order, so verification must too.
    if char == "_":
        return 0
    if char.isdigit():
        return 1 + ord(char) - ord("0")
    if "a" <= char <= "z":
        return 20 + ord(char) - ord("a")
    return 100 + ord(char)


def _header_order(name: str) -> tuple[list[int], str]:
    return [_collation_weight(c) for c in name if c != "-"], name


def shared_key_string_to_sign(request: BlobRequest) -> str:
    headers = request.headers
    values = [headers.get(name, "") for name in _SIGNED_HEADERS]
    if values[2] == "0":  # an empty body signs as an empty Content-Length
        values[2] = ""
    x_ms = sorted((n for n in headers if n.startswith("x-ms-")), key=_header_order)
    canonical_headers = "".join(f"{n}:{headers[n]}\n" for n in x_ms)
    resource = f"/{request.account}{request.raw_path}"
    query = dict(request.raw_query)
    for name in sorted(query):
        resource += f"\n{name.lower()}:{unquote(query[name])}"
    return "\n".join([request.method, *values]) + "\n" + canonical_headers + resource


_sign = sas.sign


def _matches(keys: Sequence[bytes], text: str, signature: str) -> bool:
    found = False
    for key in keys:  # try every key: the time taken says nothing about which one matched
        found |= hmac.compare_digest(_sign(key, text), signature)
    return found


def _parse_sas_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise WireError(403, "AuthenticationFailed", "A SAS time is malformed.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _refused(detail: str) -> WireError:
    return WireError(
        403,
        "AuthenticationFailed",
        "Server failed to authenticate the request. Make sure the value of Authorization header "
        "is formed correctly including the signature.",
        detail=detail,
    )


class Authenticator:
    def __init__(
        self,
        accounts: AccountDirectory,
        authorizer: BearerAuthorizer | None,
        authorization_uri: str,
        resource_id: str = "https://storage.azure.com",
        require_https_for_bearer: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._accounts = accounts
        self._authorizer = authorizer
        self._challenge = f"Bearer authorization_uri={authorization_uri} resource_id={resource_id}"
        self._require_https_for_bearer = require_https_for_bearer
        self._clock = clock

    def _unauthenticated(self, code: str, message: str) -> WireError:
        return WireError(401, code, message, {"WWW-Authenticate": self._challenge})

    async def check(self, request: BlobRequest, operation: Operation) -> None:
        """Return if the request may run ``operation``; raise WireError otherwise."""
        authorization = request.header("authorization") or ""
        if "sig" in request.query:
            await self._check_sas(request, operation)
        elif authorization.startswith("SharedKey "):
            await self._check_shared_key(request, authorization[len("SharedKey ") :])
        elif authorization.startswith("Bearer "):
            await self._check_bearer(request, operation, authorization[len("Bearer ") :].strip())
        elif authorization:
            raise _refused("The authorization scheme is not supported.")
        else:
            raise self._unauthenticated(
                "NoAuthenticationInformation",
                "Server failed to authenticate the request. Please refer to the information in "
                "the www-authenticate header.",
            )

    async def _keys(self, account: str) -> Sequence[bytes]:
        keys = await anyio.to_thread.run_sync(self._accounts.account_keys, account)
        if not keys:
            raise _refused("The account does not exist or has no keys.")
        return keys

    async def _check_shared_key(self, request: BlobRequest, credential: str) -> None:
        account, _, signature = credential.partition(":")
        if account != request.account or not signature:
            raise _refused("The account in the Authorization header does not match the URL.")
        keys = await self._keys(account)
        if not _matches(keys, shared_key_string_to_sign(request), signature.strip()):
            raise _refused("The MAC signature found in the request is not the one computed.")
        date_header = "x-ms-date" if request.header("x-ms-date") else "date"
        sent = parse_http_date(request.header(date_header), date_header)
        if sent is None or abs(self._clock() - sent) > _MAX_CLOCK_SKEW:
            raise _refused("The request date is missing or more than 15 minutes off.")

    async def _check_sas(self, request: BlobRequest, operation: Operation) -> None:
        q = request.query
        if q.get("si"):
            raise _refused("Stored access policies are not supported; sign the SAS itself.")
        if q.get("skoid"):
            raise _refused("User delegation SAS is not supported; use a service or account SAS.")
        version = q.get("sv", "")
        if version < _OLDEST_SAS_VERSION:
            raise _refused(f"The SAS version must be {_OLDEST_SAS_VERSION} or later.")
        if "ss" in q or "srt" in q:
            await self._check_account_sas(request, operation, version)
            permissions = operation.account_sas_permissions
        else:
            await self._check_service_sas(request, version)
            permissions = operation.sas_permissions
            request.sas_overrides = {
                header: q[name] for name, header in _SAS_OVERRIDES.items() if q.get(name)
            }
        self._check_sas_limits(request, permissions)

    async def _check_service_sas(self, request: BlobRequest, version: str) -> None:
        q = request.query
        resource = q.get("sr", "")
        if resource not in ("b", "c") or request.container is None:
            raise WireError(
                403, "AuthorizationResourceTypeMismatch",
                "This request is not authorized to perform this operation using this "
                "resource type.",
            )  # fmt: skip
        canonical = f"/blob/{request.account}/{request.container}"
        if resource == "b":
            if request.blob is None:
                raise WireError(
                    403, "AuthorizationResourceTypeMismatch",
                    "A blob SAS cannot authorize a container operation.",
                )  # fmt: skip
            canonical += f"/{request.blob}"
        text = sas.service_string_to_sign(q, canonical, version)
        keys = await self._keys(request.account)
        if not _matches(keys, text, q["sig"]):
            raise _refused("Signature did not match.")

    async def _check_account_sas(
        self, request: BlobRequest, operation: Operation, version: str
    ) -> None:
        q = request.query
        fields = [request.account, q.get("sp", ""), q.get("ss", ""), q.get("srt", "")]
        fields += [q.get("st", ""), q.get("se", ""), q.get("sip", ""), q.get("spr", ""), version]
        if version >= _SAS_ENCRYPTION_SCOPE_VERSION:
            fields.append(q.get("ses", ""))
        keys = await self._keys(request.account)
        if not _matches(keys, "\n".join(fields) + "\n", q["sig"]):
            raise _refused("Signature did not match.")
        if "b" not in q.get("ss", ""):
            raise WireError(
                403, "AuthorizationServiceMismatch",
                "This request is not authorized to perform this operation using this service: "
                "the SAS does not name the blob service (ss=b).",
            )  # fmt: skip
        if operation.account_resource_type not in q.get("srt", ""):
            raise WireError(
                403, "AuthorizationResourceTypeMismatch",
                "This request is not authorized to perform this operation using this resource "
                f"type: {operation.name} needs srt={operation.account_resource_type}.",
            )  # fmt: skip

    def _check_sas_limits(self, request: BlobRequest, permissions: str) -> None:
        """Time window, protocol, address and permission letters: the same for every SAS."""
        q = request.query
        now = self._clock()
        if not q.get("se") or now >= _parse_sas_time(q["se"]):
            raise _refused("The SAS has expired.")
        if q.get("st") and now < _parse_sas_time(q["st"]):
            raise _refused("The SAS is not valid yet.")
        if q.get("spr") == "https" and not request.is_https:
            raise WireError(
                403, "AuthorizationProtocolMismatch", "This SAS may only be used over HTTPS."
            )
        if q.get("sip") and not self._ip_allowed(q["sip"], request.client_host):
            raise WireError(
                403, "AuthorizationSourceIPMismatch", "This SAS does not allow this address."
            )
        if not permissions or not any(p in q.get("sp", "") for p in permissions):
            raise WireError(
                403, "AuthorizationPermissionMismatch",
                "This request is not authorized to perform this operation using this permission.",
            )  # fmt: skip

    @staticmethod
    def _ip_allowed(allowed: str, client: str | None) -> bool:
        if client is None:
            return False
        try:
            address = int(ipaddress.ip_address(client))
            low, _, high = allowed.partition("-")
            return (
                int(ipaddress.ip_address(low)) <= address <= int(ipaddress.ip_address(high or low))
            )
        except ValueError:
            return False

    async def _check_bearer(self, request: BlobRequest, operation: Operation, token: str) -> None:
        if self._require_https_for_bearer and not request.is_https:
            raise _refused("Bearer tokens are accepted over HTTPS only.")
        if self._authorizer is None or not token:
            raise self._unauthenticated(
                "InvalidAuthenticationInfo", "Server failed to authenticate the request."
            )
        authorizer = self._authorizer
        for action in operation.data_actions:
            try:
                await anyio.to_thread.run_sync(
                    authorizer.authorize,
                    token, request.account, request.container, request.blob, action,
                )  # fmt: skip
                return
            except AuthenticationError:
                raise self._unauthenticated(
                    "InvalidAuthenticationInfo",
                    "Server failed to authenticate the request. Please refer to the information "
                    "in the www-authenticate header.",
                ) from None
            except AuthorizationError:
                continue
        raise WireError(
            403, "AuthorizationPermissionMismatch",
            "This request is not authorized to perform this operation using this permission.",
        )  # fmt: skip
