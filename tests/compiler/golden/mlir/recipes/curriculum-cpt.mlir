module attributes {recipe.name = "curriculum-cpt", recipe.path = "recipes/curriculum-cpt.recipe"} {
  recipe.let @pool = 4.000000e+00 : f64
  recipe.tokenizer @tok = "bytes" {}
  recipe.dataset @books = "text" {field = "text", paths = ["data/corpus/english/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/english/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.dataset @zh = "text" {field = "text", paths = ["data/corpus/chinese/train/*.jsonl"], tokenizer = @tok, val_paths = ["data/corpus/chinese/val/*.jsonl"]} split "val" 0.000000e+00
  recipe.mixture @bilingual {
    recipe.weight @zh 2.000000e-01 : f64
    recipe.weight @books 8.000000e-01 : f64
  }
  recipe.model @net = "gpt2" {ctx = 256 : i64, d_ff = 512 : i64, d_model = 128 : i64, dropout = 0.000000e+00 : f64, heads = 4 : i64, init_std = 2.000000e-02 : f64, kv_heads = 4 : i64, layers = 4 : i64, norm_eps = 1.000000e-05 : f64, rope_theta = 1.000000e+04 : f64, tie_embeddings = true, vocab = 257 : i64} {preset = "gpt2_nano", resolved}
  recipe.train_config @net seq_len 128 batch 16 micro_batch 4 optimizer "adamw"(lr = 3.000000e-03, betas = (9.000000e-01, 0.94999999999999996), eps = 1.000000e-08, weight_decay = 1.000000e-01) grad_clip 1.000000e+00 schedule "cosine"(warmup = #recipe.qty<20 steps>, min_lr = 3.000000e-04) precision "fp32" seed 1337 total_steps 200
  recipe.phase @easy_first for #recipe.qty<100 steps> attributes {end_step = 100 : i64, start_step = 0 : i64} {
    recipe.rule mix @bilingual {
      recipe.weight @zh 2.000000e-01 : f64
      recipe.weight @books 8.000000e-01 : f64
    }
    recipe.rule order with {by = "ppl", direction = "ascending"}
  }
  recipe.phase @robust for #recipe.qty<100 steps> attributes {end_step = 200 : i64, start_step = 100 : i64} {
    recipe.rule mix {
      recipe.weight @zh 2.000000e-01 : f64 -> 4.000000e-01 : f64
      recipe.weight @books 8.000000e-01 : f64 -> 6.000000e-01 : f64
    }
    recipe.rule reweight with {lambda = 1.000000e+00 : f64, method = "irdro", pool = 4.000000e+00 : f64}
  }
  recipe.evaluate "ppl" on @zh split "val" every #recipe.qty<50 steps>
  recipe.evaluate "ppl" on @books split "val" every #recipe.qty<50 steps>
}

