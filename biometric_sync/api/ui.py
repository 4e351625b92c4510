"""Reads and actions of the HR page at /biometric that plain REST cannot do cleanly (frontend/, www/biometric.py).

Who: **Biometric Manager**, **HR Manager** or **System Manager** (the roles that reach the page). The reads
below use ``ignore_permissions`` on purpose: HR Manager has no Desk permission on Biometric Device, Sidecar or
Command, yet HR must see which terminals are fine. They return no secrets (no Password field is ever read).
Actions keep their own rules: Sync Now / Test Connection are ``biometric_sync.api.desk`` (Biometric Manager),
mapping a user id needs write permission on the Employee (HR Manager has it).

Reads (GET or POST; ``now`` in every answer is the site-local time the answer was made at):

- ``overview()`` → devices by status, sidecars online, last sync per device, punches today and per hour,
  unmapped counts, alerts (clock drift, memory near full, sidecar silent, authentication failures), and the
  latest staged punches (the live feed; the page re-reads on each device's ``biometric_sync:refresh``, which
  ``push_punches`` publishes as soon as new punches are staged).
- ``devices()`` → every device with its last sync and open command.
- ``device(name)`` → one device (no secrets), its recent runs and commands, the open command, health.
- ``sidecars()`` → every sidecar with its devices and whether it is silent.
- ``unmapped_groups()`` → Unmapped punches grouped by device user id (exact string), with counts and
  first/last seen, the name a terminal holds for the id (``device_name``, from Biometric Device User) and up
  to three ``suggestions: [{employee, employee_name, score, confident}]``, best first: active Employees without
  an id whose name matches it (``biometric_sync.users.name_match``; the employees are indexed once per call);
  plus the Employee lookup field.
- ``punches(employee, user_id, device, date, status, start, page_length)`` → a page of staged punches, newest
  first, through the index that serves the search (``biometric_sync.punch_list``); the page's count stays
  ``frappe.desk.reportview.get_count`` with a limit.
- ``find_employees(txt)`` → Active employees matching ``txt`` (by permission), with their current lookup value.
- ``attendance(from_date, to_date, day)`` → Daily Attendance from punches: counts per day of the range, the
  decisions of ``day`` (default the newest), the past days still waiting and the devices that hold them.

Action (POST):

- ``map_user_id(device_user_id, employee, replace=0)`` → sets the Employee's lookup field (Biometric Sync
  Settings, default ``attendance_device_id``) to ``device_user_id``; saving the Employee replays the parked
  punches (``biometric_sync.ingest.replay``). Answers ``{employee, employee_name, field, device_user_id,
  previous, replayed}``.
- ``accept_suggestions(pairs)`` → maps many at once, each as ``map_user_id`` (without replace): ``pairs`` is a
  list (≤ 500) of ``{device_user_id, employee}``; one failing pair does not stop the others → ``{mapped: [...],
  failed: [{device_user_id, employee, code, error}]}``. Nothing is mapped that a person did not accept (the
  page's "Accept all confident suggestions" sends the confident ones, after a confirm).

Errors (HTTP status + ``code``, see ``biometric_sync.errors``): ``NOT_PERMITTED`` 403, ``INVALID_ARGUMENT``
400, ``UNKNOWN_DEVICE`` 404, ``UNKNOWN_EMPLOYEE`` 404, ``INVALID_LOOKUP_FIELD`` 400 (the configured lookup
field is not a field of Employee), ``ALREADY_MAPPED`` 409 (another Employee already has this id),
``EMPLOYEE_HAS_ID`` 409 (the Employee has another id; pass ``replace=1`` to change it).
"""

import re
from collections import defaultdict

import frappe
from frappe.utils import (
	add_days,
	add_to_date,
	cint,
	get_datetime,
	getdate,
	now_datetime,
	nowdate,
	time_diff_in_seconds,
)

from biometric_sync import punch_list
from biometric_sync import settings as bsync_settings
from biometric_sync.api.access import ADMIN_ROLE, MANAGER_ROLE, require_name
from biometric_sync.attendance import overview as attendance_overview
from biometric_sync.device_fields import MEASURES_CLOCK, MEASURES_MEMORY
from biometric_sync.errors import (
	BiometricSyncError,
	InvalidArgumentError,
	NotFoundError,
	NotPermittedError,
	fail,
)
from biometric_sync.outbox import clearing
from biometric_sync.outbox.scheduler import AUTH_FAILURE_CODES
from biometric_sync.users import device_users, mapping

