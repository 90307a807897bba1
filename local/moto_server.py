"""Starts moto server, made to refuse what AWS refuses where moto is more lenient.

- DynamoDB requests are applied one at a time. moto's server is threaded, and its DynamoDB backend reads
  an item, evaluates the ConditionExpression and writes the item without a lock. Two concurrent
  conditional writes to one item can then both succeed, which DynamoDB never allows and the receiver's
  idempotency ledger relies on. Serialising DynamoDB calls restores that guarantee; SQS and Secrets
  Manager keep their concurrency (SQS long polls must not block).
- SendMessage refuses a body or String attribute value with a character outside SQS's set, and a message
  whose body and attributes together exceed the queue's MaximumMessageSize (moto counts the body's
  characters only).
- TransactWriteItems honours ClientRequestToken as AWS does: the same request again within 10 minutes of a
  successful one succeeds without being applied again, and the same token with other parameters answers
  IdempotentParameterMismatchException (moto ignores the token and applies the replay). It also refuses a
  transaction whose items total more than 4 MB (moto has no aggregate limit). moto itself already refuses
  more than 100 actions and two actions on one item, and cancels with CancellationReasons.
- A write that leaves a global secondary index key attribute of another type than the table's
  AttributeDefinitions says is refused with ValidationException, as DynamoDB refuses it (moto stores the
  item and leaves it out of the index).
- CreateSecret, PutSecretValue and UpdateSecret refuse a value over Secrets Manager's 65,536 bytes.
- RotateSecret with RotateImmediately=false adds the temporary AWSPENDING version AWS tests the rotation
  configuration with, instead of rotating (see _rotate_secret_like_aws).
- ListSecretVersionIds reports each version's CreatedDate (moto reports the time of the call), so the
  CLI's "staged more than 24 h ago" check sees the same dates as on AWS.
- Lambda answers GetAccountSettings, which moto lacks, with the concurrency quota moto itself enforces
  (MOTO_LAMBDA_CONCURRENCY_QUOTA, default 1000, AWS's default), so `fpt-webhooks doctor --local` reads it.

It is also closed to web pages (see _refusal): moto's global CORS is off, and a request is refused (403)
when it comes from a browser (an Origin header, a CORS preflight, a cross-site Sec-Fetch-Site), names a
Host that is not loopback (DNS rebinding), or calls an AWS API without a SigV4 Authorization header
(which a page cannot send without a preflight). Otherwise any page the developer opens could read the
local secrets, queue events or reset the emulator. Every answer carries X-Fpt-Emulator: guarded, so
local/emulator.ts never reuses an emulator started without these rules.

docs/aws-contracts.md lists each rule with AWS's documentation and the test that proves it.

Usage is moto_server's: python local/moto_server.py -H 127.0.0.1 -p 4566
"""

import base64
import functools
import os
import re
import threading
import time
import uuid
from typing import Any

# Read by moto.settings when moto is first imported: without it every backend app answers any origin's
# CORS preflight with Access-Control-Allow-Origin: *. Set before the imports below, on purpose.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import DynamodbException, MockValidationException
from moto.dynamodb.responses import DynamoHandler
from moto.secretsmanager.exceptions import InvalidRequestException, SecretNotFoundException, ValidationException
from moto.secretsmanager.models import SecretsManagerBackend
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.server import main
from moto.sqs.exceptions import InvalidParameterValue, SQSException
from moto.sqs.responses import SQSResponse

_dynamodb_lock = threading.Lock()
_unlocked_call_action = DynamoHandler.call_action


@functools.wraps(_unlocked_call_action)
def _call_action_atomically(self):  # type: ignore[no-untyped-def]
    with _dynamodb_lock:
        return _unlocked_call_action(self)


DynamoHandler.call_action = _call_action_atomically  # type: ignore[method-assign]


# Item size: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html
# DynamoDB limits the item as it stands after a write. moto checks each attribute it sets against the
# item's size *plus* the new value, so replacing a large attribute (an UpdateItem's
# `SET rawBody = if_not_exists(rawBody, :body)` on a row holding a 256 KiB body) counts it twice and
# fails, and, moto's updates not being all or nothing, leaves the attributes set before it written.
# Setting an existing attribute is measured here without its old value, as AWS measures the result.
from moto.dynamodb.exceptions import ItemSizeTooLarge  # noqa: E402
from moto.dynamodb.models.dynamo_type import LimitedSizeDict  # noqa: E402

