import unittest

from biometric_sync.sidecar_files import procfile_line, sidecar_config, site_config, with_procfile_line


class TestSidecarFiles(unittest.TestCase):
	def test_config_has_the_shape_the_sidecar_validates_and_no_secret(self):
		config = sidecar_config(
			bench_path="/home/frappe/frappe-bench",
			webserver_port=8000,
			site_name="erp.localhost",
			socketio_port=9000,
			sidecar="Head Office",
			api_key="abc123",
		)
		self.assertEqual(config["site"]["url"], "http://127.0.0.1:8000")
		self.assertEqual(config["site"]["socketUrl"], "http://127.0.0.1:9000")
		self.assertEqual(config["site"]["siteName"], "erp.localhost")
		self.assertEqual(config["site"]["apiKey"], "abc123")
		self.assertEqual(
			config["site"]["apiSecretFile"],
			"/home/frappe/frappe-bench/config/biometric_sidecar/head-office.secret",
		)
		self.assertNotIn("apiSecret", config["site"])
		self.assertTrue(config["spoolDir"].endswith("/head-office-state"))

	def test_site_config_is_the_file_the_sidecar_reads_with_the_secret_beside_it(self):
		config = site_config(
			site_url="https://erp.example.com",
			site_name="erp.example.com",
			sidecar="Head Office",
			api_key="abc123",
			secret_file="head-office.secret",
		)
		self.assertEqual(
			config,
			{
				"spoolDir": "head-office-state",
				"logLevel": "info",
				"site": {
					"url": "https://erp.example.com",
					"siteName": "erp.example.com",
					"sidecar": "Head Office",
					"apiKey": "abc123",
					"apiSecretFile": "head-office.secret",
				},
			},
		)
		printed = site_config(
			site_url="http://127.0.0.1:8000",
			site_name="erp.localhost",
			sidecar="Dev",
			api_key="k",
			socket_url="http://127.0.0.1:9000",
		)
		self.assertEqual(printed["site"]["apiSecretEnv"], "BSYNC_API_SECRET")
		self.assertEqual(printed["site"]["socketUrl"], "http://127.0.0.1:9000")
		self.assertNotIn("apiSecret", printed["site"])

	def test_procfile_line_runs_the_bundle_with_the_config(self):
		self.assertEqual(
			procfile_line("Head Office"),
			"biometric_sidecar_head_office: node --max-old-space-size=96 --max-semi-space-size=2 "
			"apps/biometric_sync/sidecar/dist/biometric-sidecar.mjs run --config config/biometric_sidecar/head-office.json",
		)

	def test_procfile_gets_the_line_once(self):
		line = procfile_line("Head Office")
		procfile = "web: bench serve --port 8000\nworker: bench worker\n"
		once = with_procfile_line(procfile, line)
		self.assertEqual(with_procfile_line(once, line), once)
		self.assertEqual(once.splitlines(), ["web: bench serve --port 8000", "worker: bench worker", line])
