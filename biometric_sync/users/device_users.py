"""Biometric Device User: who each terminal holds (issue 13). The only writer of the table.

- ``report(device, users, complete, removed)`` (``api.sidecar.report_device_users``): upserts one row per
  (device, device user id) — named by a hash of both, so the primary key keeps the pair unique whatever the
  collation thinks of "A-17" and "a-17" — sets ``last_seen`` (``first_seen`` once), and marks rows removed
  (``removed_on``), never deletes them: rows the report does not list when it is ``complete``, and ids in
  ``removed``. A row that comes back loses its ``removed_on``.
- Derived columns, kept here too: ``employee`` (the Employee whose lookup field is exactly the id) and, when
  there is none, ``suggested_employee``/``suggestion_score`` (the best active Employee without an id, by name).
  ``on_employee_update`` (Employee on_update) moves ``employee`` when an Employee's id is set or changed.
- "Map exact name matches automatically" (Biometric Sync Settings): after a report, an id no Employee has, not
  an admin, whose device name is exactly (normalised) the name of one active Employee without an id and of no
  other user of that terminal, is mapped to that Employee (its parked punches replay).
- Fingerprint / face: Check columns cannot be null, so a family that cannot tell (null in the report) leaves
  both at 0 and sets ``enrolment_unknown``.
- ``create_read(device)``: a ``users_read`` command, unless one is open.
"""

import frappe
from frappe.utils import add_to_date, cint, now_datetime

from biometric_sync import settings as bsync_settings
from biometric_sync.outbox import outbox
from biometric_sync.users.name_match import EmployeeIndex
from biometric_sync.users.schema import DeviceUser, row_name

DOCTYPE = "Biometric Device User"
# Families whose users the sidecar can read and change (eSSL's web service cannot).
USER_DRIVERS = ("zk", "adms", "hikvision")
# Families that can disable a user instead of deleting it.
DISABLE_DRIVERS = ("hikvision",)
CHUNK = 2000
READ_EVERY_HOURS = 20
READ_AFTER_SYNC_MINUTES = 60
COLUMNS = (
	"user_name",
	"card_number",
	"privilege",
	"has_fingerprint",
	"has_face",
	"enrolment_unknown",
)


def can_manage_users(driver: str | None) -> bool:
	return driver in USER_DRIVERS


def _values(user: DeviceUser) -> dict:
	return {
		"user_name": user.name,
		"card_number": user.card,
		"privilege": user.privilege,
		"has_fingerprint": 1 if user.fingerprint else 0,
		"has_face": 1 if user.face else 0,
		"enrolment_unknown": 1 if user.fingerprint is None or user.face is None else 0,
	}


def _existing(device: str) -> dict[str, frappe._dict]:
	table = frappe.qb.DocType(DOCTYPE)
	rows = (
		frappe.qb.from_(table)
		.select(
			table.name, table.device_user_id, table.removed_on, table.employee, *(table[c] for c in COLUMNS)
		)
		.where(table.device == device)
		.run(as_dict=True)
	)
	return {row.device_user_id: row for row in rows}


def employee_ids() -> dict[str, str]:
	"""Lookup value (exact) → Employee, for every Employee with one."""
	field = bsync_settings.lookup_field()
	if not frappe.get_meta("Employee").has_field(field):
		return {}
	table = frappe.qb.DocType("Employee")
	rows = frappe.qb.from_(table).select(table.name, table[field]).where(table[field].isnotnull()).run()
	return {str(value): name for name, value in rows if value not in (None, "")}


def candidate_index() -> EmployeeIndex:
	"""Active Employees without a lookup value: the ones a device user id could be given to."""
	field = bsync_settings.lookup_field()
	table = frappe.qb.DocType("Employee")
	query = frappe.qb.from_(table).select(table.name, table.employee_name).where(table.status == "Active")
	if frappe.get_meta("Employee").has_field(field):
		query = query.where(table[field].isnull() | (table[field] == ""))
	return EmployeeIndex(query.run())


def _update(names: list[str], values: dict) -> None:
	table = frappe.qb.DocType(DOCTYPE)
	for start in range(0, len(names), CHUNK):
		query = frappe.qb.update(table)
		for column, value in values.items():
			query = query.set(table[column], value)
		query.where(table.name.isin(names[start : start + CHUNK])).run()


