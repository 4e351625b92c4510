"""Employee Checkins of a chunk written with one INSERT, where that is exactly what HRMS's insert would store.

Inserting a checkin through ``doc.insert`` costs about 5 ms of Python and six queries (link validation, HRMS's
active-employee and duplicate checks, defaults, hooks), which held processing near 190 checkins/s (issue 12).
For most punches of a site every one of those steps is already known for the whole chunk: the processor looked
the Employee up (status, name), knows whether HRMS's shift search can find anything for them (``shiftless``),
checks duplicates against stored checkins with one query per chunk (``stored_checkins``), and names the checkin
from the series (``checkin_names``). What is left is the row, which is written here for the chunk at once.

A checkin is written in bulk only when nothing else would take part in its insert, checked once per run
(``why_not``): HRMS's own controller with the validation steps this module accounts for; no ``doc_events`` of
any app for Employee Checkin; generic (``"*"``) hooks only those of Frappe and ERPNext that act on configuration,
and none of that configuration for Employee Checkin (workflow, assignment, energy point, milestone, service level
agreement, user type); no Server Script, Notification or Webhook on it; geolocation tracking off; no Attach or
global-search field; fetched fields only from the Employee; a plain naming series; the processing user does not
follow documents they create. Otherwise, and for each punch of an employee HRMS can find a shift for, the
checkin goes through ``doc.insert`` as before. If the INSERT fails, the chunk's checkins go through
``doc.insert`` one by one.
"""

import frappe
from frappe.model.base_document import get_controller
from frappe.utils import now_datetime

from biometric_sync import bulk_sql

DOCTYPE = "Employee Checkin"
HRMS_CONTROLLER = "hrms.hr.doctype.employee_checkin.employee_checkin.EmployeeCheckin"
# The steps of HRMS's EmployeeCheckin.validate that this module accounts for: the active employee and duplicate
# checks (done per chunk), the shift search (bulk only where it finds nothing), geolocation (bulk only while
# tracking is off). A validate that calls anything else means a HRMS this module does not know: doc.insert.
HRMS_VALIDATE_NAMES = {
	"validate_active_employee",
	"employee",
	"validate_duplicate_log",
	"fetch_shift",
	"set_geolocation",
	"validate_distance_from_shift_location",
}
# Controller methods Frappe runs on insert; HRMS's controller defines only validate.
INSERT_METHODS = (
	"before_insert",
	"before_naming",
	"autoname",
	"before_validate",
	"before_save",
	"after_insert",
	"on_update",
	"on_change",
	"db_insert",
)
# Generic hooks (doc_events "*") that act only when configured for a doctype (see why_not).
KNOWN_GENERIC_HOOKS = {
	"frappe.desk.notifications.clear_doctype_notifications",
	"frappe.workflow.doctype.workflow_action.workflow_action.process_workflow_actions",
	"frappe.core.doctype.file.utils.attach_files_to_document",
	"frappe.automation.doctype.assignment_rule.assignment_rule.apply",
	"frappe.automation.doctype.assignment_rule.assignment_rule.update_due_date",
	"frappe.core.doctype.user_type.user_type.apply_permissions_for_non_standard_user_type",
	"frappe.social.doctype.energy_point_rule.energy_point_rule.process_energy_points",
	"frappe.automation.doctype.milestone_tracker.milestone_tracker.evaluate_milestone",
	"erpnext.support.doctype.service_level_agreement.service_level_agreement.apply",
	"erpnext.setup.doctype.transaction_deletion_record.transaction_deletion_record.check_for_running_deletion_job",
}
# Configuration that makes an event-driven feature act on a doctype: (doctype, filters).
CONFIGURED_ON = (
	("Server Script", {"reference_doctype": DOCTYPE, "disabled": 0, "script_type": "DocType Event"}),
	("Notification", {"document_type": DOCTYPE, "enabled": 1}),
	("Webhook", {"webhook_doctype": DOCTYPE, "enabled": 1}),
	("Assignment Rule", {"document_type": DOCTYPE, "disabled": 0}),
	("Energy Point Rule", {"reference_doctype": DOCTYPE, "enabled": 1}),
	("Milestone Tracker", {"document_type": DOCTYPE, "disabled": 0}),
	("Service Level Agreement", {"document_type": DOCTYPE, "enabled": 1}),
	("Workflow", {"document_type": DOCTYPE, "is_active": 1}),
)
# Fields of the row set here; every other column takes the site's default for a new checkin.
SET_HERE = (
	"name",
	"owner",
	"creation",
	"modified",
	"modified_by",
	"employee",
	"time",
	"log_type",
	"device_id",
)


