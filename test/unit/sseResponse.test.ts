import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidRequestError } from "../../src/errors/ApiError.js";
import { sseResponse } from "../../src/server/sseResponse.js";

async function* chunks(failAfter: number, error: unknown = new Error("boom: secret internals")): AsyncGenerator<object> {
  for (let i = 0; ; i++) {
    if (i === failAfter) throw error;
    yield { n: i };
  }
}

test("events are 'data: <json>\\n\\n', closed by data: [DONE]", async () => {
  async function* three(): AsyncGenerator<object> {
    yield { a: 1 };
    yield { b: "x\ny" };
  }
  const response = await sseResponse(three());
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(await response.text(), 'data: {"a":1}\n\ndata: {"b":"x\\ny"}\n\ndata: [DONE]\n\n');
});

test("a failure after the headers is an error event, without internals, then [DONE]", async () => {
  const original = console.error;
  console.error = () => undefined;
  try {
    const response = await sseResponse(chunks(2));
    assert.equal(response.status, 200);
    assert.equal(
      await response.text(),
      'data: {"n":0}\n\ndata: {"n":1}\n\n' +
        'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":"internal_error"}}\n\n' +
        "data: [DONE]\n\n",
    );
  } finally {
    console.error = original;
  }
});

test("a failure before the first chunk is thrown, so the caller can answer with a plain error status", async () => {
  await assert.rejects(sseResponse(chunks(0, new InvalidRequestError("bad", "x"))), InvalidRequestError);
});

test("a reader that cancels stops the source", async () => {
  let finished = false;
  async function* endless(): AsyncGenerator<object> {
    try {
      for (;;) yield {};
    } finally {
      finished = true;
    }
  }
  const response = await sseResponse(endless());
  const reader = response.body!.getReader();
  await reader.read();
  await reader.cancel();
  assert.equal(finished, true);
});
