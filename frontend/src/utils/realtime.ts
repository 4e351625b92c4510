/**
 * Realtime is id-only (design.md): the site publishes `biometric_sync:progress` {command, device} and
 * `biometric_sync:refresh` {device} to the documents' rooms, and the page re-reads over REST whatever shows
 * those documents. A topic names what changed; views reload when one of their topics is hit.
 */

export const PROGRESS_EVENT = "biometric_sync:progress";
export const REFRESH_EVENT = "biometric_sync:refresh";

export type Topic = string;

export const topic = {
  /** Everything (after a reconnect: events may have been missed). */
  all: "*",
  overview: "overview",
  devices: "devices",
  device: (name: string): Topic => `device:${name}`,
  command: (name: string): Topic => `command:${name}`,
  punches: "punches",
  unmapped: "unmapped",
  logs: "logs",
  sidecars: "sidecars",
};

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** What an event changes. Unknown or malformed payloads change nothing. */
export function topicsFor(event: string, payload: unknown): Topic[] {
  const p = (payload && typeof payload === "object" ? payload : {}) as Record<string, unknown>;
  const device = text(p.device);
  const command = text(p.command);
  if (event === PROGRESS_EVENT) {
    if (!command && !device) return [];
    return [
      ...(command ? [topic.command(command)] : []),
      ...(device ? [topic.device(device)] : []),
      topic.devices,
      topic.overview,
      topic.logs,
    ];
  }
  if (event === REFRESH_EVENT) {
    if (!device) return [];
    return [topic.device(device), topic.devices, topic.overview, topic.punches, topic.unmapped, topic.logs];
  }
  return [];
}

export function touches(wanted: readonly Topic[], hit: readonly Topic[]): boolean {
  return hit.includes(topic.all) || hit.some((t) => wanted.includes(t));
}

/**
 * Frappe's socket.io URL for a page at `location`: in development the page has a port and socket.io listens on
 * socketio_port of the same host; behind nginx (no port) it is the page's own origin. Namespace = site name.
 */
export function socketUrl(
  location: { protocol: string; hostname: string; port: string; origin: string },
  socketioPort: number | string | null | undefined,
  siteName: string,
): string {
  const base = location.port
    ? `${location.protocol}//${location.hostname}:${socketioPort || 9000}`
    : location.origin;
  return `${base}/${siteName}`;
}
