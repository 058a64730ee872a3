import { z } from "zod";
import { LIMITS } from "./limits.js";

/**
 * Request bodies of Anthropic's Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`), fields as in its
 * reference. Unknown fields are accepted and ignored (`loose`), as on the OpenAI routes; `cache_control` hints are
 * accepted and have no effect (the prefix cache is automatic). Content blocks of a type this server cannot read
 * (images, documents, thinking, server tools' blocks) pass the schema as `unsupported` and are refused with a 400
 * naming them by `toAnthropicChatParams`, never ignored.
 */

const stopString = z.string().max(LIMITS.stopChars);
const toolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a tool name is 1 to 64 letters, digits, '_' or '-'");

const textBlock = z.object({ type: z.literal("text"), text: z.string() }).loose();
const toolUseBlock = z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.record(z.string(), z.unknown()) }).loose();
/** The block types read; a block of one of them that fails its shape is refused by the schema, naming the field. */
const KNOWN_BLOCKS: readonly string[] = ["text", "tool_use", "tool_result"];
/** Any other block: a type the schema does not know, kept by name for the mapping's 400. */
const otherBlock = z
  .object({ type: z.string() })
  .loose()
  .refine((block) => !KNOWN_BLOCKS.includes(block.type))
  .transform((block) => ({ type: "unsupported" as const, kind: block.type }));
const toolResultBlock = z
  .object({
    type: z.literal("tool_result"),
    tool_use_id: z.string(),
    content: z.union([z.string(), z.array(z.union([textBlock, otherBlock]))]).optional(),
    is_error: z.boolean().optional(),
  })
  .loose();
// a block of a known type is checked against its own shape (a missing field named as such), any other is kept
const contentBlock = z.union([z.discriminatedUnion("type", [textBlock, toolUseBlock, toolResultBlock]), otherBlock]);

const message = z
  .object({
    role: z.enum(["user", "assistant"]),
    content: z.union([z.string(), z.array(contentBlock)]),
  })
  .loose();

const tool = z
  .object({
    /** Absent or "custom" for a client tool; anything else names one of Anthropic's server tools. */
    type: z.string().nullish(),
    name: toolName,
    description: z.string().optional(),
    input_schema: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

const disableParallel = { disable_parallel_tool_use: z.boolean().optional() };
const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), ...disableParallel }).loose(),
  z.object({ type: z.literal("any"), ...disableParallel }).loose(),
  z.object({ type: z.literal("tool"), name: z.string(), ...disableParallel }).loose(),
  z.object({ type: z.literal("none") }).loose(),
]);

const conversation = {
  model: z.string(),
  messages: z.array(message).min(1).max(LIMITS.messages),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(tool).max(LIMITS.tools).optional(),
  tool_choice: toolChoice.optional(),
  /** Extended thinking: only `{"type": "disabled"}` is served (the mapping refuses the others). */
  thinking: z.object({ type: z.string() }).loose().optional(),
  /** Structured output: a JSON schema the answer is sampled under. */
  output_config: z
    .object({ format: z.object({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) }).loose().nullish() })
    .loose()
    .optional(),
};

export const anthropicMessagesRequestSchema = z
  .object({
    ...conversation,
    max_tokens: z.number().int().min(1),
    stop_sequences: z.array(stopString).max(LIMITS.stopStrings).optional(),
    stream: z.boolean().optional(),
    temperature: z.number().min(0).max(1).optional(),
    top_p: z.number().min(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    metadata: z.object({ user_id: z.string().max(256).nullish() }).loose().optional(),
  })
  .loose();

/** `count_tokens`: the same conversation, nothing generated. */
export const anthropicCountTokensRequestSchema = z.object(conversation).loose();

export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;
export type AnthropicCountTokensRequest = z.infer<typeof anthropicCountTokensRequestSchema>;
export type AnthropicInputMessage = z.infer<typeof message>;
export type AnthropicInputBlock = z.infer<typeof contentBlock>;
