// Benchmark helper: the fake site in its own process (as a real site would be), printing its URL.
import { FakeSite } from "../../test/fakes/fakeSite.js";

const site = new FakeSite();
console.log(await site.start());
process.on("SIGTERM", () => void site.stop().then(() => process.exit(0)));
