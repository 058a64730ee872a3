/**
 * What every serving scenario's request says explicitly, so hermes and a peer run the same sampling: OpenAI's
 * defaults (hermes applies them anyway), which llama-server would otherwise replace with its own (temperature 0.8,
 * top_k 40, top_p 0.95, min_p 0.05); top_k -1 is "off" for hermes, llama-server and vLLM alike. `</s>` (id 2 in
 * Llama-2's vocabulary) is banned, so every stream decodes as many tokens as asked.
 */
export const REQUEST_DEFAULTS = { temperature: 1, top_p: 1, top_k: -1, min_p: 0, logit_bias: { "2": -100 } } as const;
