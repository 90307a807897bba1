"""Starts moto server with DynamoDB requests applied one at a time.

moto's server is threaded, and its DynamoDB backend reads an item, evaluates the ConditionExpression and
writes the item without a lock. Two concurrent conditional writes to one item can then both succeed,
which DynamoDB never allows and the receiver's idempotency ledger relies on. Serialising DynamoDB calls
restores that guarantee; SQS and Secrets Manager keep their concurrency (SQS long polls must not block).

Usage is moto_server's: python local/moto_server.py -H 127.0.0.1 -p 4566
"""

import functools
import threading
import time
import uuid

from moto.dynamodb.responses import DynamoHandler
from moto.secretsmanager.exceptions import InvalidRequestException, SecretNotFoundException
from moto.secretsmanager.models import SecretsManagerBackend
from moto.server import main

_dynamodb_lock = threading.Lock()
_unlocked_call_action = DynamoHandler.call_action


@functools.wraps(_unlocked_call_action)
def _call_action_atomically(self):  # type: ignore[no-untyped-def]
    with _dynamodb_lock:
        return _unlocked_call_action(self)


DynamoHandler.call_action = _call_action_atomically  # type: ignore[method-assign]


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

if __name__ == "__main__":
    main()
