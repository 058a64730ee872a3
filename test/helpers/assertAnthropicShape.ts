import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(JSON.parse(readFileSync(new URL("../../../test/fixtures/anthropic-schemas.json", import.meta.url), "utf8")), "anthropic");

/** Asserts that `value` validates against the schema `name` of Anthropic's published API description. */
export function assertAnthropicShape(name: string, value: unknown): void {
  const check = ajv.getSchema(`anthropic#/components/schemas/${name}`);
  assert.ok(check, name);
  assert.ok(check(value), `${name}: ${ajv.errorsText(check.errors)}\n${JSON.stringify(value)}`);
}
