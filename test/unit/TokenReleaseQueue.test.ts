import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenReleaseQueue } from "../../src/engine/TokenReleaseQueue.js";

test("a token's record goes out with the text it starts in; offsets count the decoded text", () => {
  const queue = new TokenReleaseQueue<string>();
  assert.equal(queue.add("Hello", 5), 0);
  assert.equal(queue.add(" world", 6), 5);
  assert.deepEqual(queue.release(5), ["Hello"]);
  assert.deepEqual(queue.release(6), [" world"]);
  assert.deepEqual(queue.drain(), []);
});

test("the bytes of a multi-byte character go out with the token that completes it", () => {
  const queue = new TokenReleaseQueue<string>();
  queue.add("<0xE4>", 0);
  queue.add("<0xBD>", 0);
  assert.deepEqual(queue.release(0), []);
  queue.add("<0xA0>", 1);
  assert.deepEqual(queue.release(1), ["<0xE4>", "<0xBD>", "<0xA0>"]);
});

test("text held back for a stop string keeps its tokens' records; what a stop string cuts is never released", () => {
  const queue = new TokenReleaseQueue<string>();
  queue.add("a", 1);
  queue.add("#", 1); // could start "###": held
  assert.deepEqual(queue.release(1), ["a"]);
  queue.add("##", 2);
  // the stop string "###" was found: nothing more is released, the held records stay unreleased
  assert.deepEqual(queue.release(0), []);
  queue.add("b", 1);
  assert.deepEqual(queue.drain(), ["#", "##", "b"]);
});
