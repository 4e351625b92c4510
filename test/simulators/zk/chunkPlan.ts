/**
 * How one chunk of a bulk read (PREPARE_DATA, DATA, ACK_OK, all with the DATA_RDY's reply id) is cut into
 * writes. Real firmware differs here, and clients break on the differences (device-protocols.md §1.13).
 */

/** TCP pacing: each packet its own write; PREPARE alone then DATA + ACK together; or all three in one. */
export type Timing = "split-all" | "split-node" | "coalesced";

export type Action =
  | { readonly kind: "write"; readonly bytes: Buffer }
  | { readonly kind: "pause"; readonly ms: number }
  | { readonly kind: "destroy"; readonly reset: boolean }
  /** Stop answering this client at all (a stalled firmware task); the connection stays open. */
  | { readonly kind: "hang" };

export interface TcpChunk {
  /** Framed PREPARE_DATA, DATA and ACK_OK packets. */
  readonly prepare: Buffer;
  readonly data: Buffer;
  readonly ack: Buffer;
}

const write = (bytes: Buffer): Action => ({ kind: "write", bytes });

/**
 * TCP writes for a chunk. `gapMs` gives the pause between separate writes; the trailing pause keeps the next
 * chunk's PREPARE out of the reader's current 'data' event. With `dropAfter`, the connection dies after that
 * many bytes of the DATA packet.
 */
export function tcpChunkPlan(
  chunk: TcpChunk,
  timing: Timing,
  gapMs: () => number,
  dropAfter?: number,
): Action[] {
  const gap = (): Action => ({ kind: "pause", ms: gapMs() });
  const { prepare, data, ack } = chunk;
  if (dropAfter !== undefined) {
    const partial = data.subarray(0, Math.min(Math.max(1, dropAfter), data.length - 1));
    const writes =
      timing === "coalesced"
        ? [write(Buffer.concat([prepare, partial]))]
        : [write(prepare), gap(), write(partial)];
    return [...writes, { kind: "destroy", reset: false }];
  }
  switch (timing) {
    case "coalesced":
      return [write(Buffer.concat([prepare, data, ack]))];
    case "split-node":
      return [write(prepare), gap(), write(Buffer.concat([data, ack])), gap()];
    case "split-all":
      return [write(prepare), gap(), write(data), gap(), write(ack), gap()];
  }
}

/**
 * UDP: PREPARE_DATA, the CMD_DATA datagrams (each at most 1024 data bytes), ACK_OK. A dropped transfer just
 * stops halfway: no ACK, the client times out.
 */
export function udpChunkPlan(
  prepare: Buffer,
  datagrams: readonly Buffer[],
  ack: Buffer,
  drop: boolean,
): Action[] {
  const sent = drop ? datagrams.slice(0, Math.floor(datagrams.length / 2)) : datagrams;
  return [write(prepare), ...sent.map(write), ...(drop ? [] : [write(ack)])];
}
