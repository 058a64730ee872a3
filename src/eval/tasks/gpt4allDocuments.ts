import { hellaswagPreprocess, pythonCapitalize } from "../hellaswagPreprocess.js";
import { pythonStrip } from "../pythonStrip.js";
import { multipleChoiceDocument } from "./multipleChoiceDocument.js";
import type { TaskDocument } from "./TaskDocument.js";

interface ChoicesField {
  text: readonly string[];
  label: readonly string[];
}

/** The GPT4All suite's documents, from the rows of the datasets the harness reads (Hugging Face field names). */
export const gpt4allDocuments = {
  /** arc_challenge / arc_easy (allenai/ai2_arc, test). Answer keys "1".."5" stand for "A".."E". */
  arc(row: { question: string; choices: ChoicesField; answerKey: string }): TaskDocument {
    const key = ({ "1": "A", "2": "B", "3": "C", "4": "D", "5": "E" } as Record<string, string>)[row.answerKey] ?? row.answerKey;
    return multipleChoiceDocument(`Question: ${row.question}\nAnswer:`, row.choices.text, ["A", "B", "C", "D", "E"].indexOf(key));
  },

  /** boolq (super_glue boolq, validation): " yes" against " no"; a tie predicts "no". */
  boolq(row: { passage: string; question: string; label: number | boolean }): TaskDocument {
    const context = `${row.passage}\nQuestion: ${row.question}?\nAnswer:`;
    return {
      requests: [
        { context, continuation: " yes" },
        { context, continuation: " no" },
      ],
      gold: Boolean(row.label) ? 0 : 1,
      score: ([yes, no]) => ({ acc: (yes! > no!) === Boolean(row.label) ? 1 : 0 }),
    };
  },

  /** hellaswag (Rowan/hellaswag, validation), query and endings through the harness's preprocessing. */
  hellaswag(row: { activity_label: string; ctx_a: string; ctx_b: string; endings: readonly string[]; label: string | number }): TaskDocument {
    const context = hellaswagPreprocess(`${row.activity_label}: ${row.ctx_a} ${pythonCapitalize(row.ctx_b)}`);
    return multipleChoiceDocument(context, row.endings.map(hellaswagPreprocess), Number(row.label));
  },

  /** openbookqa (allenai/openbookqa main, test): the question stem alone. */
  openbookqa(row: { question_stem: string; choices: ChoicesField; answerKey: string }): TaskDocument {
    return multipleChoiceDocument(row.question_stem, row.choices.text, ["A", "B", "C", "D"].indexOf(pythonStrip(row.answerKey)));
  },

  /** piqa (validation). */
  piqa(row: { goal: string; sol1: string; sol2: string; label: number }): TaskDocument {
    return multipleChoiceDocument(`Question: ${row.goal}\nAnswer:`, [row.sol1, row.sol2], row.label);
  },

  /**
   * winogrande (winogrande_xl, validation), partial evaluation: each option fills the blank in its own context and
   * the rest of the sentence is the shared continuation. A tie picks option 1.
   */
  winogrande(row: { sentence: string; option1: string; option2: string; answer: string }): TaskDocument {
    const blank = row.sentence.indexOf("_");
    const continuation = ` ${pythonStrip(row.sentence.slice(blank + 1))}`;
    const before = row.sentence.slice(0, blank);
    const gold = { "1": 0, "2": 1 }[row.answer as "1" | "2"];
    return {
      requests: [row.option1, row.option2].map((option) => ({ context: before + option, continuation })),
      gold,
      score: ([first, second]) => ({ acc: (second! > first! ? 1 : 0) === gold ? 1 : 0 }),
    };
  },
};
