/** `GET /models` entries: OpenAI's model object plus the hosted API's `context_size`. */
export interface ModelCard {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  context_size: number;
  title: string;
  description: string;
}

export interface ModelList {
  object: "list";
  data: ModelCard[];
}
