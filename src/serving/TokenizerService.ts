import { InvalidRequestError } from "../errors/ApiError.js";
import { assertTextCanFit } from "../protocol/assertTextCanFit.js";
import type { DetokenizeRequest, DetokenizeResponse, TokenizeRequest, TokenizeResponse } from "../protocol/tokenizer.js";
import type { ModelFleet } from "./ModelFleet.js";
import type { ServedModel } from "./ServedModel.js";

/**
 * A model's tokenizer as llama-server exposes it: text to token ids (with pieces) and back. A request names its
 * model, or gets the first one served.
 */
export class TokenizerService {
  constructor(private readonly models: ModelFleet) {}

  tokenize(request: TokenizeRequest): Promise<TokenizeResponse> {
    return this.models.using(request.model ?? this.models.models[0]!.id, undefined, async (model) => this.tokenizeWith(model, request));
  }

  detokenize(request: DetokenizeRequest): Promise<DetokenizeResponse> {
    return this.models.using(request.model ?? this.models.models[0]!.id, undefined, async (model) => this.detokenizeWith(model, request));
  }

  private tokenizeWith(model: ServedModel, request: TokenizeRequest): TokenizeResponse {
    const engine = model.engine;
    const parseSpecial = request.parse_special ?? true;
    // what could not be a prompt is not tokenized: past that size, tokenizing would stall the other requests
    assertTextCanFit(request.content, engine.info.contextSize, engine.info.longestTokenChars, "content");
    const tokens = request.add_special ? engine.promptTokens(request.content, parseSpecial) : engine.tokenize(request.content, parseSpecial);
    if (!request.with_pieces) return { tokens };
    return {
      tokens: tokens.map((id) => {
        const { text, bytes } = engine.tokenPiece(id);
        return { id, piece: Buffer.from(text, "utf8").equals(Buffer.from(bytes)) ? text : bytes };
      }),
    };
  }

  /** Special tokens come out as their text (`<s>`), as llama-server's do. */
  private detokenizeWith(model: ServedModel, request: DetokenizeRequest): DetokenizeResponse {
    const engine = model.engine;
    const outside = request.tokens.findIndex((token) => token >= engine.info.vocabularySize);
    if (outside !== -1) throw new InvalidRequestError(`Token id ${request.tokens[outside]} is not in the vocabulary.`, `tokens[${outside}]`, "invalid_value");
    return { content: engine.detokenize(request.tokens, [], true) };
  }
}
