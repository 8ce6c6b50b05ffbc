// Passes.td — the passes over the `recipe` dialect, declared in ODS.
//
// Contract: one def per pass in passes/, each an OperationPass on the module. mlir-tblgen
// makes from this file the base classes the passes derive from (GEN_PASS_DEF_<NAME>), their
// registration for recipe-opt (GEN_PASS_REGISTRATION, included by Passes.h) and
// docs/passes.md (-gen-pass-doc; the test Docs.CommittedPassDocIsCurrent keeps the committed
// copy current). The order the pipeline runs them in is Passes.h's (buildRecipePipeline),
// the order here. Every pass after resolve-imports works on the merged module and fails,
// naming itself, on IR that still has recipe.file ops. No pass has options.
#ifndef RECIPE_PASSES_TD
#define RECIPE_PASSES_TD

include "mlir/Pass/PassBase.td"

class Recipe_ModulePass<string argument> : Pass<argument, "::mlir::ModuleOp">;

def ResolveImports : Recipe_ModulePass<"resolve-imports"> {
  let summary = "Merge the recipe.file ops by the rules of use and extends";
  let description = [{
    Merges the `recipe.file` ops (one per source file) into one module. The precedence is
    the language's (compiler/sema/Loader.h, which the front end's checks use; the test
    MlirMerge.AgreesWithLoader keeps the two in step):

    - `extends "a"`: start from everything `a` declares; the file's own declarations
      override named ones by name, phases by name (an overridden phase keeps its place),
      train settings key by key, evaluations by (metric, dataset, split), events by
      trigger, the checkpoint policy as a whole;
    - `use "f"`: f's named declarations (let, tokenizer, dataset, mixture, model) come into
      scope unless the file declares the same name; two imports declaring one name is an
      error;
    - a name is looked up per kind: a dataset and a mixture may share a name.

    Output order is canonical (named declarations by kind, then name; then train, phases
    in run order, evaluations, checkpoint, events), so reordering declarations in a recipe
    does not change the IR.
  }];
  let constructor = "::recipec::ir::createResolveImportsPass()";
}

def ApplyOverrides : Recipe_ModulePass<"apply-overrides"> {
  let summary = "Apply --set values (recipe.override) to constants";
  let description = [{
    Each module-level `recipe.override` replaces the value of the `recipe.let` of its name.
    The let's location becomes the override's, so a later error about the value points at
    the `--set` that supplied it. An override of a name no let declares fails.
  }];
  let constructor = "::recipec::ir::createApplyOverridesPass()";
}

def InlineConstants : Recipe_ModulePass<"inline-constants"> {
  let summary = "Replace every use of a constant by its value";
  let description = [{
    Every `#recipe.const<@x>`, however deeply nested in other attributes (calls,
    dictionaries, conditions), becomes x's value; constants defined through other constants
    are resolved first, and a cycle fails. Let ops keep their (resolved) values: the plan
    records them. Each value keeps the constant it came from as a named part of its
    location, so `recipec diff` can point at the `let`.
  }];
  let constructor = "::recipec::ir::createInlineConstantsPass()";
}

