import type { Engine } from "../engine/Engine.js";
import type { GenerationUsage } from "../engine/types.js";
import type { ModerationVerdict } from "../moderation/ModerationVerdict.js";
import type { Moderator } from "../moderation/Moderator.js";
import { ToolCallParser } from "../tools/ToolCallParser.js";
import { gatheredChoices } from "./gatheredChoices.js";
import { generateChoices, type ChoiceEvent } from "./generateChoices.js";
import { moderatePrompts } from "./moderatePrompts.js";
import { observedChoices } from "./observedChoices.js";
import type { ChoiceResult, PipelineEvent, PipelineSpec } from "./pipelineTypes.js";
import { streamedChoices } from "./streamedChoices.js";

/**
 * One request's generations, whatever the API surface: the prompts are moderated when it is created (a flagged
 * one, under a blocking filter, is a 400 `content_filter`); then either `stream()` or `complete()` runs each
 * prompt's choices as one engine request, tells the observer of them (`observedChoices`), moderates their output,
 * splits tool calls out of it and reports why each ended and what they used. A surface maps its request to the
 * spec and renders the results.
 */
export class GenerationPipeline {
  private constructor(
    private readonly engine: Engine,
    private readonly moderator: Moderator,
    private readonly spec: PipelineSpec,
    /** The prompts' verdicts, by prompt index; undefined when moderation is off. */
    readonly promptVerdicts: ModerationVerdict[] | undefined,
  ) {}

  /** Moderates the prompts (throws the 400 `content_filter` of the first one a blocking filter refuses). */
  static async start(engine: Engine, moderator: Moderator, spec: PipelineSpec): Promise<GenerationPipeline> {
    const verdicts = await moderatePrompts(moderator, spec.prompts.map((prompt) => prompt.moderated), (index) => spec.prompts[index]!.param);
    return new GenerationPipeline(engine, moderator, spec, verdicts);
  }

  /** Whether the content filter acts on what it finds (refuses prompts, withholds outputs), or only reports. */
  get blocking(): boolean {
    return this.moderator.blocks;
  }

  /** The choices' events as they are generated, each piece moderated before it is yielded. */
  stream(): AsyncGenerator<PipelineEvent, void, void> {
    const { prompts, perPrompt } = this.spec;
    const total = prompts.length * perPrompt;
    // a choice whose output the content filter withholds is halted, so its slot is freed at once
    const halts = this.moderator.blocks ? Array.from({ length: total }, () => new AbortController()) : [];
    const outputs = Array.from({ length: total }, (_, index) => this.moderator.stream(this.promptOf(index).moderated));
    const events = this.events((index) => halts[index]?.signal);
    return streamedChoices(events, { perPrompt, outputs, halts, parser: () => this.parser() });
  }

  /** The choices once all are done, each prompt's `keep` of them (the best by mean logprob when fewer than all). */
  complete(keep = this.spec.perPrompt): Promise<{ choices: ChoiceResult[]; usage: GenerationUsage }> {
    const options = { moderator: this.moderator, moderated: (index: number) => this.promptOf(index).moderated, perPrompt: this.spec.perPrompt, keep };
    return gatheredChoices(this.events(), { ...options, parser: () => this.parser() });
  }

  private events(halt?: (index: number) => AbortSignal | undefined): AsyncGenerator<ChoiceEvent, void, void> {
    const { prompts, perPrompt, signal, observer } = this.spec;
    const requests = prompts.map((prompt) => prompt.request);
    return observedChoices(generateChoices(this.engine, requests, perPrompt, signal, halt), observer, requests, perPrompt, signal);
  }

  private promptOf(index: number): PipelineSpec["prompts"][number] {
    return this.spec.prompts[Math.floor(index / this.spec.perPrompt)]!;
  }

  private parser(): ToolCallParser | undefined {
    const tools = this.spec.toolCalls;
    return tools ? new ToolCallParser(tools.names, tools.single) : undefined;
  }
}
