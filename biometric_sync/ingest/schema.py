"""Validation of one Punch of the ingest contract (pure: no frappe import).

A punch is ``{uid, device, user_id, time, direction, state, verify, raw}`` (design.md, Contracts → Punch).
``validate_punch`` returns either a ``CleanPunch`` or a ``PunchError`` with a stable ``code`` that the sidecar
can act on without matching text. Codes:

=================  ===================================================================
INVALID_PUNCH      the item is not a JSON object
MISSING_UID        no ``uid``                          INVALID_UID      uid not a string
MISSING_USER_ID    no or empty ``user_id``             INVALID_USER_ID  user_id not a string
USER_ID_TOO_LONG   user_id longer than 140 characters
MISSING_TIME       no ``time``                         INVALID_TIME     not ``YYYY-MM-DD HH:MM:SS``
DEVICE_MISMATCH    ``device`` differs from the request's device
INVALID_DIRECTION  not "IN", "OUT" or null
INVALID_STATE      state not an integer or null        INVALID_VERIFY   same for verify
INVALID_RAW        raw not a string or null            RAW_TOO_LARGE    raw over 10,000 characters
UID_MISMATCH       uid is not sha256("device|user_id|time") of the item's own values
=================  ===================================================================
"""

import re
from dataclasses import dataclass
from datetime import datetime

from biometric_sync.ingest.uid import UID_MAX_LENGTH, punch_uid

USER_ID_MAX_LENGTH = 140
RAW_MAX_LENGTH = 10_000
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_NAIVE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_DIRECTIONS = ("IN", "OUT")


@dataclass(frozen=True)
class CleanPunch:
	uid: str
	device: str
	user_id: str
	time: datetime  # naive, device-local wall clock
	direction: str | None
	state: int | None
	verify: int | None
	raw: str | None


@dataclass(frozen=True)
class PunchError:
	code: str
	message: str
	uid: object = None  # the uid exactly as sent (None when the item is not an object)


def _optional_int(value) -> tuple[bool, int | None]:
	if value is None:
		return True, None
	if isinstance(value, bool) or not isinstance(value, int) or not INT_MIN <= value <= INT_MAX:
		return False, None
	return True, value


def validate_punch(item, device: str) -> CleanPunch | PunchError:
	"""Checks one punch sent for ``device``. Never raises."""
	if not isinstance(item, dict):
		return PunchError("INVALID_PUNCH", "a punch must be a JSON object")

	uid = item.get("uid")

	def fail(code: str, message: str) -> PunchError:
		return PunchError(code, message, uid)  # the uid as sent, so the caller can match the answer

	if uid is None or uid == "":
		return fail("MISSING_UID", "uid is required")
	if not isinstance(uid, str) or len(uid) > UID_MAX_LENGTH:
		return fail("INVALID_UID", f"uid must be a string of at most {UID_MAX_LENGTH} characters")

	item_device = item.get("device", device)
	if item_device != device:
		return fail("DEVICE_MISMATCH", f"punch is for device {item_device!r}, the request is for {device!r}")

	user_id = item.get("user_id")
	if user_id is None or user_id == "":
		return fail("MISSING_USER_ID", "user_id is required")
	if not isinstance(user_id, str):
		# A number would lose leading zeros ("0111" vs 111): the contract says string, end to end.
		return fail("INVALID_USER_ID", "user_id must be a string")
	if len(user_id) > USER_ID_MAX_LENGTH:
		return fail("USER_ID_TOO_LONG", f"user_id is longer than {USER_ID_MAX_LENGTH} characters")

	time = item.get("time")
	if time is None or time == "":
		return fail("MISSING_TIME", "time is required")
	if not isinstance(time, str) or not _NAIVE_TIME.match(time):
		return fail("INVALID_TIME", "time must be a naive wall-clock time YYYY-MM-DD HH:MM:SS")
	try:
		parsed_time = datetime.strptime(time, "%Y-%m-%d %H:%M:%S")
	except ValueError:
		return fail("INVALID_TIME", f"{time} is not a calendar date and time")

	direction = item.get("direction")
	if direction is not None and direction not in _DIRECTIONS:
		return fail("INVALID_DIRECTION", 'direction must be "IN", "OUT" or null')

	ok, state = _optional_int(item.get("state"))
	if not ok:
		return fail("INVALID_STATE", "state must be an integer or null")
	ok, verify = _optional_int(item.get("verify"))
	if not ok:
		return fail("INVALID_VERIFY", "verify must be an integer or null")

	raw = item.get("raw")
	if raw is not None and not isinstance(raw, str):
		return fail("INVALID_RAW", "raw must be a string or null")
	if raw is not None and len(raw) > RAW_MAX_LENGTH:
		return fail("RAW_TOO_LARGE", f"raw is longer than {RAW_MAX_LENGTH} characters")

	if punch_uid(device, user_id, time) != uid:
		return fail("UID_MISMATCH", "uid is not sha256 of device|user_id|time")

	return CleanPunch(
		uid=uid,
		device=device,
		user_id=user_id,
		time=parsed_time,
		direction=direction,
		state=state,
		verify=verify,
		raw=raw or None,
	)
