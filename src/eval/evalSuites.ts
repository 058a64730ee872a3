import { taskSizes } from "./taskSizes.js";

const all = Object.keys(taskSizes);

/** The suites of the model cards, by the names `--tasks` accepts; tasks run and print in alphabetical order. */
export const evalSuites: Readonly<Record<string, readonly string[]>> = {
  gpt4all: ["arc_challenge", "arc_easy", "boolq", "hellaswag", "openbookqa", "piqa", "winogrande"],
  agieval: all.filter((task) => task.startsWith("agieval_")).sort(),
  bigbench: all.filter((task) => task.startsWith("bigbench_")).sort(),
};

/** Expands `--tasks` (suite names and task names, comma-separated) into sorted task names; throws on an unknown name. */
export function expandTasks(list: string): string[] {
  const tasks = new Set<string>();
  for (const name of list.split(",").map((part) => part.trim()).filter(Boolean)) {
    const suite = evalSuites[name];
    if (suite) suite.forEach((task) => tasks.add(task));
    else if (name in taskSizes) tasks.add(name);
    else throw new Error(`unknown task or suite '${name}' (suites: ${Object.keys(evalSuites).join(", ")}; or any of their tasks)`);
  }
  if (tasks.size === 0) throw new Error("--tasks names no task");
  return [...tasks].sort();
}
