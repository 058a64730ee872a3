import { readFileSync } from "node:fs";
import { startTestHub } from "../test/helpers/testHub.js";

/**
 * The tests' local hub in a process of its own, serving one file as the catalogue's 13B Q4_K_M, so that a
 * measured download does not share an event loop with the server. Prints the hub's URL; SIGTERM prints the bytes
 * it served and stops it. MB_PER_S paces the bodies as one link of that rate would.
 */
const [file, rate] = process.argv.slice(2);
if (!file) throw new Error("usage: node dist/bench/hubProcess.js FILE [MB_PER_S]");
const hub = await startTestHub(
  { "TheBloke/Nous-Hermes-Llama2-GGUF": { files: { "nous-hermes-llama2-13b.Q4_K_M.gguf": readFileSync(file) } } },
  rate === undefined ? {} : { bytesPerSecond: Number(rate) * 1e6 },
);
console.log(hub.url);
process.once("SIGTERM", () => {
  console.log(JSON.stringify(hub.served));
  void hub.close().then(() => process.exit(0));
});
