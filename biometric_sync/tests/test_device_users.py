"""Device users (issue 13), site side: the sidecar's report, reading users (Desk, schedule, after Sync Now), the
device-user commands in the outbox, mapping help on the HR page (device names, suggestions, accept), the
automatic mapping of exact names, and enrolment (preview, Enrol Now, Employee changes, leavers, admins)."""

from unittest.mock import patch

import frappe
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

from biometric_sync.api import desk, ui
from biometric_sync.api.ingest import push_punches
from biometric_sync.api.sidecar import claim_commands, complete_command, report_device_users
from biometric_sync.errors import BiometricSyncError
from biometric_sync.ingest.processor import process_pending
from biometric_sync.outbox import outbox
from biometric_sync.tests.factories import (
	BiometricTestCase,
	make_device,
	make_sidecar,
	make_test_employee,
	punch,
	run_token,
)
from biometric_sync.users import device_users, enrollment
from biometric_sync.users.schema import row_name

DU = "Biometric Device User"


def user(user_id, name=None, privilege="user", **values):
	return {"user_id": user_id, "name": name, "card": None, "privilege": privilege, **values}


class DeviceUsersCase(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		cls.sidecar = make_sidecar("DU Sidecar")
		cls.gate = make_device("DU Gate", cls.sidecar)
		cls.hik = make_device("DU Hik", cls.sidecar, driver="hikvision", host="192.0.2.30", port=80)
		cls.essl = make_device("DU eSSL", cls.sidecar, driver="essl")
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		for name in (self.gate, self.hik):
			frappe.db.delete(DU, {"device": name})
			frappe.db.delete("Biometric Command", {"device": name})
			frappe.db.set_value(
				"Biometric Device",
				name,
				{"enroll_employees": "No", "enrolment_started_on": None, "status": "Online"},
			)
		# make_employee finds these again by their name (their e-mail): undo renames of earlier tests.
		for row in frappe.get_all("Employee", {"user_id": ("like", "bsync-du-%")}, ["name", "user_id"]):
			frappe.db.set_value(
				"Employee",
				row.name,
				{
					"relieving_date": None,
					"status": "Active",
					"attendance_device_id": None,
					"first_name": row.user_id,
					"last_name": None,
					"employee_name": row.user_id,
				},
			)
		frappe.db.set_single_value("Biometric Sync Settings", "map_exact_names", 0)
		frappe.db.set_single_value("Biometric Sync Settings", "leaver_action", "Delete")
		self.addCleanup(frappe.db.set_single_value, "Biometric Sync Settings", "map_exact_names", 0)
		frappe.clear_document_cache("Biometric Sync Settings", "Biometric Sync Settings")

	def uid(self, text):
		return f"{text}{self.token}"

	def row(self, device, user_id):
		return frappe.db.get_value(DU, row_name(device, user_id), "*", as_dict=True)

	def commands(self, device, command_type):
		return frappe.get_all(
			"Biometric Command",
			filters={"device": device, "command_type": command_type},
			fields=["name", "payload", "status", "device_user_id", "employee", "expires_on", "trigger"],
			order_by="creation asc",
		)

	def assertCode(self, caught, code):
		self.assertEqual(caught.exception.code, code)


class TestReport(DeviceUsersCase):
	def test_upsert_keeps_ids_exact_and_marks_removed(self):
		a, b = self.uid("0111"), self.uid("111")
		answer = report_device_users(
			self.sidecar,
			self.gate,
			[user(a, "Anil", fingerprint=True, face=False), user(b, "Bina", privilege="admin")],
			complete=True,
		)
		self.assertEqual(answer["received"], 2)
		first = self.row(self.gate, a)
		self.assertEqual((first.device_user_id, first.user_name, first.privilege), (a, "Anil", "User"))
		self.assertEqual((first.has_fingerprint, first.has_face, first.enrolment_unknown), (1, 0, 0))
		second = self.row(self.gate, b)
		self.assertEqual((second.privilege, second.enrolment_unknown), ("Admin", 1))

		# The whole device again without b: b is marked removed, not deleted; a renamed.
		report_device_users(self.sidecar, self.gate, [user(a, "Anil K")], complete=True)
		self.assertIsNotNone(self.row(self.gate, b).removed_on)
		self.assertEqual(self.row(self.gate, a).user_name, "Anil K")
		self.assertEqual(self.row(self.gate, a).first_seen, first.first_seen)
		# A partial report leaves others alone; removed marks; a reappearing user loses removed_on.
		report_device_users(self.sidecar, self.gate, [user(b, "Bina")], removed=[a])
		self.assertIsNone(self.row(self.gate, b).removed_on)
		self.assertIsNotNone(self.row(self.gate, a).removed_on)
		self.assertEqual(frappe.db.count(DU, {"device": self.gate}), 2)

	def test_links_the_employee_with_that_id(self):
		user_id = self.uid("E")
		employee = make_test_employee("bsync-du-1", user_id)
		report_device_users(self.sidecar, self.gate, [user(user_id, "X"), user(user_id.lower(), "Y")])
		self.assertEqual(self.row(self.gate, user_id).employee, employee)
		self.assertIsNone(self.row(self.gate, user_id.lower()).employee)  # "ke" ≠ "KE": exact ids

	def test_bad_reports_fail_with_codes(self):
		for users, code in (
			("nope", "INVALID_ARGUMENT"),
			([user(7)], "INVALID_DEVICE_USER"),
			([user("1", privilege="root")], "INVALID_DEVICE_USER"),
			([user("1"), user("1")], "DUPLICATE_USER_ID"),
		):
			with self.assertRaises(BiometricSyncError) as caught:
				report_device_users(self.sidecar, self.gate, users)
			self.assertCode(caught, code)
		with self.assertRaises(BiometricSyncError) as caught:
			report_device_users(self.sidecar, self.gate, [user(str(k)) for k in range(50_001)])
		self.assertCode(caught, "BATCH_TOO_LARGE")
		other = make_sidecar("DU Other")
		with self.assertRaises(BiometricSyncError) as caught:
			report_device_users(other, self.gate, [])
		self.assertCode(caught, "DEVICE_NOT_OWNED")


class TestUserCommands(DeviceUsersCase):
	def test_read_users_from_the_desk_coalesces_and_refuses_essl(self):
		first = desk.read_users(self.gate)["command"]
		self.assertEqual(desk.read_users(self.gate)["command"], first)
		with self.assertRaises(BiometricSyncError) as caught:
			desk.read_users(self.essl)
		self.assertCode(caught, "ENROLMENT_NOT_SUPPORTED")

	def test_user_commands_wait_days_and_are_reclaimed_without_a_cap(self):
		name = desk.read_users(self.gate)["command"]
		expires = frappe.db.get_value("Biometric Command", name, "expires_on")
		self.assertGreater(expires, add_to_date(now_datetime(), days=13))
		for _attempt in range(5):
			claimed = [c["name"] for c in claim_commands(self.sidecar)["commands"]]
			self.assertIn(name, claimed)
			frappe.db.set_value(
				"Biometric Command",
				name,
				"modified",
				add_to_date(now_datetime(), minutes=-30),
				update_modified=False,
			)
		self.assertEqual(frappe.db.get_value("Biometric Command", name, "attempts"), 5)

	def test_a_refused_user_change_leaves_the_device_healthy(self):
		name = outbox.create_command("user_set", self.sidecar, self.gate, {"user_id": "1", "name": "A"})
		complete_command(name, "Failed", {"error": "USER_IS_ADMIN: admin", "code": "USER_IS_ADMIN"})
		self.assertEqual(frappe.db.get_value("Biometric Device", self.gate, "status"), "Online")
		name = outbox.create_command("user_set", self.sidecar, self.gate, {"user_id": "1", "name": "A"})
		complete_command(
			name, "Failed", {"error": "DEVICE_NAME_UNKNOWN: odd", "code": "DEVICE_COMMAND_FAILED"}
		)
		self.assertEqual(frappe.db.get_value("Biometric Device", self.gate, "status"), "Error")

	def test_a_command_naming_a_deleted_employee_does_not_stop_the_sidecars_claims(self):
		gone = outbox.create_command("user_set", self.sidecar, self.gate, {"user_id": "3", "name": "C"})
		# Its Employee was deleted after it was queued (as bench test runs and real offboarding do).
		frappe.db.set_value("Biometric Command", gone, "employee", "HR-EMP-DELETED-0000")
		other = outbox.create_command("users_read", self.sidecar, self.hik)
		claimed = [c["name"] for c in claim_commands(self.sidecar)["commands"]]
		self.assertIn(other, claimed)
		self.assertIn(gone, claimed)
		complete_command(gone, "Done", {"user_id": "3", "action": "created"})
		self.assertEqual(frappe.db.get_value("Biometric Command", gone, "status"), "Done")

	def test_commands_waiting_for_a_retry_do_not_starve_new_ones(self):
		waiting = []
		for index in range(outbox.CLAIM_LIMIT * 5 + 5):
			name = outbox.create_command(
				"user_set", self.sidecar, self.gate, {"user_id": f"W{index}", "name": "W"}
			)
			waiting.append(name)
		frappe.db.set_value(
			"Biometric Command",
			{"name": ("in", waiting)},
			{"status": "Queued", "retry_after": add_to_date(now_datetime(), hours=1)},
		)
		fresh = outbox.create_command("users_read", self.sidecar, self.hik)
		self.assertEqual([c["name"] for c in claim_commands(self.sidecar)["commands"]], [fresh])

	def test_a_terminal_that_is_away_gets_its_user_change_later_not_a_failure(self):
		frappe.db.set_value("Biometric Device", self.gate, "status", "Online")
		name = outbox.create_command("user_set", self.sidecar, self.gate, {"user_id": "2", "name": "B"})
		self.assertIn(name, [c["name"] for c in claim_commands(self.sidecar)["commands"]])
		answer = complete_command(
			name, "Failed", {"error": "ADMS_DEVICE_OFFLINE: not called yet", "code": "ADMS_DEVICE_OFFLINE"}
		)
		self.assertEqual(answer, {"status": "Queued"})
		row = frappe.db.get_value("Biometric Command", name, ["status", "retry_after", "error"], as_dict=True)
		self.assertEqual(row.status, "Queued")
		self.assertGreater(row.retry_after, now_datetime())
		self.assertIn("ADMS_DEVICE_OFFLINE", row.error)
		# Not offered again before its time, then offered; the device's status is not its business.
		self.assertNotIn(name, [c["name"] for c in claim_commands(self.sidecar)["commands"]])
		self.assertEqual(frappe.db.get_value("Biometric Device", self.gate, "status"), "Online")
		frappe.db.set_value("Biometric Command", name, "retry_after", add_to_date(now_datetime(), minutes=-1))
		self.assertIn(name, [c["name"] for c in claim_commands(self.sidecar)["commands"]])
		complete_command(name, "Done", {"user_id": "2", "action": "created"})
		self.assertEqual(frappe.db.get_value("Biometric Command", name, "status"), "Done")

	def test_daily_read_once_per_20_hours_for_families_that_can(self):
		now = now_datetime()
		created = device_users.due_reads(now)
		reads = {frappe.db.get_value("Biometric Command", n, "device") for n in created}
		self.assertTrue({self.gate, self.hik} <= reads)
		self.assertNotIn(self.essl, reads)
		self.assertEqual([n for n in device_users.due_reads(now) if n in created], [])
		for name in created:
			frappe.db.set_value("Biometric Command", name, "status", "Done")
		later = device_users.due_reads(add_to_date(now, hours=10))
		self.assertFalse({frappe.db.get_value("Biometric Command", n, "device") for n in later} & reads)
		frappe.db.set_value(
			"Biometric Command",
			{"name": ("in", created)},
			"creation",
			add_to_date(now, hours=-21),
			update_modified=False,
		)
		again = {frappe.db.get_value("Biometric Command", n, "device") for n in device_users.due_reads(now)}
		self.assertTrue({self.gate, self.hik} <= again)

	def test_a_done_sync_now_asks_for_users_at_most_once_an_hour(self):
		def sync(device):
			before = len(self.commands(device, "users_read"))
			pull = desk.sync_now(device)["command"]
			self.assertEqual(len(self.commands(device, "users_read")), before)  # not before the pull is done
			claim_commands(self.sidecar)
			complete_command(pull, "Done", {"read": 0})

		sync(self.gate)
		[read] = self.commands(self.gate, "users_read")
		frappe.db.set_value("Biometric Command", read.name, "status", "Done")
		frappe.db.delete("Biometric Command", {"device": self.gate, "command_type": "pull"})
		sync(self.gate)
		self.assertEqual(len(self.commands(self.gate, "users_read")), 1)
		sync(self.essl)
		self.assertEqual(self.commands(self.essl, "users_read"), [])


class TestMappingHelp(DeviceUsersCase):
	def park(self, user_id, count=2):
		items = [punch(self.gate, user_id, f"2026-05-04 0{8 + k}:00:00", state=k % 2) for k in range(count)]
		push_punches(self.sidecar, self.gate, items)
		process_pending()
		return [i["uid"] for i in items]

	def named_employee(self, local, first, last):
		employee = make_test_employee(local)
		frappe.db.set_value(
			"Employee", employee, {"first_name": first, "last_name": last, "employee_name": f"{first} {last}"}
		)
		return employee

	def test_unmapped_groups_show_device_name_and_suggest_best_first(self):
		first = f"Zanil{self.token.lower()}"
		anil = self.named_employee("bsync-du-2", first.capitalize(), "Kumar")
		other = self.named_employee("bsync-du-3", first.capitalize(), "Kumarswamy")
		user_id = self.uid("S")
		self.park(user_id)
		report_device_users(self.sidecar, self.gate, [user(user_id, f"  {first.upper()}  KUMÁR ")])
		group = next(g for g in ui.unmapped_groups()["groups"] if g["device_user_id"] == user_id)
		self.assertEqual(group["device_name"], f"  {first.upper()}  KUMÁR ")
		self.assertEqual(group["suggestions"][0]["employee"], anil)
		self.assertTrue(group["suggestions"][0]["confident"])
		self.assertIn(other, [s["employee"] for s in group["suggestions"]])
		self.assertEqual(self.row(self.gate, user_id).suggested_employee, anil)

		answer = ui.accept_suggestions(
			[{"device_user_id": user_id, "employee": anil}, {"device_user_id": user_id, "employee": other}]
		)
		self.assertEqual([m["employee"] for m in answer["mapped"]], [anil])
		self.assertEqual([f["code"] for f in answer["failed"]], ["ALREADY_MAPPED"])
		self.assertEqual(frappe.db.get_value("Employee", anil, "attendance_device_id"), user_id)
		self.assertEqual(
			frappe.db.count("Biometric Punch", {"device_user_id": user_id, "status": "Pending"}), 2
		)
		self.assertEqual(self.row(self.gate, user_id).employee, anil)

	def test_exact_names_are_mapped_only_when_the_setting_is_on(self):
		first = f"Yara{self.token.lower()}"
		employee = self.named_employee("bsync-du-4", first.capitalize(), "Nair")
		twin_a, twin_b = (
			self.named_employee("bsync-du-5", "Twin", first),
			self.named_employee("bsync-du-6", "Twin", first),
		)
		user_id, twin_id = self.uid("Y"), self.uid("T")
		self.park(user_id)
		users = [user(user_id, f"{first} nair"), user(twin_id, f"twin {first}")]
		self.assertEqual(report_device_users(self.sidecar, self.gate, users)["mapped"], [])
		self.assertFalse(frappe.db.get_value("Employee", employee, "attendance_device_id"))

		frappe.db.set_single_value("Biometric Sync Settings", "map_exact_names", 1)
		frappe.clear_document_cache("Biometric Sync Settings", "Biometric Sync Settings")
		mapped = report_device_users(self.sidecar, self.gate, users)["mapped"]
		self.assertEqual([(m["device_user_id"], m["employee"]) for m in mapped], [(user_id, employee)])
		self.assertEqual(frappe.db.get_value("Employee", employee, "attendance_device_id"), user_id)
		self.assertEqual(
			frappe.db.count("Biometric Punch", {"device_user_id": user_id, "status": "Pending"}), 2
		)
		for twin in (twin_a, twin_b):  # two Employees with that name: a person decides
			self.assertFalse(frappe.db.get_value("Employee", twin, "attendance_device_id"))

	def test_an_employee_refusing_the_automatic_mapping_does_not_fail_the_report(self):
		first = f"Xena{self.token.lower()}"
		employee = self.named_employee("bsync-du-4", first.capitalize(), "Rao")
		user_id = self.uid("X")
		frappe.db.set_single_value("Biometric Sync Settings", "map_exact_names", 1)
		frappe.clear_document_cache("Biometric Sync Settings", "Biometric Sync Settings")
		with patch("biometric_sync.users.mapping.map_id", side_effect=frappe.ValidationError("no")):
			answer = report_device_users(self.sidecar, self.gate, [user(user_id, f"{first} rao")])
		self.assertEqual((answer["received"], answer["mapped"]), (1, []))
		self.assertEqual(self.row(self.gate, user_id).suggested_employee, employee)
		self.assertFalse(frappe.db.get_value("Employee", employee, "attendance_device_id"))


class TestEnrolment(DeviceUsersCase):
	def enrol(self, device, **values):
		frappe.db.set_value(
			"Biometric Device",
			device,
			{"enroll_employees": "All employees", "enrolment_started_on": None, **values},
		)

	def test_preview_then_enrol_now_never_touches_an_admin(self):
		self.enrol(self.gate)
		here, renamed, admin = self.uid("P1"), self.uid("P2"), self.uid("P3")
		e1 = make_test_employee("bsync-du-1", here)
		e2 = make_test_employee("bsync-du-2", renamed)
		e3 = make_test_employee("bsync-du-3", admin)
		leaver_id = self.uid("P4")
		leaver = make_test_employee("bsync-du-4", leaver_id)
		frappe.db.set_value("Employee", leaver, "status", "Left")
		visitor = self.uid("V")
		name2 = frappe.db.get_value("Employee", e2, "employee_name")
		report_device_users(
			self.sidecar,
			self.gate,
			[
				user(renamed, "Old name"),
				user(admin, "Boss", privilege="admin"),
				user(leaver_id, "Gone"),
				user(visitor, "Visitor"),
			],
			complete=True,
		)
		preview = desk.enrolment_preview(self.gate)
		self.assertIn(here, [r["user_id"] for r in preview["create"]])
		self.assertIn((renamed, name2), [(r["user_id"], r["name"]) for r in preview["update"]])
		self.assertEqual([(r["user_id"], r["employee"]) for r in preview["delete"]], [(leaver_id, leaver)])
		self.assertEqual([r["user_id"] for r in preview["refused"]], [admin])
		self.assertEqual(preview["untouched"], 1)
		self.assertEqual(self.commands(self.gate, "user_set"), [])  # a preview queues nothing

		out = desk.enrol_now(self.gate)
		sets = {c.device_user_id: c for c in self.commands(self.gate, "user_set")}
		self.assertIn(here, sets)
		self.assertEqual(sets[here].employee, e1)
		self.assertNotIn(admin, sets)
		self.assertNotIn(visitor, sets)
		deletes = self.commands(self.gate, "user_delete")
		self.assertEqual(
			[(d.device_user_id, frappe.parse_json(d.payload)["mode"]) for d in deletes],
			[(leaver_id, "delete")],
		)
		self.assertEqual([r["user_id"] for r in out["refused"]], [admin])
		self.assertTrue(frappe.db.get_value("Biometric Device", self.gate, "enrolment_started_on"))
		# Again: nothing new is queued while those are open.
		again = desk.enrol_now(self.gate)
		self.assertEqual(again["queued"], [])
		self.assertEqual(sorted(again["coalesced"]), sorted(out["queued"]))
		del e3

	def test_employee_changes_travel_to_enrolling_devices(self):
		self.enrol(self.gate, enrolment_started_on=now_datetime())
		self.enrol(self.hik, enrolment_started_on=now_datetime())
		frappe.db.set_single_value("Biometric Sync Settings", "leaver_action", "Disable")
		frappe.clear_document_cache("Biometric Sync Settings", "Biometric Sync Settings")
		employee = make_test_employee("bsync-du-1")
		old, new = self.uid("C1"), self.uid("C2")
		doc = frappe.get_doc("Employee", employee)
		doc.attendance_device_id = old
		doc.save()
		sets = self.commands(self.gate, "user_set")
		self.assertEqual(
			[frappe.parse_json(c.payload) for c in sets], [{"user_id": old, "name": doc.employee_name}]
		)
		self.assertEqual(sets[0].trigger, "enrolment")
		self.assertEqual(len(self.commands(self.hik, "user_set")), 1)
		doc.save()  # nothing changed: nothing more queued
		self.assertEqual(len(self.commands(self.gate, "user_set")), 1)

		doc.attendance_device_id = new
		doc.save()
		self.assertEqual([c.device_user_id for c in self.commands(self.gate, "user_set")], [old, new])
		self.assertEqual([c.device_user_id for c in self.commands(self.gate, "user_delete")], [old])

		# An admin on the terminal under the new id: the leaver's delete is refused there, queued elsewhere.
		report_device_users(self.sidecar, self.gate, [user(new, "Boss", privilege="admin")])
		doc.status = "Left"
		doc.relieving_date = nowdate()
		doc.save()
		self.assertEqual([c.device_user_id for c in self.commands(self.gate, "user_delete")], [old])
		hik_deletes = self.commands(self.hik, "user_delete")
		self.assertEqual(frappe.parse_json(hik_deletes[-1].payload), {"user_id": new, "mode": "disable"})
		# ZK cannot disable: the old id's delete on the gate was a delete.
		self.assertEqual(
			frappe.parse_json(self.commands(self.gate, "user_delete")[0].payload)["mode"], "delete"
		)

		status = desk.employee_enrolment(employee)
		# On a lived-in site other terminals may enrol everyone too: these two must be listed, and the eSSL not.
		devices = {c.device for c in status["commands"]}
		self.assertTrue({self.gate, self.hik} <= devices)
		self.assertNotIn(self.essl, devices)

	def test_relieving_date_reached_takes_the_employee_off(self):
		self.enrol(self.gate, enrolment_started_on=now_datetime())
		user_id = self.uid("R")
		employee = make_test_employee("bsync-du-2", user_id)
		frappe.db.set_value("Employee", employee, "relieving_date", add_days(nowdate(), -1))
		enrollment.check_relieving_dates()
		deletes = self.commands(self.gate, "user_delete")
		self.assertEqual([(c.device_user_id, c.employee) for c in deletes], [(user_id, employee)])
		frappe.db.set_value("Biometric Command", deletes[0].name, "status", "Done")
		enrollment.check_relieving_dates()  # once: not again the next day
		self.assertEqual(len(self.commands(self.gate, "user_delete")), 1)

	def test_essl_cannot_enrol(self):
		frappe.db.set_value("Biometric Device", self.essl, "enroll_employees", "All employees")
		doc = frappe.get_doc("Biometric Device", self.essl)
		doc.save()
		self.assertEqual(doc.enroll_employees, "No")
		with self.assertRaises(BiometricSyncError) as caught:
			desk.enrolment_preview(self.essl)
		self.assertCode(caught, "ENROLMENT_NOT_SUPPORTED")
