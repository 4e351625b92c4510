"""Fingerprint and face templates that follow the person between terminals (issue 13, opt-in).

Biometric data, so:

- nothing happens unless Biometric Sync Settings → **Copy fingerprint and face templates between terminals** is
  on (``report`` answers ``{"stored": 0, "skipped": "off"}`` and stores nothing);
- a template is a Biometric Template row whose ``template_data`` is a Password field: the base64 template is
  kept encrypted in ``__Auth`` (``set_encrypted_password``), the row itself holds only asterisks. The doctype
  has no permissions for any role, so neither ``frappe.client.get`` nor ``get_list`` nor ``get_password`` serve
  it over REST;
- a ``template_set`` Biometric Command stores only a reference to the template (``template``: the row's name);
  the template's data is added to the payload only in the claim response the sidecar receives
  (``claim_payload``), and the command's payload is emptied when it completes. Results keep only ``user_id``,
  ``kind``, ``index``, ``action``, ``code`` and ``error``;
- rows go with their device user: when a report marks the user removed (``delete_for``), when the Biometric
  Device User row is deleted, and when the Employee is deleted (``on_employee_trash``).

Copying: a template new or changed on one terminal, of a device user that is an Employee's, is queued as
``template_set {user_id, kind, index, format, template}`` for every other terminal of the same family (ZKTeco
``zk`` or ADMS ``adms``) that takes part in enrolment and that the Employee belongs on
(``biometric_sync.users.enrollment.belongs``), unless that terminal already holds the same template (so a copy
read back from its target copies nothing further).
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

import frappe
from frappe.utils import cint, now_datetime
from frappe.utils.password import get_decrypted_password, set_encrypted_password

from biometric_sync import settings as bsync_settings
from biometric_sync.users.schema import row_name

DOCTYPE = "Biometric Template"
TEMPLATE_DRIVERS = ("zk", "adms")
KINDS = {"fingerprint": "Fingerprint", "face": "Face"}
MAX_TEMPLATES = 5000
MAX_DATA_CHARS = 40_000  # base64 of ~30 kB: ZK fingerprint templates are ~0.5-2 kB, face templates larger
MAX_INDEX = 99
DUMMY = "*" * 8
RESULT_KEYS = ("user_id", "kind", "index", "action", "code", "error")


class TemplateError(Exception):
	def __init__(self, code: str, message: str):
		super().__init__(message)
		self.code = code
		self.message = message


@dataclass(frozen=True)
class Template:
	user_id: str
	kind: str  # "Fingerprint" | "Face"
	index: int
	format: str
	data_b64: str

	@property
	def size(self) -> int:
		return len(base64.b64decode(self.data_b64))


def enabled() -> bool:
	return bool(cint(bsync_settings.get_settings().get("copy_templates")))


def template_name(device: str, user_id: str, kind: str, index) -> str:
	return hashlib.sha256(f"{device}|{user_id}|{kind}|{cint(index)}".encode()).hexdigest()[:40]


def parse_templates(value) -> list[Template]:
	"""The sidecar's list → Templates; refuses (``INVALID_TEMPLATE``, ``BATCH_TOO_LARGE``) without ever quoting
	template data in the message."""
	if not isinstance(value, list):
		raise TemplateError("INVALID_ARGUMENT", "templates must be a list")
	if len(value) > MAX_TEMPLATES:
		raise TemplateError("BATCH_TOO_LARGE", f"at most {MAX_TEMPLATES} templates per call")
	out: dict[tuple, Template] = {}
	for position, item in enumerate(value):
		where = f"templates[{position}]"
		if not isinstance(item, dict):
			raise TemplateError("INVALID_TEMPLATE", f"{where} must be an object")
		user_id = item.get("user_id")
		if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > 140:
			raise TemplateError("INVALID_TEMPLATE", f"{where}.user_id must be a non-empty string (≤ 140)")
		kind = KINDS.get(str(item.get("kind") or "").lower())
		if kind is None:
			raise TemplateError("INVALID_TEMPLATE", f"{where}.kind must be fingerprint or face")
		index = item.get("index")
		if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= MAX_INDEX:
			raise TemplateError("INVALID_TEMPLATE", f"{where}.index must be an integer 0-{MAX_INDEX}")
		fmt = item.get("format")
		if not isinstance(fmt, str) or not fmt or len(fmt) > 40:
			raise TemplateError("INVALID_TEMPLATE", f"{where}.format must be a string (≤ 40)")
		data = item.get("data_b64")
		if not isinstance(data, str) or not data or len(data) > MAX_DATA_CHARS:
			raise TemplateError("INVALID_TEMPLATE", f"{where}.data_b64 must be base64 of 1 to ~30,000 bytes")
		try:
			base64.b64decode(data, validate=True)
		except (binascii.Error, ValueError):
			raise TemplateError("INVALID_TEMPLATE", f"{where}.data_b64 is not valid base64") from None
		out[(user_id, kind, index)] = Template(user_id, kind, index, fmt, data)
	return list(out.values())


def stored_data(name: str) -> str | None:
	return get_decrypted_password(DOCTYPE, name, "template_data", raise_exception=False)


def _store(device: str, template: Template, employee: str | None, source: str) -> tuple[str, bool]:
	"""Upserts one row → (name, changed)."""
	name = template_name(device, template.user_id, template.kind, template.index)
	values = {
		"device_user": row_name(device, template.user_id)
		if frappe.db.exists("Biometric Device User", row_name(device, template.user_id))
		else None,
		"employee": employee,
		"template_format": template.format,
		"template_size": template.size,
	}
	if frappe.db.exists(DOCTYPE, name):
		same = stored_data(name) == template.data_b64
		current = frappe.db.get_value(DOCTYPE, name, ["template_format", "employee"], as_dict=True)
		if same and current.template_format == template.format and current.employee == employee:
			return name, False
		if not same:
			values.update(source_device=source, updated_on=now_datetime(), template_data=DUMMY)
			set_encrypted_password(DOCTYPE, name, template.data_b64, "template_data")
		frappe.db.set_value(DOCTYPE, name, values)
		return name, not same
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"device": device,
			"device_user_id": template.user_id,
			"kind": template.kind,
			"template_index": template.index,
			"source_device": source,
			"updated_on": now_datetime(),
			"template_data": DUMMY,  # a dummy value: save() leaves __Auth alone, the data goes there below
			**values,
		}
	)
	doc.insert(ignore_permissions=True)
	set_encrypted_password(DOCTYPE, doc.name, template.data_b64, "template_data")
	return doc.name, True


def report(device: str, templates: list[Template], source: str | None = None) -> dict:
	"""The templates one terminal holds (``api.sidecar.report_templates``) → ``{"stored", "changed",
	"queued"}``, or ``{"stored": 0, "skipped": "off"}`` when the setting is off."""
	if not enabled():
		return {"stored": 0, "skipped": "off"}
	from biometric_sync.users.device_users import employee_ids

	owners = employee_ids()
	changed, queued = [], 0
	for template in templates:
		name, is_new = _store(device, template, owners.get(template.user_id), source or device)
		if is_new:
			changed.append(name)
	for name in changed:
		queued += len(copy(name))
	return {"stored": len(templates), "changed": len(changed), "queued": queued}


def copy(name: str) -> list[dict]:
	"""``template_set`` for every other terminal of the family the template's Employee belongs on."""
	from biometric_sync.users import enrollment

	if not enabled():
		return []
	row = frappe.db.get_value(
		DOCTYPE,
		name,
		["name", "device", "device_user_id", "employee", "kind", "template_index", "template_format"],
		as_dict=True,
	)
	if not row or not row.employee:
		return []
	driver = frappe.db.get_value("Biometric Device", row.device, "driver")
	if driver not in TEMPLATE_DRIVERS:
		return []
	field = bsync_settings.lookup_field()
	employee = frappe.db.get_value(
		"Employee", row.employee, [*enrollment.EMPLOYEE_FIELDS, field], as_dict=True
	)
	data = stored_data(name)
	queued = []
	for device in enrollment.enrolling_devices():
		if device.name == row.device or device.driver != driver:
			continue
		if not enrollment.belongs(employee, device, field):
			continue
		user_id = str(employee.get(field))
		there = template_name(device.name, user_id, row.kind, row.template_index)
		if frappe.db.exists(DOCTYPE, there) and stored_data(there) == data:
			continue  # that terminal holds it already
		payload = {
			"user_id": user_id,
			"kind": row.kind.lower(),
			"index": cint(row.template_index),
			"format": row.template_format,
			"template": name,
		}
		answer = enrollment.queue(device, "template_set", payload, row.employee)
		if answer.get("state") == "queued":
			queued.append(answer)
	return queued


