"""Helpers for the Frappe integration tests (run by `bench run-tests --app biometric_sync`).

The ingest and sidecar endpoints commit (the contract says they return only after commit), so FrappeTestCase's
rollback cannot undo them: every test record is named with ``PREFIX`` and ``cleanup()`` deletes them.
"""

import threading
from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

import frappe
from erpnext.setup.doctype.employee.test_employee import make_employee
from frappe.tests.utils import FrappeTestCase

from biometric_sync.ingest.uid import punch_uid, staging_name
from biometric_sync.transactions import separate_connection

PREFIX = "_T BSync"
# PREFIX as a LIKE prefix: its leading "_" would be a wildcard, and a pattern starting with one reads every row
# of a big table (Employee Checkin) instead of using its index.
LIKE_PREFIX = PREFIX.replace("_", "\\_") + "%"
EMAIL_DOMAIN = "bsync-test.invalid"


def run_token() -> str:
	"""A short id unique to this run, for test device user ids. It always holds a letter: tests compare an id
	with its lower-cased variant, which an all-digit token would make the same id."""
	return "K" + frappe.generate_hash(length=5).upper()


def cleanup() -> None:
	# Plain SQL: get_all's LIKE handling escapes the backslash of LIKE_PREFIX (frappe.db.delete does not).
	devices = frappe.db.sql_list("select name from `tabBiometric Device` where name like %s", LIKE_PREFIX)
	sidecars = frappe.db.sql_list("select name from `tabBiometric Sidecar` where name like %s", LIKE_PREFIX)
	sidecar_users = frappe.get_all(
		"Biometric Sidecar",
		filters={"name": ("in", sidecars or [""]), "api_user": ("is", "set")},
		pluck="api_user",
	)
	if devices:
		templates = frappe.get_all("Biometric Template", {"device": ("in", devices)}, pluck="name")
		if templates:
			frappe.db.delete("__Auth", {"doctype": "Biometric Template", "name": ("in", templates)})
			frappe.db.delete("Biometric Template", {"name": ("in", templates)})
		frappe.db.delete("Biometric Device User", {"device": ("in", devices)})
		frappe.db.delete("Biometric Punch", {"device": ("in", devices)})
		frappe.db.delete("Employee Checkin", {"device_id": ("in", devices)})
		frappe.db.delete("Biometric Sync Log", {"device": ("in", devices)})
		frappe.db.delete("Biometric Command", {"device": ("in", devices)})
	if sidecars:
		frappe.db.delete("Biometric Command", {"sidecar": ("in", sidecars)})
		frappe.db.delete("Biometric Sync Log", {"sidecar": ("in", sidecars)})
	frappe.db.delete("Employee Checkin", {"device_id": ("like", LIKE_PREFIX)})
	frappe.db.delete("Biometric Device", {"name": ("like", LIKE_PREFIX)})
	frappe.db.delete("Biometric Sidecar", {"name": ("like", LIKE_PREFIX)})
	for user in sidecar_users:  # made by create_sidecar in the tests
		frappe.delete_doc("User", user, ignore_permissions=True, force=True)
	frappe.db.delete("Notification Log", {"document_name": ("like", LIKE_PREFIX)})
	frappe.db.delete("Shift Type", {"name": ("like", LIKE_PREFIX)})
	test_employees = frappe.get_all(
		"Employee", filters={"user_id": ("like", f"%@{EMAIL_DOMAIN}")}, fields=["name", "user_id"]
	)
	# make_employee finds an existing test employee again by its name, which is its e-mail: tests that rename
	# or relieve one are undone here.
	for row in test_employees:
		frappe.db.set_value(
			"Employee",
			row.name,
			{
				"first_name": row.user_id,
				"middle_name": None,
				"last_name": None,
				"employee_name": row.user_id,
				"relieving_date": None,
			},
		)
	test_employees = [row.name for row in test_employees]
	if test_employees:
		frappe.db.delete("Employee Checkin", {"employee": ("in", test_employees)})
	for name in test_employees:
		frappe.db.set_value(
			"Employee", name, {"attendance_device_id": None, "status": "Active", "default_shift": None}
		)
	frappe.db.commit()


def make_sidecar(name: str, api_user: str | None = None) -> str:
	full = f"{PREFIX} {name}"
	if not frappe.db.exists("Biometric Sidecar", full):
		frappe.get_doc({"doctype": "Biometric Sidecar", "sidecar_name": full, "api_user": api_user}).insert()
	return full


# What each driver needs (device_fields.REQUIRED), so a test device of any family can be saved enabled.
DRIVER_DEFAULTS = {
	"adms": {},
	"hikvision": {"username": "admin", "password": "test-password"},
	"essl": {
		"url": "http://192.0.2.20/iclock/WebAPIService.asmx",
		"username": "api",
		"password": "test-password",
	},
}


