"""Sidecar endpoints and permissions: a sidecar sees only its own devices; secrets never reach a browser."""

from datetime import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import now_datetime

from biometric_sync import settings as bsync_settings
from biometric_sync.api import sidecar as api
from biometric_sync.errors import BiometricSyncError
from biometric_sync.sidecars import SIDECAR_USER_ROLES, create_sidecar
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	as_user,
	http_call,
	make_device,
	make_user,
)


class TestSidecarEndpoints(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.mine = create_sidecar(f"{PREFIX} Mine", location="Plant 1")
		cls.theirs = create_sidecar(f"{PREFIX} Theirs")
		cls.my_user = frappe.db.get_value("Biometric Sidecar", cls.mine["sidecar"], "api_user")
		cls.my_device = make_device(
			"Mine Gate",
			cls.mine["sidecar"],
			time_zone="Asia/Dubai",
			comm_key="4321",
			username="admin",
			password="s3cret!",
		)
		cls.my_adms = make_device(
			"Mine ADMS", cls.mine["sidecar"], driver="adms", serial_number="CQZ123", enabled=0
		)
		cls.their_device = make_device("Theirs Gate", cls.theirs["sidecar"], comm_key="9999")
		frappe.db.commit()

	def assertCode(self, caught, code, status):
		self.assertEqual((caught.exception.code, caught.exception.http_status_code), (code, status))

	def test_create_sidecar_makes_an_api_user_with_the_roles(self):
		roles = set(frappe.get_roles(self.my_user))
		self.assertTrue(set(SIDECAR_USER_ROLES) <= roles)
		self.assertEqual(frappe.db.get_value("User", self.my_user, "api_key"), self.mine["api_key"])
		self.assertEqual(self.mine["site_name"], frappe.local.site)
		self.assertTrue(self.mine["site_url"].startswith("http"))
		with self.assertRaises(frappe.ValidationError):
			create_sidecar(self.mine["sidecar"])  # exists already

	def test_get_config_lists_only_own_devices_with_secrets(self):
		with as_user(self.my_user):
			config = api.get_config(self.mine["sidecar"])
		self.assertEqual([d["name"] for d in config["devices"]], sorted([self.my_device, self.my_adms]))
		gate = next(d for d in config["devices"] if d["name"] == self.my_device)
		self.assertEqual((gate["comm_key"], gate["username"], gate["password"]), ("4321", "admin", "s3cret!"))
		self.assertEqual(gate["time_zone"], "Asia/Dubai")
		self.assertEqual(
			(gate["driver"], gate["host"], gate["port"], gate["enabled"]), ("zk", "192.0.2.10", 4370, True)
		)
		adms = next(d for d in config["devices"] if d["name"] == self.my_adms)
		self.assertEqual((adms["serial_number"], adms["enabled"], adms["comm_key"]), ("CQZ123", False, None))
		self.assertEqual(config["direction_rules"], {"in": [0, 4], "out": [1, 5]})
		self.assertEqual(config["site_time_zone"], "Asia/Kolkata")
		self.assertIsNone(gate["import_since"])
		frappe.db.set_value("Biometric Device", self.my_device, "import_since", "2024-01-01")
		self.addCleanup(frappe.db.set_value, "Biometric Device", self.my_device, "import_since", None)
		with as_user(self.my_user):
			config = api.get_config(self.mine["sidecar"])
		gate = next(d for d in config["devices"] if d["name"] == self.my_device)
		self.assertEqual(gate["import_since"], "2024-01-01 00:00:00")

	def test_a_sidecar_cannot_read_another_sidecars_config(self):
		with as_user(self.my_user), self.assertRaises(BiometricSyncError) as caught:
			api.get_config(self.theirs["sidecar"])
		self.assertCode(caught, "NOT_YOUR_SIDECAR", 403)

	def test_unknown_sidecar_and_missing_role(self):
		with as_user(self.my_user), self.assertRaises(BiometricSyncError) as caught:
			api.get_config(f"{PREFIX} Nobody")
		self.assertCode(caught, "UNKNOWN_SIDECAR", 404)
		hr_user = make_user("bsync-hr", ["HR User"])
		with as_user(hr_user), self.assertRaises(BiometricSyncError) as caught:
			api.get_config(self.mine["sidecar"])
		self.assertCode(caught, "NOT_PERMITTED", 403)

	def test_get_config_over_http_with_the_printed_keys(self):
		response = http_call(
			"biometric_sync.api.sidecar.get_config",
			{"sidecar": self.mine["sidecar"]},
			self.mine["api_key"],
			self.mine["api_secret"],
			http_method="get",
		)
		self.assertEqual(response.status_code, 200, response.json)
		self.assertIn(self.my_device, [d["name"] for d in response.json["message"]["devices"]])
		response = http_call(
			"biometric_sync.api.sidecar.get_config",
			{"sidecar": self.theirs["sidecar"]},
			self.mine["api_key"],
			self.mine["api_secret"],
			http_method="get",
		)
		self.assertEqual((response.status_code, response.json["code"]), (403, "NOT_YOUR_SIDECAR"))

	def test_heartbeat_marks_online_and_records_device_health(self):
		status = {
			"version": "0.1.0",
			"spool_depth": 7,
			"devices": [
				{
					"device": self.my_device,
					"online": True,
					"clock_drift_seconds": -42,
					"memory_used_percent": 93.5,
				},
				{
					"device": self.their_device,
					"online": False,
					"clock_drift_seconds": 999,
				},  # not mine: ignored
			],
		}
		with as_user(self.my_user):
			answer = api.heartbeat(self.mine["sidecar"], frappe.as_json(status))
		self.assertIn("queued_commands", answer)
		sidecar = frappe.db.get_value(
			"Biometric Sidecar",
			self.mine["sidecar"],
			["status", "version", "spool_depth", "last_heartbeat"],
			as_dict=True,
		)
		self.assertEqual((sidecar.status, sidecar.version, sidecar.spool_depth), ("Online", "0.1.0", 7))
		self.assertLessEqual(abs((now_datetime() - sidecar.last_heartbeat).total_seconds()), 60)
		device = frappe.db.get_value(
			"Biometric Device",
			self.my_device,
			["status", "clock_drift_seconds", "memory_used_percent"],
			as_dict=True,
		)
		self.assertEqual(
			(device.status, device.clock_drift_seconds, device.memory_used_percent), ("Online", -42, 93.5)
		)
		self.assertNotEqual(
			frappe.db.get_value("Biometric Device", self.their_device, "clock_drift_seconds"), 999
		)

	def test_an_unknown_adms_terminal_is_recorded_once_as_discovered_and_disabled(self):
		from biometric_sync.api.sidecar import report_unknown_device

		serial = f"{PREFIX} NEWSN1"
		with as_user(self.my_user):
			first = report_unknown_device(self.mine["sidecar"], serial, "192.0.2.77")
			again = report_unknown_device(self.mine["sidecar"], serial, "192.0.2.77")
		# Other tests of this class list this sidecar's devices: take the discovered one away afterwards.
		self.addCleanup(lambda: (frappe.db.delete("Biometric Device", first["device"]), frappe.db.commit()))
		self.assertTrue(first["created"])
		self.assertEqual(again, {"device": first["device"], "created": False})
		# An alert for those who must approve or reject it, Administrator among them; once, not per push.
		told = frappe.get_all(
			"Notification Log",
			filters={"document_type": "Biometric Device", "document_name": first["device"]},
			fields=["for_user", "subject", "email_content"],
		)
		self.addCleanup(
			lambda: (
				frappe.db.delete(
					"Notification Log",
					{"document_type": "Biometric Device", "document_name": first["device"]},
				),
				frappe.db.commit(),
			)
		)
		self.assertIn("Administrator", [n.for_user for n in told])
		self.assertEqual(len(told), len({n.for_user for n in told}))
		self.assertTrue(all(serial in n.subject and "192.0.2.77" in n.email_content for n in told))
		device = frappe.db.get_value(
			"Biometric Device",
			first["device"],
			["driver", "enabled", "status", "sidecar", "host"],
			as_dict=True,
		)
		self.assertEqual(
			(device.driver, device.enabled, device.status, device.sidecar, device.host),
			("adms", 0, "Discovered", self.mine["sidecar"], "192.0.2.77"),
		)
		with as_user(self.my_user), self.assertRaises(frappe.ValidationError) as caught:
			report_unknown_device(self.theirs["sidecar"], f"{PREFIX} NEWSN2")
		self.assertEqual(caught.exception.code, "NOT_YOUR_SIDECAR")

	def test_heartbeat_keeps_an_error_visible_and_says_nothing_of_unread_devices(self):
		def report(entry):
			with as_user(self.my_user):
				api.heartbeat(
					self.mine["sidecar"], frappe.as_json({"devices": [{"device": self.my_device, **entry}]})
				)
			return frappe.db.get_value(
				"Biometric Device", self.my_device, ["status", "last_error", "last_seen"], as_dict=True
			)

		frappe.db.set_value(
			"Biometric Device",
			self.my_device,
			{"status": "Error", "last_error": "DEVICE_TIMEOUT: no answer in 10 s"},
		)
		# A sidecar that restarted has not read the device yet: the status stays as it was.
		self.assertEqual(report({})["status"], "Error")
		# Still not answering: Offline (it cannot be reached), and the failed command's own message stays.
		row = report({"online": False, "error": "DEVICE_TIMEOUT"})
		self.assertEqual((row.status, row.last_error), ("Offline", "DEVICE_TIMEOUT: no answer in 10 s"))
		# Answering wrongly is an Error.
		row = report({"online": False, "error": "DEVICE_AUTH_FAILED"})
		self.assertEqual((row.status, row.last_error), ("Error", "DEVICE_TIMEOUT: no answer in 10 s"))
		# Reached again (a read, or an ADMS terminal calling): Online, seen now, the error resolved.
		row = report({"online": True})
		self.assertEqual((row.status, row.last_error), ("Online", None))
		self.assertLessEqual(abs((now_datetime() - row.last_seen).total_seconds()), 60)
		# Silent without a coded failure: Offline.
		self.assertEqual(report({"online": False})["status"], "Offline")

	def test_heartbeat_records_the_live_channel(self):
		def report(entry):
			with as_user(self.my_user):
				api.heartbeat(
					self.mine["sidecar"], frappe.as_json({"devices": [{"device": self.my_device, **entry}]})
				)
			return frappe.db.get_value(
				"Biometric Device", self.my_device, ["live_channel", "live_since", "live_error"], as_dict=True
			)

		def site_time(utc: str) -> str:  # an ISO UTC time as the site's wall clock shows it
			zone = ZoneInfo(bsync_settings.site_time_zone())
			return str(datetime.fromisoformat(utc).astimezone(zone).replace(tzinfo=None))

		row = report(
			{"live": "down", "live_since": "2026-05-01T04:30:00.000Z", "live_error": "DEVICE_CLOSED: x"}
		)
		self.assertEqual(
			(row.live_channel, str(row.live_since), row.live_error),
			("Down", site_time("2026-05-01T04:30:00+00:00"), "DEVICE_CLOSED: x"),
		)
		row = report({"live": "up", "live_since": "2026-05-01T04:31:00Z"})
		self.assertEqual(
			(row.live_channel, str(row.live_since), row.live_error),
			("Up", site_time("2026-05-01T04:31:00+00:00"), None),
		)
		# An older sidecar says nothing of it: unchanged. An unknown state is ignored.
		self.assertEqual(report({})["live_channel"], "Up")
		self.assertEqual(report({"live": "sideways"})["live_channel"], "Up")

	def test_heartbeat_rejects_a_non_object_status(self):
		with as_user(self.my_user), self.assertRaises(BiometricSyncError) as caught:
			api.heartbeat(self.mine["sidecar"], "[1, 2]")
		self.assertCode(caught, "INVALID_ARGUMENT", 400)


class TestSecretsStayOnTheServer(BiometricTestCase):
	"""Password fields hold only asterisks in the document; REST reads never return the secret. Checked over
	real HTTP requests too, because ``frappe.only_for`` (which guards ``frappe.client.get_password``) is
	switched off inside the test runner's own process."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sidecar_config = create_sidecar(f"{PREFIX} Secrets")
		cls.sidecar = cls.sidecar_config["sidecar"]
		cls.device = make_device("Secret Gate", cls.sidecar, comm_key="777111", password="hunter2")
		cls.manager = make_user("bsync-manager", ["Biometric Manager"])
		cls.manager_keys = api_keys(cls.manager)
		cls.hr_user = make_user("bsync-hr-reader", ["HR User", "HR Manager"])
		cls.sidecar_user = frappe.db.get_value("Biometric Sidecar", cls.sidecar, "api_user")
		frappe.db.commit()

	def rest(self, method, params, keys):
		return http_call(method, params, *keys, http_method="get")

	def test_a_manager_sees_asterisks(self):
		with as_user(self.manager):
			as_dict = frappe.get_doc("Biometric Device", self.device).as_dict()
		response = self.rest(
			"frappe.client.get", {"doctype": "Biometric Device", "name": self.device}, self.manager_keys
		)
		self.assertEqual(response.status_code, 200, response.json)
		for data in (as_dict, response.json["message"]):
			self.assertNotIn("777111", frappe.as_json(data))
			self.assertNotIn("hunter2", frappe.as_json(data))
			self.assertEqual(set(data["comm_key"]), {"*"})

	def test_get_password_over_rest_is_refused(self):
		params = {"doctype": "Biometric Device", "name": self.device, "fieldname": "comm_key"}
		sidecar_keys = (self.sidecar_config["api_key"], self.sidecar_config["api_secret"])
		for keys in (self.manager_keys, sidecar_keys):
			with self.subTest(user=keys[0]):
				response = self.rest("frappe.client.get_password", params, keys)
				self.assertEqual(response.status_code, 403)
				self.assertNotIn("777111", response.get_data(as_text=True))

	def test_hr_users_and_sidecar_users_cannot_read_devices(self):
		for user in (self.hr_user, self.sidecar_user):
			with self.subTest(user=user), as_user(user):
				self.assertFalse(frappe.has_permission("Biometric Device", "read"))
				with self.assertRaises(frappe.PermissionError):
					frappe.client.get("Biometric Device", self.device)
		response = self.rest(
			"frappe.client.get",
			{"doctype": "Biometric Device", "name": self.device},
			(self.sidecar_config["api_key"], self.sidecar_config["api_secret"]),
		)
		self.assertEqual(response.status_code, 403)

	def test_hr_reads_punches_and_logs_but_cannot_change_them(self):
		with as_user(self.hr_user):
			self.assertTrue(frappe.has_permission("Biometric Punch", "read"))
			self.assertTrue(frappe.has_permission("Biometric Sync Log", "read"))
			self.assertFalse(frappe.has_permission("Biometric Punch", "write"))
			self.assertFalse(frappe.has_permission("Biometric Punch", "create"))
			self.assertFalse(frappe.has_permission("Biometric Command", "read"))


def api_keys(user: str) -> tuple[str, str]:
	doc = frappe.get_doc("User", user)
	doc.api_key = doc.api_key or frappe.generate_hash(length=15)
	secret = frappe.generate_hash(length=15)
	doc.api_secret = secret
	doc.save(ignore_permissions=True)
	return doc.api_key, secret
