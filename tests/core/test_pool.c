/* The thread pool: every index runs exactly once per run, index 0 on the
 * caller; no index passes a barrier before all have reached it, and what
 * one wrote before it the others read after it; runs repeated back to back
 * and far apart; one thread, and many more threads than cores, sleeping and
 * spinning; pools made and freed in a loop; bad arguments, and a thread
 * that cannot start (in a child process with little address space). */
#include "check.h"
#include "vae_pool.h"

#include <glib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PHASES 3

typedef struct {
  VaePool *pool;
  int n;
  gint calls[VAE_MAX_THREADS];     /* atomic: calls of each index */
  gint arrived[PHASES];            /* atomic: indices at phase k's barrier */
  gint early[PHASES];              /* atomic: passed phase k's barrier early */
  long value[VAE_MAX_THREADS];     /* written before a barrier */
  gint bad_sum;                    /* atomic: wrong sums read after it */
  GThread *caller;
  gint index0_elsewhere;           /* atomic */
  int skew_us;                     /* index i waits i * skew_us first */
  long run;
} Job;

static void
job_fn (void *data, int i)
{
  Job *j = data;

  g_atomic_int_inc (&j->calls[i]);
  if (i == 0 && g_thread_self () != j->caller)
    g_atomic_int_inc (&j->index0_elsewhere);
  for (int k = 0; k < PHASES; k++) {
    long want = 0;
    if (j->skew_us > 0)
      g_usleep ((gulong) (i * j->skew_us));
    j->value[i] = j->run * 1000 + k * 100 + i;
    g_atomic_int_inc (&j->arrived[k]);
    vae_pool_barrier (j->pool);
    if (g_atomic_int_get (&j->arrived[k]) != j->n)
      g_atomic_int_inc (&j->early[k]);
    for (int t = 0; t < j->n; t++) {
      want += j->run * 1000 + k * 100 + t;
      want -= j->value[t];
    }
    if (want != 0)
      g_atomic_int_inc (&j->bad_sum);
    /* nobody writes value[] again before all have summed it */
    vae_pool_barrier (j->pool);
  }
}

/* runs jobs on a pool of n threads; the arrival counts start afresh for
 * each run, so they are reset between runs */
static void
check_pool (int n, int spin_us, int runs, int skew_us)
{
  VaeError err;
  Job *j = g_new0 (Job, 1);
  VaePool *pool = vae_pool_new ("test-pool", n, spin_us, &err);

  CHECK (pool != NULL, "vae_pool_new (%d, %d): %s", n, spin_us, err.msg);
  if (pool == NULL) {
    g_free (j);
    return;
  }
  CHECK (vae_pool_threads (pool) == n, "%d threads, not %d",
      vae_pool_threads (pool), n);
  j->pool = pool;
  j->n = n;
  j->caller = g_thread_self ();
  j->skew_us = skew_us;
  for (long r = 0; r < runs; r++) {
    j->run = r;
    memset (j->arrived, 0, sizeof j->arrived);
    vae_pool_run (pool, job_fn, j);
    /* every index has returned: all its calls are counted */
    for (int i = 0; i < n; i++)
      if (g_atomic_int_get (&j->calls[i]) != r + 1) {
        CHECK (0, "n=%d spin=%d run %ld: index %d called %d times in all",
            n, spin_us, r, i, g_atomic_int_get (&j->calls[i]));
        r = runs;
        break;
      }
  }
  for (int k = 0; k < PHASES; k++)
    CHECK (j->early[k] == 0, "n=%d spin=%d: %d passed barrier %d early", n,
        spin_us, j->early[k], k);
  CHECK (j->bad_sum == 0, "n=%d spin=%d: %d wrong sums after a barrier", n,
      spin_us, j->bad_sum);
  CHECK (j->index0_elsewhere == 0, "n=%d: index 0 ran off the caller %d "
      "times", n, j->index0_elsewhere);
  vae_pool_free (pool);
  g_free (j);
}

static void
count_fn (void *data, int i)
{
  gint *calls = data;
  g_atomic_int_inc (&calls[i]);
}

