// Verifier failures: each case is one op that breaks an invariant, with the message it
// must produce (the numbers in it included).
// RUN: recipe-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{mixture `base` weights sum to 0 (need > 0)}}
recipe.mixture @base {
  recipe.weight @web 0.0
  recipe.weight @code 0.0
}

// -----

// expected-error @+1 {{mixture `m` has no entries}}
recipe.mixture @m {
}

// -----

recipe.mixture @m {
  // expected-error @+1 {{weight of `web` is -0.2 (need >= 0)}}
  recipe.weight @web -0.2
}

// -----

recipe.mixture @m {
  // expected-note @+1 {{first here}}
  recipe.weight @web 0.5
  // expected-error @+1 {{`web` appears twice in mixture `m`}}
  recipe.weight @web 0.5
}

// -----

// expected-error @+1 {{mixture `m` weights at the end of the schedule sum to 0 (need > 0)}}
recipe.mixture @m {
  recipe.weight @web 1.0 -> 0.0
}

// -----

// expected-error @+1 {{tokenizer `t` has unknown kind `gpt3_bpe` (expected gpt2_bpe, hf, sentencepiece or bytes)}}
recipe.tokenizer @t = "gpt3_bpe" {path = "x"}

// -----

// expected-error @+1 {{tokenizer `t` of kind `sentencepiece` needs a path}}
recipe.tokenizer @t = "sentencepiece" {}

// -----

// expected-error @+1 {{text dataset `web` has no tokenizer}}
recipe.dataset @web = "text" {paths = ["w/*.txt"]}

// -----

// expected-error @+1 {{dataset `code` holds out 150% (need more than 0% and less than 100%)}}
recipe.dataset @code = "shards" {paths = ["c/*.bin"]} split "val" 1.5

// -----

// expected-error @+1 {{dataset `code` has unknown split `test` (expected val)}}
recipe.dataset @code = "shards" {paths = ["c/*.bin"]} split "test" 0.1

// -----

// expected-error @+1 {{dataset `code`: `tokenizer` must name a tokenizer}}
recipe.dataset @code = "shards" {paths = ["c/*.bin"], tokenizer = "t"}

// -----

// expected-error @+1 {{model `m`: 5 heads do not divide d_model 64}}
recipe.model @m = "gpt2" {layers = 2.0, d_model = 64.0, heads = 5.0}

// -----

// expected-error @+1 {{model `m`: 3 kv_heads do not divide 4 heads}}
recipe.model @m = "llama" {layers = 2.0, d_model = 64.0, heads = 4.0, kv_heads = 3.0}

// -----

// expected-error @+1 {{model `m` field `layers` is 2.5 (need a positive whole number)}}
recipe.model @m = "gpt2" {layers = 2.5}

// -----

// expected-error @+1 {{model `m` has unknown field `n_heads`}}
recipe.model @m = "gpt2" {n_heads = 4.0}

// -----

// expected-error @+1 {{model `m` has unknown architecture `mamba` (expected gpt2 or llama)}}
recipe.model @m = "mamba" {layers = 2.0}

// -----

// expected-error @+1 {{explicit model `m` lacks integer field `kv_heads`}}
recipe.model @m = "gpt2" {layers = 1, d_model = 64, heads = 4} {resolved}

// -----

recipe.train {
  // expected-note @+1 {{first given here}}
  recipe.setting "seq_len" = 64.0
  // expected-error @+1 {{train setting `seq_len` is given twice}}
  recipe.setting "seq_len" = 128.0
}

// -----

recipe.train {
  // expected-error @+1 {{unknown train setting `warmpu`}}
  recipe.setting "warmpu" = 10.0
}

// -----

recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
// expected-error @+1 {{`lr` is -0.001 (need > 0)}}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = -1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total_steps -1

// -----

recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
// expected-error @+1 {{beta 1.5 is out of range (need 0 <= beta < 1)}}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (1.5, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total_steps -1

// -----

recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
// expected-error @+1 {{`decay` belongs to the wsd schedule, not `cosine`}}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "cosine"(warmup = #recipe.qty<0 steps>, min_lr = 0.0, decay = #recipe.qty<10 percent>) precision "fp32" seed 0 total_steps -1

// -----

recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
// expected-error @+1 {{unknown precision `fp16` (expected fp32 or bf16)}}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp16" seed 0 total_steps -1

