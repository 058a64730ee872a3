import type { ChatRun, ChatWorkload } from "./ChatWorkload.js";
import { ConcurrencyTally, type ConcurrencyResult } from "./ConcurrencyTally.js";
import { concurrentStreams } from "./concurrentStreams.js";
import type { Peer } from "./connectPeer.js";
import { sharedPrefixTtft } from "./sharedPrefixTtft.js";
import { singleStreamDecode } from "./singleStreamDecode.js";
import { warmUp } from "./warmUp.js";

/** What the serving scenarios measured on a peer; the fields are named as hermes' own in ModelBenchResult. */
export interface PeerResult {
  /** As given to --peer, the API's base URL, and the model measured. */
  url: string;
  apiUrl: string;
  modelId: string;
  /** How completion tokens were counted: from the peer's usage, or one per text chunk when it sends none. */
  tokensCountedBy: "usage" | "chunks";
  /** Why its measurement stopped early (the figures before it are kept); absent when it ran through. */
  failed?: string;
  decodeHttp: number[];
  concurrency: ConcurrencyResult[];
  ttftCold: number[];
  ttftWarm: number[];
  /** Cached tokens the warm requests' usage reported (null: the peer says nothing of them). */
  warmCachedTokens: Array<number | null>;
  chat: ChatRun[];
}

/** What one run of the serving scenarios sends, the same to hermes and to every peer. */
export interface RoundPlan {
  run: number;
  decodePrompt: string;
  /** One single-stream decode per seed. */
  decodeSeeds: number[];
  decodeTokens: number;
  streams: readonly number[];
  streamTokens: number;
  /** One cold and warm TTFT pair per system prompt. */
  ttftSystems: string[];
}

/**
 * The serving scenarios against one peer, a round at a time (the caller alternates rounds with hermes'). A failure
 * (unreachable, an error answer, no answer in time: each request is bounded) ends the peer's measurement with the
 * reason in `failed`, and the bench goes on with hermes and the other peers.
 */
export class PeerRounds {
  readonly result: PeerResult;
  private readonly tallies: ConcurrencyTally[];

  constructor(
    private readonly peer: Peer,
    streams: readonly number[],
  ) {
    this.tallies = streams.map((n) => new ConcurrencyTally(n));
    this.result = {
      url: peer.url,
      apiUrl: peer.apiUrl,
      modelId: peer.modelId,
      tokensCountedBy: "usage",
      decodeHttp: [],
      concurrency: [],
      ttftCold: [],
      ttftWarm: [],
      warmCachedTokens: [],
      chat: [],
    };
  }

  get failed(): boolean {
    return this.result.failed !== undefined;
  }

  /** The untimed first request; it also tells whether the peer reports usage when streaming. */
  warmUp(): Promise<void> {
    return this.guard("warm-up", async () => {
      if (!(await warmUp(this.peer)).usageReported) this.result.tokensCountedBy = "chunks";
    });
  }

  /** One run of the compared scenarios; `step` after each, as hermes' round reports its own. */
  round(plan: RoundPlan, step: (what: string) => void): Promise<void> {
    return this.guard(`run ${plan.run + 1}`, async () => {
      for (const seed of plan.decodeSeeds) this.result.decodeHttp.push(await singleStreamDecode(this.peer, plan.decodePrompt, plan.decodeTokens, { seed }));
      step("peer: decode");
      for (const [index, streams] of plan.streams.entries()) {
        this.tallies[index]!.add(await concurrentStreams(this.peer, plan.run, streams, plan.streamTokens));
        step(`peer: ${streams} concurrent streams`);
      }
      for (const [sample, system] of plan.ttftSystems.entries()) {
        const ttft = await sharedPrefixTtft(this.peer, system, sample);
        this.result.ttftCold.push(ttft.coldMs);
        this.result.ttftWarm.push(ttft.warmMs);
        this.result.warmCachedTokens.push(ttft.warmCachedTokens ?? null);
        step("peer: time to first token");
      }
    });
  }

  chat(workload: ChatWorkload, onTurn: () => void): Promise<void> {
    return this.guard("chat workload", async () => {
      this.result.chat.push(await workload.runOn(this.peer, "peer", onTurn));
    });
  }

  /** The result, with the concurrency figures summed up over the rounds. */
  finish(): PeerResult {
    this.result.concurrency = this.tallies.map((tally) => tally.result());
    return this.result;
  }

  private async guard(what: string, work: () => Promise<void>): Promise<void> {
    if (this.failed) return;
    try {
      await work();
    } catch (error) {
      this.result.failed = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}