HR_MANAGER_ROLE = "HR Manager"
PAGE_ROLES = (MANAGER_ROLE, HR_MANAGER_ROLE, ADMIN_ROLE)
OPEN_COMMANDS = ("Queued", "Claimed", "Running")
UNMAPPED_SCAN_LIMIT = 200_000
RECENT = 10

DEVICE_FIELDS = [
	"name",
	"device_name",
	"enabled",
	"driver",
	"sidecar",
	"time_zone",
	"pull_interval",
	"allow_clear_log",
	"host",
	"port",
	"url",
	"serial_number",
	"status",
	"last_seen",
	"last_error",
	"clock_drift_seconds",
	"memory_used_percent",
	"read_through",
	"watermark",
	"live_channel",
	"live_since",
	"live_error",
	"modified",
]
LOG_FIELDS = [
	"name",
	"device",
	"sidecar",
	"trigger",
	"command",
	"status",
	"started",
	"finished",
	"duration",
	"read_count",
	"new_count",
	"duplicate_count",
	"unmapped_count",
	"error_count",
	"cleared_count",
	"requested_by",
	"error",
]
COMMAND_FIELDS = [
	"name",
	"command_type",
	"device",
	"status",
	"trigger",
	"requested_by",
	"creation",
	"finished_on",
	"progress_done",
	"progress_total",
	"progress_message",
	"error",
	"sync_log",
]


