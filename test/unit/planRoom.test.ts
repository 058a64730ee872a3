import assert from "node:assert/strict";
import { test } from "node:test";
import { planRoom, type Resident } from "../../src/serving/planRoom.js";

const model = (id: string, memoryBytes: number, lastUsed: number, busy = false): Resident => ({ id, memoryBytes, lastUsed, busy });

test("room to spare: nothing is unloaded", () => {
  assert.deepEqual(planRoom([model("a", 10, 1)], 10, 100, 4), { evict: [] });
});

test("at the count bound, the least recently used idle model goes, not a busy one", () => {
  const residents = [model("old-busy", 10, 1, true), model("old", 10, 2), model("new", 10, 3)];
  assert.deepEqual(planRoom(residents, 10, 100, 3), { evict: ["old"] });
});

test("short of memory, idle models go in LRU order until the new one fits, and no more", () => {
  const residents = [model("c", 30, 3), model("a", 30, 1), model("b", 30, 2)];
  assert.deepEqual(planRoom(residents, 50, 0, 10), { evict: ["a", "b"] });
  assert.deepEqual(planRoom(residents, 50, 25, 10), { evict: ["a"] });
});

test("refused as 'memory' when even unloading everything would not make it fit; nothing is unloaded", () => {
  assert.deepEqual(planRoom([model("a", 30, 1), model("b", 30, 2, true)], 100, 10, 10), { refuse: "memory" });
});

test("refused as 'busy' when it would fit only by unloading models in use", () => {
  assert.deepEqual(planRoom([model("a", 30, 1, true), model("b", 30, 2)], 50, 0, 10), { refuse: "busy" });
  assert.deepEqual(planRoom([model("a", 1, 1, true), model("b", 1, 2, true)], 1, 100, 2), { refuse: "busy" });
});

test("--models-max 1 swaps the one model out", () => {
  assert.deepEqual(planRoom([model("a", 10, 1)], 10, 100, 1), { evict: ["a"] });
});
