// prune-unused: models, mixtures and tokenizers nothing refers to are dropped; datasets
// and constants stay.
// RUN: recipe-opt %s --split-input-file --prune-unused | FileCheck %s

// CHECK-LABEL: module
// CHECK-NEXT:    recipe.let @unused_constant
// CHECK-NEXT:    recipe.tokenizer @used
// CHECK-NEXT:    recipe.dataset @a
// CHECK-NEXT:    recipe.dataset @b
// CHECK-NEXT:    recipe.mixture @inner
// CHECK-NEXT:      recipe.weight @a
// CHECK-NEXT:    }
// CHECK-NEXT:    recipe.mixture @outer
// CHECK-NOT:     recipe.mixture @orphan
// CHECK-NOT:     recipe.tokenizer @orphan
// CHECK:         recipe.model @net
// CHECK-NOT:     recipe.model @gpt2_124m
recipe.let @unused_constant = 1.0
recipe.tokenizer @used = "bytes" {}
recipe.tokenizer @orphan = "bytes" {}
recipe.dataset @a = "text" {paths = ["a/*.txt"], tokenizer = @used}
recipe.dataset @b = "shards" {paths = ["b/*.bin"]}
recipe.mixture @inner {
  recipe.weight @a 1.0
}
recipe.mixture @outer {
  recipe.weight @inner 1.0
  recipe.weight @b 1.0
}
recipe.mixture @orphan {
  recipe.weight @b 1.0
}
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.model @gpt2_124m = "gpt2" {layers = 12.0, d_model = 768.0, heads = 12.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total_steps -1
recipe.phase @p for #recipe.qty<1 steps> {
  recipe.rule mix @outer
}

// -----

// Without a train config (a preset library on its own) every model stays.
// CHECK-LABEL: module
// CHECK-NEXT:    recipe.model @a
// CHECK-NEXT:    recipe.model @b
recipe.model @a = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.model @b = "gpt2" {layers = 2.0, d_model = 64.0, heads = 4.0}
