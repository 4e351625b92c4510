export const USAGE = `biometric-sidecar — brings attendance punches from biometric terminals to ERPNext

Usage:
  biometric-sidecar run --config sidecar.json
      The service: devices from the site, punches through the spool to the site in batches, commands from the
      site (socket.io nudges, claimed over REST), heartbeat. The config's "site" block names the site URL, site
      name, sidecar name and API key; the secret comes from apiSecretEnv or apiSecretFile.
  biometric-sidecar unit systemd|supervisor|procfile --config sidecar.json
      Prints a systemd unit, a supervisor program or a Procfile line that runs this file with that config.
  biometric-sidecar pull --device URL [--device URL ...]   where URL is one of
                           zk://HOST:PORT[?commkey=N&tz=Area/City&transport=udp&id=NAME]
                           hikvision://USER:PASSWORD@HOST[:PORT][?tz=Area/City&id=NAME&https=1]
                           essl://USER:PASSWORD@HOST[:PORT][/path]?serial=SN[&tz=Area/City&id=NAME]
                           ebioserver://USER:PASSWORD@HOST[:PORT][/path]?location=NAME[&tz=Area/City]
                         [--since DATE] [--until DATE] [--out FILE.csv|FILE.json] [--dry-run]
                         [--employee-map FILE.csv [--site-tz Area/City]] [--spool DIR] [--timeout MS]
  biometric-sidecar pull --config sidecar.json [--out FILE] [...]
      Standalone mode: the enabled devices (and spool directory) of a config file, validated once with every
      problem listed: {"spoolDir": "spool", "devices": [{"name": "Main Gate", "driver": "zk",
      "url": "zk://192.168.1.201:4370?commkey=123456", "timeZone": "Asia/Kolkata"}]}
      Reads every punch from the device(s), keeps them in the durable spool, then writes the file.
      DATE is YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS" in the device's wall clock; both bounds are inclusive.
      With --employee-map (CSV: user_id,employee) the file has the columns ERPNext's Data Import expects
      for Employee Checkin; punches of unmapped user ids go to FILE.unmapped.csv.
  biometric-sidecar simulate zk [--records N] [--port P] [--commkey K] [--format 40|16|8] [--tz Area/City]
      Runs a simulated ZKTeco terminal on 127.0.0.1 (TCP and UDP on the same port) until Ctrl-C.
  biometric-sidecar simulate hikvision|essl [--records N] [--port P]
      Runs a simulated Hikvision ISAPI terminal or eTimeTrackLite web service on 127.0.0.1 until Ctrl-C.
  biometric-sidecar demo [--out DIR]
      Starts four simulated terminals with weeks of punches, pulls them through the spool and writes CSVs.
  biometric-sidecar --version | --help

Common options: --log-level debug|info|warn|error|silent (logs are JSON lines on stderr; default warn)
Exit codes: 0 done, 1 a device or file failed (the others still ran), 2 bad arguments or configuration.`;
