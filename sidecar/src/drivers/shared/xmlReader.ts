import { type ErrorCode, ProtocolError } from "../../errors.js";

/**
 * A small, tolerant XML reader for the few fields we need from SOAP (eSSL) and ISAPI (Hikvision) answers. It
 * builds a tree of elements by local name (namespace prefixes dropped), decodes the five entities and numeric
 * character references, keeps CDATA as text, and skips comments, processing instructions and DOCTYPE. It
 * validates no schema and resolves no external entity (nothing is fetched, nothing expands). Every scan
 * moves forward, so any input ends in time linear in its length; malformed input throws a ProtocolError with
 * the caller's code.
 */
export interface XmlElement {
  /** Local name: `soap:Body` → `Body`. */
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: (XmlElement | string)[];
}

const MAX_DEPTH = 256;
const NAME = /^[A-Za-z_][\w.:-]*/;

export function parseXml(text: string, code: ErrorCode): XmlElement {
  const fail = (why: string, at: number): never => {
    throw new ProtocolError(code, `malformed XML: ${why} at offset ${at}`);
  };
  const root: XmlElement = { name: "#document", attributes: {}, children: [] };
  const stack: { element: XmlElement; qualified: string }[] = [{ element: root, qualified: "#document" }];
  let i = 0;
  const top = (): XmlElement => stack[stack.length - 1]!.element;
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const textEnd = lt < 0 ? text.length : lt;
    if (textEnd > i) {
      const chunk = text.slice(i, textEnd);
      if (stack.length > 1) top().children.push(decodeEntities(chunk));
      else if (chunk.trim() !== "") fail("text outside the root element", i);
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end < 0) fail("unterminated comment", i);
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i + 9);
      if (end < 0) fail("unterminated CDATA", i);
      if (stack.length <= 1) fail("CDATA outside the root element", i);
      top().children.push(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i + 2);
      if (end < 0) fail("unterminated processing instruction", i);
      i = end + 2;
    } else if (text.startsWith("<!", i)) {
      // DOCTYPE and friends: skipped whole (an internal subset's brackets included), never interpreted.
      const bracket = text.indexOf("[", i);
      const close = text.indexOf(">", i);
      if (close < 0) fail("unterminated declaration", i);
      if (bracket >= 0 && bracket < close) {
        const end = text.indexOf("]>", bracket);
        if (end < 0) fail("unterminated DOCTYPE subset", i);
        i = end + 2;
      } else {
        i = close + 1;
      }
    } else if (text.startsWith("</", i)) {
      const close = text.indexOf(">", i);
      if (close < 0) fail("unterminated end tag", i);
      const qualified = text.slice(i + 2, close).trim();
      const open = stack[stack.length - 1]!;
      if (stack.length <= 1 || open.qualified !== qualified)
        fail(`end tag </${qualified.slice(0, 40)}> does not match <${open.qualified.slice(0, 40)}>`, i);
      stack.pop();
      i = close + 1;
    } else {
      const close = findTagEnd(text, i + 1);
      if (close < 0) fail("unterminated start tag", i);
      const inner = text.slice(i + 1, close);
      const selfClosing = inner.endsWith("/");
      const body = selfClosing ? inner.slice(0, -1) : inner;
      const qualified = NAME.exec(body)?.[0];
      if (!qualified) fail("start tag without a name", i);
      const element: XmlElement = {
        name: localName(qualified!),
        attributes: parseAttributes(body.slice(qualified!.length), code),
        children: [],
      };
      if (stack.length === 1 && root.children.some((c) => typeof c !== "string"))
        fail("second root element", i);
      top().children.push(element);
      if (!selfClosing) {
        if (stack.length > MAX_DEPTH) fail("elements nested too deeply", i);
        stack.push({ element, qualified: qualified! });
      }
      i = close + 1;
    }
  }
  if (stack.length > 1)
    fail(`<${stack[stack.length - 1]!.qualified.slice(0, 40)}> is never closed`, text.length);
  if (!root.children.some((c) => typeof c !== "string")) fail("no root element", 0);
  return root;
}

/** The `>` ending a start tag, skipping quoted attribute values (which may hold `>`). */
function findTagEnd(text: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ">") {
      return i;
    } else if (c === "<") {
      return -1;
    }
  }
  return -1;
}

const ATTRIBUTE = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

function parseAttributes(text: string, code: ErrorCode): Record<string, string> {
  const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    ATTRIBUTE.lastIndex = i;
    const m = ATTRIBUTE.exec(text);
    if (!m) throw new ProtocolError(code, `malformed XML attribute near "${text.slice(i, i + 30)}"`);
    attributes[localName(m[1]!)] = decodeEntities(m[3] ?? m[4] ?? "");
    i = ATTRIBUTE.lastIndex;
  }
  return attributes;
}

function localName(qualified: string): string {
  const colon = qualified.lastIndexOf(":");
  return colon < 0 ? qualified : qualified.slice(colon + 1);
}

const NAMED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric references; anything else is kept as written. */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9A-Fa-f]{1,6}|#\d{1,7}|[A-Za-z]{2,4});/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : whole;
    }
    return NAMED[ref] ?? whole;
  });
}

/** Escapes text for an element body or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) =>
    c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : c === '"' ? "&quot;" : "&apos;",
  );
}

/** Every element named `name` (local name, case-sensitive) under `root`, in document order. */
export function findElements(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (element: XmlElement): void => {
    for (const child of element.children) {
      if (typeof child === "string") continue;
      if (child.name === name) found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

export function findElement(root: XmlElement, name: string): XmlElement | null {
  return findElements(root, name)[0] ?? null;
}

/** The text of an element and its descendants, concatenated. */
export function textOf(element: XmlElement): string {
  let out = "";
  for (const child of element.children) out += typeof child === "string" ? child : textOf(child);
  return out;
}

/** Text of the first element named `name`, or null when there is none. */
export function elementText(root: XmlElement, name: string): string | null {
  const element = findElement(root, name);
  return element ? textOf(element) : null;
}
