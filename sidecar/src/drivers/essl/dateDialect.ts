import { type NaiveDateTime, naiveParts } from "../../domain/naiveTime.js";

/**
 * eTimeTrackLite installations differ in what GetTransactionsLog wants (device-protocols.md §5.1): parameter
 * names `FromDateTime`/`ToDateTime` (the live WSDL) or `FromDate`/`ToDate` (the vendor manual), and the date
 * format. The driver probes these in order and keeps the first that provably works.
 */
export type DateFormat =
  "yyyy-MM-dd HH:mm:ss" | "yyyy/MM/dd HH:mm:ss" | "dd-MM-yyyy HH:mm:ss" | "dd/MM/yyyy HH:mm:ss";

export interface Dialect {
  readonly fromName: "FromDateTime" | "FromDate";
  readonly toName: "ToDateTime" | "ToDate";
  readonly format: DateFormat;
}

const FORMATS: readonly DateFormat[] = [
  "yyyy-MM-dd HH:mm:ss",
  "yyyy/MM/dd HH:mm:ss",
  "dd-MM-yyyy HH:mm:ss",
  "dd/MM/yyyy HH:mm:ss",
];

/** Probe order: the WSDL's names and ISO-like dates first, day-first formats last (they are ambiguous). */
export const DIALECTS: readonly Dialect[] = FORMATS.flatMap((format) => [
  { fromName: "FromDateTime", toName: "ToDateTime", format } as const,
  { fromName: "FromDate", toName: "ToDate", format } as const,
]);

export function dialectKey(dialect: Dialect): string {
  return `${dialect.fromName}|${dialect.format}`;
}

export function dialectFromKey(key: unknown): Dialect | null {
  return typeof key === "string" ? (DIALECTS.find((d) => dialectKey(d) === key) ?? null) : null;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

export function formatForDialect(value: NaiveDateTime, format: DateFormat): string {
  const p = naiveParts(value);
  const time = `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  switch (format) {
    case "yyyy-MM-dd HH:mm:ss":
      return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${time}`;
    case "yyyy/MM/dd HH:mm:ss":
      return `${pad(p.year, 4)}/${pad(p.month)}/${pad(p.day)} ${time}`;
    case "dd-MM-yyyy HH:mm:ss":
      return `${pad(p.day)}-${pad(p.month)}-${pad(p.year, 4)} ${time}`;
    case "dd/MM/yyyy HH:mm:ss":
      return `${pad(p.day)}/${pad(p.month)}/${pad(p.year, 4)} ${time}`;
  }
}