static void
check_new_free_loop (void)
{
  for (int it = 0; it < 200; it++) {
    VaeError err;
    int n = 1 + it % 8;
    gint calls[8] = { 0 };
    VaePool *pool = vae_pool_new ("test-loop", n, it % 2 ? 300 : 0, &err);
    if (pool == NULL) {
      CHECK (0, "iteration %d: %s", it, err.msg);
      return;
    }
    /* every third pool is freed without a run */
    if (it % 3 != 0) {
      vae_pool_run (pool, count_fn, calls);
      for (int i = 0; i < n; i++)
        CHECK (calls[i] == 1, "iteration %d: index %d called %d times", it,
            i, calls[i]);
    }
    vae_pool_free (pool);
  }
  vae_pool_free (NULL);
}

static void
check_bad_args (void)
{
  const int bad[][2] = { {0, 0}, {-1, 0}, {VAE_MAX_THREADS + 1, 0}, {2, -1} };
  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++) {
    VaeError err = { 0 };
    VaePool *pool = vae_pool_new ("test-bad", bad[i][0], bad[i][1], &err);
    CHECK (pool == NULL && err.status == VAE_ERR_ARG, "n=%d spin=%d: "
        "accepted or status %d", bad[i][0], bad[i][1], err.status);
    vae_pool_free (pool);
  }
}

/* With the address space capped a little above what the process uses, a
 * few 8 MiB thread stacks fit and the next does not: vae_pool_new must
 * report a status and join the threads it started.  In a child, before
 * this process has any thread of its own; not under the sanitizers, whose
 * shadow memory the cap would starve. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CAN_CAP_MEMORY 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CAN_CAP_MEMORY 0
#endif
#endif
#ifndef CAN_CAP_MEMORY
#define CAN_CAP_MEMORY 1
#endif

static void
check_thread_failure (void)
{
  pid_t pid;
  int st;

  if (!CAN_CAP_MEMORY || g_getenv ("VAE_TEST_NO_RLIMIT") != NULL) {
    printf ("thread-failure check skipped\n");
    return;
  }
  fflush (stdout);
  pid = fork ();
  if (pid == 0) {
    struct rlimit rl;
    unsigned long pages = 0;
    VaeError err = { 0 };
    VaePool *pool;
    FILE *f = fopen ("/proc/self/statm", "r");
    if (f == NULL || fscanf (f, "%lu", &pages) != 1)
      _exit (3);
    fclose (f);
    rl.rlim_cur = rl.rlim_max = pages * (rlim_t) sysconf (_SC_PAGESIZE)
        + ((rlim_t) 24 << 20);
    if (setrlimit (RLIMIT_AS, &rl) != 0)
      _exit (3);
    pool = vae_pool_new ("test-fail", VAE_MAX_THREADS, 0, &err);
    if (pool != NULL)
      _exit (4);
    if (err.status != VAE_ERR_NOMEM || strstr (err.msg, "cannot start thread")
        == NULL)
      _exit (5);
    printf ("thread failure reported: %s\n", err.msg);
    fflush (stdout);
    _exit (0);
  }
  CHECK (pid > 0, "fork failed");
  if (pid <= 0)
    return;
  CHECK (waitpid (pid, &st, 0) == pid, "waitpid failed");
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0, "child: %s %d (3: could "
      "not cap memory, 4: pool made, 5: wrong status or message)",
      WIFEXITED (st) ? "exit" : "signal", WIFEXITED (st) ? WEXITSTATUS (st)
      : WTERMSIG (st));
}

int
main (void)
{
  check_thread_failure ();
  check_bad_args ();
  check_pool (1, 0, 100, 0);
  check_pool (1, 300, 100, 0);
  check_pool (2, 0, 2000, 0);
  check_pool (2, 300, 2000, 0);
  check_pool (3, 300, 500, 0);
  /* a band far behind the others: the waits sleep, spinning or not */
  check_pool (4, 0, 20, 300);
  check_pool (4, 300, 20, 300);
  /* many more threads than cores */
  check_pool (16, 0, 200, 0);
  check_pool (VAE_MAX_THREADS, 0, 50, 0);
  check_pool (VAE_MAX_THREADS, 300, 10, 0);
  check_new_free_loop ();
  if (failures == 0)
    printf ("pool: all checks passed\n");
  return failures != 0;
}