def can_use_page(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user != "Guest" and bool(set(frappe.get_roles(user)) & set(PAGE_ROLES))


def can_manage(user: str | None = None) -> bool:
	"""Sync Now, Test Connection and device settings (the rule of ``access.require_manager``)."""
	user = user or frappe.session.user
	return bool(set(frappe.get_roles(user)) & {MANAGER_ROLE, ADMIN_ROLE})


def require_page_user() -> None:
	if not can_use_page():
		fail(
			NotPermittedError,
			"NOT_PERMITTED",
			"Only a Biometric Manager, HR Manager or System Manager may do this",
		)


def _thresholds(settings) -> dict:
	return {
		"clock_drift_seconds": cint(settings.clock_drift_alert_seconds),
		"memory_percent": cint(settings.memory_alert_percent),
		"sidecar_silence_minutes": cint(settings.sidecar_silence_minutes),
		"device_offline_minutes": cint(settings.device_offline_alert_minutes),
	}


def _now() -> str:
	return str(now_datetime().replace(microsecond=0))


def _is_auth_failure(error: str | None) -> bool:
	return bool(error) and any(str(error).startswith(code) for code in AUTH_FAILURE_CODES)


def _last_syncs(devices: list[str]) -> dict[str, frappe._dict]:
	"""The newest Biometric Sync Log of each device that read the device (a replay of unmapped punches does not)."""
	if not devices:
		return {}
	newest = frappe.db.sql(
		"""select device, max(started) as started from `tabBiometric Sync Log`
		where device in %(devices)s and `trigger` != 'replay' group by device""",
		{"devices": devices},
		as_dict=True,
	)
	found = {}
	for row in newest:
		match = frappe.get_all(
			"Biometric Sync Log",
			filters={"device": row.device, "started": row.started, "trigger": ("!=", "replay")},
			fields=LOG_FIELDS,
			order_by="creation desc",
			limit=1,
		)
		if match:
			found[row.device] = match[0]
	return found


def _open_commands(devices: list[str]) -> dict[str, frappe._dict]:
	if not devices:
		return {}
	rows = frappe.get_all(
		"Biometric Command",
		filters={"device": ("in", devices), "status": ("in", OPEN_COMMANDS)},
		fields=COMMAND_FIELDS,
		order_by="creation desc",
	)
	found = {}
	for row in rows:
		found.setdefault(row.device, row)
	return found


def _sidecar_rows(settings) -> list[frappe._dict]:
	silence = cint(settings.sidecar_silence_minutes)
	now = now_datetime()
	rows = frappe.get_all(
		"Biometric Sidecar",
		fields=[
			"name",
			"location",
			"status",
			"last_heartbeat",
			"version",
			"spool_depth",
			"adms_listen_address",
		],
		order_by="name asc",
	)
	counts = defaultdict(int)
	for device in frappe.get_all("Biometric Device", fields=["sidecar"]):
		counts[device.sidecar] += 1
	for row in rows:
		row.devices = counts.get(row.name, 0)
		row.silent_minutes = (
			int(time_diff_in_seconds(now, get_datetime(row.last_heartbeat)) // 60)
			if row.last_heartbeat
			else None
		)
		row.silent = row.status != "Online" or (
			silence > 0 and (row.silent_minutes is None or row.silent_minutes >= silence)
		)
	return rows


def _alerts(devices: list[frappe._dict], sidecars: list[frappe._dict], thresholds: dict) -> list[dict]:
	alerts = []
	drift_limit, memory_limit = thresholds["clock_drift_seconds"], thresholds["memory_percent"]
	for device in devices:
		if device.status == "Discovered":
			# An unknown ADMS terminal pushing to a sidecar: someone must approve (enable) or delete it.
			alerts.append(
				{
					"kind": "discovered",
					"severity": "orange",
					"doctype": "Biometric Device",
					"name": device.name,
					"title": f"ADMS terminal {device.serial_number or device.name} wants to connect",
					"detail": f"From {device.host or 'an unknown address'}: enable it to take its punches, or delete it",
				}
			)
			continue
		if not device.enabled:
			continue
		offline_minutes = thresholds.get("device_offline_minutes") or 0
		since = device.last_seen or device.modified
		if (
			device.status == "Offline"
			and offline_minutes > 0
			and since
			and get_datetime(since) <= add_to_date(now_datetime(), minutes=-offline_minutes)
		):
			alerts.append(
				{
					"kind": "unreachable",
					"severity": "red",
					"doctype": "Biometric Device",
					"name": device.name,
					"title": f"{device.name} cannot be reached",
					"detail": device.last_error or f"Not reached for more than {offline_minutes} minutes",
				}
			)
		if _is_auth_failure(device.last_error):
			alerts.append(
				{
					"kind": "auth_failure",
					"severity": "red",
					"doctype": "Biometric Device",
					"name": device.name,
					"title": f"{device.name} refused the credentials",
					"detail": device.last_error,
				}
			)
		drift = device.clock_drift_seconds
		if drift is not None and drift_limit > 0 and abs(cint(drift)) > drift_limit:
			alerts.append(
				{
					"kind": "clock_drift",
					"severity": "orange",
					"doctype": "Biometric Device",
					"name": device.name,
					"title": f"Clock of {device.name} is off",
					"detail": f"{cint(drift):+d} s (alert above {drift_limit} s)",
					"value": cint(drift),
				}
			)
		memory = device.memory_used_percent
		if memory is not None and memory_limit > 0 and float(memory) >= memory_limit:
			alerts.append(
				{
					"kind": "memory",
					"severity": "orange",
					"doctype": "Biometric Device",
					"name": device.name,
					"title": f"Log memory of {device.name} is nearly full",
					"detail": f"{float(memory):.0f}% used (alert at {memory_limit}%)",
					"value": float(memory),
				}
			)
	for sidecar in sidecars:
		if sidecar.silent and sidecar.devices:
			alerts.append(
				{
					"kind": "sidecar_silent",
					"severity": "red",
					"doctype": "Biometric Sidecar",
					"name": sidecar.name,
					"title": f"Sidecar {sidecar.name} is silent",
					"detail": (
						f"No heartbeat for {sidecar.silent_minutes} min"
						if sidecar.silent_minutes is not None
						else "It has never connected"
					),
					"value": sidecar.silent_minutes,
				}
			)
	order = {"red": 0, "orange": 1}
	return sorted(alerts, key=lambda a: (order.get(a["severity"], 2), a["kind"], a["name"]))


def _today() -> dict:
	start = getdate(nowdate())
	return {"start": start, "end": add_days(start, 1)}


def _punches_today() -> tuple[int, list[int]]:
	"""Punches whose site-local time is today, and per hour of the day."""
	rows = frappe.db.sql(
		"""select hour(site_time) as hour, count(*) as punches from `tabBiometric Punch`
		where site_time >= %(start)s and site_time < %(end)s group by hour(site_time)""",
		_today(),
	)
	per_hour = [0] * 24
	for hour, count in rows:
		per_hour[cint(hour)] = cint(count)
	return sum(per_hour), per_hour


def _device_rows(name: str | None = None) -> list[frappe._dict]:
	"""Devices without secrets. Read with the query builder: frappe.get_all (DatabaseQuery) silently drops every
	field whose name contains "_seen" (it mistakes ``last_seen`` for Frappe's optional ``_seen`` column)."""
	table = frappe.qb.DocType("Biometric Device")
	query = frappe.qb.from_(table).select(*(table[field] for field in DEVICE_FIELDS)).orderby(table.name)
	if name is not None:
		query = query.where(table.name == name)
	rows = query.run(as_dict=True)
	for row in rows:
		if row.driver not in MEASURES_CLOCK:
			row.clock_drift_seconds = None
		if row.driver not in MEASURES_MEMORY:
			row.memory_used_percent = None
	return rows


@frappe.whitelist()
def overview() -> dict:
	require_page_user()
	settings = bsync_settings.get_settings()
	thresholds = _thresholds(settings)
	devices = _device_rows()
	names = [d.name for d in devices]
	last = _last_syncs(names)
	sidecars = _sidecar_rows(settings)

	by_status = {"Online": 0, "Offline": 0, "Error": 0, "Unknown": 0}
	for device in devices:
		if device.enabled:
			by_status[device.status or "Unknown"] = by_status.get(device.status or "Unknown", 0) + 1
	today, per_hour = _punches_today()
	unmapped = frappe.db.count("Biometric Punch", {"status": "Unmapped"})
	unmapped_ids = (
		len(
			{
				row[0]
				for row in frappe.db.sql(
					"select device_user_id from `tabBiometric Punch` where status = 'Unmapped' limit %s",
					UNMAPPED_SCAN_LIMIT,
				)
			}
		)
		if unmapped
		else 0
	)
	return {
		"now": _now(),
		"enabled": bool(cint(settings.enabled)),
		"thresholds": thresholds,
		"devices": {
			"total": len(devices),
			"disabled": sum(1 for d in devices if not d.enabled),
			"by_status": by_status,
		},
		"sidecars": {
			"total": len(sidecars),
			"online": sum(1 for s in sidecars if s.status == "Online"),
		},
		"last_sync": [
			{
				"device": d.name,
				"status": d.status,
				"enabled": d.enabled,
				"sidecar": d.sidecar,
				"last_seen": d.last_seen,
				"sync": last.get(d.name),
			}
			for d in devices
		],
		"punches_today": today,
		"punches_per_hour": per_hour,
		"unmapped": {"punches": unmapped, "user_ids": unmapped_ids},
		"alerts": _alerts(devices, sidecars, thresholds),
		"latest_punches": latest_punches(),
	}


LATEST_PUNCHES = 12


def latest_punches(limit: int = LATEST_PUNCHES) -> list[frappe._dict]:
	"""The newest staged punches (the Overview's live feed): who (employee, or the unmapped device user id), where,
	when (site time) and which way; through the creation index."""
	return frappe.get_all(
		"Biometric Punch",
		fields=[
			"name",
			"device",
			"device_user_id",
			"employee",
			"employee_name",
			"site_time",
			"punch_time",
			"direction",
			"status",
			"creation",
		],
		order_by="creation desc, name desc",
		limit=limit,
		ignore_permissions=True,
	)


@frappe.whitelist()
def devices() -> dict:
	require_page_user()
	rows = _device_rows()
	names = [d.name for d in rows]
	last, open_ = _last_syncs(names), _open_commands(names)
	for row in rows:
		row.last_sync = last.get(row.name)
		row.open_command = open_.get(row.name)
	return {
		"now": _now(),
		"can_manage": can_manage(),
		"thresholds": _thresholds(bsync_settings.get_settings()),
		"devices": rows,
	}


@frappe.whitelist()
def device(name: str) -> dict:
	require_page_user()
	require_name(name, "name")
	rows = _device_rows(name)
	if not rows:
		fail(NotFoundError, "UNKNOWN_DEVICE", f"Biometric Device {name} does not exist")
	row = rows[0]
	settings = bsync_settings.get_settings()
	sidecar = (
		frappe.db.get_value(
			"Biometric Sidecar", row.sidecar, ["name", "status", "last_heartbeat", "location"], as_dict=True
		)
		if row.sidecar
		else None
	)
	commands = frappe.get_all(
		"Biometric Command",
		filters={"device": name},
		fields=COMMAND_FIELDS,
		order_by="creation desc",
		limit=RECENT,
	)
	punches_today = frappe.db.sql(
		"""select count(*) from `tabBiometric Punch`
		where device = %(device)s and site_time >= %(start)s and site_time < %(end)s""",
		{"device": name, **_today()},
	)[0][0]
	return {
		"now": _now(),
		"can_manage": can_manage(),
		"thresholds": _thresholds(settings),
		"site_time_zone": bsync_settings.site_time_zone(),
		"device": row,
		"sidecar": sidecar,
		"runs": frappe.get_all(
			"Biometric Sync Log",
			filters={"device": name},
			fields=LOG_FIELDS,
			order_by="started desc",
			limit=RECENT,
		),
		"commands": commands,
		"open_command": next((c for c in commands if c.status in OPEN_COMMANDS), None),
		"punches_today": cint(punches_today),
		"unmapped": frappe.db.count("Biometric Punch", {"device": name, "status": "Unmapped"}),
		"can_clear": clearing.can_clear(row.driver),
	}


@frappe.whitelist()
def sidecars() -> dict:
	require_page_user()
	settings = bsync_settings.get_settings()
	return {"now": _now(), "thresholds": _thresholds(settings), "sidecars": _sidecar_rows(settings)}


@frappe.whitelist()
def unmapped_groups() -> dict:
	"""Grouped in Python: the database collation would merge "A-17" and "a-17" (user ids are exact strings)."""
	require_page_user()
	rows = frappe.db.sql(
		"""select device_user_id, device, coalesce(site_time, punch_time) as seen
		from `tabBiometric Punch` where status = 'Unmapped' limit %s""",
		UNMAPPED_SCAN_LIMIT,
		as_dict=True,
	)
	groups: dict[str, dict] = {}
	for row in rows:
		user_id = "" if row.device_user_id is None else str(row.device_user_id)
		group = groups.get(user_id)
		if group is None:
			group = groups[user_id] = {
				"device_user_id": user_id,
				"punches": 0,
				"first_seen": row.seen,
				"last_seen": row.seen,
				"devices": set(),
			}
		group["punches"] += 1
		group["devices"].add(row.device)
		if row.seen and (not group["first_seen"] or row.seen < group["first_seen"]):
			group["first_seen"] = row.seen
		if row.seen and (not group["last_seen"] or row.seen > group["last_seen"]):
			group["last_seen"] = row.seen
	ordered = sorted(groups.values(), key=lambda g: (-g["punches"], g["device_user_id"]))
	names = device_users.names_for([g["device_user_id"] for g in ordered]) if ordered else {}
	index = device_users.candidate_index() if names else None
	for group in ordered:
		group["devices"] = sorted(d for d in group["devices"] if d)
		group["device_name"] = names.get(group["device_user_id"])
		group["suggestions"] = (
			[s.as_dict() for s in index.suggest(group["device_name"])]
			if index and group["device_name"]
			else []
		)
	field = bsync_settings.lookup_field()
	meta = frappe.get_meta("Employee")
	return {
		"now": _now(),
		"lookup_field": field,
		"lookup_label": meta.get_label(field) if meta.has_field(field) else field,
		"total": len(rows),
		"groups": ordered,
	}


@frappe.whitelist()
def punches(
	employee: str | None = None,
	user_id: str | None = None,
	device: str | None = None,
	date: str | None = None,
	status: str | None = None,
	start: int = 0,
	page_length: int = 50,
) -> list[dict]:
	require_page_user()
	if not frappe.has_permission("Biometric Punch", "read"):
		fail(NotPermittedError, "NOT_PERMITTED", "You may not read Biometric Punch")
	if date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(date).strip()):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"date must be YYYY-MM-DD, not {date!r}")
	sql, values = punch_list.query(employee, user_id, device, date, status, start, page_length)
	return frappe.db.sql(sql, values, as_dict=True)


