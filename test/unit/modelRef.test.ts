import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultModelsDir } from "../../src/models/defaultModelsDir.js";
import { formatBytes } from "../../src/models/formatBytes.js";
import { hubEndpoint } from "../../src/models/hubEndpoint.js";
import type { HubFile } from "../../src/models/HubFile.js";
import { parseModelRef } from "../../src/models/parseModelRef.js";
import { quantizationOf } from "../../src/models/quantizationOf.js";
import { selectRepoFiles } from "../../src/models/selectRepoFiles.js";
import { splitPartNames, splitPartOf } from "../../src/models/splitParts.js";

test("parseModelRef: hf: repo with a quantization (upper-cased, Q4_K_M by default), hf: file, URL, catalogue name, path", () => {
  assert.deepEqual(parseModelRef("hf:TheBloke/Llama-2-7B-GGUF:q8_0"), { kind: "hf-quant", repo: "TheBloke/Llama-2-7B-GGUF", quant: "Q8_0", text: "hf:TheBloke/Llama-2-7B-GGUF:Q8_0" });
  assert.deepEqual(parseModelRef("hf:TheBloke/Llama-2-7B-GGUF"), { kind: "hf-quant", repo: "TheBloke/Llama-2-7B-GGUF", quant: "Q4_K_M", text: "hf:TheBloke/Llama-2-7B-GGUF:Q4_K_M" });
  assert.deepEqual(parseModelRef("hf:o/r/Q4_K_M/m-00001-of-00002.gguf"), { kind: "hf-file", repo: "o/r", file: "Q4_K_M/m-00001-of-00002.gguf", text: "hf:o/r/Q4_K_M/m-00001-of-00002.gguf" });
  assert.deepEqual(parseModelRef("https://example.com/a/b.gguf?download=1"), { kind: "url", url: "https://example.com/a/b.gguf?download=1", text: "https://example.com/a/b.gguf?download=1" });
  assert.deepEqual(parseModelRef("nous-hermes-llama2-13b"), { kind: "hf-quant", repo: "TheBloke/Nous-Hermes-Llama2-GGUF", quant: "Q4_K_M", text: "nous-hermes-llama2-13b:Q4_K_M" });
  assert.deepEqual(parseModelRef("Nous-Hermes-Llama2-7B:q8_0"), { kind: "hf-quant", repo: "TheBloke/Nous-Hermes-Llama-2-7B-GGUF", quant: "Q8_0", text: "nous-hermes-llama2-7b:Q8_0" });
  assert.deepEqual(parseModelRef("models/my.gguf"), { kind: "path", path: "models/my.gguf" });
  assert.deepEqual(parseModelRef("C:\\models\\my.gguf"), { kind: "path", path: "C:\\models\\my.gguf" });
});

test("parseModelRef: a malformed reference is an error that shows the forms", () => {
  for (const text of ["hf:", "hf:owner", "hf:o/r:Q4:K", "hf:o/r:Q4-K", "hf:o/r/../x.gguf", "hf:o/r/dir//x.gguf", "hf:o w/r"]) {
    assert.throws(() => parseModelRef(text), /is not a Hugging Face reference: use hf:OWNER\/REPO:QUANT or hf:OWNER\/REPO\/PATH\.gguf/, text);
  }
  assert.throws(() => parseModelRef("hf:o/r/README.md"), /the file must be a \.gguf/);
  assert.throws(() => parseModelRef("https://example.com/model.bin"), /a model URL must name a \.gguf file/);
  assert.throws(() => parseModelRef("nous-hermes-llama2-13b:Q4:x"), /a catalogue model is NAME or NAME:QUANT/);
});

test("quantizationOf reads the quantization between separators, split suffix ignored", () => {
  const cases: Array<[string, string | undefined]> = [
    ["nous-hermes-llama2-13b.Q4_K_M.gguf", "Q4_K_M"],
    ["Q8_0/model-Q8_0-00001-of-00002.gguf", "Q8_0"],
    ["llama-2-7b.q4_0.gguf", "Q4_0"],
    ["model-IQ4_XS.gguf", "IQ4_XS"],
    ["ggml-model-f16.gguf", "F16"],
    ["model-bf16.gguf", "BF16"],
    ["tiny.F32.gguf", "F32"],
    ["model.gguf", undefined],
    ["llama-2-13b-chat.gguf", undefined],
  ];
  for (const [name, quant] of cases) assert.equal(quantizationOf(name), quant, name);
});

