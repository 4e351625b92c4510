"""Employees onto terminals, leavers off them (issue 13): ``user_set`` / ``user_delete`` Biometric Commands.

A device takes part when it is enabled, has a sidecar, its family can manage users (zk, adms, hikvision: not
eSSL), its **Enrol Employees** is "All employees" or "Matching filters" (company / branch / department, each
when set), and **Enrol Now** has been pressed once (``enrolment_started_on``; Preview Enrolment shows first
what it would do).

An Employee **belongs** on such a device when it is Active, has a device user id (the lookup field of Biometric
Sync Settings), its relieving date is not reached, and it is inside the filters. A **leaver** is an Employee
with an id whose status is Left/Inactive or whose relieving date is reached. Moving an Employee out of the
filters does not remove it from a terminal (a person decides that).

- ``on_employee_update`` (Employee on_update, which also runs on insert): for each taking-part device, an
  Employee that now belongs and is new there, got or changed its id, or changed its name → ``user_set {user_id,
  name}`` (and ``user_delete`` of the old id when the id changed); one that belonged and left → ``user_delete
  {user_id, mode}``.
- ``check_relieving_dates`` (daily): Employees whose relieving date was reached in the last days while still
  Active → ``user_delete`` (once: not again after a delete of that id was queued since the relieving date).
- ``preview(device)`` / ``enrol_now(device)``: the plan of ``biometric_sync.users.plan`` for one device (who to
  create, update, delete, refuse), and the commands that carry it out.

Every command is queued through ``queue``: never for a device user that the terminal holds as an administrator
(refused, with the reason), and not twice while an identical one is open (coalesced). ``mode`` is "disable" when
Biometric Sync Settings' Leaver Action is Disable and the family can (Hikvision), else "delete".
"""

import frappe
from frappe.utils import add_days, getdate, now_datetime, nowdate

from biometric_sync import settings as bsync_settings
from biometric_sync.errors import InvalidArgumentError, fail
from biometric_sync.outbox import outbox
from biometric_sync.users.device_users import DISABLE_DRIVERS, DOCTYPE, USER_DRIVERS
from biometric_sync.users.plan import ADMIN, admin_refusal, plan
from biometric_sync.users.schema import row_name

LEAVER_STATUSES = ("Left", "Inactive")
RELIEVING_LOOKBACK_DAYS = 3
DEVICE_FIELDS = [
	"name",
	"driver",
	"sidecar",
	"enabled",
	"enroll_employees",
	"enroll_company",
	"enroll_branch",
	"enroll_department",
	"enrolment_started_on",
]
EMPLOYEE_FIELDS = ["name", "employee_name", "status", "relieving_date", "company", "branch", "department"]


def delete_mode(driver: str | None, settings=None) -> str:
	settings = settings or bsync_settings.get_settings()
	return "disable" if settings.leaver_action == "Disable" and driver in DISABLE_DRIVERS else "delete"


def enrolling_devices() -> list[frappe._dict]:
	return frappe.get_all(
		"Biometric Device",
		filters={
			"enabled": 1,
			"driver": ("in", USER_DRIVERS),
			"sidecar": ("is", "set"),
			"enroll_employees": ("in", ("All employees", "Matching filters")),
			"enrolment_started_on": ("is", "set"),
		},
		fields=DEVICE_FIELDS,
	)


def _id(employee, field: str) -> str | None:
	value = employee.get(field)
	return None if value in (None, "") else str(value)


def is_leaver(employee, today=None) -> bool:
	today = today or getdate(nowdate())
	relieved = employee.get("relieving_date") and getdate(employee.get("relieving_date")) <= today
	return employee.get("status") in LEAVER_STATUSES or bool(relieved)


def in_filters(employee, device) -> bool:
	if device.enroll_employees != "Matching filters":
		return True
	for field in ("company", "branch", "department"):
		wanted = device.get(f"enroll_{field}")
		if wanted and employee.get(field) != wanted:
			return False
	return True


