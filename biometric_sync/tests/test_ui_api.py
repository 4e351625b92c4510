"""The HR page's own methods (biometric_sync.api.ui) and its www controller: who may call them, what they answer,
and that mapping a device user id replays the parked punches."""

import re
from unittest.mock import patch

import frappe
from frappe.utils import add_to_date, get_datetime, now_datetime

from biometric_sync import punch_list
from biometric_sync import settings as bsync_settings
from biometric_sync.api import desk, ui
from biometric_sync.api.ingest import push_punches
from biometric_sync.errors import BiometricSyncError
from biometric_sync.ingest import sync_log
from biometric_sync.ingest.processor import process_pending
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	as_user,
	make_device,
	make_sidecar,
	make_test_employee,
	make_user,
	punch,
	run_token,
	staged_name,
)
from biometric_sync.www import biometric as page

# A punch's uid (sha256) or name ("<time>-<uid>"): hex digits in which any short number can occur.
HASHED = re.compile(r"(\d{14}-)?[0-9a-f]{64}")
# A moment's digits (a numeric comm key turned up in a timestamp's microseconds: 2026-12-03 16:44:04.432110).
MOMENT = re.compile(r"\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?")


class TestUiApi(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		zone = bsync_settings.site_time_zone()
		cls.sidecar = make_sidecar("UI Online")
		cls.silent = make_sidecar("UI Silent")
		frappe.db.set_value(
			"Biometric Sidecar", cls.sidecar, {"status": "Online", "last_heartbeat": now_datetime()}
		)
		frappe.db.set_value(
			"Biometric Sidecar",
			cls.silent,
			{"status": "Offline", "last_heartbeat": add_to_date(now_datetime(), minutes=-45)},
		)
		cls.gate = make_device("UI Gate", cls.sidecar, time_zone=zone, comm_key="4321", password="s3cret!")
		cls.canteen = make_device("UI Canteen", cls.sidecar, time_zone=zone)
		cls.dock = make_device("UI Dock", cls.silent, time_zone=zone, driver="adms", serial_number="CQZ1")
		frappe.db.set_value(
			"Biometric Device",
			cls.gate,
			{"status": "Online", "clock_drift_seconds": 500, "memory_used_percent": 95.0},
		)
		frappe.db.set_value(
			"Biometric Device",
			cls.canteen,
			{"status": "Error", "last_error": "DEVICE_AUTH_FAILED: 192.0.2.10 rejected the comm key"},
		)
		cls.hr = make_user("bsync-ui-hr", ["HR Manager", "HR User"])
		cls.manager = make_user("bsync-ui-manager", ["Biometric Manager"])
		cls.nobody = make_user("bsync-ui-nobody", ["Employee"])
		frappe.db.commit()

	def uid(self, text: str) -> str:
		"""A device user id unique to this run (Employee.attendance_device_id is unique)."""
		return f"{text}-{self.token}"

	def assertCode(self, caught, code, status):
		self.assertEqual((caught.exception.code, caught.exception.http_status_code), (code, status))

	def push(self, device, *items):
		answer = push_punches(self.sidecar if device != self.dock else self.silent, device, list(items))
		self.assertTrue(all(r["status"] == "new" for r in answer["results"]), answer)

	def park(self, user_id: str, device: str, count: int, start: str = "2026-05-04 08:00:00"):
		"""``count`` punches of ``user_id`` that end Unmapped."""
		base = get_datetime(start)
		items = [
			punch(device, user_id, str(add_to_date(base, minutes=7 * k)), state=k % 2) for k in range(count)
		]
		self.push(device, *items)
		process_pending()
		for item in items:
			self.assertEqual(self.punch_row(item).status, "Unmapped")
		return items

	# ------------------------------------------------------------------ permissions

	def test_only_the_page_roles_may_read(self):
		for method, args in [
			(ui.overview, ()),
			(ui.devices, ()),
			(ui.device, (self.gate,)),
			(ui.sidecars, ()),
			(ui.unmapped_groups, ()),
			(ui.find_employees, ("x",)),
			(ui.attendance, ()),
		]:
			with self.subTest(method=method.__name__):
				with as_user(self.nobody), self.assertRaises(BiometricSyncError) as caught:
					method(*args)
				self.assertCode(caught, "NOT_PERMITTED", 403)
				with as_user(self.hr):
					self.assertIsInstance(method(*args), dict)
		with as_user("Guest"), self.assertRaises(BiometricSyncError) as caught:
			ui.overview()
		self.assertCode(caught, "NOT_PERMITTED", 403)

	def test_hr_managers_see_devices_but_do_not_manage_them(self):
		with as_user(self.hr):
			self.assertFalse(ui.devices()["can_manage"])
			self.assertFalse(ui.device(self.gate)["can_manage"])
			with self.assertRaises(BiometricSyncError) as caught:
				desk.sync_now(self.gate)
			self.assertCode(caught, "NOT_PERMITTED", 403)
		with as_user(self.manager):
			self.assertTrue(ui.devices()["can_manage"])

	def test_no_secret_reaches_the_page(self):
		with as_user(self.hr):
			answers = [ui.devices(), ui.device(self.gate), ui.overview(), ui.sidecars()]
		keys, values = set(), set()

		def walk(node):
			if isinstance(node, dict):
				keys.update(node)
				for value in node.values():
					walk(value)
			elif isinstance(node, list | tuple):
				for value in node:
					walk(value)
			else:
				values.add(str(node))

		walk(frappe.parse_json(frappe.as_json(answers)))
		# Compared value by value: as a substring of the whole answer, the comm key 4321 was found inside a
		# punch's hashed name on a lived-in site, and inside a timestamp; digits of those are not a leak.
		for secret in ("4321", "s3cret!"):
			self.assertNotIn(secret, values)
			leaks = [v for v in values if secret in v and not (HASHED.fullmatch(v) or MOMENT.fullmatch(v))]
			self.assertFalse(leaks, secret)
		for field in ("comm_key", "password", "api_user", "api_secret"):
			self.assertNotIn(field, keys)

	# ------------------------------------------------------------------ reads

	def test_a_discovered_adms_terminal_is_an_alert_with_its_serial_and_address(self):
		discovered = make_device(
			"UI Discovered",
			self.sidecar,
			driver="adms",
			serial_number=f"BAZR{self.token}",
			enabled=0,
			status="Discovered",
			host="10.1.2.3",
		)
		self.addCleanup(frappe.db.delete, "Biometric Device", discovered)
		with as_user(self.hr):
			alerts = {a["name"]: a for a in ui.overview()["alerts"]}
		self.assertEqual(alerts[discovered]["kind"], "discovered")
		self.assertIn(f"BAZR{self.token}", alerts[discovered]["title"])
		self.assertIn("10.1.2.3", alerts[discovered]["detail"])

	def test_overview_counts_alerts_and_last_sync(self):
		with as_user(self.hr):
			before = ui.overview()
		now = now_datetime().replace(microsecond=0)
		times = [add_to_date(now, seconds=-20), add_to_date(now, seconds=-10)]
		self.push(self.gate, *[punch(self.gate, self.uid("OV"), str(t)) for t in times])
		scheduled = sync_log.create(self.gate, self.sidecar, "schedule", status="Success", new_count=2)
		sync_log.create(self.gate, None, "replay", status="Success", started=add_to_date(now, seconds=5))
		with as_user(self.hr):
			after = ui.overview()

		self.assertEqual(after["punches_today"], before["punches_today"] + 2)
		self.assertEqual(sum(after["punches_per_hour"]), after["punches_today"])
		for t in times:
			hour = get_datetime(t).hour
			expected = before["punches_per_hour"][hour] + sum(1 for x in times if x.hour == hour)
			self.assertEqual(after["punches_per_hour"][hour], expected)
		self.assertGreaterEqual(after["devices"]["total"], 3)
		self.assertGreaterEqual(after["devices"]["by_status"]["Error"], 1)
		self.assertGreaterEqual(after["sidecars"]["total"], after["sidecars"]["online"] + 1)

		rows = {row["device"]: row for row in after["last_sync"]}
		self.assertEqual(rows[self.gate]["sync"]["name"], scheduled)  # a replay is not a sync with the device
		self.assertIsNone(rows[self.dock]["sync"])

		alerts = {(a["kind"], a["name"]) for a in after["alerts"]}
		self.assertIn(("clock_drift", self.gate), alerts)
		self.assertIn(("memory", self.gate), alerts)
		self.assertIn(("auth_failure", self.canteen), alerts)
		self.assertIn(("sidecar_silent", self.silent), alerts)
		self.assertNotIn(("sidecar_silent", self.sidecar), alerts)
		severities = [a["severity"] for a in after["alerts"]]
		self.assertEqual(severities, sorted(severities, key=lambda s: s != "red"))

	def test_the_live_feed_is_the_newest_staged_punches_and_staging_refreshes_the_page(self):
		published = []
		real = frappe.publish_realtime

		def spy(event=None, message=None, *args, **kwargs):
			published.append((event, message, kwargs.get("doctype"), kwargs.get("docname")))
			return real(event, message, *args, **kwargs)

		user_id = self.uid("FEED")
		with patch.object(frappe, "publish_realtime", spy):
			self.push(self.gate, punch(self.gate, user_id, "2026-05-05 08:59:58"))
		self.assertIn(
			("biometric_sync:refresh", {"device": self.gate}, "Biometric Device", self.gate), published
		)
		with as_user(self.hr):
			feed = ui.overview()["latest_punches"]
		self.assertEqual((feed[0].device_user_id, feed[0].device), (user_id, self.gate))
		self.assertLessEqual(len(feed), ui.LATEST_PUNCHES)
		created = [row.creation for row in feed]
		self.assertEqual(created, sorted(created, reverse=True))

	def test_devices_and_device(self):
		seen = now_datetime().replace(microsecond=0)
		frappe.db.set_value("Biometric Device", self.gate, "last_seen", seen, update_modified=False)
		with as_user(self.manager):
			command = desk.sync_now(self.gate)["command"]
		with as_user(self.hr):
			devices = {d["name"]: d for d in ui.devices()["devices"]}
			detail = ui.device(self.gate)
		self.assertEqual(devices[self.gate]["open_command"]["name"], command)
		self.assertIsNone(devices[self.dock]["open_command"])
		self.assertEqual(
			(devices[self.dock]["driver"], devices[self.dock]["serial_number"]), ("adms", "CQZ1")
		)

		self.assertEqual(detail["device"]["name"], self.gate)
		self.assertEqual(detail["device"]["clock_drift_seconds"], 500)
		# frappe.get_all would drop last_seen (it contains "_seen"): the page must still get it
		self.assertEqual(get_datetime(detail["device"]["last_seen"]), seen)
		self.assertEqual(get_datetime(devices[self.gate]["last_seen"]), seen)
		self.assertEqual(detail["sidecar"]["name"], self.sidecar)
		self.assertEqual(detail["open_command"]["name"], command)
		self.assertEqual(detail["commands"][0]["name"], command)
		self.assertEqual(detail["thresholds"]["clock_drift_seconds"], 120)
		self.assertIn("punches_today", detail)
		self.assertIn("unmapped", detail)

		with as_user(self.hr), self.assertRaises(BiometricSyncError) as caught:
			ui.device(f"{PREFIX} Nowhere")
		self.assertCode(caught, "UNKNOWN_DEVICE", 404)

	def test_what_a_family_never_measures_is_not_shown_as_zero(self):
		# Found on a bench: eSSL devices showed their clock "in sync" and memory "0%", Hikvision memory "0%";
		# neither family reports them, the columns only hold Frappe's default 0.
		essl = make_device("UI eSSL", self.sidecar, driver="essl")
		hik = make_device("UI Hik", self.sidecar, driver="hikvision")
		frappe.db.set_value("Biometric Device", hik, "clock_drift_seconds", -7, update_modified=False)
		with as_user(self.hr):
			devices = {d["name"]: d for d in ui.devices()["devices"]}
			detail = ui.device(essl)["device"]
			overview = ui.overview()
		shown = lambda row: (row["clock_drift_seconds"], row["memory_used_percent"])  # noqa: E731
		self.assertEqual(shown(devices[essl]), (None, None))
		self.assertEqual(shown(detail), (None, None))
		self.assertEqual(shown(devices[hik]), (-7, None))
		self.assertEqual(shown(devices[self.gate]), (500, 95.0))  # ZK: both measured
		self.assertEqual(devices[self.dock]["clock_drift_seconds"], None)  # ADMS: its clock is not read
		self.assertFalse({essl, hik} & {a["name"] for a in overview["alerts"]})

	def test_sidecars_say_which_are_silent(self):
		with as_user(self.hr):
			rows = {s["name"]: s for s in ui.sidecars()["sidecars"]}
		self.assertFalse(rows[self.sidecar]["silent"])
		self.assertEqual(rows[self.sidecar]["devices"], 2)
		self.assertTrue(rows[self.silent]["silent"])
		self.assertGreaterEqual(rows[self.silent]["silent_minutes"], 44)
		self.assertEqual(rows[self.silent]["devices"], 1)

	def test_unmapped_groups_are_exact_user_ids_with_counts_and_first_last_seen(self):
		user_id = self.uid("0042")
		self.park(user_id, self.gate, 3, "2026-05-01 08:00:00")
		self.park(user_id, self.dock, 1, "2026-05-02 09:30:00")
		self.park(user_id.lower(), self.gate, 2, "2026-05-03 10:00:00")  # another id, not merged
		with as_user(self.hr):
			answer = ui.unmapped_groups()
		groups = {g["device_user_id"]: g for g in answer["groups"]}
		mine = groups[user_id]
		self.assertEqual(mine["punches"], 4)
		self.assertEqual(mine["devices"], sorted([self.gate, self.dock]))
		self.assertEqual(str(mine["first_seen"]), "2026-05-01 08:00:00")
		self.assertEqual(str(mine["last_seen"]), "2026-05-02 09:30:00")
		self.assertEqual(groups[user_id.lower()]["punches"], 2)
		self.assertEqual(answer["lookup_field"], "attendance_device_id")
		counts = [g["punches"] for g in answer["groups"]]
		self.assertEqual(counts, sorted(counts, reverse=True))
		self.assertGreaterEqual(answer["total"], 6)

	def test_punches_page_searches_newest_first_and_reads_one_device_through_its_index(self):
		user_id = self.uid("PL")
		old = [punch(self.canteen, user_id, f"2001-03-0{d} 08:00:00") for d in (1, 2, 3)]
		new = [punch(self.gate, user_id, f"2026-05-0{d} 09:00:00") for d in (6, 7)]
		self.push(self.canteen, *old)
		self.push(self.gate, *new)
		with as_user(self.hr):
			mine = ui.punches(user_id=user_id)
			self.assertEqual(
				[r.name for r in mine], [staged_name(i) for i in [*reversed(new), *reversed(old)]]
			)
			self.assertEqual(
				[r.name for r in ui.punches(user_id=user_id, device=self.canteen, page_length=2)],
				[staged_name(old[2]), staged_name(old[1])],
			)
			page_two = ui.punches(user_id=user_id, device=self.canteen, start=2, page_length=2)
			self.assertEqual([r.name for r in page_two], [staged_name(old[0])])
			day = ui.punches(user_id=user_id, date="2001-03-02", status="Pending")
			self.assertEqual([r.name for r in day], [staged_name(old[1])])
			with self.assertRaises(BiometricSyncError) as caught:
				ui.punches(date="02/03/2001")
			self.assertCode(caught, "INVALID_ARGUMENT", 400)
		with as_user(self.nobody), self.assertRaises(BiometricSyncError) as caught:
			ui.punches()
		self.assertCode(caught, "NOT_PERMITTED", 403)

		# One device's newest punches come from (device, site_time), however old they are: through site_time
		# MariaDB read every newer punch of the other devices first (17.8 s on the history benchmark's site).
		for status, index in ((None, "bsync_device_site_time"), ("Pending", "bsync_device_status_site_time")):
			sql, values = punch_list.query(device=self.canteen, status=status)
			plan = frappe.db.sql(f"explain {sql}", values, as_dict=True)[0]
			self.assertEqual(plan.key, index)

	def test_find_employees_shows_their_current_id(self):
		named = make_test_employee("bsync-ui-find", self.uid("77"))
		with as_user(self.hr):
			found = ui.find_employees(self.uid("77"))["employees"]
		self.assertEqual([(e["name"], e["lookup_value"]) for e in found], [(named, self.uid("77"))])

	# ------------------------------------------------------------------ map_user_id

	def test_mapping_sets_the_lookup_field_and_replays_the_parked_punches(self):
		user_id = self.uid("MAP")
		items = self.park(user_id, self.gate, 3)
		employee = make_test_employee("bsync-ui-map", None)
		self.enqueue.reset_mock()
		with as_user(self.hr):
			answer = ui.map_user_id(user_id, employee)
		self.assertEqual(
			(
				answer["employee"],
				answer["field"],
				answer["device_user_id"],
				answer["previous"],
				answer["replayed"],
			),
			(employee, "attendance_device_id", user_id, None, 3),
		)
		self.assertEqual(frappe.db.get_value("Employee", employee, "attendance_device_id"), user_id)
		self.assertEqual({self.punch_row(i).status for i in items}, {"Pending"})
		self.assertTrue(self.processing_enqueued())
		with as_user(self.hr):
			self.assertNotIn(user_id, {g["device_user_id"] for g in ui.unmapped_groups()["groups"]})

		process_pending()
		rows = [self.punch_row(i) for i in items]
		self.assertEqual({(r.status, r.employee) for r in rows}, {("Processed", employee)})

	def test_mapping_an_id_the_employee_already_has_still_replays(self):
		user_id = self.uid("SAME")
		employee = make_test_employee("bsync-ui-same", None)
		items = self.park(user_id, self.gate, 2)
		frappe.db.set_value("Employee", employee, "attendance_device_id", user_id)  # no hook ran
		with as_user(self.hr):
			answer = ui.map_user_id(user_id, employee)
		self.assertEqual((answer["previous"], answer["replayed"]), (user_id, 2))
		self.assertEqual({self.punch_row(i).status for i in items}, {"Pending"})

	def test_mapping_refuses_an_id_another_employee_has(self):
		user_id = self.uid("TAKEN")
		holder = make_test_employee("bsync-ui-holder", user_id)
		other = make_test_employee("bsync-ui-other", None)
		with as_user(self.hr), self.assertRaises(BiometricSyncError) as caught:
			ui.map_user_id(user_id, other)
		self.assertCode(caught, "ALREADY_MAPPED", 409)
		self.assertIn(holder, caught.exception.message)
		self.assertIsNone(frappe.db.get_value("Employee", other, "attendance_device_id"))

	def test_mapping_replaces_another_id_only_when_asked(self):
		old, new = self.uid("OLD"), self.uid("NEW")
		employee = make_test_employee("bsync-ui-replace", old)
		self.park(new, self.canteen, 1)
		with as_user(self.hr), self.assertRaises(BiometricSyncError) as caught:
			ui.map_user_id(new, employee)
		self.assertCode(caught, "EMPLOYEE_HAS_ID", 409)
		self.assertEqual(frappe.db.get_value("Employee", employee, "attendance_device_id"), old)
		with as_user(self.hr):
			answer = ui.map_user_id(new, employee, replace=1)
		self.assertEqual((answer["previous"], answer["replayed"]), (old, 1))
		self.assertEqual(frappe.db.get_value("Employee", employee, "attendance_device_id"), new)

	def test_mapping_needs_write_permission_on_the_employee_and_valid_arguments(self):
		employee = make_test_employee("bsync-ui-perm", None)
		with as_user(self.manager), self.assertRaises(BiometricSyncError) as caught:
			ui.map_user_id(self.uid("P"), employee)  # Biometric Manager alone may not edit Employees
		self.assertCode(caught, "NOT_PERMITTED", 403)
		with as_user(self.nobody), self.assertRaises(BiometricSyncError) as caught:
			ui.map_user_id(self.uid("P"), employee)
		self.assertCode(caught, "NOT_PERMITTED", 403)
		with as_user(self.hr):
			with self.assertRaises(BiometricSyncError) as caught:
				ui.map_user_id("", employee)
			self.assertCode(caught, "INVALID_ARGUMENT", 400)
			with self.assertRaises(BiometricSyncError) as caught:
				ui.map_user_id(self.uid("P"), "HR-EMP-DOES-NOT-EXIST")
			self.assertCode(caught, "UNKNOWN_EMPLOYEE", 404)
		self.assertIsNone(frappe.db.get_value("Employee", employee, "attendance_device_id"))

	# ------------------------------------------------------------------ the page (www/biometric.py)

	def test_page_redirects_guests_and_people_without_the_roles_to_login(self):
		for user, location in [("Guest", "/login?redirect-to=/biometric"), (self.nobody, "/login")]:
			with self.subTest(user=user), as_user(user):
				frappe.local.flags.redirect_location = None
				with self.assertRaises(frappe.Redirect):
					page.get_context(frappe._dict())
				self.assertEqual(frappe.local.flags.redirect_location, location)

	def test_page_boot_data(self):
		with as_user(self.hr):
			context = page.get_context(frappe._dict())
		boot = context.boot
		self.assertTrue(boot["csrf_token"])
		self.assertEqual(boot["site_name"], frappe.local.site)
		self.assertEqual(boot["socketio_port"], frappe.conf.socketio_port or 9000)
		self.assertEqual((boot["user"], boot["can_manage"]), (self.hr, False))
		self.assertEqual(boot["roles"], ["HR Manager"])
		self.assertEqual(boot["lookup_field"], "attendance_device_id")
		with as_user(self.manager):
			self.assertTrue(page.get_context(frappe._dict()).boot["can_manage"])

	def test_deep_links_reach_the_page(self):
		rules = frappe.get_hooks("website_route_rules", app_name="biometric_sync")
		self.assertIn({"from_route": "/biometric/<path:app_path>", "to_route": "biometric"}, rules)