def ExpandPresets : Recipe_ModulePass<"expand-presets"> {
  let summary = "Follow model preset chains and make every model field explicit";
  let description = [{
    `model net = gpt2_nano { layers: 4 }` follows net -> gpt2_nano -> gpt2, applies the
    fields from the architecture outwards (the model's own overrides win), fills the
    architecture's defaults, and types the fields (integers as i64, rates as f64). The
    defaults (the plan records every one; docs/plan.md lists them):

    - both: kv_heads = heads, norm_eps 1e-5, rope_theta 10000, init_std 0.02, dropout 0;
    - gpt2: d_ff = 4 d_model, vocab 50257, ctx 1024, tie_embeddings true;
    - llama: d_ff = 256 ceil(8 d_model / 3 / 256), vocab 32000, ctx 2048,
      tie_embeddings false.

    layers, d_model and heads have no default. Each field's location records where it was
    set (a default: the declaration based on the architecture), for `recipec diff`.
  }];
  let constructor = "::recipec::ir::createExpandPresetsPass()";
}

def ResolveTrain : Recipe_ModulePass<"resolve-train"> {
  let summary = "Turn the train block into an explicit recipe.train_config with defaults filled in";
  let description = [{
    Needs constants inlined. Reads each `recipe.setting` and fills what the recipe left out
    with the defaults the plan then records (docs/plan.md): micro_batch = batch, grad_clip
    1.0, adamw betas (0.9, 0.95), eps 1e-8, weight_decay 0, schedule constant with no
    warmup, min_lr 0, wsd decay 10% of the run, precision fp32, seed 0, no `total` (the
    phases say how long the run is). `batch 64k tokens` becomes sequences (it must divide
    by seq_len); `min_lr = 10%` becomes 10% of lr. A module without a train block (a
    library of presets) passes through unchanged; plan emission requires one.
  }];
  let constructor = "::recipec::ir::createResolveTrainPass()";
}

def NormaliseMixtures : Recipe_ModulePass<"normalise-mixtures"> {
  let summary = "Flatten mixtures of mixtures and scale weights to sum to 1";
  let description = [{
    Needs constants inlined. For every mixture and every `mix` rule:

    - entries naming a mixture are replaced by that mixture's (normalised) entries, scaled
      by the entry's weight: `{ english: 7, chinese: 1 }` over sub-mixtures becomes one
      flat list of datasets; a dataset reached twice gets the sum;
    - the start weights are scaled to sum to 1; with a schedule (`a: 0.2 -> 0.6`) the end
      weights are scaled to sum to 1 too, and every entry gets an explicit end;
    - a rule `mix @base` (or `mix web`, a single dataset) gets the weights copied in, and
      keeps the name for the plan.

    Fails on weights that sum to 0 and on a mixture that contains itself.
  }];
  let constructor = "::recipec::ir::createNormaliseMixturesPass()";
}

def ResolveDurations : Recipe_ModulePass<"resolve-durations"> {
  let summary = "Resolve steps, tokens and percentages to absolute optimizer steps where known";
  let description = [{
    Needs resolve-train (tokens need batch x seq_len). Fills `QuantityAttr.steps`:

    - steps: the value;
    - tokens: ceil(tokens / (batch_seqs x seq_len));
    - epochs: stays symbolic (-1): an epoch's length depends on the data's block count,
      which only the runtime has (and a phase after it starts at a symbolic step);
    - percent: phase lengths are of the whole run, known when the train block gives
      `total` in steps or tokens, or when every other phase is a `for` of known length
      (total = fixed / (1 - percent/100)), or when an `until` fixes the run's end (total =
      its point + the fixed phases after it); rule intervals are of the enclosing phase;
      evaluation and checkpoint intervals, warmup and decay are of the run; each only when
      that length is known.

    `total` itself resolves like a length (steps, tokens; epochs stay symbolic), and a
    `rest` phase then ends at it (see passes/Timeline.h). Also resolves count thresholds
    (`when step > 10k steps`). Rounds up, like the runtime (runtime/train/Timeline.cpp),
    so both halves agree on every boundary.
  }];
  let constructor = "::recipec::ir::createResolveDurationsPass()";
}

def ValidateRules : Recipe_ModulePass<"validate-rules"> {
  let summary = "Check that every rule and event is valid in its context";
  let description = [{
    The front end's checks (compiler/sema/CheckRules.cpp) catch all of these with better
    messages; this pass is the IR-level safety net for IR that did not come from a checked
    recipe (recipe-opt inputs, future front ends) and for what merging can create (an
    `extends` that moves a `rest` phase before another). Checks:

    - nothing follows a phase that runs for the `rest`;
    - `focus` and `drop` need a per-block table recorded by an earlier phase or an earlier
      rule of the same phase (`order` scores the blocks itself when nothing is recorded);
    - a percentile threshold only where blocks are ranked (focus, drop); a sigma threshold
      only on a running series (loss, grad_norm) and never to rank blocks;
    - `step` / `tokens` conditions compare with counts, others with plain numbers;
    - `val.ppl(d.val)` names a dataset with a held-out split;
    - after normalise-mixtures, mix weights name datasets only.
  }];
  let constructor = "::recipec::ir::createValidateRulesPass()";
}

def AssignPhaseRanges : Recipe_ModulePass<"assign-phase-ranges"> {
  let summary = "Give every phase its [start_step, end_step) where known, and the run its length";
  let description = [{
    Needs resolve-durations. Writes start_step/end_step on every phase whose range is known
    (see passes/Timeline.h) and the run's total steps on the train config when the whole
    run is known; what stays symbolic keeps no attribute and the runtime resolves it. Fails
    when an `until` point lies at or before the step its phase starts at, or a phase ends
    past the train block's `total`.
  }];
  let constructor = "::recipec::ir::createAssignPhaseRangesPass()";
}

def PruneUnused : Recipe_ModulePass<"prune-unused"> {
  let summary = "Drop models, mixtures and tokenizers nothing refers to";
  let description = [{
    `use "stdlib/models.recipe"` brings in every preset; the plan should list the model
    that trains, not the library. Removed: models the train config does not name (kept
    when there is no train config: a preset library compiled on its own keeps its models),
    mixtures no rule or kept mixture names, tokenizers no dataset uses. Datasets and
    constants stay: a phase without a `mix` trains on every dataset, and the plan records
    every constant.
  }];
  let constructor = "::recipec::ir::createPruneUnusedPass()";
}

#endif  // RECIPE_PASSES_TD