def belongs(employee, device, field: str, today=None) -> bool:
	return (
		employee is not None
		and employee.get("status") == "Active"
		and _id(employee, field) is not None
		and not is_leaver(employee, today)
		and in_filters(employee, device)
	)


def _admin_on(device: str, user_id: str) -> bool:
	row = frappe.db.get_value(DOCTYPE, row_name(device, user_id), ["privilege", "removed_on"], as_dict=True)
	return bool(row) and row.privilege == ADMIN and not row.removed_on


def queue(device, command_type: str, payload: dict, employee: str | None, trigger: str = "enrolment") -> dict:
	"""``{"command": name, "state": "queued"|"coalesced"}`` or ``{"state": "refused", "reason": ...}``."""
	user_id = payload["user_id"]
	if _admin_on(device.name, user_id):
		return {"state": "refused", "reason": admin_refusal(user_id), "device": device.name}
	existing = outbox.open_user_command(device.name, command_type, payload)
	if existing:
		return {"command": existing, "state": "coalesced", "device": device.name}
	name = outbox.create_command(
		command_type,
		device.sidecar,
		device.name,
		payload,
		trigger=trigger,
		device_user_id=user_id,
		employee=employee,
	)
	return {"command": name, "state": "queued", "device": device.name}


def _set(device, employee, field: str) -> dict:
	payload = {"user_id": _id(employee, field), "name": employee.get("employee_name") or employee.get("name")}
	return queue(device, "user_set", payload, employee.get("name"))


def _delete(device, user_id: str, employee: str | None, settings=None) -> dict:
	payload = {"user_id": user_id, "mode": delete_mode(device.driver, settings)}
	return queue(device, "user_delete", payload, employee)


def on_employee_update(doc, method=None) -> None:
	if not frappe.db.table_exists(DOCTYPE):
		return
	devices = enrolling_devices()
	if not devices:
		return
	field = bsync_settings.lookup_field()
	before = doc.get_doc_before_save()
	old_id, new_id = (_id(before, field) if before else None), _id(doc, field)
	renamed = bool(before) and before.get("employee_name") != doc.get("employee_name")
	outcomes = []
	for device in devices:
		was, now = belongs(before, device, field), belongs(doc, device, field)
		if now:
			if not was or old_id != new_id or renamed:
				outcomes.append(_set(device, doc, field))
			if was and old_id and old_id != new_id:
				outcomes.append(_delete(device, old_id, doc.name))
		elif was and old_id and is_leaver(doc):
			outcomes.append(_delete(device, old_id, doc.name))
	refused = [o for o in outcomes if o["state"] == "refused"]
	if refused:
		frappe.msgprint(
			"<br>".join(f"{o['device']}: {o['reason']}" for o in refused),
			title="Not sent to the terminal",
			indicator="orange",
		)


def check_relieving_dates() -> list[dict]:
	"""Daily: Employees still Active whose relieving date came in the last RELIEVING_LOOKBACK_DAYS days."""
	devices = enrolling_devices()
	if not devices:
		return []
	field = bsync_settings.lookup_field()
	today = getdate(nowdate())
	employees = frappe.get_all(
		"Employee",
		filters={
			"status": "Active",
			"relieving_date": ("between", (add_days(today, -RELIEVING_LOOKBACK_DAYS), today)),
		},
		fields=[*EMPLOYEE_FIELDS, f"`{field}` as lookup_value"],
	)
	settings = bsync_settings.get_settings()
	outcomes = []
	for employee in employees:
		user_id = _id(employee, "lookup_value")
		if user_id is None:
			continue
		still_active = frappe._dict(employee, relieving_date=None)
		for device in devices:
			if not belongs(still_active, device, "lookup_value", today):
				continue
			done = frappe.db.exists(
				"Biometric Command",
				{
					"device": device.name,
					"command_type": "user_delete",
					"device_user_id": user_id,
					"creation": (">=", employee.relieving_date),
				},
			)
			if not done:
				outcomes.append(_delete(device, user_id, employee.name, settings))
	return outcomes


