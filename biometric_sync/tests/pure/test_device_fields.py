import unittest

from biometric_sync.device_fields import missing_fields


class TestDeviceFields(unittest.TestCase):
	def test_each_driver_names_what_it_lacks(self):
		self.assertEqual(missing_fields("zk", {"host": "192.168.1.201"}), [])
		self.assertEqual(missing_fields("zk", {"host": " "}), ["host"])
		self.assertEqual(missing_fields("adms", {"host": "10.0.0.9"}), ["serial_number"])
		self.assertEqual(missing_fields("hikvision", {"host": "10.0.0.5"}), ["username", "password"])

	def test_essl_needs_its_url_and_login_and_etimetracklite_a_serial(self):
		# The field test's device: host and port only.
		self.assertEqual(
			missing_fields("essl", {"host": "10.0.0.7", "port": 80}),
			["url", "username", "password", "serial_number"],
		)
		etime = {"url": "http://10.0.0.7/iclock/WebAPIService.asmx", "username": "api", "password": "x"}
		self.assertEqual(missing_fields("essl", etime), ["serial_number"])
		ebio = {"url": "http://10.0.0.7/iclock/webservice.asmx", "username": "api", "password": "x"}
		self.assertEqual(missing_fields("essl", ebio), [])
