import flags from "../../service-node-flags.json" with { type: "json" };

/**
 * Node options every generated service definition (systemd, supervisor, Procfile) runs the sidecar with: caps on
 * the old and young generations, so a long-running service stays small (see service-node-flags.json for the
 * figures). The app's Python side writes the same flags into bench's Procfile from the same file.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = flags.flags;