def _device(name: str) -> frappe._dict:
	device = frappe.db.get_value("Biometric Device", name, DEVICE_FIELDS, as_dict=True)
	if device.driver not in USER_DRIVERS:
		fail(
			InvalidArgumentError,
			"ENROLMENT_NOT_SUPPORTED",
			f"a {device.driver} terminal's users cannot be managed from here (only zk, adms and hikvision)",
		)
	return device


def compute(device: frappe._dict):
	field = bsync_settings.lookup_field()
	today = getdate(nowdate())
	employees = frappe.get_all(
		"Employee",
		filters={field: ("is", "set")},
		fields=[*EMPLOYEE_FIELDS, f"`{field}` as lookup_value"],
	)
	desired, leaving = {}, {}
	for employee in employees:
		user_id = _id(employee, "lookup_value")
		if user_id is None:
			continue
		if belongs(employee, device, "lookup_value", today):
			desired[user_id] = (employee.name, employee.employee_name or employee.name)
		elif is_leaver(employee, today):
			leaving[user_id] = employee.name
	table = frappe.qb.DocType(DOCTYPE)
	rows = (
		frappe.qb.from_(table)
		.select(table.device_user_id, table.user_name, table.privilege)
		.where((table.device == device.name) & table.removed_on.isnull())
		.run()
	)
	on_device = {user_id: (name, privilege) for user_id, name, privilege in rows}
	return plan(desired, on_device, leaving, delete_mode(device.driver)), bool(on_device)


def _last_read(device: str) -> frappe._dict | None:
	rows = frappe.get_all(
		"Biometric Command",
		filters={"device": device, "command_type": "users_read"},
		fields=["name", "status", "creation", "finished_on"],
		order_by="creation desc",
		limit=1,
	)
	return rows[0] if rows else None


def preview(device_name: str) -> dict:
	device = _device(device_name)
	result, known = compute(device)
	return {
		"device": device.name,
		"enroll_employees": device.enroll_employees,
		"enrolment_started_on": device.enrolment_started_on,
		"users_known": known,
		"last_users_read": _last_read(device.name),
		**result.as_dict(),
	}


def enrol_now(device_name: str) -> dict:
	device = _device(device_name)
	if device.enroll_employees not in ("All employees", "Matching filters"):
		fail(InvalidArgumentError, "ENROLMENT_OFF", f"Enrol Employees is No on {device.name}")
	if not device.sidecar:
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"{device.name} has no sidecar")
	result, _known = compute(device)
	outcomes = []
	for row in result.create + result.update:
		payload = {"user_id": row["user_id"], "name": row["name"]}
		outcomes.append(queue(device, "user_set", payload, row["employee"], trigger="manual"))
	for row in result.delete:
		payload = {"user_id": row["user_id"], "mode": row["mode"]}
		outcomes.append(queue(device, "user_delete", payload, row["employee"], trigger="manual"))
	if not device.enrolment_started_on:
		frappe.db.set_value("Biometric Device", device.name, "enrolment_started_on", now_datetime())
	return {
		"device": device.name,
		"queued": [o["command"] for o in outcomes if o["state"] == "queued"],
		"coalesced": [o["command"] for o in outcomes if o["state"] == "coalesced"],
		"refused": result.refused + [o for o in outcomes if o["state"] == "refused"],
	}


def status_of(employee: str) -> dict:
	"""Per device: the last user command about this Employee, and what the terminal holds for it."""
	commands = frappe.get_all(
		"Biometric Command",
		filters={"employee": employee, "command_type": ("in", ("user_set", "user_delete"))},
		fields=["name", "device", "command_type", "device_user_id", "status", "result", "error", "creation"],
		order_by="creation desc",
		limit=200,
	)
	last: dict[str, frappe._dict] = {}
	for command in commands:
		if command.device not in last:
			command.result = frappe.parse_json(command.result) if command.result else None
			last[command.device] = command
	held = frappe.get_all(
		DOCTYPE,
		filters={"employee": employee},
		fields=["device", "device_user_id", "user_name", "privilege", "removed_on"],
	)
	return {"employee": employee, "commands": list(last.values()), "device_users": held}