_moto_limited_setitem = LimitedSizeDict.__setitem__


def _set_attribute_measuring_the_result(self, key, value):  # type: ignore[no-untyped-def]
    if key not in self:
        return _moto_limited_setitem(self, key, value)
    old = dict.pop(self, key)
    try:
        _moto_limited_setitem(self, key, value)
    except ItemSizeTooLarge:
        dict.__setitem__(self, key, old)
        raise


LimitedSizeDict.__setitem__ = _set_attribute_measuring_the_result  # type: ignore[method-assign]


# Global secondary index keys: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html
# "If you write an item to a table, you don't have to specify the attributes for any global secondary index
# sort key ... [but] the data type must match the index key schema's data type". DynamoDB refuses a write
# that leaves an index key attribute of another type than its AttributeDefinition (ValidationException,
# "Type mismatch for Index Key"). moto checks only NULL and empty-string index keys, and stores the item
# unindexed. Checked here on the item each PutItem makes, and on the item an UpdateItem leaves (undone
# when wrong, as DynamoDB applies nothing); BatchWriteItem and TransactWriteItems go through both.
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402


def _index_key_mismatch(table: Any, attrs: dict[str, Any]) -> str | None:
    """AWS's message for the first index key attribute of `attrs` (DynamoDB JSON) with the wrong type."""
    if not table.global_indexes:
        return None
    defined = {d["AttributeName"]: d["AttributeType"] for d in table.attr}
    for index in table.global_indexes:
        for key in index.schema:
            name = key["AttributeName"]
            value = attrs.get(name)
            if not isinstance(value, dict) or len(value) != 1:
                continue
            actual = next(iter(value))
            expected = defined.get(name)
            if expected is not None and actual != expected:
                return (
                    "One or more parameter values were invalid: Type mismatch for Index Key "
                    f"{name} Expected: {expected} Actual: {actual} IndexName: {index.name}"
                )
    return None


_moto_table_put_item = Table.put_item


@functools.wraps(_moto_table_put_item)
def _put_item_checking_index_keys(self, item_attrs, *args, **kwargs):  # type: ignore[no-untyped-def]
    problem = _index_key_mismatch(self, item_attrs)
    if problem is not None:
        raise MockValidationException(problem)
    return _moto_table_put_item(self, item_attrs, *args, **kwargs)


Table.put_item = _put_item_checking_index_keys  # type: ignore[method-assign]

_moto_update_item = DynamoDBBackend.update_item


@functools.wraps(_moto_update_item)
def _update_item_checking_index_keys(self, table_name, key, *args, **kwargs):  # type: ignore[no-untyped-def]
    import copy

    table = self.get_table(table_name)
    if not table.global_indexes:
        return _moto_update_item(self, table_name, key, *args, **kwargs)
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    before = copy.deepcopy(table.get_item(hash_value, range_value))
    item = _moto_update_item(self, table_name, key, *args, **kwargs)
    problem = _index_key_mismatch(table, {name: value.to_json() for name, value in item.attrs.items()})
    if problem is not None:
        items = table.items[hash_value] if range_value is not None else table.items
        slot = range_value if range_value is not None else hash_value
        if before is None:
            items.pop(slot, None)
        else:
            items[slot] = before
        raise MockValidationException(problem)
    return item


DynamoDBBackend.update_item = _update_item_checking_index_keys  # type: ignore[method-assign]


# TransactWriteItems: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
_TRANSACT_TOKEN_WINDOW_SECONDS = 600
_TRANSACT_MAX_BYTES = 4 * 1024 * 1024
# token -> (the request's fingerprint, when it succeeded); read and written under _dynamodb_lock.
_transact_tokens: dict[str, tuple[str, float]] = {}


class _IdempotentParameterMismatch(DynamodbException):
    def __init__(self) -> None:
        super().__init__(
            "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
            message="The request uses the same client token as a previous, but non-identical request.",
        )


