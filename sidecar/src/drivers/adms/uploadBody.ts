/**
 * What an upload to /iclock/cdata carries, whichever way the firmware sent it. Most firmware puts `table` and
 * `Stamp` in the query and the records as raw text in the body (with a misleading form Content-Type, so the
 * body is never form-decoded on the strength of the header). Some (eSSL F22) send
 * `table=ATTLOG&Stamp=9999&data=<url-encoded lines>` as a form body instead (device-protocols.md §3.2).
 */
export interface Upload {
  /** Upper-cased table name ("ATTLOG", "OPERLOG", …), or null when none was given. */
  readonly table: string | null;
  readonly stamp: string | null;
  readonly content: string;
}

const FORM_BODY = /^(?:[A-Za-z]+=[^&\t\r\n]*&)*(?:table|data)=/;

export function interpretUpload(query: URLSearchParams, body: string): Upload {
  const queryTable = query.get("table");
  if (queryTable !== null) {
    const stamp = query.get("Stamp") ?? query.get("stamp");
    // A form body under a query table: only when it is unmistakably one (starts with data= and has no tab).
    if (body.startsWith("data=") && !body.includes("\t")) {
      return { table: queryTable.toUpperCase(), stamp, content: decodeForm(body).get("data") ?? "" };
    }
    return { table: queryTable.toUpperCase(), stamp, content: body };
  }
  if (FORM_BODY.test(body) && !body.includes("\t")) {
    const form = decodeForm(body);
    const table = form.get("table");
    return {
      table: table === null ? null : table.toUpperCase(),
      stamp: form.get("Stamp") ?? form.get("stamp"),
      content: form.get("data") ?? "",
    };
  }
  return { table: null, stamp: query.get("Stamp") ?? query.get("stamp"), content: body };
}

function decodeForm(body: string): URLSearchParams {
  // URLSearchParams never throws on bad escapes: a stray "%" is kept literally.
  return new URLSearchParams(body);
}

/** A stamp worth storing: the decimal counters firmware sends (anything else is ignored, never echoed back). */
export function usableStamp(stamp: string | null): string | null {
  return stamp !== null && /^\d{1,20}$/.test(stamp) ? stamp : null;
}
