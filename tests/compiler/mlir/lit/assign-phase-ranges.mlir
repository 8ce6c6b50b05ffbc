// assign-phase-ranges: [start_step, end_step) of every phase where known, and the run's
// total steps.
// RUN: recipe-opt %s --split-input-file --assign-phase-ranges --verify-diagnostics | FileCheck %s

// CHECK-LABEL: module
// CHECK:       total_steps 1500
// CHECK:       recipe.phase @a for #recipe.qty<100 steps> attributes {end_step = 100 : i64, start_step = 0 : i64}
// An epoch-long phase: its start is known, its end is not, and the next start is not.
// CHECK:       recipe.phase @b for #recipe.qty<1 epochs> attributes {start_step = 100 : i64}
// CHECK:       recipe.phase @c for #recipe.qty<200 steps> {
// `until` fixes the end again, and with it the rest of the run.
// CHECK:       recipe.phase @d until #recipe.qty<1000 steps> attributes {end_step = 1000 : i64}
// CHECK:       recipe.phase @e for #recipe.qty<500 steps> attributes {end_step = 1500 : i64, start_step = 1000 : i64}
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total_steps -1
recipe.phase @a for #recipe.qty<100 steps> {
}
recipe.phase @b for #recipe.qty<1 epochs> {
}
recipe.phase @c for #recipe.qty<200 steps> {
}
recipe.phase @d until #recipe.qty<1000 steps> {
}
recipe.phase @e for #recipe.qty<500 steps> {
}

// -----

// The run's length is unknown when it ends with a symbolic phase.
// CHECK-LABEL: module
// CHECK:       total_steps -1
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total_steps 7
recipe.phase @a for #recipe.qty<100 steps> {
}
recipe.phase @b rest {
}

// -----

// expected-note @+1 {{the phases up to here end at step 2000}}
recipe.phase @a for #recipe.qty<2000 steps> {
}
// expected-error @+2 {{[E0382] phase `b` ends at step 1000 (until 1000 steps) but starts at step 2000}}
// expected-note @+1 {{help: `until N` counts from the start of the run}}
recipe.phase @b until #recipe.qty<1000 steps> {
}

// -----

// `total` (resolved) is the run's length: a `rest` phase ends at it, also after an `until`.
// CHECK-LABEL: module
// CHECK:       total #recipe.qty<3000 steps> total_steps 3000
// CHECK:       recipe.phase @a until #recipe.qty<1000 steps> attributes {end_step = 1000 : i64, start_step = 0 : i64}
// CHECK:       recipe.phase @b rest attributes {end_step = 3000 : i64, start_step = 1000 : i64}
recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total #recipe.qty<3000 steps> total_steps -1
recipe.phase @a until #recipe.qty<1000 steps> {
}
recipe.phase @b rest {
}

// -----

recipe.model @net = "gpt2" {layers = 1.0, d_model = 64.0, heads = 4.0}
// expected-note @+1 {{the run's length is set in this train block}}
recipe.train_config @net seq_len 32 batch 8 micro_batch 8 optimizer "adamw"(lr = 1.0e-3, betas = (0.9, 0.95), eps = 1.0e-8, weight_decay = 0.0) grad_clip 1.0 schedule "constant"(warmup = #recipe.qty<0 steps>, min_lr = 0.0) precision "fp32" seed 0 total #recipe.qty<500 steps> total_steps -1
// expected-error @+2 {{[E0383] phase `a` ends at step 800, past the run's total of 500 steps (total 500 steps)}}
// expected-note @+1 {{help: shorten the phases, or raise `total` to 800 steps}}
recipe.phase @a for #recipe.qty<800 steps> {
}
