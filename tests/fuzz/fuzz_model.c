/* Fuzz target: the model-based test (tests/model_core.h) with its choices
 * taken from the fuzzer's bytes instead of a seeded generator: up to 8
 * loopback pairs, one operation per 4 bytes (at most 300). A disagreement
 * with the model prints the report and aborts. libFuzzer entry point;
 * replay.c runs the corpus without the fuzzer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static model_t m;
  long ops = (long)(size / 4);
  if (ops > 300)
    ops = 300;
  if (model_open(&m, 8) != 0) {
    fprintf(stderr, "fuzz_model: setup failed\n");
    abort();
  }
  m.src.bytes = data;
  m.src.len = size;
  int ok = model_run(&m, ops);
  if (!ok) {
    fprintf(stderr, "MODEL DISAGREEMENT (backend %s) at op %ld: %s\n",
            afdio_backend(), m.op_index, m.why);
    model_print_trace(&m, stderr);
    abort();
  }
  model_close_all(&m);
  util_fini();
  return 0;
}
