/**
 * Where each task's split lives under `--data DIR`: the Hugging Face dataset repo mirrored as
 * `DIR/<owner>__<name>/`, in any of the layouts the hub has used for it (the first one is the one error messages
 * name). A layout is a folder and the split's file-name prefix inside it.
 */
export const datasetLayout: Readonly<Record<string, { repo: string; folders: readonly string[]; split: string }>> = {
  arc_challenge: { repo: "allenai/ai2_arc", folders: ["ARC-Challenge"], split: "test" },
  arc_easy: { repo: "allenai/ai2_arc", folders: ["ARC-Easy"], split: "test" },
  boolq: { repo: "aps/super_glue", folders: ["boolq"], split: "validation" },
  hellaswag: { repo: "Rowan/hellaswag", folders: ["data", "default/validation"], split: "validation" },
  openbookqa: { repo: "allenai/openbookqa", folders: ["main"], split: "test" },
  piqa: { repo: "baber/piqa", folders: ["data", "plain_text/validation"], split: "validation" },
  winogrande: { repo: "allenai/winogrande", folders: ["winogrande_xl", "winogrande_xl/validation"], split: "validation" },
  ...Object.fromEntries(
    ["aqua-rat", "logiqa-en", "lsat-ar", "lsat-lr", "lsat-rc", "sat-en", "sat-en-without-passage", "sat-math"].map((name) => [
      `agieval_${name.replaceAll("-", "_")}`,
      { repo: `dmayhem93/agieval-${name}`, folders: ["data", "default/test"], split: "test" },
    ]),
  ),
};
