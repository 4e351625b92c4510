"""The device-user report of the sidecar, checked (pure: no frappe import).

``report_device_users(sidecar, device, users, complete=False, removed=None)`` sends what a terminal holds:
``users`` is a list (at most ``MAX_USERS``) of ``{user_id, name, card, privilege, fingerprint, face}``:

- ``user_id``: a non-empty string of at most 140 characters, kept exactly ("0111" ≠ "111", never trimmed);
- ``name``, ``card``: a string or null (``name`` at most 140 characters, ``card`` at most 64);
- ``privilege``: "user" or "admin";
- ``fingerprint``, ``face``: true, false, or null when the family cannot tell.

``removed`` is a list of user ids deleted from the terminal just now. Any item that breaks these rules fails the
whole call with ``INVALID_DEVICE_USER`` (HTTP 400) naming the item: the sidecar builds these lists itself, so a
bad one is a bug to see, not data to skip. The same user id twice in ``users`` is ``DUPLICATE_USER_ID``.
"""

import hashlib
from dataclasses import dataclass

MAX_USERS = 50_000
USER_ID_MAX_LENGTH = 140
NAME_MAX_LENGTH = 140
CARD_MAX_LENGTH = 64
PRIVILEGES = {"user": "User", "admin": "Admin"}


class DeviceUserError(ValueError):
	def __init__(self, code: str, message: str):
		super().__init__(message)
		self.code = code
		self.message = message


@dataclass(frozen=True)
class DeviceUser:
	user_id: str
	name: str | None
	card: str | None
	privilege: str  # "User" | "Admin" (the doctype's options)
	fingerprint: bool | None
	face: bool | None


def _text(item: dict, key: str, limit: int, where: str) -> str | None:
	value = item.get(key)
	if value is None:
		return None
	if not isinstance(value, str) or len(value) > limit:
		raise DeviceUserError(
			"INVALID_DEVICE_USER", f"{where}: {key} must be a string of at most {limit} characters, or null"
		)
	return value


def _flag(item: dict, key: str, where: str) -> bool | None:
	value = item.get(key)
	if value is not None and not isinstance(value, bool):
		raise DeviceUserError("INVALID_DEVICE_USER", f"{where}: {key} must be true, false or null")
	return value


def _user_id(value, where: str) -> str:
	if not isinstance(value, str) or value == "" or len(value) > USER_ID_MAX_LENGTH:
		raise DeviceUserError(
			"INVALID_DEVICE_USER",
			f"{where}: user_id must be a non-empty string of at most {USER_ID_MAX_LENGTH} characters",
		)
	return value


def parse_users(items) -> list[DeviceUser]:
	if not isinstance(items, list):
		raise DeviceUserError("INVALID_ARGUMENT", "users must be a list")
	if len(items) > MAX_USERS:
		raise DeviceUserError("BATCH_TOO_LARGE", f"at most {MAX_USERS} users per call, got {len(items)}")
	users, seen = [], set()
	for index, item in enumerate(items):
		where = f"users[{index}]"
		if not isinstance(item, dict):
			raise DeviceUserError("INVALID_DEVICE_USER", f"{where} must be an object")
		user_id = _user_id(item.get("user_id"), where)
		if user_id in seen:
			raise DeviceUserError("DUPLICATE_USER_ID", f"{where}: user_id {user_id!r} is listed twice")
		seen.add(user_id)
		privilege = item.get("privilege")
		if privilege not in PRIVILEGES:
			raise DeviceUserError("INVALID_DEVICE_USER", f'{where}: privilege must be "user" or "admin"')
		users.append(
			DeviceUser(
				user_id=user_id,
				name=_text(item, "name", NAME_MAX_LENGTH, where),
				card=_text(item, "card", CARD_MAX_LENGTH, where),
				privilege=PRIVILEGES[privilege],
				fingerprint=_flag(item, "fingerprint", where),
				face=_flag(item, "face", where),
			)
		)
	return users


def parse_removed(items) -> list[str]:
	if items is None:
		return []
	if not isinstance(items, list) or len(items) > MAX_USERS:
		raise DeviceUserError("INVALID_ARGUMENT", f"removed must be a list of at most {MAX_USERS} user ids")
	return list(dict.fromkeys(_user_id(value, f"removed[{i}]") for i, value in enumerate(items)))


def row_name(device: str, user_id: str) -> str:
	"""The Biometric Device User's name: a stable hash of ``device|user_id`` (exact, case-sensitive), so the
	primary key holds one row per pair whatever the database collation thinks of "A-17" and "a-17"."""
	return hashlib.sha256(f"{device}|{user_id}".encode()).hexdigest()[:40]
