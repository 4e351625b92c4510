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
                           adms://SERIAL_NUMBER[?id=NAME&tz=Area/City]   (a terminal that pushes to us)
                         [--since DATE] [--until DATE] [--out FILE.csv|FILE.json] [--dry-run]
                         [--employee-map FILE.csv [--site-tz Area/City]] [--spool DIR] [--timeout MS]
                         [--adms-port P] [--adms-host IP] [--wait SECONDS]
  biometric-sidecar pull --config sidecar.json [--out FILE] [...]
      Standalone mode: the enabled devices (and spool directory) of a config file, validated once with every
      problem listed: {"spoolDir": "spool", "devices": [{"name": "Main Gate", "driver": "zk",
      "url": "zk://192.168.1.201:4370?commkey=123456", "timeZone": "Asia/Kolkata"}]}
      Reads every punch from the device(s), keeps them in the durable spool, then writes the file.
      DATE is YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS" in the device's wall clock; both bounds are inclusive.
      With --employee-map (CSV: user_id,employee) the file has the columns ERPNext's Data Import expects
      for Employee Checkin; punches of unmapped user ids go to FILE.unmapped.csv. Each punch is written once,
      also when it was read twice or left in the spool by an interrupted run (written by the next pull).
      ADMS (iClock push) terminals: while the pull runs, a push server listens on --adms-host (default
      0.0.0.0) port --adms-port (default 8081); set the terminal's ADMS/cloud server to this computer and port.
      Each adms:// terminal has --wait seconds (default 120) from the start to call, else ADMS_DEVICE_OFFLINE;
      then it is asked to upload --since..--until again. Everything it uploads is in the spool before it is
      answered OK; what it pushes on its own outside the window goes to FILE.outside-window.csv. tz is the
      zone of its clock (sent to it; default: this computer's). Terminals not listed are refused and named.
      --dry-run cannot be used with adms:// devices (what a terminal is answered OK for must be kept).
  biometric-sidecar watch --device URL [--device URL ...] [--for SECONDS] [--out FILE.json]
                          [--adms-port P] [--adms-host IP] [--timeout MS]
      Prints each punch as it happens (time, user id, direction, device), for installers: punch now and see it.
      zk:// and hikvision:// through their live channel (ZK realtime events, Hikvision alertStream); adms://
      terminals push to a server on --adms-host/--adms-port (their ADMS server setting must point here).
      eSSL has no push: use pull. Runs until --for seconds pass or Ctrl-C, then exits 0 (1 if a device's
      channel never came up); --out writes every punch seen as a JSON array. Nothing is sent to a site.
  biometric-sidecar users list   --device URL [--out FILE.csv|FILE.json]
  biometric-sidecar users set    --device URL --user-id ID --name NAME [--card N]
  biometric-sidecar users delete --device URL --user-id ID [--punches-saved]
  biometric-sidecar users push   --device URL --file employees.csv [--dry-run]
      Device users without a site, on one device (zk://, hikvision://, adms:// with --adms-port, --adms-host
      and --wait as for pull: the terminal must call in). list prints user_id, name, card, privilege,
      fingerprint, face (empty: the device does not say). set creates or updates one user with normal
      privilege. push does the same for every row of a CSV with columns user_id,name[,card] and prints per user
      what it would do (--dry-run) or did: create, update, unchanged, or refused with a code; it never deletes.
      Ids are kept as written ("0111" is not "111"). An id or name the device cannot hold is refused
      (USER_ID_INVALID, USER_NAME_INVALID), never cut; admin users on the device are never changed or deleted
      (USER_IS_ADMIN). delete refuses while the user has punches on the device (USER_PUNCHES_UNCONFIRMED),
      since no site confirms them here: pull them first, then add --punches-saved. ZK terminals cannot disable
      a user, only delete. eSSL eTimeTrackLite/eBioServer web services do not manage users (DEVICE_UNSUPPORTED).
  biometric-sidecar simulate zk [--records N] [--port P] [--commkey K] [--format 40|16|8] [--tz Area/City]
      Runs a simulated ZKTeco terminal on 127.0.0.1 (TCP and UDP on the same port) until Ctrl-C.
  biometric-sidecar simulate hikvision|essl [--records N] [--port P] [--connection polite|closeSilently|dropIdle]
      Runs a simulated Hikvision ISAPI terminal or eTimeTrackLite web service on 127.0.0.1 until Ctrl-C.
      --connection: how its web server treats connections, as real ones do (hang up after every answer without
      a Connection header; keep them and drop them when idle). Default polite.
  biometric-sidecar simulate adms --server http://HOST:PORT [--sn SERIAL] [--records N] [--tz Area/City]
                                  [--key K]
      Runs a simulated ZKTeco terminal in ADMS push mode that pushes N punches (default 500, the last week's
      first) to a sidecar's push server until Ctrl-C, retrying every second while the server is not up;
      --key is sent as ?key= on every request. Prints the pull command that reads it.
  biometric-sidecar demo [--out DIR]
      Starts four simulated terminals with weeks of punches, pulls them through the spool and writes CSVs.
  biometric-sidecar --version | --help

Common options: --log-level debug|info|warn|error|silent (logs are JSON lines on stderr; default warn)
Exit codes: 0 done, 1 a device, file or user failed (the others still ran), 2 bad arguments or configuration.`;