@frappe.whitelist()
def find_employees(txt: str | None = None) -> dict:
	require_page_user()
	field = _lookup_field()
	text = (txt or "").strip()
	or_filters = None
	if text:
		like = f"%{text}%"
		or_filters = [["name", "like", like], ["employee_name", "like", like], [field, "like", like]]
	rows = frappe.get_list(
		"Employee",
		filters={"status": "Active"},
		or_filters=or_filters,
		fields=["name", "employee_name", "department", "designation", f"`{field}` as lookup_value"],
		order_by="employee_name asc",
		limit_page_length=20,
	)
	return {"lookup_field": field, "employees": rows}


def _lookup_field() -> str:
	return mapping.lookup_field()


@frappe.whitelist(methods=["POST"])
def map_user_id(device_user_id: str, employee: str, replace: int | str | bool = 0) -> dict:
	require_page_user()
	return mapping.map_id(device_user_id, employee, replace=bool(cint(replace)))


MAX_PAIRS = 500


@frappe.whitelist(methods=["POST"])
def accept_suggestions(pairs: list | str) -> dict:
	require_page_user()
	items = frappe.parse_json(pairs) if isinstance(pairs, str) else pairs
	if not isinstance(items, list) or len(items) > MAX_PAIRS:
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"pairs must be a list of at most {MAX_PAIRS} objects")
	mapped, failed = [], []
	for index, item in enumerate(items):
		if not isinstance(item, dict):
			fail(InvalidArgumentError, "INVALID_ARGUMENT", f"pairs[{index}] must be an object")
		savepoint = f"bsync_accept_{index}"
		frappe.db.savepoint(savepoint)
		try:
			mapped.append(mapping.map_id(item.get("device_user_id"), item.get("employee")))
		except BiometricSyncError as error:
			frappe.db.rollback(save_point=savepoint)
			frappe.clear_messages()
			failed.append(
				{
					"device_user_id": item.get("device_user_id"),
					"employee": item.get("employee"),
					"code": error.code,
					"error": error.message,
				}
			)
	getattr(frappe.local, "response", {}).pop("code", None)  # set by the failures handled above
	return {"mapped": mapped, "failed": failed}