def _attribute_bytes(value: Any) -> int:
    """A DynamoDB JSON attribute value's size, as DynamoDB counts item size (UTF-8 names and values)."""
    if not isinstance(value, dict) or len(value) != 1:
        return 0
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode("utf-8", "surrogatepass"))
    if kind == "N":
        return len(str(inner))
    if kind == "B":
        return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_attribute_bytes({kind[0]: v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + _attribute_bytes(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _attribute_bytes(v) for k, v in inner.items())
    return 0


def _transaction_bytes(transact_items: list[dict[str, Any]]) -> int:
    total = 0
    for action in transact_items:
        for op in action.values():
            attributes = op.get("Item") or op.get("Key") or {}
            total += sum(len(k.encode("utf-8")) + _attribute_bytes(v) for k, v in attributes.items())
            total += sum(_attribute_bytes(v) for v in (op.get("ExpressionAttributeValues") or {}).values())
    return total


_moto_transact_write_items = DynamoHandler.transact_write_items


@functools.wraps(_moto_transact_write_items)
def _transact_write_items_as_aws(self):  # type: ignore[no-untyped-def]
    import json

    transact_items = self.body.get("TransactItems", [])
    if _transaction_bytes(transact_items) > _TRANSACT_MAX_BYTES:
        raise MockValidationException("Transaction request cannot be larger than 4 MB")
    token = self.body.get("ClientRequestToken")
    if token is None:
        return _moto_transact_write_items(self)
    now = time.time()
    for old in [t for t, (_, at) in _transact_tokens.items() if now - at > _TRANSACT_TOKEN_WINDOW_SECONDS]:
        del _transact_tokens[old]
    fingerprint = json.dumps(transact_items, sort_keys=True)
    seen = _transact_tokens.get(token)
    if seen is not None:
        if seen[0] != fingerprint:
            raise _IdempotentParameterMismatch()
        return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
    result = _moto_transact_write_items(self)
    _transact_tokens[token] = (fingerprint, now)
    return result


DynamoHandler.transact_write_items = _transact_write_items_as_aws  # type: ignore[method-assign]


_moto_rotate_secret = SecretsManagerBackend.rotate_secret


@functools.wraps(_moto_rotate_secret)
def _rotate_secret_like_aws(self, secret_id, client_request_token=None, rotation_lambda_arn=None,
                            rotation_rules=None, rotate_immediately=True):  # type: ignore[no-untyped-def]
    """RotateSecret with RotateImmediately=false tests the rotation configuration and rotates nothing.

    AWS adds a temporary AWSPENDING version, runs the function's testSecret step on it and removes it;
    AWSCURRENT never moves. Without a function to invoke, moto instead makes a copy of the value the new
    AWSCURRENT. Here the temporary version is added (a copy of AWSCURRENT) and its id returned, and the
    caller, standing in for Secrets Manager, runs testSecret and removes it (local/provision.ts).
    """
    if rotate_immediately or rotation_lambda_arn or rotation_rules:
        return _moto_rotate_secret(self, secret_id, client_request_token, rotation_lambda_arn,
                                   rotation_rules, rotate_immediately)
    if not self._is_valid_identifier(secret_id):
        raise SecretNotFoundException()
    secret = self.secrets[secret_id]
    versions = secret.versions
    for version in versions.values():
        if "AWSPENDING" in version["version_stages"] and "AWSCURRENT" not in version["version_stages"]:
            raise InvalidRequestException("A previous rotation isn't complete. That rotation will be reattempted.")
    current = next(v for v in versions.values() if "AWSCURRENT" in v["version_stages"])
    version_id = client_request_token or str(uuid.uuid4())
    versions[version_id] = {
        "createdate": int(time.time()),
        "version_id": version_id,
        "version_stages": ["AWSPENDING"],
        **({"secret_string": current["secret_string"]} if "secret_string" in current else {}),
    }
    return secret.to_short_dict(version_id=version_id)


SecretsManagerBackend.rotate_secret = _rotate_secret_like_aws  # type: ignore[method-assign]


def _list_secret_version_ids_like_aws(self, secret_id):  # type: ignore[no-untyped-def]
    """ListSecretVersionIds with each version's own CreatedDate, as GetSecretValue already reports it.

    AWS: "CreatedDate: The date and time this version of the secret was created." moto answers the time of
    the call for every version, which would make a value staged long ago look fresh.
    """
    import json

    if not self._is_valid_identifier(secret_id):
        raise SecretNotFoundException()
    secret = self.secrets[secret_id]
    versions = [
        {
            "CreatedDate": version["createdate"],
            "VersionId": version_id,
            "VersionStages": version["version_stages"],
        }
        for version_id, version in secret.versions.items()
        # Like AWS without IncludeDeprecated: versions that hold no staging label are not listed.
        if version["version_stages"]
    ]
    return json.dumps({"ARN": secret.arn, "Name": secret.name, "Versions": versions})


SecretsManagerBackend.list_secret_version_ids = _list_secret_version_ids_like_aws  # type: ignore[method-assign]


_moto_update_secret_version_stage = SecretsManagerBackend.update_secret_version_stage


@functools.wraps(_moto_update_secret_version_stage)
def _update_secret_version_stage_like_aws(self, secret_id, version_stage, remove_from_version_id,
                                          move_to_version_id):  # type: ignore[no-untyped-def]
    """Moving AWSCURRENT makes that version the one GetSecretValue and PutSecretValue treat as current.

    AWS: GetSecretValue without VersionId or VersionStage returns AWSCURRENT, and PutSecretValue moves
    AWSCURRENT from whichever version holds it. moto tracks a separate default version that only its own
    writes update, so after a label move it answers the old value and leaves two versions AWSCURRENT.
    """
    result = _moto_update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id,
                                               move_to_version_id)
    if version_stage == "AWSCURRENT" and move_to_version_id:
        self.secrets[secret_id].set_default_version_id(move_to_version_id)
    return result


SecretsManagerBackend.update_secret_version_stage = _update_secret_version_stage_like_aws  # type: ignore[method-assign]


# SendMessage: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
_SQS_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _sqs_forbidden_character(text: str) -> str | None:
    found = _SQS_FORBIDDEN.search(text)
    return None if found is None else f"#x{ord(found.group()):X}"


def _sqs_attribute_value_bytes(value: dict[str, Any]) -> int:
    if value.get("StringValue") is not None:
        return len(str(value["StringValue"]).encode("utf-8", "surrogatepass"))
    binary = value.get("BinaryValue")
    if isinstance(binary, bytes):
        return len(binary)
    if isinstance(binary, str):
        return len(base64.b64decode(binary))
    return 0


def _check_sqs_message(body: str, attributes: dict[str, Any], max_bytes: int) -> None:
    """Raises the error AWS answers a SendMessage with when the message breaks SQS's content rules."""
    bad = _sqs_forbidden_character(body)
    if bad is not None:
        raise SQSException(
            "InvalidMessageContents",
            f"Invalid binary character '{bad}' was found in the message body, the set of allowed "
            "characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        )
    size = len(body.encode("utf-8", "surrogatepass"))
    for name, value in attributes.items():
        string_value = value.get("StringValue")
        if string_value is not None and _sqs_forbidden_character(str(string_value)) is not None:
            raise InvalidParameterValue(f"Message (user) attribute '{name}' value contains invalid characters.")
        size += len(name.encode("utf-8")) + len(str(value.get("DataType", "")).encode("utf-8"))
        size += _sqs_attribute_value_bytes(value)
    if size > max_bytes:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {max_bytes} bytes."
        )


_unchecked_send_message = SQSResponse.send_message


@functools.wraps(_unchecked_send_message)
def _send_message_as_aws(self):  # type: ignore[no-untyped-def]
    queue = self.sqs_backend.get_queue(self._get_queue_name())
    _check_sqs_message(
        self._get_param("MessageBody") or "",
        self._get_param("MessageAttributes", {}) or {},
        int(queue.maximum_message_size),
    )
    return _unchecked_send_message(self)


SQSResponse.send_message = _send_message_as_aws  # type: ignore[method-assign]


# SecretString and SecretBinary: "Maximum length of 65536", e.g.
# https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
_SECRET_MAX_BYTES = 65536


def _check_secret_value_size(response: SecretsManagerResponse) -> None:
    secret_string = response._get_param("SecretString")
    if secret_string is not None and len(secret_string.encode("utf-8", "surrogatepass")) > _SECRET_MAX_BYTES:
        raise ValidationException(
            "1 validation error detected: Value at 'secretString' failed to satisfy constraint: "
            f"Member must have length less than or equal to {_SECRET_MAX_BYTES}"
        )
    secret_binary = response._get_param("SecretBinary")
    if secret_binary is not None and len(base64.b64decode(secret_binary)) > _SECRET_MAX_BYTES:
        raise ValidationException(
            "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: "
            f"Member must have length less than or equal to {_SECRET_MAX_BYTES}"
        )


def _with_secret_size_check(unchecked):  # type: ignore[no-untyped-def]
    @functools.wraps(unchecked)
    def checked(self):  # type: ignore[no-untyped-def]
        _check_secret_value_size(self)
        return unchecked(self)

    return checked


for _action in ("create_secret", "put_secret_value", "update_secret"):
    setattr(SecretsManagerResponse, _action, _with_secret_size_check(getattr(SecretsManagerResponse, _action)))


def _lambda_account_settings(request: Any, full_url: str, headers: Any) -> Any:
    """GetAccountSettings: the concurrency quota and what functions' reservations leave unreserved."""
    import json
    import os

    from moto.awslambda.utils import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID

    scope = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/", headers.get("Authorization", ""))
    backend = get_backend(DEFAULT_ACCOUNT_ID, scope.group(1) if scope else "us-east-1")
    quota = int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA", "1000"))
    functions = list(backend.list_functions())
    reserved = sum(int(fn.reserved_concurrency or 0) for fn in functions)
    body = {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": quota,
            "UnreservedConcurrentExecutions": quota - reserved,
        },
        "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(body)


def _add_lambda_account_settings() -> None:
    from moto.awslambda import urls

    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = _lambda_account_settings


_add_lambda_account_settings()


_LOOPBACK_HOST = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?$", re.IGNORECASE)
GUARD_HEADER = ("X-Fpt-Emulator", "guarded")


def _refusal(environ: dict[str, Any]) -> str | None:
    """Why a request is refused, or None. SDKs and the project's tools send none of what is refused here."""
    if not _LOOPBACK_HOST.match(environ.get("HTTP_HOST", "")):
        return "the Host header is not 127.0.0.1, localhost or [::1]"
    if "HTTP_ORIGIN" in environ:
        return "requests from a web page (with an Origin header) are refused"
    if environ.get("REQUEST_METHOD") == "OPTIONS":
        return "CORS preflights are refused"
    if environ.get("HTTP_SEC_FETCH_SITE", "none") not in ("none", "same-origin"):
        return "requests a browser marks as cross-site are refused"
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/moto-api") and not environ.get("HTTP_AUTHORIZATION", "").startswith("AWS4-HMAC-SHA256 "):
        return "an AWS API request needs a SigV4 Authorization header"
    return None


def _guard(dispatch):  # type: ignore[no-untyped-def]
    @functools.wraps(dispatch)
    def guarded(self, environ, start_response):  # type: ignore[no-untyped-def]
        reason = _refusal(environ)
        if reason is not None:
            body = f"refused by the local AWS emulator: {reason} (docs/local.md)\n".encode()
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(body))), GUARD_HEADER])
            return [body]

        def start_guarded(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            return start_response(status, [*headers, GUARD_HEADER], exc_info)

        return dispatch(self, environ, start_guarded)

    return guarded


def _close_to_web_pages() -> None:
    from moto.moto_server import werkzeug_app

    if not werkzeug_app.DISABLE_GLOBAL_CORS:
        raise RuntimeError("moto was imported before MOTO_DISABLE_GLOBAL_CORS was set; its CORS is still open")
    werkzeug_app.DomainDispatcherApplication.__call__ = _guard(werkzeug_app.DomainDispatcherApplication.__call__)


_close_to_web_pages()

if __name__ == "__main__":
    main()
