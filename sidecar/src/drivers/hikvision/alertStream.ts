import { DeviceError, type SidecarError, toSidecarError } from "../../errors.js";
import { isapiHttpError } from "./acsEvent.js";
import { type AlertPart, parseAlertPart } from "./alertEvent.js";
import type { DigestClient } from "./digestClient.js";
import { boundaryFromContentType, MultipartReader } from "./multipartReader.js";

export const ALERT_STREAM_PATH = "/ISAPI/Event/notification/alertStream";
/** What Hikvision firmware names its boundary; used when a device leaves it out of the Content-Type. */
const DEFAULT_BOUNDARY = "MIME_boundary";

export interface AlertStreamOptions {
  readonly client: DigestClient;
  readonly signal: AbortSignal;
  /** No byte (event or heartbeat) for this long: the link is dead though the socket looks open. */
  readonly idleTimeoutMs: number;
  /** The device answered 200 with its stream. */
  readonly onReady?: () => void;
  /** Each readable part, in order; the stream waits while it runs. A rejection ends the stream with it. */
  readonly onPart: (part: Exclude<AlertPart, { kind: "bad" }>) => Promise<void>;
  /** Bytes or parts that could not be read; skipped. */
  readonly onGarbage: (error: SidecarError) => void;
}

/**
 * Holds `GET /ISAPI/Event/notification/alertStream` open (the sidecar connects out; Digest auth as for every
 * ISAPI call) and hands each part on. Resolves when `signal` aborts; rejects with DEVICE_CLOSED when the device
 * ends or drops the stream, DEVICE_TIMEOUT when it goes silent, or a coded refusal.
 */
export async function readAlertStream(options: AlertStreamOptions): Promise<void> {
  const { signal } = options;
  const stream = await options.client.stream({ path: ALERT_STREAM_PATH, signal });
  if (stream.status !== 200) {
    const body = (await stream.readAll(64 * 1024)).toString("utf8");
    throw isapiHttpError("the event stream (alertStream)", stream.status, body);
  }
  const boundary = boundaryFromContentType(stream.headers["content-type"]) ?? DEFAULT_BOUNDARY;
  const reader = new MultipartReader(boundary);
  options.onReady?.();
  await new Promise<void>((resolve, reject) => {
    let done = false;
    let chain = Promise.resolve();
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      signal.removeEventListener("abort", onAbort);
      stream.close();
      // Parts already read are handed on before the stream's end is reported.
      void chain.then(() => (error ? reject(error) : resolve()));
    };
    const onIdle = (): void =>
      finish(
        new DeviceError(
          "DEVICE_TIMEOUT",
          `the event stream sent nothing (not even a heartbeat) for ${options.idleTimeoutMs} ms`,
        ),
      );
    let idle = setTimeout(onIdle, options.idleTimeoutMs);
    const onAbort = (): void => finish(null);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) return finish(null);
    stream.body.on("data", (chunk: Buffer) => {
      clearTimeout(idle);
      idle = setTimeout(onIdle, options.idleTimeoutMs);
      stream.body.pause();
      chain = chain
        .then(async () => {
          for (const item of reader.push(chunk)) {
            if (item.kind === "garbage") {
              options.onGarbage(item.error);
              continue;
            }
            const part = parseAlertPart(item.part);
            if (part.kind === "bad") options.onGarbage(part.error);
            else await options.onPart(part);
          }
        })
        .then(
          () => void (done || stream.body.resume()),
          (error: unknown) => finish(toSidecarError(error)),
        );
    });
    stream.body.on("end", () =>
      finish(new DeviceError("DEVICE_CLOSED", "the device ended the event stream")),
    );
    stream.body.on("error", (error: Error) =>
      finish(new DeviceError("DEVICE_CLOSED", "the event stream's connection dropped", { cause: error })),
    );
    stream.body.on("close", () =>
      finish(new DeviceError("DEVICE_CLOSED", "the event stream's connection closed")),
    );
  });
}
