import { z } from "zod";
import { LIMITS } from "./limits.js";

/**
 * The request body of OpenAI's Responses API (`POST /responses`), stateless: fields in the order of OpenAI's
 * reference, unknown ones accepted and ignored (`loose`) as the chat schema does. The item, content and tool types
 * this server does not implement are listed, so that `toResponsesParams` refuses them with a 400 that says so
 * (a type nobody defines is a 400 from the schema). What would need stored responses, reasoning, or built-in tools
 * is accepted here and refused there, naming the field.
 */

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a function name is 1 to 64 letters, digits, '_' or '-'");

/** A message's content part: text (in or out), a refusal written back; images, files and audio are refused. */
const contentPart = z.discriminatedUnion("type", [
  z.object({ type: z.enum(["input_text", "output_text"]), text: z.string() }).loose(),
  z.object({ type: z.literal("refusal"), refusal: z.string() }).loose(),
  z.object({ type: z.enum(["input_image", "input_file", "input_audio"]) }).loose(),
]);
export type ResponsesContentPart = z.infer<typeof contentPart>;

const messageItem = z
  .object({
    type: z.literal("message"),
    role: z.enum(["user", "assistant", "system", "developer"]),
    content: z.union([z.string(), z.array(contentPart)]),
  })
  .loose();

const functionCallItem = z
  .object({
    type: z.literal("function_call"),
    call_id: z.string().min(1),
    name: functionName,
    arguments: z.string(),
  })
  .loose();

const functionCallOutputItem = z
  .object({
    type: z.literal("function_call_output"),
    call_id: z.string().min(1),
    output: z.union([z.string(), z.array(contentPart)]),
  })
  .loose();

/** Items of the Responses API that need stored responses, reasoning or built-in tools: refused by name. */
export const UNSUPPORTED_ITEM_TYPES = [
  "item_reference",
  "reasoning",
  "compaction",
  "compaction_trigger",
  "file_search_call",
  "computer_call",
  "computer_call_output",
  "web_search_call",
  "image_generation_call",
  "code_interpreter_call",
  "local_shell_call",
  "local_shell_call_output",
  "shell_call",
  "shell_call_output",
  "apply_patch_call",
  "apply_patch_call_output",
  "mcp_list_tools",
  "mcp_approval_request",
  "mcp_approval_response",
  "mcp_call",
  "custom_tool_call",
  "custom_tool_call_output",
  "tool_search_call",
  "tool_search_output",
  "additional_tools",
  "program",
  "program_output",
] as const;

/** An input item; a message may leave out its `type` (OpenAI's "easy input message"). */
const inputItem = z.preprocess(
  (item) => (typeof item === "object" && item !== null && !Array.isArray(item) && (item as { type?: unknown }).type === undefined ? { ...item, type: "message" } : item),
  z.discriminatedUnion("type", [messageItem, functionCallItem, functionCallOutputItem, z.object({ type: z.enum(UNSUPPORTED_ITEM_TYPES) }).loose()]),
);
export type ResponsesInputItem = z.infer<typeof inputItem>;

const functionTool = z
  .object({
    type: z.literal("function"),
    name: functionName,
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  })
  .loose();
export type ResponsesFunctionTool = z.infer<typeof functionTool>;

/** The hosted tools OpenAI runs itself: this server runs none. */
const BUILT_IN_TOOLS = [
  "file_search",
  "computer",
  "computer_use_preview",
  "web_search",
  "web_search_2025_08_26",
  "web_search_preview",
  "web_search_preview_2025_03_11",
  "mcp",
  "code_interpreter",
  "programmatic_tool_calling",
  "image_generation",
  "local_shell",
  "shell",
  "custom",
  "namespace",
  "tool_search",
  "apply_patch",
] as const;

/** What `include` may ask for (OpenAI's list). */
const INCLUDABLE = [
  "message.output_text.logprobs",
  "reasoning.encrypted_content",
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
] as const;

const textFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }).loose(),
  z.object({ type: z.literal("json_object") }).loose(),
  z
    .object({
      type: z.literal("json_schema"),
      name: z.string(),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()),
      strict: z.boolean().nullish(),
    })
    .loose(),
]);
export type ResponsesTextFormat = z.infer<typeof textFormat>;

export const responsesRequestSchema = z
  .object({
    model: z.string(),
    input: z.union([z.string(), z.array(inputItem).min(1).max(LIMITS.messages)]),
    instructions: z.string().nullish(),
    // only the logprobs change what is sent: the others are of items this server never makes
    include: z.array(z.enum(INCLUDABLE)).max(INCLUDABLE.length).nullish(),
    // OpenAI's minimum
    max_output_tokens: z.number().int().min(16).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    tools: z.array(z.discriminatedUnion("type", [functionTool, z.object({ type: z.enum(BUILT_IN_TOOLS) }).loose()])).max(LIMITS.tools).nullish(),
    tool_choice: z
      .union([
        z.enum(["none", "auto", "required"]),
        z.object({ type: z.literal("function"), name: z.string() }).loose(),
        // allowed_tools, a hosted tool, an MCP server's or a custom tool: refused by name
        z.object({ type: z.string() }).loose(),
      ])
      .nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    text: z.object({ format: textFormat.nullish(), verbosity: z.enum(["low", "medium", "high"]).nullish() }).loose().nullish(),
    store: z.boolean().nullish(),
    previous_response_id: z.string().nullish(),
    conversation: z.unknown().optional(),
    background: z.boolean().nullish(),
    prompt: z.unknown().optional(),
    context_management: z.unknown().optional(),
    reasoning: z.object({ effort: z.string().nullish(), summary: z.string().nullish() }).loose().nullish(),
    truncation: z.enum(["auto", "disabled"]).nullish(),
    stream: z.boolean().nullish(),
    // `include_obfuscation` pads the deltas against length side channels of hosted traffic: nothing to do here
    stream_options: z.object({ include_obfuscation: z.boolean().nullish() }).loose().nullish(),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((metadata) => Object.keys(metadata).length <= 16, "at most 16 entries")
      .nullish(),
    user: z.string().nullish(),
  })
  .loose();

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
