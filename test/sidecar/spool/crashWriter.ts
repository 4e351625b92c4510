/**
 * Child process for the kill -9 tests (spool.crash.test.ts): writes to a spool or state store as fast as
 * it can and prints a line for every call that resolved, so the parent knows what was promised durable
 * when it kills this process at a random instant.
 *
 *   node --import tsx crashWriter.ts spool <dir> <round>   prints "W <first seq> <count> <first index>"
 *                                                          once an append resolved, "a <seq>,..." before
 *                                                          an ack and "A <seq>,..." once it resolved
 *   node --import tsx crashWriter.ts state <dir>           prints "S <n>" once set("cursor", {n}) resolved
 * stdout to a pipe is synchronous on Linux, so a printed line is in the pipe before the next step.
 */
import { Spool } from "../../../sidecar/src/spool/spool.js";
import { StateStore } from "../../../sidecar/src/spool/stateStore.js";
import { testPunches } from "./spoolTestKit.js";

const [mode, dir, roundText] = process.argv.slice(2);
const say = (line: string): void => void process.stdout.write(`${line}\n`);

async function runSpool(spoolDir: string, round: string): Promise<void> {
  const spool = await Spool.open(spoolDir, { segmentMaxBytes: 16 * 1024, ackLogMaxBytes: 2048 });
  say("ready");
  // Replay what earlier rounds left and ack nearly all of it (a few stay, as rejected punches would), so
  // segments get deleted and the ack log rewritten while we may be killed.
  const replayed: number[] = [];
  for await (const entry of spool.pending()) if (entry.seq % 97 !== 0) replayed.push(entry.seq);
  for (let i = 0; i < replayed.length; i += 200) {
    const seqs = replayed.slice(i, i + 200);
    say(`a ${seqs.join(",")}`);
    await spool.ack(seqs);
    say(`A ${seqs.join(",")}`);
  }
  let nextIndex = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const count = 1 + Math.floor(Math.random() * 40);
      const firstIndex = nextIndex;
      nextIndex += count;
      const seqs = await spool.append(testPunches(firstIndex, count, `R${round}`));
      say(`W ${seqs[0]!} ${count} ${firstIndex}`);
      if (Math.random() < 0.5) {
        const acked = seqs.filter(() => Math.random() < 0.6);
        if (acked.length > 0) {
          say(`a ${acked.join(",")}`);
          await spool.ack(acked);
          say(`A ${acked.join(",")}`);
        }
      }
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

async function runState(stateDir: string): Promise<void> {
  const store = await StateStore.open(stateDir);
  say("ready");
  for (let n = 1; ; n++) {
    await Promise.all([
      store.set("cursor", { n, note: "x".repeat(n % 300) }),
      store.set(`device-${n % 7}`, n),
    ]);
    say(`S ${n}`);
  }
}

if (mode === "spool") await runSpool(dir!, roundText!);
else await runState(dir!);
