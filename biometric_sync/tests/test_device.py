"""The Biometric Device form: an enabled device has what its driver needs, and says which field it lacks."""

import frappe

from biometric_sync.tests.factories import PREFIX, BiometricTestCase, make_device, make_sidecar


class TestDeviceFields(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sidecar = make_sidecar("Device Form")
		frappe.db.commit()

	def device(self, driver: str, **values):
		return frappe.get_doc(
			{
				"doctype": "Biometric Device",
				"device_name": f"{PREFIX} Form {frappe.generate_hash(length=6)}",
				"sidecar": self.sidecar,
				"driver": driver,
				"time_zone": "Asia/Kolkata",
				**values,
			}
		)

	def test_an_essl_device_with_host_and_port_only_says_what_it_needs(self):
		doc = self.device("essl", host="10.0.0.7", port=80)
		with self.assertRaises(frappe.ValidationError) as caught:
			doc.insert()
		message = str(caught.exception)
		for label in ("URL", "Username", "Password", "Serial Number"):
			self.assertIn(label, message)

	def test_a_disabled_or_discovered_device_may_be_incomplete(self):
		self.device("hikvision", host="10.0.0.5", enabled=0).insert()
		self.device("adms", status="Discovered", enabled=0).insert()
		with self.assertRaises(frappe.ValidationError):
			self.device("adms", host="10.0.0.9").insert()  # enabled, without the serial it is known by

	def test_a_complete_device_of_each_family_saves(self):
		for driver in ("zk", "adms", "hikvision", "essl"):
			with self.subTest(driver=driver):
				self.assertTrue(
					frappe.db.exists(
						"Biometric Device", make_device(f"Form {driver}", self.sidecar, driver=driver)
					)
				)