def why_not() -> str | None:
	"""Why checkins cannot be written in bulk on this site now, or None when they can."""
	controller = get_controller(DOCTYPE)
	if f"{controller.__module__}.{controller.__qualname__}" != HRMS_CONTROLLER:
		return f"Employee Checkin's controller is {controller.__module__}.{controller.__qualname__}"
	validate = getattr(controller, "validate", None)
	code = getattr(validate, "__code__", None)
	if code is None or not set(code.co_names) <= HRMS_VALIDATE_NAMES:
		return "HRMS's Employee Checkin validation has steps this app does not account for"
	defined = [
		m for m in INSERT_METHODS if any(m in vars(cls) for cls in controller.__mro__[:-1] if _own(cls))
	]
	if defined:
		return f"Employee Checkin's controller defines {', '.join(defined)}"
	events = frappe.get_doc_hooks()  # what Document.run_method runs (tuple keys expanded)
	if events.get(DOCTYPE):
		return "an app hooks Employee Checkin's events"
	unknown = sorted(
		{hook for hooks in (events.get("*") or {}).values() for hook in hooks} - KNOWN_GENERIC_HOOKS
	)
	if unknown:
		return f"an app hooks every doctype's events: {unknown[0]}"
	for doctype, filters in CONFIGURED_ON:
		if frappe.db.table_exists(doctype) and frappe.db.exists(doctype, filters):
			return f"a {doctype} acts on Employee Checkin"
	if frappe.db.get_single_value("HR Settings", "allow_geolocation_tracking"):
		return "geolocation tracking is on (HR Settings)"
	meta = frappe.get_meta(DOCTYPE)
	for df in meta.fields:
		if df.fieldtype in ("Attach", "Attach Image") or df.in_global_search:
			return f"field {df.fieldname} needs Frappe's save"
		if df.fetch_from and not df.fetch_from.startswith("employee."):
			return f"field {df.fieldname} is fetched from {df.fetch_from}"
		if df.reqd and df.fieldname not in SET_HERE and df.default in (None, ""):
			return f"field {df.fieldname} is mandatory"
		if df.unique:
			return f"field {df.fieldname} is unique"
	if _user_type_covers_checkins():
		return "a non-standard User Type covers Employee Checkin"
	if frappe.get_cached_value("User", frappe.session.user, "follow_created_documents"):
		return f"{frappe.session.user} follows the documents they create"
	return None


def _own(cls) -> bool:
	"""A class of the controller's own (HRMS or an app), not Frappe's Document base classes."""
	return not cls.__module__.startswith("frappe.model.")


def _user_type_covers_checkins() -> bool:
	try:
		from frappe.core.doctype.user_type.user_type import get_non_standard_user_types

		return DOCTYPE in (get_non_standard_user_types() or {})
	except Exception:
		return True  # cannot tell: Frappe's save decides


def fetched_fields() -> dict[str, str]:
	"""Checkin field → Employee field, for the fields Employee Checkin fetches from its Employee."""
	return {
		df.fieldname: df.fetch_from.split(".", 1)[1]
		for df in frappe.get_meta(DOCTYPE).fields
		if df.fetch_from and df.fetch_from.startswith("employee.")
	}


def stored_checkins(pairs: set[tuple]) -> dict[tuple, str]:
	"""(employee, time, log type or "") → the first stored checkin with them, for the given (employee, time)
	pairs: HRMS's duplicate check for a whole chunk, in one query through the (employee, time) index."""
	from biometric_sync.ingest.processor import checkin_key

	if not pairs:
		return {}
	placeholders = ", ".join(["(%s, %s)"] * len(pairs))
	values = [value for pair in pairs for value in pair]
	found: dict[tuple, str] = {}
	for name, employee, time, log_type in frappe.db.sql(
		f"""select name, employee, time, log_type from `tab{DOCTYPE}`
		where (employee, time) in ({placeholders}) order by creation, name""",
		values,
	):
		found.setdefault(checkin_key(employee, time, log_type), name)
	return found


class ChunkRows:
	"""The checkin rows of one chunk, written by ``flush``."""

	def __init__(self):
		# The site's defaults for a new checkin (meta and user defaults), as db_insert would store them (a number
		# field left empty is 0).
		new = frappe.new_doc(DOCTYPE)
		self.base = {
			key: value
			for key, value in new.get_valid_dict(convert_dates_to_str=True).items()
			if key not in ("doctype", "__islocal", "__unsaved")
		}
		self.columns = list(dict.fromkeys([*SET_HERE, *self.base]))
		self.rows: list[dict] = []
		# One moment for the chunk's rows (they commit together; their names keep their order): reading the clock
		# in the site's zone per row was a twentieth of a processing job's CPU.
		now = now_datetime()
		user = frappe.session.user
		self.base.update(owner=user, modified_by=user, creation=now, modified=now, docstatus=0, idx=0)

	def add(self, values: dict) -> None:
		row = dict(self.base)
		row.update(values)
		self.rows.append(row)

	def flush(self) -> None:
		"""One INSERT for the chunk's rows. Raises as the database does (the caller falls back)."""
		if not self.rows:
			return
		bulk_sql.insert(
			DOCTYPE, self.columns, [[row.get(column) for column in self.columns] for row in self.rows]
		)
		# The one generic hook with an effect here: Desk's notification counts for the doctype.
		from frappe.desk.notifications import clear_doctype_notifications

		clear_doctype_notifications(frappe._dict(doctype=DOCTYPE))
