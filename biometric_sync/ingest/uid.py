"""The punch idempotency key, identical to the sidecar's `punchUid` (sidecar/src/domain/punch.ts).

Pure Python (no frappe import) so it is testable anywhere; test/fixtures/punch-uids.json pins both sides.
"""

import hashlib
from datetime import datetime

UID_MAX_LENGTH = 64
# "YYYYMMDDHHMMSS-" + a sha256 hex uid
STAGING_NAME_LENGTH = 15 + 64


def punch_uid(device: str, user_id: str, time: str) -> str:
	"""sha256 hex of ``device|user_id|time``; user_id is a string ("0111" != "111"), time is naive device-local."""
	return hashlib.sha256(f"{device}|{user_id}|{time}".encode()).hexdigest()


def staging_name(uid: str, time: datetime) -> str:
	"""The Biometric Punch name of a punch: its device-local time, then its uid ("20261202093015-<uid>").

	Still one name per punch, so the primary key rejects a second copy, but in time order: new punches go to
	the end of the table's primary key instead of a random page of it. Named by the uid alone, every staged
	punch read a random page of a table that outgrows memory within a year or two (staging ran at 40% of the
	speed at 600,000 punches, measured in issue 12)."""
	return f"{time:%Y%m%d%H%M%S}-{uid}"
