/** Per task, the value of each metric. */
export type TaskValues = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface SuiteAverages {
  /** Mean over the GPT4All tasks of acc_norm where the task has it, else acc. */
  gpt4all?: number;
  /** Mean over the AGIEval tasks of acc_norm. */
  agieval?: number;
  /** Mean over the BigBench tasks of multiple_choice_grade (exact_str_match left out). */
  bigbench?: number;
}

const GPT4ALL = ["arc_challenge", "arc_easy", "boolq", "hellaswag", "openbookqa", "piqa", "winogrande"];

/**
 * The averages the model cards print, computed as their authors did: an unweighted mean over the suite's tasks
 * (not weighted by size). A suite is averaged only when all its tasks are present.
 */
export function suiteAverages(values: TaskValues): SuiteAverages {
  const tasks = Object.keys(values);
  const average = (names: readonly string[], metric: (task: string) => number | undefined): number | undefined => {
    const picked = names.map(metric);
    if (picked.length === 0 || picked.some((value) => value === undefined)) return undefined;
    return (picked as number[]).reduce((sum, value) => sum + value, 0) / picked.length;
  };
  const result: SuiteAverages = {};
  const gpt4all = average(GPT4ALL, (task) => values[task]?.acc_norm ?? values[task]?.acc);
  if (gpt4all !== undefined) result.gpt4all = gpt4all;
  const agievalTasks = tasks.filter((task) => task.startsWith("agieval_"));
  const agieval = agievalTasks.length === 8 ? average(agievalTasks, (task) => values[task]?.acc_norm) : undefined;
  if (agieval !== undefined) result.agieval = agieval;
  const bigbenchTasks = tasks.filter((task) => task.startsWith("bigbench_"));
  const bigbench = bigbenchTasks.length === 18 ? average(bigbenchTasks, (task) => values[task]?.multiple_choice_grade) : undefined;
  if (bigbench !== undefined) result.bigbench = bigbench;
  return result;
}
