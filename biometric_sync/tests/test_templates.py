"""Fingerprint / face templates (issue 13, opt-in), site side: off by default, stored encrypted, readable by no
role over REST, copied as template_set to the Employee's other terminals of the family, gone with the device
user and the Employee."""

import base64

import frappe
from frappe.utils import now_datetime

from biometric_sync.api.sidecar import (
	claim_commands,
	complete_command,
	report_device_users,
	report_templates,
)
from biometric_sync.errors import BiometricSyncError
from biometric_sync.sidecars import create_sidecar
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	http_call,
	make_device,
	make_test_employee,
	make_user,
	run_token,
)
from biometric_sync.tests.test_sidecar_api import api_keys
from biometric_sync.users import templates

BT = "Biometric Template"
SETTINGS = "Biometric Sync Settings"
DATA = base64.b64encode(b"SS21\x00\x01" + bytes(range(256)) * 3).decode()
OTHER = base64.b64encode(b"SS21\x00\x02" + bytes(range(255, -1, -1)) * 2).decode()


def tpl(user_id, data=DATA, kind="fingerprint", index=6, fmt="zk10"):
	return {"user_id": user_id, "kind": kind, "index": index, "format": fmt, "data_b64": data}


def set_copy(value: int) -> None:
	frappe.db.set_single_value(SETTINGS, "copy_templates", value)
	frappe.clear_document_cache(SETTINGS, SETTINGS)


