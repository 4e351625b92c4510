import { reactive } from "vue";

/**
 * Boot data: www/biometric.py's `boot`, written into the page as window[key] by frappe-ui's jinjaBootData.
 * Under the vite dev server there is no Jinja: the page asks get_context_for_dev (developer mode only).
 */
export interface Boot {
  csrf_token: string;
  site_name: string;
  socketio_port: number | null;
  user: string;
  user_fullname: string;
  roles: string[];
  can_manage: boolean;
  lookup_field: string;
  time_zone: string;
}

const KEYS: (keyof Boot)[] = [
  "csrf_token",
  "site_name",
  "socketio_port",
  "user",
  "user_fullname",
  "roles",
  "can_manage",
  "lookup_field",
  "time_zone",
];

function fromWindow(): Boot {
  const w = window as unknown as Record<string, unknown>;
  const text = (key: string): string => {
    const value = w[key];
    // An unrendered template (the raw index.html) is not boot data.
    return typeof value === "string" && !value.includes("{{") ? value : "";
  };
  return {
    csrf_token: text("csrf_token"),
    site_name: text("site_name"),
    socketio_port: typeof w.socketio_port === "number" ? w.socketio_port : Number(w.socketio_port) || null,
    user: text("user"),
    user_fullname: text("user_fullname"),
    roles: Array.isArray(w.roles) ? (w.roles as unknown[]).map(String) : [],
    can_manage: w.can_manage === true,
    lookup_field: text("lookup_field") || "attendance_device_id",
    time_zone: text("time_zone"),
  };
}

export const boot = reactive<Boot>(fromWindow());

export async function loadDevBoot(): Promise<void> {
  if (!import.meta.env.DEV || boot.site_name) return;
  const response = await fetch("/api/method/biometric_sync.www.biometric.get_context_for_dev", {
    method: "POST",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) return;
  const { message } = (await response.json()) as { message: Partial<Boot> };
  for (const key of KEYS) if (message[key] !== undefined) Object.assign(boot, { [key]: message[key] });
}