def make_device(name: str, sidecar: str, time_zone: str = "Asia/Kolkata", **values) -> str:
	full = f"{PREFIX} {name}"
	driver = values.pop("driver", "zk")
	doc = frappe.get_doc(
		{
			"doctype": "Biometric Device",
			"device_name": full,
			"sidecar": sidecar,
			"driver": driver,
			"host": "192.0.2.10",
			"port": 4370,
			"time_zone": time_zone,
			**DRIVER_DEFAULTS.get(driver, {}),
			**(
				{"serial_number": f"TEST{frappe.generate_hash(length=8)}"}
				if driver in ("adms", "essl")
				else {}
			),
			**values,
		}
	)
	doc.insert()
	return doc.name


def make_user(local_part: str, roles: list[str]) -> str:
	email = f"{local_part}@{EMAIL_DOMAIN}"
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": local_part,
				"send_welcome_email": 0,
				"roles": [{"role": role} for role in roles],
			}
		).insert(ignore_permissions=True)
	else:
		user = frappe.get_doc("User", email)
		user.add_roles(*roles)
	return email


def company_for_tests() -> str:
	"""HRMS's test company when the site has it (a site set up by before_tests), else the site's own: a site
	whose setup wizard made another company gets no "_Test Company" from HRMS."""
	if frappe.db.exists("Company", "_Test Company"):
		return "_Test Company"
	return (
		frappe.defaults.get_global_default("company") or frappe.get_all("Company", pluck="name", limit=1)[0]
	)


def make_test_employee(local_part: str, device_user_id: str | None = None, **values) -> str:
	email = f"{local_part}@{EMAIL_DOMAIN}"
	name = make_employee(email, company=company_for_tests())
	frappe.db.set_value(
		"Employee", name, {"attendance_device_id": device_user_id, "status": "Active", "default_shift": None}
	)
	if values:
		frappe.db.set_value("Employee", name, values)
	return name


def punch(device: str, user_id: str, time: str, state: int | None = 0, **values) -> dict:
	item = {
		"uid": punch_uid(device, user_id, time),
		"device": device,
		"user_id": user_id,
		"time": time,
		"direction": {0: "IN", 1: "OUT"}.get(state) if state is not None else None,
		"state": state,
		"verify": 1,
		"raw": f"{user_id}\t{time}\t{state}",
	}
	item.update(values)
	return item


def staged_name(item: dict) -> str:
	"""The Biometric Punch name a punch made by ``punch`` is staged under."""
	return staging_name(item["uid"], datetime.strptime(item["time"], "%Y-%m-%d %H:%M:%S"))


class BiometricTestCase(FrappeTestCase):
	"""Cleans test records before and after the class; records frappe.enqueue calls instead of queueing RQ
	jobs (tests drive processing explicitly, so they can observe the Pending state)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cleanup()
		frappe.db.set_single_value("HR Settings", "allow_geolocation_tracking", 0)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		cleanup()
		super().tearDownClass()

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("HR Settings", "allow_geolocation_tracking", 0)
		enqueue = patch("frappe.enqueue")
		self.enqueue = enqueue.start()
		self.addCleanup(enqueue.stop)
		# One processing partition, whatever workers this bench runs (tests of partitions set their own).
		partitions = patch("biometric_sync.ingest.tasks.partition_count", return_value=1)
		partitions.start()
		self.addCleanup(partitions.stop)
		self.addCleanup(frappe.set_user, "Administrator")

	def processing_enqueued(self) -> bool:
		from biometric_sync.ingest.tasks import PROCESS_JOB_ID

		return any(call.kwargs.get("job_id") == PROCESS_JOB_ID for call in self.enqueue.call_args_list)

	def punch_row(self, item: dict) -> frappe._dict:
		return frappe.db.get_value("Biometric Punch", staged_name(item), "*", as_dict=True)


def other_connection():
	"""A second database connection, as another worker or a concurrent request would have."""
	return separate_connection()


def run_threads(*targets):
	"""Starts every target at (nearly) the same moment; returns their return values in order."""
	barrier = threading.Barrier(len(targets))
	results: list = [None] * len(targets)
	errors: list = []

	def runner(index, target):
		barrier.wait()
		try:
			results[index] = target()
		except Exception as error:
			errors.append(error)

	threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join(timeout=120)
	if errors:
		raise errors[0]
	return results


@contextmanager
def as_user(user: str):
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)


def http_call(
	method: str,
	payload: dict,
	api_key: str,
	api_secret: str,
	http_method: str = "post",
	site: str | None = None,
):
	"""A real request through Frappe's WSGI app (own thread, own DB connection, token auth)."""
	from frappe.tests.test_api import make_request
	from frappe.utils import get_test_client

	site = site or frappe.local.site
	client = get_test_client(use_cookies=False)
	target = getattr(client, http_method)
	kwargs = {
		"headers": {
			"Authorization": f"token {api_key}:{api_secret}",
			"X-Frappe-Site-Name": site,
		},
	}
	kwargs["json" if http_method == "post" else "query_string"] = payload
	return make_request(target=target, args=(f"/api/method/{method}",), kwargs=kwargs, site=site)


def http_target(method: str, payload: dict, api_key: str, api_secret: str):
	"""``http_call`` as a zero-argument callable for ``run_threads`` (the site is read now, in this thread)."""
	site = frappe.local.site
	return lambda: http_call(method, payload, api_key, api_secret, site=site)
