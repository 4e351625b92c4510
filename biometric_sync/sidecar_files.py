"""The files a development bench needs to run a sidecar beside ``bench start`` (pure: no frappe import).

``bench --site S biometric-sync create-sidecar NAME --procfile`` writes the sidecar's config (the shape the
sidecar's ``run --config`` validates), its API secret in a separate file readable only by its owner, and a
Procfile line, so ``bench start`` runs the sidecar with the other bench processes.
"""

import json
import re
from pathlib import Path

SIDECAR_BUNDLE = "apps/biometric_sync/sidecar/dist/biometric-sidecar.mjs"
CONFIG_DIR = "config/biometric_sidecar"


def slug(name: str) -> str:
	return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "sidecar"


def sidecar_config(
	*, bench_path: str, webserver_port: int, site_name: str, socketio_port: int, sidecar: str, api_key: str
) -> dict:
	"""The sidecar's config file for a development bench; the secret is referenced by file, never written into it.

	Both addresses are 127.0.0.1: Frappe v15's socket.io server refuses an Origin whose host differs from the
	socket's, and the sidecar names the site with X-Frappe-Site-Name, so no site host name has to resolve.
	"""
	base = f"{bench_path}/{CONFIG_DIR}/{slug(sidecar)}"
	return {
		"spoolDir": f"{base}-state",
		"logLevel": "info",
		"site": {
			"url": f"http://127.0.0.1:{webserver_port}",
			"siteName": site_name,
			"socketUrl": f"http://127.0.0.1:{socketio_port}",
			"sidecar": sidecar,
			"apiKey": api_key,
			"apiSecretFile": f"{base}.secret",
		},
	}


def site_config(
	*,
	site_url: str,
	site_name: str,
	sidecar: str,
	api_key: str,
	socket_url: str | None = None,
	secret_file: str | None = None,
	secret_env: str = "BSYNC_API_SECRET",
) -> dict:
	"""The config file a sidecar elsewhere (production, a PC at a branch) runs with: exactly what ``run
	--config`` reads. Relative paths resolve beside the config file; the secret comes from a file (mode 600)
	or, without one, from an environment variable. Devices are not listed: they come from the site."""
	site: dict = {"url": site_url, "siteName": site_name, "sidecar": sidecar, "apiKey": api_key}
	if socket_url:
		site["socketUrl"] = socket_url
	if secret_file:
		site["apiSecretFile"] = secret_file
	else:
		site["apiSecretEnv"] = secret_env
	return {"spoolDir": f"{slug(sidecar)}-state", "logLevel": "info", "site": site}


def service_node_flags() -> list[str]:
	"""The Node options the sidecar's own unit files use (memory caps), from the file both sides read."""
	path = Path(__file__).resolve().parent.parent / "sidecar" / "service-node-flags.json"
	return list(json.loads(path.read_text())["flags"])


def procfile_line(sidecar: str) -> str:
	"""A Procfile entry, relative to the bench directory as bench's own entries are."""
	name = slug(sidecar)
	node = " ".join(["node", *service_node_flags(), SIDECAR_BUNDLE])
	return f"biometric_sidecar_{name.replace('-', '_')}: {node} run --config {CONFIG_DIR}/{name}.json"


def with_procfile_line(procfile: str, line: str) -> str:
	"""The Procfile with ``line`` added once (an entry of the same process name is replaced)."""
	process = line.split(":", 1)[0]
	kept = [row for row in procfile.splitlines() if row.split(":", 1)[0].strip() != process]
	return "\n".join([*kept, line]) + "\n"
