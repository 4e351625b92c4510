import type { IncomingMessage, ServerResponse } from "node:http";
import { type ConnectionQuirk, LoopbackHttpServer } from "../shared/loopbackHttpServer.js";

/**
 * eTimeTrackLite's Web API (`/iclock/WebAPIService.asmx`, GetTransactionsLog) and eBioServer's
 * (`/iclock/webservice.asmx`, GetDeviceLogs) on loopback, as ASMX SOAP 1.1 services (device-protocols.md §5).
 * An installation accepts certain parameter names and date formats (its "dialect"); a format it reads the
 * other way round (month-first) returns another day's records. Errors come back as HTTP 200 text
 * ("Unathorised User", sic), faults as HTTP 500 with faultstring.
 */

export interface EsslRecord {
  /** eTimeTrackLite: the device serial it came from. */
  readonly serialNumber?: string;
  /** eBioServer: the location. */
  readonly location?: string;
  readonly employeeCode: string;
  /** YYYY-MM-DD HH:MM:SS */
  readonly time: string;
  readonly direction?: "in" | "out" | "";
}

export type DatePattern = "yyyy-MM-dd" | "yyyy/MM/dd" | "dd-MM-yyyy" | "dd/MM/yyyy";

export interface AcceptedDialect {
  readonly fromName: "FromDateTime" | "FromDate";
  readonly pattern: DatePattern;
  /** The server reads day-first text month-first (an en-US server): 05-03-2026 becomes 3 May. */
  readonly monthFirst?: boolean;
}

export type EsslFault =
  | { readonly kind: "hang"; readonly times?: number }
  | { readonly kind: "soapFault"; readonly text?: string; readonly times?: number }
  /** A body cut in the middle. */
  | { readonly kind: "malformed"; readonly times?: number }
  /** "Logs Count:N" with fewer lines than N. */
  | { readonly kind: "truncated"; readonly times?: number };

export interface EsslSimulatorOptions {
  /** How the web server treats connections (default polite; see ConnectionQuirk). */
  readonly connection?: ConnectionQuirk;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  readonly userName: string;
  readonly password: string;
  readonly records: readonly EsslRecord[];
  /** Default: FromDateTime with yyyy-MM-dd (the live WSDL). */
  readonly accepts?: readonly AcceptedDialect[];
  /** What a request in a dialect the server does not accept gets: a SOAP fault (default) or "Logs Count:0". */
  readonly unknownDialect?: "fault" | "empty";
  /** Where the records go: strDataList (default) or, like some builds, the result element. */
  readonly dataIn?: "strDataList" | "result";
  /** CRLF (default) or LF between records. */
  readonly lineEnding?: "\r\n" | "\n";
  /** Escape every employee code's characters as numeric references (entities the client must decode). */
  readonly numericEntities?: boolean;
  /** Windows wider than this hang (wide windows time out on real servers). */
  readonly maxWindowHours?: number;
  /** eBioServer answer shape. Default csv: `code,YYYY-MM-DD HH:MM:SS,in`. */
  readonly deviceLogsFormat?: "csv" | "tab" | "json";
  readonly faults?: readonly EsslFault[];
}

export interface EsslStats {
  calls: number;
  /** Every GetTransactionsLog call: the parameter names and values it carried (no password). */
  transactionCalls: { from: string | null; to: string | null; names: string; serial: string }[];
  deviceLogCalls: { location: string; date: string }[];
  authFailures: number;
}

const PATTERNS: Record<DatePattern, RegExp> = {
  "yyyy-MM-dd": /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/,
  "yyyy/MM/dd": /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/,
  "dd-MM-yyyy": /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})$/,
  "dd/MM/yyyy": /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/,
};

