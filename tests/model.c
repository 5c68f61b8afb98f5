/* The model-based random test: seeded operation sequences over loopback TCP
 * pairs, checked against a reference model of what README promises (see
 * tests/model_core.h). A disagreement prints the seed, the op index and the
 * shortest failing prefix, with its last operations.
 *
 * Environment: AFDIO_MODEL_SEED (one seed instead of the fixed list),
 * AFDIO_MODEL_OPS (ops per seed, default 3000), AFDIO_MODEL_SLOTS (TCP
 * pairs at most, default 48), AFDIO_MODEL_SOAK (the soak test's total op
 * count; unset: the soak test skips), AFDIO_MODEL_TIDY_CLOSE=1 (always
 * deregister before closing; always so on Windows, as README asks there). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>

#include "model_core.h"
#include "util.h"

static const uint64_t model_seeds[] = {1, 2, 3, 0xC0FFEE};

static long env_long(const char *name, long fallback) {
  const char *v = getenv(name);
  if (v == NULL || *v == '\0')
    return fallback;
  return strtol(v, NULL, 0);
}

static uint64_t env_seed(void) {
  const char *v = getenv("AFDIO_MODEL_SEED");
  return v == NULL || *v == '\0' ? 0 : strtoull(v, NULL, 0);
}

/* Runs one seed; on a disagreement prints the report and shrinks. */
static int run_one(uint64_t seed, long ops, int slots, model_stats_t *sum) {
  static model_t m;
  double t0 = util_now_ms();
  int ok = model_run_seed(&m, seed, ops, slots);
  sum->ops += m.stats.ops;
  sum->events += m.stats.events;
  sum->settles += m.stats.settles;
  sum->creates += m.stats.creates;
  sum->spurious_level += m.stats.spurious_level;
  if (ok) {
    cr_log_info("model seed %llu: %ld ops, %ld events, %ld settles, %ld "
                "pairs made, %ld spurious level events, %.0f ms",
                (unsigned long long)seed, m.stats.ops, m.stats.events,
                m.stats.settles, m.stats.creates, m.stats.spurious_level,
                util_now_ms() - t0);
    return 1;
  }
  fprintf(stderr, "MODEL DISAGREEMENT (backend %s): seed %llu, op %ld of %ld: "
                  "%s\n", afdio_backend(), (unsigned long long)seed,
          m.op_index, ops, m.why);
  model_print_trace(&m, stderr);
  model_shrink(seed, m.op_index, slots, stderr);
  fflush(stderr);
  return 0;
}

Test(model, random_operations_agree_with_the_reference_model,
     .timeout = 120, .fini = util_fini) {
  long ops = env_long("AFDIO_MODEL_OPS", 3000);
  int slots = (int)env_long("AFDIO_MODEL_SLOTS", 48);
  uint64_t one = env_seed();
  model_stats_t sum = {0};
  size_t n = one ? 1 : sizeof model_seeds / sizeof model_seeds[0];
  for (size_t i = 0; i < n; i++) {
    uint64_t seed = one ? one : model_seeds[i];
    cr_assert(run_one(seed, ops, slots, &sum),
              "seed %llu disagrees with the model (see the report above)",
              (unsigned long long)seed);
  }
  cr_assert_gt(sum.events, 0, "no event at all: the model checked nothing");
}

/* make soak: AFDIO_MODEL_SOAK=1000000 spreads that many ops over a fixed
 * list of seeds, with up to 200 pairs. */
Test(model, soak, .timeout = 7200, .fini = util_fini) {
  long total = env_long("AFDIO_MODEL_SOAK", 0);
  if (total <= 0)
    cr_skip_test("set AFDIO_MODEL_SOAK to an op count (make soak)");
  long per = env_long("AFDIO_MODEL_OPS", 20000);
  int slots = (int)env_long("AFDIO_MODEL_SLOTS", 200);
  model_stats_t sum = {0};
  for (uint64_t seed = 1000; sum.ops < total; seed++) {
    cr_assert(run_one(seed, per, slots, &sum),
              "seed %llu disagrees with the model (see the report above)",
              (unsigned long long)seed);
  }
  cr_log_info("soak: %ld ops, %ld events, %ld settles", sum.ops, sum.events,
              sum.settles);
}
