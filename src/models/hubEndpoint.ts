/**
 * The hub's base URL, read as node-llama-cpp's downloader reads it (`MODEL_ENDPOINT`, then `HF_ENDPOINT`, then
 * huggingface.co), at each call: the model-info request and the download must go to the same hub. Its own function
 * is internal to node-llama-cpp, hence this copy of the rule.
 */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  for (const value of [env.MODEL_ENDPOINT, env.HF_ENDPOINT]) {
    if (value && /^https?:\/\//i.test(value)) return value.endsWith("/") ? value : `${value}/`;
  }
  return "https://huggingface.co/";
}
