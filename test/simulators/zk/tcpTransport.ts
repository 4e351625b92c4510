import net from "node:net";
import { TcpFramer } from "../../../sidecar/src/drivers/zk/protocol/tcpFramer.js";
import { ActionRunner } from "./actionRunner.js";
import type { ScenarioPunch } from "./scenario.js";
import { ZkSession } from "./session.js";
import type { SessionContext } from "./session.js";

interface TcpClient {
  readonly socket: net.Socket;
  readonly session: ZkSession;
  readonly runner: ActionRunner;
}

/** The device's TCP listener (port 4370 on a real terminal): length-framed packets, one runner per client. */
export class TcpTransport {
  private readonly server: net.Server;
  private readonly clients = new Set<TcpClient>();

  constructor(private readonly ctx: SessionContext) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  broadcastEvent(p: ScenarioPunch): void {
    for (const c of this.clients) {
      if (c.session.wantsAttendanceEvents) c.runner.enqueue(() => c.session.liveEvent(p));
    }
  }

  eventSubscribers(): number {
    return [...this.clients].filter((c) => c.session.wantsAttendanceEvents).length;
  }

  close(): Promise<void> {
    for (const c of this.clients) {
      c.runner.stop();
      c.socket.destroy();
    }
    this.clients.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const { stats, faults } = this.ctx;
    stats.connections += 1;
    // Never let a client's reset become an unhandled 'error' (pyzk's test_tcp probe connects and leaves).
    socket.on("error", () => undefined);
    if (faults.take("refuse")) {
      socket.destroy();
      return;
    }
    // A terminal serves about one client: a second concurrent connection is reset ("busy").
    if (this.ctx.sessionsFull() || faults.take("busy")) {
      stats.busyResets += 1;
      socket.resetAndDestroy();
      return;
    }
    // Nagle would merge the split-mode writes that the timing modes keep apart on purpose.
    socket.setNoDelay(true);
    const session = new ZkSession(this.ctx, "tcp");
    const runner = new ActionRunner({
      write: (bytes) =>
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed) return reject(new Error("socket closed"));
          socket.write(bytes, (err) => (err ? reject(err) : resolve()));
        }),
      destroy: (reset) => (reset ? socket.resetAndDestroy() : socket.destroy()),
    });
    const client: TcpClient = { socket, session, runner };
    this.clients.add(client);
    const framer = new TcpFramer();
    socket.on("data", (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = framer.push(chunk);
      } catch {
        // Not a ZK stream: a device drops such a peer.
        stats.badFrames += 1;
        runner.stop();
        socket.destroy();
        return;
      }
      for (const p of packets) runner.enqueue(() => session.handle(p));
    });
    socket.on("close", () => {
      runner.stop();
      session.closed();
      this.clients.delete(client);
    });
  }
}
