import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat("unixtime", true);
ajv.addFormat("date", true);
// formats of the Responses schemas' URLs and scores, which nothing here sends
ajv.addFormat("uri", true);
ajv.addFormat("float", true);
ajv.addSchema(JSON.parse(readFileSync(new URL("../../../test/fixtures/openai-schemas.json", import.meta.url), "utf8")), "openai");

/** Asserts that `value` validates against the schema `name` of OpenAI's published API description. */
export function assertOpenAiShape(name: string, value: unknown): void {
  const check = ajv.getSchema(`openai#/components/schemas/${name}`);
  assert.ok(check, name);
  assert.ok(check(value), `${name}: ${ajv.errorsText(check.errors)}\n${JSON.stringify(value)}`);
}
