import type { EsslRecord } from "./esslSimulator.js";

/**
 * `count` punches of one device (eTimeTrackLite) or location (eBioServer), every 37 minutes from `startUtcMs`
 * (written as naive times), crossing day boundaries; codes with leading zeros and an alphanumeric one; in, out
 * and no direction in turn.
 */
export function esslRecords(
  count: number,
  where: { readonly serialNumber?: string; readonly location?: string } = { serialNumber: "BRM9222360384" },
  startUtcMs = Date.UTC(2026, 2, 2, 0, 5),
): EsslRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    ...where,
    employeeCode: i % 5 === 0 ? "CBC-107" : String(i % 13).padStart(3, "0"),
    time: new Date(startUtcMs + i * 37 * 60_000).toISOString().slice(0, 19).replace("T", " "),
    direction: (["in", "out", ""] as const)[i % 3]!,
  }));
}
