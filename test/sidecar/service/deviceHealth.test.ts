import { describe, expect, it } from "vitest";
import {
  admsLiveState,
  admsReadThrough,
  deviceReachability,
  liveReport,
} from "../../../sidecar/src/service/deviceHealth.js";
import type { TerminalStatus } from "../../../sidecar/src/drivers/adms/terminalStatus.js";

const base = { lastPollOk: false, lastError: null, nowMs: 1_000_000, admsOfflineAfterMs: 60_000 };
const contact = (lastSeenMs: number) => ({ serialNumber: "SN", lastSeenMs }) as unknown as TerminalStatus;

describe("deviceReachability (what the heartbeat says of a device)", () => {
  it("says nothing of a pull device not read since the sidecar started (a restart must not mark it Offline)", () => {
    expect(deviceReachability(base)).toEqual({});
  });

  it("online after a good read; in error, with the code, after a failed one", () => {
    expect(deviceReachability({ ...base, lastPollOk: true })).toEqual({ online: true });
    expect(deviceReachability({ ...base, lastPollOk: true, lastError: "DEVICE_TIMEOUT" })).toEqual({
      online: false,
      error: "DEVICE_TIMEOUT",
    });
  });

  it("an ADMS terminal is online while it calls, offline once silent past the window, whatever pulls did", () => {
    const recent = contact(base.nowMs - 5_000);
    expect(deviceReachability({ ...base, lastError: "ADMS_DEVICE_OFFLINE", admsContact: recent })).toEqual({
      online: true,
    });
    expect(deviceReachability({ ...base, admsContact: contact(base.nowMs - 61_000) })).toEqual({
      online: false,
      error: "ADMS_DEVICE_OFFLINE",
    });
    expect(deviceReachability({ ...base, admsContact: contact(0) })).toEqual({});
  });

  it("reports the live channel: up or off alone; down with its coded error and since when", () => {
    const since = "2026-12-02T10:00:00.000Z";
    expect(liveReport({ state: "up", error: null, since })).toEqual({ live: "up" });
    expect(liveReport({ state: "off", error: null, since })).toEqual({ live: "off" });
    expect(liveReport({ state: "down", error: "DEVICE_CLOSED: gone", since })).toEqual({
      live: "down",
      live_error: "DEVICE_CLOSED: gone",
      live_since: since,
    });
  });

  it("an ADMS terminal's live channel is its pushing: up while it calls, down since its last call", () => {
    const input = { nowMs: base.nowMs, offlineAfterMs: 60_000, startedMs: 500_000 };
    expect(admsLiveState({ ...input, contact: contact(base.nowMs - 5_000) }).state).toBe("up");
    expect(admsLiveState({ ...input, contact: contact(base.nowMs - 61_000) })).toEqual({
      state: "down",
      error: "ADMS_DEVICE_OFFLINE: the terminal has not called for 61 s",
      since: new Date(base.nowMs - 61_000).toISOString(),
    });
    expect(admsLiveState({ ...input, contact: undefined })).toMatchObject({
      state: "down",
      error: expect.stringMatching(/^ADMS_DEVICE_OFFLINE: /),
      since: new Date(500_000).toISOString(),
    });
  });
});

describe("admsReadThrough (how far a push terminal is read)", () => {
  it("is the terminal's wall clock one poll interval before its last contact; nothing before it called", () => {
    const at = Date.UTC(2026, 11, 2, 14, 0, 0);
    expect(admsReadThrough(contact(at), 30_000, "Asia/Kolkata")).toBe("2026-12-02 19:29:30");
    expect(admsReadThrough(contact(at), 0, "UTC")).toBe("2026-12-02 14:00:00");
    expect(admsReadThrough(contact(0), 30_000, "Asia/Kolkata")).toBeNull();
    expect(admsReadThrough(undefined, 30_000, "Asia/Kolkata")).toBeNull();
  });
});
