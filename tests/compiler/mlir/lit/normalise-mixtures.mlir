// normalise-mixtures: weights sum to 1, mixtures of mixtures are flattened, `mix @m`
// rules get m's weights.
// RUN: recipe-opt %s --split-input-file --normalise-mixtures --verify-diagnostics | FileCheck %s

// CHECK-LABEL: module
// CHECK:       recipe.mixture @english {
// CHECK-NEXT:    recipe.weight @web 5.000000e-01 : f64
// CHECK-NEXT:    recipe.weight @books 5.000000e-01 : f64
// CHECK-NEXT:  }
// CHECK:       recipe.mixture @stage {
// CHECK-NEXT:    recipe.weight @zh 2.000000e-01 : f64
// CHECK-NEXT:    recipe.weight @web 4.000000e-01 : f64
// CHECK-NEXT:    recipe.weight @books 4.000000e-01 : f64
// CHECK-NEXT:  }
// CHECK:       recipe.rule mix @stage {
// CHECK-NEXT:    recipe.weight @zh 2.000000e-01 : f64
// CHECK-NEXT:    recipe.weight @web 4.000000e-01 : f64
// CHECK-NEXT:    recipe.weight @books 4.000000e-01 : f64
// CHECK-NEXT:  }
// A single dataset is a mixture of one.
// CHECK:       recipe.rule mix @zh {
// CHECK-NEXT:    recipe.weight @zh 1.000000e+00 : f64
// CHECK-NEXT:  }
// A schedule: start and end weights each sum to 1; every entry gets an explicit end.
// CHECK:       recipe.rule mix {
// CHECK-NEXT:    recipe.weight @web 2.500000e-01 : f64 -> 7.500000e-01 : f64
// CHECK-NEXT:    recipe.weight @zh 7.500000e-01 : f64 -> 2.500000e-01 : f64
// CHECK-NEXT:  }
// A dataset reached twice gets the sum.
// CHECK:       recipe.rule mix {
// CHECK-NEXT:    recipe.weight @web 7.500000e-01 : f64
// CHECK-NEXT:    recipe.weight @books 2.500000e-01 : f64
// CHECK-NEXT:  }
recipe.dataset @zh = "shards" {paths = ["zh/*.bin"]}
recipe.dataset @web = "shards" {paths = ["web/*.bin"]}
recipe.dataset @books = "shards" {paths = ["books/*.bin"]}
recipe.mixture @english {
  recipe.weight @web 3.0
  recipe.weight @books 3.0
}
recipe.mixture @stage {
  recipe.weight @zh 2.0
  recipe.weight @english 8.0
}
recipe.phase @p for #recipe.qty<10 steps> {
  recipe.rule mix @stage
  recipe.rule mix @zh
  recipe.rule mix {
    recipe.weight @web 1.0 -> 3.0
    recipe.weight @zh 3.0 -> 1.0
  }
  recipe.rule mix {
    recipe.weight @web 1.0
    recipe.weight @english 1.0
  }
}

// -----

recipe.dataset @web = "shards" {paths = ["web/*.bin"]}
recipe.phase @p for #recipe.qty<10 steps> {
  // expected-error @+1 {{the mix weights at the end of the schedule sum to 0 (need > 0)}}
  recipe.rule mix {
    recipe.weight @web 1.0 -> 0.0
  }
}

// -----

recipe.dataset @web = "shards" {paths = ["web/*.bin"]}
// expected-error @+1 {{mixture `a` contains itself}}
recipe.mixture @a {
  recipe.weight @b 1.0
}
recipe.mixture @b {
  recipe.weight @a 1.0
  recipe.weight @web 1.0
}

// -----

// A mixture named like a dataset it contains (an imported `dataset web`, a local
// `mixture web = { web: 1, code: 1 }`): inside its own definition the name is the dataset.
// CHECK-LABEL: module
// CHECK:       recipe.mixture @web {
// CHECK-NEXT:    recipe.weight @web 5.000000e-01 : f64
// CHECK-NEXT:    recipe.weight @code 5.000000e-01 : f64
// CHECK-NEXT:  }
recipe.dataset @web = "shards" {paths = ["web/*.bin"]}
recipe.dataset @code = "shards" {paths = ["code/*.bin"]}
recipe.mixture @web {
  recipe.weight @web 1.0
  recipe.weight @code 1.0
}