def report(device: str, users: list[DeviceUser], complete: bool, removed: list[str]) -> dict:
	now = now_datetime()
	existing = _existing(device)
	owners = employee_ids()
	inserts, seen_only = [], []
	changed: dict[str, dict] = {}
	for user in users:
		values = _values(user)
		row = existing.get(user.user_id)
		employee = owners.get(user.user_id)
		if row is None:
			inserts.append((row_name(device, user.user_id), user.user_id, values, employee))
			continue
		if row.removed_on or row.employee != employee or any(row[c] != values[c] for c in COLUMNS):
			changed[row.name] = {**values, "employee": employee, "removed_on": None, "last_seen": now}
		else:
			seen_only.append(row.name)

	if inserts:
		fields = ["name", "device", "device_user_id", *COLUMNS, "employee", "first_seen", "last_seen"]
		fields += ["owner", "modified_by", "creation", "modified"]
		user = frappe.session.user
		frappe.db.bulk_insert(
			DOCTYPE,
			fields,
			[
				(
					name,
					device,
					user_id,
					*(values[c] for c in COLUMNS),
					employee,
					now,
					now,
					user,
					user,
					now,
					now,
				)
				for name, user_id, values, employee in inserts
			],
			ignore_duplicates=True,  # a concurrent report of the same device: both hold the same rows
		)
	for name, values in changed.items():
		frappe.db.set_value(DOCTYPE, name, values, update_modified=True)
	_update(seen_only, {"last_seen": now})

	listed = {user.user_id for user in users}
	gone = [user_id for user_id in removed if user_id in existing or user_id in listed]
	if complete:
		gone += [user_id for user_id, row in existing.items() if user_id not in listed and not row.removed_on]
	gone_names = [row_name(device, user_id) for user_id in dict.fromkeys(gone)]
	_update(gone_names, {"removed_on": now, "modified": now})
	if gone:
		from biometric_sync.users.templates import delete_for

		delete_for(device, list(dict.fromkeys(gone)))  # templates go with their device user

	refresh_suggestions(device)
	mapped = map_exact_names(device) if cint(bsync_settings.get_settings().map_exact_names) else []
	return {"received": len(users), "removed": len(gone_names), "mapped": mapped}


def unmapped_rows(device: str | None = None, user_ids: list[str] | None = None) -> list[frappe._dict]:
	"""Present rows without an Employee (of one device, or of these ids on any device)."""
	table = frappe.qb.DocType(DOCTYPE)
	query = (
		frappe.qb.from_(table)
		.select(
			table.name,
			table.device,
			table.device_user_id,
			table.user_name,
			table.privilege,
			table.suggested_employee,
			table.suggestion_score,
			table.last_seen,
		)
		.where(table.removed_on.isnull() & table.employee.isnull())
	)
	if device is not None:
		query = query.where(table.device == device)
	if user_ids is not None:
		if not user_ids:
			return []
		query = query.where(table.device_user_id.isin(user_ids))
	rows = query.run(as_dict=True)
	if user_ids is not None:
		wanted = set(user_ids)
		rows = [row for row in rows if row.device_user_id in wanted]  # exact: the collation is not
	return rows


def refresh_suggestions(device: str) -> None:
	rows = unmapped_rows(device)
	if not rows:
		return
	index = candidate_index()
	for row in rows:
		best = index.suggest(row.user_name, limit=1) if row.privilege != "Admin" else []
		employee, value = (best[0].employee, best[0].score) if best else (None, 0)
		if row.suggested_employee != employee or float(row.suggestion_score or 0) != float(value):
			frappe.db.set_value(
				DOCTYPE,
				row.name,
				{"suggested_employee": employee, "suggestion_score": value},
				update_modified=False,
			)


def map_exact_names(device: str) -> list[dict]:
	from biometric_sync.users.mapping import map_id

	rows = [row for row in unmapped_rows(device) if row.privilege != "Admin" and row.user_name]
	if not rows:
		return []
	owners = employee_ids()
	index = candidate_index()
	by_name: dict[tuple, list[frappe._dict]] = {}
	for row in rows:
		by_name.setdefault(tuple(index_words(row.user_name)), []).append(row)
	mapped, taken = [], set()
	for row in rows:
		if row.device_user_id in owners or len(by_name[tuple(index_words(row.user_name))]) != 1:
			continue
		matches = index.exact(row.user_name)
		if len(matches) != 1 or matches[0] in taken:
			continue
		taken.add(matches[0])
		savepoint = f"bsync_automap_{len(taken)}"
		frappe.db.savepoint(savepoint)
		try:
			answer = map_id(row.device_user_id, matches[0], check_permission=False)
		except Exception:
			# The Employee refused the change (its own validation): the report still stands, a person maps it.
			frappe.db.rollback(save_point=savepoint)
			frappe.clear_messages()
			frappe.log_error(title=f"biometric_sync: could not map {row.device_user_id} to {matches[0]}")
			continue
		mapped.append(
			{"device_user_id": row.device_user_id, "employee": matches[0], "replayed": answer["replayed"]}
		)
	return mapped