def claim_payload(payload: dict) -> dict:
	"""A template_set payload as the sidecar gets it: the template's data added (never stored on the command)."""
	name = payload.get("template")
	data = stored_data(name) if name else None
	public = {k: v for k, v in payload.items() if k != "template"}
	return {**public, "data_b64": data}


def safe_result(result: dict) -> dict:
	return {key: result[key] for key in RESULT_KEYS if key in result}


def delete_for(device: str, user_ids: list[str]) -> int:
	if not user_ids:
		return 0
	names = frappe.get_all(
		DOCTYPE,
		filters={"device": device, "device_user_id": ("in", user_ids)},
		fields=["name", "device_user_id"],
	)
	wanted = set(user_ids)
	return _delete([row.name for row in names if row.device_user_id in wanted])


def _delete(names: list[str]) -> int:
	if names:
		frappe.db.delete("__Auth", {"doctype": DOCTYPE, "name": ("in", names)})
		frappe.db.delete(DOCTYPE, {"name": ("in", names)})
	return len(names)


def on_device_user_trash(doc, method=None) -> None:
	delete_for(doc.device, [doc.device_user_id])


def on_employee_trash(doc, method=None) -> None:
	_delete(frappe.get_all(DOCTYPE, filters={"employee": doc.name}, pluck="name"))


def on_device_trash(doc, method=None) -> None:
	_delete(frappe.get_all(DOCTYPE, filters={"device": doc.name}, pluck="name"))
