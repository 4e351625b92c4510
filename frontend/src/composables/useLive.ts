import { onBeforeUnmount } from "vue";
import { onTopics } from "../live";
import { touches, type Topic } from "../utils/realtime";

/**
 * Reloads a view when an event touches one of its topics, at most every THROTTLE_MS (processing publishes
 * once per chunk, a running pull several times a second; the trailing event is never lost), and every
 * `pollMs` as a safety net for users whose socket may not join the documents' rooms.
 */
export const THROTTLE_MS = 150;

export function useLive(
  topics: () => Topic[],
  reload: () => unknown,
  options: { pollMs?: number } = {},
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const off = onTopics((hit) => {
    if (!touches(topics(), hit) || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, THROTTLE_MS);
  });
  const poll = options.pollMs ? setInterval(() => void reload(), options.pollMs) : undefined;
  onBeforeUnmount(() => {
    off();
    clearTimeout(timer);
    if (poll) clearInterval(poll);
  });
}
