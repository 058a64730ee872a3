import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ApiKeyRegistry } from "../../src/server/ApiKeyRegistry.js";
import { goDuration } from "../../src/server/goDuration.js";
import { parseApiKeys } from "../../src/server/parseApiKeys.js";
import { RateLimitExceededError } from "../../src/server/RateLimitExceededError.js";
import { requestId } from "../../src/server/requestId.js";
import { TokenBucket } from "../../src/server/TokenBucket.js";

test("a keys file: names, keys and optional limits; comments, blank lines and any blanks between fields", () => {
  const text = "# team keys\n\nteam-a  sk-aaa  rpm=60 tpm=200000\r\n  team_b\tsk-bbb\n# old: team-c sk-ccc\nbot.1 sk-ddd tpm=10\n";
  assert.deepEqual(parseApiKeys(text), [
    { name: "team-a", key: "sk-aaa", rpm: 60, tpm: 200000 },
    { name: "team_b", key: "sk-bbb" },
    { name: "bot.1", key: "sk-ddd", tpm: 10 },
  ]);
});

test("a malformed keys file names the line and the problem, and never echoes a key", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /no keys/],
    ["# only a comment\n", /no keys/],
    ["team-a\n", /line 1: 'team-a' has no key/],
    ["ok sk-secret-1\nteam-a sk-secret-2 rpm=0\n", /line 2: rpm of 'team-a' must be a positive integer/],
    ["team-a sk-secret-2 rpm=1.5", /rpm of 'team-a' must be a positive integer/],
    ["team-a sk-secret-2 rpm=", /rpm of 'team-a' must be a positive integer/],
    ["team-a sk-secret-2 burst=4", /line 1: unknown option for 'team-a'/],
    ["team-a sk-secret-2 sk-secret-3", /line 1: unknown option for 'team-a'/],
    ["team-a sk-secret-2 rpm=1 rpm=2", /rpm of 'team-a' is given twice/],
    ["a sk-secret-1\n\nb sk-secret-1\n", /line 3: 'b' has the same key as line 1/],
    ["a sk-secret-1\na sk-secret-2\n", /line 2: the name 'a' is already used on line 1/],
    ["-a sk-secret-1", /line 1: the name must be/],
    ['te"am sk-secret-1', /line 1: the name must be/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseApiKeys(text), (error: Error) => {
      assert.match(error.message, message, JSON.stringify(text));
      assert.doesNotMatch(error.message, /sk-secret/);
      return true;
    });
  }
});

test("a token bucket: full at the start, refilled continuously over its window, reservations settled both ways", () => {
  const bucket = new TokenBucket(60, 60_000, 0);
  assert.equal(bucket.available(0), 60);
  assert.equal(bucket.resetMs(0), 0);
  assert.equal(bucket.take(0, 50), 0);
  assert.equal(bucket.available(0), 10);
  assert.equal(bucket.take(0, 20), 10_000, "10 more units come in 10 s");
  assert.equal(bucket.available(0), 10, "a refused take takes nothing");
  assert.equal(bucket.resetMs(0), 50_000);
  assert.equal(bucket.available(5_000), 15);
  bucket.adjust(5_000, 30); // a reservation settled below what it reserved
  assert.equal(bucket.available(5_000), 45);
  bucket.adjust(5_000, 100);
  assert.equal(bucket.available(5_000), 60, "never above capacity");
  bucket.adjust(5_000, -70); // used more than reserved: into debt
  assert.equal(bucket.available(5_000), 0);
  assert.equal(bucket.take(5_000, 1), 11_000);
  assert.equal(bucket.take(5_000, 61), Infinity, "more than the capacity never fits");
  assert.equal(bucket.available(600_000), 60);
});

test("a token bucket never hands out more than capacity plus what the elapsed time refilled, and its wait is exact", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(5_000), fc.integer({ min: 1, max: 20 })), { maxLength: 50 }), (steps) => {
      const bucket = new TokenBucket(20, 60_000, 0);
      let now = 0;
      let taken = 0;
      for (const [advance, amount] of steps) {
        now += advance;
        const wait = bucket.take(now, amount);
        if (wait > 0) {
          assert.ok(Number.isFinite(wait));
          now += wait;
          assert.equal(bucket.take(now, amount), 0, "after the wait it fits");
        }
        taken += amount;
        assert.ok(taken <= 20 + (now * 20) / 60_000 + 1e-9);
      }
    }),
  );
});