function decode(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

function escape(text: string, numeric: boolean): string {
  if (numeric)
    return [...text].map((c) => (/[A-Za-z0-9 :\t\r\n-]/.test(c) ? c : `&#${c.codePointAt(0)};`)).join("");
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function field(body: string, name: string): string | null {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>|<${name}\\s*/>`).exec(body);
  return m ? decode(m[1] ?? "") : null;
}

function envelope(inner: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>' +
    inner +
    "</soap:Body></soap:Envelope>"
  );
}

function fault(text: string): string {
  return envelope(
    `<soap:Fault><faultcode>soap:Server</faultcode><faultstring>${text}</faultstring><detail /></soap:Fault>`,
  );
}

export class EsslSimulator {
  private readonly http: LoopbackHttpServer;
  private armed: { fault: EsslFault; remaining: number }[];
  private records: EsslRecord[];
  readonly stats: EsslStats = { calls: 0, transactionCalls: [], deviceLogCalls: [], authFailures: 0 };

  constructor(private readonly options: EsslSimulatorOptions) {
    this.http = new LoopbackHttpServer((req, res) => void this.handle(req, res), {
      host: options.host,
      port: options.port,
      connection: options.connection,
    });
    this.records = [...options.records];
    this.armed = (options.faults ?? []).map((fault) => ({ fault, remaining: fault.times ?? 1 }));
  }

  start(): Promise<{ host: string; port: number }> {
    return this.http.start();
  }

  get address(): { host: string; port: number } {
    return this.http.address;
  }

  get url(): string {
    return `http://${this.address.host}:${this.address.port}`;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** TCP connections the device accepted. */
  get connections(): number {
    return this.http.connections;
  }

  addFault(fault: EsslFault): void {
    this.armed.push({ fault, remaining: fault.times ?? 1 });
  }

  /** Records reach the server late (a terminal uploads its backlog). */
  add(...records: EsslRecord[]): void {
    this.records.push(...records);
  }

  private take(kind: EsslFault["kind"]): EsslFault | undefined {
    const a = this.armed.find((x) => x.fault.kind === kind && x.remaining > 0);
    if (!a) return undefined;
    a.remaining--;
    return a.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    this.stats.calls++;
    const path = new URL(req.url ?? "/", "http://x").pathname.toLowerCase();
    if (this.take("hang")) return;
    if (this.take("soapFault"))
      return this.send(res, 500, fault("Server was unable to process request. ---&gt; Timeout expired."));
    if (req.method !== "POST") return this.send(res, 405, "Method not allowed", "text/plain");
    if (path === "/iclock/webapiservice.asmx") return this.transactions(req, res, body);
    if (path === "/iclock/webservice.asmx") return this.deviceLogs(req, res, body);
    return this.send(res, 404, "<html><body>The resource cannot be found.</body></html>", "text/html");
  }

  private parseDate(text: string, dialect: AcceptedDialect): number | null {
    const m = PATTERNS[dialect.pattern].exec(text.trim());
    if (!m) return null;
    const n = m.slice(1).map(Number);
    const [year, first, second] = dialect.pattern.startsWith("yyyy")
      ? [n[0]!, n[1]!, n[2]!]
      : [n[2]!, n[1]!, n[0]!];
    const swap = dialect.monthFirst === true && !dialect.pattern.startsWith("yyyy");
    const month = swap ? second : first;
    const day = swap ? first : second;
    const ms = Date.UTC(year, month - 1, day, n[3], n[4], n[5]);
    const d = new Date(ms);
    return d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? ms : null;
  }

  private transactions(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (req.headers.soapaction !== '"http://tempuri.org/GetTransactionsLog"')
      return this.send(res, 500, fault("Server did not recognize the value of HTTP Header SOAPAction"));
    const serial = field(body, "SerialNumber") ?? "";
    const names = ["FromDateTime", "FromDate"].filter((n) => field(body, n) !== null).join(",");
    const fromText = field(body, "FromDateTime") ?? field(body, "FromDate");
    const toText = field(body, "ToDateTime") ?? field(body, "ToDate");
    this.stats.transactionCalls.push({ from: fromText, to: toText, names, serial });
    if (
      field(body, "UserName") !== this.options.userName ||
      field(body, "UserPassword") !== this.options.password
    ) {
      this.stats.authFailures++;
      return this.result(res, "Unathorised User", "");
    }
    let range: [number, number] | null = null;
    for (const dialect of this.options.accepts ?? [{ fromName: "FromDateTime", pattern: "yyyy-MM-dd" }]) {
      const toName = dialect.fromName === "FromDateTime" ? "ToDateTime" : "ToDate";
      const from = field(body, dialect.fromName);
      const to = field(body, toName);
      if (from === null || to === null) continue;
      const a = this.parseDate(from, dialect);
      const b = this.parseDate(to, dialect);
      if (a !== null && b !== null) {
        range = [a, b];
        break;
      }
    }
    if (!range) {
      if (this.options.unknownDialect === "empty") return this.result(res, "Logs Count:0", "");
      return this.send(
        res,
        500,
        fault("Server was unable to process request. ---&gt; String was not recognized as a valid DateTime."),
      );
    }
    if (
      this.options.maxWindowHours !== undefined &&
      range[1] - range[0] > this.options.maxWindowHours * 3600_000
    )
      return;
    if (!this.records.some((r) => r.serialNumber === serial) && serial !== "EMPTY-DEVICE")
      return this.result(res, "Invalid Serial Number", "");
    const toMs = (t: string) => Date.parse(`${t.replace(" ", "T")}Z`);
    const lines = this.records
      .filter((r) => r.serialNumber === serial && toMs(r.time) >= range[0] && toMs(r.time) <= range[1])
      .map((r) => [r.employeeCode, r.time, ...(r.direction === undefined ? [] : [r.direction])].join("\t"));
    const declared = this.take("truncated") ? lines.length + 3 : lines.length;
    const data = escape(lines.join(this.options.lineEnding ?? "\r\n"), this.options.numericEntities ?? false);
    if (this.options.dataIn === "result") return this.result(res, `Logs Count:${declared}\r\n${data}`, "");
    return this.result(res, `Logs Count:${declared}`, data);
  }

  private result(res: ServerResponse, result: string, data: string): void {
    const text = envelope(
      `<GetTransactionsLogResponse xmlns="http://tempuri.org/"><GetTransactionsLogResult>${result}</GetTransactionsLogResult><strDataList>${data}</strDataList></GetTransactionsLogResponse>`,
    );
    if (this.take("malformed")) return this.send(res, 200, text.slice(0, Math.floor(text.length / 2)));
    this.send(res, 200, text);
  }

  private deviceLogs(req: IncomingMessage, res: ServerResponse, body: string): void {
    const location = field(body, "Location") ?? "";
    const logDate = field(body, "LogDate") ?? "";
    this.stats.deviceLogCalls.push({ location, date: logDate });
    const answer = (text: string): void =>
      this.send(
        res,
        200,
        envelope(
          `<GetDeviceLogsResponse xmlns="http://tempuri.org/"><GetDeviceLogsResult>${text}</GetDeviceLogsResult></GetDeviceLogsResponse>`,
        ),
      );
    if (
      field(body, "UserName") !== this.options.userName ||
      field(body, "Password") !== this.options.password
    ) {
      this.stats.authFailures++;
      return answer("Invalid User Name or Password");
    }
    if (!/^\d{4}\/\d{2}\/\d{2}$/.test(logDate)) return answer("Invalid Log Date");
    const date = logDate.replace(/\//g, "-");
    const records = this.records.filter((r) => r.location === location && r.time.startsWith(date));
    const format = this.options.deviceLogsFormat ?? "csv";
    if (format === "json") {
      return answer(
        escape(
          JSON.stringify(
            records.map((r) => ({
              EmployeeCode: r.employeeCode,
              LogDate: r.time,
              Direction: r.direction ?? "",
            })),
          ),
          false,
        ),
      );
    }
    const sep = format === "csv" ? "," : "\t";
    answer(
      escape(records.map((r) => [r.employeeCode, r.time, r.direction ?? ""].join(sep)).join("\r\n"), false),
    );
  }

  private send(res: ServerResponse, status: number, body: string, type = "text/xml; charset=utf-8"): void {
    res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  }
}