// -----

// expected-error @+1 {{phase `p`: `until` needs an absolute point in steps or tokens, not epochs}}
recipe.phase @p until #recipe.qty<2 epochs> {
}

// -----

// expected-error @+1 {{phase `p` cannot last 3 sigma}}
recipe.phase @p for #recipe.qty<3 sigma> {
}

// -----

// expected-error @+1 {{phase `p` lasts 150% of the run (need <= 100%)}}
recipe.phase @p for #recipe.qty<150 percent> {
}

// -----

// expected-error @+1 {{phase `p` ends at step 10 but starts at step 20}}
recipe.phase @p for #recipe.qty<10 steps> attributes {start_step = 20 : i64, end_step = 10 : i64} {
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{`focus` needs a condition that says which blocks}}
  recipe.rule focus
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{`review` returns to all blocks; it takes no condition}}
  recipe.rule review when #recipe.cond<ppl gt p50>
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{subnet `layers` keeps 1.5 (need 0 < layers <= 1)}}
  recipe.rule subnet with {layers = 1.5}
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{unknown reweighting method `dro` (expected irdro or rank)}}
  recipe.rule reweight with {method = "dro"}
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{`frac` is 2 (need 0 < frac <= 1)}}
  recipe.rule reweight with {method = "rank", frac = 2.0}
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{`set` cannot change `seq_len` (expected lr, weight_decay or grad_clip)}}
  recipe.rule set with {seq_len = 64.0}
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{order direction `upward` (expected ascending or descending)}}
  recipe.rule order with {by = "ppl", direction = "upward"}
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{a rule cannot repeat every 3 sigma (intervals are steps, tokens, epochs or %)}}
  recipe.rule review every #recipe.qty<3 sigma>
}

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{only a `mix` rule has mixture weights, not `focus`}}
  recipe.rule focus @base when #recipe.cond<ppl gt p50>
}

// -----

// expected-error @+1 {{evaluation limit is 0 (need >= 1)}}
recipe.evaluate "ppl" on @web split "val" limit 0

// -----

// expected-error @+1 {{the `nan` event takes no condition}}
recipe.event "nan" when #recipe.cond<loss gt 4 sigma> -> "rollback"

// -----

// expected-error @+1 {{unknown event action `focus` (expected rollback, skip or stop)}}
recipe.event "nan" -> "focus"

// -----

// expected-error @+1 {{percentile p150 is outside p0..p100}}
recipe.event "condition" when #recipe.cond<loss gt p150> -> "stop"

// -----

// expected-error @+1 {{unknown metric `perplexity` (expected loss, ppl, val.ppl, grad_norm, step or tokens)}}
recipe.event "condition" when #recipe.cond<perplexity gt 4> -> "stop"

// -----

// expected-error @+1 {{unknown unit `blocks` (expected steps, tokens, epochs, percent, sigma or percentile)}}
recipe.checkpoint every #recipe.qty<3 blocks>

// -----

// References are checked by kind once the module is merged.
recipe.tokenizer @t = "bytes" {}
// expected-error @+1 {{dataset `d` uses unknown tokenizer `tk`}}
recipe.dataset @d = "text" {paths = ["d/*.txt"], tokenizer = @tk}

// -----

recipe.mixture @m {
  // expected-error @+1 {{unknown dataset or mixture `wbe`}}
  recipe.weight @wbe 1.0
}

// -----

// expected-error @+1 {{model `net` is based on unknown model `gpt2_nanoo`}}
recipe.model @net = @gpt2_nanoo {layers = 1.0}

// -----

// A dataset is not a model, though both are named `net`.
recipe.dataset @net = "shards" {paths = ["d/*.bin"]}
// expected-error @+1 {{train uses unknown model `net`}}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total_steps -1

// -----

recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{`mix` names unknown mixture `bse`}}
  recipe.rule mix @bse
}

// -----

// expected-error @+1 {{evaluation on unknown dataset `web`}}
recipe.evaluate "ppl" on @web split "val"

// -----

// Inside a recipe.file a reference may point into an import: not checked there.
recipe.file "a.recipe" root {
  recipe.model @net = @from_an_import {layers = 1.0}
}

// -----

recipe.file "a.recipe" root {
  // expected-error @+1 {{`recipe.file` cannot appear directly in a recipe.file}}
  recipe.file "b.recipe" {
  }
}