test("splitParts: a split GGUF's part and all its parts' names; a whole file is its own one part", () => {
  assert.deepEqual(splitPartOf("dir/m.Q4_0-00002-of-00003.gguf"), { part: 2, parts: 3, stem: "dir/m.Q4_0" });
  assert.equal(splitPartOf("m-00004-of-00003.gguf"), undefined);
  assert.deepEqual(splitPartNames("dir/m-00002-of-00003.gguf"), ["dir/m-00001-of-00003.gguf", "dir/m-00002-of-00003.gguf", "dir/m-00003-of-00003.gguf"]);
  assert.deepEqual(splitPartNames("m.gguf"), ["m.gguf"]);
});

const repoFiles: HubFile[] = [
  { path: "README.md", size: 10 },
  { path: "m.Q4_K_M.gguf", size: 100, sha256: "a" },
  { path: "m.Q8_0.gguf", size: 200, sha256: "b" },
  { path: "m.Q4_K_S.gguf", size: 90, sha256: "c" },
  { path: "Q6_K/m.Q6_K-00001-of-00002.gguf", size: 50, sha256: "d" },
  { path: "Q6_K/m.Q6_K-00002-of-00002.gguf", size: 60, sha256: "e" },
  { path: "broken.Q2_K-00001-of-00002.gguf", size: 5, sha256: "f" },
];

test("selectRepoFiles: by quantization (not a prefix of another), by path, every part of a split GGUF in order", () => {
  assert.deepEqual(selectRepoFiles("o/r", repoFiles, { quant: "Q4_K_M" }).map((file) => file.path), ["m.Q4_K_M.gguf"]);
  assert.deepEqual(selectRepoFiles("o/r", repoFiles, { quant: "Q6_K" }).map((file) => file.path), ["Q6_K/m.Q6_K-00001-of-00002.gguf", "Q6_K/m.Q6_K-00002-of-00002.gguf"]);
  assert.deepEqual(selectRepoFiles("o/r", repoFiles, { file: "Q6_K/m.Q6_K-00002-of-00002.gguf" }).map((file) => file.sha256), ["d", "e"]);
  assert.deepEqual(selectRepoFiles("o/r", repoFiles, { file: "m.Q8_0.gguf" }), [{ path: "m.Q8_0.gguf", size: 200, sha256: "b" }]);
});

test("selectRepoFiles: what is missing is said with what the repo has", () => {
  assert.throws(() => selectRepoFiles("o/r", repoFiles, { quant: "Q5_K_M" }), { message: "o/r has no GGUF with quantization Q5_K_M; the repo has: Q2_K, Q4_K_M, Q4_K_S, Q6_K, Q8_0" });
  assert.throws(() => selectRepoFiles("o/r", repoFiles, { quant: "Q4_K" }), /has no GGUF with quantization Q4_K;/);
  assert.throws(() => selectRepoFiles("o/r", repoFiles, { file: "x.gguf" }), /o\/r has no file x\.gguf; its GGUF files: m\.Q4_K_M\.gguf, /);
  assert.throws(() => selectRepoFiles("o/r", repoFiles, { quant: "Q2_K" }), { message: "o/r: broken.Q2_K-00001-of-00002.gguf is split in 2 parts, but broken.Q2_K-00002-of-00002.gguf is missing from the repo" });
  assert.throws(() => selectRepoFiles("o/r", [{ path: "README.md", size: 1 }], { quant: "Q4_K_M" }), { message: "o/r holds no GGUF file" });
  const twice: HubFile[] = [{ path: "a.Q4_0.gguf", size: 1 }, { path: "b.Q4_0.gguf", size: 1 }];
  assert.throws(() => selectRepoFiles("o/r", twice, { quant: "Q4_0" }), { message: "o/r has 2 GGUFs with quantization Q4_0: name one, hf:o/r/a.Q4_0.gguf or hf:o/r/b.Q4_0.gguf" });
});

test("hubEndpoint and defaultModelsDir read the environment as node-llama-cpp and the README say", () => {
  assert.equal(hubEndpoint({}), "https://huggingface.co/");
  assert.equal(hubEndpoint({ HF_ENDPOINT: "http://127.0.0.1:5000" }), "http://127.0.0.1:5000/");
  assert.equal(hubEndpoint({ HF_ENDPOINT: "http://a/", MODEL_ENDPOINT: "https://b" }), "https://b/");
  assert.equal(hubEndpoint({ HF_ENDPOINT: "not a url" }), "https://huggingface.co/");
  assert.equal(defaultModelsDir({ HERMES_HOME: "/srv/hermes" }), "/srv/hermes/models");
  assert.match(defaultModelsDir({}), /\/\.cache\/hermes-serve\/models$/);
});

test("formatBytes: decimal units, three significant digits", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(17_536_384), "17.5 MB");
  assert.equal(formatBytes(7_866_071_232), "7.87 GB");
  assert.equal(formatBytes(123_456_789), "123 MB");
});