def index_words(name: str | None) -> tuple[str, ...]:
	from biometric_sync.users.name_match import normalise

	return normalise(name)


def on_employee_update(doc, method=None) -> None:
	"""An Employee's id set, changed or cleared: the ``employee`` column of the device users follows."""
	field = bsync_settings.lookup_field()
	if not doc.has_value_changed(field) or not frappe.db.table_exists(DOCTYPE):
		return
	value = doc.get(field)
	value = None if value in (None, "") else str(value)
	table = frappe.qb.DocType(DOCTYPE)
	stale = [
		name
		for name, user_id in frappe.qb.from_(table)
		.select(table.name, table.device_user_id)
		.where(table.employee == doc.name)
		.run()
		if user_id != value
	]
	_update(stale, {"employee": None})
	if value is not None:
		rows = [
			name
			for name, user_id in frappe.qb.from_(table)
			.select(table.name, table.device_user_id)
			.where(table.device_user_id == value)
			.run()
			if user_id == value
		]
		_update(rows, {"employee": doc.name, "suggested_employee": None, "suggestion_score": 0})


def names_for(user_ids: list[str]) -> dict[str, str]:
	"""The name a terminal holds for each id (present rows; the most recently seen one wins)."""
	table = frappe.qb.DocType(DOCTYPE)
	found: dict[str, tuple] = {}
	wanted = set(user_ids)
	for start in range(0, len(user_ids), CHUNK):
		for user_id, name, seen in (
			frappe.qb.from_(table)
			.select(table.device_user_id, table.user_name, table.last_seen)
			.where(table.device_user_id.isin(user_ids[start : start + CHUNK]) & table.removed_on.isnull())
			.run()
		):
			if user_id in wanted and name and (user_id not in found or (seen and seen > found[user_id][1])):
				found[user_id] = (name, seen)
	return {user_id: value[0] for user_id, value in found.items()}


def create_read(device: frappe._dict, trigger: str = "manual") -> str:
	"""A ``users_read`` for the device, or the open one."""
	open_read = frappe.db.get_value(
		"Biometric Command",
		{"device": device.name, "command_type": "users_read", "status": ("in", outbox.OPEN)},
		"name",
	)
	if open_read:
		return open_read
	return outbox.create_command(
		"users_read", device.sidecar, device.name, read_payload(device), trigger=trigger
	)


def read_payload(device: frappe._dict) -> dict:
	"""With "Copy fingerprint and face templates" on, a read of a family that copies them brings them too."""
	from biometric_sync.users import templates

	driver = device.get("driver") or frappe.db.get_value("Biometric Device", device.name, "driver")
	return {"templates": True} if templates.enabled() and driver in templates.TEMPLATE_DRIVERS else {}


def read_requested_since(device: str, since) -> bool:
	return bool(
		frappe.db.exists(
			"Biometric Command",
			{"device": device, "command_type": "users_read", "creation": (">", since)},
		)
	)


def read_after_sync(device: frappe._dict) -> str | None:
	"""After a manual Sync Now: a users_read, at most once an hour."""
	if not can_manage_users(device.driver) or not device.sidecar:
		return None
	if read_requested_since(device.name, add_to_date(now_datetime(), minutes=-READ_AFTER_SYNC_MINUTES)):
		return None
	return create_read(device)


def due_reads(now) -> list[str]:
	"""The daily read of every enabled device that can: none open, none asked for in READ_EVERY_HOURS."""
	devices = frappe.get_all(
		"Biometric Device",
		filters={"enabled": 1, "driver": ("in", USER_DRIVERS), "sidecar": ("is", "set")},
		fields=["name", "sidecar"],
	)
	if not devices:
		return []
	names = [d.name for d in devices]
	recent = set(
		frappe.get_all(
			"Biometric Command",
			filters={
				"device": ("in", names),
				"command_type": "users_read",
				"creation": (">", add_to_date(now, hours=-READ_EVERY_HOURS)),
			},
			pluck="device",
		)
	)
	busy = set(
		frappe.get_all(
			"Biometric Command",
			filters={"device": ("in", names), "command_type": "users_read", "status": ("in", outbox.OPEN)},
			pluck="device",
		)
	)
	return [
		outbox.create_command("users_read", d.sidecar, d.name, read_payload(d), trigger="schedule")
		for d in devices
		if d.name not in recent and d.name not in busy
	]
