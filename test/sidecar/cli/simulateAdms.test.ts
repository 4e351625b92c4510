import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../sidecar/src/cli/main.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("simulate adms", () => {
  it("exits 2 listing every bad option at once", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    const code = await main(
      [
        "simulate",
        "adms",
        "--server",
        "https://10.0.0.2:8081/iclock",
        "--sn",
        "no spaces",
        "--records",
        "lots",
        "--tz",
        "Nowhere",
      ],
      () => undefined,
    );
    expect(code).toBe(2);
    const text = errors.join("\n");
    for (const problem of [
      /--server "https:\/\/10\.0\.0\.2:8081\/iclock" is not http:\/\/HOST:PORT/,
      /--sn "no spaces" is not a serial number/,
      /--records "lots"/,
      /--tz "Nowhere"/,
    ])
      expect(text).toMatch(problem);
  });

  it("needs the server to push to", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    expect(await main(["simulate", "adms"], () => undefined)).toBe(2);
    expect(errors.join("\n")).toMatch(/--server http:\/\/HOST:PORT is required/);
  });
});
