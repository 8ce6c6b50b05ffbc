// Resolve.h — from what a user types after `recipec eval` / `recipec analyze` to checkpoints
// and datasets (no LibTorch: the CLI does this before it starts the runtime).
//
// Checkpoints (resolveCheckpoint):
//   RUN_DIR          a run directory (it has plan.json): its model.safetensors (the final
//                    weights) when present, else its newest checkpoint folder
//   CHECKPOINT_DIR   runs/x/checkpoints/step_00000500 (MANIFEST.json is verified by the
//                    runtime); the plan is the run's, two folders up
//   FILE.safetensors the plan from --plan, else plan.json beside it or two folders up
// The model config is the plan's `train.model`; the checkpoint's tokenizer is the one its
// plan's datasets use. The step comes from the folder's MANIFEST.json or the safetensors
// metadata ("step"); -1 when neither says.
//
// Datasets (resolveDataset), in the order tried:
//   NAME=GLOB | GLOB text files (a GLOB has `/`, `*` or `?`, or names a file): every
//                    document, tokenized with the checkpoint's tokenizer; JSON lines read
//                    their "text" field
//   NAME | NAME.val  the held-out split of dataset NAME of the checkpoints' plans (A's first,
//                    then B's, then each --datasets-from): its `split val "GLOB"` files or its
//                    `split val N%` documents
//   NAME.train       that dataset's training documents
// Every failure is an AnalyzeError (exit 1) naming the checkpoint or dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/analyze/EvalJob.h"
#include "runtime/plan/Plan.h"

namespace recipec::analyze {

struct AnalyzeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CheckpointRef {
  std::string label;               // as the user gave it
  std::string weights;             // model.safetensors
  std::string verify_folder;       // a checkpoint folder (MANIFEST.json), or ""
  std::string plan_path;
  plan::Plan plan;
  plan::Model model;
  std::optional<plan::Tokenizer> tokenizer;  // path resolved against the plan's base_dir
  int64_t step = -1;
};

CheckpointRef resolveCheckpoint(const std::string& arg, const std::string& plan_override = "");

// A run directory or a plan.json (`--datasets-from`).
plan::Plan readPlanSource(const std::string& path);

struct DatasetRef {
  std::string name;                // shown: "science", "english.train", "web"
  std::string split;               // "val" | "train" | "all" (shown)
  JobDataset job;                  // what the runtime opens
};

DatasetRef resolveDataset(const std::string& spec, const std::vector<const plan::Plan*>& sources,
                          const CheckpointRef& ck);

// The dataset must be tokenized as the checkpoint was trained: same tokenizer files.
void checkTokenizer(const DatasetRef& d, const CheckpointRef& ck);

// A and B must be the same model shape (arch, layers, heads, widths, vocabulary).
void checkSameArchitecture(const CheckpointRef& a, const CheckpointRef& b);

// The datasets a checkpoint's plan trains on (those its `mix` rules give weight; all of its
// datasets when it has none), as `NAME.train` specs: analyze's default similarity reference.
std::vector<std::string> trainingDatasets(const plan::Plan& plan);

std::vector<std::string> splitComma(const std::string& list);

}  // namespace recipec::analyze
