"""Starts moto server with DynamoDB requests applied one at a time.

moto's server is threaded, and its DynamoDB backend reads an item, evaluates the ConditionExpression and
writes the item without a lock. Two concurrent conditional writes to one item can then both succeed,
which DynamoDB never allows and the receiver's idempotency ledger relies on. Serialising DynamoDB calls
restores that guarantee; SQS and Secrets Manager keep their concurrency (SQS long polls must not block).

Usage is moto_server's: python local/moto_server.py -H 127.0.0.1 -p 4566
"""

import functools
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_dynamodb_lock = threading.Lock()
_unlocked_call_action = DynamoHandler.call_action


@functools.wraps(_unlocked_call_action)
def _call_action_atomically(self):  # type: ignore[no-untyped-def]
    with _dynamodb_lock:
        return _unlocked_call_action(self)


DynamoHandler.call_action = _call_action_atomically  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
