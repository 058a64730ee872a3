import assert from "node:assert/strict";
import { test } from "node:test";
import { agievalDocument } from "../../src/eval/tasks/agievalDocument.js";
import { bigbenchDocument, postprocessGeneration } from "../../src/eval/tasks/bigbenchDocument.js";
import { gpt4allDocuments } from "../../src/eval/tasks/gpt4allDocuments.js";

test("arc: 'Question: …\\nAnswer:', a leading space on each choice, numeric answer keys as letters", () => {
  const doc = gpt4allDocuments.arc({
    question: "Which gas do plants absorb?",
    choices: { text: ["Oxygen", "Nitrogen", "Carbon dioxide"], label: ["1", "2", "3"] },
    answerKey: "3",
  });
  assert.deepEqual(doc.requests, [
    { context: "Question: Which gas do plants absorb?\nAnswer:", continuation: " Oxygen" },
    { context: "Question: Which gas do plants absorb?\nAnswer:", continuation: " Nitrogen" },
    { context: "Question: Which gas do plants absorb?\nAnswer:", continuation: " Carbon dioxide" },
  ]);
  assert.deepEqual(doc.score([-9, -9, -8]), { acc: 1, acc_norm: 1 });
  // "Oxygen" wins by sum (−2.9); per character "Carbon dioxide" does (−6/14 ≈ −0.43 against −2.9/6 ≈ −0.48)
  assert.deepEqual(doc.score([-2.9, -9, -6]), { acc: 0, acc_norm: 1 });
});

test("boolq: passage, question and '?\\nAnswer:'; ' yes' against ' no', a tie meaning no", () => {
  const doc = gpt4allDocuments.boolq({ passage: "Water boils at 100 C at sea level.", question: "does water boil at 100 c", label: 1 });
  assert.deepEqual(doc.requests, [
    { context: "Water boils at 100 C at sea level.\nQuestion: does water boil at 100 c?\nAnswer:", continuation: " yes" },
    { context: "Water boils at 100 C at sea level.\nQuestion: does water boil at 100 c?\nAnswer:", continuation: " no" },
  ]);
  assert.deepEqual(doc.score([-1, -2]), { acc: 1 });
  assert.deepEqual(doc.score([-2, -2]), { acc: 0 });
  assert.deepEqual(gpt4allDocuments.boolq({ passage: "p", question: "q", label: false }).score([-2, -2]), { acc: 1 });
});

test("hellaswag: the harness's example document, query and endings preprocessed", () => {
  const doc = gpt4allDocuments.hellaswag({
    activity_label: "Home and Garden",
    ctx_a: "[header] How to clean a grill [title] Heat the grill on high. [step] Close the lid",
    ctx_b: "and wait 15 MINUTES.",
    endings: ["  [substeps] Scrub   the grates.  ", "Eat the grill.", "Paint it.", "Sell it."],
    label: "0",
  });
  assert.equal(doc.requests[0]!.context, "Home and Garden: How to clean a grill. Heat the grill on high. Close the lid And wait 15 minutes.");
  assert.equal(doc.requests[0]!.continuation, "  Scrub  the grates.");
  // acc_norm divides by the preprocessed ending's 19 characters: −15/19 ≈ −0.79 beats "Eat the grill." −14/14
  assert.deepEqual(doc.score([-15, -14, -30, -30]), { acc: 0, acc_norm: 1 });
});

test("openbookqa (the stem alone) and piqa ('Question: …\\nAnswer:')", () => {
  const obqa = gpt4allDocuments.openbookqa({
    question_stem: "The sun is",
    choices: { text: ["a star", "a moon", "a rock", "a comet"], label: ["A", "B", "C", "D"] },
    answerKey: "A ",
  });
  assert.deepEqual(obqa.requests[0], { context: "The sun is", continuation: " a star" });
  assert.deepEqual(obqa.score([-1, -5, -5, -5]), { acc: 1, acc_norm: 1 });
  const piqa = gpt4allDocuments.piqa({ goal: "Open a jar", sol1: "Twist the lid.", sol2: "Eat the lid.", label: 1 });
  assert.deepEqual(piqa.requests.map((r) => r.context + r.continuation), ["Question: Open a jar\nAnswer: Twist the lid.", "Question: Open a jar\nAnswer: Eat the lid."]);
});

test("winogrande: each option fills the blank in its own context; the rest is the shared continuation", () => {
  const doc = gpt4allDocuments.winogrande({
    sentence: "The trophy doesn't fit into the brown suitcase because the _ is too large. ",
    option1: "trophy",
    option2: "suitcase",
    answer: "1",
  });
  assert.deepEqual(doc.requests, [
    { context: "The trophy doesn't fit into the brown suitcase because the trophy", continuation: " is too large." },
    { context: "The trophy doesn't fit into the brown suitcase because the suitcase", continuation: " is too large." },
  ]);
  assert.deepEqual(doc.score([-1, -2]), { acc: 1 });
  assert.deepEqual(doc.score([-2, -2]), { acc: 1 }, "a tie picks option 1");
  assert.deepEqual(doc.score([-3, -2]), { acc: 0 });
});