test("durations as OpenAI's reset headers write them (Go's format)", () => {
  assert.deepEqual(
    [0, 0.2, 20, 999, 1000, 1500, 6857, 59_999, 60_000, 360_000, 86_400, 3_600_000, 3_723_400].map(goDuration),
    ["0s", "1ms", "20ms", "999ms", "1s", "1.5s", "6.857s", "59.999s", "1m0s", "6m0s", "1m26.4s", "1h0m0s", "1h2m3.4s"],
  );
});

test("a key's limiter: requests per minute, tokens reserved then settled, headers and counters", () => {
  let now = 0;
  const keys = new ApiKeyRegistry([{ name: "team-a", key: "sk-a", rpm: 2, tpm: 100 }, { name: "free", key: "sk-free" }], () => now);
  const key = keys.identify("sk-a")!;
  assert.equal(key.name, "team-a");
  assert.equal(keys.identify("sk-free")!.name, "free");
  assert.equal(keys.identify("sk-b"), undefined);
  assert.equal(keys.identify("sk-a "), undefined);
  key.admitRequest();
  key.reserveTokens(80);
  assert.deepEqual(key.headers(), {
    "x-ratelimit-limit-requests": "2",
    "x-ratelimit-remaining-requests": "1",
    "x-ratelimit-reset-requests": "30s",
    "x-ratelimit-limit-tokens": "100",
    "x-ratelimit-remaining-tokens": "20",
    "x-ratelimit-reset-tokens": "48s",
  });
  assert.throws(() => key.reserveTokens(30), (error: unknown) => {
    assert.ok(error instanceof RateLimitExceededError);
    assert.equal(error.status, 429);
    assert.equal(error.code, "rate_limit_exceeded");
    assert.equal(error.type, "tokens");
    assert.equal(error.headers["Retry-After"], "6");
    assert.equal(error.headers["retry-after-ms"], "6000");
    assert.equal(error.headers["x-ratelimit-remaining-tokens"], "20");
    return true;
  });
  key.settleTokens(80, { promptTokens: 10, completionTokens: 5, cachedTokens: 0 }); // 65 of 80 given back
  assert.equal(key.headers()["x-ratelimit-remaining-tokens"], "85");
  key.admitRequest();
  assert.throws(() => key.admitRequest(), (error: RateLimitExceededError) => error.type === "requests" && error.headers["Retry-After"] === "30");
  assert.throws(() => key.reserveTokens(101), (error: RateLimitExceededError) => error.headers["Retry-After"] === undefined && /too large/.test(error.message));
  now = 30_000;
  key.admitRequest();
  assert.deepEqual(key.counters, { requests: 3, rateLimited: 3, promptTokens: 10, completionTokens: 5 });
  assert.deepEqual(keys.identify("sk-free")!.headers(), {}, "a key without limits has no limit headers");
});

test("replacing the keys: a kept name keeps its counters (and its state while its limits stay); a removed key stops working", () => {
  const now = 0;
  const keys = new ApiKeyRegistry([{ name: "a", key: "sk-1", rpm: 2 }, { name: "b", key: "sk-2", rpm: 5 }], () => now);
  keys.identify("sk-1")!.admitRequest();
  keys.identify("sk-2")!.admitRequest();
  keys.replace([{ name: "a", key: "sk-new", rpm: 2 }, { name: "c", key: "sk-3" }, { name: "b", key: "sk-2", rpm: 9 }]);
  assert.equal(keys.identify("sk-1"), undefined, "the old key of a is gone");
  const a = keys.identify("sk-new")!;
  assert.equal(a.headers()["x-ratelimit-remaining-requests"], "1", "same limits: the state stays");
  const b = keys.identify("sk-2")!;
  assert.equal(b.headers()["x-ratelimit-remaining-requests"], "9", "new limits: a new window");
  assert.equal(b.counters.requests, 1, "but the counters stay");
  keys.replace([{ name: "c", key: "sk-3" }]);
  assert.equal(keys.identify("sk-new"), undefined);
  assert.deepEqual(keys.all().map((key) => [key.name, key.counters.requests]), [["a", 1], ["b", 1], ["c", 0]], "metrics keep removed names");
});

test("request ids: a safe client id is kept, anything else is replaced by a new one", () => {
  assert.equal(requestId("req-123_abc.DEF:9/+=@"), "req-123_abc.DEF:9/+=@");
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  for (const bad of [undefined, "", "x".repeat(129), "a b", "a\nb", "a\"b", "<script>", "é"]) assert.match(requestId(bad), uuid);
  assert.notEqual(requestId(undefined), requestId(undefined));
});
