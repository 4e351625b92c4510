"""bench CLI of the app: ``bench --site S biometric-sync create-sidecar NAME [--location L]``.

Frappe imports ``<app>.commands`` and adds every click command in ``commands`` to bench, so this package
holds ONLY the CLI (the command outbox lives in ``biometric_sync.outbox``).
"""

import json

import click
from frappe.commands import get_site, pass_context


@click.group("biometric-sync")
def biometric_sync():
	"""biometric_sync administration."""


@biometric_sync.command("create-sidecar")
@click.argument("name")
@click.option("--location", default=None, help="Where the sidecar runs (free text).")
@click.option("--rotate-secret", is_flag=True, default=False, help="New API secret for an existing sidecar.")
@click.option(
	"--procfile",
	is_flag=True,
	default=False,
	help="Development: write the sidecar's config and secret under config/biometric_sidecar/ and add it to the Procfile.",
)
@click.option(
	"--out",
	"out",
	default=None,
	help="Write the sidecar's config file here and its API secret beside it (FILE.secret, mode 600).",
)
@click.option(
	"--url",
	default=None,
	help="The site's address as the sidecar reaches it (default: the site's host_name, else this bench on 127.0.0.1).",
)
@pass_context
def create_sidecar(context, name, location=None, rotate_secret=False, procfile=False, out=None, url=None):
	"""Create a sidecar: API user, keys, Biometric Sidecar row; print (or write with --out) the config file the
	sidecar runs with."""
	import frappe

	from biometric_sync.sidecars import create_sidecar as provision

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		frappe.flags.mute_messages = True
		config = provision(name, location=location, rotate_secret=rotate_secret)
		frappe.db.commit()
	except frappe.ValidationError as error:
		frappe.db.rollback()
		raise click.ClickException(str(error)) from error
	finally:
		frappe.destroy()
	if procfile:
		_write_development_files(config)
		return
	_write_or_print_site_config(config, out, url)


def _write_or_print_site_config(config: dict, out: str | None, url: str | None) -> None:
	"""The config file the sidecar reads (`run --config`), written with its secret beside it, or printed."""
	import os
	from urllib.parse import urlsplit

	import frappe

	from biometric_sync.sidecar_files import site_config

	conf = frappe.get_conf(config["site_name"])
	if url:
		site_url, socket_url = url.rstrip("/"), None
	elif conf.get("host_name"):
		site_url, socket_url = str(conf.get("host_name")).rstrip("/"), None
		parsed = urlsplit(site_url)
		if parsed.port and parsed.port == int(conf.get("webserver_port") or 8000):
			# A development bench (bench serve on its port, no nginx): socket.io listens on its own port.
			socket_url = f"{parsed.scheme}://{parsed.hostname}:{int(conf.get('socketio_port') or 9000)}"
	else:
		# No public address configured: this bench itself, which the sidecar names by X-Frappe-Site-Name.
		site_url = f"http://127.0.0.1:{int(conf.get('webserver_port') or 8000)}"
		socket_url = f"http://127.0.0.1:{int(conf.get('socketio_port') or 9000)}"
	common = {
		"site_url": site_url,
		"site_name": config["site_name"],
		"sidecar": config["sidecar"],
		"api_key": config["api_key"],
		"socket_url": socket_url,
	}
	if not out:
		click.echo(json.dumps(site_config(**common), indent=2))
		click.echo(
			f"The API secret, shown once: set BSYNC_API_SECRET={config['api_secret']} where the sidecar runs "
			"(or use --out FILE to write it to a file beside the config).",
			err=True,
		)
		return
	out = os.path.abspath(out)
	secret_file = os.path.splitext(out)[0] + ".secret"
	fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
	with os.fdopen(fd, "w") as handle:
		handle.write(config["api_secret"] + "\n")
	with open(out, "w") as handle:
		json.dump(site_config(**common, secret_file=os.path.basename(secret_file)), handle, indent=2)
		handle.write("\n")
	click.echo(
		f"Wrote {out} and its secret {secret_file} (mode 600). Run: node biometric-sidecar.mjs run --config {out}"
	)


def _write_development_files(config: dict) -> None:
	"""Config + secret (mode 600) under config/biometric_sidecar/, and a Procfile line for `bench start`."""
	import os

	import frappe

	from biometric_sync.sidecar_files import (
		CONFIG_DIR,
		procfile_line,
		sidecar_config,
		slug,
		with_procfile_line,
	)

	bench = os.path.abspath(frappe.utils.get_bench_path())
	conf = frappe.get_conf(config["site_name"])
	sidecar = sidecar_config(
		bench_path=bench,
		webserver_port=int(conf.get("webserver_port") or 8000),
		site_name=config["site_name"],
		socketio_port=int(conf.get("socketio_port") or 9000),
		sidecar=config["sidecar"],
		api_key=config["api_key"],
	)
	directory = os.path.join(bench, CONFIG_DIR)
	os.makedirs(directory, exist_ok=True)
	name = slug(config["sidecar"])
	secret_file = sidecar["site"]["apiSecretFile"]
	fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
	with os.fdopen(fd, "w") as handle:
		handle.write(config["api_secret"] + "\n")
	with open(os.path.join(directory, f"{name}.json"), "w") as handle:
		json.dump(sidecar, handle, indent=2)
	procfile = os.path.join(bench, "Procfile")
	current = open(procfile).read() if os.path.exists(procfile) else ""
	with open(procfile, "w") as handle:
		handle.write(with_procfile_line(current, procfile_line(config["sidecar"])))
	click.echo(
		f"Wrote {CONFIG_DIR}/{name}.json and its secret, and added the sidecar to the Procfile: `bench start` runs it."
	)


commands = [biometric_sync]
