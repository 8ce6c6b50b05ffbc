// resolve-train: the train block becomes one explicit recipe.train_config.
// RUN: recipe-opt %s --split-input-file --resolve-train --verify-diagnostics | FileCheck %s

// Defaults: micro_batch = batch, betas (0.9, 0.95), eps 1e-8, weight_decay 0, grad_clip 1,
// constant schedule without warmup, fp32, seed 0.
// CHECK-LABEL: module
// CHECK:       recipe.train_config @net seq_len 64 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.000000e-03, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 0.000000e+00) grad_clip 1.000000e+00 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.000000e+00) precision "fp32" seed 0 total_steps -1
// CHECK-NOT:   recipe.train {
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train {
  recipe.setting "model" = @net
  recipe.setting "seq_len" = 64.0
  recipe.setting "batch" = 8.0
  recipe.setting "optimizer" = #recipe.call<"adamw", {lr = 1.0e-3}>
}

// -----

// `batch N tokens` is sequences of seq_len; `min_lr = 10%` is of lr; wsd's decay defaults
// to 10% of the run when not given.
// CHECK-LABEL: module
// CHECK:       recipe.train_config @net seq_len 128 batch 512 micro_batch 64 optimizer "adamw"(lr = 6.000000e-04, betas = (8.000000e-01, 0.98999999999999999), eps = 9.9999999999999995E-7, weight_decay = 1.000000e-01) grad_clip 0.000000e+00 schedule "wsd"(warmup = #recipe.qty<1000000 tokens>, min_lr = 6.000000e-05, decay = #recipe.qty<10 percent>) precision "bf16" seed 42 init_from "w.safetensors" total_steps -1
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train {
  recipe.setting "model" = @net
  recipe.setting "seq_len" = 128.0
  recipe.setting "batch" = #recipe.qty<65536 tokens>
  recipe.setting "micro_batch" = 64.0
  recipe.setting "optimizer" = #recipe.call<"adamw", {lr = 6.0e-4, betas = [0.8, 0.99], eps = 1.0e-6, weight_decay = 0.1}>
  recipe.setting "schedule" = #recipe.call<"wsd", {warmup = #recipe.qty<1000000 tokens>, min_lr = #recipe.qty<10 percent>}>
  recipe.setting "grad_clip" = 0.0
  recipe.setting "precision" = "bf16"
  recipe.setting "seed" = 42.0
  recipe.setting "init" = "w.safetensors"
}

// -----

// expected-error @+1 {{the train block has no `model`}}
recipe.train {
  recipe.setting "seq_len" = 64.0
}

// -----

recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train {
  recipe.setting "model" = @net
  recipe.setting "seq_len" = 64.0
  // expected-error @+1 {{`batch` of 1000 tokens is not a whole number of 64-token sequences}}
  recipe.setting "batch" = #recipe.qty<1000 tokens>
}

// -----

recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train {
  recipe.setting "model" = @net
  recipe.setting "seq_len" = 64.0
  recipe.setting "batch" = 8.0
  // expected-error @+1 {{`adamw` needs a learning rate (lr)}}
  recipe.setting "optimizer" = #recipe.call<"adamw", {weight_decay = 0.1}>
}

// -----

// The verifier checks the result: micro_batch must divide batch.
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
// expected-error @+1 {{`micro_batch` 3 does not divide the batch of 8 sequences}}
recipe.train {
  recipe.setting "model" = @net
  recipe.setting "seq_len" = 64.0
  recipe.setting "batch" = 8.0
  recipe.setting "micro_batch" = 3.0
  recipe.setting "optimizer" = #recipe.call<"adamw", {lr = 1.0e-3}>
}
