import { z } from "zod";
import { LIMITS } from "./limits.js";

/**
 * Request bodies of the OpenAI-compatible endpoints, fields in the order of OpenAI's reference. Unknown fields
 * are accepted and ignored (`loose`), as OpenAI-compatible servers do. Fields that change the answer but are not
 * implemented yet are accepted by the schema and refused with a 400 by `toGenerationParams`. Every list and
 * every string that costs work per item or per character is bounded (`limits.ts`).
 */

const stopString = z.string().max(LIMITS.stopChars);
const stop = z.union([stopString, z.array(stopString).max(LIMITS.stopStrings)]).nullish();
const logitBias = z
  .record(z.string().regex(/^\d+$/, "keys must be token ids"), z.number().min(-100).max(100))
  .refine((bias) => Object.keys(bias).length <= LIMITS.logitBias, `at most ${LIMITS.logitBias} entries`)
  .nullish();

const textPart = z.object({ type: z.literal("text"), text: z.string() }).loose();
const otherPart = z.object({ type: z.string() }).loose();
const messageContent = z.union([z.string(), z.array(z.union([textPart, otherPart]))]).nullish();

const toolCall = z
  .object({
    id: z.string(),
    type: z.literal("function"),
    function: z.object({ name: z.string(), arguments: z.string() }).loose(),
  })
  .loose();

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a function name is 1 to 64 letters, digits, '_' or '-'");
const functionDefinition = z
  .object({
    name: functionName,
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  })
  .loose();

const message = z
  .object({
    /** `function`: the deprecated form of a tool result (its `name` says which function). */
    role: z.enum(["developer", "system", "user", "assistant", "tool", "function"]),
    content: messageContent,
    name: z.string().optional(),
    /** An assistant message's calls. */
    tool_calls: z.array(toolCall).nullish(),
    /** A tool message: the call it answers. */
    tool_call_id: z.string().nullish(),
    /** An assistant message's call in the deprecated form. */
    function_call: z.object({ name: z.string(), arguments: z.string() }).loose().nullish(),
  })
  .loose();

/** Sampling fields shared by chat and text completions. */
const sampling = {
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: logitBias,
  max_tokens: z.number().int().min(1).nullish(),
  n: z.number().int().min(1).max(LIMITS.n).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  seed: z.number().int().nullish(),
  stop,
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).loose().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  user: z.string().nullish(),
  // extensions shared with the hosted API, vLLM and llama-server
  top_k: z.number().int().min(-1).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(2).nullish(),
};

export const chatCompletionRequestSchema = z
  .object({
    messages: z.array(message).min(1).max(LIMITS.messages),
    model: z.string(),
    ...sampling,
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    response_format: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("text") }).loose(),
        // `schema` here is llama-server's extension
        z.object({ type: z.literal("json_object"), schema: z.record(z.string(), z.unknown()).optional() }).loose(),
        z
          .object({
            type: z.literal("json_schema"),
            json_schema: z
              .object({
                name: z.string(),
                description: z.string().optional(),
                schema: z.record(z.string(), z.unknown()).optional(),
                strict: z.boolean().nullish(),
              })
              .loose(),
          })
          .loose(),
      ])
      .nullish(),
    tools: z
      .array(
        z
          .object({
            type: z.literal("function"),
            function: functionDefinition,
          })
          .loose(),
      )
      .max(LIMITS.tools)
      .nullish(),
    tool_choice: z
      .union([z.enum(["none", "auto", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string() }).loose() }).loose()])
      .nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    /** The deprecated form of `tools` and `tool_choice`: at most one call, answered as `message.function_call`. */
    functions: z.array(functionDefinition).min(1).max(LIMITS.tools).nullish(),
    function_call: z.union([z.enum(["none", "auto"]), z.object({ name: z.string() }).loose()]).nullish(),
  })
  .loose();

export const completionRequestSchema = z
  .object({
    model: z.string(),
    prompt: z.union([
      z.string(),
      z.array(z.string()).min(1).max(LIMITS.prompts),
      z.array(z.number().int().min(0)).min(1),
      z.array(z.array(z.number().int().min(0)).min(1)).min(1).max(LIMITS.prompts),
    ]),
    best_of: z.number().int().min(1).max(LIMITS.bestOf).nullish(),
    echo: z.boolean().nullish(),
    ...sampling,
    // 0 scores the prompt without generating (with `echo` and `logprobs`)
    max_tokens: z.number().int().min(0).nullish(),
    logprobs: z.number().int().min(0).max(5).nullish(),
    suffix: z.string().nullish(),
  })
  .loose();

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type ChatRequestMessage = z.infer<typeof message>;
