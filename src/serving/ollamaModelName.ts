/**
 * The model a name in an Ollama request stands for: Ollama's clients add the tag `:latest` to a name without one,
 * so a name no model answers to is tried without it. `known`: whether a model answers to a name.
 */
export function ollamaModelName(name: string, known: (name: string) => boolean): string {
  const bare = name.replace(/:latest$/i, "");
  return bare !== name && !known(name) && known(bare) ? bare : name;
}
