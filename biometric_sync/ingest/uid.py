"""The punch idempotency key, identical to the sidecar's `punchUid` (sidecar/src/domain/punch.ts).

Pure Python (no frappe import) so it is testable anywhere; test/fixtures/punch-uids.json pins both sides.
"""

import hashlib

UID_MAX_LENGTH = 64


def punch_uid(device: str, user_id: str, time: str) -> str:
	"""sha256 hex of ``device|user_id|time``; user_id is a string ("0111" != "111"), time is naive device-local."""
	return hashlib.sha256(f"{device}|{user_id}|{time}".encode()).hexdigest()
