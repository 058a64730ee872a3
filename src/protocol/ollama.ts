import { z } from "zod";
import { LIMITS } from "./limits.js";

/**
 * Request bodies of Ollama's API (`/api/chat`, `/api/generate`, `/api/show`, `/api/embed`), fields as Ollama's
 * `api/types.go` names them. Unknown fields, and unknown `options`, are accepted and ignored, as Ollama does; the
 * fields that would change the answer but are not supported are accepted here and refused with a 400 by
 * `toOllamaParams.ts`. Lists and strings that cost work per item are bounded as the OpenAI routes' are.
 */

/** `keep_alive`: seconds, or a Go duration ("5m", "1h30m", "-1", "0"). Negative: forever; 0: unload after the request. */
const keepAlive = z.union([z.number(), z.string().regex(/^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h)?)+$/, "a duration such as \"5m\", \"30s\", \"0\" or \"-1\"")]).nullish();

/** The sampling options Ollama's runner reads that this server applies; the others are ignored. */
export const ollamaOptionsSchema = z
  .object({
    num_ctx: z.number().int().min(1).nullish(),
    num_predict: z.number().int().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_k: z.number().int().nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    min_p: z.number().min(0).max(1).nullish(),
    seed: z.number().int().nullish(),
    stop: z.array(z.string().max(LIMITS.stopChars)).max(LIMITS.stopStrings).nullish(),
    repeat_penalty: z.number().gt(0).max(2).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
  })
  .loose();

/** `format`: "json" (any JSON value the grammar allows), a JSON Schema, or "" (none). */
const format = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();

/** `think`: thinking is refused unless off (the served models do not think). */
const think = z.union([z.boolean(), z.enum(["high", "medium", "low"])]).nullish();

const images = z.array(z.string()).nullish();

const toolCall = z
  .object({
    function: z.object({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).nullish() }).loose(),
  })
  .loose();

const message = z
  .object({
    role: z.enum(["system", "user", "assistant", "tool"]),
    content: z.string().nullish(),
    images,
    tool_calls: z.array(toolCall).max(LIMITS.tools).nullish(),
    /** A tool message: the function whose result it is. */
    tool_name: z.string().nullish(),
  })
  .loose();

const tool = z
  .object({
    type: z.literal("function"),
    function: z
      .object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a function name is 1 to 64 letters, digits, '_' or '-'"),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
      })
      .loose(),
  })
  .loose();

const model = z.string().min(1).max(LIMITS.modelNameChars);

export const ollamaChatRequestSchema = z
  .object({
    model,
    messages: z.array(message).max(LIMITS.messages).nullish(),
    tools: z.array(tool).max(LIMITS.tools).nullish(),
    format,
    options: ollamaOptionsSchema.nullish(),
    stream: z.boolean().nullish(),
    keep_alive: keepAlive,
    think,
  })
  .loose();
export type OllamaChatRequest = z.infer<typeof ollamaChatRequestSchema>;

export const ollamaGenerateRequestSchema = z
  .object({
    model,
    prompt: z.string().nullish(),
    suffix: z.string().nullish(),
    system: z.string().nullish(),
    template: z.string().nullish(),
    /** The token ids a previous answer returned as `context` (Ollama's deprecated conversation memory). */
    context: z.array(z.number().int().min(0)).max(LIMITS.detokenizeTokens).nullish(),
    raw: z.boolean().nullish(),
    format,
    images,
    options: ollamaOptionsSchema.nullish(),
    stream: z.boolean().nullish(),
    keep_alive: keepAlive,
    think,
  })
  .loose();
export type OllamaGenerateRequest = z.infer<typeof ollamaGenerateRequestSchema>;

/** `/api/show`: `model`, or `name` as older clients send it. */
export const ollamaShowRequestSchema = z
  .object({ model: model.nullish(), name: model.nullish(), verbose: z.boolean().nullish() })
  .loose()
  .refine((body) => body.model != null || body.name != null, { message: "'model' is required", path: ["model"] });
export type OllamaShowRequest = z.infer<typeof ollamaShowRequestSchema>;

const embedText = z.string().min(1, "an input must not be empty").max(LIMITS.embeddingInputChars);

export const ollamaEmbedRequestSchema = z
  .object({
    model,
    input: z.union([embedText, z.array(embedText).min(1).max(LIMITS.embeddingInputs)]),
    truncate: z.boolean().nullish(),
    dimensions: z.number().int().min(1).nullish(),
    keep_alive: keepAlive,
    options: ollamaOptionsSchema.nullish(),
  })
  .loose();
export type OllamaEmbedRequest = z.infer<typeof ollamaEmbedRequestSchema>;
