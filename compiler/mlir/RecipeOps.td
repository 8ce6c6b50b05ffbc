// RecipeOps.td — the ops of the `recipe` dialect.
//
// Contract: two stages share these ops. As written (MLIRGen): one `recipe.file` per source
// file holding that file's declarations, values may be `#recipe.const<@x>`, models name their
// base, the train block is a list of `recipe.setting`s. Resolved (after the pipeline in
// Passes.h): no files, no constants, models fully explicit, one `recipe.train_config`,
// quantities carry their step counts where known, phases carry their step ranges. Verifiers
// check what holds at both stages and what the stage a value is in makes checkable (a
// weight that is still a constant is not checked yet). Messages carry the offending values.
#ifndef RECIPE_OPS_TD
#define RECIPE_OPS_TD

include "RecipeDialect.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

class Recipe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Recipe_Dialect, mnemonic, traits>;

// A reference to another declaration; checked by kind once the module is merged.
defvar Recipe_RefUser = DeclareOpInterfaceMethods<SymbolUserOpInterface>;

//===----------------------------------------------------------------------===//
// Files and imports
//===----------------------------------------------------------------------===//

def Recipe_FileOp : Recipe_Op<"file", [NoTerminator, SingleBlock]> {
  let summary = "the declarations of one source file, before `resolve-imports`";
  let description = [{
    MLIRGen emits one `recipe.file` for every file the recipe loads: the root (marked
    `root`), each file it `use`s and the file it `extends`. `resolve-imports` merges them by
    the language's rules (docs/language.md, compiler/sema/Loader.h) and erases them.

    ```mlir
    recipe.file "stdlib/models.recipe" {
      recipe.model @gpt2_nano = "gpt2" {d_model = 1.28e+02, heads = 4.0, layers = 4.0}
    }
    recipe.file "recipes/ablation.recipe" root recipe "ablation" extends "recipes/lfr.recipe" {
      recipe.import "stdlib/models.recipe"
      recipe.let @lr = 3.0e-04
    }
    ```
  }];
  let arguments = (ins StrAttr:$path, UnitAttr:$root, OptionalAttr<StrAttr>:$recipe_name,
                       OptionalAttr<StrAttr>:$extends);
  let regions = (region AnyRegion:$body);
  let assemblyFormat = [{
    $path (`root` $root^)? (`recipe` $recipe_name^)? (`extends` $extends^)?
    attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
}

def Recipe_ImportOp : Recipe_Op<"import", [HasParent<"FileOp">]> {
  let summary = "`use \"f.recipe\"`: the file's named declarations come into scope";
  let description = [{
    The path is the imported file's resolved path, the same string as its `recipe.file`.

    ```mlir
    recipe.import "stdlib/models.recipe"
    ```
  }];
  let arguments = (ins StrAttr:$path);
  let assemblyFormat = "$path attr-dict";
}

//===----------------------------------------------------------------------===//
// Named declarations
//===----------------------------------------------------------------------===//

def Recipe_LetOp : Recipe_Op<"let"> {
  let summary = "`let lr = 6e-4`: a named constant";
  let description = [{
    The value is any attribute (number, string, quantity, call, ...). `apply-overrides`
    replaces it with a `--set` value; `inline-constants` substitutes it for every
    `#recipe.const<@name>`. The ops stay in the resolved module: the plan records them.

    ```mlir
    recipe.let @lr = 6.000000e-04
    ```
  }];
  let arguments = (ins SymbolNameAttr:$name, AnyAttr:$value);
  let assemblyFormat = "$name `=` $value attr-dict";
}

def Recipe_OverrideOp : Recipe_Op<"override"> {
  let summary = "`--set lr=3e-4` from the command line";
  let description = [{
    Emitted by MLIRGen at module level, consumed by `apply-overrides`, which fails when no
    constant of that name exists.

    ```mlir
    recipe.override @lr = 3.000000e-04
    ```
  }];
  let arguments = (ins SymbolNameAttr:$name, AnyAttr:$value);
  let assemblyFormat = "$name `=` $value attr-dict";
}

def Recipe_TokenizerOp : Recipe_Op<"tokenizer"> {
  let summary = "`tokenizer gpt2 = gpt2_bpe(\"data/gpt2\")`";
  let description = [{
    `kind` is `gpt2_bpe` (a folder with encoder.json and vocab.bpe), `sentencepiece` (a
    .model file) or `bytes` (no files). `args` holds `path`.

    ```mlir
    recipe.tokenizer @gpt2 = "gpt2_bpe" {path = "data/gpt2"}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$name, StrAttr:$kind, DictionaryAttr:$args);
  let assemblyFormat = "$name `=` $kind $args attr-dict";
  let hasVerifier = 1;
}

def Recipe_DatasetOp : Recipe_Op<"dataset", [Recipe_RefUser]> {
  let summary = "`dataset web = text(\"data/web/*.txt\", tokenizer = gpt2) split val 2%`";
  let description = [{
    `kind` is `text` (raw text, tokenized by `tokenizer`) or `shards` (pre-tokenized).
    `args` holds `paths` (an array of globs), `tokenizer` (`@name`) and `field` (JSON lines).
    `split "val" 0.02` holds out 2% of the documents; `split "val" 0.0` with `val_paths`
    (an array of globs) in `args` reads the val split from those files instead.

    ```mlir
    recipe.dataset @web = "text" {paths = ["data/web/*.txt"], tokenizer = @gpt2} split "val" 2.000000e-02
    ```
  }];
  let arguments = (ins SymbolNameAttr:$name, StrAttr:$kind, DictionaryAttr:$args,
                       OptionalAttr<StrAttr>:$split, OptionalAttr<F64Attr>:$split_fraction);
  let assemblyFormat = "$name `=` $kind $args (`split` $split^ $split_fraction)? attr-dict";
  let hasVerifier = 1;
}

def Recipe_MixtureOp : Recipe_Op<"mixture", [NoTerminator, SingleBlock]> {
  let summary = "`mixture base = { web: 0.8, code: 0.2 }`: sampling weights";
  let description = [{
    One `recipe.weight` per entry. An entry may name a dataset or another mixture;
    `normalise-mixtures` flattens mixtures of mixtures and scales the weights to sum to 1.

    ```mlir
    recipe.mixture @base {
      recipe.weight @web 8.000000e-01
      recipe.weight @code 2.000000e-01
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$name);
  let regions = (region AnyRegion:$body);
  let assemblyFormat = "$name attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Recipe_WeightOp : Recipe_Op<"weight", [ParentOneOf<["MixtureOp", "RuleOp"]>, Recipe_RefUser]> {
  let summary = "one entry of a mixture: a dataset (or mixture) and its weight";
  let description = [{
    With `-> end` the weight moves linearly from `weight` to `end` over the phase
    (`mix { code: 0.2 -> 0.6 }`).

    ```mlir
    recipe.weight @code 2.000000e-01 -> 6.000000e-01
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$dataset, AnyAttr:$weight, OptionalAttr<AnyAttr>:$weight_end);
  let assemblyFormat = "$dataset $weight (`->` $weight_end^)? attr-dict";
  let hasVerifier = 1;
}

def Recipe_ModelOp : Recipe_Op<"model", [Recipe_RefUser]> {
  let summary = "`model net = gpt2_nano { layers: 4 }`: an architecture or preset with overrides";
  let description = [{
    `base` is an architecture (`"gpt2"`, `"llama"`) or another model (`@gpt2_nano`).
    `expand-presets` follows the chain and makes every model explicit: `base` becomes the
    architecture, `fields` holds all twelve fields (`layers d_model heads kv_heads d_ff vocab
    ctx` as integers; `norm_eps rope_theta init_std dropout` as floats; `tie_embeddings`),
    and `preset` names the model it came from.

    ```mlir
    recipe.model @net = @gpt2_nano {d_model = 2.560000e+02, layers = 4.000000e+00}
    recipe.model @net = "gpt2" {d_ff = 1024, d_model = 256, dropout = 0.000000e+00, heads = 4,
        init_std = 2.000000e-02, kv_heads = 4, layers = 4, ...} {preset = "gpt2_nano"}
    ```
  }];
  let arguments = (ins SymbolNameAttr:$name, AnyAttrOf<[FlatSymbolRefAttr, StrAttr]>:$base,
                       DictionaryAttr:$fields, OptionalAttr<StrAttr>:$preset, UnitAttr:$resolved);
  let assemblyFormat = "$name `=` $base $fields attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Training configuration
//===----------------------------------------------------------------------===//

def Recipe_TrainOp : Recipe_Op<"train", [NoTerminator, SingleBlock]> {
  let summary = "the `train { ... }` block as written: one `recipe.setting` per key";
  let description = [{
    `extends` overrides train settings key by key, so each setting is its own op (with its
    own location). `resolve-train` replaces the block by one `recipe.train_config`.

    ```mlir
    recipe.train {
      recipe.setting "model" = @net
      recipe.setting "batch" = #recipe.qty<65536 tokens>
      recipe.setting "optimizer" = #recipe.call<"adamw", {lr = #recipe.const<@lr>}>
    }
    ```
  }];
  let regions = (region AnyRegion:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Recipe_SettingOp : Recipe_Op<"setting", [HasParent<"TrainOp">]> {
  let summary = "one `key value` line of a train block";
  let description = [{
    ```mlir
    recipe.setting "seq_len" = 2.560000e+02
    recipe.setting "init" = "weights/base.safetensors"
    ```
  }];
  let arguments = (ins StrAttr:$key, AnyAttr:$value);
  let assemblyFormat = "$key `=` $value attr-dict";
  let hasVerifier = 1;
}

def Recipe_TrainConfigOp : Recipe_Op<"train_config", [Recipe_RefUser]> {
  let summary = "the resolved training configuration: every value explicit";
  let description = [{
    Produced by `resolve-train`: defaults filled in (micro_batch = batch, grad_clip 1.0,
    adamw betas (0.9, 0.95), eps 1e-8, weight_decay 0, constant schedule, fp32, seed 0),
    `batch N tokens` turned into sequences, `min_lr = 10%` into an absolute rate. `warmup`
    and `decay` are quantities that `resolve-durations` turns into steps; `total` is the run's
    length as written (`total 30k steps`), which `resolve-durations` turns into steps where
    it can (not epochs); `total_steps` is set by `assign-phase-ranges` when the run's length
    is known (-1 otherwise). The location is a
    fused location whose `NameLoc`s say where each setting was written.

    ```mlir
    recipe.train_config @net seq_len 256 batch 32 micro_batch 32
        optimizer "adamw"(lr = 6.000000e-04, betas = (9.000000e-01, 9.500000e-01),
                          eps = 1.000000e-08, weight_decay = 1.000000e-01)
        grad_clip 1.000000e+00
        schedule "cosine"(warmup = #recipe.qty<200 steps>, min_lr = 6.000000e-05)
        precision "fp32" seed 1337 total_steps -1
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$model, I64Attr:$seq_len, I64Attr:$batch_seqs,
                       I64Attr:$micro_batch, StrAttr:$optimizer, F64Attr:$lr, F64Attr:$beta1,
                       F64Attr:$beta2, F64Attr:$eps, F64Attr:$weight_decay, F64Attr:$grad_clip,
                       StrAttr:$schedule, Recipe_QuantityAttr:$warmup, F64Attr:$min_lr,
                       OptionalAttr<Recipe_QuantityAttr>:$decay, StrAttr:$precision,
                       I64Attr:$seed, OptionalAttr<StrAttr>:$init_from,
                       OptionalAttr<Recipe_QuantityAttr>:$total, I64Attr:$total_steps);
  let assemblyFormat = [{
    $model `seq_len` $seq_len `batch` $batch_seqs `micro_batch` $micro_batch
    `optimizer` $optimizer `(` `lr` `=` $lr `,` `betas` `=` `(` $beta1 `,` $beta2 `)` `,`
        `eps` `=` $eps `,` `weight_decay` `=` $weight_decay `)`
    `grad_clip` $grad_clip
    `schedule` $schedule `(` `warmup` `=` qualified($warmup) `,` `min_lr` `=` $min_lr
        (`,` `decay` `=` qualified($decay)^)? `)`
    `precision` $precision `seed` $seed (`init_from` $init_from^)? (`total` qualified($total)^)?
    `total_steps` $total_steps
    attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Phases and rules
//===----------------------------------------------------------------------===//

def Recipe_PhaseOp : Recipe_Op<"phase", [NoTerminator, SingleBlock]> {
  let summary = "`phase focus for 2 epochs { rules }`: a stretch of the run and its rules";
  let description = [{
    `kind` is `for` (a length), `until` (an absolute end point) or `rest` (to the end of
    the run; no length). `assign-phase-ranges` adds `start_step`/`end_step` (`[start, end)`)
    where they are known; a phase after an epoch-long one starts at a symbolic step and has
    none.

    ```mlir
    recipe.phase @learn for #recipe.qty<1 epochs> {
      recipe.rule mix @base
      recipe.rule record with {metric = "ppl", per = "block"}
    }
    recipe.phase @warm for #recipe.qty<500 steps> attributes {end_step = 500 : i64, start_step = 0 : i64} {
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$name, Recipe_DurationKind:$kind,
                       OptionalAttr<Recipe_QuantityAttr>:$length,
                       OptionalAttr<I64Attr>:$start_step, OptionalAttr<I64Attr>:$end_step);
  let regions = (region AnyRegion:$body);
  // A custom directive: after `rest` a `{` starts the body, and an optional attribute in
  // its place would read `{}` as an empty dictionary.
  let assemblyFormat = "$name custom<Duration>($kind, $length) attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Recipe_RuleOp : Recipe_Op<"rule", [HasParent<"PhaseOp">, NoTerminator, SingleBlock, Recipe_RefUser]> {
  let summary = "`ACTION [when CONDITION] [every INTERVAL]` inside a phase";
  let description = [{
    The action's parameters are in `params`:
    `order` {by, direction}; `record` {metric, per}; `subnet` {layers, heads, mlp} as
    fractions in (0, 1]; `reweight` {method = "irdro" | "rank", lambda | frac, portion};
    `set` {lr | weight_decay | grad_clip}. `mix` names a mixture (`@base`), holds its own
    `recipe.weight`s, or both once `normalise-mixtures` has copied the named weights in.

    ```mlir
    recipe.rule focus when #recipe.cond<ppl gt p90> every #recipe.qty<2000 steps>
    recipe.rule mix {
      recipe.weight @web 8.000000e-01 -> 4.000000e-01
      recipe.weight @code 2.000000e-01 -> 6.000000e-01
    }
    recipe.rule subnet with {heads = 5.000000e-01, layers = 7.500000e-01, mlp = 5.000000e-01}
    ```
  }];
  let arguments = (ins Recipe_ActionKind:$action, OptionalAttr<FlatSymbolRefAttr>:$mixture,
                       OptionalAttr<Recipe_ConditionAttr>:$when,
                       OptionalAttr<Recipe_QuantityAttr>:$every,
                       OptionalAttr<DictionaryAttr>:$params);
  let regions = (region AnyRegion:$weights);
  let assemblyFormat = [{
    $action ($mixture^)? (`when` qualified($when)^)? (`every` qualified($every)^)?
    (`with` $params^)? attr-dict-with-keyword ($weights^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Policies that span the run
//===----------------------------------------------------------------------===//

def Recipe_EvaluateOp : Recipe_Op<"evaluate", [Recipe_RefUser]> {
  let summary = "`evaluate ppl on web.val every 500 steps limit 100 blocks`";
  let description = [{
    Without `every` the evaluation runs once, at the end of the run. `limit` caps the
    number of held-out blocks (0 = the whole split).

    ```mlir
    recipe.evaluate "ppl" on @web split "val" every #recipe.qty<500 steps> limit 100
    ```
  }];
  let arguments = (ins StrAttr:$metric, FlatSymbolRefAttr:$dataset, StrAttr:$split,
                       OptionalAttr<Recipe_QuantityAttr>:$every, OptionalAttr<I64Attr>:$limit);
  let assemblyFormat = [{
    $metric `on` $dataset `split` $split (`every` qualified($every)^)? (`limit` $limit^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Recipe_CheckpointOp : Recipe_Op<"checkpoint"> {
  let summary = "`checkpoint every 1k steps keep 3`";
  let description = [{
    Without `every` only the final state is saved. `keep` 0 keeps every checkpoint.

    ```mlir
    recipe.checkpoint every #recipe.qty<1000 steps> keep 3
    ```
  }];
  let arguments = (ins OptionalAttr<Recipe_QuantityAttr>:$every, OptionalAttr<I64Attr>:$keep);
  let assemblyFormat = "(`every` qualified($every)^)? (`keep` $keep^)? attr-dict";
  let hasVerifier = 1;
}

def Recipe_EventOp : Recipe_Op<"event"> {
  let summary = "`on nan: rollback`, `on loss > 4 sigma: skip`";
  let description = [{
    `trigger` is `nan` or `loss_spike` / `grad_spike` / `condition` (with `when`); `action`
    is `rollback`, `skip` or `stop`.

    ```mlir
    recipe.event "nan" -> "rollback"
    recipe.event "loss_spike" when #recipe.cond<loss gt 4 sigma> -> "skip"
    ```
  }];
  let arguments = (ins StrAttr:$trigger, OptionalAttr<Recipe_ConditionAttr>:$when, StrAttr:$action);
  let assemblyFormat = "$trigger (`when` qualified($when)^)? `->` $action attr-dict";
  let hasVerifier = 1;
}

#endif  // RECIPE_OPS_TD
