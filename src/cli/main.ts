import { benchCommand, benchUsage } from "./benchCommand.js";
import { chatCommand, chatUsage } from "./chatCommand.js";
import { evalCommand, evalUsage } from "./evalCommand.js";
import { serveCommand, serveUsage } from "./serveCommand.js";
import { stressCommand, stressUsage } from "./stressCommand.js";
import { synthCommand, synthUsage } from "./synthCommand.js";

const commands: Record<string, (args: string[]) => Promise<number>> = {
  serve: serveCommand,
  chat: chatCommand,
  synth: synthCommand,
  bench: benchCommand,
  eval: evalCommand,
  stress: stressCommand,
};

const usage = `hermes <command> [options]

${serveUsage}

${chatUsage}

${synthUsage}

${evalUsage}

${benchUsage}

${stressUsage}`;

/** Runs one CLI command; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(usage);
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`unknown command '${name}'\n\n${usage}`);
    return 1;
  }
  return command(args);
}
