module attributes {recipe.name = "est-gpt2-no-layer-drop", recipe.path = "recipes/est-gpt2-no-layer-drop.recipe"} {
  recipe.let @lr = 1.000000e-03 : f64
  recipe.let @stage1_heads = 5.000000e-01 : f64
  recipe.let @stage1_layers = 1.000000e+00 : f64
  recipe.let @stage1_mlp = 5.000000e-01 : f64
  recipe.let @stage2_heads = 7.500000e-01 : f64
  recipe.let @stage2_mlp = 7.500000e-01 : f64
  recipe.tokenizer @tok = "bytes" {}
  recipe.dataset @corpus = "text" {field = "text", paths = ["data/corpus/english/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/english/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.model @net = "gpt2" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 8 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 257 : i64} {preset = "gpt2_nano", resolved}
  recipe.train_config @net seq_len 128 batch 16 micro_batch 16 optimizer "adamw"(lr = 1.000000e-03, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "cosine"(warmup = #recipe.qty<50 steps>, min_lr = 1.000000e-04) precision "fp32" seed 1337 total_steps 1200
  recipe.phase @stage1 for #recipe.qty<600 steps> attributes {end_step = 600 : i64, start_step = 0 : i64} {
    recipe.rule mix @corpus {
      recipe.weight @corpus 1.000000e+00 : f64
    }
    recipe.rule subnet with {heads = 5.000000e-01 : f64, layers = 1.000000e+00 : f64, mlp = 5.000000e-01 : f64}
  }
  recipe.phase @stage2 for #recipe.qty<400 steps> attributes {end_step = 1000 : i64, start_step = 600 : i64} {
    recipe.rule mix @corpus {
      recipe.weight @corpus 1.000000e+00 : f64
    }
    recipe.rule subnet with {heads = 7.500000e-01 : f64, layers = 1.000000e+00 : f64, mlp = 7.500000e-01 : f64}
  }
  recipe.phase @stage3 for #recipe.qty<200 steps> attributes {end_step = 1200 : i64, start_step = 1000 : i64} {
    recipe.rule mix @corpus {
      recipe.weight @corpus 1.000000e+00 : f64
    }
  }
  recipe.evaluate "ppl" on @corpus split "val" every #recipe.qty<200 steps>
  recipe.checkpoint every #recipe.qty<500 steps> keep 2
  recipe.event "nan" -> "rollback"
}

