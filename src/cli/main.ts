/** A command's module, imported when the command runs: `hermes serve --port x` need not load the bench or llama.cpp's bindings of the others. */
interface CommandModule {
  run(args: string[]): Promise<number>;
  usage: string;
}

const commands: Record<string, () => Promise<CommandModule>> = {
  serve: async () => {
    const m = await import("./serveCommand.js");
    return { run: m.serveCommand, usage: m.serveUsage };
  },
  chat: async () => {
    const m = await import("./chatCommand.js");
    return { run: m.chatCommand, usage: m.chatUsage };
  },
  pull: async () => {
    const m = await import("./pullCommand.js");
    return { run: m.pullCommand, usage: m.pullUsage };
  },
  models: async () => {
    const m = await import("./modelsCommand.js");
    return { run: m.modelsCommand, usage: m.modelsUsage };
  },
  rm: async () => {
    const m = await import("./rmCommand.js");
    return { run: m.rmCommand, usage: m.rmUsage };
  },
  synth: async () => {
    const m = await import("./synthCommand.js");
    return { run: m.synthCommand, usage: m.synthUsage };
  },
  eval: async () => {
    const m = await import("./evalCommand.js");
    return { run: m.evalCommand, usage: m.evalUsage };
  },
  bench: async () => {
    const m = await import("./benchCommand.js");
    return { run: m.benchCommand, usage: m.benchUsage };
  },
  stress: async () => {
    const m = await import("./stressCommand.js");
    return { run: m.stressCommand, usage: m.stressUsage };
  },
};

async function usage(): Promise<string> {
  const modules = await Promise.all(Object.values(commands).map((load) => load()));
  return `hermes <command> [options]\n\n${modules.map((m) => m.usage).join("\n\n")}`;
}

/** Runs one CLI command; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(await usage());
    return name === undefined ? 1 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`unknown command '${name}'\n\n${await usage()}`);
    return 1;
  }
  return (await load()).run(args);
}
