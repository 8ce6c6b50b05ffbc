// resolve-durations: steps, tokens and percentages become absolute steps where known;
// epochs stay symbolic.
// RUN: recipe-opt %s --split-input-file --resolve-durations | FileCheck %s

// 256 tokens a step (8 x 32). Percent phases: the fixed phases are 100 + 200 = 300 steps,
// so 25% of the run makes the run 400 steps and the phase 100.
// CHECK-LABEL: module
// CHECK:       schedule "cosine"(warmup = #recipe.qty<10 percent = 40 steps>
// CHECK:       recipe.phase @a for #recipe.qty<25600 tokens = 100 steps> {
// CHECK-NEXT:    recipe.rule focus when #recipe.cond<ppl gt p90> every #recipe.qty<1000 tokens = 4 steps>
// CHECK-NEXT:    recipe.rule stop when #recipe.cond<step gt 2560 tokens = 10 steps>
// CHECK-NEXT:    recipe.rule review every #recipe.qty<50 percent = 50 steps>
// CHECK-NEXT:    recipe.rule review every #recipe.qty<1 epochs>
// CHECK:       recipe.phase @b for #recipe.qty<25 percent = 100 steps> {
// CHECK:       recipe.phase @c for #recipe.qty<200 steps> {
// CHECK:       recipe.evaluate "ppl" on @d split "val" every #recipe.qty<10 percent = 40 steps>
// CHECK:       recipe.checkpoint every #recipe.qty<512 tokens = 2 steps>
recipe.dataset @d = "shards" {paths = ["d/*.bin"]} split "val" 0.1
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "cosine"(warmup = #recipe.qty<10 percent>, min_lr = 0.0) precision "fp32" seed 0 total_steps -1
recipe.phase @a for #recipe.qty<25600 tokens> {
  recipe.rule focus when #recipe.cond<ppl gt p90> every #recipe.qty<1000 tokens>
  recipe.rule stop when #recipe.cond<step gt 2560 tokens>
  recipe.rule review every #recipe.qty<50 percent>
  recipe.rule review every #recipe.qty<1 epochs>
}
recipe.phase @b for #recipe.qty<25 percent> {
}
recipe.phase @c for #recipe.qty<200 steps> {
}
recipe.evaluate "ppl" on @d split "val" every #recipe.qty<10 percent>
recipe.checkpoint every #recipe.qty<512 tokens>

// -----

// An epoch-long phase makes the run's length unknown: percentages of it stay symbolic,
// until an `until` fixes the end again.
// CHECK-LABEL: module
// CHECK:       schedule "wsd"(warmup = #recipe.qty<0 steps>, min_lr = 0.000000e+00, decay = #recipe.qty<20 percent>)
// CHECK:       recipe.phase @a for #recipe.qty<2 epochs> {
// CHECK-NEXT:    recipe.rule review every #recipe.qty<10 percent>
// CHECK:       recipe.evaluate "ppl" on @d split "val" every #recipe.qty<5 percent>
recipe.dataset @d = "shards" {paths = ["d/*.bin"]} split "val" 0.1
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "wsd"(warmup = #recipe.qty<0 steps>, min_lr = 0.0, decay = #recipe.qty<20 percent>) precision "fp32" seed 0 total_steps -1
recipe.phase @a for #recipe.qty<2 epochs> {
  recipe.rule review every #recipe.qty<10 percent>
}
recipe.evaluate "ppl" on @d split "val" every #recipe.qty<5 percent>

// -----

// CHECK-LABEL: module
// CHECK:       decay = #recipe.qty<20 percent = 200 steps>
// CHECK:       recipe.phase @b for #recipe.qty<10 percent = 100 steps> {
// CHECK:       recipe.phase @c until #recipe.qty<256000 tokens = 1000 steps> {
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "wsd"(warmup = #recipe.qty<0 steps>, min_lr = 0.0, decay = #recipe.qty<20 percent>) precision "fp32" seed 0 total_steps -1
recipe.phase @a for #recipe.qty<1 epochs> {
}
recipe.phase @b for #recipe.qty<10 percent> {
}
recipe.phase @c until #recipe.qty<256000 tokens> {
}

// -----

// `total` in tokens becomes steps, and percentages are of it (256 tokens a step).
// CHECK-LABEL: module
// CHECK:       schedule "cosine"(warmup = #recipe.qty<5 percent = 150 steps>
// CHECK-SAME:  total #recipe.qty<768000 tokens = 3000 steps>
// CHECK:       recipe.phase @a for #recipe.qty<10 percent = 300 steps> {
// CHECK:       recipe.phase @b for #recipe.qty<1 epochs> {
// CHECK:       recipe.evaluate "ppl" on @d split "val" every #recipe.qty<50 percent = 1500 steps>
recipe.dataset @d = "shards" {paths = ["d/*.bin"]} split "val" 0.1
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "cosine"(warmup = #recipe.qty<5 percent>, min_lr = 0.0) precision "fp32" seed 0 total #recipe.qty<768000 tokens> total_steps -1
recipe.phase @a for #recipe.qty<10 percent> {
}
recipe.phase @b for #recipe.qty<1 epochs> {
}
recipe.phase @c rest {
}
recipe.evaluate "ppl" on @d split "val" every #recipe.qty<50 percent>

// -----

// A `for N%` phase after an `until`: the until fixes the clock (24 steps), so the run is
// 24 / (1 - 20%) = 30 steps and the phase 6 (plan/RunLength.h, the runtime's rule too).
// CHECK-LABEL: module
// CHECK:       recipe.phase @c for #recipe.qty<20 percent = 6 steps> {
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total_steps -1
recipe.phase @a for #recipe.qty<10 steps> {
}
recipe.phase @b until #recipe.qty<24 steps> {
}
recipe.phase @c for #recipe.qty<20 percent> {
}
