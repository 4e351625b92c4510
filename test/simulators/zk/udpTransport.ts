import dgram from "node:dgram";
import { ActionRunner } from "./actionRunner.js";
import type { ScenarioPunch } from "./scenario.js";
import { ZkSession } from "./session.js";
import type { SessionContext } from "./session.js";

interface UdpPeer {
  readonly session: ZkSession;
  readonly runner: ActionRunner;
}

/** The device's UDP endpoint: one datagram, one packet; a "connection" is the peer's address and port. */
export class UdpTransport {
  private readonly socket = dgram.createSocket("udp4");
  private readonly peers = new Map<string, UdpPeer>();

  constructor(private readonly ctx: SessionContext) {
    this.socket.on("message", (msg, rinfo) => this.receive(msg, rinfo));
    this.socket.on("error", () => undefined);
  }

  bind(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.socket.once("error", reject);
      this.socket.bind(port, host, () => {
        this.socket.off("error", reject);
        resolve(this.socket.address().port);
      });
    });
  }

  broadcastEvent(p: ScenarioPunch): void {
    for (const peer of this.peers.values()) {
      if (peer.session.wantsAttendanceEvents) peer.runner.enqueue(() => peer.session.liveEvent(p));
    }
  }

  eventSubscribers(): number {
    return [...this.peers.values()].filter((p) => p.session.wantsAttendanceEvents).length;
  }

  close(): Promise<void> {
    for (const peer of this.peers.values()) peer.runner.stop();
    this.peers.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let peer = this.peers.get(key);
    if (peer === undefined) {
      if (this.ctx.faults.take("refuse")) return;
      this.ctx.stats.udpPeers += 1;
      const session = new ZkSession(this.ctx, "udp");
      const runner = new ActionRunner({
        write: (bytes) =>
          new Promise<void>((resolve, reject) =>
            this.socket.send(bytes, rinfo.port, rinfo.address, (err) => (err ? reject(err) : resolve())),
          ),
        // UDP has no connection to drop: forget the peer.
        destroy: () => this.peers.delete(key),
      });
      peer = { session, runner };
      this.peers.set(key, peer);
    }
    const { session } = peer;
    peer.runner.enqueue(() => session.handle(msg));
  }
}