class TemplatesCase(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		cls.config = create_sidecar(f"{PREFIX} TPL Sidecar")
		cls.sidecar = cls.config["sidecar"]
		cls.zk_a = make_device("TPL ZK A", cls.sidecar)
		cls.zk_b = make_device("TPL ZK B", cls.sidecar, host="192.0.2.11")
		cls.zk_c = make_device("TPL ZK C", cls.sidecar, host="192.0.2.12")  # does not enrol employees
		cls.adms = make_device("TPL ADMS", cls.sidecar, driver="adms", serial_number=f"TPL{cls.token}")
		for device in (cls.zk_a, cls.zk_b, cls.adms):
			frappe.db.set_value(
				"Biometric Device",
				device,
				{"enroll_employees": "All employees", "enrolment_started_on": now_datetime()},
			)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		devices = (self.zk_a, self.zk_b, self.zk_c, self.adms)
		names = frappe.get_all(BT, {"device": ("in", devices)}, pluck="name")
		templates._delete(names)
		frappe.db.delete("Biometric Command", {"device": ("in", devices)})
		frappe.db.delete("Biometric Device User", {"device": ("in", devices)})
		set_copy(1)
		self.addCleanup(set_copy, 0)
		self.user_id = f"T{self.token}"
		self.employee = make_test_employee("bsync-tpl-1", self.user_id)
		for device in devices:
			report_device_users(
				self.sidecar, device, [{"user_id": self.user_id, "name": "Tpl", "privilege": "user"}]
			)

	def template_sets(self, device=None):
		# This test's terminals only: a lived-in site has template commands of its own.
		filters = {
			"command_type": "template_set",
			"device": device or ("in", [self.zk_a, self.zk_b, self.zk_c, self.adms]),
		}
		return frappe.get_all("Biometric Command", filters, ["name", "device", "payload", "status"])


class TestTemplates(TemplatesCase):
	def test_off_by_default_and_when_off_nothing_is_kept(self):
		meta = frappe.get_meta(SETTINGS).get_field("copy_templates")
		self.assertEqual(meta.default, "0")
		set_copy(0)
		answer = report_templates(self.sidecar, self.zk_a, [tpl(self.user_id)])
		self.assertEqual(answer, {"stored": 0, "skipped": "off"})
		self.assertFalse(frappe.db.exists(BT, {"device": self.zk_a}))
		self.assertEqual(self.template_sets(), [])

	def test_stored_encrypted_only_the_asterisks_in_the_row(self):
		answer = report_templates(self.sidecar, self.zk_a, [tpl(self.user_id)])
		self.assertEqual((answer["stored"], answer["changed"]), (1, 1))
		name = templates.template_name(self.zk_a, self.user_id, "Fingerprint", 6)
		row = frappe.db.get_value(BT, name, ["*"], as_dict=True)
		self.assertEqual(set(row.template_data), {"*"})
		self.assertEqual((row.employee, row.kind, row.template_index), (self.employee, "Fingerprint", 6))
		self.assertEqual((row.template_format, row.template_size), ("zk10", len(base64.b64decode(DATA))))
		self.assertEqual(row.source_device, self.zk_a)
		raw = frappe.db.sql("select password from `__Auth` where doctype=%s and name=%s", (BT, name))[0][0]
		self.assertNotIn(DATA, raw)
		self.assertNotIn(DATA, frappe.as_json(row))
		self.assertEqual(templates.stored_data(name), DATA)

	def test_copied_to_the_other_terminal_of_the_family_the_employee_is_on(self):
		report_templates(self.sidecar, self.zk_a, [tpl(self.user_id)])
		commands = self.template_sets()
		# zk B enrols employees; zk C does not; the ADMS terminal is another family.
		self.assertEqual([c.device for c in commands], [self.zk_b])
		stored = frappe.parse_json(commands[0].payload)
		self.assertNotIn("data_b64", stored)
		self.assertNotIn(DATA, commands[0].payload)
		self.assertEqual(
			{k: stored[k] for k in ("user_id", "kind", "index", "format")},
			{"user_id": self.user_id, "kind": "fingerprint", "index": 6, "format": "zk10"},
		)
		claimed = [c for c in claim_commands(self.sidecar)["commands"] if c["command_type"] == "template_set"]
		self.assertEqual(len(claimed), 1)
		self.assertEqual(claimed[0]["payload"]["data_b64"], DATA)
		self.assertNotIn("template", claimed[0]["payload"])

		result = {"user_id": self.user_id, "kind": "fingerprint", "index": 6, "action": "written"}
		complete_command(claimed[0]["name"], "Done", {**result, "data_b64": DATA, "debug": DATA})
		doc = frappe.db.get_value("Biometric Command", claimed[0]["name"], ["*"], as_dict=True)
		self.assertEqual(doc.status, "Done")
		self.assertEqual(frappe.parse_json(doc.payload), {})
		self.assertEqual(frappe.parse_json(doc.result), result)
		self.assertNotIn(DATA, frappe.as_json(doc))

		# B reads it back: it holds what A holds, nothing more is copied (no ping-pong).
		again = report_templates(self.sidecar, self.zk_b, [tpl(self.user_id)])
		self.assertEqual(again["queued"], 0)
		self.assertEqual(len(self.template_sets()), 1)

	def test_a_failure_keeps_no_template_data(self):
		report_templates(self.sidecar, self.zk_a, [tpl(self.user_id)])
		name = self.template_sets(self.zk_b)[0].name
		claim_commands(self.sidecar)
		complete_command(
			name, "Failed", {"error": "TEMPLATE_REFUSED: no", "code": "TEMPLATE_REFUSED", "x": DATA}
		)
		doc = frappe.db.get_value("Biometric Command", name, ["*"], as_dict=True)
		self.assertEqual((doc.status, doc.error), ("Failed", "TEMPLATE_REFUSED: no"))
		self.assertEqual(frappe.parse_json(doc.payload), {})
		self.assertNotIn(DATA, frappe.as_json(doc))

	def test_same_template_again_changes_nothing_a_new_one_is_copied_again(self):
		report_templates(self.sidecar, self.zk_a, [tpl(self.user_id)])
		self.assertEqual(report_templates(self.sidecar, self.zk_a, [tpl(self.user_id)])["changed"], 0)
		self.assertEqual(len(self.template_sets()), 1)  # and the open one is not queued twice
		claimed = claim_commands(self.sidecar)["commands"]
		for command in claimed:
			complete_command(command["name"], "Done", {"user_id": self.user_id, "action": "written"})
		changed = report_templates(self.sidecar, self.zk_a, [tpl(self.user_id, OTHER)])
		self.assertEqual((changed["changed"], changed["queued"]), (1, 1))
		name = templates.template_name(self.zk_a, self.user_id, "Fingerprint", 6)
		self.assertEqual(templates.stored_data(name), OTHER)

	def test_unmapped_user_is_kept_but_not_copied(self):
		report_templates(self.sidecar, self.zk_a, [tpl(f"U{self.token}")])
		self.assertTrue(frappe.db.exists(BT, {"device": self.zk_a, "device_user_id": f"U{self.token}"}))
		self.assertEqual(self.template_sets(), [])

	def test_users_read_asks_for_templates_only_when_on_and_for_zk_and_adms(self):
		from biometric_sync.users.device_users import create_read

		device = frappe._dict(name=self.zk_c, driver="zk", sidecar=self.sidecar)
		name = create_read(device)
		self.assertEqual(
			frappe.parse_json(frappe.db.get_value("Biometric Command", name, "payload")), {"templates": True}
		)
		frappe.db.delete("Biometric Command", {"name": name})
		set_copy(0)
		name = create_read(device)
		self.assertEqual(frappe.parse_json(frappe.db.get_value("Biometric Command", name, "payload")), {})

	def test_the_daily_read_asks_for_templates_too(self):
		from biometric_sync.users.device_users import due_reads

		names = due_reads(now_datetime())
		rows = frappe.get_all("Biometric Command", {"name": ("in", names or [""])}, ["device", "payload"])
		payloads = {row.device: frappe.parse_json(row.payload) for row in rows}
		self.assertEqual(payloads.get(self.zk_a), {"templates": True})
		self.assertEqual(payloads.get(self.adms), {"templates": True})

	def test_bad_templates_are_refused_without_quoting_them(self):
		secretish = "!!not-base64!!" + DATA[:40]
		for bad in (
			[tpl(self.user_id, secretish)],
			[tpl(self.user_id, kind="iris")],
			[tpl(self.user_id, index=-1)],
			[tpl("", DATA)],
			"not a list",
		):
			with self.subTest(bad=str(bad)[:30]), self.assertRaises(BiometricSyncError) as caught:
				report_templates(self.sidecar, self.zk_a, bad)
			self.assertNotIn(DATA[:40], str(caught.exception))
		self.assertFalse(frappe.db.exists(BT, {"device": self.zk_a}))


class TestTemplatesAreDeleted(TemplatesCase):
	def stored(self):
		report_templates(
			self.sidecar, self.zk_a, [tpl(self.user_id), tpl(self.user_id, kind="face", index=0)]
		)
		names = frappe.get_all(BT, {"device": self.zk_a}, pluck="name")
		self.assertEqual(len(names), 2)
		return names

	def assert_gone(self, names):
		self.assertFalse(frappe.get_all(BT, {"name": ("in", names)}))
		auth = frappe.db.sql("select name from `__Auth` where doctype=%s and name in %s", (BT, names))
		self.assertFalse(auth)

	def test_when_the_terminal_no_longer_holds_the_user(self):
		names = self.stored()
		report_device_users(self.sidecar, self.zk_a, [], complete=True)
		self.assert_gone(names)

	def test_when_the_device_user_is_removed(self):
		names = self.stored()
		report_device_users(self.sidecar, self.zk_a, [], removed=[self.user_id])
		self.assert_gone(names)

	def test_when_the_device_user_row_is_deleted(self):
		names = self.stored()
		row = frappe.get_all("Biometric Device User", {"device": self.zk_a}, pluck="name")[0]
		frappe.delete_doc("Biometric Device User", row, ignore_permissions=True)
		self.assert_gone(names)

	def test_when_the_employee_is_deleted(self):
		names = self.stored()
		hooks = frappe.get_hooks("doc_events")["Employee"]["on_trash"]
		self.assertIn("biometric_sync.users.templates.on_employee_trash", hooks)
		# Deleting a test Employee for real would take its User and links with it: the hook is what runs.
		frappe.get_attr("biometric_sync.users.templates.on_employee_trash")(
			frappe.get_doc("Employee", self.employee)
		)
		self.assert_gone(names)


class TestNobodyReadsTemplatesOverRest(TemplatesCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.system_manager = make_user(
			"bsync-tpl-sysman", ["System Manager", "Biometric Manager", "HR Manager"]
		)
		cls.keys = api_keys(cls.system_manager)
		frappe.db.commit()

	def test_no_role_has_any_permission(self):
		self.assertEqual(frappe.get_meta(BT).permissions, [])
		frappe.set_user(self.system_manager)
		try:
			self.assertFalse(frappe.has_permission(BT, "read"))
		finally:
			frappe.set_user("Administrator")

	def test_rest_gives_nothing(self):
		report_templates(self.sidecar, self.zk_a, [tpl(self.user_id)])
		name = templates.template_name(self.zk_a, self.user_id, "Fingerprint", 6)
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(templates._delete, [name])
		sidecar_keys = (self.config["api_key"], self.config["api_secret"])
		calls = [
			("frappe.client.get", {"doctype": BT, "name": name}),
			("frappe.client.get_list", {"doctype": BT, "fields": '["*"]'}),
			("frappe.client.get_value", {"doctype": BT, "filters": name, "fieldname": "template_data"}),
			("frappe.client.get_password", {"doctype": BT, "name": name, "fieldname": "template_data"}),
		]
		# A System Manager may call frappe.client.get_password for any Password field (Frappe checks no document
		# permission there): the Biometric Template controller refuses it.
		for keys in (self.keys, sidecar_keys):
			for method, params in calls:
				with self.subTest(user=keys[0], method=method):
					response = http_call(method, params, *keys, http_method="get")
					self.assertEqual(response.status_code, 403, response.get_data(as_text=True)[:300])
					self.assertNotIn(DATA[:60], response.get_data(as_text=True))
		# The template_set command (Biometric Manager reads commands) holds no template data either.
		command = self.template_sets(self.zk_b)[0].name
		response = http_call(
			"frappe.client.get",
			{"doctype": "Biometric Command", "name": command},
			*self.keys,
			http_method="get",
		)
		self.assertNotIn(DATA[:60], response.get_data(as_text=True))