test("agieval: the query verbatim, lettered choices with a leading space, a list of right answers", () => {
  const doc = agievalDocument({
    query: "Q: 1+1? Answer Choices: (A)1 (B)2\nA: Among A through B, the answer is",
    choices: ["(A)1", "(B)2"],
    gold: [1],
  });
  assert.deepEqual(doc.requests[1], { context: "Q: 1+1? Answer Choices: (A)1 (B)2\nA: Among A through B, the answer is", continuation: " (B)2" });
  assert.deepEqual(doc.score([-4, -1]), { acc: 1, acc_norm: 1 });
});

test("bigbench: disambiguation_qa's first document, exactly as the harness prompts it", () => {
  const doc = bigbenchDocument(
    {
      task_prefix:
        "In the following sentences, explain the antecedent of the pronoun (which thing the pronoun refers to), or state that it is ambiguous.\n",
      example_input_prefix: "\nSentence: ",
      example_output_prefix: "\nPronoun identification: ",
    },
    {
      input: "After meeting with the producers, Sam went to his office.",
      target_scores: [
        ["The office was the producers' office", 0],
        ["The office was Sam's office", 1],
        ["Ambiguous", 0],
      ],
    },
  );
  assert.equal(
    doc.requests[0]!.context,
    "In the following sentences, explain the antecedent of the pronoun (which thing the pronoun refers to), or state that it is ambiguous.\n\nSentence: After meeting with the producers, Sam went to his office.\n  choice: Ambiguous\n  choice: The office was Sam's office\n  choice: The office was the producers' office\nPronoun identification: ",
  );
  assert.deepEqual(
    doc.requests.map((r) => r.continuation),
    ["The office was the producers' office", "The office was Sam's office", "Ambiguous"],
    "requests in the file's key order, no leading space",
  );
  assert.deepEqual(doc.score([-9, -1, -5]), { multiple_choice_grade: 1 });
  assert.deepEqual(doc.score([-1, -9, -5]), { multiple_choice_grade: 0 });
});

test("bigbench: defaults ('\\nQ: ', '\\nA: '), choices shown in numpy's shuffled order, or not shown", () => {
  const example = { input: "Pick one.", target_scores: [["d", 0], ["b", 1], ["a", 0], ["c", 0]] as Array<[string, number]> };
  // 4 choices: numpy's permutation [1, 3, 0, 2] of the sorted keys a, b, c, d
  assert.equal(bigbenchDocument({}, example).requests[0]!.context, "\nQ: Pick one.\n  choice: b\n  choice: d\n  choice: a\n  choice: c\nA: ");
  const hidden = bigbenchDocument(
    { task_prefix: "How would a typical person answer each of the following questions about causation?\n\n", append_choices_to_input: false },
    example,
  );
  assert.equal(hidden.requests[0]!.context, "How would a typical person answer each of the following questions about causation?\n\n\nQ: Pick one.\nA: ");
});

test("bigbench exact_str_match: a greedy generation, cut as the harness cuts it, compared with the target", () => {
  assert.equal(postprocessGeneration("hexagon. It has six sides", {}), "hexagon");
  assert.equal(postprocessGeneration("\nsquare\n", {}), "square", "the first run of allowed characters");
  assert.equal(postprocessGeneration("a".repeat(200), {}), "a".repeat(128), "128 characters at most");
  assert.equal(postprocessGeneration("?!", {}), "");
  assert.equal(postprocessGeneration("yes STOP more", { stop_string: "STOP", output_regex: "[a-zA-Z ]+" }), "yes STOP");
  const doc = bigbenchDocument(
    { metrics: ["multiple_choice_grade", "exact_str_match"] },
    { input: "This SVG path draws a", target_scores: [["circle", 1], ["square", 0]], target: "circle" },
  );
  assert.deepEqual(doc.generate, { context: "\nQ: This SVG path draws a\n  choice: square\n  choice: circle\nA: ", maxTokens: 128 });
  assert.deepEqual(doc.score([-1, -2], "circle. Yes."), { multiple_choice_grade: 1, exact_str_match: 1 });
  assert.deepEqual(doc.score([-2, -1], "a circle, I think"), { multiple_choice_grade: 0, exact_str_match: 0 });
  assert.equal(bigbenchDocument({}, { input: "x", target_scores: [["a", 1]] }).generate, undefined, "only when the file asks for it");
});
