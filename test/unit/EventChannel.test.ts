import assert from "node:assert/strict";
import { test } from "node:test";
import { EventChannel } from "../../src/engine/EventChannel.js";

test("items pushed before and while the consumer reads all arrive, in order, then the end", async () => {
  const channel = new EventChannel<number>();
  channel.push(1);
  channel.push(2);
  const read = (async () => {
    const seen: number[] = [];
    for await (const item of channel) seen.push(item);
    return seen;
  })();
  await Promise.resolve();
  channel.push(3);
  channel.close();
  channel.push(4); // after the end: dropped
  assert.deepEqual(await read, [1, 2, 3]);
});

test("a failure reaches the consumer after the items before it", async () => {
  const channel = new EventChannel<string>();
  channel.push("a");
  channel.fail(new Error("boom"));
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const item of channel) seen.push(item);
  }, /boom/);
  assert.deepEqual(seen, ["a"]);
});