ATTENDANCE_RANGE_DAYS = 62


@frappe.whitelist()
def attendance(from_date: str | None = None, to_date: str | None = None, day: str | None = None) -> dict:
	"""Daily Attendance from punches, for the HR page: per-day counts of the range, the decisions of ``day``
	(default: the newest day with any), and the past days still waiting (and for which devices)."""
	require_page_user()
	settings = bsync_settings.get_settings()
	try:
		end = getdate(to_date) if to_date else add_days(getdate(nowdate()), -1)
		start = getdate(from_date) if from_date else add_days(end, -13)
		chosen = getdate(day) if day else None
	except Exception:
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "dates must be YYYY-MM-DD")
	if start > end or (end - start).days >= ATTENDANCE_RANGE_DAYS:
		fail(
			InvalidArgumentError,
			"INVALID_ARGUMENT",
			f"the range must run forwards and span at most {ATTENDANCE_RANGE_DAYS} days",
		)
	days = attendance_overview.day_counts(start, end)
	chosen = chosen or (getdate(days[0]["day"]) if days else None)
	marks = (
		frappe.get_all(
			"Biometric Attendance Mark",
			filters={"attendance_date": chosen},
			fields=list(attendance_overview.MARK_FIELDS),
			order_by="employee_name asc, employee asc",
		)
		if chosen
		else []
	)
	return {
		"now": _now(),
		"mode_on": bsync_settings.daily_attendance_on(settings),
		"start_date": str(settings.attendance_start_date) if settings.attendance_start_date else None,
		"marked_through": str(settings.attendance_marked_through)
		if settings.attendance_marked_through
		else None,
		"from_date": str(start),
		"to_date": str(end),
		"days": days,
		"day": str(chosen) if chosen else None,
		"marks": marks,
		"waiting": attendance_overview.undecided_days(start, end, settings),
	}
