import { computed, onBeforeUnmount, ref } from "vue";
import { call } from "../api";
import { watchDoc } from "../live";
import { isFinished, progressPercent, type CommandState } from "../utils/commands";
import { topic } from "../utils/realtime";
import { useLive } from "./useLive";

export const POLL_MS = 5000;

/**
 * Follows one Biometric Command as the Desk form does: join its room, re-read command_status on every
 * biometric_sync:progress event for it, and poll slowly in case an event is lost. Stops when it finishes.
 */
export function useCommand(onFinished?: (state: CommandState) => void) {
  const name = ref<string | null>(null);
  const state = ref<CommandState | null>(null);
  const error = ref<unknown>(null);
  let timer: ReturnType<typeof setInterval> | undefined;
  let reading: Promise<void> | null = null;
  let again = false;

  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  async function readOnce(): Promise<void> {
    const command = name.value;
    if (!command) return;
    try {
      const next = await call<CommandState>("biometric_sync.api.desk.command_status", { command });
      if (name.value !== command) return;
      const wasFinished = isFinished(state.value?.status);
      state.value = next;
      error.value = null;
      if (isFinished(next.status)) {
        stop();
        if (!wasFinished) onFinished?.(next);
      }
    } catch (e) {
      error.value = e;
    }
  }

  /** Reads now; calls that arrive during a read coalesce into one more read. */
  function read(): Promise<void> {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        await readOnce();
      } while (again);
    })().finally(() => (reading = null));
    return reading;
  }

  function follow(command: string, initial?: Partial<CommandState>): void {
    stop();
    name.value = command;
    state.value = { name: command, command_type: "", status: "Queued", ...initial };
    error.value = null;
    watchDoc("Biometric Command", command);
    void read();
    timer = setInterval(() => void read(), POLL_MS);
  }

  function clear(): void {
    stop();
    name.value = null;
    state.value = null;
    error.value = null;
  }

  useLive(() => (name.value ? [topic.command(name.value)] : []), read);
  onBeforeUnmount(stop);

  return {
    name,
    state,
    error,
    follow,
    clear,
    percent: computed(() => (state.value ? progressPercent(state.value) : 0)),
    finished: computed(() => isFinished(state.value?.status)),
  };
}
