import assert from "node:assert/strict";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { renderToolMessages } from "../../src/templates/renderToolMessages.js";
import { toolCallGrammar } from "../../src/tools/toolCallGrammar.js";
import { ToolCallParser, type ToolOutputEvent } from "../../src/tools/ToolCallParser.js";
import { toolCallSchema } from "../../src/tools/toolCallSchema.js";
import { ToolSchemaError } from "../../src/tools/ToolSchemaError.js";

const weather = {
  name: "get_weather",
  description: "Weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" }, unit: { $ref: "#/$defs/unit" } }, required: ["city"], $defs: { unit: { enum: ["c", "f"] } } },
};
const ping = { name: "ping" };

/** Feeds `text` in pieces of `size` characters and gathers the events, adjacent content merged. */
function parse(text: string, size: number): ToolOutputEvent[] {
  const parser = new ToolCallParser(new Set(["get_weather", "ping"]));
  const events: ToolOutputEvent[] = [];
  for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
  events.push(...parser.flush());
  return events.reduce<ToolOutputEvent[]>((merged, event) => {
    const last = merged.at(-1);
    if (event.type === "content" && last?.type === "content") last.text += event.text;
    else merged.push({ ...event });
    return merged;
  }, []);
}

test("the parser splits calls from content however the text is cut into pieces", () => {
  const text = 'Let me check.\n<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>\n<tool_call>{"name":"ping","arguments":{}}</tool_call>';
  for (const size of [1, 3, 7, 1000]) {
    assert.deepEqual(parse(text, size), [
      { type: "content", text: "Let me check." },
      { type: "call", call: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { type: "call", call: { name: "ping", arguments: "{}" } },
    ]);
  }
  // arguments given as a JSON string are accepted; "<" alone is content
  assert.deepEqual(parse('a < b <tool_call>{"name":"ping","arguments":"{\\"x\\":1}"}</tool_call>', 2), [
    { type: "content", text: "a < b" },
    { type: "call", call: { name: "ping", arguments: '{"x":1}' } },
  ]);
});

test("a malformed call stays content: bad JSON, an unknown function, arguments that are no object, an unterminated block", () => {
  for (const text of [
    "<tool_call>{not json}</tool_call>",
    '<tool_call>{"name":"rm_rf","arguments":{}}</tool_call>',
    '<tool_call>{"name":"ping","arguments":[1]}</tool_call>',
    '<tool_call>{"name":"ping","arguments":"no"}</tool_call>',
    '<tool_call>{"name":"ping","argu',
    "<tool_ca",
  ]) {
    assert.deepEqual(parse(text, 4), [{ type: "content", text }], text);
  }
});

test("tools are described in the system message; past calls and their results are written back in the same form", () => {
  const messages = renderToolMessages(
    [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "",
        toolCalls: [
          { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
          { id: "call_2", name: "get_weather", arguments: '{"city":"Rome"}' },
        ],
      },
      { role: "tool", content: "18 C", toolCallId: "call_1" },
      { role: "tool", content: "25 C", toolCallId: "call_2" },
    ],
    [weather, ping],
  );
  assert.deepEqual(messages.map((m) => m.role), ["system", "user", "assistant", "user"]);
  assert.match(messages[0]!.content, /^Be brief\.\n\nYou can call functions\./);
  assert.ok(messages[0]!.content.includes(`<tools>${JSON.stringify([{ name: "get_weather", description: "Weather in a city", parameters: weather.parameters }, { name: "ping", parameters: { type: "object", properties: {} } }])}</tools>`));
  assert.ok(messages[0]!.content.includes('<tool_call>{"name": "<function name>", "arguments": {<the arguments>}}</tool_call>'));
  assert.equal(messages[2]!.content, '<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>\n<tool_call>{"name":"get_weather","arguments":{"city":"Rome"}}</tool_call>');
  assert.equal(messages[3]!.content, '<tool_response>{"name":"get_weather","content":"18 C"}</tool_response>\n<tool_response>{"name":"get_weather","content":"25 C"}</tool_response>');
  // no system message: one is added first
  assert.equal(renderToolMessages([{ role: "user", content: "hi" }], [ping])[0]!.role, "system");
  assert.deepEqual(renderToolMessages([{ role: "user", content: "hi" }], []), [{ role: "user", content: "hi" }]);
});

test("the call schema: one alternative per tool, each tool's $defs moved up under its own name", () => {
  const schema = toolCallSchema([weather, ping]).schema as { anyOf: Array<{ properties: { arguments: { properties?: { unit?: { $ref: string } } } } }>; $defs: object };
  assert.deepEqual(Object.keys(schema.$defs), ["t0_unit"]);
  assert.equal(schema.anyOf[0]!.properties.arguments.properties!.unit!.$ref, "#/$defs/t0_unit");
  const validate = new Ajv2020({ strict: false }).compile(schema);
  assert.ok(validate({ name: "get_weather", arguments: { city: "Oslo", unit: "c" } }));
  assert.ok(validate({ name: "ping", arguments: {} }));
  assert.ok(!validate({ name: "ping", arguments: { x: 1 } }));
});

test("forced calls are closed validly at any point when the tokens run out", () => {
  const { close, grammar } = toolCallGrammar([weather, ping], true);
  assert.match(grammar, /^root ::= "<tool_call>" r\d+ "<\/tool_call>" \( "\\n" "<tool_call>" r\d+ "<\/tool_call>" \)\*\n/);
  const text = '<tool_call>{"name":"get_weather", "arguments":{"city":"Pa<ris", "unit":"f"}}</tool_call>\n<tool_call>{"name":"ping", "arguments":{}}</tool_call>';
  for (let n = 0; n <= text.length; n++) {
    const prefix = text.slice(0, n);
    const closed = prefix + close(prefix);
    const events = parse(closed, 1000);
    assert.ok(events.length > 0 && events.every((e) => e.type === "call"), `${JSON.stringify(prefix)} → ${closed}`);
  }
  assert.equal(close(text), "");
});

test("single-call mode: the first call ends the output, and a call left open by the stop at its closing marker is read", () => {
  const single = (text: string): ToolOutputEvent[] => {
    const parser = new ToolCallParser(new Set(["ping"]), true);
    return [...parser.push(text), ...parser.flush()];
  };
  assert.deepEqual(single('Sure. <tool_call>{"name": "ping", "arguments": {}}'), [
    { type: "content", text: "Sure." },
    { type: "call", call: { name: "ping", arguments: "{}" } },
  ]);
  assert.deepEqual(single('<tool_call>{"name": "ping"}</tool_call>\n<tool_call>{"name": "ping"}</tool_call>'), [{ type: "call", call: { name: "ping", arguments: "{}" } }]);
  assert.deepEqual(single('<tool_call>{"name": "pi'), [{ type: "content", text: '<tool_call>{"name": "pi' }]);
  assert.deepEqual(
    renderToolMessages([{ role: "tool", name: "ping", content: "pong" }], []).map((m) => m.content),
    ['<tool_response>{"name":"ping","content":"pong"}</tool_response>'],
  );
});

test("a schema the call grammar cannot enforce is located in the tools given: the tool, and the path inside its parameters", () => {
  const located = (tools: Array<{ name: string; parameters?: Record<string, unknown> }>): unknown => {
    try {
      toolCallGrammar(tools, true);
    } catch (error) {
      assert.ok(error instanceof ToolSchemaError);
      return error.location;
    }
    assert.fail("the grammar was built");
  };
  const bad = { type: "object", properties: { code: { type: "string", pattern: "x" } } };
  assert.deepEqual(located([ping, { name: "f", parameters: bad }]), { tool: 1, path: ".properties.code.pattern" });
  // `t1_` is no prefix of `t10_`: the definition is the eleventh tool's
  const withDef = { type: "object", properties: { u: { $ref: "#/$defs/u" } }, $defs: { u: { type: "array", maxItems: 5000 } } };
  const many = [...Array.from({ length: 10 }, (_, i) => ({ name: `p${i}`, parameters: { type: "object", properties: {}, $defs: { u: { type: "null" } } } })), { name: "f", parameters: withDef }];
  assert.deepEqual(located(many), { tool: 10, path: ".$defs.u.maxItems" });
  // a schema whose value never ends is the call's as a whole: no one tool
  const endless = { $defs: { node: { type: "object", properties: { next: { $ref: "#/$defs/node" } }, required: ["next"] } }, $ref: "#/$defs/node" };
  assert.equal(located([{ name: "f", parameters: endless }]), undefined);
});
